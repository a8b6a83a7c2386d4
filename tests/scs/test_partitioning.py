"""The partitioned append-only tables (scs.partitioning): placement, the default partition,
maintenance ahead, retention, the append-only trigger, partition pruning."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from registry.models import Subject
from scs import partitioning
from sharing import services as sharing
from sharing.models import Channel, Consultation, Outcome
from tests import factories as f

pytestmark = pytest.mark.django_db


def partition_of(table: str, pk_column: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
        return cur.fetchone()[0]


def names(table: str) -> list[str]:
    return [name for name, _bounds in partitioning.partitions(table)]


def log(subject: Subject, user, at: datetime.datetime) -> Consultation:
    """One access-log row through the sharing app's writer, at a given moment."""
    with time_machine.travel(at, tick=False):
        return sharing.consultation_log(
            user=user,
            channel=Channel.CREDIT_CHECK,
            outcome=Outcome.RETURNED,
            subject=subject,
            purpose_code="贷款审批",
            reference="（2026）沪信查字第００１２号",
        )


def month_name(table: str, at: datetime.datetime) -> str:
    at = at.astimezone(datetime.UTC)
    return f"{table}_p{at:%Y_%m}"


@pytest.fixture
def subject():
    return f.subject(name="上海浦东發展銀行股份有限公司")


@pytest.fixture
def clerk():
    agency = f.agency("上海市信用中心")
    return f.user("clerk-sh", agency)


def test_every_set_is_partitioned_with_a_default(db):
    with connection.cursor() as cur:
        for spec in partitioning.TABLES:
            cur.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [spec.table])
            assert cur.fetchone()[0] == "p", spec.table
            assert names(spec.table)[-1] == f"{spec.table}_default"
    # pgtrigger still knows its trigger (hash comment kept): installed, not outdated.
    from pgtrigger import registry as pgtrigger_registry

    (trigger,) = [
        t
        for model, t in pgtrigger_registry.registered()
        if model is Consultation and t.name == "append_only"
    ]
    assert trigger.get_installation_status(Consultation)[0] == "INSTALLED"


def test_access_log_rows_land_in_their_month(subject, clerk):
    now = timezone.now()
    # 23:30 in Beijing on the last day of a month is still that month in UTC (15:30).
    late = datetime.datetime(
        2026, 10, 31, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )
    rows = [log(subject, clerk, now), log(subject, clerk, late)]
    assert partition_of("sharing_consultation", "id", rows[0].pk) == month_name(
        "sharing_consultation", now
    )
    assert partition_of("sharing_consultation", "id", rows[1].pk) == "sharing_consultation_p2026_10"
    # The model API is unchanged: `id` is Django's primary key, reads by pk work.
    assert Consultation.objects.get(pk=rows[1].pk).reference == "（2026）沪信查字第００１２号"
    assert list(Consultation.objects.filter(subject=subject).values_list("id", flat=True)) == [
        rows[1].pk,
        rows[0].pk,
    ]


def test_a_row_beyond_the_partitions_goes_to_the_default_and_maintenance_moves_it(subject, clerk):
    far = timezone.now() + datetime.timedelta(days=3 * 365)
    row = log(subject, clerk, far)
    assert partition_of("sharing_consultation", "id", row.pk) == "sharing_consultation_default"

    report = partitioning.maintain()

    assert report["sharing_consultation"]["moved"] == 1
    assert partition_of("sharing_consultation", "id", row.pk) == month_name(
        "sharing_consultation", far
    )
    moved = Consultation.objects.get(pk=row.pk)
    assert (moved.at, moved.username, moved.subject_id) == (row.at, "clerk-sh", subject.pk)
    # Maintenance is idempotent, and the move did not switch the append-only trigger off.
    assert partitioning.maintain()["sharing_consultation"]["moved"] == 0
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        Consultation.objects.filter(pk=row.pk).update(reference="改")


def test_maintenance_creates_the_next_months_ahead(db):
    with connection.cursor() as cur:
        cur.execute(
            "DROP TABLE registry_creditrecordevent_p"
            + (timezone.now() + datetime.timedelta(days=100)).strftime("%Y_%m")
        )
    ahead = [timezone.now() + datetime.timedelta(days=31 * k) for k in range(4)]
    partitioning.maintain()
    present = set(names("registry_creditrecordevent"))
    assert {month_name("registry_creditrecordevent", at) for at in ahead} <= present


@pytest.mark.parametrize("statement", ["UPDATE {t} SET username = 'x'", "DELETE FROM {t}"])
def test_the_partitioned_access_log_refuses_update_and_delete(subject, clerk, statement):
    old = log(subject, clerk, timezone.now() - datetime.timedelta(days=400))
    log(subject, clerk, timezone.now())
    for table in ("sharing_consultation", partition_of("sharing_consultation", "id", old.pk)):
        with (
            pytest.raises(DatabaseError, match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement.format(t=table))
    assert Consultation.objects.filter(subject=subject).count() == 2


def test_retention_drops_only_months_wholly_past_it(subject, clerk):
    now = timezone.now()
    too_old = log(subject, clerk, now - datetime.timedelta(days=6 * 365))
    kept = log(subject, clerk, now - datetime.timedelta(days=4 * 365))
    # The month just inside 5 years (+2 days): not wholly past the retention, kept.
    edge = log(subject, clerk, now - datetime.timedelta(days=5 * 365 - 20))
    recent = log(subject, clerk, now)
    old_partition = month_name("sharing_consultation", too_old.at)

    report = partitioning.maintain()

    assert old_partition in report["sharing_consultation"]["dropped"]
    assert old_partition not in names("sharing_consultation")
    assert set(Consultation.objects.values_list("id", flat=True)) == {kept.pk, edge.pk, recent.pk}


@override_settings(
    PARTITION_RETENTION={"access_log": 365, "audit_events": 3653, "feed_events": None}
)
def test_a_retention_below_the_legal_minimum_is_refused_and_drops_nothing(subject, clerk):
    old = log(subject, clerk, timezone.now() - datetime.timedelta(days=800))
    with pytest.raises(partitioning.PartitioningError, match="access_log"):
        partitioning.maintain()
    assert Consultation.objects.filter(pk=old.pk).exists()


def test_audit_events_land_in_their_month_and_keep_their_history(db):
    subject = f.subject(name="杭州某某贸易有限公司")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pgh_id, tableoid::regclass::text FROM registry_subjectevent"
            " WHERE pgh_obj_id = %s",
            [subject.pk],
        )
        (pgh_id, partition), *_ = cur.fetchall()
    assert partition == month_name("registry_subjectevent", timezone.now())
    assert subject.events.get(pk=pgh_id).name == "杭州某某贸易有限公司"


def plan(sql: str, params=None) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params or [])
        return json.dumps(cur.fetchone()[0])


def test_an_access_log_query_by_month_prunes_the_other_months(subject, clerk):
    now = timezone.now()
    log(subject, clerk, now - datetime.timedelta(days=90))
    log(subject, clerk, now)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    qs = Consultation.objects.filter(agency=clerk.agency, at__gte=start)
    text = plan(*qs.query.sql_with_params())
    assert month_name("sharing_consultation", now) in text
    assert month_name("sharing_consultation", now - datetime.timedelta(days=90)) not in text
