"""Demo lists from the seeds, and a few hundred entries in every state, made through the
services so that audit history and outbox rows are real."""

from __future__ import annotations

import datetime
import json
import random
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from blacklists import services
from blacklists.models import (
    EntryState,
    ListDefinition,
    ListEntry,
    ListGround,
    SeverityTier,
)
from registry.demo import ensure_demo_user
from registry.models import Agency, Subject, User

DATA = Path(__file__).parent / "data" / "demo_lists.json"


@transaction.atomic
def seed_lists(agencies: dict[str, Agency]) -> dict[str, ListDefinition]:
    lists = {}
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        owner = agencies[row["owner"]]
        definition, created = ListDefinition.objects.get_or_create(
            key=row["key"],
            defaults={
                "owner": owner,
                "kind": row["kind"],
                "name": row["name_zh"],
                "name_en": row["name_en"],
                "legal_basis_instrument": row["legal_basis_instrument"],
                "legal_basis_article": row.get("legal_basis_article") or "",
                "subject_kinds": row["subject_kinds"],
                "is_public": row.get("is_public", True),
                "publicity_months": row["publicity_months"],
                "objection_window_days": row.get("objection_window_days", 15),
                "decision_deadline_working_days": row.get("decision_deadline_working_days", 15),
                "immediate_publication_basis": row.get("immediate_publication_basis") or "",
                "hold_while_objection_pending": row.get(
                    "hold_out_of_publicity_while_objection_pending", True
                ),
                "may_trigger_joint_measures": row.get("may_trigger_joint_measures", False),
                "is_derived": row.get("derived", False),
                "repair_conditions": row.get("repair_conditions", []),
                "source": row.get("source", ""),
            },
        )
        if created:
            for ground in row["grounds"]:
                ListGround.objects.create(
                    list=definition,
                    code=ground["code"],
                    text=ground["text_zh"],
                    text_en=ground.get("text_en", ""),
                    legal_basis=ground["legal_basis"],
                )
            for tier in row["tiers"]:
                SeverityTier.objects.create(
                    list=definition,
                    tier=tier["tier"],
                    min_months=tier["min_months"],
                    max_months=tier.get("max_months"),
                )
        lists[row["key"]] = definition
    return lists


def _staff(definition: ListDefinition, slug: str) -> tuple[User, User]:
    """The owning agency's demo clerk and reviewer (maker and checker are different people)."""
    clerk = ensure_demo_user(f"{slug}-clerk", definition.owner, User.Role.CLERK)
    reviewer = ensure_demo_user(f"{slug}-reviewer", definition.owner, User.Role.REVIEWER)
    return clerk, reviewer


# How many demo entries end in each state (per list with room for them).
STATE_PLAN = [
    ("draft", 2),
    ("submitted", 2),
    ("approved", 2),
    ("notified", 3),
    ("published", 12),
    ("expired", 2),
    ("repaired", 1),
    ("revoked", 1),
    ("objection_upheld", 1),
]


def _backdate(entry: ListEntry, days: int) -> None:
    """Demo only: move an entry's review dates into the past so the objection window has run."""
    past = timezone.now() - datetime.timedelta(days=days)
    ListEntry.objects.filter(pk=entry.pk).update(submitted_at=past, approved_at=past)


