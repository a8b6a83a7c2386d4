"""Writes of the sharing app: the access log, consent, and usage flags.

Services for other apps (issue 13's subject accounts build on these):
- `consultation_log(...)`: one access-log row (also installed as `scs.consultations`' writer);
- `consultation_log_per_subject(...)`: one row per subject of an export, in one INSERT … SELECT
  (installed as `scs.consultations.record_consultations`);
- `consent_grant(...)`, `consent_withdraw(...)`;
- `record_changes_deliver(...)`: credit-record corrections, withdrawals and repairs into the
  feed of every agency holding a copy (sanctions' `SanctionEvent`, one cursor for all).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Iterable

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from registry import identifiers
from registry.models import Agency, CatalogueItem, CreditRecordChange, Subject, User
from sanctions import services as sanctions_services
from scs.audit import audited
from sharing import selectors
from sharing.models import Channel, Consent, Consultation, Outcome, Purpose, UsageFlag

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def masked_query(raw: str) -> str:
    """What was asked for, safe to store: a resident ID is masked, anything else truncated."""
    text = (raw or "")[:40]
    try:
        code, scheme = identifiers.validate_identifier(text)
    except identifiers.IdentifierError:
        # An invalid resident-ID-like string is still personal data: mask every digit run.
        return identifiers.mask_resident_id(text) if any(c.isdigit() for c in text) else text
    return identifiers.mask_resident_id(code) if scheme == "resident_id" else code


def consultation_log(
    *,
    user: User | None,
    channel: str,
    outcome: str = Outcome.RETURNED,
    subject: Subject | None = None,
    asked: str = "",
    purpose_code: str = "",
    reference: str = "",
    items: Iterable[dict] = (),
    restricted_withheld: int = 0,
    agency: Agency | None = None,
) -> Consultation:
    """Write one access-log row: who (user, agency), which subject (or what was asked, masked),
    why (purpose, reference), what came back (items: [{"record": id, "item": code}, ...]).

    Append-only: the table refuses UPDATE and DELETE (database trigger).
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    row = Consultation(
        user=user if user is not None and user.pk else None,
        username=user.get_username() if user is not None else "system",
        agency_id=agency.pk if agency is not None else getattr(user, "agency_id", None),
        subject=subject,
        asked=masked_query(asked) if subject is None else "",
        channel=channel,
        purpose=(purpose_code or "")[:48],
        reference=(reference or "")[:200],
        outcome=outcome,
        items=list(items),
        restricted_withheld=restricted_withheld,
    )
    # One INSERT of the row's columns, as Model.save() would write them (the table's
    # triggers still refuse any UPDATE or DELETE), without compiling the ORM's INSERT on every
    # consultation (a file is read in a few milliseconds of CPU; the compilation took ≈1 ms).
    table = connection.ops.quote_name(Consultation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (at, user_id, username, agency_id, subject_id, asked, "  # noqa: S608
            "channel, purpose, reference, outcome, items, restricted_withheld) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s) RETURNING id",
            [
                row.at,
                row.user_id,
                row.username,
                row.agency_id,
                row.subject_id,
                row.asked,
                row.channel,
                row.purpose,
                row.reference,
                row.outcome,
                orjson.dumps(row.items, option=orjson.OPT_NON_STR_KEYS).decode(),
                row.restricted_withheld,
            ],
        )
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = "default"
    return row


def consultation_log_many(
    *,
    user: User,
    channel: str,
    purpose_code: str,
    reference: str,
    rows: list[tuple[int | None, str, str, list[dict]]],
) -> int:
    """Many access-log rows of one consultation (a credit check of up to 1 000 subjects) in one
    statement: `INSERT … SELECT FROM unnest(…)`, one row per element of `rows`, each
    `(subject id or None, what was asked if no subject matched, outcome, items returned)`.
    `asked` is masked here exactly as `consultation_log` masks it. Returns the number written.

    Same rows as `consultation_log` would write one by one (append-only table, one `at` for
    the whole consultation), at the cost of one round trip.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not rows:
        return 0
    subjects, asked, outcomes, items = [], [], [], []
    for subject_id, raw, outcome, returned in rows:
        subjects.append(subject_id)
        asked.append(masked_query(raw) if subject_id is None else "")
        outcomes.append(outcome)
        items.append(orjson.dumps(returned).decode())
    table = connection.ops.quote_name(Consultation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (at, user_id, username, agency_id, subject_id, asked, "  # noqa: S608
            "channel, purpose, reference, outcome, items, restricted_withheld) "
            "SELECT %s, %s, %s, %s, s, a, %s, %s, %s, o, i::jsonb, 0 "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::text[]) AS t(s, a, o, i)",
            [
                timezone.now(),
                user.pk if user is not None and user.pk else None,
                user.get_username() if user is not None else "system",
                getattr(user, "agency_id", None),
                channel,
                (purpose_code or "")[:48],
                (reference or "")[:200],
                subjects,
                asked,
                outcomes,
                items,
            ],
        )
        return cursor.rowcount


def consultation_log_per_subject(
    *,
    user: User,
    channel: str,
    rows: QuerySet,
    purpose_code: str = "",
    reference: str = "",
) -> int:
    """One access-log row per subject of an export, written by one INSERT … SELECT (no row
    per subject crosses the wire): `rows` is a queryset of the exported lines with two
    columns, `subject_id` and `item` (a JSON object naming what the line showed, e.g.
    JSONObject(sanction="pk", measure="measure__code")); lines of one subject are gathered
    into that subject's row (`items`, in the order of the export). Returns the rows written.

    Append-only like every access-log row; who, agency, purpose and reference as in
    `consultation_log`.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    inner, params = rows.values("subject_id", "item").query.sql_with_params()
    table = Consultation._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {table}
              (at, user_id, username, agency_id, subject_id, asked, channel, purpose,
               reference, outcome, items, restricted_withheld)
            SELECT %s, %s, %s, %s, x.subject_id, '', %s, %s, %s, %s,
                   jsonb_agg(x.item ORDER BY x.n), 0
            FROM (SELECT l.subject_id, l.item::jsonb AS item, row_number() OVER () AS n
                  FROM ({inner}) l) x
            WHERE x.subject_id IS NOT NULL
            GROUP BY x.subject_id
            """,  # noqa: S608 - the table name is the model's; the query is Django's own SQL
            [
                timezone.now(),
                user.pk if user is not None and user.pk else None,
                user.get_username() if user is not None else "system",
                getattr(user, "agency_id", None),
                channel,
                (purpose_code or "")[:48],
                (reference or "")[:200],
                Outcome.RETURNED,
                *params,
            ],
        )
        return cur.rowcount


def _evidence_digest(upload: UploadedFile) -> str:
    """SHA-256 of a signed consent document, after checking it is a real PDF or image."""
    if upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError({"evidence": gettext("The document is larger than 10 MB.")})
    data = upload.read()
    upload.seek(0)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError({"evidence": gettext("The PDF is incomplete.")})
    else:
        from io import BytesIO

        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(BytesIO(data)) as image:
                image.load()  # decode the whole image, not just its header
                if image.format not in ("PNG", "JPEG"):
                    raise ValidationError({"evidence": gettext("Send a PDF, PNG or JPEG scan.")})
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ValidationError({"evidence": gettext("Send a PDF, PNG or JPEG scan.")}) from exc
    return hashlib.sha256(data).hexdigest()


@transaction.atomic
def consent_grant(
    *,
    actor: User | None,
    subject: Subject,
    agency: Agency,
    purpose: Purpose,
    valid_until: datetime.date,
    items: Iterable[CatalogueItem] = (),
    all_restricted: bool = False,
    evidence: UploadedFile | None = None,
    evidence_reference: str = "",
    given: str = Consent.Given.DOCUMENT,
) -> Consent:
    """Record a subject's consent for `agency` to read restricted records for `purpose`.

    An agency records consent documents for itself only (with the signed document as evidence);
    `given=online` is for the subject's own self-service (issue 13), with `actor` the subject's
    account. Raises ValidationError for missing evidence, past dates or non-restricted items.
    """
    if given == Consent.Given.DOCUMENT:
        if actor is None or not (actor.is_superuser or actor.agency_id == agency.pk):
            raise PermissionDenied(gettext("An agency records consent given to itself only."))
        if evidence is None:
            raise ValidationError({"evidence": gettext("Upload the signed consent document.")})
    items = list(items)
    if not all_restricted and not items:
        raise ValidationError(
            {"items": gettext("Name the restricted items, or consent to all of them.")}
        )
    wrong = [i.code for i in items if i.visibility != CatalogueItem.Visibility.RESTRICTED]
    if wrong:
        raise ValidationError(
            {
                "items": [
                    gettext("%(code)s is not a restricted item.") % {"code": code} for code in wrong
                ]
            }
        )
    if not purpose.is_active:
        raise ValidationError({"purpose": gettext("This purpose is no longer in use.")})
    if valid_until < timezone.localdate():
        raise ValidationError({"valid_until": gettext("The consent would already have ended.")})
    consent = Consent(
        subject=subject,
        agency=agency,
        purpose=purpose,
        all_restricted=all_restricted,
        valid_until=valid_until,
        given=given,
        evidence_reference=evidence_reference[:200],
        recorded_by=actor,
    )
    if evidence is not None:
        consent.evidence_sha256 = _evidence_digest(evidence)
        consent.evidence.save("evidence", evidence, save=False)
    with audited(actor, "consent recorded"):
        # recorded_by is set here, not typed in: empty for a consent the subject gave online.
        consent.full_clean(exclude=["evidence", "recorded_by"])
        consent.save()
        consent.items.set(items)
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User | None, consent: Consent, reason: str = "") -> Consent:
    """Withdrawal takes effect at once: the next file or check no longer sees restricted data."""
    # A withdrawal racing a consultation: lock the row so the withdrawal is not lost.
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if (
        actor is not None
        and not actor.is_superuser
        and actor.agency_id
        not in (
            None,
            consent.agency_id,
        )
    ):
        raise PermissionDenied(gettext("Only the consent's agency or the subject may withdraw it."))
    if consent.withdrawn_at is not None:
        return consent
    with audited(actor, f"consent withdrawn: {reason}"):
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = actor
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return consent


# --- unusual use ---------------------------------------------------------------------------

# A user is flagged when they consulted more than this many times the median of their agency's
# users that day (and at least VOLUME_FLOOR subjects): a platform default, configurable here.
VOLUME_FACTOR = 5
VOLUME_FLOOR = 50


def usage_flags_detect(*, day: datetime.date) -> int:
    """Flag (idempotently) users who consulted far more subjects than their agency's peers, or
    consulted files without a reference, on `day`. Returns the number of new flags."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    rows = list(
        Consultation.objects.filter(at__gte=start, at__lt=end, user__isnull=False)
        .exclude(agency__isnull=True)
        .values("agency_id", "user_id")
        .annotate(
            subjects=Count("subject", distinct=True),
            unreferenced=Count("id", filter=Q(reference="") & ~Q(channel=Channel.ADMIN)),
        )
    )
    by_agency: dict[int, list[int]] = {}
    for row in rows:
        by_agency.setdefault(row["agency_id"], []).append(row["subjects"])
    flags = []
    for row in rows:
        peers = sorted(by_agency[row["agency_id"]])
        median = peers[len(peers) // 2]
        if row["subjects"] >= VOLUME_FLOOR and row["subjects"] > VOLUME_FACTOR * max(median, 1):
            flags.append(
                UsageFlag(
                    agency_id=row["agency_id"],
                    user_id=row["user_id"],
                    day=day,
                    kind=UsageFlag.Kind.VOLUME,
                    count=row["subjects"],
                    detail=f"{row['subjects']} subjects; agency median {median}",
                )
            )
        if row["unreferenced"]:
            flags.append(
                UsageFlag(
                    agency_id=row["agency_id"],
                    user_id=row["user_id"],
                    day=day,
                    kind=UsageFlag.Kind.NO_REFERENCE,
                    count=row["unreferenced"],
                    detail=f"{row['unreferenced']} consultations without a case reference",
                )
            )
    before = UsageFlag.objects.filter(day=day).count()
    UsageFlag.objects.bulk_create(flags, ignore_conflicts=True)
    return UsageFlag.objects.filter(day=day).count() - before


RECORD_CHANGES_BATCH = 500


def record_changes_deliver(*, change_ids: Iterable[int] = (), limit: int = 0) -> int:
    """Deliver the named credit-record changes, then up to `limit` more pending ones (oldest
    first), to the agencies holding copies (`selectors.record_holders_many`), in batches of
    RECORD_CHANGES_BATCH per transaction. Returns the feed events written. Safe to run twice:
    the sanctions service claims each change exactly once. Called by the nudge after commit
    and by the 30 s sweep."""
    ids = list(dict.fromkeys(change_ids))
    if limit:
        ids += [i for i in sanctions_services.pending_record_changes(limit) if i not in ids]
    written = 0
    for start in range(0, len(ids), RECORD_CHANGES_BATCH):
        changes = list(
            CreditRecordChange.objects.filter(
                pk__in=ids[start : start + RECORD_CHANGES_BATCH]
            ).values_list("pk", "record_id")
        )
        holders = selectors.record_holders_many({record for _pk, record in changes})
        written += sanctions_services.record_changes_deliver(
            holders={pk: sorted(holders.get(record, ())) for pk, record in changes}
        )
    return written


@dataclasses.dataclass(frozen=True)
class EvidenceFile:
    """A consent's evidence as served: bytes, a file name without user input, a media type."""

    content: bytes
    filename: str
    content_type: str


_EVIDENCE_TYPES = {b"%PDF-": ("pdf", "application/pdf"), b"\x89PNG": ("png", "image/png"),
                   b"\xff\xd8\xff": ("jpg", "image/jpeg")}  # fmt: skip


def consent_evidence_read(*, user: User, consent: Consent) -> EvidenceFile:
    """The evidence of a consent for download, with one access-log row (channel
    `consent_evidence`, items `[{"consent": id}]`): the signed document uploaded by the agency
    (bytes as stored, checked against the SHA-256 recorded at upload), or for a consent given
    online a JSON record of it. PermissionDenied (and a `refused` row) for anyone but the
    consenting agency and the operator (`selectors.may_read_consent_evidence`)."""
    log = {
        "user": user,
        "channel": Channel.CONSENT_EVIDENCE,
        "subject": consent.subject,
        "purpose_code": consent.purpose.code,
        "reference": consent.evidence_reference,
        "items": [{"consent": consent.pk}],
    }
    if not selectors.may_read_consent_evidence(user, consent):
        consultation_log(outcome=Outcome.REFUSED, **{**log, "items": []})
        raise PermissionDenied(gettext("Only the consenting agency reads this consent."))
    if consent.evidence:
        with consent.evidence.open("rb") as handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != consent.evidence_sha256:
            # A file changed on disk is no evidence: refuse rather than serve it.
            raise ValidationError({"evidence": gettext("The stored document fails its check.")})
        suffix, content_type = next(
            (v for magic, v in _EVIDENCE_TYPES.items() if content.startswith(magic)),
            ("bin", "application/octet-stream"),
        )
    else:
        content = json.dumps(
            {
                "consent": consent.pk,
                "given": consent.given,
                "subject": consent.subject.masked_identifier,
                "agency": consent.agency.subject.identifier,
                "purpose": consent.purpose.code,
                "all_restricted": consent.all_restricted,
                "items": sorted(consent.items.values_list("code", flat=True)),
                "valid_from": consent.valid_from.isoformat(),
                "valid_until": consent.valid_until.isoformat(),
                "recorded_at": consent.recorded_at.isoformat(),
                "recorded_by": consent.recorded_by.get_username() if consent.recorded_by else "",
                "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
            },
            ensure_ascii=False,
            indent=2,
        ).encode()
        suffix, content_type = "json", "application/json"
    consultation_log(outcome=Outcome.RETURNED, **log)
    return EvidenceFile(content, f"consent-{consent.pk}-evidence.{suffix}", content_type)
