"""Validation of the two national identifiers the registry keys subjects on.

- USCC, unified social credit code (GB 32100-2015) for organisations;
- resident identity number (GB 11643-1999) for natural persons.

Plain Python except for Django's lazy gettext, so importers, the API, the portal and the
admin share one set of messages. Every failure raises IdentifierError whose ``.message`` says
what is wrong in the language active when it is read (the request's: zh_Hans by default,
English on request); ``.code`` names the failed rule for callers. Positions in messages are
1-based and refer to the normalised code.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # value of a character = its index
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DIGITS = "0123456789"
# GB 32100-2015 table A.1: registration authority -> organisation types. Validation accepts any
# type 1-9 after an assigned authority; the pairs only steer which message validate_identifier
# reports for an all-digit code that fails both schemes.
USCC_AUTHORITIES = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129",
    "7": "129", "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}  # fmt: skip
# First two digits of GB/T 2260 province-level codes (71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
# Residence permits for Taiwan residents carry region code 830000.
RESIDENT_PROVINCES = PROVINCES | {"83"}
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8))

_DROPPED = "-\u200b\ufeff"  # separators and zero-width marks pasted from spreadsheets
_TRANSLATE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width -> ASCII
_TRANSLATE.update({c: c - 0xFEE0 - 32 for c in range(0xFF41, 0xFF5B)})  # full-width a-z -> A-Z
_TRANSLATE.update({c: c - 32 for c in range(ord("a"), ord("z") + 1)})


SCHEME_LABELS = {
    "uscc": _("USCC"),
    "resident_id": _("resident ID"),
    "resident_id_15": _("resident ID (15-digit)"),
}


class IdentifierError(ValueError):
    """A code that cannot be read.

    ``template``: a lazily translated message with %(name)s placeholders filled from
    ``params``; ``scheme``: a key of SCHEME_LABELS prefixed to the message ("USCC: ..."), or
    "" for none; ``code``: the failed rule ("length", "character", "authority", "type",
    "division", "org_check", "check", "region", "birth_date", "kind", "spreadsheet",
    "first_generation", "invalid"). ``message`` and ``str()`` render it in the language
    active when read, so the API, portal, admin and import answer in the caller's language.
    """

    def __init__(self, template, params=None, *, scheme: str = "", code: str = "invalid"):
        super().__init__(template)
        self.template, self.params, self.scheme, self.code = template, params or {}, scheme, code

    @property
    def message(self) -> str:
        detail = str(self.template) % self.params if self.params else str(self.template)
        if not self.scheme:
            return detail
        label = SCHEME_LABELS[self.scheme]
        return gettext("%(scheme)s: %(detail)s") % {"scheme": label, "detail": detail}

    def __str__(self) -> str:
        return self.message


def normalise(raw: str) -> str:
    """Drop whitespace (incl. U+3000), '-' and zero-width marks; full-width ASCII to ASCII;
    upper-case ASCII letters only (str.upper would turn e.g. U+FB00 'ﬀ' into 'FF')."""
    if raw.isascii() and raw.isalnum() and not any("a" <= c <= "z" for c in raw):
        return raw  # already clean: the common case when agencies screen thousands of codes
    return "".join(c for c in raw.translate(_TRANSLATE) if not c.isspace() and c not in _DROPPED)


_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}

# The shape of an identifier in the API's contract (OpenAPI `pattern`): 18 characters of the
# USCC alphabet (GB 32100: no I, O, S, V, Z; a resident ID's 17 digits and its check digit or
# X fall within it) or a 15-digit first-generation resident ID (GB 11643-1989). The check
# characters are not a pattern: a code of this shape that fails them names no subject (404),
# unless registered as a nonconforming code of record.
IDENTIFIER_PATTERN = "^(?:[0-9A-HJ-NPQRTUWXY]{18}|[0-9]{15})$"
_IDENTIFIER_RE = re.compile(IDENTIFIER_PATTERN)


def well_formed(raw: str) -> bool:
    """True if ``raw``, normalised, has the shape of IDENTIFIER_PATTERN."""
    return bool(_IDENTIFIER_RE.fullmatch(normalise(raw)))


def _value(ch: str) -> int:
    return _VALUES[ch]


def _digits(text: str) -> bool:
    return all(c in DIGITS for c in text)  # str.isdigit() would accept e.g. '٣' or '²'


def uscc_check_character(first17: str) -> str:
    total = sum(_value(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_character(first8: str) -> str:
    """GB 11714: digits count 0-9 and letters A-Z 10-35."""
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def resident_id_check_character(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return "0123456789X"[(12 - total % 11) % 11]


def _fail(scheme: str, code: str, template, **params) -> IdentifierError:
    return IdentifierError(template, params, scheme=scheme, code=code)


_LENGTH_18 = _("must be 18 characters, got %(length)s")
_NOT_ALLOWED = _("character %(char)s at position %(position)s is not allowed (%(allowed)s)")


def validate_uscc(raw: str) -> str:
    code, s = normalise(raw), "uscc"
    if len(code) != 18:
        raise _fail(s, "length", _LENGTH_18, length=len(code))
    for pos, ch in enumerate(code, 1):
        if ch not in USCC_ALPHABET:
            allowed = _("USCC uses 0-9 and A-H J-N P-R T-U W-Y")
            raise _fail(s, "character", _NOT_ALLOWED, char=repr(ch), position=pos, allowed=allowed)
    if code[0] not in USCC_AUTHORITIES:
        raise _fail(
            s,
            "authority",
            _("registration authority code %(char)s is not assigned"),
            char=repr(code[0]),
        )
    if code[1] not in DIGITS[1:]:
        raise _fail(
            s,
            "type",
            _("organisation type code %(char)s (position 2) is not assigned"),
            char=repr(code[1]),
        )
    division = code[2:8]
    if division != "100000" and not (_digits(division) and division[:2] in PROVINCES):
        raise _fail(
            s,
            "division",
            _(
                "division code %(division)s (positions 3-8) is not a valid division code shape "
                "(expected 6 digits starting with a province code, or 100000)"
            ),
            division=division,
        )
    if code[16] != (expected := organisation_code_check_character(code[8:16])):
        raise _fail(
            s,
            "org_check",
            _("organisation code check character (position 17) should be %(expected)s"),
            expected=expected,
        )
    if code[17] != (expected := uscc_check_character(code[:17])):
        raise _fail(s, "check", _("check character should be %(expected)s"), expected=expected)
    return code


def validate_resident_id(raw: str, *, today: datetime.date | None = None) -> str:
    """``today`` defaults to the current date in China (UTC+8)."""
    code, s = normalise(raw), "resident_id"
    if len(code) != 18:
        raise _fail(s, "length", _LENGTH_18, length=len(code))
    for pos, ch in enumerate(code, 1):
        if ch not in DIGITS and not (pos == 18 and ch == "X"):
            allowed = _("resident IDs use digits, and X only as the final check character")
            raise _fail(s, "character", _NOT_ALLOWED, char=repr(ch), position=pos, allowed=allowed)
    if code[:2] not in RESIDENT_PROVINCES:
        raise _fail(
            s,
            "region",
            _(
                "region code %(region)s is not a valid division code shape "
                "(%(province)s is not a province code)"
            ),
            region=code[:6],
            province=code[:2],
        )
    stamp = code[6:14]
    try:
        born = datetime.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:
        raise _fail(
            s, "birth_date", _("birth date %(stamp)s is not a valid date"), stamp=stamp
        ) from None
    if born < EARLIEST_BIRTH:
        raise _fail(s, "birth_date", _("birth date %(stamp)s is before 1900-01-01"), stamp=stamp)
    if born > (today or datetime.datetime.now(tz=CHINA_TZ).date()):
        raise _fail(s, "birth_date", _("birth date %(stamp)s is in the future"), stamp=stamp)
    if code[17] != resident_id_check_character(code[:17]):
        # Never say which character would be right: that would complete a guessed ID of a
        # real person (issue 9 §3). A USCC is public, so its message does say.
        raise _fail(s, "check", _("check character does not match (a digit is probably mistyped)"))
    return code


def is_resident_id(code: str) -> bool:
    """True if ``code`` is a fully valid resident ID (not merely resident-ID-shaped)."""
    try:
        validate_resident_id(code)
    except IdentifierError:
        return False
    return True


def _date_shaped(stamp: str) -> bool:
    return (
        stamp[:2] in ("18", "19", "20") and "01" <= stamp[4:6] <= "12" and "01" <= stamp[6:] <= "31"
    )


def validate_identifier(raw: str, *, today: datetime.date | None = None) -> tuple[str, str]:
    """Return (normalised code, "uscc" | "resident_id"); a 15-digit first-generation resident
    ID comes back upgraded to 18 digits (use parse_identifier to learn that it was)."""
    parsed = parse_identifier(raw, today=today)
    return parsed.code, parsed.scheme


_LENGTH_EITHER = _("must be 18 characters (a USCC or a resident ID), got %(length)s")


def _validate_18(code: str, *, today: datetime.date | None = None) -> tuple[str, str]:
    """Return (normalised code, "uscc" | "resident_id").

    A code of 17 digits plus a digit or X is tried as a resident ID first, then as a USCC (a
    USCC may be all digits, e.g. "11…" government bodies). If both fail, the resident-ID message
    is reported, unless the code starts with an assigned USCC authority+type pair (GB 32100 table)
    and positions 7-14 do not even look like a YYYYMMDD date: then the USCC message is. Anything
    else of length 18 is judged as a USCC.
    """
    if len(code) != 18:
        raise IdentifierError(_LENGTH_EITHER, {"length": len(code)}, code="length")
    if not _digits(code[:17]) or code[17] not in DIGITS + "X":
        return validate_uscc(code), "uscc"
    try:
        return validate_resident_id(code, today=today), "resident_id"
    except IdentifierError as resident_error:
        try:
            return validate_uscc(code), "uscc"
        except IdentifierError as uscc_error:
            uscc_like = code[1] in USCC_AUTHORITIES.get(code[0], "")
            if uscc_like and not _date_shaped(code[6:14]):
                raise uscc_error from None
            raise resident_error from None


def mask_resident_id(rid: str) -> str:
    """'110101199003070022' -> '1101**********0022': first 4 and last 4 kept."""
    code = normalise(rid)
    if len(code) <= 8:
        return "*" * len(code)
    return code[:4] + "*" * (len(code) - 8) + code[-4:]


# A resident ID as lists and court notices print it: the leading digits kept (at least the
# 4 of the city), the middle starred, the last 1-4 characters kept; 18 characters in all.
_MASKED_RESIDENT_ID = re.compile(r"([0-9]{4,16})\*+([0-9]{0,3}[0-9X])")


def parse_masked_resident_id(raw: str) -> tuple[str, str] | None:
    """'1101**********0022' (or '110101********0022', full width, spaced) -> ('1101', '0022'):
    the kept head and tail of a masked resident ID, or None if ``raw`` is not one."""
    code = normalise(raw or "")
    if len(code) != 18 or "*" not in code:
        return None
    match = _MASKED_RESIDENT_ID.fullmatch(code)
    return (match.group(1), match.group(2)) if match else None


# --- identifiers as they circulate (issue 8) ---------------------------------------------

# GB 32100-2015 table A.1: the registration authority and organisation type (positions 1-2)
# that name one kind of subject. Pairs not listed (x9 "other", judicial, religious, trade
# union, rural collective, ... authorities) are accepted for any organisation kind.
USCC_KIND_BY_PREFIX = {
    "11": "government_body",  # 机构编制: 机关
    "12": "public_institution",  # 机构编制: 事业单位
    "13": "social_organisation",  # 机构编制: 群众团体
    "51": "social_organisation",  # 民政: 社会团体
    "52": "social_organisation",  # 民政: 民办非企业单位
    "53": "social_organisation",  # 民政: 基金会
    "91": "enterprise",  # 工商: 企业
    "92": "individual_business",  # 工商: 个体工商户
    "93": "enterprise",  # 工商: 农民专业合作社
}
KIND_LABELS = {
    "enterprise": _("an enterprise"),
    "individual_business": _("an individual business"),
    "social_organisation": _("a social organisation"),
    "public_institution": _("a public institution"),
    "government_body": _("a government body"),
    "natural_person": _("a natural person"),
}
NATURAL_PERSON = "natural_person"
NONCONFORMING_HINT = _(
    "A registration authority can register a code of record issued before the check rule "
    "was enforced by setting nonconforming_check with a note."
)
SPREADSHEET_MESSAGE = _(
    "a spreadsheet turned this code into a number (%(raw)s) and lost its last digits; "
    "format the column as Text (or type an apostrophe ' before the code) and copy the code "
    "again from the source document"
)
_EXCEL_EXPONENT = r"^\s*[0-9](?:\.[0-9]+)?[eE]\+?[0-9]{1,2}\s*$"  # 1.10105E+17
_EXCEL_DECIMAL = r"^\s*[0-9]{15,18}\.0+\s*$"  # 110105196603150000.0


@dataclass(frozen=True)
class ParsedIdentifier:
    """An identifier read from input.

    ``code``: the normalised 18-character identifier (a 15-digit first-generation resident
    ID upgraded); ``scheme``: "uscc" or "resident_id"; ``upgraded_from``: the 15-digit
    input when it was upgraded, else "".
    """

    code: str
    scheme: str
    upgraded_from: str = ""


def spreadsheet_mangled(raw: str) -> bool:
    """True if ``raw`` is what Excel makes of a long code typed into a number cell:
    scientific notation (1.10105E+17) or a trailing '.0'. (18 digits ending in 000 are
    judged by parse_identifier once the check fails.)"""
    import re

    text = raw or ""
    return bool(re.match(_EXCEL_EXPONENT, text) or re.match(_EXCEL_DECIMAL, text))


def _spreadsheet_error(raw: str) -> IdentifierError:
    return IdentifierError(SPREADSHEET_MESSAGE, {"raw": (raw or "").strip()}, code="spreadsheet")


def upgrade_resident_id(raw: str, *, today: datetime.date | None = None) -> str:
    """'110105660315001' -> '11010519660315001X': GB 11643-1999 upgrade of a 15-digit
    first-generation ID (region 6, YYMMDD 6, sequence 3): '19' is inserted into the year and
    the MOD 11-2 check character appended. Raises IdentifierError if the result is invalid."""
    code = normalise(raw)
    if len(code) != 15 or not _digits(code):
        raise _fail(
            "resident_id_15", "length", _("must be 15 digits, got %(code)s"), code=repr(code)
        )
    first17 = code[:6] + "19" + code[6:]
    upgraded = first17 + resident_id_check_character(first17)
    try:
        return validate_resident_id(upgraded, today=today)
    except IdentifierError as exc:
        raise IdentifierError(
            exc.template, exc.params, scheme="resident_id_15", code=exc.code
        ) from None


def looks_like_first_generation_id(code: str) -> bool:
    """15 digits whose region and YYMMDD could be a first-generation resident ID."""
    if len(code) != 15 or not _digits(code) or code[:2] not in RESIDENT_PROVINCES:
        return False
    try:
        datetime.date(1900 + int(code[6:8]), int(code[8:10]), int(code[10:12]))
    except ValueError:
        return False
    return True


def check_kind_agreement(code: str, kind: str) -> None:
    """Raise IdentifierError if a USCC's positions 1-2 name another kind than ``kind``."""
    expected = USCC_KIND_BY_PREFIX.get(code[:2])
    if expected and kind and expected != kind:
        raise _fail(
            "uscc",
            "kind",
            _(
                "positions 1-2 '%(prefix)s' are the code of %(expected)s (GB 32100 table A.1), "
                "but the subject kind is %(kind)s"
            ),
            prefix=code[:2],
            expected=KIND_LABELS[expected],
            kind=KIND_LABELS.get(kind, kind),
        )


