"""Permission matrix over the fixed cast (issue 10; make reliability and make test):
clerk and reviewer of agency A (the court, which owns the list), clerk of B (customs), an
implementing agency's token (CAAC), an agency token without measures (customs), anonymous
× every admin model's list and change pages, the list-entry API (reads and every
transition) and the portal's forms. An attempt is "wrongly allowed" when someone outside
the owning agency reads or changes A's unpublished rows, or anonymous reaches the admin or
the API. A subject account (issue 13) does not exist yet."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from blacklists import services
from tests.blacklists.conftest import advance, draft
from tests.conftest import api_client_for

pytestmark = [pytest.mark.abuse, pytest.mark.django_db]

TRANSITIONS = ["submit", "approve", "notify", "publish", "revoke", "return"]


def owned_rows(court_list, company, alice, bob):
    """A's rows no one else may see: a draft and a submitted entry, an objection and a
    repair application on a notified entry (objections need notice)."""
    entry = draft(court_list, company, alice)
    submitted = advance(
        draft(court_list, company, alice, number="（2026）执M2号"),
        "submitted",
        clerk=alice,
        reviewer=bob,
    )
    notified = advance(
        draft(court_list, company, alice, number="（2026）执M3号"),
        "notified",
        clerk=alice,
        reviewer=bob,
    )
    objection = services.objection_file(
        entry=notified, filed_by_name="甲", contact="1", disputed_facts="事实有误"
    )
    return {"draft": entry, "submitted": submitted, "notified": notified, "objection": objection}


def test_permission_matrix(
    court, customs, caac, court_list, company, alice, bob, carol, record_property
):
    rows = owned_rows(court_list, company, alice, bob)
    attempts = 0
    wrong: list[str] = []

    def check(who: str, url: str, status: int, allowed: bool):
        nonlocal attempts
        attempts += 1
        granted = status == 200
        if granted and not allowed:
            wrong.append(f"{who} {url} -> {status}")

    # Admin: list and change pages of every registered model, for each staff member.
    staff = {"alice (A clerk)": alice, "bob (A reviewer)": bob, "carol (B clerk)": carol}
    clients = {}
    for name, user in staff.items():
        clients[name] = Client()
        clients[name].force_login(user)
    clients["anonymous"] = Client()
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        for name, client in clients.items():
            status = client.get(changelist).status_code
            check(name, changelist, status, allowed=name != "anonymous")
    owned = {
        "listentry": [rows["draft"], rows["submitted"], rows["notified"]],
        "objection": [rows["objection"]],
    }
    for model_name, objects in owned.items():
        for obj in objects:
            url = reverse(f"admin:blacklists_{model_name}_change", args=[obj.pk])
            for name, client in clients.items():
                status = client.get(url).status_code
                check(name, url, status, allowed=name in ("alice (A clerk)", "bob (A reviewer)"))

    # API: reads and transitions of A's unpublished entries by other agencies and anonymous.
    tokens = {
        "caac (implementer)": api_client_for(caac),
        "customs (no measures)": api_client_for(customs),
    }
    from rest_framework.test import APIClient

    tokens["anonymous"] = APIClient()
    for obj in (rows["draft"], rows["submitted"], rows["notified"]):
        detail = f"/api/v1/list-entries/{obj.pk}/"
        for name, client in tokens.items():
            check(name, detail, client.get(detail).status_code, allowed=False)
            for action in TRANSITIONS:
                url = f"{detail}{action}/"
                status = client.post(
                    url, {"reason": "x", "via": "electronic", "reference": "x"}
                ).status_code
                check(name, url, status, allowed=False)
    for name, client in tokens.items():
        listing = client.get("/api/v1/list-entries/")
        check(name, "/api/v1/list-entries/", listing.status_code, allowed=name != "anonymous")
        if listing.status_code == 200:
            ids = {e["id"] for e in listing.json()["results"]}
            leaked = ids & {r.pk for r in (rows["draft"], rows["submitted"], rows["notified"])}
            attempts += 1
            if leaked:
                wrong.append(f"{name} sees unpublished entries {sorted(leaked)}")

    # Portal forms: an unpublished entry takes no objection or repair application.
    portal = Client()
    for obj in (rows["draft"], rows["notified"]):
        for form in ("objections", "repairs"):
            url = (
                f"/objections/new/?entry={obj.pk}"
                if form == "objections"
                else (f"/repairs/new/?entry={obj.pk}")
            )
            check("anonymous", url, portal.get(url).status_code, allowed=False)

    record_property("attempts", attempts)
    record_property("failures", len(wrong))
    record_property("figure", f"{attempts} attempts over 6 roles, {len(wrong)} wrongly allowed")
    assert not wrong, wrong
