"""Consultation: purposes, the file's visibility tiers, consent, credit checks, the access log."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import InternalError
from django.urls import reverse

from sharing import services
from sharing.models import Consent, Consultation, Purpose, UsageFlag
from tests import factories as f
from tests.conftest import api_client_for
from tests.sharing.conftest import consent_document, png_bytes

pytestmark = pytest.mark.django_db

NEXT_YEAR = datetime.date.today() + datetime.timedelta(days=365)


def file_url(subject, purpose="administrative_licensing", reference="许可〔2026〕1号"):
    return f"/api/v1/subjects/{subject.identifier}/file/?purpose={purpose}&reference={reference}"


def test_purposes_are_data(customs_api):
    codes = [p["code"] for p in customs_api.get("/api/v1/purposes/").json()]
    assert "administrative_licensing" in codes and "government_procurement" in codes
    Purpose.objects.create(code="housing_subsidy", name="住房补贴")
    assert "housing_subsidy" in [p["code"] for p in customs_api.get("/api/v1/purposes/").json()]


@pytest.mark.parametrize("purpose", ["", "curiosity", "x" * 100])
def test_file_without_a_valid_purpose_is_400_listing_them_and_logged(customs_api, company, purpose):
    response = customs_api.get(file_url(company, purpose=purpose))
    assert response.status_code == 400
    assert "purpose" in response.json()["errors"]
    assert {"code": "enforcement", "name": "执法办案"} in response.json()["purposes"]
    row = Consultation.objects.get()
    assert row.outcome == "refused" and row.subject == company


def test_file_shows_public_and_government_and_withholds_restricted(
    customs_api, company_records, company
):
    response = customs_api.get(file_url(company))
    assert response.status_code == 200
    data = response.json()
    tiers = {r["visibility"] for r in data["records"]}
    assert tiers == {"public", "government"}
    assert data["restricted"]["withheld"] == {"R-201": 1}
    assert "consent" in data["restricted"]["how_to_obtain"]
    assert "R-201 记录内容" not in response.content.decode()
    row = Consultation.objects.get()
    assert row.channel == "file" and row.purpose == "administrative_licensing"
    assert row.reference == "许可〔2026〕1号" and row.restricted_withheld == 1
    assert {i["item"] for i in row.items} == {"N-001", "G-101"}


def test_supplier_sees_its_own_restricted_records(samr_api, company_records, company):
    data = samr_api.get(file_url(company)).json()
    assert {r["visibility"] for r in data["records"]} == {"public", "government", "restricted"}
    assert data["restricted"]["withheld"] == {}


def test_statutory_entitlement_opens_the_item(court_api, items, company_records, company, court):
    items["restricted"].entitled_agencies.add(court)
    data = court_api.get(file_url(company, purpose="enforcement")).json()
    assert "R-201" in {r["catalogue_item"] for r in data["records"]}


def test_consent_opens_restricted_items_for_that_purpose_until_withdrawn(
    customs, customs_api, company_records, company
):
    created = customs_api.post(
        "/api/v1/consents/",
        {
            "subject_identifier": company.identifier,
            "purpose": "administrative_licensing",
            "items": "R-201",
            "valid_until": NEXT_YEAR.isoformat(),
            "evidence": consent_document(),
            "evidence_reference": "授权书〔2026〕8号",
        },
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    assert len(created.json()["evidence_sha256"]) == 64
    opened = customs_api.get(file_url(company)).json()
    assert "R-201" in {r["catalogue_item"] for r in opened["records"]}
    # Another purpose is not covered by the consent.
    other = customs_api.get(file_url(company, purpose="government_procurement")).json()
    assert other["restricted"]["withheld"] == {"R-201": 1}
    withdrawn = customs_api.post(f"/api/v1/consents/{created.json()['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    closed = customs_api.get(file_url(company)).json()
    assert closed["restricted"]["withheld"] == {"R-201": 1}
    assert Consultation.objects.count() == 3


def test_consent_refuses_fake_evidence_and_other_agencies_consents(
    customs_api, court_api, company_records, company
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    polyglot = SimpleUploadedFile("c.png", png_bytes()[:20] + b"<html>", content_type="image/png")
    refused = customs_api.post(
        "/api/v1/consents/",
        {
            "subject_identifier": company.identifier,
            "purpose": "administrative_licensing",
            "all_restricted": "true",
            "valid_until": NEXT_YEAR.isoformat(),
            "evidence": polyglot,
        },
        format="multipart",
    )
    assert refused.status_code == 400 and "evidence" in refused.json()["errors"]
    # A consent to customs opens nothing for the court.
    customs_api.post(
        "/api/v1/consents/",
        {
            "subject_identifier": company.identifier,
            "purpose": "enforcement",
            "all_restricted": "true",
            "valid_until": NEXT_YEAR.isoformat(),
            "evidence": consent_document(),
        },
        format="multipart",
    )
    data = court_api.get(file_url(company, purpose="enforcement")).json()
    assert data["restricted"]["withheld"] == {"R-201": 1}


def test_consent_with_a_misspelt_field_is_refused_naming_it(customs_api, company_records, company):
    refused = customs_api.post(
        "/api/v1/consents/",
        {
            "subject_identifier": company.identifier,
            "purpose": "administrative_licensing",
            "all_restricted": "true",
            "valid_untill": NEXT_YEAR.isoformat(),
            "evidence": consent_document(),
        },
        format="multipart",
    )
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert errors["valid_untill"] == ["未知字段。"]
    assert "valid_until" in errors  # every error of the body at once
    assert not Consent.objects.exists()


def test_unknown_subject_is_404_and_still_logged_masked(customs_api, db):
    resident = f.resident_id(999)
    response = customs_api.get(f"/api/v1/subjects/{resident}/file/?purpose=enforcement")
    assert response.status_code == 404
    row = Consultation.objects.get()
    assert row.outcome == "not_found" and row.subject is None
    assert resident not in row.asked and row.asked.startswith(resident[:4])


def test_empty_file_is_logged_as_empty(customs_api, company):
    assert customs_api.get(file_url(company)).status_code == 200
    assert Consultation.objects.get().outcome == "empty"


def test_file_masks_resident_ids_for_agencies_without_the_need(customs_api, person, caac_api):
    masked = customs_api.get(file_url(person)).json()["subject"]["identifier"]
    assert masked != person.identifier and "*" in masked
    assert caac_api.get(file_url(person)).json()["subject"]["identifier"] == person.identifier


def test_credit_check_one_log_row_per_subject(customs_api, company, person, company_records):
    response = customs_api.post(
        "/api/v1/credit-checks/",
        {
            "purpose": "government_procurement",
            "reference": "采购〔2026〕9号",
            "identifiers": [company.identifier, person.identifier, "91330100MA2XXXXXX0"],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert results[0]["found"] and results[0]["penalties_in_publicity"] == 1
    assert results[0]["file"].endswith("/file/")
    assert results[1]["found"] and person.identifier not in response.content.decode()
    assert results[2]["found"] is False and "error" in results[2]
    rows = list(Consultation.objects.order_by("id"))
    assert [r.channel for r in rows] == ["credit_check"] * 3
    assert [r.outcome for r in rows] == ["returned", "empty", "not_found"]
    # One multi-row INSERT writes what consultation_log writes row by row.
    assert [r.subject_id for r in rows] == [company.pk, person.pk, None]
    assert [r.asked for r in rows] == ["", "", services.masked_query("91330100MA2XXXXXX0")]
    user = customs_api.user
    assert {(r.purpose, r.reference, r.agency_id, r.username) for r in rows} == {
        ("government_procurement", "采购〔2026〕9号", user.agency_id, user.username)
    }
    assert len({r.at for r in rows}) == 1 and all(r.items == [] for r in rows)
    assert results[0]["file"] == reverse("subject-file", args=[company.identifier])


def test_credit_check_logs_hostile_and_masked_identifiers(customs_api, person):
    """Full-width, a mistyped resident ID (personal data: masked in the log as in the answer),
    a 15-digit first-generation ID and SQL-looking text each leave one row."""
    raw = [
        "９１３３０１００ＭＡ２ＣＫＱ３Ｘ４Ａ",
        person.identifier[:-1] + ("0" if person.identifier[-1] != "0" else "1"),
        "'); DROP TABLE sharing_consultation;--",
    ]
    response = customs_api.post(
        "/api/v1/credit-checks/",
        {"purpose": "enforcement", "reference": "执法〔2026〕1号", "identifiers": raw},
        format="json",
    )
    assert response.status_code == 200, response.json()
    rows = list(Consultation.objects.order_by("id"))
    assert len(rows) == 3 and all(r.outcome == "not_found" for r in rows)
    assert [r.asked for r in rows] == [services.masked_query(code) for code in raw]
    assert person.identifier[:-1] not in "".join(r.asked for r in rows)
    answered = [r["identifier"] for r in response.json()["results"]]
    assert answered == [r.asked for r in rows]


def test_credit_check_limits(customs_api):
    too_many = {"purpose": "enforcement", "identifiers": ["x"] * 1001}
    assert customs_api.post("/api/v1/credit-checks/", too_many, format="json").status_code == 400
    bad_purpose = {"purpose": "nope", "identifiers": ["x"]}
    response = customs_api.post("/api/v1/credit-checks/", bad_purpose, format="json")
    assert response.status_code == 400 and response.json()["purposes"]


def test_access_log_is_append_only_in_the_database(customs_api, company):
    customs_api.get(file_url(company))
    row = Consultation.objects.get()
    for sql in (
        "UPDATE sharing_consultation SET reference = 'x'",
        "DELETE FROM sharing_consultation",
    ):
        with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    row.refresh_from_db()
    assert row.reference == "许可〔2026〕1号"


def test_access_log_readers(customs, customs_api, court, company, carol):
    customs_api.get(file_url(company))
    court_client = api_client_for(court, "clerk", "court-file-clerk")
    court_client.get(file_url(company))
    admin = api_client_for(customs, "admin", "customs-admin-api")
    rows = admin.get(f"/api/v1/access-log/?subject={company.identifier}").json()["results"]
    assert [r["username"] for r in rows] == [customs_api.user.username]
    assert customs_api.get("/api/v1/access-log/").status_code == 403


def test_access_log_command(customs_api, company, capsys):
    customs_api.get(file_url(company))
    call_command("access_log", company.identifier)
    out = capsys.readouterr().out
    assert customs_api.user.username in out and "administrative_licensing" in out


def test_admin_page_with_non_public_data_is_logged(client, samr, items, company_records):
    clerk = f.user("samr-admin-viewer", samr, "clerk")
    client.force_login(clerk)
    record = company_records["government"]
    assert client.get(f"/admin/registry/creditrecord/{record.pk}/change/").status_code == 200
    row = Consultation.objects.get()
    assert row.channel == "admin" and row.subject == record.subject


def test_unusual_use_flagged_once(customs, company):
    heavy = f.user("heavy", customs)
    peers = [f.user(f"peer{i}", customs) for i in range(3)]
    subjects = [f.subject() for _ in range(60)]
    for s in subjects:
        services.consultation_log(user=heavy, channel="file", subject=s, reference="")
    for peer in peers:
        services.consultation_log(user=peer, channel="file", subject=company, reference="案1")
    today = datetime.date.today()
    assert services.usage_flags_detect(day=today) == 2
    assert services.usage_flags_detect(day=today) == 0
    kinds = set(UsageFlag.objects.filter(user=heavy).values_list("kind", flat=True))
    assert kinds == {"volume", "no_reference"}
    assert not UsageFlag.objects.filter(user__in=peers).exists()