def seed_entries(
    lists: dict[str, ListDefinition], slugs: dict[int, str], *, per_list_scale: int = 1
) -> int:
    if ListEntry.objects.exists():
        return 0
    rng = random.Random(42)
    made = 0
    for definition in lists.values():
        if definition.is_derived:
            continue
        clerk, reviewer = _staff(definition, slugs[definition.owner_id])
        candidates = list(
            Subject.objects.filter(kind__in=definition.subject_kinds, agency__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[:5000]
        )
        if not candidates:
            continue
        grounds = list(definition.grounds.all())
        tiers = list(definition.tiers.all())
        for state, count in STATE_PLAN:
            for _ in range(count * per_list_scale):
                subject = Subject.objects.get(pk=rng.choice(candidates))
                tier = rng.choice(tiers)
                upper = tier.max_months if tier.max_months is not None else tier.min_months * 2
                duration = rng.randint(max(1, tier.min_months), max(1, tier.min_months, upper))
                decided = timezone.localdate() - datetime.timedelta(days=rng.randint(20, 400))
                try:
                    _make(
                        definition,
                        subject,
                        rng.choice(grounds),
                        tier,
                        duration,
                        decided,
                        state,
                        clerk,
                        reviewer,
                        rng,
                    )
                except (ValidationError, IntegrityError) as exc:  # same decision drawn twice
                    print(f"[demo] skipped an entry: {exc}")
                    continue
                made += 1
    return made


def demo_facts(definition) -> str:
    """The recognised facts of a demo entry, in the words its list kind calls for: a redlist
    entry recognises merit, never "失信行为" (the file and the report print them as they are)."""
    if definition.kind == "redlist":
        return "经依法认定,该主体符合上述列入条件,相关决定已生效。(演示数据)"
    return "经依法认定,该主体存在上述失信行为,相关决定已生效。(演示数据)"


def _make(definition, subject, ground, tier, duration, decided, state, clerk, reviewer, rng):
    with transaction.atomic():
        entry = services.list_entry_create(
            actor=clerk,
            definition=definition,
            subject=subject,
            ground=ground,
            tier=tier,
            duration_months=duration,
            decision_number=f"（{decided.year}）示例{rng.randint(1000, 99999)}号",
            decision_date=decided,
            decision_issuer=definition.owner.subject.name,
            facts=demo_facts(definition),
        )
        if state == "draft":
            return entry
        services.list_entry_submit(actor=clerk, entry=entry)
        if state == "submitted":
            return entry
        services.list_entry_approve(actor=reviewer, entry=entry)
        if state == "approved":
            return entry
        if state == "notified":
            services.list_entry_notify(
                actor=clerk, entry=entry, via="electronic", reference=f"电子送达 {entry.pk}"
            )
            return entry
        _backdate(entry, 40)
        notified = timezone.now() - datetime.timedelta(days=30)
        services.list_entry_notify(
            actor=clerk,
            entry=entry,
            via="registered_mail",
            reference=f"挂号信 {entry.pk}",
            notified_at=notified,
        )
        services.list_entry_publish(actor=clerk, entry=entry, reason="objection window lapsed")
        entry.refresh_from_db()
        today = timezone.localdate()
        if state == "expired":
            # Demo only: the entry started long enough ago to have run its course.
            start = today - datetime.timedelta(days=31 * duration + 2)
            ListEntry.objects.filter(pk=entry.pk).update(
                starts_on=start, ends_on=entry.compute_end(start)
            )
        elif state == "repaired":
            # Demo only: past the tier's minimum period, still in force.
            start = today - datetime.timedelta(days=31 * tier.min_months + 2)
            ListEntry.objects.filter(pk=entry.pk).update(
                starts_on=start, ends_on=today + datetime.timedelta(days=60)
            )
        entry.refresh_from_db()
        if state == "expired":
            services.list_clock_expire()
        elif state == "revoked":
            services.list_entry_revoke(actor=reviewer, entry=entry, reason="演示:决定被撤销")
        elif state == "objection_upheld":
            objection = services.objection_file(
                entry=entry,
                filed_by_name=subject.name,
                contact="demo@example.invalid",
                disputed_facts="该主体已在决定作出前履行全部义务。",
            )
            services.objection_decide(
                actor=reviewer, objection=objection, upheld=True, reasons="经复核,异议成立。"
            )
        elif state == "repaired":
            services.repair_apply(
                entry=entry,
                applicant_name=subject.name,
                contact="demo@example.invalid",
                conditions_met=definition.repair_conditions,
                statement="已纠正失信行为并作出信用承诺。",
            )
            if rng.random() < 0.5:  # half decided, half waiting in the reviewer's queue
                services.repair_decide(
                    actor=reviewer,
                    application=entry.repairs.get(),
                    grant=True,
                    reasons="已满最短公示期,修复条件齐备。",
                )
        return entry


def seed(*, agencies: dict[str, Agency], log=print) -> None:
    lists = seed_lists(agencies)
    made = seed_entries(lists, {agency.pk: key for key, agency in agencies.items()})
    log(f"[demo] {len(lists)} lists, {made} new entries")


__all__ = ["seed", "EntryState"]
