"""Computing ratings (docs/RATING.md). One function turns a subject's inputs into points;
everything else (events, expiry, a new rule set) only decides when to call it."""

from __future__ import annotations

import datetime
import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from redis.exceptions import RedisError

from blacklists.models import ListEntry
from notifications.models import SubjectChange
from rating.models import ChangeCursor, Rating, RuleInput, RuleSet
from registry.models import CreditRecord, Subject, SubjectKind
from scs.audit import audited

logger = logging.getLogger(__name__)

# The rating is for enterprises (seed 002); never natural persons.
RATED_KINDS = (SubjectKind.ENTERPRISE,)


def is_rated(subject: Subject) -> bool:
    return subject.kind in RATED_KINDS


RULE_SET_CACHE_KEY = "rating:current-rule-set"
RULE_SET_CACHE_SECONDS = 60


def current_rule_set() -> RuleSet | None:
    """The rule set in force with its rules loaded; cached briefly (publishing clears it),
    since every subject page reads it."""
    try:
        cached = cache.get(RULE_SET_CACHE_KEY)
    except RedisError:
        cached = None
    if cached is not None:
        return cached or None
    rule_set = RuleSet.objects.current()
    if rule_set is not None:
        rule_set.rule_list = list(rule_set.rules.order_by("code"))
    try:
        cache.set(RULE_SET_CACHE_KEY, rule_set or False, RULE_SET_CACHE_SECONDS)
    except RedisError:
        pass
    return rule_set


def _forget_rule_set() -> None:
    try:
        cache.delete(RULE_SET_CACHE_KEY)
    except RedisError:
        pass


def _inputs(subject: Subject, today: datetime.date):
    """List entries in publicity (what the public page shows: published on a public list,
    within the publicity period, not held back by a pending objection), and public records
    in publicity. The rating is public: it never cites what the page does not show."""
    entries = list(
        ListEntry.objects.in_publicity(today)
        .filter(subject=subject)
        .select_related("list", "tier")
        .order_by("starts_on", "pk")
    )
    records = list(
        CreditRecord.objects.visible_to_public(today)
        .filter(subject=subject)
        .select_related("catalogue_item")
        .order_by("decision_date", "pk")
    )
    return entries, records


def _matches(rule, item) -> bool:
    if rule.applies_to == RuleInput.LIST_ENTRY:
        return isinstance(item, ListEntry) and (
            (not rule.list_kind or item.list.kind == rule.list_kind)
            and (not rule.severity or item.tier.tier == rule.severity)
        )
    return isinstance(item, CreditRecord) and (
        (not rule.record_type or item.catalogue_item.record_type == rule.record_type)
        and (not rule.record_category or item.catalogue_item.category == rule.record_category)
    )


def _label(item) -> dict:
    if isinstance(item, ListEntry):
        return {
            "type": "list_entry",
            "id": item.pk,
            "label": f"{item.list.name} {item.decision_number}",
        }
    return {
        "type": "credit_record",
        "id": item.pk,
        "label": f"{item.title} {item.decision_number}".strip(),
    }


def _ends(item) -> datetime.date | None:
    if isinstance(item, ListEntry):
        dates = [d for d in (item.ends_on, item.publicity_ends_on) if d]
        return min(dates) if dates else None
    return item.publicity_ends_on


def evaluate(subject: Subject, rule_set: RuleSet, today: datetime.date) -> dict:
    """{grade, total, points, valid_until} from the subject's inputs; pure given the data."""
    entries, records = _inputs(subject, today)
    points, ends = [], []
    rules = getattr(rule_set, "rule_list", None) or list(rule_set.rules.order_by("code"))
    for rule in rules:
        matched = [i for i in (*entries, *records) if _matches(rule, i)]
        if rule.max_count is not None:
            matched = matched[: rule.max_count]
        for item in matched:
            points.append(
                {
                    "rule": rule.code,
                    "rule_text": rule.text,
                    "rule_text_en": rule.text_en,
                    "source": rule.source,
                    "record": _label(item),
                    "points": rule.points,
                }
            )
            if _ends(item):
                ends.append(_ends(item))
    total = rule_set.base_points + sum(p["points"] for p in points)
    return {
        "grade": rule_set.grade_for(total),
        "total": total,
        "points": points,
        "valid_until": min(ends) if ends else None,
    }


def rating_compute(*, subject: Subject, now: datetime.datetime | None = None) -> Rating | None:
    """Compute and store the subject's rating under the current rule set. None when there is
    no published rule set. Refuses natural persons and other non-enterprises."""
    if not is_rated(subject):
        raise ValidationError(
            {"subject": gettext("The public credit rating is for enterprises only.")}
        )
    rule_set = current_rule_set()
    if rule_set is None:
        return None
    now = now or timezone.now()
    result = evaluate(subject, rule_set, timezone.localdate(now))
    # Derived data, not a regulated record: one upsert, no history rows.
    (rating,) = Rating.objects.bulk_create(
        [Rating(subject=subject, rule_set=rule_set, computed_at=now, **result)],
        update_conflicts=True,
        unique_fields=["subject"],
        update_fields=["rule_set", "grade", "total", "points", "computed_at", "valid_until"],
    )
    rating.rule_set = rule_set
    return rating


