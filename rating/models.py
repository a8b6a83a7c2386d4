"""The enterprise public credit rating (seed 002: the Comprehensive Public Credit Rating,
excellent / good / medium / poor): a published, versioned rule set held as data, and each
enterprise's rating with every point explained by the record behind it (docs/RATING.md).

No machine learning, no hidden inputs: only list entries in force on public lists and public
catalogue records in their publicity period count, because the rating itself is public. Never
computed for natural persons (seeds 001, 002: the national system has no score for
individuals)."""

from __future__ import annotations

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blacklists.models import ListKind, Severity
from registry.models import CatalogueItem, RecordType, Subject


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("excellent")
    GOOD = "good", _("good")
    MEDIUM = "medium", _("medium")
    POOR = "poor", _("poor")


class RuleSetQuerySet(models.QuerySet):
    def published(self) -> RuleSetQuerySet:
        return self.filter(published_at__isnull=False)

    def current(self) -> RuleSet | None:
        """The rule set in force: the published one with the highest version."""
        return self.published().order_by("-version").first()


@pghistory.track()
class RuleSet(models.Model):
    """One version of the rules. Editable while a draft; frozen once published (a change is a
    new version, so every computed rating names the exact rules behind it)."""

    version = models.PositiveIntegerField(unique=True, verbose_name=_("version"))
    title = models.CharField(max_length=300, verbose_name=_("title"))
    is_example = models.BooleanField(
        default=False,
        help_text=_("An example shipped with the software, to be replaced by the official one."),
        verbose_name=_("example"),
    )
    source = models.TextField(
        help_text=_("The policy document this rule set implements."),
        verbose_name=_("policy source"),
    )
    base_points = models.IntegerField(default=100, verbose_name=_("base points"))
    excellent_min = models.IntegerField(
        help_text=_("Points from which the grade is excellent."),
        verbose_name=_("minimum points for excellent"),
    )
    good_min = models.IntegerField(verbose_name=_("minimum points for good"))
    medium_min = models.IntegerField(
        help_text=_("Below this: poor."), verbose_name=_("minimum points for medium")
    )
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating rule set")
        verbose_name_plural = _("rating rule sets")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                name="ruleset_thresholds_ordered",
                condition=Q(excellent_min__gt=models.F("good_min"))
                & Q(good_min__gt=models.F("medium_min")),
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.title}"

    def grade_for(self, total: int) -> str:
        if total >= self.excellent_min:
            return Grade.EXCELLENT
        if total >= self.good_min:
            return Grade.GOOD
        if total >= self.medium_min:
            return Grade.MEDIUM
        return Grade.POOR


class RuleInput(models.TextChoices):
    LIST_ENTRY = "list_entry", _("list entry in force")
    CREDIT_RECORD = "credit_record", _("catalogue record in publicity")


@pghistory.track()
class Rule(models.Model):
    """Points for each matching input; every rule cites its legal or policy source."""

    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="rules", verbose_name=_("rating rule set")
    )
    code = models.CharField(max_length=16, verbose_name=_("code"))
    text = models.CharField(max_length=300, verbose_name=_("rule"))
    text_en = models.CharField(max_length=300, blank=True, verbose_name=_("rule in English"))
    applies_to = models.CharField(
        max_length=16, choices=RuleInput.choices, verbose_name=_("applies to")
    )
    list_kind = models.CharField(
        max_length=16, choices=ListKind.choices, blank=True, verbose_name=_("list kind")
    )
    severity = models.CharField(
        max_length=32, choices=Severity.choices, blank=True, verbose_name=_("severity")
    )
    record_type = models.CharField(
        max_length=32, choices=RecordType.choices, blank=True, verbose_name=_("record type")
    )
    record_category = models.CharField(
        max_length=16,
        choices=CatalogueItem.Category.choices,
        blank=True,
        verbose_name=_("record category"),
    )
    points = models.IntegerField(
        help_text=_("Per matching input; negative to deduct."), verbose_name=_("points")
    )
    max_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("At most this many inputs count (empty: all)."),
        verbose_name=_("maximum count"),
    )
    source = models.CharField(
        max_length=500, help_text=_("Legal or policy source of the rule."), verbose_name=_("source")
    )

    class Meta:
        verbose_name = _("rating rule")
        verbose_name_plural = _("rating rules")
        ordering = ["rule_set", "code"]
        constraints = [
            models.UniqueConstraint(name="rule_code_per_set", fields=["rule_set", "code"]),
            models.CheckConstraint(name="rule_has_source", condition=~Q(source="")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text} ({self.points:+d})"

    def clean(self) -> None:
        super().clean()
        if self.applies_to == RuleInput.LIST_ENTRY and (self.record_type or self.record_category):
            raise ValidationError({"record_type": _("A list entry rule matches list fields.")})
        if self.applies_to == RuleInput.CREDIT_RECORD and (self.list_kind or self.severity):
            raise ValidationError({"list_kind": _("A record rule matches record fields.")})
        if not (self.source or "").strip():
            raise ValidationError({"source": _("Every rule cites its legal or policy source.")})


class Rating(models.Model):
    """An enterprise's current rating. `points` lists every contribution:
    [{"rule": code, "rule_text": ..., "source": ..., "record": {"type", "id", "label"},
    "points": n}]."""

    subject = models.OneToOneField(
        Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("rating rule set")
    )
    grade = models.CharField(max_length=16, choices=Grade.choices, verbose_name=_("grade"))
    total = models.IntegerField(verbose_name=_("total points"))
    points = models.JSONField(default=list, verbose_name=_("points in detail"))
    computed_at = models.DateTimeField(verbose_name=_("computed at"))
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text=_("The first day an input leaves force: recompute then."),
        verbose_name=_("valid until"),
    )

    class Meta:
        verbose_name = _("credit rating")
        verbose_name_plural = _("credit ratings")
        indexes = [
            # Nightly: ratings whose inputs left force.
            models.Index(name="rating_valid_until", fields=["valid_until"]),
        ]


class ChangeCursor(models.Model):
    """How far the rating has read the notifications change log."""

    key = models.CharField(max_length=32, primary_key=True, verbose_name=_("key"))
    position = models.BigIntegerField(default=0, verbose_name=_("position"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("change log cursor")
        verbose_name_plural = _("change log cursors")
