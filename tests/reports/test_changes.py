"""/reports/<number>/ says what changed in a special report since it was issued: an entry
revoked (gone) or repaired (changed), a penalty record withdrawn (gone) or repaired (changed),
a new record of the period (added). The issued report is recorded as issue_special_report
records it (fingerprints of the subject's own copy), without rendering a PDF."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from blacklists.models import ListEntry
from registry.models import CreditRecord
from reports.models import IssuedReport
from reports.selectors import Audience, special_report, special_report_changes

pytestmark = pytest.mark.django_db


def _issue(subject) -> IssuedReport:
    today = timezone.localdate()
    start = today - datetime.timedelta(days=4 * 365)
    content = special_report(subject, period_from=start, period_to=today, audience="subject")
    return IssuedReport.objects.create(
        subject=subject,
        language="zh-hans",
        sha256="0" * 64,
        kind=IssuedReport.Kind.SPECIAL,
        audience=Audience.SUBJECT,
        period_from=start,
        period_to=today,
        data_version=content.data_version,
        snapshot=content.fingerprints,
    )


def _changes(report) -> dict[str, tuple[str, str, str]]:
    return {c.key: (c.change, c.state, c.end_reason) for c in special_report_changes(report)}


def test_each_kind_of_change_is_reported(scene, client):
    entry, penalty = scene["entry"], scene["records"]["penalty"]
    report = _issue(entry.subject)
    assert f"E{entry.pk}" in report.snapshot and f"R{penalty.pk}" in report.snapshot
    assert _changes(report) == {}
    assert client.get(f"/reports/{report.number}/").context["changes"] == []

    # The entry ends by credit repair: still in the subject's report, marked, so "changed".
    ListEntry.objects.filter(pk=entry.pk).update(
        state="ended", end_reason="repaired", ends_on=timezone.localdate()
    )
    assert _changes(report) == {f"E{entry.pk}": ("changed", "ended", "repaired")}

    # The penalty record is repaired (kept, marked 已修复): "changed".
    later = timezone.now() + datetime.timedelta(seconds=1)
    CreditRecord.objects.filter(pk=penalty.pk).update(repaired_at=later, updated_at=later)
    assert _changes(report)[f"R{penalty.pk}"] == ("changed", "", "")

    # Withdrawn (the decision was revoked): no longer in the report at all.
    CreditRecord.objects.filter(pk=penalty.pk).update(status="withdrawn", updated_at=later)
    assert _changes(report)[f"R{penalty.pk}"] == ("removed", "", "")

    # Revoked entries were errors: gone from the report, with the entry's state now.
    ListEntry.objects.filter(pk=entry.pk).update(state="ended", end_reason="revoked")
    assert _changes(report)[f"E{entry.pk}"] == ("removed", "ended", "revoked")

    page = client.get(f"/reports/{report.number}/")
    assert {c.key for c in page.context["changes"]} == {f"E{entry.pk}", f"R{penalty.pk}"}
    assert 'data-testid="changed"' in page.content.decode()


def test_a_new_record_of_the_period_is_reported_as_added(scene):
    penalty = scene["records"]["penalty"]
    report = _issue(penalty.subject)
    copy = CreditRecord.objects.get(pk=penalty.pk)
    copy.pk = None
    copy.decision_number = "杭市监罚〔2026〕９９号"
    copy.save()
    assert _changes(report) == {f"R{copy.pk}": ("added", "", "")}
