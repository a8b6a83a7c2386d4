"""The agency API: feed, restrictions, screening, feedback, and scoping between agencies."""

import pytest

from sanctions.models import Sanction, SanctionFeedback
from sanctions.selectors import encode_cursor
from tests import factories as f
from tests.conftest import api_client_for
from tests.sanctions.conftest import drain, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(scene, company, person):
    f.role(company, person)
    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    return entry


@pytest.fixture
def railway_api(railway):
    return api_client_for(railway)


def test_feed_is_scoped_to_the_callers_measures(listed, caac_api, railway_api, customs_api):
    caac = caac_api.get("/api/v1/sanctions/feed/").json()["events"]
    assert sorted(e["measure"] for e in caac) == ["M01", "M03"]
    railway = railway_api.get("/api/v1/sanctions/feed/").json()["events"]
    assert [e["measure"] for e in railway] == ["M02"]
    assert customs_api.get("/api/v1/sanctions/feed/").json()["events"] == []


def test_feed_pages_with_an_opaque_cursor(listed, caac_api):
    first = caac_api.get("/api/v1/sanctions/feed/", {"limit": 1}).json()
    assert first["has_more"] is True and len(first["events"]) == 1
    second = caac_api.get("/api/v1/sanctions/feed/", {"after": first["next"], "limit": 1}).json()
    assert second["events"][0]["event_id"] > first["events"][0]["event_id"]
    assert second["has_more"] is False
    empty = caac_api.get("/api/v1/sanctions/feed/", {"after": second["next"]}).json()
    assert empty["events"] == [] and empty["next"] == second["next"]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "abc"}, {"limit": "٣"}])
def test_feed_rejects_bad_parameters_with_400(caac_api, params):
    response = caac_api.get("/api/v1/sanctions/feed/", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"limit"}


def test_feed_cursor_it_did_not_issue_is_404(caac_api):
    """Like DRF's cursor pagination: an opaque cursor this feed never issued names no page."""
    response = caac_api.get("/api/v1/sanctions/feed/", {"after": "garbage"})
    assert response.status_code == 404
    assert set(response.json()["errors"]) == {"after"}


def test_feed_needs_an_agency_token(anonymous):
    assert anonymous.get("/api/v1/sanctions/feed/").status_code == 401


def test_restrictions_carry_provenance(listed, caac_api, company):
    body = caac_api.get(f"/api/v1/subjects/{company.identifier}/restrictions/").json()
    (item,) = body["restrictions"]
    prov = item["provenance"]
    assert prov["measure"]["code"] == "M01"
    assert prov["measure"]["legal_basis"]
    assert prov["memorandum"]["document_number"].startswith("发改财金")
    assert prov["list_entry"]["id"] == listed.pk
    assert prov["list_entry"]["ground_legal_basis"]
    assert prov["source_decision"]["number"] == listed.decision_number


def test_restrictions_on_the_legal_representative_name_the_listed_company(
    listed, caac_api, company, person
):
    body = caac_api.get(f"/api/v1/subjects/{person.identifier}/restrictions/").json()
    (item,) = body["restrictions"]
    assert item["target"] == person.identifier
    assert item["provenance"]["list_entry"]["listed_subject"] == company.identifier
    assert item["provenance"]["measure"]["target_basis"]


def test_restrictions_scoped_and_validated(listed, customs_api, caac_api, company):
    assert (
        customs_api.get(f"/api/v1/subjects/{company.identifier}/restrictions/").json()[
            "restrictions"
        ]
        == []
    )
    bad = caac_api.get(f"/api/v1/subjects/{company.identifier}/restrictions/", {"as_of": "x"})
    assert bad.status_code == 400 and "as_of" in bad.json()["errors"]
    past = caac_api.get(
        f"/api/v1/subjects/{company.identifier}/restrictions/", {"as_of": "2020-01-01"}
    ).json()
    assert past["restrictions"] == []


