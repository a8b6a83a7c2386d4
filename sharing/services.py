"""Writes of the sharing app: the access log, consent, and usage flags.

Services for other apps (issue 13's subject accounts build on these):
- `consultation_log(...)`: one access-log row (also installed as `scs.consultations`' writer);
- `consultation_log_per_subject(...)`: one row per subject of an export, in one INSERT … SELECT
  (installed as `scs.consultations.record_consultations`);
- `consent_grant(...)`, `consent_withdraw(...)`.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from registry import identifiers
from registry.models import Agency, CatalogueItem, Subject, User
from scs.audit import audited
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
    return Consultation.objects.create(
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


def consultation_log_many(rows: list[Consultation]) -> None:
    """Many rows in one INSERT (a credit check of 1 000 subjects)."""
    Consultation.objects.bulk_create(rows, batch_size=1000)


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
        consent.full_clean(exclude=["evidence"])
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
