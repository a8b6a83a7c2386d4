"""Propagation in-process: imposing, lifting, memorandum changes, provenance, as-of history."""

import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from blacklists import services as lists
from blacklists.models import OutboxEvent
from sanctions import propagation, services
from sanctions.models import ConsumedOutboxEvent, Measure, Sanction, SanctionEvent
from tests import factories as f
from tests.sanctions.conftest import drain, publish

pytestmark = pytest.mark.django_db


def test_publish_imposes_every_measure_and_targets_legal_representative(scene, company, person):
    f.role(company, person)
    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    assert drain() == 1
    rows = {(s.measure.code, s.target_id) for s in Sanction.objects.all()}
    assert rows == {("M01", company.pk), ("M02", company.pk), ("M03", person.pk)}
    assert all(s.status == "in_force" for s in Sanction.objects.all())
    assert all(s.imposed_at == entry.published_at for s in Sanction.objects.all())
    assert SanctionEvent.objects.filter(kind="imposed").count() == 3


def test_no_collateral_target_without_role(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    # No legal representative recorded: the exit ban reaches nobody.
    assert not Sanction.objects.filter(measure__code="M03").exists()


def test_same_event_processed_twice_creates_nothing_new(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    event = OutboxEvent.objects.get()
    assert services.outbox_event_process(event_id=event.pk) == 2
    assert services.outbox_event_process(event_id=event.pk) == 0
    assert Sanction.objects.count() == 2
    assert SanctionEvent.objects.count() == 2
    assert ConsumedOutboxEvent.objects.count() == 1


def test_duplicate_sanction_is_impossible_in_the_database(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    s = Sanction.objects.first()
    with pytest.raises(IntegrityError):
        Sanction.objects.create(
            entry=s.entry,
            measure=s.measure,
            target=s.target,
            implementing_agency=s.implementing_agency,
            imposed_at=timezone.now(),
        )


def test_revocation_lifts_with_reason(scene, company):
    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    lists.list_entry_revoke(actor=scene["reviewer"], entry=entry, reason="决定被撤销")
    drain()
    assert set(Sanction.objects.values_list("status", "lift_reason")) == {("lifted", "revoked")}
    assert SanctionEvent.objects.filter(kind="lifted").count() == 2


def test_end_processed_before_start_keeps_the_interval(scene, company):
    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    lists.list_entry_revoke(actor=scene["reviewer"], entry=entry, reason="错误")
    ended = OutboxEvent.objects.get(kind="effect_ended")
    services.outbox_event_process(event_id=ended.pk)  # the start is applied first
    kinds = list(SanctionEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["imposed", "imposed", "lifted", "lifted"]
    assert drain() == 0


def test_list_not_triggering_joint_measures_imposes_nothing(court, caac, alice, bob, company):
    quiet = f.list_definition(court, may_trigger_joint_measures=False)
    f.memorandum([quiet], [court, caac], [{"agency": caac}])
    publish(quiet, company, alice, bob)
    drain()
    assert not Sanction.objects.exists()


def test_memorandum_not_yet_in_effect_imposes_nothing(court, caac, alice, bob, court_list, company):
    future = timezone.localdate() + datetime.timedelta(days=30)
    f.memorandum([court_list], [court, caac], [{"agency": caac}], effective_from=future)
    publish(court_list, company, alice, bob)
    drain()
    assert not Sanction.objects.exists()


def test_measure_added_backfills_and_withdrawn_lifts(scene, company, caac):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    added = services.measure_add(
        actor=None,
        measure=Measure(
            memorandum=scene["mou"],
            code="M09",
            text="限制高消费",
            kind="punishment",
            implementing_agency=caac,
            legal_basis="《限制消费规定》第三条",
        ),
    )
    change = scene["mou"].changes.get()
    assert services.memorandum_change_process(change_id=change.pk) == (1, 0)
    assert services.memorandum_change_process(change_id=change.pk) == (0, 0)
    assert Sanction.objects.get(measure=added).status == "in_force"

    services.measure_withdraw(actor=None, measure=added, reason="备忘录修订")
    change = scene["mou"].changes.filter(processed_at__isnull=True).get()
    assert services.memorandum_change_process(change_id=change.pk) == (0, 1)
    lifted = Sanction.objects.get(measure=added)
    assert (lifted.status, lifted.lift_reason) == ("lifted", "measure_withdrawn")
    assert Sanction.objects.filter(status="in_force").count() == 2


def test_memorandum_ending_lifts_everything(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    mou = scene["mou"]
    mou.effective_until = timezone.localdate()
    services.memorandum_save(actor=None, memorandum=mou)
    change = mou.changes.get()
    services.memorandum_change_process(change_id=change.pk)
    assert set(Sanction.objects.values_list("status", "lift_reason")) == {
        ("lifted", "memorandum_ended")
    }


def test_operator_only_changes_memoranda(scene, alice, caac):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.measure_add(
            actor=alice,
            measure=Measure(
                memorandum=scene["mou"],
                code="M10",
                text="x",
                kind="punishment",
                implementing_agency=caac,
                legal_basis="y",
            ),
        )


def test_impact_dry_run_counts_without_writing(scene, company, person):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    publish(scene["list"], person, scene["clerk"], scene["reviewer"])
    # Nothing drained: the memorandum would create two measures on each subject.
    result = propagation.impact(scene["mou"].pk, on=timezone.localdate(), assume_in_effect=False)
    assert result == {"create": 4, "create_subjects": 2, "lift": 0, "lift_subjects": 0}
    assert not Sanction.objects.exists()


def test_reconcile_reports_and_fixes_drift(scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    # Simulate drift: a sanction lifted behind the platform's back, and a missing one.
    SanctionEvent.objects.filter(sanction__measure__code="M02").delete()
    Sanction.objects.filter(measure__code="M02").delete()
    found = services.reconcile(fix=False)
    assert (found.missing, found.extra) == (1, 0)
    services.reconcile(fix=True)
    assert services.reconcile(fix=False).total == 0
    assert Sanction.objects.get(measure__code="M02").status == "in_force"


def test_as_of_answers_from_history(scene, company):
    from sanctions.selectors import sanctions_in_force

    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    day_before = timezone.localdate() - datetime.timedelta(days=1)
    # Move the history back: imposed 10 days ago, lifted 3 days ago.
    SanctionEvent.objects.filter(kind="imposed").update(
        at=timezone.now() - datetime.timedelta(days=10)
    )
    lists.list_entry_revoke(actor=scene["reviewer"], entry=entry, reason="撤销")
    drain()
    SanctionEvent.objects.filter(kind="lifted").update(
        at=timezone.now() - datetime.timedelta(days=3)
    )
    caac = scene["mou"].measures.get(code="M01").implementing_agency
    past = sanctions_in_force(
        targets=[company.pk], agency_id=caac.pk, as_of=day_before - datetime.timedelta(days=5)
    )
    assert [s.measure.code for s in past] == ["M01"]
    assert not sanctions_in_force(targets=[company.pk], agency_id=caac.pk, as_of=day_before)
    assert not sanctions_in_force(targets=[company.pk], agency_id=caac.pk)


def test_memorandum_taking_effect_today_is_applied_once_by_the_sweep(
    court, caac, alice, bob, court_list, company
):
    from sanctions.models import MemorandumChange
    from sanctions.tasks import sweep_outbox

    today = timezone.localdate()
    mou = f.memorandum(
        [court_list],
        [court, caac],
        [{"agency": caac}],
        effective_from=today + datetime.timedelta(days=60),
    )
    publish(court_list, company, alice, bob)
    drain()
    assert not Sanction.objects.exists()  # not yet in effect
    type(mou).objects.filter(pk=mou.pk).update(effective_from=today)  # the day has come
    first = sweep_outbox()
    assert first["boundary"] == 1
    assert Sanction.objects.filter(status="in_force").count() == 1
    second = sweep_outbox()
    assert second["boundary"] == 0 and second["changes"] == 0
    assert MemorandumChange.objects.filter(memorandum=mou).count() == 1


def test_sweep_stopped_at_its_bound_restarts_the_backlog_chain(
    scene, django_capture_on_commit_callbacks
):
    """A bulk load whose chain died with its worker: the sweep applies its bounded share and
    starts one chain for the rest (sanctions.tasks.sweep_outbox), rather than leaving 1 000
    events per 30 s to the next sweeps; a second sweep while the chain runs starts none."""
    from django.core.cache import cache

    from sanctions.tasks import BACKLOG_FLAG, sweep_outbox

    for _ in range(3):
        publish(scene["list"], f.subject(), scene["clerk"], scene["reviewer"])
    cache.delete(BACKLOG_FLAG)
    with django_capture_on_commit_callbacks() as callbacks:
        assert sweep_outbox(limit=2)["events"] == 2
    assert len(callbacks) == 1 and cache.get(BACKLOG_FLAG)
    assert len(services.pending_outbox_events()) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        assert sweep_outbox(limit=1)["events"] == 1
    assert callbacks == []  # the chain is running (its flag is set)
    with django_capture_on_commit_callbacks() as callbacks:
        assert sweep_outbox(limit=5)["events"] == 0
    assert callbacks == []
    cache.delete(BACKLOG_FLAG)
