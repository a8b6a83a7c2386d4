"""Monitoring sets, the subject change log they read, and webhooks (docs/NOTIFICATIONS.md).

The change log (`SubjectChange`) is written only by `notifications.services.changes_collect`,
which reads the lower apps' own append-only tables by cursor (sanctions' `SanctionEvent`,
lists' `OutboxEvent`, registry's public records); nothing below imports this app.
"""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Agency, Subject


class ChangeKind(models.TextChoices):
    ENTRY_GAINED = "entry_gained", _("list entry took effect")
    ENTRY_LOST = "entry_lost", _("list entry ended")
    MEASURE_IMPOSED = "measure_imposed", _("measure imposed")
    MEASURE_LIFTED = "measure_lifted", _("measure lifted")
    PENALTY_PUBLISHED = "penalty_published", _("new penalty in publicity")
    RECORD_PUBLISHED = "record_published", _("other new public record")
    # Hook for the commitments app (issue 13): its change source writes this kind.
    COMMITMENT_BROKEN = "commitment_broken", _("credit commitment broken")


class SourceCursor(models.Model):
    """How far the collector has read one source table. Rows newer than the settle window are
    read again next time (a transaction may commit late with a smaller id); the unique
    constraint on SubjectChange makes the re-read harmless."""

    source = models.CharField(max_length=32, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)


class SubjectChange(models.Model):
    """Something that happened to a subject that monitoring sets watch. Ids are assigned by
    one collector under an advisory lock, so they commit in increasing order and a reader
    paging by id never skips one."""

    Kind = ChangeKind

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=ChangeKind.choices)
    source = models.CharField(max_length=32)
    source_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One change per source row and subject: the collector may read a row twice.
            models.UniqueConstraint(
                name="subjectchange_once_per_source_row",
                fields=["source", "source_id", "subject"],
            )
        ]
        indexes = [
            # Monitoring set changes: a subject's changes after a cursor.
            models.Index(name="subjectchange_subject_id", fields=["subject", "id"]),
        ]


@pghistory.track()
class MonitoringSet(models.Model):
    """A named set of subjects an agency watches (e.g. the bidders of one procurement)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="monitoring_sets", verbose_name=_("agency")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("monitoring set")
        verbose_name_plural = _("monitoring sets")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(name="monitoringset_name_per_agency", fields=["agency", "name"])
        ]

    def __str__(self) -> str:
        return self.name


class MonitoredSubject(models.Model):
    """A member of a set. Not tracked row by row (a 100 000-identifier request would write
    100 000 history rows through a per-row trigger): each change is audited as one
    MembershipChange row instead."""

    monitoring_set = models.ForeignKey(
        MonitoringSet, on_delete=models.CASCADE, related_name="members"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                name="monitoredsubject_once_per_set", fields=["monitoring_set", "subject"]
            )
        ]
        indexes = [
            # Fan-out: which sets hold a changed subject.
            models.Index(name="monitoredsubject_subject", fields=["subject"]),
        ]


class MembershipChange(models.Model):
    """The audit of one add/remove request on a monitoring set: who, when, why, and exactly
    which subjects were added and removed."""

    monitoring_set = models.ForeignKey(
        MonitoringSet, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_name = models.CharField(max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200)
    added = ArrayField(models.BigIntegerField(), default=list)
    removed = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        ordering = ["-at"]


class EventKind(models.TextChoices):
    SANCTIONS = "sanctions", _("sanctions of measures the agency implements")
    MONITORING = "monitoring", _("changes of subjects in its monitoring sets")


@pghistory.track(exclude=["secret"])
class WebhookEndpoint(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("agency")
    )
    url = models.URLField(max_length=500, verbose_name=_("callback URL"))
    secret = models.CharField(
        max_length=200,
        help_text=_("Shared secret for the HMAC-SHA256 signature."),
        verbose_name=_("shared secret"),
    )
    event_kinds = ArrayField(
        models.CharField(max_length=16, choices=EventKind.choices), verbose_name=_("event kinds")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("in use"))
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    failing_since = models.DateTimeField(null=True, blank=True, verbose_name=_("failing since"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """The outbox: one event for one agency, written in the same transaction as what caused
    it. `event_id` is what receivers deduplicate on; it never changes, retries and replays
    resend it."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=48)
    source = models.CharField(max_length=32)
    source_id = models.BigIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One event per agency and source row: collecting twice cannot duplicate it.
            models.UniqueConstraint(
                name="webhookevent_once_per_source",
                fields=["agency", "source", "source_id"],
                condition=~Q(source="ping"),
            )
        ]


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed (gave up)")

    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                name="webhookdelivery_once_per_endpoint", fields=["event", "endpoint"]
            )
        ]
        indexes = [
            # Delivery loop: pending deliveries that are due.
            models.Index(
                name="webhookdelivery_due",
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
            ),
            # Listing an endpoint's deliveries after a cursor.
            models.Index(name="webhookdelivery_endpoint_id", fields=["endpoint", "id"]),
        ]


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField()
    latency_ms = models.PositiveIntegerField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField()
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]


class AgencyNotice(models.Model):
    """A message for an agency's administrators (shown in the admin, also e-mailed)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    subject_line = models.CharField(max_length=200, verbose_name=_("subject line"))
    body = models.TextField(verbose_name=_("body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("agency notice")
        verbose_name_plural = _("agency notices")
        ordering = ["-created_at"]