def test_screening_reports_each_item(listed, caac_api, company):
    unknown = f.uscc()
    response = caac_api.post(
        "/api/v1/screenings/",
        {"identifiers": [company.identifier.lower(), unknown, "123", ""]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["identifier"] == company.identifier and results[0]["known"] is True
    assert [m["measure"] for m in results[0]["measures"]] == ["M01"]
    assert results[1] == {
        "input": unknown,
        "valid": True,
        "identifier": unknown,
        "scheme": "uscc",
        "known": False,
        "measures": [],
    }
    # In the caller's language: "must be 18 characters".
    assert results[2]["valid"] is False and "应为 18 位" in results[2]["error"]
    assert results[3]["valid"] is False


def test_screening_ten_thousand_identifiers_in_one_request(
    listed, caac_api, company, django_assert_max_num_queries
):
    codes = [f.uscc(n) for n in range(100_000, 109_999)] + [company.identifier]
    with django_assert_max_num_queries(8):
        response = caac_api.post("/api/v1/screenings/", {"identifiers": codes}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10_000
    hits = [r for r in body["results"] if r.get("measures")]
    assert [r["identifier"] for r in hits] == [company.identifier]


def test_screening_limits_and_shape(caac_api):
    too_many = caac_api.post("/api/v1/screenings/", {"identifiers": ["x"] * 10_001}, format="json")
    assert too_many.status_code == 400 and "identifiers" in too_many.json()["errors"]
    empty = caac_api.post("/api/v1/screenings/", {"identifiers": []}, format="json")
    assert empty.status_code == 400


def test_feedback_by_the_implementing_agency_only(listed, caac_api, railway_api, customs_api):
    caac_sanction = Sanction.objects.get(measure__code="M01")
    railway_sanction = Sanction.objects.get(measure__code="M02")
    url = f"/api/v1/sanctions/{caac_sanction.pk}/feedback/"
    assert customs_api.post(url, {"outcome": "applied"}, format="json").status_code == 404
    ok = caac_api.post(url, {"outcome": "applied"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert ok.status_code == 201
    replay = caac_api.post(url, {"outcome": "applied"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.json() == ok.json() and replay["Idempotent-Replayed"] == "true"
    assert SanctionFeedback.objects.count() == 1
    # A mandatory measure cannot be declined; a discretionary one can, with a reason.
    refused = caac_api.post(url, {"outcome": "declined", "reason": "x"}, format="json")
    assert refused.status_code == 400 and "outcome" in refused.json()["errors"]
    rail_url = f"/api/v1/sanctions/{railway_sanction.pk}/feedback/"
    no_reason = railway_api.post(rail_url, {"outcome": "declined"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    declined = railway_api.post(
        rail_url, {"outcome": "declined", "reason": "车票已于名单发布前售出"}, format="json"
    )
    assert declined.status_code == 201
    bad = railway_api.post(rail_url, {"outcome": "maybe"}, format="json")
    assert bad.status_code == 400


def test_cursor_is_opaque_but_stable(caac_api):
    cursor = encode_cursor(41)
    assert "41" not in cursor
    response = caac_api.get("/api/v1/sanctions/feed/", {"after": cursor})
    assert response.status_code == 200


def test_screening_is_throttled_per_token(caac_api, customs_api, monkeypatch):
    from django.core.cache import cache

    from scs.api import TokenRateThrottle

    cache.clear()
    monkeypatch.setattr(
        TokenRateThrottle, "THROTTLE_RATES", {"token": "1000/min", "screening": "2/min"}
    )
    body = {"identifiers": [f.uscc()]}
    codes = [
        caac_api.post("/api/v1/screenings/", body, format="json").status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    # Another agency's token has its own allowance; other endpoints use the general rate.
    assert customs_api.post("/api/v1/screenings/", body, format="json").status_code == 200
    assert caac_api.get("/api/v1/sanctions/feed/").status_code == 200


def test_screening_reads_identifiers_as_they_circulate(listed, caac_api, company, person):
    """Issue 8: a 15-digit first-generation ID returns the same restrictions as its 18-digit
    form and says it was upgraded; an organisation code (with hyphen) and a former business
    registration number report the current USCC; a spreadsheet-mangled code says so."""
    from registry.models import FormerIdentifier

    FormerIdentifier.objects.create(
        subject=company, scheme="business_registration", value="330100000012345"
    )
    fifteen = person.identifier[:6] + person.identifier[8:17]
    org_code = company.identifier[8:16] + "-" + company.identifier[16]
    inputs = [person.identifier, fifteen, org_code, "330100000012345", "1.10105E+17"]
    results = caac_api.post(
        "/api/v1/screenings/", {"identifiers": inputs}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN"
    ).json()["results"]
    full, upgraded, by_org, by_former, mangled = results
    assert full["measures"], "the legal representative is restricted"
    assert upgraded["identifier"] == person.identifier
    assert upgraded["upgraded_from_15_digits"] is True
    assert [m["sanction_id"] for m in upgraded["measures"]] == [
        m["sanction_id"] for m in full["measures"]
    ]
    assert by_org["identifier"] == company.identifier
    assert by_org["matched_by"] == "organisation_code" and by_org["measures"]
    assert by_former["identifier"] == company.identifier
    assert by_former["matched_by"] == "business_registration"
    assert mangled["valid"] is False
    # In the caller's language; never a "correct" check character for a mangled code.
    assert "电子表格把该代码变成了数字（1.10105E+17）" in mangled["error"]
    assert "校验码" not in mangled["error"]


def test_restrictions_by_a_fifteen_digit_id(listed, caac_api, person):
    full = caac_api.get(f"/api/v1/subjects/{person.identifier}/restrictions/").json()
    cut = person.identifier[:6] + person.identifier[8:17]
    upgraded = caac_api.get(f"/api/v1/subjects/{cut}/restrictions/").json()
    assert upgraded["restrictions"] == full["restrictions"] and full["restrictions"]
    assert "identifier_upgraded_from" in upgraded