def rating_current(subject: Subject) -> Rating | None:
    """The stored rating if it is up to date (current rule set, no input left force),
    else a freshly computed one. None for subjects that are not rated."""
    if not is_rated(subject):
        return None
    rule_set = current_rule_set()
    if rule_set is None:
        return None
    rating = Rating.objects.filter(subject=subject).select_related("rule_set").first()
    today = timezone.localdate()
    if (
        rating is None
        or rating.rule_set_id != rule_set.pk
        or (rating.valid_until is not None and rating.valid_until <= today)
        or _inputs_changed_since(subject, rating.computed_at)
    ):
        rating = rating_compute(subject=subject)
    return rating


def _inputs_changed_since(subject: Subject, at: datetime.datetime) -> bool:
    """Whether a record or list entry of the subject changed after the rating was computed
    (a repair, withdrawal, correction or an entry ending take effect at once: issue 12), or
    an objection to one of its entries was filed, admitted or decided (a hold out of
    publicity begins or ends), in one indexed query; the change-log task catches the rest
    for stored ratings."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM registry_creditrecord"
            "               WHERE subject_id = %(s)s AND updated_at > %(at)s)"
            "    OR EXISTS (SELECT 1 FROM blacklists_listentry"
            "               WHERE subject_id = %(s)s AND updated_at > %(at)s)"
            "    OR EXISTS (SELECT 1 FROM blacklists_objection o"
            "               JOIN blacklists_listentry e ON e.id = o.entry_id"
            "               WHERE e.subject_id = %(s)s AND (o.filed_at > %(at)s"
            "                 OR o.admitted_at > %(at)s OR o.decided_at > %(at)s))",
            {"s": subject.pk, "at": at},
        )
        return bool(cur.fetchone()[0])


# --- when to recompute ------------------------------------------------------------------

CURSOR_KEY = "rating"


def recompute_changed(*, limit: int = 2000) -> int:
    """Recompute ratings of enterprises with a change in the notifications change log since
    the last run (the same events monitoring sets and webhooks use). Stored ratings only: a
    subject never rated is computed when first asked for."""
    with transaction.atomic():
        cursor, _ = ChangeCursor.objects.select_for_update().get_or_create(key=CURSOR_KEY)
        rows = list(
            SubjectChange.objects.filter(id__gt=cursor.position)
            .order_by("id")
            .values_list("id", "subject_id")[:limit]
        )
        if not rows:
            return 0
        subject_ids = {s for _, s in rows}
        rated = Subject.objects.filter(
            pk__in=Rating.objects.filter(subject_id__in=subject_ids).values("subject_id")
        )
        n = 0
        for subject in rated:
            rating_compute(subject=subject)
            n += 1
        cursor.position = rows[-1][0]
        cursor.updated_at = timezone.now()
        cursor.save()
    return n


def recompute_stale(*, limit: int = 5000) -> int:
    """Ratings whose inputs left force (an entry or a record's publicity ended), or computed
    under an older rule set."""
    today = timezone.localdate()
    current = current_rule_set()
    qs = Rating.objects.filter(valid_until__lte=today)
    if current is not None:
        qs = qs | Rating.objects.exclude(rule_set=current)
    n = 0
    for rating in qs.select_related("subject").order_by("pk")[:limit]:
        rating_compute(subject=rating.subject)
        n += 1
    return n


@transaction.atomic
def rule_set_publish(*, actor, rule_set: RuleSet) -> RuleSet:
    """Publish a draft rule set; ratings move to it as they are next read or recomputed."""
    rule_set = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if rule_set.published_at is not None:
        raise ValidationError({"published_at": gettext("This rule set is already published.")})
    if not rule_set.rules.exists():
        raise ValidationError({"rules": gettext("A rule set needs at least one rule.")})
    current = RuleSet.objects.current()
    if current is not None and rule_set.version <= current.version:
        raise ValidationError(
            {"version": gettext("Publish a higher version than the one in force.")}
        )
    with audited(actor, "rating rule set published"):
        rule_set.published_at = timezone.now()
        rule_set.save(update_fields=["published_at"])
    _forget_rule_set()
    transaction.on_commit(_forget_rule_set)
    return rule_set


@transaction.atomic
def rule_set_copy(*, actor, rule_set: RuleSet) -> RuleSet:
    """A new draft version with the same rules, to edit and publish."""
    top = RuleSet.objects.order_by("-version").first()
    with audited(actor, "rating rule set drafted"):
        draft = RuleSet.objects.create(
            version=top.version + 1,
            title=rule_set.title,
            is_example=rule_set.is_example,
            source=rule_set.source,
            base_points=rule_set.base_points,
            excellent_min=rule_set.excellent_min,
            good_min=rule_set.good_min,
            medium_min=rule_set.medium_min,
        )
        for rule in rule_set.rules.all():
            rule.pk = None
            rule.rule_set = draft
            rule.save()
    return draft
