"""The due process of list entries. Every write goes through here, in a transaction, under an
audit context; a transition that starts or ends legal effect writes its outbox event in the
same transaction."""

from __future__ import annotations

import datetime
import secrets
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from blacklists.evidence import evidence_prepare
from blacklists.models import (
    EndReason,
    EntryState,
    ListDefinition,
    ListEntry,
    ListGround,
    NoticeChannel,
    Objection,
    OutboxEvent,
    RepairApplication,
    RepairCondition,
    SeverityTier,
    WatchCandidate,
)
from registry.models import (
    Agency,
    CatalogueItem,
    CreditRecord,
    Subject,
    SubjectKind,
    User,
    add_months,
)
from registry.validators import plausible_decision_date
from registry.workdays import add_working_days
from scs.audit import audited
from scs.errors import Conflict
from scs.messaging import enqueue_once_after_commit

# --- time helpers -------------------------------------------------------------------------


def new_tracking_number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(4).upper()}"


# --- permissions -------------------------------------------------------------------------


def _ensure_owner(actor: User | None, definition: ListDefinition) -> None:
    """Only the owning agency's staff act on its lists (superusers for operations)."""
    if actor is None or actor.is_superuser:
        return
    if actor.agency_id != definition.owner_id:
        raise PermissionDenied(gettext("This list belongs to another agency."))


def _ensure_reviewer(actor: User | None, definition: ListDefinition) -> None:
    _ensure_owner(actor, definition)
    if actor is not None and not actor.is_superuser and not actor.is_reviewer:
        raise PermissionDenied(gettext("This step needs a reviewer of the owning agency."))


def _ensure_named_person(actor: User | None, step: str) -> None:
    """Approvals, publications and decisions need a named person: a personal sign-in or a
    personal token, never a shared system token (issue 10). `actor=None` is the list clock
    acting by rule (window lapsed, end date reached), audited as "system"."""
    if actor is not None and actor.is_system:
        raise PermissionDenied(
            gettext(
                "%(step)s needs a named person (a personal sign-in or personal token), "
                "not a shared system token."
            )
            % {"step": step}
        )


def _lock(entry: ListEntry) -> ListEntry:
    # Row lock: two clerks (or a clerk and the clock task) acting on one entry serialise here,
    # so a transition is decided on the state it actually changes. of=("self",): lock the entry
    # only, not its list and tier rows, or all entries of a list would serialise on the list.
    return (
        ListEntry.objects.select_for_update(of=("self",))
        .select_related("list", "tier")
        .get(pk=entry.pk)
    )


def _expect(entry: ListEntry, *states: str) -> None:
    if entry.state not in states:
        allowed = "、".join(str(EntryState(s).label) for s in states)
        raise Conflict(
            {
                "state": gettext("The entry is %(state)s; this step needs it to be %(allowed)s.")
                % {"state": EntryState(entry.state).label, "allowed": allowed}
            }
        )


def _emit(entry: ListEntry, kind: str, at: datetime.datetime) -> None:
    """Write the outbox event; the unique constraint makes a second one impossible. After
    commit, nudge the consumer (named in settings: this app does not know who consumes)."""
    try:
        with transaction.atomic():
            event = OutboxEvent.objects.create(entry=entry, kind=kind, occurred_at=at)
    except IntegrityError as exc:  # pragma: no cover - guarded by the row lock
        raise ValidationError(
            {"state": gettext("This entry already has a %(kind)s event.") % {"kind": kind}}
        ) from exc
    consumer = getattr(settings, "LIST_OUTBOX_CONSUMER_TASK", None)
    if consumer:
        # One nudge per transaction: the consumer applies every pending event in batches.
        enqueue_once_after_commit(consumer, event.pk)


# --- drafting ----------------------------------------------------------------------------


