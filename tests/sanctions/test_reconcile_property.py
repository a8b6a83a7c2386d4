"""Property: after any sequence of transitions and memorandum changes, applied in any order
and with redelivered messages, reconciliation finds zero drift."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blacklists import services as lists
from blacklists.models import ListEntry, OutboxEvent
from sanctions import services
from sanctions.models import Measure, MemorandumChange, Sanction, SanctionEvent
from tests import factories as f
from tests.sanctions.conftest import draft

pytestmark = pytest.mark.django_db

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "publish",
                "revoke",
                "expire",
                "repair",
                "uphold_objection",
                "process_one",
                "process_again",
                "add_measure",
                "withdraw_measure",
                "end_memorandum",
                "renew_memorandum",
            ]
        ),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_zero_drift_after_random_sequences(scene, company, person, caac, ops):
    with transaction.atomic():
        _run(scene, company, person, caac, ops)
        transaction.set_rollback(True)


def _run(scene, company, person, caac, ops):
    definition, clerk, reviewer, mou = (
        scene["list"],
        scene["clerk"],
        scene["reviewer"],
        scene["mou"],
    )
    f.role(company, person)
    subjects = [company, person, f.subject(), f.subject("individual_business")]
    entries = []
    for i, subject in enumerate(subjects):
        entry = draft(definition, subject, clerk, number=f"P{i}")
        lists.list_entry_submit(actor=clerk, entry=entry)
        lists.list_entry_approve(actor=reviewer, entry=entry)
        lists.list_entry_notify(actor=clerk, entry=entry, via="in_person", reference="送达回证")
        entries.append(entry)
    later = timezone.now() + datetime.timedelta(days=20)
    for op, i in ops:
        entry = ListEntry.objects.get(pk=entries[i].pk)
        try:
            with transaction.atomic():
                _apply(op, i, entry, later, definition, clerk, reviewer, mou, caac)
        except Exception as exc:  # refused transitions are part of the game
            assert type(exc).__name__ in {"ValidationError", "PermissionDenied", "Conflict"}, exc
    # Everything pending is eventually delivered (possibly twice).
    while pending := services.pending_outbox_events():
        for event_id in pending:
            services.outbox_event_process(event_id=event_id)
            services.outbox_event_process(event_id=event_id)
    for change in MemorandumChange.objects.filter(processed_at__isnull=True):
        services.memorandum_change_process(change_id=change.pk)
    drift = services.reconcile(fix=False)
    assert drift.total == 0, (ops, drift)
    # Every sanction's status agrees with its last event in the history.
    for s in Sanction.objects.all():
        last = SanctionEvent.objects.filter(sanction=s).order_by("-id").first()
        assert last.kind == ("imposed" if s.status == "in_force" else "lifted")


def _apply(op, i, entry, later, definition, clerk, reviewer, mou, caac):
    if op == "publish":
        lists.list_entry_publish(actor=clerk, entry=entry, now=later)
    elif op == "revoke":
        lists.list_entry_revoke(actor=reviewer, entry=entry, reason="撤销")
    elif op == "expire":
        ListEntry.objects.filter(pk=entry.pk, state="published").update(
            ends_on=timezone.localdate()
        )
        lists.list_clock_expire()
    elif op == "repair":
        ListEntry.objects.filter(pk=entry.pk).update(
            starts_on=timezone.localdate() - datetime.timedelta(days=400)
        )
        app = lists.repair_apply(
            entry=entry,
            applicant_name="x",
            contact="x",
            statement="x",
            conditions_met=definition.repair_conditions,
        )
        lists.repair_decide(actor=reviewer, application=app, grant=True, reasons="ok")
    elif op == "uphold_objection":
        objection = lists.objection_file(
            entry=entry, filed_by_name="x", contact="x", disputed_facts="事实有误"
        )
        lists.objection_decide(actor=reviewer, objection=objection, upheld=True, reasons="成立")
    elif op == "process_one":
        pending = services.pending_outbox_events()
        if pending:
            services.outbox_event_process(event_id=pending[i % len(pending)])
    elif op == "process_again":
        done = list(OutboxEvent.objects.values_list("id", flat=True))
        if done:
            services.outbox_event_process(event_id=done[i % len(done)])
    elif op == "add_measure":
        services.measure_add(
            actor=None,
            measure=Measure(
                memorandum=mou,
                code=f"X{Measure.objects.count()}",
                text="新增措施",
                kind="punishment",
                implementing_agency=caac,
                legal_basis="《某法》",
            ),
        )
    elif op == "withdraw_measure":
        active = list(mou.measures.filter(withdrawn_at__isnull=True))
        if active:
            services.measure_withdraw(actor=None, measure=active[i % len(active)], reason="修订")
    elif op == "end_memorandum":
        mou.refresh_from_db()
        mou.effective_until = timezone.localdate()
        services.memorandum_save(actor=None, memorandum=mou)
    elif op == "renew_memorandum":
        mou.refresh_from_db()
        mou.effective_until = None
        services.memorandum_save(actor=None, memorandum=mou)


def test_role_change_is_caught_by_reconciliation(scene, company, person):
    from registry.models import SubjectRole
    from tests.sanctions.conftest import drain, publish

    role = f.role(company, person)
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    assert Sanction.objects.filter(target=person, status="in_force").exists()
    SubjectRole.objects.filter(pk=role.pk).update(ended_on=timezone.localdate())
    found = services.reconcile(fix=True)
    assert (found.missing, found.extra) == (0, 1)
    assert Sanction.objects.get(target=person).lift_reason == "role_ended"
