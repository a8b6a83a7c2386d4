"""Writes to the registry. Every one runs in a transaction under an audit context."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from registry import workdays
from registry.models import (
    Agency,
    CalendarDay,
    CatalogueItem,
    Division,
    FormerIdentifier,
    FormerName,
    RegistrationChange,
    Subject,
    SubjectRole,
    User,
)
from scs.audit import audited


@dataclass(frozen=True)
class RoleInput:
    role: str
    holder_identifier: str
    holder_name: str = ""
    started_on: datetime.date | None = None
    ended_on: datetime.date | None = None


@dataclass(frozen=True)
class FormerIdentifierInput:
    scheme: str
    value: str
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


@dataclass(frozen=True)
class FormerNameInput:
    name: str
    valid_until: datetime.date
    valid_from: datetime.date | None = None


# Registration facts an authority records (GSXT's 登记信息); natural persons have none.
FACT_FIELDS = (
    "legal_representative_name",
    "registered_capital",
    "company_type",
    "business_term_from",
    "business_term_until",
    "address",
    "business_scope",
)
# Which change-history item a fact belongs to.
FACT_ITEM = {
    "name": RegistrationChange.Item.NAME,
    "legal_representative_name": RegistrationChange.Item.LEGAL_REPRESENTATIVE,
    "registered_capital": RegistrationChange.Item.REGISTERED_CAPITAL,
    "company_type": RegistrationChange.Item.COMPANY_TYPE,
    "business_term_from": RegistrationChange.Item.BUSINESS_TERM,
    "business_term_until": RegistrationChange.Item.BUSINESS_TERM,
    "address": RegistrationChange.Item.ADDRESS,
    "business_scope": RegistrationChange.Item.BUSINESS_SCOPE,
}


def _check_facts(kind: str, facts: dict) -> None:
    given = {k: v for k, v in facts.items() if v not in (None, "")}
    unknown = set(given) - set(FACT_FIELDS)
    if unknown:
        raise ValidationError({k: gettext("Not a registration fact.") for k in sorted(unknown)})
    if kind == Subject.Kind.NATURAL_PERSON and given:
        message = gettext("Natural persons have no registration facts.")
        raise ValidationError({k: message for k in sorted(given)})


@transaction.atomic
def subject_facts_change(
    *,
    actor: User,
    subject: Subject,
    changed_on: datetime.date,
    reason: str = "registration change",
    **facts,
) -> list[RegistrationChange]:
    """Record a change of registration facts (and the name): updates the subject and writes
    one RegistrationChange per item whose value differs, so the public page and the API show
    the change history. Errors: PermissionDenied unless a registration authority;
    ValidationError for unknown facts or facts of a natural person."""
    ensure_may_register(actor)
    _check_facts(subject.kind, {k: v for k, v in facts.items() if k != "name"})
    # Two authorities' clerks editing at once: the second sees the first's values.
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    changes: dict[str, tuple[list[str], list[str]]] = {}
    for field, value in facts.items():
        old = getattr(subject, field)
        if old == value:
            continue
        before, after = changes.setdefault(FACT_ITEM[field], ([], []))
        before.append("" if old is None else str(old))
        after.append("" if value is None else str(value))
        setattr(subject, field, value)
    if not changes:
        return []
    subject.full_clean()
    with audited(actor, reason):
        subject.save()
        if FACT_ITEM["name"] in changes:  # renamed companies stay findable
            FormerName.objects.create(
                subject=subject, name=changes[FACT_ITEM["name"]][0][0], valid_until=changed_on
            )
        return [
            RegistrationChange.objects.create(
                subject=subject,
                item=item,
                before=" – ".join(before),
                after=" – ".join(after),
                changed_on=changed_on,
                registration_authority=actor.agency,
            )
            for item, (before, after) in changes.items()
        ]


def ensure_may_register(actor: User) -> Agency | None:
    if actor.is_superuser:
        return actor.agency
    if actor.agency is None or not actor.agency.is_registration_authority:
        raise PermissionDenied(gettext("Only registration authorities may register subjects."))
    return actor.agency


@transaction.atomic
def subject_register(
    *,
    actor: User,
    kind: str,
    identifier: str,
    name: str,
    division: Division | None = None,
    established_on: datetime.date | None = None,
    status: str = Subject.Status.ACTIVE,
    former_names: Iterable[FormerNameInput] = (),
    former_identifiers: Iterable[FormerIdentifierInput] = (),
    roles: Iterable[RoleInput] = (),
    nonconforming_check: bool = False,
    nonconforming_note: str = "",
    reason: str = "registration",
    facts: dict | None = None,
) -> Subject:
    """Register a subject. ``nonconforming_check`` with ``nonconforming_note`` registers a
    USCC of record whose check characters fail GB 32100; the flag and the note are stored
    on the subject, so the audit history records them with the registering user.
    `facts`: registration facts (FACT_FIELDS) of an organisation."""
    authority = ensure_may_register(actor)
    facts = facts or {}
    _check_facts(kind, facts)
    if nonconforming_check:
        reason = f"{reason}; nonconforming check characters: {nonconforming_note}"
    with audited(actor, reason):
        subject = Subject(
            kind=kind,
            identifier=identifier,
            name=name,
            division=division,
            established_on=established_on,
            status=status,
            registration_authority=authority,
            nonconforming_check=nonconforming_check,
            nonconforming_note=nonconforming_note,
            **{k: v for k, v in facts.items() if v is not None},
        )
        subject.full_clean()
        subject.save()
        for older in former_identifiers:
            record = FormerIdentifier(
                subject=subject,
                scheme=older.scheme,
                value=older.value,
                valid_from=older.valid_from,
                valid_until=older.valid_until,
            )
            record.full_clean()
            record.save()
        for former in former_names:
            fn = FormerName(
                subject=subject,
                name=former.name,
                valid_from=former.valid_from,
                valid_until=former.valid_until,
            )
            fn.full_clean()
            fn.save()
        for role in roles:
            subject_role_add(actor=actor, organisation=subject, role=role)
    return subject


def _holder_for(role: RoleInput) -> Subject:
    from registry import identifiers

    try:
        normalised, scheme = identifiers.validate_identifier(role.holder_identifier)
    except identifiers.IdentifierError as exc:
        raise ValidationError({"holder_identifier": exc.message}) from exc
    holder = Subject.objects.filter(identifier=normalised).first()
    if holder is not None:
        return holder
    if scheme != "resident_id" or not role.holder_name:
        raise ValidationError(
            {
                "holder_identifier": gettext(
                    "Unknown subject; give the holder's name to register a person."
                )
            }
        )
    holder = Subject(kind=Subject.Kind.NATURAL_PERSON, identifier=normalised, name=role.holder_name)
    holder.full_clean()
    holder.save()
    return holder


@transaction.atomic
def subject_role_add(*, actor: User, organisation: Subject, role: RoleInput) -> SubjectRole:
    if organisation.is_natural_person:
        raise ValidationError({"roles": gettext("A natural person has no organisational roles.")})
    with audited(actor, "role recorded"):
        record = SubjectRole(
            organisation=organisation,
            holder=_holder_for(role),
            role=role.role,
            started_on=role.started_on,
            ended_on=role.ended_on,
        )
        record.full_clean()
        record.save()
    return record


@transaction.atomic
def subject_rename(*, actor: User, subject: Subject, new_name: str, on: datetime.date) -> Subject:
    """Rename, keeping the old name findable as a former name."""
    ensure_may_register(actor)
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if new_name == subject.name:
        return subject
    with audited(actor, "renamed"):
        previous = subject.former_names.order_by("-valid_until").first()
        FormerName.objects.create(
            subject=subject,
            name=subject.name,
            valid_from=previous.valid_until if previous else subject.established_on,
            valid_until=on,
        )
        subject.name = new_name
        subject.full_clean()
        subject.save()
    return subject


@transaction.atomic
def catalogue_item_save(*, actor: User, item: CatalogueItem) -> CatalogueItem:
    if not actor.is_superuser and (actor.agency_id != item.supplying_agency_id):
        raise PermissionDenied(gettext("Only the supplying agency maintains its catalogue items."))
    with audited(actor, "catalogue item saved"):
        item.full_clean()
        item.save()
    return item


def _ensure_operator(actor: User) -> None:
    if not actor.is_superuser:
        raise PermissionDenied(
            gettext("Only the platform operator maintains the holiday calendar.")
        )


@transaction.atomic
def calendar_day_save(*, actor: User, day: CalendarDay) -> CalendarDay:
    """The operator records a public holiday or an adjusted working day (from the State
    Council General Office's notice, cited in `source`). Deadlines computed after the save
    count it; deadlines already set are not moved. PermissionDenied for anyone but the
    operator; ValidationError for a holiday kind that contradicts the weekday (an adjusted
    working day must be a Saturday or Sunday)."""
    _ensure_operator(actor)
    if day.kind == CalendarDay.Kind.WORKING_DAY and day.date and not workdays.is_weekend(day.date):
        raise ValidationError(
            {"kind": gettext("An adjusted working day is a Saturday or Sunday worked.")}
        )
    with audited(actor, "holiday calendar day saved"):
        day.full_clean()
        day.save()
    workdays.clear_calendar_cache()  # this process at once, the others within a minute
    transaction.on_commit(workdays.clear_calendar_cache)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: User, day: CalendarDay) -> None:
    _ensure_operator(actor)
    with audited(actor, "holiday calendar day deleted"):
        day.delete()
    workdays.clear_calendar_cache()
    transaction.on_commit(workdays.clear_calendar_cache)


# Credit records have their own module (create/confirm/correct/withdraw/repair); re-exported so
# callers use `registry.services.credit_record_*` like every other write.
from registry.credit_records import (  # noqa: E402
    RecordConflict,
    RecordInput,
    credit_record_confirm,
    credit_record_correct,
    credit_record_create,
    credit_record_withdraw,
    credit_records_create_bulk,
)
from registry.record_repairs import (  # noqa: E402
    credit_record_repair_apply,
    credit_record_repair_decide,
)

__all__ = [
    "credit_record_repair_apply",
    "credit_record_repair_decide",
    "FormerNameInput",
    "RecordConflict",
    "RecordInput",
    "RoleInput",
    "catalogue_item_save",
    "credit_record_confirm",
    "credit_record_correct",
    "credit_record_create",
    "credit_record_withdraw",
    "credit_records_create_bulk",
    "ensure_may_register",
    "subject_register",
    "subject_rename",
    "subject_role_add",
]