def _validate_entry(entry: ListEntry) -> None:
    """The drafting rules; messages in the requester's language (clerks read them as form
    errors, agencies' systems as API errors keyed by field)."""
    definition = entry.list
    errors: dict[str, str] = {}
    if entry.subject_id and entry.subject.kind not in definition.subject_kinds:
        kinds = dict(SubjectKind.choices)
        errors["subject"] = gettext("%(list)s may not hold a %(kind)s (allowed: %(allowed)s).") % {
            "list": definition.name,
            "kind": entry.subject.get_kind_display(),
            "allowed": "、".join(str(kinds.get(k, k)) for k in definition.subject_kinds),
        }
    if entry.ground_id and entry.ground.list_id != definition.pk:
        errors["ground"] = gettext("The ground must be one of this list's criteria.")
    if entry.tier_id and entry.tier.list_id != definition.pk:
        errors["tier"] = gettext("The severity tier must be one of this list's tiers.")
    elif entry.tier_id:
        tier = entry.tier
        if entry.duration_months is None:
            if tier.max_months is not None:
                errors["duration_months"] = gettext(
                    "Give a duration between %(min)d and %(max)d months."
                ) % {"min": tier.min_months, "max": tier.max_months}
        elif entry.duration_months < 1:
            errors["duration_months"] = gettext("A listing lasts at least one month.")
        elif entry.duration_months < tier.min_months or (
            tier.max_months is not None and entry.duration_months > tier.max_months
        ):
            errors["duration_months"] = gettext(
                "Duration must be within %(tier)s for this severity."
            ) % {"tier": tier}
    if entry.decision_date:
        try:
            plausible_decision_date(entry.decision_date)
        except ValidationError as exc:
            errors["decision_date"] = exc.messages[0]
    if not definition.is_active:
        errors["list"] = gettext("This list is no longer in use.")
    if errors:
        raise ValidationError(errors)


def list_entry_validate(*, entry: ListEntry) -> None:
    """The drafting rules, for a form that shows them before it calls a service."""
    _validate_entry(entry)


# The references of a new draft; a caller that loaded them from the database itself (bulk
# import) need not have full_clean() query each of them again.
_REFERENCES = ("list", "subject", "ground", "tier", "created_by")


def list_entry_check_new(
    *,
    actor: User,
    entry: ListEntry,
    taken: set[tuple[int, int, str]] | None = None,
) -> None:
    """The rules a new, unsaved draft must pass before list_entry_create saves it: the list
    belongs to the actor's agency (PermissionDenied), the model's field rules, one entry per
    (list, subject, decision number) (a non-field error), then the drafting rules (field
    errors). Raises ValidationError keyed by model field.

    `taken`: for bulk import, the (list id, subject id, decision number) triples already held,
    looked up for a whole file in one query and grown by the caller as rows are accepted;
    the references were loaded from the database by the caller. Then no query is made per
    row: the references are not re-checked, and the state constraints (ended has a reason,
    published has dates) hold for a draft by construction and are enforced again on insert."""
    _ensure_owner(actor, entry.list)
    if taken is None:
        entry.full_clean()
    else:
        errors: dict = {}
        try:
            entry.full_clean(exclude=_REFERENCES, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        key = (entry.list_id, entry.subject_id, entry.decision_number)
        if key in taken and "decision_number" not in errors:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                gettext("This decision already lists this subject on this list.")
            )
        if errors:
            raise ValidationError(errors)
    _validate_entry(entry)


def list_entry_new(
    *,
    actor: User,
    definition: ListDefinition,
    subject: Subject,
    ground: ListGround,
    tier: SeverityTier,
    duration_months: int | None,
    decision_number: str,
    decision_date: datetime.date,
    decision_issuer: str,
    facts: str,
) -> ListEntry:
    """An unsaved draft (for list_entry_check_new and list_entry_save_new)."""
    return ListEntry(
        list=definition,
        subject=subject,
        ground=ground,
        tier=tier,
        duration_months=duration_months,
        decision_number=decision_number,
        decision_date=decision_date,
        decision_issuer=decision_issuer,
        facts=facts,
        created_by=actor,
    )


def list_entry_save_new(*, actor: User, entry: ListEntry, reason: str) -> ListEntry:
    """Save a draft that passed list_entry_check_new, audited with `reason` (bulk import
    saves each checked row with its own reason, "bulk import <file> row <n>")."""
    if entry.pk is not None or entry.state != EntryState.DRAFT:
        raise ValueError("list_entry_save_new saves new drafts only")
    with audited(actor, reason):
        entry.save()
    return entry