def parse_identifier(
    raw: str,
    *,
    kind: str | None = None,
    today: datetime.date | None = None,
    nonconforming_check: bool = False,
) -> ParsedIdentifier:
    """Read a USCC or resident ID as people type and save them.

    - ``kind`` (a SubjectKind value) decides how the code is read: a resident ID (18 digits,
      or 15-digit first generation) for a natural person, a USCC for anyone else, with
      positions 1-2 agreeing with the kind; without ``kind`` the shape decides
      (validate_identifier's rules) and 15 digits are read as a first-generation resident ID.
    - ``nonconforming_check`` (USCCs only) accepts a code whose check characters (positions
      17-18) fail GB 32100, for codes of record issued before the rule was enforced.
    - A code a spreadsheet turned into a number (1.10105E+17, ...0000.0, or 18 digits
      ending in 000 that fail the check) raises a message saying so, never a "correct"
      check character.
    Raises IdentifierError.
    """
    if kind is None and not nonconforming_check and type(raw) is str:
        # Screening reads 10 000 codes a request, nearly all clean and valid: a fast path
        # accepts those; everything else (and every failure) takes the full path below, so
        # results and messages are the full path's (tests/registry/test_identifiers.py).
        parsed = _parse_clean_18(raw, today)
        if parsed is not None:
            return parsed
    return _parse_full(raw, kind=kind, today=today, nonconforming_check=nonconforming_check)


