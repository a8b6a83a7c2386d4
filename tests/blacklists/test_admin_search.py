"""Searching the admin's big changelists through the one subject search
(registry.selectors.subject_search_filter): the same entries whether few subjects match
(their ids) or a boilerplate fragment matches more than CANDIDATE_CAP (tested per row), and
a page whose query count does not grow with the rows shown."""

from __future__ import annotations

import pytest

from registry import selectors as registry_selectors
from registry.models import FormerName
from tests import factories as f
from tests.blacklists.conftest import draft

pytestmark = pytest.mark.django_db

BASE = "/admin/blacklists/listentry/"


@pytest.fixture
def entries(court_list, alice):
    """Entries of the court's list for names typed every way they circulate."""
    made = {}
    for name in [
        "杭州恒信电子有限公司",
        "北京恒信科技股份有限公司",
        "深圳市华锐达贸易有限责任公司",
        "Huawei Technologies Co Ltd",
    ]:
        made[name] = draft(court_list, f.subject("enterprise", name=name), alice)
    renamed = f.subject("enterprise", name="宁波新名商贸有限公司")
    FormerName.objects.create(
        subject=renamed, name="宁波旧號商贸有限公司", valid_until="2020-01-01"
    )
    made["former"] = draft(court_list, renamed, alice)
    return made


def shown(client, query: str) -> set[int]:
    response = client.get(BASE, {"q": query})
    assert response.status_code == 200
    return {e.pk for e in response.context["cl"].result_list}


QUERIES = {
    "恒信": {"杭州恒信电子有限公司", "北京恒信科技股份有限公司"},
    "有限公司": {"杭州恒信电子有限公司", "北京恒信科技股份有限公司", "former"},
    "有限责任": {"深圳市华锐达贸易有限责任公司"},
    "恆信　電子": {"杭州恒信电子有限公司"},  # traditional, ideographic space, two terms
    "（恒信）": set(),
    "旧号": {"former"},  # a former name, typed in simplified characters
    "huawei tech": {"Huawei Technologies Co Ltd"},
    "華為": set(),
    "100%": set(),
}


@pytest.mark.parametrize("cap", [200, 1], ids=["ids", "per-row"])
def test_entry_search_is_the_same_below_and_above_the_cap(client, alice, entries, monkeypatch, cap):
    """Below the cap the matching subjects' ids filter the entries; above it (a boilerplate
    fragment) the name match is tested per entry. The entries found must not differ."""
    monkeypatch.setattr(registry_selectors, "CANDIDATE_CAP", cap)
    client.force_login(alice)
    for query, names in QUERIES.items():
        assert shown(client, query) == {entries[n].pk for n in names}, query


def test_entry_search_by_identifier_and_decision_number(client, alice, entries):
    client.force_login(alice)
    entry = entries["杭州恒信电子有限公司"]
    assert shown(client, entry.subject.identifier) == {entry.pk}
    assert shown(client, entry.subject.identifier.lower()) == {entry.pk}
    assert shown(client, entry.decision_number) >= {entry.pk}


def test_entry_search_page_query_count_does_not_grow(
    client, alice, court_list, django_assert_max_num_queries
):
    """A search page costs the same number of queries for 3 entries as for 40 (no query per
    row: subjects, lists and tiers come with the page)."""
    client.force_login(alice)
    for i in range(3):
        draft(court_list, f.subject("enterprise", name=f"温州恒信{i}号有限公司"), alice)
    with django_assert_max_num_queries(30) as few:
        client.get(BASE, {"q": "恒信"})
    for i in range(3, 40):
        draft(court_list, f.subject("enterprise", name=f"温州恒信{i}号有限公司"), alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(BASE, {"q": "恒信"})
    assert len(response.context["cl"].result_list) == 40
