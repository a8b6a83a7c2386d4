"""Helpers for the lists tests: entries at every state of due process, built through the
services (never by writing rows directly), plus small time and thread helpers."""

from __future__ import annotations

import datetime
import threading
import time
import uuid

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from blacklists import services
from blacklists.models import EntryState, ListEntry
from registry.models import CatalogueItem, CreditRecord
from tests import factories as f

ORDER = [
    EntryState.DRAFT,
    EntryState.SUBMITTED,
    EntryState.APPROVED,
    EntryState.NOTIFIED,
    EntryState.PUBLISHED,
]


def draft(
    definition,
    subject,
    clerk,
    *,
    tier: str = "general",
    months: int | None = 6,
    ground: str = "G1",
    number: str | None = None,
    decision_date: datetime.date | None = None,
) -> ListEntry:
    return services.list_entry_create(
        actor=clerk,
        definition=definition,
        subject=subject,
        ground=definition.grounds.get(code=ground),
        tier=definition.tiers.get(tier=tier),
        duration_months=months,
        decision_number=number or f"（2026）执{uuid.uuid4().hex[:8]}号",
        decision_date=decision_date or timezone.localdate() - datetime.timedelta(days=60),
        decision_issuer="杭州市中级人民法院",
        facts="有履行能力而拒不履行生效法律文书确定义务。",
    )


def advance(entry: ListEntry, state: str, *, clerk, reviewer) -> ListEntry:
    """Move an entry forward through the services to `state` (at most NOTIFIED here; see
    `publish_now` for publication, which needs the objection window to have run)."""
    steps = {
        EntryState.SUBMITTED: lambda e: services.list_entry_submit(actor=clerk, entry=e),
        EntryState.APPROVED: lambda e: services.list_entry_approve(actor=reviewer, entry=e),
        EntryState.NOTIFIED: lambda e: services.list_entry_notify(
            actor=clerk, entry=e, via="registered_mail", reference="挂号信 XA123"
        ),
        EntryState.PUBLISHED: lambda e: services.list_entry_publish(actor=clerk, entry=e),
    }
    for target in ORDER[ORDER.index(entry.state) + 1 : ORDER.index(state) + 1]:
        entry = steps[target](entry)
    return entry


def publish_now(entry: ListEntry, *, clerk, reviewer) -> ListEntry:
    """Publish at the real present: the earlier steps happen in the past, far enough back
    that the objection window has run."""
    window = entry.list.objection_window_days
    with time_machine.travel(timezone.now() - datetime.timedelta(days=window + 1), tick=False):
        entry = advance(entry, EntryState.NOTIFIED, clerk=clerk, reviewer=reviewer)
    return services.list_entry_publish(actor=clerk, entry=entry, reason="window has run")


@pytest.fixture
def make_entry(court_list, alice, bob):
    """`make_entry("notified")` → an entry of the court's list in that state.
    `make_entry("ended")` is a published entry revoked by the reviewer."""

    def make(state: str = "draft", *, definition=None, subject=None, **kw) -> ListEntry:
        definition = definition or court_list
        subject = subject or f.subject("enterprise")
        entry = draft(definition, subject, alice, **kw)
        if state == EntryState.ENDED:
            entry = publish_now(entry, clerk=alice, reviewer=bob)
            return services.list_entry_revoke(actor=bob, entry=entry, reason="决定被撤销")
        if state == EntryState.PUBLISHED:
            return publish_now(entry, clerk=alice, reviewer=bob)
        return advance(entry, state, clerk=alice, reviewer=bob)

    return make


@pytest.fixture
def published(make_entry):
    return make_entry("published")


@pytest.fixture
def notified(make_entry):
    return make_entry("notified")


def negative_item(agency, code: str | None = None) -> CatalogueItem:
    return CatalogueItem.objects.create(
        code=code or f"NEG-{uuid.uuid4().hex[:6]}",
        name="行政处罚信息",
        category=CatalogueItem.Category.NEGATIVE,
        visibility=CatalogueItem.Visibility.GOVERNMENT,
        record_type="administrative_penalty",
        supplying_agency=agency,
        legal_basis="《行政处罚法》第四十八条",
        publicity_months=36,
    )


def negative_record(subject, agency, item=None) -> CreditRecord:
    item = item or negative_item(agency)
    day = timezone.localdate() - datetime.timedelta(days=30)
    return CreditRecord.objects.create(
        subject=subject,
        catalogue_item=item,
        agency=agency,
        decision_number=f"罚字〔2026〕{uuid.uuid4().hex[:6]}号",
        decision_date=day,
        title="行政处罚决定",
        content="未按规定申报。",
        publicity_ends_on=day + datetime.timedelta(days=3 * 365),
    )


# --- threads ---------------------------------------------------------------------------------


def in_thread(func, *args, **kwargs):
    """Run `func` in a thread with its own DB connection; returns (thread, outcome) where
    outcome is filled with ("ok", result) or ("error", exception) when the thread ends."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = ("ok", func(*args, **kwargs))
        except BaseException as exc:  # handed back to the test thread to assert on
            outcome["result"] = ("error", exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_until_blocked_on_lock(timeout_checks: int = 2000) -> bool:
    """True once some other backend waits on a row lock (polls pg_stat_activity)."""
    with connection.cursor() as cursor:
        for _ in range(timeout_checks):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.005)
    return False
