"""The feed partitioned by id ranges (scs.partitioning): events land in their range, the
keyset pages stay complete and ordered across a partition boundary, the feed query prunes
the ranges below the cursor and reads an index, a stray id goes to the default partition."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from sanctions.models import SanctionEvent
from sanctions.selectors import _FEED_SQL, feed_page, feed_parameters
from scs import partitioning
from tests import factories as f

from .conftest import drain, publish

pytestmark = pytest.mark.django_db

STEP = partitioning.FEED_IDS_PER_PARTITION


@pytest.fixture(autouse=True)
def ids_from_the_first_range(db):
    """Sequences ignore rollbacks: every test starts from a known place in the first range."""
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('sanctions_sanctionevent', 'id'), 1000)")


def partition_of(event_id: int) -> str:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT tableoid::regclass::text FROM sanctions_sanctionevent WHERE id = %s",
            [event_id],
        )
        return cur.fetchone()[0]


def publish_some(scene, n: int) -> None:
    for i in range(n):
        subject = f.subject(name=f"杭州甲乙{i}号貿易有限公司")
        f.role(subject, f.subject(kind="natural_person", name=f"張{i}"))
        publish(scene["list"], subject, scene["clerk"], scene["reviewer"])
    drain()


def test_feed_pages_cross_a_partition_boundary_in_order(scene, caac):
    publish_some(scene, 2)
    # The next ids straddle the first boundary (p0 | p10000000).
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('sanctions_sanctionevent', 'id'), %s)",
            [STEP - 2],
        )
    publish_some(scene, 2)

    ids = list(SanctionEvent.objects.filter(implementing_agency=caac).values_list("id", flat=True))
    assert ids == sorted(ids) and len(ids) == 8
    assert {partition_of(i) for i in ids} == {
        "sanctions_sanctionevent_p0",
        f"sanctions_sanctionevent_p{STEP}",
    }
    seen, after, more = [], 0, True
    while more:
        page, more = feed_page(agency_id=caac.pk, after=after, limit=3)
        seen += [row["event_id"] for row in page]
        after = page[-1]["event_id"] if page else after
    assert seen == ids
    assert SanctionEvent.objects.get(pk=ids[-1]).implementing_agency_id == caac.pk


def test_the_feed_query_prunes_ranges_below_the_cursor_and_reads_an_index(scene, caac):
    publish_some(scene, 1)
    with connection.cursor() as cur:
        # A handful of rows makes a sequential scan cheapest; what is checked here is that each
        # remaining partition has the (agency, id) index the query needs (the plan at 1 000 000
        # subjects is in the commit message and docs/SCALING.md).
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(
            "EXPLAIN (FORMAT JSON) " + _FEED_SQL,
            feed_parameters(agency_id=caac.pk, after=2 * STEP + 5, limit=1001),
        )
        plan = cur.fetchone()[0]
    scans = {node["Relation Name"]: node["Node Type"] for node in nodes(plan)}
    events = {
        name: kind for name, kind in scans.items() if name.startswith("sanctions_sanctionevent")
    }
    assert "sanctions_sanctionevent_p0" not in events
    assert f"sanctions_sanctionevent_p{STEP}" not in events
    assert f"sanctions_sanctionevent_p{2 * STEP}" in events
    assert all("Index" in kind for kind in events.values()), events
    # The (agency, id) index, never the primary key: the cursor is a row comparison only that
    # index serves (walking the primary key read every agency's events after a bulk load).
    indexes = {
        node["Relation Name"]: node.get("Index Name", "")
        for node in nodes(plan)
        if node["Relation Name"].startswith("sanctions_sanctionevent")
    }
    assert all(name.endswith("implementing_agency_id_id_idx") for name in indexes.values()), indexes


def nodes(plan):
    """Every node of an EXPLAIN (FORMAT JSON) plan that scans a relation."""
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if "Relation Name" in node:
            yield node
        stack.extend(node.get("Plans", []))


def test_an_id_beyond_the_ranges_goes_to_the_default_and_maintenance_moves_it(scene, caac):
    publish_some(scene, 1)
    template = SanctionEvent.objects.filter(implementing_agency=caac).first()
    far = 50 * STEP + 7
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO sanctions_sanctionevent"
            " (id, kind, at, reason, recorded_at, implementing_agency_id, sanction_id)"
            " VALUES (%s, 'lifted', now(), 'reconciled', now(), %s, %s)",
            [far, caac.pk, template.sanction_id],
        )
    assert partition_of(far) == "sanctions_sanctionevent_default"

    report = partitioning.maintain()

    assert report["sanctions_sanctionevent"]["moved"] == 1
    assert partition_of(far) == f"sanctions_sanctionevent_p{50 * STEP}"
    page, _ = feed_page(agency_id=caac.pk, after=far - 1, limit=10)
    assert [row["event_id"] for row in page] == [far]


def test_feed_retention_when_configured_drops_only_ranges_wholly_older(scene, caac):
    # Sequences ignore rollbacks: start from a known place in the first range.
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('sanctions_sanctionevent', 'id'), 1000)")
    publish_some(scene, 1)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('sanctions_sanctionevent', 'id'), %s)", [STEP]
        )
    publish_some(scene, 1)
    old_ids = list(SanctionEvent.objects.filter(id__lt=STEP).values_list("id", flat=True))
    new_ids = list(SanctionEvent.objects.filter(id__gt=STEP).values_list("id", flat=True))
    assert old_ids and new_ids
    # The first range's events were recorded 3 years ago (the feed has no append-only trigger;
    # this stands for time passing).
    SanctionEvent.objects.filter(id__lt=STEP).update(
        recorded_at=timezone.now() - datetime.timedelta(days=3 * 365)
    )
    with connection.cursor() as cur:
        # Maintenance runs in a transaction of its own; here, check the deferred foreign keys
        # of the rows written above first (a partition with pending checks cannot be dropped).
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")

    # Kept by default: nothing is dropped.
    assert partitioning.maintain()["sanctions_sanctionevent"]["dropped"] == []
    with override_settings(
        PARTITION_RETENTION={**settings.PARTITION_RETENTION, "feed_events": 2 * 365}
    ):
        report = partitioning.maintain()

    assert report["sanctions_sanctionevent"]["dropped"] == ["sanctions_sanctionevent_p0"]
    assert not SanctionEvent.objects.filter(id__in=old_ids).exists()
    assert list(SanctionEvent.objects.values_list("id", flat=True)) == new_ids
