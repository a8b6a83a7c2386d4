"""Credit repair of penalty records (信用修复 of administrative penalty information).

After the minimum publicity period of its severity (catalogue item, NDRC Order No. 58 of 2023
art. 9 by default: 3 months ordinary, 1 year serious), a subject that has carried out the
penalty and corrected the violation applies; the deciding agency decides within 10 working
days (flagged overdue after). A granted repair stops publication at once (portal, reports,
exports all read `CreditRecord.objects.published()`), keeps the record visible to agencies
marked repaired, and writes a `repaired` change to the outbox, which reaches the agencies
holding copies as a `record_repaired` event in their feed (`GET /api/v1/sanctions/feed/`) and at
`GET /api/v1/credit-records/changes/`.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from registry.credit_records import log_change
from registry.models import (
    RECORD_REPAIR_CONDITIONS,
    RECORD_REPAIR_WORKING_DAYS,
    CreditRecord,
    CreditRecordChange,
    RecordRepair,
    RecordType,
    User,
    add_months,
)
from registry.workdays import add_working_days
from scs.audit import audited


def repair_earliest(record: CreditRecord) -> datetime.date | None:
    """The first day a repair may be applied for: decision date + the minimum publicity."""
    minimum, _maximum = record.catalogue_item.publicity_for(record.severity)
    return add_months(record.decision_date, minimum) if minimum else None


def repairable(record: CreditRecord) -> bool:
    return (
        record.catalogue_item.record_type == RecordType.ADMINISTRATIVE_PENALTY
        and record.is_published
    )


def _tracking_number() -> str:
    return "RR-" + timezone.localdate().strftime("%Y%m%d") + "-" + secrets.token_hex(4).upper()


@transaction.atomic
def credit_record_repair_apply(
    *,
    record: CreditRecord,
    applicant_name: str,
    contact: str,
    conditions_met: Iterable[str],
    statement: str,
    evidence=None,
    actor: User | None = None,
) -> RecordRepair:
    """File a repair application (the public, from the portal). ValidationError when the record
    is not a published penalty, the minimum period has not passed, or one is already pending."""
    # Two applications racing for one record: lock the record.
    record = (
        CreditRecord.objects.select_for_update().select_related("catalogue_item").get(pk=record.pk)
    )
    if not repairable(record):
        raise ValidationError(
            {"record": gettext("Only a published administrative penalty record can be repaired.")}
        )
    earliest = repair_earliest(record)
    if earliest and timezone.localdate() < earliest:
        raise ValidationError(
            {
                "record": gettext(
                    "Repair can be applied for from %(date)s, after the minimum publicity period."
                )
                % {"date": f"{earliest:%Y-%m-%d}"}
            }
        )
    if record.repairs.filter(status=RecordRepair.Status.PENDING).exists():
        raise ValidationError(
            {"record": gettext("An application for this record is already pending.")}
        )
    conditions = sorted(set(conditions_met))
    unknown = [c for c in conditions if c not in RECORD_REPAIR_CONDITIONS]
    if unknown:
        raise ValidationError(
            {
                "conditions_met": gettext("Unknown conditions: %(codes)s.")
                % {"codes": ", ".join(unknown)}
            }
        )
    application = RecordRepair(
        record=record,
        tracking_number=_tracking_number(),
        applicant_name=applicant_name,
        contact=contact,
        conditions_met=conditions,
        statement=statement,
        decide_by=add_working_days(timezone.localdate(), RECORD_REPAIR_WORKING_DAYS),
    )
    if evidence is not None:
        application.evidence = evidence
    application.full_clean(exclude=["record", "evidence"])
    with audited(actor, "record repair applied for", tracking_number=application.tracking_number):
        application.save()
    return application


@transaction.atomic
def credit_record_repair_decide(
    *, actor: User, application: RecordRepair, grant: bool, reasons: str
) -> RecordRepair:
    """A reviewer of the deciding (or filing) agency grants or refuses, with reasons. Granting
    needs every condition shown; the record stops being published at once."""
    # The decision and the clock's overdue flag, or two reviewers, race on the application.
    application = RecordRepair.objects.select_for_update().get(pk=application.pk)
    record = (
        CreditRecord.objects.select_for_update()
        .select_related("catalogue_item")
        .get(pk=application.record_id)
    )
    if not actor.is_superuser and (
        not actor.is_reviewer or actor.agency_id not in (record.agency_id, record.supplier_id)
    ):
        raise PermissionDenied(
            gettext("A reviewer of the deciding agency decides repair applications.")
        )
    if application.status != RecordRepair.Status.PENDING:
        raise ValidationError({"status": gettext("This application is already decided.")})
    if not (reasons or "").strip():
        raise ValidationError({"decision_reasons": gettext("A decision gives its reasons.")})
    if grant:
        missing = sorted(set(RECORD_REPAIR_CONDITIONS) - set(application.conditions_met))
        if missing:
            raise ValidationError(
                {
                    "status": gettext("Conditions not shown: %(codes)s.")
                    % {"codes": ", ".join(missing)}
                }
            )
    now = timezone.now()
    with audited(actor, reasons, tracking_number=application.tracking_number):
        application.status = RecordRepair.Status.GRANTED if grant else RecordRepair.Status.REFUSED
        application.decision_reasons = reasons.strip()
        application.decided_by = actor
        application.decided_at = now
        application.save()
        if grant and record.repaired_at is None:
            record.repaired_at = now
            record.save(update_fields=["repaired_at", "updated_at"])
            log_change(record, CreditRecordChange.Kind.REPAIRED, actor, reasons.strip())
    return application


def record_repairs_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Mark pending applications past their due date (one conditional UPDATE; idempotent)."""
    today = today or timezone.localdate()
    return RecordRepair.objects.filter(
        status=RecordRepair.Status.PENDING, decide_by__lt=today, is_overdue=False
    ).update(is_overdue=True)
