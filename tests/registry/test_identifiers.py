"""Tests for registry/identifiers.py: USCC (GB 32100-2015) and resident ID (GB 11643-1999).

No database. The messages are asserted in English (translation.override("en") for the whole
module: they are the msgids); test_messages_follow_the_active_language checks zh_Hans.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from registry import identifiers as ids
from registry.identifiers import IdentifierError


@pytest.fixture(autouse=True, scope="module")
def english():
    """The messages below are asserted as written in the code (the English msgids)."""
    with translation.override("en"):
        yield


ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIGITS = "0123456789"
# Characters outside both alphabets (incl. the five letters USCC leaves out, a non-ASCII digit
# and a separator that normalisation removes, which leaves 17 characters).
OUTSIDE = "IOSVZ*_.é中٣-"
TODAY = datetime.date(2025, 6, 30)
PROVINCES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82"
).split()

# Published examples: GB 32100 / Wikipedia's example, and python-stdnum's docstring example.
# The others were recalled from memory as large companies' codes and are not verified against a
# register; that each passes two independent checks (mod 31 and GB 11714 mod 11: 1 in 341 by
# chance) is the evidence that they are real.
KNOWN_USCCS = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91110108551385082Q",
    "91440300708461136T",
    "91110000802100433B",
    "91330100716105852F",
    "91110000710925462X",
]
# GB 11643-1999's own example (female, Beijing Chaoyang, 1949-12-31), and stdnum's example.
KNOWN_RESIDENT_IDS = ["11010519491231002X", "360426199101010071"]
# Letter-first codes (authorities N = agriculture, Y = other), built with the helpers below.
N_CODE = "N2330106000000019C"
Y_CODE = "Y1110108MA0ABCDE65"
# All digits, yet a USCC (government body, national level): 000000000 is no birth date.
ALL_DIGIT_USCC = "111000000000000355"
# Valid under both schemes: validate_identifier prefers the resident ID.
VALID_AS_BOTH = "111301196001010910"


def build_uscc(first8: str, body8: str) -> str:
    first17 = first8 + body8 + ids.organisation_code_check_character(body8)
    return first17 + ids.uscc_check_character(first17)


def build_resident_id(region: str, born: datetime.date, seq: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq}"
    return first17 + ids.resident_id_check_character(first17)


def four_digits():
    return st.text(DIGITS, min_size=4, max_size=4)


@st.composite
def usccs(draw) -> str:
    authority = draw(st.sampled_from("123456789ANY"))
    org_type = draw(st.sampled_from("123456789"))
    national = st.just("100000")
    division = draw(national | st.builds(str.__add__, st.sampled_from(PROVINCES), four_digits()))
    return build_uscc(
        authority + org_type + division, draw(st.text(ALPHABET, min_size=8, max_size=8))
    )


@st.composite
def resident_ids(draw) -> str:
    region = draw(st.sampled_from([*PROVINCES, "83"])) + draw(four_digits())
    born = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY))
    return build_resident_id(region, born, draw(st.text(DIGITS, min_size=3, max_size=3)))


def single_changes(code: str, replacements: str):
    """Every string differing from `code` in exactly one (normalised) character."""
    for i, original in enumerate(code):
        for ch in replacements:
            if ids.normalise(ch) != original:
                yield i, code[:i] + ch + code[i + 1 :]


def message_of(func, raw: str, **kw) -> str:
    with pytest.raises(IdentifierError) as info:
        func(raw, **kw)
    assert str(info.value) == info.value.message
    return info.value.message


# --- known examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", KNOWN_USCCS)
def test_known_usccs_pass(code):
    assert ids.validate_uscc(code) == code
    assert ids.validate_identifier(code) == (code, "uscc")
    assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]
    assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize("code", KNOWN_RESIDENT_IDS)
def test_known_resident_ids_pass(code):
    assert ids.validate_resident_id(code) == code
    assert ids.validate_identifier(code) == (code, "resident_id")
    assert ids.is_resident_id(code)
    assert stdnum_ric.is_valid(code)


def test_candidate_911100001000125221_is_not_a_valid_uscc():
    # Offered as an example in the brief; both of its check characters are wrong.
    code = "911100001000125221"
    assert "organisation code check character (position 17) should be 7" in message_of(
        ids.validate_uscc, code
    )
    assert stdnum_uscc.calc_check_digit(code[:17]) == "L" != code[17]
    fixed17 = code[:16] + "7"
    expected = stdnum_uscc.calc_check_digit(fixed17)
    assert expected != "1"
    assert (
        message_of(ids.validate_uscc, fixed17 + "1")
        == f"USCC: check character should be {expected}"
    )


def test_gb11643_example_born_1880_is_rejected_by_the_1900_floor():
    # The standard's other example is arithmetically valid but born before 1900-01-01.
    code = "440524188001010014"
    assert ids.resident_id_check_character(code[:17]) == code[17]
    assert "birth date 18800101 is before 1900-01-01" in message_of(ids.validate_resident_id, code)


@pytest.mark.parametrize("code", [N_CODE, Y_CODE])
def test_letter_first_uscc_passes_ours_while_stdnum_validate_rejects_it(code):
    assert code == build_uscc(code[:8], code[8:16])
    assert ids.validate_uscc(code) == code
    assert ids.validate_identifier(code) == (code, "uscc")
    assert (
        stdnum_uscc.calc_check_digit(code[:17]) == code[17] == ids.uscc_check_character(code[:17])
    )
    with pytest.raises(stdnum_exceptions.InvalidFormat):
        stdnum_uscc.validate(code)


def test_organisation_code_check_character():
    assert ids.organisation_code_check_character("M000100Y") == "4"  # letters count 10-35
    assert ids.organisation_code_check_character("00000001") == "9"  # 11 - 2
    assert ids.organisation_code_check_character("30000000") == "2"  # 11 - 9
    assert ids.organisation_code_check_character("00000006") == "X"  # 11 - 12 % 11 = 10
    assert ids.organisation_code_check_character("00000000") == "0"  # 11 - 0 = 11


def test_check_characters_match_stdnum_on_known_codes():
    for code in KNOWN_USCCS + [N_CODE, Y_CODE]:
        assert ids.uscc_check_character(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])
    for code in KNOWN_RESIDENT_IDS:
        assert ids.resident_id_check_character(code[:17]) == stdnum_ric.calc_check_digit(code)


# --- properties -------------------------------------------------------------------------------


@given(st.text(ALPHABET, min_size=17, max_size=17))
def test_uscc_check_character_agrees_with_stdnum(first17):
    assert ids.uscc_check_character(first17) == stdnum_uscc.calc_check_digit(first17)


@given(st.text(DIGITS, min_size=17, max_size=17))
def test_resident_id_check_character_agrees_with_stdnum(first17):
    # stdnum's calc_check_digit takes the whole number and ignores its last character.
    assert ids.resident_id_check_character(first17) == stdnum_ric.calc_check_digit(first17 + "0")


@given(usccs())
def test_generated_usccs_pass(code):
    assert ids.validate_uscc(code) == code
    assert ids.validate_identifier(code)[0] == code


@given(resident_ids())
def test_generated_resident_ids_pass(code):
    assert ids.validate_resident_id(code, today=TODAY) == code
    assert ids.validate_identifier(code, today=TODAY) == (code, "resident_id")


@settings(deadline=None)
@given(usccs())
def test_any_single_change_to_a_uscc_fails(code):
    for i, changed in single_changes(code, ALPHABET + ALPHABET.lower() + OUTSIDE + "Ａ１"):
        with pytest.raises(IdentifierError):
            ids.validate_uscc(changed)
        if i < 17 and changed[i] in ALPHABET:
            # The mod-31 check alone catches every substitution within the alphabet: weights
            # 3**i mod 31 are non-zero and 31 is prime.
            assert ids.uscc_check_character(changed[:17]) != changed[17]


@settings(deadline=None)
@given(resident_ids())
def test_any_single_change_to_a_resident_id_fails(code):
    for _i, changed in single_changes(code, DIGITS + "X" + OUTSIDE + "x１"):
        with pytest.raises(IdentifierError):
            ids.validate_resident_id(changed, today=TODAY)


def test_organisation_code_check_alone_misses_changes_by_multiples_of_11():
    # 'M' (22), '0' (0), 'B' (11), 'X' (33) are equal mod 11, so position 17 cannot tell them
    # apart; the position-18 check still does.
    code = "91350100M000100Y43"
    for ch in "0BX":
        changed = code[:8] + ch + code[9:]
        assert ids.organisation_code_check_character(changed[8:16]) == "4"
        expected = ids.uscc_check_character(changed[:17])
        message = message_of(ids.validate_uscc, changed)
        assert message == f"USCC: check character should be {expected}"


# --- normalisation ----------------------------------------------------------------------------


def test_full_width_with_ideographic_spaces_normalises_and_passes():
    raw = "\u3000９１３５０１００\u3000Ｍ０００１００Ｙ４３\u3000"
    assert ids.normalise(raw) == "91350100M000100Y43"
    assert ids.validate_uscc(raw) == "91350100M000100Y43"
    assert ids.validate_identifier(raw) == ("91350100M000100Y43", "uscc")
    assert ids.validate_identifier("ｎ２３３０１０６０００００００１９ｃ") == (N_CODE, "uscc")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135-0100 M000100Y4-3\t\n", "91350100M000100Y43"),
        ("\ufeff91350100M000100Y43\u200b", "91350100M000100Y43"),
        ("110105 19491231 002x", "11010519491231002X"),
        ("１１０１０５－１９４９１２３１－００２ｘ", "11010519491231002X"),
        ("ﬀ", "ﬀ"),  # U+FB00 is not upper-cased into 'FF'
    ],
)
def test_normalise(raw, expected):
    assert ids.normalise(raw) == expected


def test_lower_case_passes():
    assert ids.validate_uscc("91350100m000100y43") == "91350100M000100Y43"
    assert ids.validate_resident_id("11010519491231002x") == "11010519491231002X"
    assert ids.validate_identifier("11010519491231002x") == ("11010519491231002X", "resident_id")


# --- messages ---------------------------------------------------------------------------------

USCC_MESSAGES = [
    ("9135010M000100Y43", "USCC: must be 18 characters, got 17"),
    (
        "9135I100M000100Y43",
        "USCC: character 'I' at position 5 is not allowed (USCC uses 0-9 and A-H J-N P-R T-U W-Y)",
    ),
    ("91350100M000100O43", "character 'O' at position 16 is not allowed"),
    ("Q1350100M000100Y43", "USCC: registration authority code 'Q' is not assigned"),
    ("9A350100M000100Y43", "USCC: organisation type code 'A' (position 2) is not assigned"),
    ("90350100M000100Y43", "organisation type code '0' (position 2) is not assigned"),
    ("91990100M000100Y43", "USCC: division code 990100 (positions 3-8) is not a valid division"),
    ("9135A100M000100Y43", "division code 35A100 (positions 3-8) is not a valid division"),
    ("91350100M000100Y53", "USCC: organisation code check character (position 17) should be 4"),
    ("91350100M000100Y4B", "USCC: check character should be 3"),
]


@pytest.mark.parametrize(("raw", "expected"), USCC_MESSAGES)
def test_uscc_messages(raw, expected):
    assert expected in message_of(ids.validate_uscc, raw)


RESIDENT_MESSAGES = [
    ("1101051949123100X", "resident ID: must be 18 characters, got 17"),
    ("11010519491231002XX", "must be 18 characters, got 19"),
    (
        "1101051949123100A2",
        "resident ID: character 'A' at position 17 is not allowed "
        "(resident IDs use digits, and X only as the final check character)",
    ),
    ("110105194912310٣2X", "character '٣' at position 16 is not allowed"),
    ("000000199001010012", "resident ID: region code 000000 is not a valid division code shape"),
    ("991010199001010012", "region code 991010 is not a valid division code shape"),
    ("110101199902310012", "resident ID: birth date 19990231 is not a valid date"),
    ("110101199913010012", "birth date 19991301 is not a valid date"),
    ("110101000001010012", "birth date 00000101 is not a valid date"),
    ("110101189912310012", "resident ID: birth date 18991231 is before 1900-01-01"),
    ("110101202507010012", "resident ID: birth date 20250701 is in the future"),
    ("110101199003070022", "resident ID: check character does not match"),
    ("11010519491231002-1", "check character does not match"),  # '-' dropped: ...0021
]


@pytest.mark.parametrize(("raw", "expected"), RESIDENT_MESSAGES)
def test_resident_id_messages(raw, expected):
    assert expected in message_of(ids.validate_resident_id, raw, today=TODAY)


def test_birth_date_today_is_accepted_and_tomorrow_is_not():
    assert ids.validate_resident_id(build_resident_id("110101", TODAY, "001"), today=TODAY)
    tomorrow = build_resident_id("110101", TODAY + datetime.timedelta(days=1), "001")
    assert "is in the future" in message_of(ids.validate_resident_id, tomorrow, today=TODAY)


def test_default_today_is_the_real_date():
    assert ids.validate_resident_id(build_resident_id("110101", datetime.date(2000, 1, 1), "001"))
    far = build_resident_id("110101", datetime.date(2999, 1, 1), "001")
    assert "birth date 29990101 is in the future" in message_of(ids.validate_resident_id, far)
    assert not ids.is_resident_id(far)


def test_taiwan_residence_permit_region_830000_is_accepted_for_resident_ids_only():
    code = build_resident_id("830000", datetime.date(1990, 1, 1), "001")
    assert ids.validate_resident_id(code) == code
    uscc = build_uscc("91830000", "MA000001")
    assert "division code 830000" in message_of(ids.validate_uscc, uscc)


# --- validate_identifier: which scheme, which message -----------------------------------------


def test_all_digit_uscc_failing_as_resident_id_is_accepted_as_uscc():
    assert ids.validate_identifier(ALL_DIGIT_USCC) == (ALL_DIGIT_USCC, "uscc")
    assert not ids.is_resident_id(ALL_DIGIT_USCC)


def test_code_valid_under_both_schemes_is_a_resident_id():
    assert ids.validate_uscc(VALID_AS_BOTH) == VALID_AS_BOTH
    assert ids.validate_identifier(VALID_AS_BOTH) == (VALID_AS_BOTH, "resident_id")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Mistyped Beijing resident ID: '11' is also a USCC pair, but 19900307 looks like a date.
        ("110101199003070023", "resident ID: check character does not match"),
        ("110101199902310012", "resident ID: birth date 19990231 is not a valid date"),
        # Not a USCC authority+type pair ('0' type), so the resident ID reading wins.
        ("100000000000000001", "resident ID: region code 100000 is not a valid division code"),
        # Government USCC with a wrong check digit: positions 7-14 are no date.
        ("111000000000000356", "USCC: check character should be 5"),
        ("91350100M000100Y4B", "USCC: check character should be 3"),
        ("9135I100M000100Y43", "USCC: character 'I' at position 5 is not allowed"),
        ("1101051949123100", "must be 18 characters (a USCC or a resident ID), got 16"),
        ("", "must be 18 characters (a USCC or a resident ID), got 0"),
    ],
)
def test_validate_identifier_messages(raw, expected):
    assert expected in message_of(ids.validate_identifier, raw, today=TODAY)


def test_is_resident_id():
    assert ids.is_resident_id("11010519491231002x")
    assert not ids.is_resident_id("11010519491231002Y")
    assert not ids.is_resident_id("91350100M000100Y43")


# --- masking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("110101199003070022", "1101**********0022"),
        ("11010519491231002x", "1101**********002X"),
        ("110105 19491231 002X", "1101**********002X"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_resident_id(raw, expected):
    assert ids.mask_resident_id(raw) == expected


# --- tables -----------------------------------------------------------------------------------


def test_province_table_matches_the_brief():
    assert set(PROVINCES) == ids.PROVINCES
    assert ids.RESIDENT_PROVINCES == ids.PROVINCES | {"83"}


def test_every_division_in_the_data_file_is_accepted_in_a_uscc():
    path = Path(__file__).resolve().parents[2] / "registry" / "data" / "divisions.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        codes = [row["code"] for row in csv.DictReader(fh)]
    assert codes
    for code in codes:
        uscc = build_uscc(f"91{code}", "MA000001")
        assert ids.validate_uscc(uscc) == uscc


def test_messages_follow_the_active_language():
    """The message is rendered when read, in the language then active (the request's)."""
    with pytest.raises(IdentifierError) as info:
        ids.validate_uscc("91350100M000100Y4B")
    assert info.value.code == "check"
    with translation.override("zh-hans"):
        assert info.value.message == "统一社会信用代码：校验码应为 3"
        assert str(info.value) == info.value.message
    with translation.override("en"):
        assert info.value.message == "USCC: check character should be 3"
    with pytest.raises(IdentifierError) as info:
        ids.validate_resident_id("110101199003070022")
    with translation.override("zh-hans"):
        assert info.value.message == "居民身份证号码：校验码不符（可能有数字输入错误）"
    with pytest.raises(IdentifierError) as info:
        ids.upgrade_resident_id("110105990230001")
    with translation.override("zh-hans"):
        assert info.value.message == "15 位居民身份证号码：出生日期 19990230 不是有效日期"
    with translation.override("en"):
        expected = "resident ID (15-digit): birth date 19990230 is not a valid date"
        assert info.value.message == expected


# --- parse_identifier's fast path agrees with the full path ------------------------------------


def outcome(func, raw, **kw):
    """What a parse yields: the ParsedIdentifier, or the error's rule, scheme and message."""
    try:
        return func(raw, **kw)
    except IdentifierError as exc:
        return ("error", exc.code, exc.scheme, exc.message)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def single_change(draw, code: str) -> str:
    i = draw(st.integers(0, len(code) - 1))
    return code[:i] + draw(st.sampled_from(ALPHABET + "IOSxz ")) + code[i + 1 :]


def _excel(code: str) -> str:
    return f"{code[0]}.{code[1:6]}E+{len(code) - 1}"


@st.composite
def real_shaped_inputs(draw) -> str:
    """What agencies paste into a screening: valid codes, their lower-case, full-width,
    spaced and hyphenated forms, 15-digit first-generation IDs, Excel's numbers, codes one
    character off, codes born tomorrow, 17 digits + letter, and garbage."""
    code = draw(usccs() | resident_ids() | st.sampled_from(KNOWN_USCCS + KNOWN_RESIDENT_IDS))
    born = draw(st.dates(datetime.date(1890, 1, 1), datetime.date(2099, 12, 31)))
    region = draw(st.sampled_from([*PROVINCES, "83", "00", "99"])) + draw(four_digits())
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    resident = build_resident_id(region, born, seq)
    variants = [
        code,
        code.lower(),
        _full_width(code),
        f" {code[:6]} {code[6:]}\u3000",
        f"{code[:8]}-{code[8:]}",
        resident,
        resident[:17] + draw(st.sampled_from("0123456789Xx")),
        resident[:6] + resident[8:17],  # 15 digits, first generation
        code[:17] + draw(st.sampled_from("ABHJKLY")),
        code[:15] + "000",
        _excel(code),
        f"{code}.0",
        draw(single_change(code)),
        draw(st.text(ALPHABET + DIGITS * 3, min_size=16, max_size=19)),
        draw(st.text(min_size=0, max_size=20)),
        draw(st.text(ALPHABET.lower() + "Kk\u212a\u0131", min_size=18, max_size=18)),
    ]
    return draw(st.sampled_from(variants))


@settings(max_examples=1500, deadline=None)
@given(real_shaped_inputs(), st.sampled_from([TODAY, None, datetime.date(1995, 3, 1)]))
def test_fast_path_yields_exactly_what_the_full_path_yields(raw, today):
    assert outcome(ids.parse_identifier, raw, today=today) == outcome(
        ids._parse_full, raw, today=today
    )


@pytest.mark.parametrize(
    "raw",
    [
        *KNOWN_USCCS,
        *KNOWN_RESIDENT_IDS,
        N_CODE.lower(),
        ALL_DIGIT_USCC,
        VALID_AS_BOTH,
        "11010520000229001X",  # a leap day
        "11010519000229001X",  # not a leap year (1900)
        "11010519491231002x",
        "91350100M000100Y4\u212a",  # Kelvin sign: upper-cases to K, but not ASCII
    ],
)
def test_fast_path_on_edge_codes(raw):
    assert outcome(ids.parse_identifier, raw, today=TODAY) == outcome(
        ids._parse_full, raw, today=TODAY
    )


def test_fast_path_answers_clean_codes_without_the_full_path(monkeypatch):
    """The property above would pass if the fast path never answered: it must answer the
    clean valid codes itself."""

    def refuse(*args, **kwargs):
        raise AssertionError("full path taken")

    monkeypatch.setattr(ids, "_parse_full", refuse)
    for code in [*KNOWN_USCCS, *KNOWN_RESIDENT_IDS, N_CODE, Y_CODE, VALID_AS_BOTH]:
        assert ids.parse_identifier(code).code == code
    assert ids.parse_identifier(KNOWN_RESIDENT_IDS[0].lower()).scheme == "resident_id"


@settings(max_examples=500, deadline=None)
@given(usccs() | resident_ids(), st.booleans())
def test_fast_path_answers_every_valid_clean_code(code, lower):
    """Rejections fall back to the full path, so the property above cannot see a fast path
    that refuses too much: every valid clean code (any case) is answered by it, as the full
    path answers it."""
    raw = code.lower() if lower else code
    assert ids._parse_clean_18(raw, TODAY) == ids._parse_full(raw, today=TODAY)
