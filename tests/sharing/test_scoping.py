"""Scoping over the fixed cast: who may read, write and consult what, and exactly one access-log
row for every consultation, failed or empty ones included."""

from __future__ import annotations

import pytest

from registry.models import CreditRecord
from sharing.models import Consultation

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/catalogue/"),
    ("get", "/api/v1/purposes/"),
    ("get", "/api/v1/credit-records/"),
    ("post", "/api/v1/credit-records/"),
    ("post", "/api/v1/credit-records/bulk/"),
    ("get", "/api/v1/credit-records/changes/"),
    ("post", "/api/v1/credit-checks/"),
    ("get", "/api/v1/consents/"),
    ("get", "/api/v1/access-log/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_is_refused_everywhere(anonymous, company, method, url):
    assert getattr(anonymous, method)(url).status_code in (401, 403)
    file_url = f"/api/v1/subjects/{company.identifier}/file/?purpose=enforcement"
    assert anonymous.get(file_url).status_code in (401, 403)
    assert not Consultation.objects.exists()


def test_records_are_read_and_changed_only_by_their_agency(
    samr_api, customs_api, court_api, company_records
):
    record = company_records["government"]
    for other in (customs_api, court_api):
        assert other.get(f"/api/v1/credit-records/{record.pk}/").status_code == 404
        assert other.get("/api/v1/credit-records/").json()["results"] == []
        response = other.post(
            f"/api/v1/credit-records/{record.pk}/correct/", {"reason": "x", "content": "y"}
        )
        assert response.status_code == 404
    assert samr_api.get(f"/api/v1/credit-records/{record.pk}/").status_code == 200
    assert CreditRecord.objects.get(pk=record.pk).version == 1


@pytest.mark.parametrize("client_name", ["customs_api", "court_api", "caac_api"])
def test_no_agency_without_consent_receives_restricted_content(
    request, client_name, company_records, company
):
    client = request.getfixturevalue(client_name)
    restricted = company_records["restricted"]
    for purpose in ("enforcement", "administrative_licensing"):
        response = client.get(
            f"/api/v1/subjects/{company.identifier}/file/?purpose={purpose}&reference=r"
        )
        assert response.status_code == 200
        assert restricted.content not in response.content.decode()
        assert response.json()["restricted"]["withheld"] == {"R-201": 1}
    changes = client.get("/api/v1/credit-records/changes/").json()["changes"]
    assert restricted.pk not in {c["record"] for c in changes}


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("{code}/file/?purpose=enforcement&reference=r", "returned"),
        ("{code}/file/?purpose=nonsense", "refused"),
        ("{code}/file/", "refused"),
        ("91330100MA2XXXXXX0/file/?purpose=enforcement", "not_found"),
        ("not-an-identifier/file/?purpose=enforcement", "not_found"),
    ],
)
def test_every_consultation_leaves_exactly_one_row(
    customs_api, company_records, company, path, outcome
):
    url = "/api/v1/subjects/" + path.format(code=company.identifier)
    response = customs_api.get(url)
    assert response.status_code < 500
    rows = list(Consultation.objects.all())
    assert len(rows) == 1 and rows[0].outcome == outcome
    assert rows[0].username == customs_api.user.username


def test_a_control_character_is_refused_at_the_gate_before_anything_is_read(
    customs_api, company_records, company
):
    """scs.security.InputHygieneMiddleware answers 400 before authentication and before the
    file is read: nothing was consulted, so the access log has no row for it."""
    url = f"/api/v1/subjects/{company.identifier}/file/?purpose=enforcement&reference=%00"
    response = customs_api.get(url)
    assert response.status_code == 400
    assert not Consultation.objects.exists()


def test_clerks_and_reviewers_cannot_read_the_access_log(customs_api, court_reviewer_api):
    assert customs_api.get("/api/v1/access-log/").status_code == 403
    assert court_reviewer_api.get("/api/v1/access-log/").status_code == 403


def test_consents_are_scoped_to_their_agency(customs_api, court_api, company_records, company):
    import datetime

    from tests.sharing.conftest import consent_document

    created = customs_api.post(
        "/api/v1/consents/",
        {
            "subject_identifier": company.identifier,
            "purpose": "enforcement",
            "all_restricted": "true",
            "valid_until": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
            "evidence": consent_document(),
        },
        format="multipart",
    ).json()
    assert court_api.get("/api/v1/consents/").json() == []
    assert court_api.post(f"/api/v1/consents/{created['id']}/withdraw/").status_code == 404
