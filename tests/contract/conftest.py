"""schemathesis' lazy (fixture-loaded) schemas read and rename `item._nodeid`, which pytest 9
no longer has (it keeps `_id`): give the contract tests the attribute so that they run."""

from __future__ import annotations


def pytest_collection_modifyitems(items):
    for item in items:
        if not hasattr(item, "_nodeid"):
            item._nodeid = item.nodeid
