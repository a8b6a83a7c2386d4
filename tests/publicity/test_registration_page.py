"""The public subject page, completed: registration facts, change history, the operator of
an individual business, a redlist heading; natural persons unchanged."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from registry import services
from registry.models import Subject
from tests import factories as f
from tests.registry.test_registration_facts import FACTS

pytestmark = pytest.mark.django_db


def test_public_page_shows_facts_and_changes_natural_persons_unchanged(client, scene, samr):
    company = scene["company"]
    Subject.objects.filter(pk=company.pk).update(
        **{k: v for k, v in FACTS.items() if k != "registered_capital"},
        registered_capital=Decimal("500"),
    )
    services.subject_facts_change(
        actor=f.user("reggie", samr, "clerk"), subject=company,
        changed_on=datetime.date(2026, 3, 1), address="杭州市上城区解放路2号",
    )  # fmt: skip
    page = client.get(f"/subjects/{company.identifier}/").content.decode()
    for text in ("法定代表人", "王建国", "注册资本", "500 万元", "有限责任公司（自然人投资或控股）",
                 "营业期限", "2019-03-12", "长期", "经营范围", "软件开发", "变更记录",
                 "杭州市上城区解放路2号"):  # fmt: skip
        assert text in page, text
    person_page = client.get(f"/search/?q={scene['person'].identifier}", follow=True)
    body = person_page.content.decode()
    assert "法定代表人" not in body and "经营范围" not in body


def test_individual_business_shows_its_operator(client, db):
    shop = f.subject("individual_business", name="西湖区老王面馆", legal_representative_name="王五")
    page = client.get(f"/subjects/{shop.identifier}/").content.decode()
    assert "经营者" in page and "王五" in page


def test_redlist_entries_are_not_headed_as_untrustworthy_facts(client, scene):
    page = client.get(f"/subjects/{scene['honoured'].identifier}/").content.decode()
    assert "认定事实" in page and "失信事实" not in page