@transaction.atomic
def list_entry_create(
    *,
    actor: User,
    definition: ListDefinition,
    subject: Subject,
    ground: ListGround,
    tier: SeverityTier,
    duration_months: int | None,
    decision_number: str,
    decision_date: datetime.date,
    decision_issuer: str,
    facts: str,
    reason: str = "entry drafted",
) -> ListEntry:
    """Draft an entry. One entry lists one subject on one ground: a legal representative is
    listed only by an entry of their own, never as a side effect of the organisation's."""
    entry = list_entry_new(
        actor=actor,
        definition=definition,
        subject=subject,
        ground=ground,
        tier=tier,
        duration_months=duration_months,
        decision_number=decision_number,
        decision_date=decision_date,
        decision_issuer=decision_issuer,
        facts=facts,
    )
    list_entry_check_new(actor=actor, entry=entry)
    return list_entry_save_new(actor=actor, entry=entry, reason=reason)


EDITABLE_FIELDS = (
    "subject",
    "ground",
    "tier",
    "duration_months",
    "decision_number",
    "decision_date",
    "decision_issuer",
    "facts",
)


@transaction.atomic
def list_entry_update(
    *, actor: User, entry: ListEntry, reason: str = "draft edited", **changes
) -> ListEntry:
    entry = _lock(entry)
    _ensure_owner(actor, entry.list)
    _expect(entry, EntryState.DRAFT)
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError({name: gettext("This field cannot be edited.")})
        setattr(entry, name, value)
    entry.full_clean()
    _validate_entry(entry)
    with audited(actor, reason):
        entry.save()
    return entry


# --- maker-checker ------------------------------------------------------------------------


@transaction.atomic
def list_entry_submit(*, actor: User, entry: ListEntry, reason: str = "") -> ListEntry:
    entry = _lock(entry)
    _ensure_owner(actor, entry.list)
    _expect(entry, EntryState.DRAFT)
    _validate_entry(entry)
    with audited(actor, reason or "submitted for review"):
        entry.state = EntryState.SUBMITTED
        entry.submitted_by = actor
        entry.submitted_at = timezone.now()
        entry.save()
    return entry


@transaction.atomic
def list_entry_return(*, actor: User, entry: ListEntry, reason: str) -> ListEntry:
    """A reviewer sends a submitted entry back to draft, saying why."""
    entry = _lock(entry)
    _ensure_reviewer(actor, entry.list)
    _expect(entry, EntryState.SUBMITTED)
    if not reason.strip():
        raise ValidationError({"reason": gettext("Say why the entry is returned.")})
    with audited(actor, reason):
        entry.state = EntryState.DRAFT
        entry.save()
    return entry


@transaction.atomic
def list_entry_approve(*, actor: User, entry: ListEntry, reason: str = "") -> ListEntry:
    """Approval by a different user of the owning agency with the reviewer role."""
    entry = _lock(entry)
    _ensure_reviewer(actor, entry.list)
    _ensure_named_person(actor, gettext("Approval"))
    _expect(entry, EntryState.SUBMITTED)
    if actor.pk in (entry.created_by_id, entry.submitted_by_id):
        raise PermissionDenied(gettext("Maker-checker: the entry's maker cannot approve it."))
    with audited(actor, reason or "approved"):
        entry.state = EntryState.APPROVED
        entry.approved_by = actor
        entry.approved_at = timezone.now()
        entry.save()
    return entry


@transaction.atomic
def list_entry_notify(
    *,
    actor: User,
    entry: ListEntry,
    via: str,
    reference: str = "",
    notified_at: datetime.datetime | None = None,
) -> ListEntry:
    """Record how and when the subject was told; the objection window starts then.

    `reference` (the delivery receipt, registered-mail number, e-service record) is required;
    `notified_at` (default: now) must lie after the approval and not in the future, so a
    notice cannot be backdated to shorten the objection window (issue 10).
    Errors: ValidationError on `via`, `reference`, `notified_at` or `state`."""
    entry = _lock(entry)
    _ensure_owner(actor, entry.list)
    _expect(entry, EntryState.APPROVED)
    errors: dict[str, str] = {}
    if via not in NoticeChannel.values:
        errors["via"] = gettext("Choose one of: %(choices)s.") % {
            "choices": ", ".join(NoticeChannel.values)
        }
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = gettext(
            "Give the notice's reference (receipt, mail or service number)."
        )
    now = timezone.now()
    backdated = notified_at is not None
    notified_at = notified_at or now
    if notified_at > now:
        errors["notified_at"] = gettext("Notice cannot be recorded in the future.")
    elif entry.approved_at and (
        notified_at < entry.approved_at or (backdated and notified_at == entry.approved_at)
    ):
        errors["notified_at"] = gettext("Notice must come after the approval.")
    if errors:
        raise ValidationError(errors)
    with audited(actor, f"subject notified ({via})"):
        entry.state = EntryState.NOTIFIED
        entry.notified_at = notified_at
        entry.notified_via = via
        entry.notice_reference = reference
        entry.objection_window_ends_at = notified_at + datetime.timedelta(
            days=entry.list.objection_window_days
        )
        entry.save()
    return entry


