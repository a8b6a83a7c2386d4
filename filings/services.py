"""Writes of subject filings. Signing and self-publishing are done by the subject (the /my/
window wraps them in its account's audit context); outcomes are recorded by agency staff."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from filings.models import CommitmentType, CreditCommitment, SelfPublishedChange, SelfPublishedInfo
from registry import services as registry_services
from registry.credit_records import RecordInput
from registry.models import CatalogueItem, RecordType, Subject, User
from scs.audit import audited

BREACH_CATALOGUE_CATEGORY = CatalogueItem.Category.NEGATIVE


@transaction.atomic
def commitment_sign(
    *, subject: Subject, commitment_type: CommitmentType, signed_by: str
) -> CreditCommitment:
    """The subject signs a published commitment type; the text is kept as signed.
    Errors: `type` withdrawn by the operator; `subject` a government body."""
    if not commitment_type.is_active:
        raise ValidationError({"type": gettext("This commitment type is no longer offered.")})
    if subject.kind == Subject.Kind.GOVERNMENT_BODY:
        raise ValidationError({"subject": gettext("Agencies do not sign credit commitments.")})
    commitment = CreditCommitment(
        subject=subject,
        type=commitment_type,
        text=commitment_type.text,
        signed_by=signed_by,
    )
    commitment.full_clean()
    with audited(None, "credit commitment signed", subject=subject.pk):
        commitment.save()
    return commitment


def breach_catalogue_item() -> CatalogueItem:
    item = CatalogueItem.objects.filter(
        record_type=RecordType.CREDIT_COMMITMENT, category=BREACH_CATALOGUE_CATEGORY
    ).first()
    if item is None:
        raise ValidationError(
            {"status": gettext("The catalogue has no item for broken credit commitments.")}
        )
    return item


@transaction.atomic
def commitment_record_outcome(
    *, actor: User, commitment: CreditCommitment, honoured: bool, note: str
) -> CreditCommitment:
    """An agency records whether a signed commitment was honoured or broken, with its note.
    Broken: a negative credit record of the agency (catalogue item of record type
    credit_commitment) states the commitment, the facts and the type's legal consequence.
    Errors: PermissionDenied without an agency; ValidationError if already decided or the
    note is empty."""
    if actor.agency_id is None:
        raise PermissionDenied(gettext("Only agency staff record the outcome of a commitment."))
    # Two clerks deciding at once: the second sees the first's outcome.
    commitment = (
        CreditCommitment.objects.select_for_update()
        .select_related("type", "subject")
        .get(pk=commitment.pk)
    )
    if commitment.status != CreditCommitment.Status.SIGNED:
        raise ValidationError(
            {"status": gettext("The outcome of this commitment is already recorded.")}
        )
    if not note.strip():
        raise ValidationError({"note": gettext("Say what was found.")})
    now = timezone.now()
    with audited(actor, "commitment outcome recorded"):
        if not honoured:
            item = breach_catalogue_item()
            # The one write path for credit records (registry.credit_records): the recording
            # agency must supply the breach item; keyed by the commitment, so a retry is a no-op.
            record, _created = registry_services.credit_record_create(
                actor=actor,
                data=RecordInput(
                    subject=commitment.subject,
                    catalogue_item=item,
                    deciding_agency=actor.agency,
                    decision_number=f"CC{commitment.pk:08d}",
                    decision_date=timezone.localdate(),
                    title=f"违背信用承诺：{commitment.type.name}"[:200],
                    content=(
                        f"承诺内容：{commitment.text}\n查实情况：{note}\n"
                        f"法律后果：{commitment.type.breach_consequence}"
                    ),
                    legal_basis=commitment.type.legal_basis,
                ),
                reason="broken credit commitment",
            )
            commitment.breach_record = record
        commitment.status = (
            CreditCommitment.Status.HONOURED if honoured else CreditCommitment.Status.BROKEN
        )
        commitment.outcome_agency = actor.agency
        commitment.outcome_by = actor
        commitment.outcome_at = now
        commitment.outcome_note = note
        commitment.full_clean()
        commitment.save()
    return commitment


@transaction.atomic
def self_info_update(*, subject: Subject, changed_by: str, **values) -> list[SelfPublishedChange]:
    """An organisation updates what it publishes about itself; one change row per field
    that differs. Errors: ValidationError by field (bad e-mail, URL, negative count);
    `subject` a natural person (no self-published page)."""
    if subject.is_natural_person:
        raise ValidationError({"subject": gettext("Natural persons do not self-publish.")})
    unknown = set(values) - set(SelfPublishedInfo.FIELDS)
    if unknown:
        raise ValidationError({k: gettext("Not a self-published field.") for k in sorted(unknown)})
    # Two colleagues saving at once: the second compares against the first's values.
    info = SelfPublishedInfo.objects.select_for_update().filter(subject=subject).first()
    if info is None:
        info = SelfPublishedInfo(subject=subject)
    changes = []
    for name, value in values.items():
        old = getattr(info, name)
        if old == value or (old in (None, "") and value in (None, "")):
            continue
        changes.append(
            SelfPublishedChange(
                field=name,
                before="" if old is None else str(old),
                after="" if value is None else str(value),
                changed_by=changed_by,
            )
        )
        setattr(info, name, value)
    if not changes and info.pk:
        return []
    info.updated_at = timezone.now()
    info.full_clean()
    with audited(None, "self-published information updated", subject=subject.pk):
        info.save()
        for change in changes:
            change.info = info
            change.save()
    return changes
