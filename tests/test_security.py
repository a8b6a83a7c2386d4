"""Staff sign-in and response headers (issue 10), through real requests: password sign-in with
django-axes lockout per account and per address, TOTP enrolment and codes, idle and absolute
session limits, Content-Security-Policy and Permissions-Policy."""

from __future__ import annotations

import datetime
import re
import time

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from scs.security import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"


def sign_in(client, username, password=PASSWORD, ip="198.51.100.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def code_for(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


# --- lockout ------------------------------------------------------------------------------------


@pytest.mark.abuse
def test_account_locks_after_the_failure_limit_even_with_the_right_password(alice, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "alice", "wrong").status_code == 200  # the form again
    assert sign_in(client, "alice", "wrong").status_code == 429  # the Nth failure locks
    locked = sign_in(client, "alice")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session
    # Per account: another address does not help.
    assert sign_in(Client(), "alice", ip="203.0.113.50").status_code == 429


@pytest.mark.abuse
def test_address_locks_for_every_account_after_spraying(alice, bob, carol, settings):
    client = Client()
    for name in ["alice", "carol", "alice", "carol", "alice"][: settings.AXES_FAILURE_LIMIT]:
        sign_in(client, name, "wrong", ip="198.51.100.99")
    # bob never failed, but this address is locked.
    assert sign_in(Client(), "bob", ip="198.51.100.99").status_code == 429
    # from elsewhere bob signs in (and is sent to the second factor).
    ok = sign_in(Client(), "bob", ip="198.51.100.100")
    assert ok.status_code == 302


@pytest.mark.abuse
def test_a_spoofed_forwarded_for_does_not_escape_the_address_lockout(alice, bob, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/admin/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="198.51.100.5",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{i}",
        )
    response = Client().post(
        "/admin/login/",
        {"username": "bob", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.5",
        HTTP_X_FORWARDED_FOR="10.9.9.200",
    )
    assert response.status_code == 429


def test_success_before_the_limit_resets_the_count(alice, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice").status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), "alice", "wrong")
    assert sign_in(Client(), "alice").status_code == 302


# --- second factor ------------------------------------------------------------------------------


def test_reviewer_must_enrol_and_confirm_a_code_before_the_admin(bob):
    client = Client()
    assert sign_in(client, "bob").status_code == 302
    blocked = client.get("/admin/blacklists/listentry/")
    assert blocked.status_code == 302
    assert blocked["Location"].startswith("/admin/otp/?next=")
    api = client.get("/api/v1/lists/")  # the session API is held back too
    assert api.status_code == 403 and api.json()["detail"] == "请先输入一次性验证码确认登录。"

    page = client.get("/admin/otp/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=bob)
    assert not device.confirmed
    secret = re.search(r"<code>([A-Z2-7=]+)</code>", page.content.decode()).group(1)
    assert secret  # shown once, while enrolling
    wrong = client.post("/admin/otp/", {"token": "000000" if code_for(device) != "000000" else "1"})
    assert wrong.status_code == 200 and client.get("/admin/").status_code == 302
    time.sleep(1.1)  # django-otp throttles a device for 1 s after a wrong code
    done = client.post("/admin/otp/", {"token": code_for(device), "next": "/admin/"})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/blacklists/listentry/").status_code == 200

    # Next sign-in: the code is asked again and the key is not shown again.
    again = Client()
    sign_in(again, "bob")
    assert again.get("/admin/").status_code == 302
    assert "<code>" not in again.get("/admin/otp/").content.decode()


def test_clerk_is_offered_the_second_factor_but_not_forced(alice):
    client = Client()
    sign_in(client, "alice")
    assert client.get("/admin/blacklists/listentry/").status_code == 200
    offer = client.get("/admin/otp/")
    assert offer.status_code == 200 and "<code>" in offer.content.decode()


def test_a_clerk_who_enrolled_is_asked_for_the_code(alice):
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "alice")
    assert client.get("/admin/").status_code == 302


def test_otp_next_cannot_redirect_off_site(alice):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "alice")
    response = client.post(
        "/admin/otp/", {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


# --- session limits -----------------------------------------------------------------------------


def test_staff_session_ends_after_30_idle_minutes(alice):
    client = Client()
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)) as clock:
        sign_in(client, "alice")
        assert client.get("/admin/").status_code == 200
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200  # activity keeps it alive
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get("/admin/").status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        expired = client.get("/admin/")
        assert expired.status_code == 302 and expired["Location"].startswith("/admin/login/")
        assert client.get("/admin/").status_code == 302  # signed out, not just redirected once


def test_staff_session_ends_after_12_hours_however_active(alice):
    client = Client()
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)) as clock:
        sign_in(client, "alice")
        session = client.session
        assert session[SIGNED_IN_AT] > 0
        clock.shift(datetime.timedelta(hours=11, minutes=50))
        # Active all day (simulate the last request ten minutes ago).
        session["scs_seen_at"] = int(time.time()) - 600
        session.save()
        assert client.get("/admin/").status_code == 200
        clock.shift(datetime.timedelta(minutes=11))
        assert client.get("/admin/").status_code == 302


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/lists/", "/admin/login/", "/api/v1/lists/", "/api/docs/"])
def test_every_response_has_csp_and_permissions_policy(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/", "/lists/", "/stats/", "/memoranda/", "/track/"])
def test_portal_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