def _start_effect(entry: ListEntry, now: datetime.datetime) -> None:
    today = timezone.localdate(now)
    entry.state = EntryState.PUBLISHED
    entry.published_at = now
    entry.starts_on = today
    entry.ends_on = entry.compute_end(today)
    publicity_end = add_months(today, entry.list.publicity_months)
    entry.publicity_ends_on = (
        min(publicity_end, entry.ends_on) if entry.ends_on is not None else publicity_end
    )
    entry.save()
    _emit(entry, OutboxEvent.Kind.EFFECT_STARTED, now)


@transaction.atomic
def list_entry_publish(
    *, actor: User | None, entry: ListEntry, reason: str = "", now: datetime.datetime | None = None
) -> ListEntry:
    """Publish: legal effect (and joint measures) start. Refused before notice plus the
    objection window, unless the list records a legal basis for immediate publication."""
    now = now or timezone.now()
    entry = _lock(entry)
    _ensure_owner(actor, entry.list)
    _ensure_named_person(actor, gettext("Publication"))
    _expect(entry, EntryState.NOTIFIED)
    if not entry.list.immediate_publication_basis and now < entry.objection_window_ends_at:
        raise ValidationError(
            {
                "state": gettext(
                    "The objection window runs until %(end)s; this list has no legal basis "
                    "for immediate publication."
                )
                % {"end": f"{timezone.localtime(entry.objection_window_ends_at):%Y-%m-%d %H:%M}"}
            }
        )
    if entry.objections.filter(status=Objection.Status.PENDING).exists():
        raise ValidationError({"state": gettext("An objection is pending: decide it first.")})
    with audited(actor, reason or "published"):
        _start_effect(entry, now)
    return entry


def _end(entry: ListEntry, reason: str, note: str, now: datetime.datetime) -> None:
    had_effect = entry.state == EntryState.PUBLISHED
    entry.state = EntryState.ENDED
    entry.end_reason = reason
    entry.end_note = note
    entry.ended_at = now
    entry.save()
    if had_effect:
        _emit(entry, OutboxEvent.Kind.EFFECT_ENDED, now)


@transaction.atomic
def list_entry_revoke(*, actor: User, entry: ListEntry, reason: str) -> ListEntry:
    """End an entry for error or by a court ruling; lifts any measures it started."""
    entry = _lock(entry)
    _ensure_reviewer(actor, entry.list)
    _ensure_named_person(actor, gettext("Revocation"))
    _expect(
        entry,
        EntryState.DRAFT,
        EntryState.SUBMITTED,
        EntryState.APPROVED,
        EntryState.NOTIFIED,
        EntryState.PUBLISHED,
    )
    if not reason.strip():
        raise ValidationError({"reason": gettext("A revocation states its reason.")})
    with audited(actor, reason):
        _end(entry, EndReason.REVOKED, reason, timezone.now())
    return entry


# --- objections ---------------------------------------------------------------------------


