"""pytest plugin for `make reliability`: one table at the end,
`suite | attempts | failures | figure | PASS/FAIL`, a row per suite.

A test names its figures with record_property("figure" | "attempts" | "failures", value);
without them a test counts as one attempt (failed or not)."""

from __future__ import annotations

from collections import OrderedDict

import pytest

SUITES = [
    ("test_failures.py::test_worker_killed", "faults: kill -9 workers mid-propagation"),
    ("test_failures.py::test_redis_outage", "faults: Redis stopped"),
    ("test_database_faults.py::test_postgresql_stopped", "faults: PostgreSQL stopped"),
    ("test_database_faults.py::test_black_holed", "faults: black-hole database"),
    # One row from the summary test (requests sent, failing operations); the per-operation
    # reports of the same file are left out of the table (None), their failures are counted
    # by the summary.
    ("test_schemathesis.py::test_contract_summary", "schemathesis: API contract, all checks"),
    ("test_schemathesis.py", None),
    ("test_permission_matrix.py", "permission matrix (fixed cast)"),
    ("test_security.py", "abuse: sign-in lockout"),
    ("test_ratelimits.py", "abuse: throttles and proxy spoofing"),
    ("test_load.py", "load: realistic mix stepped up, highest rate held (locust)"),
]

_rows: OrderedDict[str, dict] = OrderedDict()


def _suite(nodeid: str) -> str | None:
    for pattern, name in SUITES:
        if pattern in nodeid:
            return name
    return nodeid.split("::")[0]


def pytest_runtest_logreport(report):
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    suite = _suite(report.nodeid)
    if suite is None:
        return
    props = dict(report.user_properties)
    row = _rows.setdefault(suite, {"attempts": 0, "failures": 0, "figures": [], "skipped": 0})
    if report.skipped:
        row["skipped"] += 1
        return
    row["attempts"] += int(props.get("attempts", 1))
    row["failures"] += int(props.get("failures", 0 if report.passed else 1))
    if report.failed and "failures" in props and props["failures"] == 0:
        row["failures"] += 1
    if "figure" in props:
        row["figures"].append(str(props["figure"]))


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    if not _rows:
        return
    lines = ["suite | attempts | failures | figure | PASS/FAIL"]
    for name, row in _rows.items():
        if row["attempts"] == 0 and row["failures"] == 0:
            verdict, figure = "SKIP", f"{row['skipped']} skipped"
        else:
            verdict = "PASS" if row["failures"] == 0 else "FAIL"
            figure = "; ".join(row["figures"]) or "-"
        lines.append(f"{name} | {row['attempts']} | {row['failures']} | {figure} | {verdict}")
    terminalreporter.write_sep("=", "reliability")
    for line in lines:
        terminalreporter.write_line(line)
