"""Parsing supplied credit records (API body, bulk array or JSON Lines) into `RecordInput`s.

One parser for the single and the bulk endpoint. Identifiers go through the registry's one
identifier parser (`registry.selectors.normalised_identifier` / `identifiers`), so full-width
characters, stray spaces and Excel-mangled codes are handled the same everywhere. Lookups are
made once per batch (subjects, catalogue items, agencies), not once per row.
"""

from __future__ import annotations

import datetime
import decimal
import json
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext

from registry import identifiers
from registry.credit_records import RecordInput
from registry.models import Agency, CatalogueItem, Severity, Subject
from sharing.selectors import in_array

TOP_FIELDS = {
    "subject_identifier",
    "catalogue_item",
    "decision_number",
    "decision_date",
    "deciding_agency",
    "title",
    "content",
    "legal_basis",
    "penalty",
    "licence",
}
PENALTY_FIELDS = {"kind", "amount_yuan", "severity"}
LICENCE_FIELDS = {"kind", "valid_from", "valid_until"}
MAX_BATCH = 10_000
# TextChoices.values builds a new list at every call: read once.
SEVERITIES = frozenset(Severity.values)


class BatchError(ValueError):
    """The body as a whole is unusable (not JSON, not a list, too many rows)."""


def parse_body(raw: bytes, content_type: str) -> list:
    """A JSON array, or JSON Lines (one object per line; blank lines skipped)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchError(gettext("The body must be UTF-8 JSON or JSON Lines.")) from exc
    stripped = text.lstrip()
    if (
        "ndjson" in content_type
        or "jsonl" in content_type
        or (stripped.startswith("{") and "\n" in stripped.strip())
    ):
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise BatchError(gettext("Line %(n)d is not valid JSON.") % {"n": number}) from exc
    else:
        try:
            rows = json.loads(text or "null")
        except ValueError as exc:
            raise BatchError(gettext("The body is not valid JSON.")) from exc
        if isinstance(rows, dict) and isinstance(rows.get("records"), list):
            rows = rows["records"]
    if not isinstance(rows, list):
        raise BatchError(gettext("Send a JSON array of records, or JSON Lines."))
    if len(rows) > MAX_BATCH:
        raise BatchError(
            gettext("At most %(n)d records per request; send the rest separately.")
            % {"n": MAX_BATCH}
        )
    return rows


@dataclass
class Lookups:
    """What a batch's rows refer to, read once per batch (one query per kind), and each
    distinct identifier of the batch parsed once (`parsed`)."""

    subjects: dict[str, Subject]
    items: dict[str, CatalogueItem]
    agencies: dict[str, Agency]
    parsed: dict[str, str | identifiers.IdentifierError] = field(default_factory=dict)
    # Today in the platform's time zone, read once per batch (no decision from the future).
    today: datetime.date = field(default_factory=timezone.localdate)

    def identifier(self, raw) -> str:
        """The normalised code of `raw` (str or int); IdentifierError as the parser raises it.
        Parsed once per distinct value of the batch."""
        text = str(raw)
        found = self.parsed.get(text)
        if found is None:
            try:
                found = identifiers.validate_identifier(text)[0]
            except identifiers.IdentifierError as exc:
                found = exc
            self.parsed[text] = found
        if isinstance(found, identifiers.IdentifierError):
            raise found
        return found

    def code(self, value) -> str | None:
        if not isinstance(value, str | int):
            return None
        try:
            return self.identifier(value)
        except identifiers.IdentifierError:
            return None

    @classmethod
    def for_rows(cls, rows: list) -> Lookups:
        codes, items, agencies = set(), set(), set()
        batch = cls({}, {}, {})
        for row in rows:
            if not isinstance(row, dict):
                continue
            codes.add(batch.code(row.get("subject_identifier")))
            items.add(str(row.get("catalogue_item") or "").strip())
            agencies.add(batch.code(row.get("deciding_agency")))
        codes.discard(None)
        agencies.discard(None)
        return cls(
            subjects={
                s.identifier: s
                for s in Subject.objects.filter(identifier__in=in_array(codes, "varchar"))
            },
            items={i.code: i for i in CatalogueItem.objects.filter(code__in=items)},
            agencies={
                a.subject.identifier: a
                for a in Agency.objects.select_related("subject", "parent").filter(
                    subject__identifier__in=agencies
                )
            },
            parsed=batch.parsed,
        )


def _date(value, name: str, errors: dict) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = [gettext("Use a date as YYYY-MM-DD.")]
        return None


def _text(row: dict, name: str, errors: dict, *, max_length: int, required=False) -> str:
    value = row.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = [gettext("Must be text.")]
        return ""
    value = value.replace("\x00", "").strip()
    if required and not value:
        errors[name] = [gettext("This field is required.")]
    elif len(value) > max_length:
        errors[name] = [gettext("At most %(n)d characters.") % {"n": max_length}]
    return value


def parse_row(row, lookups: Lookups) -> RecordInput | dict:
    """A RecordInput, or a dict of field errors (every problem of the row at once)."""
    if not isinstance(row, dict):
        return {"non_field_errors": [gettext("Each record is a JSON object.")]}
    errors: dict[str, list[str]] = {}
    extra = {
        k: [gettext("Unknown field: not part of a credit record.")]
        for k in row
        if k not in TOP_FIELDS
    }
    errors.update(extra)
    raw_subject = row.get("subject_identifier")
    subject = None
    if not raw_subject:
        errors["subject_identifier"] = [gettext("This field is required.")]
    else:
        try:
            code = lookups.identifier(raw_subject)
        except identifiers.IdentifierError as exc:
            errors["subject_identifier"] = [exc.message]
        else:
            subject = lookups.subjects.get(code)
            if subject is None:
                errors["subject_identifier"] = [
                    gettext("No subject with this identifier is registered.")
                ]
    item = lookups.items.get(str(row.get("catalogue_item") or "").strip())
    if item is None:
        errors["catalogue_item"] = [
            gettext("Unknown catalogue item code: see GET /api/v1/catalogue/.")
        ]
    deciding = None
    if row.get("deciding_agency") not in (None, ""):
        deciding = lookups.agencies.get(lookups.code(row.get("deciding_agency")) or "")
        if deciding is None:
            errors["deciding_agency"] = [gettext("No agency with this code.")]
    decision_number = _text(row, "decision_number", errors, max_length=100, required=True)
    decision_date = _date(row.get("decision_date"), "decision_date", errors)
    if decision_date is None and "decision_date" not in errors:
        errors["decision_date"] = [gettext("This field is required.")]
    elif decision_date and decision_date > lookups.today:
        errors["decision_date"] = [gettext("A decision date cannot be in the future.")]
    content = _text(row, "content", errors, max_length=20_000, required=True)
    values = {
        "title": _text(row, "title", errors, max_length=200),
        "legal_basis": _text(row, "legal_basis", errors, max_length=500),
    }
    penalty, licence = row.get("penalty"), row.get("licence")
    kind = item.record_type if item else None
    if penalty is not None:
        if kind != "administrative_penalty" and item is not None:
            errors["penalty"] = [gettext("Only penalty items take a penalty object.")]
        elif not isinstance(penalty, dict):
            errors["penalty"] = [gettext("Must be an object with kind, amount_yuan, severity.")]
        else:
            values.update(_penalty(penalty, errors))
    elif kind == "administrative_penalty":
        errors["penalty"] = [gettext("A penalty record needs its penalty object (kind, severity).")]
    if licence is not None:
        if kind != "administrative_licence" and item is not None:
            errors["licence"] = [gettext("Only licence items take a licence object.")]
        elif not isinstance(licence, dict):
            errors["licence"] = [gettext("Must be an object with kind, valid_from, valid_until.")]
        else:
            values.update(_licence(licence, errors))
    if errors:
        return errors
    return RecordInput(
        subject=subject,
        catalogue_item=item,
        deciding_agency=deciding,
        decision_number=decision_number,
        decision_date=decision_date,
        content=content,
        **values,
    )


def _penalty(raw: dict, errors: dict) -> dict:
    for key in raw:
        if key not in PENALTY_FIELDS:
            errors[f"penalty.{key}"] = [gettext("Unknown field.")]
    out = {"penalty_kind": str(raw.get("kind") or "").strip()[:100]}
    severity = raw.get("severity") or Severity.ORDINARY
    if not isinstance(severity, str) or severity not in SEVERITIES:
        errors["penalty.severity"] = [gettext("One of: ordinary, serious.")]
    out["severity"] = severity
    amount = raw.get("amount_yuan")
    if amount not in (None, ""):
        try:
            # Excel-mangled amounts: "1,000.00", " 2000 ", full-width digits.
            text = unicodedata.normalize("NFKC", str(amount)).replace(",", "").strip()
            value = decimal.Decimal(text)
            if not value.is_finite() or value < 0 or value >= 10**14:
                raise decimal.InvalidOperation
            out["amount_yuan"] = value.quantize(decimal.Decimal("0.01"))
        except (decimal.InvalidOperation, ValueError):
            errors["penalty.amount_yuan"] = [
                gettext("A non-negative amount in yuan, e.g. 5000.00.")
            ]
    return out


def _licence(raw: dict, errors: dict) -> dict:
    for key in raw:
        if key not in LICENCE_FIELDS:
            errors[f"licence.{key}"] = [gettext("Unknown field.")]
    return {
        "licence_kind": str(raw.get("kind") or "").strip()[:100],
        "valid_from": _date(raw.get("valid_from"), "licence.valid_from", errors),
        "valid_until": _date(raw.get("valid_until"), "licence.valid_until", errors),
    }
