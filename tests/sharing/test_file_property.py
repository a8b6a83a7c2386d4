"""Property: for random records, visibility tiers, entitlements and consents, the file returns
exactly what the rule, applied by hand, allows (issue 12)."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.models import CreditRecord
from sharing import selectors
from sharing.models import Consent, Purpose
from tests import factories as f
from tests.sharing.conftest import make_item

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)

record_st = st.tuples(
    st.integers(
        0, 3
    ),  # catalogue item: public, government, restricted (samr), restricted (customs)
    st.sampled_from(["pending", "confirmed", "withdrawn"]),
    st.booleans(),  # publicity over
    st.booleans(),  # repaired
)
consent_st = st.tuples(
    st.integers(0, 2),  # agency: samr, customs, court
    st.integers(0, 1),  # purpose
    st.booleans(),  # all restricted items
    st.sets(st.integers(2, 3), max_size=2),  # the restricted items it names
    st.sampled_from(["valid", "withdrawn", "expired", "future"]),
)


class Rollback(Exception):
    pass


def by_hand(records, consents, entitled, viewer, purpose, items) -> tuple[set, dict]:
    shown, withheld = set(), {}
    for record in records:
        if record.status != "confirmed":
            continue
        if record.publicity_ends_on is not None and record.publicity_ends_on <= TODAY:
            continue
        item = items.index(record.catalogue_item)
        if item < 2 or viewer.pk in (record.agency_id, record.supplier_id):
            shown.add(record.pk)
            continue
        allowed = viewer.pk in entitled.get(item, set())
        for c in consents:
            if (
                c["agency"] == viewer
                and c["purpose"] == purpose
                and c["state"] == "valid"
                and (c["all"] or item in c["items"])
            ):
                allowed = True
        if allowed:
            shown.add(record.pk)
        else:
            code = record.catalogue_item.code
            withheld[code] = withheld.get(code, 0) + 1
    return shown, withheld


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(record_st, max_size=8),
    consents=st.lists(consent_st, max_size=4),
    entitled=st.dictionaries(st.integers(2, 3), st.sets(st.integers(0, 2), max_size=2)),
    viewer_index=st.integers(0, 2),
    purpose_index=st.integers(0, 1),
)
def test_file_equals_the_rule(
    samr, customs, court, records, consents, entitled, viewer_index, purpose_index
):
    agencies = [samr, customs, court]
    purposes = list(Purpose.objects.order_by("code")[:2])
    try:
        with transaction.atomic():
            subject = f.subject()
            items = [
                make_item(samr, "P-1", "public"),
                make_item(samr, "G-1", "government", "inspection"),
                make_item(samr, "R-1", "restricted", "tax"),
                make_item(customs, "R-2", "restricted", "tax"),
            ]
            for item_index, agency_indexes in entitled.items():
                items[item_index].entitled_agencies.set([agencies[i] for i in agency_indexes])
            made = []
            for n, (item_index, status, over, repaired) in enumerate(records):
                item = items[item_index]
                made.append(
                    CreditRecord.objects.create(
                        subject=subject,
                        catalogue_item=item,
                        agency=item.supplying_agency,
                        supplier=item.supplying_agency,
                        decision_number=f"D{n}",
                        decision_date=TODAY - 30 * DAY,
                        title="t",
                        content="c",
                        status=status,
                        publicity_ends_on=TODAY - DAY if over else TODAY + 300 * DAY,
                        repaired_at=timezone.now() if repaired else None,
                    )
                )
            described = []
            for agency_i, purpose_i, all_items, named, state in consents:
                consent = Consent.objects.create(
                    subject=subject,
                    agency=agencies[agency_i],
                    purpose=purposes[purpose_i],
                    all_restricted=all_items,
                    valid_from=TODAY + 5 * DAY if state == "future" else TODAY - 10 * DAY,
                    valid_until=TODAY - DAY if state == "expired" else TODAY + 100 * DAY,
                    withdrawn_at=timezone.now() if state == "withdrawn" else None,
                    evidence_sha256="0" * 64,
                )
                consent.items.set([items[i] for i in named])
                described.append(
                    {
                        "agency": agencies[agency_i],
                        "purpose": purposes[purpose_i],
                        "all": all_items,
                        "items": named,
                        "state": state,
                    }
                )
            viewer = f.user(f"viewer-{viewer_index}", agencies[viewer_index])
            purpose = purposes[purpose_index]
            found = selectors.subject_file(user=viewer, subject=subject, purpose=purpose)
            expected_shown, expected_withheld = by_hand(
                made,
                described,
                {i: {agencies[a].pk for a in s} for i, s in entitled.items()},
                agencies[viewer_index],
                purpose,
                items,
            )
            assert {r["id"] for r in found.records} == expected_shown
            assert found.withheld == expected_withheld
            restricted_content = {r.pk for r in made} - expected_shown
            assert not restricted_content & {r["id"] for r in found.records}
            raise Rollback
    except Rollback:
        pass