@transaction.atomic
def objection_file(
    *,
    entry: ListEntry,
    filed_by_name: str,
    contact: str,
    disputed_facts: str,
    on_behalf: bool = False,
    evidence=None,
    actor: User | None = None,
    verified_subject: bool = False,
) -> Objection:
    """File an accuracy dispute, by or for the subject (online or at the counter).

    An anonymous filing holds a published entry out of publicity only once a reviewer admits
    it (`objection_admit`, due within 2 working days: `admit_by`). `verified_subject=True` is
    the hook for a subject account (issue 13): the caller passes it only when the filer is
    signed in as the subject itself, verified; such an objection holds the entry at once.

    Refused (ValidationError on `disputed_facts`) while another objection on the entry is
    pending, and when an earlier decided objection disputed the same facts and no new
    evidence is attached: a repeat objection without new facts gets its reason, not a hold.
    """
    entry = _lock(entry)
    _expect(entry, EntryState.NOTIFIED, EntryState.PUBLISHED)
    if not disputed_facts.strip():
        raise ValidationError({"disputed_facts": gettext("Say which facts are wrong.")})
    earlier = list(entry.objections.order_by("-filed_at"))
    pending = next((o for o in earlier if o.status == Objection.Status.PENDING), None)
    if pending is not None:
        raise ValidationError(
            {
                "disputed_facts": gettext(
                    "An objection to this entry is already pending (%(number)s); add to it "
                    "instead of filing another."
                )
                % {"number": pending.tracking_number}
            }
        )
    facts_key = _facts_key(disputed_facts)
    repeat = next((o for o in earlier if _facts_key(o.disputed_facts) == facts_key), None)
    if repeat is not None and not evidence:
        raise ValidationError(
            {
                "disputed_facts": gettext(
                    "These facts were already decided in objection %(number)s (%(date)s); "
                    "a new objection needs new facts or new evidence."
                )
                % {
                    "number": repeat.tracking_number,
                    "date": f"{timezone.localdate(repeat.decided_at):%Y-%m-%d}",
                }
            }
        )
    today = timezone.localdate()
    objection = Objection(
        entry=entry,
        tracking_number=new_tracking_number("OB"),
        filed_by_name=filed_by_name,
        filed_on_behalf=on_behalf,
        filed_by_subject_account=verified_subject,
        contact=contact,
        disputed_facts=disputed_facts,
        admit_by=add_working_days(today, Objection.ADMISSION_WORKING_DAYS),
        decide_by=add_working_days(today, entry.list.decision_deadline_working_days),
    )
    if evidence is not None:
        objection.evidence = evidence_prepare(evidence)
    objection.full_clean()
    with audited(actor, "objection filed", tracking_number=objection.tracking_number):
        objection.save()
    return objection


def _facts_key(text: str) -> str:
    """Compare disputed facts ignoring width, case, whitespace and punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@transaction.atomic
def objection_admit(*, actor: User, objection: Objection, reason: str = "") -> Objection:
    """A reviewer of the owning agency admits (受理) a pending objection: from then until the
    decision, the entry is held out of publicity where its list says so. Due by `admit_by`
    (2 working days after filing). Errors: PermissionDenied (not a named reviewer of the
    owner), ValidationError on `status` (decided or already admitted)."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    _ensure_reviewer(actor, objection.entry.list)
    _ensure_named_person(actor, gettext("Admitting an objection"))
    if objection.status != Objection.Status.PENDING:
        raise ValidationError({"status": gettext("This objection is already decided.")})
    if objection.admitted_at is not None:
        raise ValidationError({"status": gettext("This objection is already admitted.")})
    with audited(actor, reason or "objection admitted", tracking_number=objection.tracking_number):
        objection.admitted_at = timezone.now()
        objection.admitted_by = actor
        objection.admission_overdue = False
        objection.save(update_fields=["admitted_at", "admitted_by", "admission_overdue"])
    return objection


