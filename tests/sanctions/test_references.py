"""The references of sanctions and their feed events, enforced set-based by the triggers of
migration sanctions 0007 instead of per-row foreign keys: the same guarantees (the row exists,
it cannot be deleted while referenced, a concurrent delete and insert cannot both succeed),
checked once per statement."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from registry.models import Agency
from sanctions.models import Sanction, SanctionEvent
from tests import factories as f
from tests.sanctions.conftest import drain, publish

COLUMNS = ("entry_id", "measure_id", "target_id", "implementing_agency_id")


def _insert_sanction(cur, values: dict) -> None:
    cur.execute(
        "INSERT INTO sanctions_sanction (entry_id, measure_id, target_id, implementing_agency_id,"
        " status, imposed_at, lifted_at, lift_reason) VALUES (%(entry_id)s, %(measure_id)s,"
        " %(target_id)s, %(implementing_agency_id)s, 'in_force', now(), NULL, '')",
        values,
    )


@pytest.fixture
def sanction(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    return Sanction.objects.order_by("id").first()


@pytest.mark.django_db
@pytest.mark.parametrize("column", COLUMNS)
def test_a_sanction_must_reference_existing_rows(sanction, person, column):
    # A new (entry, measure, target) combination: only the reference under test is wrong.
    values = {c: getattr(sanction, c) for c in COLUMNS} | {"target_id": person.pk}
    with transaction.atomic(), connection.cursor() as cur:
        _insert_sanction(cur, values)  # the same row with real references is accepted
        transaction.set_rollback(True)
    with pytest.raises(IntegrityError, match=column), transaction.atomic():
        with connection.cursor() as cur:
            _insert_sanction(cur, values | {column: 987_654_321})


@pytest.mark.django_db
def test_an_update_cannot_point_a_sanction_elsewhere(sanction):
    with pytest.raises(IntegrityError, match="target_id"), transaction.atomic():
        Sanction.objects.filter(pk=sanction.pk).update(target_id=987_654_321)
    # Updates that leave the references alone (lifting) are not checked row by row.
    Sanction.objects.filter(pk=sanction.pk).update(lift_reason="")


@pytest.mark.django_db
def test_an_event_must_name_an_existing_sanction_and_its_agency(sanction):
    other = Agency.objects.exclude(pk=sanction.implementing_agency_id).first()
    sql = (
        "INSERT INTO sanctions_sanctionevent (sanction_id, implementing_agency_id, kind, at,"
        " reason, recorded_at) VALUES (%s, %s, 'imposed', now(), '', now())"
    )
    with pytest.raises(IntegrityError, match="sanction_id"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [987_654_321, sanction.implementing_agency_id])
    with pytest.raises(IntegrityError, match="agency"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [sanction.pk, other.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "attribute"),
    [
        ("registry_subject", "target_id"),
        ("registry_agency", "implementing_agency_id"),
        ("blacklists_listentry", "entry_id"),
        ("sanctions_measure", "measure_id"),
        ("sanctions_sanction", "pk"),
    ],
)
def test_a_referenced_row_cannot_be_deleted_even_in_sql(sanction, table, attribute):
    with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE id = %s", [getattr(sanction, attribute)])  # noqa: S608
    with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET id = -id WHERE id = %s", [getattr(sanction, attribute)]
            )  # noqa: S608


@pytest.mark.django_db
def test_an_unreferenced_row_can_still_be_deleted(db):
    subject = f.subject()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM registry_subject WHERE id = %s", [subject.pk])
        assert cur.rowcount == 1


@pytest.mark.django_db(transaction=True)
def test_a_delete_racing_an_insert_waits_and_fails(sanction, person):
    """The inserting transaction locks the subject it references until it commits; a delete
    of that subject meanwhile waits, then sees the new sanction and is refused. Without the
    lock the delete would find nothing referencing the subject and both would commit."""
    values = {c: getattr(sanction, c) for c in COLUMNS} | {"target_id": person.pk}
    inserted, outcome = threading.Event(), {}

    def deleter():
        inserted.wait(10)
        started = time.monotonic()
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("DELETE FROM registry_subject WHERE id = %s", [person.pk])
            outcome["result"] = "deleted"
        except IntegrityError as exc:
            outcome["result"] = str(exc)
        finally:
            outcome["waited"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=deleter)
    thread.start()
    with transaction.atomic():
        with connection.cursor() as cur:
            _insert_sanction(cur, values)
        inserted.set()
        time.sleep(1.0)  # the deleter is now waiting on our lock
    thread.join(30)
    assert "still referenced" in outcome["result"]
    assert outcome["waited"] >= 0.5
    assert Sanction.objects.filter(target_id=person.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_insert_racing_a_committed_delete_fails(sanction, person):
    """The other order: the subject's delete is in flight when the sanction is inserted; the
    insert's check waits for it and, once it commits, finds the subject gone."""
    values = {c: getattr(sanction, c) for c in COLUMNS} | {"target_id": person.pk}
    deleted, outcome = threading.Event(), {}

    def inserter():
        deleted.wait(10)
        try:
            with transaction.atomic(), connection.cursor() as cur:
                _insert_sanction(cur, values)
            outcome["result"] = "inserted"
        except IntegrityError as exc:
            outcome["result"] = str(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=inserter)
    thread.start()
    with transaction.atomic(), connection.cursor() as cur:
        # Nothing references the person yet; the pghistory row of the subject goes with it.
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("DELETE FROM registry_subject WHERE id = %s", [person.pk])
        deleted.set()
        time.sleep(1.0)
    thread.join(30)
    assert "target_id" in outcome["result"]
    assert not Sanction.objects.filter(target_id=person.pk).exists()
    assert SanctionEvent.objects.count() >= 1


@pytest.mark.django_db
def test_a_record_event_must_name_an_existing_change(scene):
    """Record events lost their row-by-row foreign keys (migration 0010): the statement
    trigger checks the change exists and names the event's record."""
    agency = Agency.objects.first()
    with pytest.raises(IntegrityError, match="record_change_id"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO sanctions_sanctionevent (credit_record_id, record_change_id,"
                " implementing_agency_id, kind, at, reason, recorded_at)"
                " VALUES (987654321, 987654321, %s, 'record_corrected', now(), '', now())",
                [agency.pk],
            )
