"""Registration facts (GSXT's 登记信息): stored, changed with a history, returned by the API
subject detail, shown on the public page; natural persons have none."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry import services
from registry.models import FormerName, RegistrationChange
from tests import factories as f

pytestmark = pytest.mark.django_db

FACTS = {
    "legal_representative_name": "王建国",
    "registered_capital": "500.0000",
    "company_type": "有限责任公司（自然人投资或控股）",
    "business_term_from": "2019-03-12",
    "business_term_until": None,
    "address": "浙江省杭州市滨江区长河街道江南大道３８８号",
    "business_scope": "一般项目：技术服务、技术开发；软件开发。",
}


def test_registrar_registers_facts_and_the_detail_returns_them(registrar_api, caac_api):
    from tests.registry.test_api import valid_payload

    payload = valid_payload(**FACTS)
    created = registrar_api.post("/api/v1/subjects/", payload, format="json")
    assert created.status_code == 201, created.json()
    body = caac_api.get(f"/api/v1/subjects/{payload['identifier']}/").json()
    assert body["legal_representative_name"] == "王建国"
    assert Decimal(body["registered_capital"]) == Decimal("500")
    assert body["company_type"] == FACTS["company_type"]
    assert body["business_term"] == {"start": "2019-03-12", "until": None}
    assert body["address"] == FACTS["address"]
    assert body["business_scope"] == FACTS["business_scope"]
    assert body["registration_authority"]  # the registrar's own name
    assert body["changes"] == []


def test_negative_capital_and_facts_of_a_natural_person_are_field_errors(registrar_api):
    from tests.registry.test_api import valid_payload

    bad = registrar_api.post(
        "/api/v1/subjects/", valid_payload(registered_capital="-1"), format="json"
    )
    assert bad.status_code == 400 and "registered_capital" in bad.json()["errors"]
    person = valid_payload(
        kind="natural_person", identifier=f.resident_id(), name="张三", roles=[],
        former_names=[], legal_representative_name="张三",
    )  # fmt: skip
    response = registrar_api.post("/api/v1/subjects/", person, format="json")
    assert response.status_code == 400
    assert "legal_representative_name" in response.json()["errors"]


def test_a_change_of_facts_is_recorded_with_before_and_after(samr, caac_api, company):
    registrar = f.user("reggie", samr, "clerk")
    services.subject_facts_change(
        actor=registrar, subject=company, changed_on=datetime.date(2025, 6, 1),
        legal_representative_name="李明", address="杭州市西湖区文三路1号",
    )  # fmt: skip
    changes = services.subject_facts_change(
        actor=registrar, subject=company, changed_on=datetime.date(2026, 2, 1),
        legal_representative_name="赵强", address="杭州市西湖区文三路1号",
        name="杭州恒信智能科技有限公司",
    )  # fmt: skip
    assert {c.item for c in changes} == {"legal_representative", "name"}  # address unchanged
    company.refresh_from_db()
    assert company.legal_representative_name == "赵强"
    assert FormerName.objects.filter(subject=company, name="杭州恒信电子科技有限公司").exists()
    body = caac_api.get(f"/api/v1/subjects/{company.identifier}/").json()
    assert body["changes"][0]["changed_on"] == "2026-02-01"
    rep = next(c for c in body["changes"] if c["item"] == "legal_representative")
    assert (rep["before"], rep["after"]) == ("李明", "赵强")
    # The audit history names the registrar.
    event = RegistrationChange.objects.filter(subject=company).first().events.first()
    assert event.pgh_context.metadata["username"] == "reggie"


def test_only_registration_authorities_change_facts(court, company, person):
    clerk = f.user("cathy", court, "clerk")
    with pytest.raises(PermissionDenied):
        services.subject_facts_change(
            actor=clerk, subject=company, changed_on=datetime.date(2026, 1, 1), address="x"
        )
    registrar = f.user("rita", f.agency("登记机关", registrar=True), "clerk")
    with pytest.raises(ValidationError):
        services.subject_facts_change(
            actor=registrar, subject=person, changed_on=datetime.date(2026, 1, 1), address="x"
        )


def test_demo_business_term_of_a_company_founded_on_29_february():
    """seed_demo at 3 000 subjects met one: a 10-year term from 2024-02-29 ends 2034-02-28."""
    from registry.demo import registration_facts

    founded = datetime.date(2024, 2, 29)
    terms = {
        registration_facts(n, "enterprise", "杭州某某科技有限公司", "杭州市", founded)[
            "business_term_until"
        ]
        for n in range(60)
    }
    ends = sorted(t for t in terms if t is not None)
    assert ends and all(t.month == 2 and t.day in (28, 29) for t in ends)
    assert {t.year - 2024 for t in ends} <= {10, 20, 30, 50}