@transaction.atomic
def objection_decide(
    *,
    actor: User,
    objection: Objection,
    upheld: bool,
    reasons: str,
    corrected_facts: str = "",
) -> Objection:
    """Decide within the deadline, with reasons. Upheld: the entry ends, or, where the
    reviewer gives corrected facts, continues with them."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    entry = _lock(objection.entry)
    _ensure_reviewer(actor, entry.list)
    _ensure_named_person(actor, gettext("A decision on an objection"))
    if objection.status != Objection.Status.PENDING:
        raise ValidationError({"status": gettext("This objection is already decided.")})
    if not reasons.strip():
        raise ValidationError({"reasons": gettext("A decision gives its reasons.")})
    now = timezone.now()
    with audited(actor, reasons, tracking_number=objection.tracking_number):
        objection.status = Objection.Status.UPHELD if upheld else Objection.Status.REJECTED
        objection.decision_reasons = reasons
        objection.corrected_facts = corrected_facts
        objection.decided_by = actor
        objection.decided_at = now
        objection.is_overdue = False
        objection.admission_overdue = False
        objection.save()
        if upheld and corrected_facts.strip():
            entry.facts = corrected_facts
            entry.save()
        elif upheld and entry.state != EntryState.ENDED:
            # An entry that already ended (expired, revoked) keeps how and when it ended.
            _end(entry, EndReason.OBJECTION_UPHELD, reasons, now)
    return objection


# --- credit repair ------------------------------------------------------------------------


def repair_earliest_grant(entry: ListEntry) -> datetime.date | None:
    if entry.starts_on is None:
        return None
    return add_months(entry.starts_on, entry.tier.min_months)


@transaction.atomic
def repair_apply(
    *,
    entry: ListEntry,
    applicant_name: str,
    contact: str,
    conditions_met: Iterable[str],
    statement: str,
    evidence=None,
    actor: User | None = None,
    verified_subject: bool = False,
) -> RepairApplication:
    """Apply for credit repair of a published entry. `verified_subject=True` only when the
    filer is signed in as the subject itself, verified (the /my/ window); it is recorded on
    the application as `filed_by_subject_account`."""
    entry = _lock(entry)
    _expect(entry, EntryState.PUBLISHED)
    conditions = sorted(set(conditions_met))
    unknown = [c for c in conditions if c not in RepairCondition.values]
    if unknown:
        raise ValidationError(
            {
                "conditions_met": gettext("Unknown conditions: %(codes)s.")
                % {"codes": ", ".join(unknown)}
            }
        )
    application = RepairApplication(
        entry=entry,
        tracking_number=new_tracking_number("RP"),
        applicant_name=applicant_name,
        contact=contact,
        conditions_met=conditions,
        statement=statement,
        filed_by_subject_account=verified_subject,
        decide_by=add_working_days(timezone.localdate(), entry.list.decision_deadline_working_days),
    )
    if evidence is not None:
        application.evidence = evidence_prepare(evidence)
    application.full_clean()
    with audited(actor, "repair applied for", tracking_number=application.tracking_number):
        application.save()
    return application


@transaction.atomic
def repair_decide(
    *, actor: User, application: RepairApplication, grant: bool, reasons: str
) -> RepairApplication:
    """Grant (the entry ends early) or refuse, with reasons. Never before the tier's minimum
    period, and only when every condition the list requires is shown."""
    application = RepairApplication.objects.select_for_update().get(pk=application.pk)
    entry = _lock(application.entry)
    _ensure_reviewer(actor, entry.list)
    _ensure_named_person(actor, gettext("A decision on credit repair"))
    if application.status != RepairApplication.Status.PENDING:
        raise ValidationError({"status": gettext("This application is already decided.")})
    if not reasons.strip():
        raise ValidationError({"reasons": gettext("A decision gives its reasons.")})
    if grant:
        _expect(entry, EntryState.PUBLISHED)
        earliest = repair_earliest_grant(entry)
        if earliest and timezone.localdate() < earliest:
            raise ValidationError(
                {
                    "grant": gettext(
                        "Repair cannot be granted before %(date)s, the end of the minimum "
                        "period (%(months)d months)."
                    )
                    % {"date": f"{earliest:%Y-%m-%d}", "months": entry.tier.min_months}
                }
            )
        missing = sorted(set(entry.list.repair_conditions) - set(application.conditions_met))
        if missing:
            raise ValidationError(
                {
                    "grant": gettext("Conditions not shown: %(codes)s.")
                    % {"codes": ", ".join(missing)}
                }
            )
    now = timezone.now()
    with audited(actor, reasons, tracking_number=application.tracking_number):
        application.status = (
            RepairApplication.Status.UPHELD if grant else RepairApplication.Status.REJECTED
        )
        application.decision_reasons = reasons
        application.decided_by = actor
        application.decided_at = now
        application.is_overdue = False
        application.save()
        if grant:
            _end(entry, EndReason.REPAIRED, reasons, now)
    return application


# --- the clock ------------------------------------------------------------------------------


def _clock_batch(qs, limit: int):
    # SKIP LOCKED: a clerk's transaction holding an entry is left for the next tick. of=("self",):
    # lock (and skip) only the entries, not the joined list rows shared by other entries.
    return list(qs.select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:limit])


def list_clock_publish_lapsed(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Publish notified entries whose objection window lapsed with no pending objection."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        pending = Objection.objects.filter(entry=OuterRef("pk"), status="pending")
        candidates = ListEntry.objects.filter(
            state=EntryState.NOTIFIED, objection_window_ends_at__lte=now
        ).exclude(Exists(pending))
        for entry in _clock_batch(candidates.select_related("list"), limit):
            with audited(None, "objection window lapsed without objection"):
                _start_effect(entry, now)
            done += 1
    return done


def list_clock_expire(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """End published entries whose end date has come."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = 0
    with transaction.atomic():
        due = ListEntry.objects.filter(state=EntryState.PUBLISHED, ends_on__lte=today)
        for entry in _clock_batch(due.select_related("list"), limit):
            with audited(None, "duration ended"):
                _end(entry, EndReason.EXPIRED, f"expired on {entry.ends_on:%Y-%m-%d}", now)
            done += 1
    return done


