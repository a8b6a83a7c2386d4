"""Personal data: the one rule for showing resident IDs (issue 9 §3).

A natural person's resident ID (GB 11643-1999) encodes birth date and region: personal data.
Every surface (portal, admin, API, exports, PDFs, logs) shows it through these functions:

- `mask_resident_id(code)` is the one masking function (first 4 and last 4 characters kept;
  seed 001: only "part of their national ID number" is shown);
- `may_view_personal_ids(user)` / `agency_may_view_personal_ids(agency)` say whether the
  viewer's legal tasks need full IDs (`Agency.may_view_personal_ids`, set by the operator);
- `shown_identifier(identifier, kind, reveal=...)` is what a viewer sees of a subject's
  identifier (USCCs are public and always shown in full);
- `mask_resident_ids_in_text(text)` masks every resident-ID-shaped run in free text (log lines,
  URLs in access logs, messages).
"""

from __future__ import annotations

import re

from registry.identifiers import mask_resident_id

__all__ = [
    "agency_may_view_personal_ids",
    "mask_resident_id",
    "mask_resident_ids_in_text",
    "may_view_personal_ids",
    "shown_identifier",
]

NATURAL_PERSON = "natural_person"

# 17 digits and a check character, ASCII or full-width, not inside a longer alphanumeric run.
# Deliberately broader than a valid resident ID (mistyped IDs are personal data too); an
# all-digit USCC (government bodies) in a log line is masked as well, which costs nothing.
_ID_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])[0-9０-９]{17}[0-9Xx０-９Ｘｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])"
)

_ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")


def mask_resident_ids_in_text(text: str) -> str:
    """'GET /api/v1/subjects/110101199003070022/' -> 'GET /api/v1/subjects/1101**********0022/'."""
    if len(text) == 18 and text.isascii() and text.isalnum():  # a clean code: no regex
        return mask_resident_id(text) if _ID_SHAPE.fullmatch(text) else text
    if not text or not any(c.isdigit() for c in text):
        return text
    return _ID_IN_TEXT.sub(lambda m: mask_resident_id(m.group(0)), text)


def agency_may_view_personal_ids(agency) -> bool:
    return bool(agency is not None and agency.may_view_personal_ids)


def may_view_personal_ids(user) -> bool:
    """Superusers (the platform operator) and staff of agencies whose legal tasks need full
    resident IDs; nobody else (the public, other agencies' staff and tokens)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return agency_may_view_personal_ids(getattr(user, "agency", None))


def shown_identifier(identifier: str, kind: str, *, reveal: bool) -> str:
    """The identifier as this viewer may see it: full for organisations and for viewers who
    may see personal IDs, masked for natural persons otherwise."""
    if kind == NATURAL_PERSON and not reveal:
        return mask_resident_id(identifier)
    return identifier
