"""API contract (issue 10): schemathesis over the whole OpenAPI schema with all its checks,
in process (WSGI), authenticated as a list-owning agency and as an implementing agency.
A reliability suite (make reliability): it generates thousands of requests.

Every failure is one operation whose responses break the published contract (an
undocumented status, a body that does not match its schema, a valid request refused or an
invalid one accepted). The schema is fetched inside the test database, after the scene
(tests/contract/scene.py) is built: closed vocabularies kept as data (purposes, catalogue
items, lists, grounds, tiers) are enums read from the database when the schema is generated.

test_contract_summary, last, prints the figure of the reliability table: operations, callers,
requests sent and failing operations (it fails if any operation failed)."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from tests.contract import scene

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CALLERS = ["owner", "implementer"]
# Bookkeeping for test_contract_summary: requests sent per caller, failing operations.
SENT: Counter[str] = Counter()
OPERATIONS: dict[str, set[str]] = {caller: set() for caller in CALLERS}
FAILED: set[tuple[str, str]] = set()
# The token of the caller under test; set by the test, read by the auth provider below.
CALLER_TOKEN: dict[str, str] = {}


class AgencyToken:
    """The schema's tokenAuth scheme, supplied as schemathesis auth (not as extra headers), so
    that its negative cases ("Missing `Authorization`") really go without a token and its
    ignored-auth check can tell a refused token from an accepted one."""

    def get(self, case, context):
        return CALLER_TOKEN["key"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@pytest.fixture(params=CALLERS)
def caller(request) -> str:
    return request.param


@pytest.fixture
def contract_tokens():
    return scene.build()


@pytest.fixture
def api_schema(contract_tokens, caller):
    CALLER_TOKEN["key"] = contract_tokens[caller]
    # Not scs.wsgi: importing it would set the web statement timeout for every child process.
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    schema.auth()(AgencyToken)
    return schema


lazy_schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("SCHEMATHESIS_INCLUDE"):  # a path regex, to iterate on a few operations
    lazy_schema = lazy_schema.include(path_regex=os.environ["SCHEMATHESIS_INCLUDE"])


@pytest.mark.usefixtures("caller")
@lazy_schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_its_contract(case, caller, contract_tokens):
    if case.headers and "Authorization" in case.headers:  # absent: a missing-token case
        case.headers["Authorization"] = f"Token {contract_tokens[caller]}"
    label = case.operation.label
    OPERATIONS[caller].add(label)
    SENT[caller] += 1
    try:
        case.call_and_validate()
    except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
        FAILED.add((caller, label))
        log = os.environ.get("SCHEMATHESIS_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"=== {caller} {label}\n{exc}\n")
        raise


def test_contract_summary(record_property):
    """The reliability table's row: attempts = requests sent, failures = failing
    (caller, operation) pairs. Run after the contract tests (file order)."""
    operations = len(set().union(*OPERATIONS.values()))
    if not operations:
        pytest.skip("the contract tests did not run")
    requests = sum(SENT.values())
    record_property("attempts", requests)
    record_property("failures", len(FAILED))
    record_property(
        "figure",
        f"{operations} operations x {len(CALLERS)} callers, {requests} requests, "
        f"{len(FAILED)} failing",
    )
    assert not FAILED, sorted(FAILED)