def list_clock_flag_overdue(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    today = timezone.localdate(now or timezone.now())
    with audited(None, "decision deadline passed"):
        objections = Objection.objects.filter(
            status="pending", decide_by__lt=today, is_overdue=False
        ).update(is_overdue=True)
        Objection.objects.filter(
            status="pending",
            admitted_at__isnull=True,
            admit_by__lt=today,
            admission_overdue=False,
        ).update(admission_overdue=True)
        repairs = RepairApplication.objects.filter(
            status="pending", decide_by__lt=today, is_overdue=False
        ).update(is_overdue=True)
    return objections, repairs


# --- derived watch list (big data alert) ---------------------------------------------------

WATCH_RULE_AGENCIES = 3
WATCH_RULE_TEXT = (
    "Negative records or published blacklist entries from at least three different agencies "
    "(seeds 001/002: flagged by three sources); a reviewer confirms each candidate."
)


def watch_candidates_detect(*, watch_list: ListDefinition, limit: int = 1000) -> int:
    """Flag subjects that meet the published rule. Only candidates: nothing is listed or
    published until a reviewer confirms."""
    if not watch_list.is_derived:
        raise ValidationError(
            {"watch_list": gettext("Candidates are derived only for derived lists.")}
        )
    today = timezone.localdate()
    # Confirmed, not withdrawn or repaired, in publicity: a withdrawn record flags nobody.
    negative_records = (
        CreditRecord.objects.published(today)
        .filter(catalogue_item__category=CatalogueItem.Category.NEGATIVE)
        .values_list("subject_id", "agency_id", "id", "decision_number")
    )
    entries = ListEntry.objects.filter(
        state=EntryState.PUBLISHED, list__kind="blacklist"
    ).values_list("subject_id", "list__owner_id", "id", "decision_number")
    by_subject: dict[int, dict[int, list]] = {}
    flagged = (
        CreditRecord.objects.published(today)
        .filter(catalogue_item__category=CatalogueItem.Category.NEGATIVE)
        .values("subject_id")
        .annotate(n=Count("agency_id", distinct=True))
    )
    # Narrow to subjects with any negative data before gathering evidence.
    subject_ids = {row["subject_id"] for row in flagged} | set(
        entries.values_list("subject_id", flat=True)
    )
    for subject_id, agency_id, pk, number in negative_records.filter(subject_id__in=subject_ids):
        by_subject.setdefault(subject_id, {}).setdefault(agency_id, []).append(
            {"type": "credit_record", "id": pk, "decision_number": number}
        )
    for subject_id, agency_id, pk, number in entries.filter(subject_id__in=subject_ids):
        by_subject.setdefault(subject_id, {}).setdefault(agency_id, []).append(
            {"type": "list_entry", "id": pk, "decision_number": number}
        )
    already = set(
        WatchCandidate.objects.filter(watch_list=watch_list, status="candidate").values_list(
            "subject_id", flat=True
        )
    ) | set(
        ListEntry.objects.filter(list=watch_list)
        .exclude(state=EntryState.ENDED)
        .values_list("subject_id", flat=True)
    )
    # A reviewer's dismissal stands until there is evidence it did not see.
    dismissed: dict[int, set] = {}
    for subject_id, evidence in WatchCandidate.objects.filter(
        watch_list=watch_list, status=WatchCandidate.Status.DISMISSED
    ).values_list("subject_id", "evidence"):
        dismissed.setdefault(subject_id, set()).update((e["type"], e["id"]) for e in evidence)
    created = 0
    with transaction.atomic(), audited(None, WATCH_RULE_TEXT):
        for subject_id, per_agency in by_subject.items():
            if len(per_agency) < WATCH_RULE_AGENCIES or subject_id in already:
                continue
            seen = {(i["type"], i["id"]) for items in per_agency.values() for i in items}
            if seen <= dismissed.get(subject_id, set()):
                continue
            subject_kind = Subject.objects.values_list("kind", flat=True).get(pk=subject_id)
            if subject_kind not in watch_list.subject_kinds:
                continue
            candidate = WatchCandidate.objects.create(
                watch_list=watch_list,
                subject_id=subject_id,
                evidence=[
                    {"agency_id": agency_id, **item}
                    for agency_id, items in sorted(per_agency.items())
                    for item in items
                ],
            )
            candidate.source_agencies.set(Agency.objects.filter(pk__in=per_agency))
            created += 1
            if created >= limit:
                break
    return created


@transaction.atomic
def watch_candidate_confirm(
    *,
    actor: User,
    candidate: WatchCandidate,
    ground: ListGround,
    tier: SeverityTier,
    duration_months: int | None,
    reasons: str,
) -> ListEntry:
    """A reviewer confirms: the candidate becomes an approved entry, which then goes through
    notice and the objection window like any other."""
    candidate = WatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    _ensure_reviewer(actor, candidate.watch_list)
    if candidate.status != WatchCandidate.Status.CANDIDATE:
        raise ValidationError({"status": gettext("This candidate is already decided.")})
    if not reasons.strip():
        raise ValidationError({"reasons": gettext("A confirmation gives its reasons.")})
    now = timezone.now()
    entry = ListEntry(
        list=candidate.watch_list,
        subject=candidate.subject,
        ground=ground,
        tier=tier,
        duration_months=duration_months,
        decision_number=f"WATCH-{candidate.pk}",
        decision_date=timezone.localdate(),
        decision_issuer=str(candidate.watch_list.owner),
        facts=reasons,
        created_by=actor,
        submitted_by=actor,
        submitted_at=now,
        approved_by=actor,
        approved_at=now,
        state=EntryState.APPROVED,
    )
    entry.full_clean()
    _validate_entry(entry)
    with audited(actor, reasons):
        entry.save()
        candidate.status = WatchCandidate.Status.CONFIRMED
        candidate.reasons = reasons
        candidate.decided_by = actor
        candidate.decided_at = now
        candidate.entry = entry
        candidate.save()
    return entry


@transaction.atomic
def watch_candidate_dismiss(*, actor: User, candidate: WatchCandidate, reasons: str):
    candidate = WatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    _ensure_reviewer(actor, candidate.watch_list)
    if candidate.status != WatchCandidate.Status.CANDIDATE:
        raise ValidationError({"status": gettext("This candidate is already decided.")})
    if not reasons.strip():
        raise ValidationError({"reasons": gettext("A dismissal gives its reasons.")})
    with audited(actor, reasons):
        candidate.status = WatchCandidate.Status.DISMISSED
        candidate.reasons = reasons
        candidate.decided_by = actor
        candidate.decided_at = timezone.now()
        candidate.save()
    return candidate


# --- list definitions -----------------------------------------------------------------------


@transaction.atomic
def list_definition_save(*, actor: User, definition: ListDefinition, reason: str = ""):
    if actor is not None and not actor.is_superuser:
        if definition.pk is None:
            definition.owner = actor.agency
        _ensure_owner(actor, definition)
        if actor.role != User.Role.ADMIN:
            raise PermissionDenied(
                gettext("List definitions are maintained by the agency administrator.")
            )
    definition.full_clean()
    with audited(actor, reason or "list definition saved"):
        definition.save()
    return definition
