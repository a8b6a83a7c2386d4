"""Reads of the special credit report (专项信用报告): its content for a period and audience,
and what changed in an issued report since. Shared by the public portal and the subject's
own window (both portal-side apps read this; this app imports neither)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from blacklists.models import ListEntry
from registry.models import CreditRecord, CreditRecordStatus, RecordType, Subject

SPECIAL_REPORT_MAX_YEARS = 5
NEGATIVE_LIST_KINDS = ("blacklist", "watchlist")


class Audience:
    """Who the special report is for: anyone (public data only) or the subject itself
    (signed in at /my/: every negative item of the period, ended entries kept and marked)."""

    PUBLIC = "public"
    SUBJECT = "subject"


@dataclass
class SpecialReport:
    """The content of a special credit report: three areas, each possibly empty.

    `fingerprints` maps every item to what a later change would alter ("E12" → state, end
    reason and end date of entry 12; "R7" → last change time of record 7), so
    /reports/<number>/ can say whether anything in the report changed since it was issued.
    """

    subject: Subject
    period_from: datetime.date
    period_to: datetime.date
    audience: str
    penalties: list[CreditRecord]
    entries: list[ListEntry]
    other_records: list[CreditRecord]
    fingerprints: dict[str, str]
    latest_change: datetime.datetime | None

    @property
    def data_version(self) -> str:
        """The newest change among the items (or 'empty'), and a digest of all of them."""
        import hashlib

        digest = hashlib.sha256(repr(sorted(self.fingerprints.items())).encode()).hexdigest()
        stamp = f"{self.latest_change:%Y%m%dT%H%M%S}" if self.latest_change else "empty"
        return f"{stamp}-{digest[:8]}"


def special_period_bounds(
    today: datetime.date | None = None,
) -> tuple[datetime.date, datetime.date]:
    """The earliest start and latest end a special report may cover: the last 5 years."""
    today = today or timezone.localdate()
    try:
        earliest = today.replace(year=today.year - SPECIAL_REPORT_MAX_YEARS)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - SPECIAL_REPORT_MAX_YEARS, day=28)
    return earliest, today


def special_report(
    subject: Subject, *, period_from: datetime.date, period_to: datetime.date, audience: str
) -> SpecialReport:
    """Penalties, negative list entries and other negative records of the period.

    Public audience: what the public may see today (records in publicity and not repaired,
    entries in publicity). Subject audience: every tier (the subject's own copy); confirmed
    records stay when repaired (`repaired_at` set: the PDF marks them 已修复) or past
    publicity, and entries that ended within or after the period stay, marked (已修复 for
    credit repair). Withdrawn records, records awaiting review, revoked entries and entries
    ended by an upheld objection were never decisions (or were errors) and are left out of
    both. Three queries.
    """
    records = CreditRecord.objects.filter(
        subject=subject, decision_date__gte=period_from, decision_date__lte=period_to
    ).filter(catalogue_item__category="negative")
    if audience == Audience.PUBLIC:
        records = records.visible_to_public()
    else:
        records = records.filter(status=CreditRecordStatus.CONFIRMED)
    records = list(
        records.select_related("catalogue_item", "agency__subject").order_by("decision_date", "pk")
    )
    entries = ListEntry.objects.filter(
        subject=subject, list__kind__in=NEGATIVE_LIST_KINDS, starts_on__lte=period_to
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period_from))
    if audience == Audience.PUBLIC:
        entries = entries.in_publicity()
    else:
        entries = entries.filter(
            Q(state=ListEntry.State.PUBLISHED)
            | Q(
                state=ListEntry.State.ENDED,
                end_reason__in=[ListEntry.EndReason.EXPIRED, ListEntry.EndReason.REPAIRED],
            )
        )
    entries = list(
        entries.select_related("list__owner__subject", "ground", "tier").order_by("starts_on", "pk")
    )
    fingerprints = {f"R{r.pk}": r.updated_at.isoformat() for r in records}
    fingerprints.update({f"E{e.pk}": entry_fingerprint(e) for e in entries})
    changes = [r.updated_at for r in records] + [e.updated_at for e in entries]
    return SpecialReport(
        subject=subject,
        period_from=period_from,
        period_to=period_to,
        audience=audience,
        penalties=[
            r for r in records if r.catalogue_item.record_type == RecordType.ADMINISTRATIVE_PENALTY
        ],
        entries=entries,
        other_records=[
            r for r in records if r.catalogue_item.record_type != RecordType.ADMINISTRATIVE_PENALTY
        ],
        fingerprints=fingerprints,
        latest_change=max(changes) if changes else None,
    )


def entry_fingerprint(entry: ListEntry) -> str:
    return f"{entry.state}|{entry.end_reason}|{entry.ends_on or ''}"


@dataclass
class ReportChange:
    key: str  # "E12" or "R7"
    change: str  # removed | changed | added
    state: str = ""  # an entry's state now ("" for records, or a deleted row)
    end_reason: str = ""


def special_report_changes(report) -> list[ReportChange]:
    """What differs between an issued special report and the same report made now: items
    gone (entry ended or revoked, record withdrawn or out of publicity), items changed
    (an entry ended or repaired, a record corrected) and items added to the period."""
    current = special_report(
        report.subject,
        period_from=report.period_from,
        period_to=report.period_to,
        audience=report.audience,
    )
    before, after = report.snapshot or {}, current.fingerprints
    changes = []
    entry_ids = [int(k[1:]) for k in set(before) | set(after) if k.startswith("E")]
    states = {
        f"E{pk}": (state, reason)
        for pk, state, reason in ListEntry.objects.filter(pk__in=entry_ids).values_list(
            "pk", "state", "end_reason"
        )
    }
    for key in sorted(set(before) | set(after)):
        if key not in after:
            kind = "removed"
        elif key not in before:
            kind = "added"
        elif before[key] != after[key]:
            kind = "changed"
        else:
            continue
        changes.append(ReportChange(key, kind, *states.get(key, ("", ""))))
    return changes
