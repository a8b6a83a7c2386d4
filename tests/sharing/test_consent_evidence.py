"""Consent evidence served back: the consenting agency and the operator download it as an
attachment, never cached, with one access-log row; other agencies and the public never."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from rest_framework.test import APIClient

from sharing.models import Consent, Consultation, Purpose
from tests import factories as f
from tests.conftest import api_client_for
from tests.sharing.conftest import consent_document, png_bytes

pytestmark = pytest.mark.django_db
NEXT_YEAR = datetime.date.today() + datetime.timedelta(days=365)


@pytest.fixture
def signed(customs, customs_api, items, person):
    """A resident's signed consent for customs, uploaded by customs (a real PNG scan)."""
    created = customs_api.post(
        "/api/v1/consents/",
        {
            "subject_identifier": person.identifier,
            "purpose": "administrative_licensing",
            "items": "R-201",
            "valid_until": NEXT_YEAR.isoformat(),
            "evidence": consent_document("授权书（签字）.png"),
            "evidence_reference": "授权书〔2026〕８号",
        },
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    return Consent.objects.get(pk=created.json()["id"])


def url(consent) -> str:
    return f"/api/v1/consents/{consent.pk}/evidence/"


def rows(outcome=None):
    qs = Consultation.objects.filter(channel="consent_evidence")
    return qs.filter(outcome=outcome) if outcome else qs


def test_consenting_agency_downloads_the_signed_document(signed, customs_api, customs):
    response = customs_api.get(url(signed))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="consent-{signed.pk}-evidence.png"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "image/png"
    assert hashlib.sha256(response.content).hexdigest() == signed.evidence_sha256
    assert response.content == png_bytes()
    (row,) = rows()
    assert row.outcome == "returned" and row.agency_id == customs.pk
    assert row.subject_id == signed.subject_id
    assert row.items == [{"consent": signed.pk}] and row.purpose == "administrative_licensing"


def test_operator_downloads_it_too(client, signed, samr):
    operator = f.user("operator", samr, "admin", is_superuser=True)
    client.force_login(operator)
    response = client.get(url(signed))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert rows("returned").get().user == operator


@pytest.mark.parametrize("who", ["court_token", "samr_admin_session", "customs_other_role"])
def test_other_agencies_never(who, signed, court, samr, customs, client):
    if who == "court_token":
        caller = api_client_for(court, "clerk", "court-api")
    elif who == "samr_admin_session":
        client.force_login(f.user("samr-admin", samr, "admin"))
        caller = client
    else:
        # Staff of the consenting agency are the agency: a clerk reads it as the token does.
        caller = api_client_for(customs, "reviewer", "customs-reviewer-api")
    response = caller.get(url(signed))
    if who == "customs_other_role":
        assert response.status_code == 200
        assert rows("returned").count() == 1
        return
    assert response.status_code == 404
    assert b"PNG" not in response.content
    (row,) = rows()
    assert row.outcome == "refused" and row.items == []


def test_the_public_never(signed):
    response = APIClient().get(url(signed))
    assert response.status_code in (401, 403)
    assert not rows().exists()


def test_unknown_consent_is_404_for_everyone(customs_api):
    assert customs_api.get("/api/v1/consents/999999/evidence/").status_code == 404


def test_online_consent_is_served_as_its_record(customs, items, person, customs_api):
    # The subject's self-service (issue 13, not landed) records it without a clerk or a file.
    consent = Consent.objects.create(
        subject=person,
        agency=customs,
        purpose=Purpose.objects.get(code="administrative_licensing"),
        valid_until=NEXT_YEAR,
        given=Consent.Given.ONLINE,
    )
    consent.items.set([items["restricted"]])
    response = customs_api.get(url(consent))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = json.loads(response.content)
    assert body["given"] == "online" and body["items"] == ["R-201"]
    assert body["recorded_by"] == "" and body["withdrawn_at"] is None
    assert person.identifier not in response.content.decode()  # masked resident ID
    assert rows("returned").count() == 1


def test_a_tampered_file_is_not_served(signed, customs_api):
    with open(signed.evidence.path, "ab") as handle:
        handle.write(b"<script>")
    response = customs_api.get(url(signed))
    assert response.status_code == 400
    assert b"<script>" not in response.content
