"""Subject accounts: invitation, activation (single use, 72 h), sign-in, second factor,
lockout, session expiry. Real PostgreSQL and Redis; the e-mail goes through Django's
backend (locmem in tests)."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from my import services
from my.models import Invitation, SubjectAccount
from tests import factories as f
from tests.my.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def test_subject_invite_command_prints_and_mails_a_one_time_link(company, mailoutbox, settings):
    settings.PORTAL_BASE_URL = "https://credit.example"
    out = io.StringIO()

    call_command("subject_invite", company.identifier.lower(), "Holder@HengXin.example", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    assert link.startswith("https://credit.example/my/activate/")
    invitation = Invitation.objects.get(subject=company)
    assert invitation.email == "holder@hengxin.example"
    assert invitation.token_hash != _token(link)  # only a digest is stored
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(hours=72)


def test_command_refuses_unknown_subjects_and_agencies(court, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("subject_invite", f.uscc(99999), "x@example.cn", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("subject_invite", court.identifier, "x@example.cn", stdout=io.StringIO())


def test_activation_link_works_once(client, company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _inv, link = services.invitation_issue(
            subject=company, email="a@hengxin.example", issued_by="test"
        )
    path = "/my/activate/" + _token(link) + "/"
    assert client.get(path).status_code == 200
    response = client.post(path, {"password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response.url == "/my/"
    account = SubjectAccount.objects.get(email="a@hengxin.example")
    assert account.subject == company and account.can_invite
    assert client.get("/my/").status_code == 200

    # Second use, even in a fresh browser: refused, no second account.
    client.logout()
    again = client.post(path, {"password": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 410
    assert "链接无效、已使用或已过期" in again.content.decode()
    assert SubjectAccount.objects.filter(subject=company).count() == 1
    with pytest.raises(ValidationError) as exc:
        services.invitation_accept(token=_token(link), password=PASSWORD)
    assert "token" in exc.value.message_dict


def test_activation_link_expires_after_72_hours(client, company):
    _inv, link = services.invitation_issue(
        subject=company, email="b@hengxin.example", issued_by="t"
    )
    later = timezone.now() + datetime.timedelta(hours=72, seconds=1)
    with time_machine.travel(later):
        response = client.post(
            "/my/activate/" + _token(link) + "/", {"password": PASSWORD, "password2": PASSWORD}
        )
    assert response.status_code == 410
    assert not SubjectAccount.objects.filter(email="b@hengxin.example").exists()
    # Just inside the window it still works.
    with time_machine.travel(later - datetime.timedelta(seconds=2)):
        assert services.invitation_accept(token=_token(link), password=PASSWORD).pk


def test_weak_password_is_a_field_error_not_a_500(client, company):
    _inv, link = services.invitation_issue(
        subject=company, email="c@hengxin.example", issued_by="t"
    )
    response = client.post(
        "/my/activate/" + _token(link) + "/", {"password": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert Invitation.objects.usable().filter(email="c@hengxin.example").exists()


def test_natural_person_needs_the_second_factor(client, listed_person):
    # Frozen clock: a TOTP time step must not roll over between two steps of the test.
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _natural_person_flow(client, listed_person, start)


def _natural_person_flow(client, listed_person, start):
    _inv, link = services.invitation_issue(
        subject=listed_person, email="lisi@example.cn", issued_by="test"
    )
    assert not _inv.can_invite  # a natural person's file has one account
    response = client.post(
        "/my/activate/" + _token(link) + "/", {"password": PASSWORD, "password2": PASSWORD}
    )
    assert response.url == "/my/second-factor/"
    # The password alone does not open the file.
    assert client.get("/my/").url == "/my/second-factor/"
    page = client.get("/my/second-factor/")
    assert page.context["enrolling"]
    account = SubjectAccount.objects.get(email="lisi@example.cn")
    qr = client.get("/my/second-factor/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    bad = client.post(
        "/my/second-factor/", {"code": "000000" if totp_code(account) != "000000" else "111111"}
    )
    assert bad.status_code == 200 and bad.context["form"].errors["code"]
    good = client.post("/my/second-factor/", {"code": totp_code(account)})
    assert good.url == "/my/"
    assert client.get("/my/").status_code == 200

    # Next sign-in: password, then a fresh code (the same code is never accepted twice).
    client.post("/my/sign-out/")
    step = client.post("/my/sign-in/", {"email": "LISI@example.cn", "password": PASSWORD})
    assert step.url.startswith("/my/second-factor/")
    assert client.get("/my/").url == "/my/second-factor/"
    assert client.post("/my/second-factor/", {"code": totp_code(account)}).status_code == 200
    nxt = start + datetime.timedelta(seconds=31)
    with time_machine.travel(nxt, tick=False):
        assert client.post("/my/second-factor/", {"code": totp_code(account, nxt)}).url == "/my/"


def test_organisation_signs_in_with_password_alone(client, company_account):
    response = client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
    assert response.url == "/my/"
    assert client.get("/my/").status_code == 200


def test_an_organisation_is_offered_the_second_factor_and_then_needs_it(client, company_account):
    assert not company_account.needs_second_factor
    client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
    home = client.get("/my/").content.decode()
    assert 'href="/my/second-factor/?next=/my/"' in home
    offer = client.get("/my/second-factor/")
    assert offer.status_code == 200 and offer.context["enrolling"]
    company_account.refresh_from_db()
    assert client.get("/my/second-factor/qr.svg")["Content-Type"] == "image/svg+xml"
    wrong = client.post("/my/second-factor/", {"code": "000000", "next": "/my/"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    done = client.post("/my/second-factor/", {"code": totp_code(company_account), "next": "/my/"})
    assert done.status_code == 302 and done.url == "/my/"
    company_account.refresh_from_db()
    assert company_account.totp_confirmed and company_account.needs_second_factor
    assert 'href="/my/second-factor/' not in client.get("/my/").content.decode()

    # From now on the password alone is not enough.
    client.post("/my/sign-out/")
    signed = client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
    assert signed.url.startswith("/my/second-factor/")
    assert client.get("/my/").url == "/my/second-factor/"


def test_lockout_after_repeated_failures(client, company_account, settings):
    settings.MY_LOCKOUT_FAILURES = 3
    for _ in range(3):
        response = client.post("/my/sign-in/", {"email": company_account.email, "password": "no"})
        assert response.status_code == 200
    locked = client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
    assert "锁定" in locked.content.decode()
    assert client.get("/my/").status_code == 302
    later = timezone.now() + datetime.timedelta(minutes=settings.MY_LOCKOUT_MINUTES, seconds=1)
    with time_machine.travel(later):
        ok = client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
        assert ok.url == "/my/"


def test_unknown_email_answers_like_a_wrong_password(client, db):
    response = client.post("/my/sign-in/", {"email": "nobody@example.cn", "password": "x"})
    assert response.status_code == 200
    assert "电子邮箱或密码错误" in response.content.decode()


def test_sessions_expire(client, company_account, settings):
    client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
    assert client.session.get_expiry_age() == settings.MY_SESSION_IDLE_SECONDS
    later = timezone.now() + datetime.timedelta(seconds=settings.MY_SESSION_MAX_SECONDS + 1)
    with time_machine.travel(later):
        response = client.get("/my/")
    assert response.status_code == 302 and response.url.startswith("/my/sign-in/")


def test_a_password_change_ends_other_sessions(client, company_account):
    client.post("/my/sign-in/", {"email": company_account.email, "password": PASSWORD})
    company_account.set_password("Another pass 2026!")
    company_account.save()
    assert client.get("/my/").status_code == 302


def test_admin_session_is_not_a_subject_session(client, alice):
    client.force_login(alice)
    assert client.get("/my/").status_code == 302


def test_holder_invites_a_colleague_who_joins_the_same_subject(
    my_client, company_account, mailoutbox, django_capture_on_commit_callbacks
):
    client = my_client(company_account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/my/colleagues/", {"email": "colleague@hengxin.example"})
    assert response.status_code == 200 and response.context["sent"]
    assert len(mailoutbox) == 1 and "/my/activate/" in mailoutbox[0].body
    link = next(w for w in mailoutbox[0].body.split() if "/my/activate/" in w)
    colleague = services.invitation_accept(token=_token(link), password=PASSWORD)
    assert colleague.subject_id == company_account.subject_id and not colleague.can_invite
    # The colleague may not invite in turn.
    assert my_client(colleague).get("/my/colleagues/").status_code == 404


def test_invitation_for_an_existing_email_is_refused(company_account, company):
    with pytest.raises(ValidationError) as exc:
        services.invitation_issue(subject=company, email=company_account.email, issued_by="t")
    assert "email" in exc.value.message_dict
