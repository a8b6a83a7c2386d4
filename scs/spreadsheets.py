"""Every CSV or XLSX the platform writes passes its cells through `neutralise` (issue 10).

A cell starting with = + - @ (or a tab / carriage return before one) is run as a formula by
Excel, LibreOffice and WPS ("CSV injection", OWASP): a subject's name or an objection's text
could then call out or exfiltrate data on a clerk's machine. Such a cell is prefixed with a
single quote, which spreadsheets show as text. Numbers stay numbers: only strings change.
django-import-export's exports do the same (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)"; non-strings and safe strings unchanged.
    Full-width ＝＋－＠ are included: some spreadsheet locales normalise them."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with BOM (Excel opens it as UTF-8), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(neutralise_row(header))
    for row in rows:
        writer.writerow(neutralise_row(row))
    return buffer.getvalue().encode("utf-8-sig")
