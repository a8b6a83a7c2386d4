"""Bulk import of list entries from CSV or XLSX: all rows or none.

Each row is validated and drafted through the same service as a form or the API, inside one
transaction; any bad row rolls the whole file back and every bad row is reported by number
and field. A dry run does the same work and always rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from registry.models import User

COLUMNS = [
    "list",
    "subject_identifier",
    "ground",
    "tier",
    "duration_months",
    "decision_number",
    "decision_date",
    "decision_issuer",
    "facts",
]
MAX_ROWS = 10_000
PROGRESS_EVERY = 250
DUPLICATE = "This decision already lists this subject on this list."


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class ImportResult:
    dry_run: bool
    rows: int = 0
    created_ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        return not self.dry_run and not self.errors


def read_dataset(content: bytes, filename: str) -> tablib.Dataset:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return tablib.Dataset().load(content, format="xlsx")
    if name.endswith(".csv"):
        text = content.decode("utf-8-sig")
        return tablib.Dataset().load(text, format="csv")
    raise ValidationError({"file": "Upload a .csv or .xlsx file."})


def _cell(value) -> object:
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):  # XLSX datetimes
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip() if not isinstance(value, int | float) else value


def import_entries(
    *, actor: User, content: bytes, filename: str, dry_run: bool, progress=None
) -> ImportResult:
    """`progress(rows_done)`, if given, is called every PROGRESS_EVERY rows (import jobs)."""
    from blacklists.api import ListEntryCreateSerializer, draft_from_input

    result = ImportResult(dry_run=dry_run)
    try:
        dataset = read_dataset(content, filename)
    except ValidationError:
        raise
    except Exception as exc:  # tablib raises format-specific errors for unreadable files
        raise ValidationError({"file": f"The file could not be read: {exc}"}) from exc
    headers = [str(h).strip() for h in (dataset.headers or [])]
    missing = [c for c in COLUMNS if c not in headers and c != "duration_months"]
    if missing:
        raise ValidationError({"file": f"Missing columns: {', '.join(missing)}."})
    if len(dataset) > MAX_ROWS:
        raise ValidationError({"file": f"At most {MAX_ROWS} rows per file."})

    with transaction.atomic():
        for offset, raw in enumerate(dataset.dict, start=2):  # row 1 is the header
            result.rows += 1
            if progress is not None and result.rows % PROGRESS_EVERY == 0:
                progress(result.rows)
            row = {k.strip(): _cell(v) for k, v in raw.items() if k}
            if row.get("duration_months") in ("", None):
                row["duration_months"] = None
            parsed = ListEntryCreateSerializer(data=row)
            if not parsed.is_valid():
                for name, messages in parsed.errors.items():
                    for message in messages:
                        result.errors.append(RowError(offset, name, str(message)))
                continue
            try:
                with transaction.atomic():
                    entry = draft_from_input(
                        actor=actor,
                        validated=parsed.validated_data,
                        reason=f"bulk import {filename} row {offset}",
                    )
                result.created_ids.append(entry.pk)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    if name == NON_FIELD_ERRORS:
                        # For a new draft the only non-field rule is one entry per decision.
                        name, messages = "decision_number", [DUPLICATE]
                    for message in messages:
                        result.errors.append(RowError(offset, name, message))
            except PermissionDenied as exc:
                result.errors.append(RowError(offset, "list", str(exc)))
            except IntegrityError:
                result.errors.append(RowError(offset, "decision_number", DUPLICATE))
        if result.errors or dry_run:
            transaction.set_rollback(True)
            result.created_ids = [] if result.errors or dry_run else result.created_ids
    return result
