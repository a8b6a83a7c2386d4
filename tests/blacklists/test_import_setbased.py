"""Set-based import validation (issue 10): the queries of a dry run do not grow with the rows,
and duplicates (within the file or of entries already held) are still named by row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blacklists.importing import DUPLICATE, import_entries
from blacklists.models import ListEntry
from tests import factories as f
from tests.blacklists.test_import import as_csv, row

pytestmark = pytest.mark.django_db


def dry_run_queries(actor, rows) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = import_entries(actor=actor, content=as_csv(rows), filename="b.csv", dry_run=True)
    assert result.errors == []
    return len(queries)


def test_dry_run_queries_do_not_grow_with_rows(court_list, alice):
    subjects = [f.subject("enterprise") for _ in range(8)]
    two = dry_run_queries(alice, [row(court_list, s) for s in subjects[:2]])
    eight = dry_run_queries(alice, [row(court_list, s) for s in subjects])
    assert two == eight
    assert eight <= 8  # savepoint, lists, grounds, tiers, subjects, held entries
    assert not ListEntry.objects.exists()


def test_duplicates_in_the_file_and_of_held_entries_are_named(court_list, alice):
    a, b = f.subject("enterprise"), f.subject("enterprise")
    held = import_entries(
        actor=alice, content=as_csv([row(court_list, a)]), filename="a.csv", dry_run=False
    )
    assert held.committed
    rows = [row(court_list, a), row(court_list, b), row(court_list, b), row(court_list, b)]
    rows[3]["decision_number"] = "（2026）浙01执另1号"
    result = import_entries(actor=alice, content=as_csv(rows), filename="b.csv", dry_run=False)
    assert [(e.row, e.field, e.message) for e in result.errors] == [
        (2, "decision_number", DUPLICATE),
        (4, "decision_number", DUPLICATE),
    ]
    assert ListEntry.objects.count() == 1
