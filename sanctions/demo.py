"""Demo memoranda from the seeds; then the outbox is drained so demo sanctions exist."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.db import transaction

from blacklists.models import ListDefinition
from registry.models import Agency
from sanctions import services
from sanctions.models import Measure, MeasureCoListing, Memorandum
from scs.audit import audited

DATA = Path(__file__).parent / "data" / "demo_memoranda.json"


@transaction.atomic
def seed_memoranda(agencies: dict[str, Agency]) -> int:
    made = 0
    lists = {d.key: d for d in ListDefinition.objects.all()}
    with audited(None, "demo memoranda"):
        for row in json.loads(DATA.read_text(encoding="utf-8")):
            if Memorandum.objects.filter(key=row["key"]).exists():
                _set_applicability(row, lists)
                continue
            mou = Memorandum.objects.create(
                key=row["key"],
                title=row["title_zh"],
                title_en=row.get("title_en", ""),
                document_number=row["document_number"],
                signed_on=datetime.date.fromisoformat(row["signed_on"]),
                effective_from=datetime.date.fromisoformat(row["effective_from"]),
                effective_until=datetime.date.fromisoformat(row["effective_until"])
                if row.get("effective_until")
                else None,
                source=row.get("source", ""),
            )
            mou.signatories.set([agencies[k] for k in row["signatories"] if k in agencies])
            mou.triggering_lists.set([lists[k] for k in row["triggering_lists"] if k in lists])
            for m in row["measures"]:
                measure = Measure(
                    memorandum=mou,
                    code=m["code"],
                    text=m["text_zh"],
                    text_en=m.get("text_en", ""),
                    kind=m["kind"],
                    implementing_agency=agencies[m["implementing_agency"]],
                    legal_basis=m["legal_basis"],
                    mandatory=m.get("mandatory", True),
                    targets=m.get("targets", "subject"),
                    target_basis=m.get("target_basis")
                    or (m["legal_basis"] if m.get("targets", "subject") != "subject" else ""),
                    duration=m.get("duration", "while_in_force"),
                    fixed_months=m.get("fixed_months"),
                    applies_to=m.get("applies_to", "any"),
                    applies_to_basis=m.get("applies_to_basis", ""),
                )
                measure.full_clean()
                measure.save()
                _set_co_listing(measure, m, lists)
            made += 1
    return made


def _set_co_listing(measure: Measure, spec: dict, lists: dict[str, ListDefinition]) -> None:
    for condition in spec.get("co_listing", []):
        if condition["list"] in lists:
            MeasureCoListing.objects.update_or_create(
                measure=measure,
                list=lists[condition["list"]],
                defaults={"clause": condition["clause"]},
            )


def _set_applicability(row: dict, lists: dict[str, ListDefinition]) -> None:
    """Bring the applicability of an already loaded memorandum's measures in line with the
    data file (databases seeded before measures had conditions); reconciliation then lifts
    what the conditions exclude."""
    for spec in row["measures"]:
        measure = Measure.objects.filter(memorandum__key=row["key"], code=spec["code"]).first()
        if measure is None:
            continue
        applies_to = spec.get("applies_to", "any")
        basis = spec.get("applies_to_basis", "")
        if (measure.applies_to, measure.applies_to_basis) != (applies_to, basis):
            measure.applies_to, measure.applies_to_basis = applies_to, basis
            measure.full_clean()
            measure.save(update_fields=["applies_to", "applies_to_basis"])
        _set_co_listing(measure, spec, lists)


def seed(*, agencies: dict[str, Agency], log=print) -> None:
    made = seed_memoranda(agencies)
    processed = 0
    while batch := services.pending_outbox_events(1000):
        for event_id in batch:
            services.outbox_event_process(event_id=event_id)
        processed += len(batch)
    # Memoranda created (or their conditions set) after entries were published: bring them
    # in line (a no-op when nothing drifted).
    drift = services.reconcile(fix=True)
    if drift.total:
        log(f"[demo] reconciled {drift.missing} missing and {drift.extra} extra sanctions")
    log(f"[demo] {made} new memoranda, {processed} outbox events applied")