def _parse_full(
    raw: str,
    *,
    kind: str | None = None,
    today: datetime.date | None = None,
    nonconforming_check: bool = False,
) -> ParsedIdentifier:
    """parse_identifier without its fast path: the rules as written."""
    if spreadsheet_mangled(raw or ""):
        raise _spreadsheet_error(raw)
    code = normalise(raw or "")
    try:
        if kind == NATURAL_PERSON:
            if len(code) == 15 and _digits(code):
                return ParsedIdentifier(upgrade_resident_id(code, today=today), "resident_id", code)
            return ParsedIdentifier(validate_resident_id(code, today=today), "resident_id")
        if kind:
            if nonconforming_check:
                return ParsedIdentifier(validate_uscc_shape(code), "uscc")
            checked = validate_uscc(code)
            check_kind_agreement(checked, kind)
            return ParsedIdentifier(checked, "uscc")
        if len(code) == 15 and looks_like_first_generation_id(code):
            return ParsedIdentifier(upgrade_resident_id(code, today=today), "resident_id", code)
        if len(code) == 15 and _digits(code):
            raise IdentifierError(
                _(
                    "must be 18 characters (a USCC or a resident ID), got 15; a 15-digit number "
                    "is read as a first-generation resident ID, and this one has no valid birth "
                    "date or region"
                ),
                code="first_generation",
            )
        return ParsedIdentifier(*_validate_18(code, today=today))
    except IdentifierError:
        if len(code) == 18 and _digits(code) and code.endswith("000"):
            raise _spreadsheet_error(raw) from None
        raise


