"""Collection API: catalogue, one record, bulk, corrections, withdrawals, late records."""

from __future__ import annotations

import datetime
import json

import pytest

from registry.models import CreditRecord
from tests.conftest import api_client_for
from tests.sharing.conftest import make_item

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def body(subject, number="杭市监罚〔2026〕7号", **kw) -> dict:
    values = {
        "subject_identifier": subject.identifier,
        "catalogue_item": "N-001",
        "decision_number": number,
        "decision_date": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "content": "发布虚假广告，罚款人民币五千元。",
        "legal_basis": "《广告法》第五十五条",
        "penalty": {"kind": "罚款", "amount_yuan": "5,000.00", "severity": "ordinary"},
    }
    values.update(kw)
    return values


def test_catalogue_lists_items_with_periods_and_suppliers(samr_api, items, samr):
    response = samr_api.get("/api/v1/catalogue/")
    assert response.status_code == 200
    by_code = {row["code"]: row for row in response.json()}
    assert by_code["R-201"]["visibility"] == "restricted"
    assert by_code["N-001"]["supplying_agencies"] == [samr.identifier]
    assert by_code["N-001"]["min_publicity_months"] == 3


def test_post_record_then_resend_is_unchanged_and_other_body_is_409(samr_api, items, company):
    first = samr_api.post("/api/v1/credit-records/", body(company), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["penalty"]["amount_yuan"] == "5000.00"
    assert first.json()["on_time"] is True
    again = samr_api.post("/api/v1/credit-records/", body(company), format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = samr_api.post(
        "/api/v1/credit-records/", body(company, content="罚款一万元。"), format="json"
    )
    assert other.status_code == 409
    assert other.json()["correct"] == f"/api/v1/credit-records/{first.json()['id']}/correct/"
    assert "content" in other.json()["errors"]
    assert CreditRecord.objects.count() == 1


def test_non_supplier_cannot_submit(customs_api, items, company):
    response = customs_api.post("/api/v1/credit-records/", body(company), format="json")
    assert response.status_code == 403
    assert not CreditRecord.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject_identifier": "91330100MA2XXXX"}, "subject_identifier"),
        ({"decision_date": "2026/13/01"}, "decision_date"),
        ({"catalogue_item": "NOPE"}, "catalogue_item"),
        ({"blood_type": "A"}, "blood_type"),  # forbidden data has no field to go in
        ({"content": "当事人宗教信仰……"}, "content"),
        ({"penalty": {"kind": "罚款", "amount_yuan": "-5", "severity": "ordinary"}}, "penalty"),
        ({"penalty": {"kind": "罚款", "severity": "extreme"}}, "penalty.severity"),
        # Any JSON value where a code belongs (a 500 schemathesis found: a list is unhashable).
        ({"penalty": {"kind": "罚款", "severity": ["serious"]}}, "penalty.severity"),
        ({"decision_number": "\x00"}, "decision_number"),
    ],
)
def test_bad_input_is_a_field_error(samr_api, items, company, change, field):
    response = samr_api.post("/api/v1/credit-records/", body(company, **change), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(key.startswith(field) for key in errors), errors


def test_well_formed_identifier_naming_no_subject_is_404(samr_api, items, company):
    """The contract (issue 10): a code of the right shape that names nothing registered (here
    a wrong check character) is a 404 naming the field, not a 400."""
    change = {"subject_identifier": "91330100MA2XXXXXX0"}
    response = samr_api.post("/api/v1/credit-records/", body(company, **change), format="json")
    assert response.status_code == 404, response.content
    assert set(response.json()["errors"]) == {"subject_identifier"}


def test_full_width_identifier_is_normalised(samr_api, items, company):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in company.identifier)
    response = samr_api.post(
        "/api/v1/credit-records/", body(company, subject_identifier=full_width), format="json"
    )
    assert response.status_code == 201


