"""Validation of the two national identifiers the registry keys subjects on.

- USCC, unified social credit code (GB 32100-2015) for organisations;
- resident identity number (GB 11643-1999) for natural persons.

Pure Python on purpose (no Django), so importers, the API and the admin share one set of
messages. Every failure raises IdentifierError whose ``.message`` says, in plain English, what
is wrong. Positions in messages are 1-based and refer to the normalised code.
"""

from __future__ import annotations

import datetime

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


class IdentifierError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise(raw: str) -> str:
    """Drop whitespace (incl. U+3000), '-' and zero-width marks; full-width ASCII to ASCII;
    upper-case ASCII letters only (str.upper would turn e.g. U+FB00 'ﬀ' into 'FF')."""
    if raw.isascii() and raw.isalnum() and not any("a" <= c <= "z" for c in raw):
        return raw  # already clean: the common case when agencies screen thousands of codes
    return "".join(c for c in raw.translate(_TRANSLATE) if not c.isspace() and c not in _DROPPED)


_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


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


def _fail(scheme: str, detail: str) -> IdentifierError:
    return IdentifierError(f"{scheme}: {detail}")


def validate_uscc(raw: str) -> str:
    code, s = normalise(raw), "USCC"
    if len(code) != 18:
        raise _fail(s, f"must be 18 characters, got {len(code)}")
    for pos, ch in enumerate(code, 1):
        if ch not in USCC_ALPHABET:
            allowed = "USCC uses 0-9 and A-H J-N P-R T-U W-Y"
            raise _fail(s, f"character {ch!r} at position {pos} is not allowed ({allowed})")
    if code[0] not in USCC_AUTHORITIES:
        raise _fail(s, f"registration authority code {code[0]!r} is not assigned")
    if code[1] not in DIGITS[1:]:
        raise _fail(s, f"organisation type code {code[1]!r} (position 2) is not assigned")
    division = code[2:8]
    if division != "100000" and not (_digits(division) and division[:2] in PROVINCES):
        raise _fail(
            s,
            f"division code {division} (positions 3-8) is not a valid division code shape "
            "(expected 6 digits starting with a province code, or 100000)",
        )
    if code[16] != (expected := organisation_code_check_character(code[8:16])):
        raise _fail(s, f"organisation code check character (position 17) should be {expected}")
    if code[17] != (expected := uscc_check_character(code[:17])):
        raise _fail(s, f"check character should be {expected}")
    return code


def validate_resident_id(raw: str, *, today: datetime.date | None = None) -> str:
    """``today`` defaults to the current date in China (UTC+8)."""
    code, s = normalise(raw), "resident ID"
    if len(code) != 18:
        raise _fail(s, f"must be 18 characters, got {len(code)}")
    for pos, ch in enumerate(code, 1):
        if ch not in DIGITS and not (pos == 18 and ch == "X"):
            allowed = "resident IDs use digits, and X only as the final check character"
            raise _fail(s, f"character {ch!r} at position {pos} is not allowed ({allowed})")
    if code[:2] not in RESIDENT_PROVINCES:
        raise _fail(
            s,
            f"region code {code[:6]} is not a valid division code shape "
            f"({code[:2]} is not a province code)",
        )
    stamp = code[6:14]
    try:
        born = datetime.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:
        raise _fail(s, f"birth date {stamp} is not a valid date") from None
    if born < EARLIEST_BIRTH:
        raise _fail(s, f"birth date {stamp} is before 1900-01-01")
    if born > (today or datetime.datetime.now(tz=CHINA_TZ).date()):
        raise _fail(s, f"birth date {stamp} is in the future")
    if code[17] != resident_id_check_character(code[:17]):
        # Never say which character would be right: that would complete a guessed ID of a
        # real person (issue 9 §3). A USCC is public, so its message does say.
        raise _fail(s, "check character does not match (a digit is probably mistyped)")
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
    """Return (normalised code, "uscc" | "resident_id").

    A code of 17 digits plus a digit or X is tried as a resident ID first, then as a USCC (a
    USCC may be all digits, e.g. "11…" government bodies). If both fail, the resident-ID message
    is reported, unless the code starts with an assigned USCC authority+type pair (GB 32100 table)
    and positions 7-14 do not even look like a YYYYMMDD date: then the USCC message is. Anything
    else of length 18 is judged as a USCC.
    """
    code = normalise(raw)
    if len(code) != 18:
        raise IdentifierError(f"must be 18 characters (a USCC or a resident ID), got {len(code)}")
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
