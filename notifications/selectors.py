"""Reads of monitoring sets and webhooks, always scoped to the caller's agency."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from notifications.models import (
    MonitoredSubject,
    MonitoringSet,
    SubjectChange,
    WebhookDelivery,
    WebhookEndpoint,
)


def monitoring_sets_for(agency_id: int | None) -> QuerySet[MonitoringSet]:
    return MonitoringSet.objects.filter(agency_id=agency_id).annotate(size=Count("members"))


def webhooks_for(agency_id: int | None) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(agency_id=agency_id)


def set_changes(*, monitoring_set: MonitoringSet, after: int, limit: int):
    """Changes of the set's current members after a change id, in id order (ids commit in
    order: a reader never skips one). Returns (changes with subjects, has_more)."""
    members = MonitoredSubject.objects.filter(monitoring_set=monitoring_set).values("subject_id")
    rows = list(
        SubjectChange.objects.filter(id__gt=after, subject_id__in=members)
        .select_related("subject")
        .order_by("id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def set_members(*, monitoring_set: MonitoringSet, after: int, limit: int):
    rows = list(
        MonitoredSubject.objects.filter(monitoring_set=monitoring_set, id__gt=after)
        .select_related("subject")
        .order_by("id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def deliveries(*, endpoint: WebhookEndpoint, after: int, limit: int):
    rows = list(
        WebhookDelivery.objects.filter(endpoint=endpoint, id__gt=after)
        .select_related("event")
        .prefetch_related("attempt_log")
        .order_by("id")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit
