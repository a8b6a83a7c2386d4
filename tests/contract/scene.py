"""The data the API contract suite runs against: a list-owning agency (a court with one list)
and an implementing agency (CAAC, which implements a measure triggered by that list), each with
an unattended system token, plus what makes the read endpoints answer with real bodies: a
published entry and its sanction, a credit record, a catalogue item, the purposes.

Used by tests/contract/test_schemathesis.py (inside its transactional test database) and
callable from a shell on a scratch database to iterate on the contract with the schemathesis
CLI."""

from __future__ import annotations

import datetime
import importlib

from django.apps import apps


def build() -> dict[str, str]:
    """Create the scene; returns {"owner": token, "implementer": token} (knox keys)."""
    from knox.models import AuthToken

    from registry import services as registry_services
    from registry.models import CatalogueItem
    from tests import factories as f
    from tests.sanctions.conftest import drain, publish

    # Transactional tests flush every table, data migrations' rows included: reload them.
    importlib.import_module("sharing.migrations.0002_default_purposes").forwards(apps, None)

    court = f.agency("法院", personal_ids=True)
    caac = f.agency("民航局", personal_ids=True)
    tokens = {}
    for name, agency in (("owner", court), ("implementer", caac)):
        user = f.user(f"api-{name}", agency, "clerk", is_system=True)
        tokens[name] = AuthToken.objects.create(user=user)[1]
    court_list = f.list_definition(court)
    f.memorandum(
        [court_list], [court, caac], [{"code": "M01", "text": "限制乘坐民用航空器", "agency": caac}]
    )
    clerk = f.user("contract-clerk", court, "clerk")
    reviewer = f.user("contract-reviewer", court, "reviewer")
    company = f.subject("enterprise", name="杭州恒信电子科技有限公司")
    person = f.subject("natural_person", name="张三")
    publish(court_list, company, clerk, reviewer)
    drain()
    item = CatalogueItem.objects.create(
        code="N-001",
        name="行政处罚信息",
        category="negative",
        visibility="public",
        record_type="administrative_penalty",
        supplying_agency=court,
        legal_basis="《行政处罚法》第四十八条",
        publicity_months=12,
        min_publicity_months=3,
        requires_review=False,
    )
    registry_services.credit_record_create(
        actor=clerk,
        data=registry_services.RecordInput(
            subject=person,
            catalogue_item=item,
            decision_number="（2026）法罚字第1号",
            decision_date=datetime.date(2026, 3, 2),
            content="逾期未履行生效判决。",
            severity="ordinary",
            penalty_kind="罚款",
        ),
    )
    return tokens
