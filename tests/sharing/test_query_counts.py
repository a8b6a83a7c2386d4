"""Hot paths keep a constant number of queries whatever the subject holds or the batch size."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.sharing.conftest import file_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("records", [1, 12])
def test_file_queries_do_not_grow(
    customs_api, samr_clerk, items, company, records, django_assert_max_num_queries
):
    for n in range(records):
        for item in items.values():
            file_record(samr_clerk, item, company, f"Q-{item.code}-{n}")
    url = f"/api/v1/subjects/{company.identifier}/file/?purpose=enforcement&reference=r"
    # Token, the subject with the purpose, the file (records with their grants, entries,
    # measures and commitments in one SELECT), the log row.
    with django_assert_max_num_queries(4):
        response = customs_api.get(url)
    assert len(response.json()["records"]) == 2 * records


@pytest.mark.parametrize("size", [5, 200])
def test_credit_check_queries_do_not_grow(customs_api, size, django_assert_max_num_queries):
    codes = [f.subject().identifier for _ in range(size)]
    # Token, purpose, subjects, entries, measures, penalties, commitments (issue 13), the log
    # rows (one INSERT).
    with django_assert_max_num_queries(8):
        response = customs_api.post(
            "/api/v1/credit-checks/",
            {"purpose": "enforcement", "reference": "r", "identifiers": codes},
            format="json",
        )
    assert len(response.json()["results"]) == size