def test_bulk_json_lines_with_per_row_outcomes(samr_api, items, company, person):
    rows = [body(company, f"bulk-{i}") for i in range(3)]
    rows.append(body(person, "bulk-x", decision_date="not a date"))
    rows.append(body(company, "bulk-0"))  # same as row 1
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    url = "/api/v1/credit-records/bulk/"
    dry = samr_api.generic("POST", url + "?dry_run=true", payload, "application/x-ndjson")
    assert dry.status_code == 200 and dry.json()["written"] is False
    assert not CreditRecord.objects.exists()
    response = samr_api.generic("POST", url, payload, "application/x-ndjson")
    outcomes = [r["outcome"] for r in response.json()["results"]]
    assert outcomes == ["created", "created", "created", "invalid", "unchanged"]
    assert "decision_date" in response.json()["results"][3]["errors"]
    resent = samr_api.post(url, rows[:3], format="json")
    assert [r["outcome"] for r in resent.json()["results"]] == ["unchanged"] * 3
    assert CreditRecord.objects.count() == 3


def test_bulk_refuses_oversized_and_non_json_bodies(samr_api, items):
    url = "/api/v1/credit-records/bulk/"
    assert samr_api.generic("POST", url, b"\xff\xfe", "application/json").status_code == 400
    assert samr_api.post(url, {"a": 1}, format="json").status_code == 400
    big = [{}] * 10_001
    assert samr_api.post(url, big, format="json").status_code == 400


def test_correct_and_withdraw_through_the_api(samr_api, items, company):
    created = samr_api.post("/api/v1/credit-records/", body(company), format="json").json()
    url = f"/api/v1/credit-records/{created['id']}/"
    corrected = samr_api.post(
        url + "correct/",
        {
            "reason": "金额笔误",
            "penalty": {"kind": "罚款", "amount_yuan": "3000", "severity": "ordinary"},
        },
        format="json",
    )
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["version"] == 2
    assert corrected.json()["penalty"]["amount_yuan"] == "3000.00"
    assert samr_api.post(url + "correct/", {"content": "x"}, format="json").status_code == 400
    withdrawn = samr_api.post(
        url + "withdraw/",
        {"document_number": "浙政复决〔2026〕3号", "reason": "复议撤销"},
        format="json",
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_other_agency_cannot_correct_or_see_my_records(samr_api, customs_api, items, company):
    created = samr_api.post("/api/v1/credit-records/", body(company), format="json").json()
    url = f"/api/v1/credit-records/{created['id']}/"
    assert customs_api.get(url).status_code == 404
    assert (
        customs_api.post(url + "withdraw/", {"document_number": "x", "reason": "y"}).status_code
        == 404
    )
    assert customs_api.get("/api/v1/credit-records/").json()["results"] == []


def test_late_records_listed_for_their_agency(samr_api, items, company):
    late = body(company, "late-1", decision_date=(TODAY - datetime.timedelta(days=40)).isoformat())
    samr_api.post("/api/v1/credit-records/", late, format="json")
    samr_api.post("/api/v1/credit-records/", body(company, "timely-1"), format="json")
    listed = samr_api.get("/api/v1/credit-records/?late=true").json()["results"]
    assert [r["decision_number"] for r in listed] == ["late-1"]
    assert listed[0]["on_time"] is False


def test_negative_record_needs_reviewer_before_portal(samr, samr_api, company, client):
    make_item(samr, "N-001", "public", requires_review=True)
    created = samr_api.post("/api/v1/credit-records/", body(company), format="json").json()
    assert created["status"] == "pending"
    own_confirm = samr_api.post(f"/api/v1/credit-records/{created['id']}/confirm/")
    assert own_confirm.status_code == 403
    reviewer = api_client_for(samr, "reviewer", "samr-reviewer-api")
    assert reviewer.post(f"/api/v1/credit-records/{created['id']}/confirm/").status_code == 200
    assert CreditRecord.objects.get().status == "confirmed"


def test_stats_show_each_agencys_share_on_time(samr_api, items, company, client):
    from django.core.cache import cache

    old = (TODAY - datetime.timedelta(days=40)).isoformat()
    samr_api.post(
        "/api/v1/credit-records/", body(company, "s-late", decision_date=old), format="json"
    )
    for n in range(3):
        samr_api.post("/api/v1/credit-records/", body(company, f"s-{n}"), format="json")
    cache.clear()
    page = client.get("/stats/").content.decode()
    table = page[page.index('data-testid="timeliness"') :]
    assert "75.0%" in table and "市场监管总局" in table