def validate_uscc_shape(raw: str) -> str:
    """validate_uscc without the two check characters (positions 17-18): for codes of record
    registered with ``nonconforming_check``."""
    code = normalise(raw)
    try:
        return validate_uscc(code)
    except IdentifierError as exc:
        if exc.code not in ("org_check", "check"):
            raise
    return code


def uscc_registration_message(exc: IdentifierError) -> str:
    """The registration form's message, in the active language: what is wrong, and the
    nonconforming_check route when a USCC's check character (position 17 or 18) fails."""
    if exc.code in ("org_check", "check") and exc.scheme == "uscc":
        return gettext("%(message)s. %(hint)s") % {
            "message": exc.message,
            "hint": NONCONFORMING_HINT,
        }
    return exc.message


def parse_organisation_code(raw: str) -> str | None:
    """'M0K7Q2R5-3' -> 'M0K7Q2R53': a 9-character organisation code (GB 11714, the USCC's
    positions 9-17), hyphen optional, with a valid check character; else None."""
    code = normalise(raw or "")
    if len(code) != 9 or not code.isascii() or not code.isalnum():
        return None
    if organisation_code_check_character(code[:8]) != code[8]:
        return None
    return code


def business_registration_number(raw: str) -> str | None:
    """A former 15-digit business registration number (工商注册号), digits only, else None.
    Its check digit (GB/T 17710 MOD 11,10) was not applied consistently by local offices,
    so only the shape is checked: lookups are exact matches on stored former identifiers."""
    code = normalise(raw or "")
    return code if len(code) == 15 and _digits(code) else None


