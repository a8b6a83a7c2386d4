"""API contract (issue 10): schemathesis over the whole OpenAPI schema with all its checks,
in process (WSGI), authenticated as a list-owning agency and as an implementing agency.
A reliability suite (make reliability): it generates thousands of requests.

Every failure is one operation whose responses break the published contract (an
undocumented status, a body that does not match its schema, a valid request refused or an
invalid one accepted)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

# Not scs.wsgi: importing it would set the web statement timeout for every child process.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
# The token of the caller under test; set by the test, read by the auth provider below.
CALLER_TOKEN: dict[str, str] = {}


@schema.auth()
class AgencyToken:
    """The schema's tokenAuth scheme, supplied as schemathesis auth (not as extra headers), so
    that its negative cases ("Missing `Authorization`") really go without a token and its
    ignored-auth check can tell a refused token from an accepted one."""

    def get(self, case, context):
        # Cases drawn from schema examples are built at collection, before any token exists;
        # the test puts the caller's real token in place of this one before sending.
        return CALLER_TOKEN.get("key", "not-yet-issued")

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@pytest.fixture
def tokens():
    from knox.models import AuthToken

    from tests import factories as f

    court = f.agency("法院", personal_ids=True)
    caac = f.agency("民航局", personal_ids=True)
    out = {}
    for name, agency in (("owner", court), ("implementer", caac)):
        user = f.user(f"api-{name}", agency, "clerk", is_system=True)
        out[name] = AuthToken.objects.create(user=user)[1]
    f.list_definition(court)
    return out


@pytest.mark.parametrize("caller", ["owner", "implementer"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_its_contract(case, caller, tokens, record_property):
    CALLER_TOKEN["key"] = tokens[caller]
    if case.headers and "Authorization" in case.headers:  # absent: a missing-token case
        case.headers["Authorization"] = f"Token {tokens[caller]}"
    try:
        case.call_and_validate()
    except Exception as exc:
        log = os.environ.get("SCHEMATHESIS_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(f"=== {caller} {case.operation.label}\n{exc}\n")
        raise
