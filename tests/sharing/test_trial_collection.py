"""Found by trying the collection API as an agency system would (trial T2): the bulk path
answers in the caller's language, and the list of the agency's records refuses what it would
otherwise silently ignore."""

from __future__ import annotations

import re

import pytest

from tests.sharing.test_collection_api import body

pytestmark = pytest.mark.django_db

ENGLISH = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}")


def test_bulk_duplicate_and_conflict_rows_are_explained_in_chinese(samr_api, items, company):
    first = samr_api.post(
        "/api/v1/credit-records/", body(company, "杭市监罚〔2026〕1号"), format="json"
    )
    assert first.status_code == 201, first.json()
    rows = [
        body(company, "杭市监罚〔2026〕2号"),
        body(company, "杭市监罚〔2026〕2号", content="罚款人民币一万元。"),  # repeats row 1
        body(company, "杭市监罚〔2026〕1号", content="罚款人民币一万元。"),  # conflicts
    ]
    response = samr_api.post(
        "/api/v1/credit-records/bulk/", rows, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created", "invalid", "conflict"]
    for row in results[1:]:
        message = row["errors"]["decision_number"][0]
        assert not ENGLISH.search(message), message
    assert "1" in results[1]["errors"]["decision_number"][0]  # names the row it repeats
    assert "content" in results[2]["errors"]["decision_number"][0]  # names what differs


@pytest.mark.parametrize("query", ["late=maybe", "late=yes", "late=", "lat=true", "bogus=1"])
def test_record_list_refuses_unknown_parameters_and_bad_flags(samr_api, items, query):
    response = samr_api.get(f"/api/v1/credit-records/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]


@pytest.mark.parametrize("query", ["late=true", "late=false", "status=pending", "page_size=5"])
def test_record_list_keeps_its_own_parameters(samr_api, items, query):
    assert samr_api.get(f"/api/v1/credit-records/?{query}").status_code == 200