# --- the fast path of parse_identifier for clean 18-character codes ------------------------
#
# An 18-character ASCII code of the USCC alphabet (case-insensitive) normalises to its upper
# case and cannot be a spreadsheet's number (those carry '.', 'E+' or are shorter). Tables
# turn each check-character sum into one C-level `sum(map(...))`: per position, the value of
# each character times that position's weight.

_CLEAN_18 = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}", re.ASCII | re.IGNORECASE)
_RESIDENT_SHAPE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_USCC_TABLES = tuple({c: v * w for c, v in _VALUES.items()} for w in USCC_WEIGHTS)
_ORG_TABLES = tuple(
    {c: int(c, 36) * w for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"} for w in ORG_CODE_WEIGHTS
)
_RESIDENT_TABLES = tuple({c: int(c) * w for c in DIGITS} for w in RESIDENT_ID_WEIGHTS)
_ORG_CHECK = tuple({10: "X", 11: "0"}.get(11 - r, str(11 - r)) for r in range(11))
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DAYS_IN_MONTH = {f"{m:02d}": d for m, d in enumerate(_MONTH_DAYS, 1)}
_USCC_TYPES = frozenset("123456789")


def _uscc_valid(code: str) -> bool:
    """validate_uscc(code) would return code (code: 18 characters of USCC_ALPHABET)."""
    if code[0] not in USCC_AUTHORITIES or code[1] not in _USCC_TYPES:
        return False
    division = code[2:8]
    if division != "100000" and not (division.isdigit() and division[:2] in PROVINCES):
        return False
    if code[16] != _ORG_CHECK[sum(map(dict.__getitem__, _ORG_TABLES, code[8:16])) % 11]:
        return False
    return code[17] == USCC_ALPHABET[-sum(map(dict.__getitem__, _USCC_TABLES, code)) % 31]


def _resident_valid(code: str, today: datetime.date | None) -> bool:
    """validate_resident_id(code, today=today) would return code (code: 17 ASCII digits and
    a digit or X)."""
    if code[:2] not in RESIDENT_PROVINCES:
        return False
    stamp = code[6:14]
    days = _DAYS_IN_MONTH.get(stamp[4:6])
    if days is None or not "01" <= stamp[6:] <= f"{days:02d}" or stamp < "19000101":
        return False
    if stamp[4:] == "0229":
        year = int(stamp[:4])
        if year % 4 or (year % 100 == 0 and year % 400):
            return False
    limit = today or datetime.datetime.now(tz=CHINA_TZ).date()
    if stamp > f"{limit.year:04d}{limit.month:02d}{limit.day:02d}":
        return False
    return code[17] == "10X98765432"[sum(map(dict.__getitem__, _RESIDENT_TABLES, code)) % 11]


def _parse_clean_18(raw: str, today: datetime.date | None) -> ParsedIdentifier | None:
    """parse_identifier(raw, today=today)'s result for a clean, valid 18-character code, or
    None to take the full path (any other input, and every code that fails a rule)."""
    if len(raw) != 18 or not _CLEAN_18.fullmatch(raw):
        return None
    code = raw.upper()
    if _RESIDENT_SHAPE.fullmatch(code):
        if _resident_valid(code, today):
            return ParsedIdentifier(code, "resident_id")
        return ParsedIdentifier(code, "uscc") if _uscc_valid(code) else None
    return ParsedIdentifier(code, "uscc") if _uscc_valid(code) else None
