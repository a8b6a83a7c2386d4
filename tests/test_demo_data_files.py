"""Sanity checks on the demo reference data used by `manage.py seed_demo`.

registry/data/demo_agencies.json, registry/data/demo_catalogue.json,
blacklists/data/demo_lists.json and sanctions/data/demo_memoranda.json.

Plain pytest, no database: run with `-p no:django` (and `--noconftest`, since tests/conftest.py
needs Django settings).
"""

from __future__ import annotations

import csv
import datetime
import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from stdnum.cn import uscc as stdnum_uscc

from registry.models import FORBIDDEN_TERMS, RecordType

ROOT = Path(__file__).resolve().parents[1]
AGENCIES = ROOT / "registry" / "data" / "demo_agencies.json"
CATALOGUE = ROOT / "registry" / "data" / "demo_catalogue.json"
LISTS = ROOT / "blacklists" / "data" / "demo_lists.json"
MEMORANDA = ROOT / "sanctions" / "data" / "demo_memoranda.json"
DIVISIONS = ROOT / "registry" / "data" / "divisions.csv"

# Vocabularies (mirroring the TextChoices in registry, blacklists and sanctions models).
SUBJECT_KINDS = {
    "enterprise",
    "individual_business",
    "social_organisation",
    "public_institution",
    "government_body",
    "natural_person",
}
AGENCY_KINDS = {"government_body", "enterprise"}
AGENCY_LEVELS = {"national", "provincial", "prefectural", "county"}
LIST_KINDS = {"blacklist", "redlist", "watchlist"}
TIERS = {"general", "serious", "extremely_serious"}
REPAIR_CONDITIONS = {
    "proof_of_correction",
    "training_certificate",
    "credit_commitment",
    "obligation_met",
}
MEASURE_KINDS = {"punishment", "incentive"}
TARGETS = {
    "subject",
    "legal_representative",
    "principal_responsible_person",
    "directors_supervisors_senior_managers",
    "actual_controller",
}
DURATIONS = {"while_in_force", "fixed"}
CATEGORIES = {"basic", "negative", "positive"}
VISIBILITIES = {"public", "government", "restricted"}
RECORD_TYPES = set(RecordType.values)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def gb11714_check(body: str) -> str:
    """Check character of an organisation code (GB 11714) over its first 8 characters."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w
        for c, w in zip(body, GB11714_WEIGHTS, strict=True)
    )
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def test_gb11714_known_values():
    # Worked examples of GB 11714-1997: D2143569-X and the all-zero body.
    assert gb11714_check("D2143569") == "X"
    assert gb11714_check("00000000") == "0"


@cache
def _load(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, path
    return tuple(data)


def agencies():
    return _load(AGENCIES)


def lists():
    return _load(LISTS)


def memoranda():
    return _load(MEMORANDA)


def catalogue():
    return _load(CATALOGUE)


@cache
def _division_codes() -> frozenset[str]:
    with DIVISIONS.open(encoding="utf-8", newline="") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


def _agency_keys() -> set[str]:
    return {a["key"] for a in agencies()}


def _lists_by_key() -> dict[str, dict]:
    return {row["key"]: row for row in lists()}


def _duplicates(values) -> list:
    return [v for v, n in Counter(values).items() if n > 1]


# --- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [AGENCIES, CATALOGUE, LISTS, MEMORANDA], ids=lambda p: p.name)
def test_files_are_pretty_printed_utf8_with_readable_chinese(path):
    text = path.read_text(encoding="utf-8")
    assert "\\u" not in text, "write with ensure_ascii=False"
    assert text.startswith("[\n  {"), "pretty-print with indent=2"


def test_keys_unique():
    assert not _duplicates(a["key"] for a in agencies())
    assert not _duplicates(a["uscc"] for a in agencies())
    assert not _duplicates(a["short_name"] for a in agencies())
    assert not _duplicates(row["key"] for row in lists())
    assert not _duplicates(m["key"] for m in memoranda())
    assert not _duplicates(m["document_number"] for m in memoranda())
    assert not _duplicates(c["code"] for c in catalogue())
    for row in lists():
        assert not _duplicates(g["code"] for g in row["grounds"]), row["key"]
        assert not _duplicates(t["tier"] for t in row["tiers"]), row["key"]
    for mou in memoranda():
        assert not _duplicates(m["code"] for m in mou["measures"]), mou["key"]


# --- agencies ------------------------------------------------------------------------------


def test_agency_fields_and_vocabularies():
    required = {
        "key",
        "name_zh",
        "name_en",
        "short_name",
        "kind",
        "level",
        "parent",
        "division",
        "is_registration_authority",
        "may_view_personal_ids",
        "uscc",
    }
    for a in agencies():
        assert required <= a.keys(), a["key"]
        assert a["kind"] in AGENCY_KINDS, a["key"]
        assert a["level"] in AGENCY_LEVELS, a["key"]
        assert isinstance(a["is_registration_authority"], bool)
        assert isinstance(a["may_view_personal_ids"], bool)
        assert a["division"] in _division_codes(), a["key"]
        if a["level"] == "national":
            assert a["division"] == "110000", a["key"]
        if a["is_registration_authority"]:
            assert a["may_view_personal_ids"], a["key"]


def test_agency_parents_resolve_and_come_first():
    # The loader resolves parents while it walks the file, so a parent must come earlier.
    seen: set[str] = set()
    for a in agencies():
        if a["parent"] is not None:
            assert a["parent"] in seen, f"{a['key']}: parent {a['parent']} missing or later"
            assert a["parent"] != a["key"]
        seen.add(a["key"])


def test_only_china_railway_is_an_enterprise():
    enterprises = [a["key"] for a in agencies() if a["kind"] == "enterprise"]
    assert enterprises == ["china_railway"]


@pytest.mark.parametrize("agency", agencies(), ids=lambda a: a["key"])
def test_uscc(agency):
    code = agency["uscc"]
    assert len(code) == 18 and all(c in USCC_ALPHABET for c in code), code
    assert code[:8].isdigit(), code
    assert code[17] == stdnum_uscc.calc_check_digit(code[:17]), code
    assert code[16] == gb11714_check(code[8:16]), code
    assert stdnum_uscc.is_valid(code)
    assert code[2:8] == agency["division"], code
    prefix = "11" if agency["kind"] == "government_body" else "91"
    assert code.startswith(prefix), code


def test_agencies_the_demo_needs():
    needed = {
        "spc",
        "ndrc",
        "pboc",
        "sta",
        "customs",
        "mohrss",
        "caac",
        "china_railway",
        "cac",
        "mee",
        "mps",
        "safe",
        "samr",
        "mca",
        "mof",
        "csrc",
        "mnr",
        "mohurd",
        "mct",
        "moe",
        "mofcom",
        "most",
        "zj_amr",
        "zj_high_court",
        "hz_amr",
    }
    assert needed <= _agency_keys()


# --- lists ---------------------------------------------------------------------------------


def test_list_fields_and_vocabularies():
    for row in lists():
        key = row["key"]
        assert row["owner"] in _agency_keys(), key
        assert row["kind"] in LIST_KINDS, key
        assert 0 < len(row["name_zh"]) <= 200 and len(row["name_en"]) <= 200, key
        assert row["legal_basis_instrument"].strip(), key
        assert len(row["legal_basis_instrument"]) <= 300, key
        assert len(row.get("legal_basis_article") or "") <= 100, key
        assert row["subject_kinds"] and set(row["subject_kinds"]) <= SUBJECT_KINDS, key
        assert not _duplicates(row["subject_kinds"]), key
        assert isinstance(row["publicity_months"], int) and row["publicity_months"] > 0, key
        assert row["objection_window_days"] > 0 and row["decision_deadline_working_days"] > 0
        assert len(row.get("immediate_publication_basis") or "") <= 300, key
        for flag in (
            "is_public",
            "hold_out_of_publicity_while_objection_pending",
            "may_trigger_joint_measures",
            "derived",
        ):
            assert isinstance(row[flag], bool), (key, flag)
        assert set(row["repair_conditions"]) <= REPAIR_CONDITIONS, key
        assert row["source"].strip(), key


def test_every_list_has_closed_grounds_and_tiers():
    # An entry needs one ground and one tier of its list, so every list has both.
    for row in lists():
        key = row["key"]
        assert 2 <= len(row["grounds"]) <= 6, key
        for ground in row["grounds"]:
            assert ground["code"] and ground["legal_basis"].strip(), (key, ground)
            assert 0 < len(ground["text_zh"]) <= 500 and len(ground["text_en"]) <= 500
            assert len(ground["legal_basis"]) <= 300, (key, ground["code"])
            assert len(ground["code"]) <= 32
        assert row["tiers"], key
        for tier in row["tiers"]:
            assert tier["tier"] in TIERS, key
            assert isinstance(tier["min_months"], int) and tier["min_months"] >= 0, key
            upper = tier["max_months"]
            assert upper is None or (isinstance(upper, int) and tier["min_months"] <= upper), key


def test_joint_measure_rules():
    for row in lists():
        if row["kind"] == "watchlist":
            # Database constraint: a watch list never triggers joint measures.
            assert not row["may_trigger_joint_measures"], row["key"]
        if row["kind"] == "blacklist" and row["may_trigger_joint_measures"]:
            assert row["tiers"] and row["grounds"], row["key"]
        if row["derived"]:
            assert row["kind"] == "watchlist" and not row["may_trigger_joint_measures"]
    redlists_with_measures = {
        row["key"]
        for row in lists()
        if row["kind"] == "redlist" and row["may_trigger_joint_measures"]
    }
    assert redlists_with_measures == {"customs_advanced_certified", "sta_a_grade"}


def test_repair_conditions_of_natural_persons_lists():
    for row in lists():
        if "natural_person" in row["subject_kinds"] and row["kind"] == "blacklist":
            assert "obligation_met" in row["repair_conditions"], row["key"]
        text = json.dumps(row["repair_conditions"], ensure_ascii=False).lower()
        for word in ("donat", "blood", "marrow", "volunt", "捐", "献血"):
            assert word not in text, row["key"]


def test_immediate_publication_only_for_court_lists():
    for row in lists():
        if row.get("immediate_publication_basis"):
            assert row["owner"] in {"spc", "zj_high_court"}, row["key"]


def test_lists_the_demo_needs():
    keys = _lists_by_key()
    for key in ("spc_defaulters", "sta_major_tax", "customs_untrustworthy", "mohrss_wage_arrears"):
        assert key in keys
    assert [g["code"] for g in keys["spc_defaulters"]["grounds"]] == [
        f"SPC-{n}" for n in range(1, 7)
    ]
    assert sum(1 for row in lists() if row["derived"]) == 1
    assert {row["kind"] for row in lists()} == LIST_KINDS


# --- memoranda -----------------------------------------------------------------------------


def test_memoranda_cross_references():
    agency_keys, by_key = _agency_keys(), _lists_by_key()
    for mou in memoranda():
        key = mou["key"]
        assert mou["signatories"] and set(mou["signatories"]) <= agency_keys, key
        assert not _duplicates(mou["signatories"]), key
        assert mou["triggering_lists"], key
        for list_key in mou["triggering_lists"]:
            assert list_key in by_key, (key, list_key)
            assert by_key[list_key]["may_trigger_joint_measures"], (key, list_key)
        for measure in mou["measures"]:
            assert measure["implementing_agency"] in agency_keys, (key, measure["code"])


def test_implementing_agencies_signed_or_act_under_a_signatory():
    parents = {a["key"]: a["parent"] for a in agencies()}
    for mou in memoranda():
        signed = set(mou["signatories"])
        for measure in mou["measures"]:
            agency = measure["implementing_agency"]
            chain = []
            while agency is not None:
                chain.append(agency)
                agency = parents[agency]
            assert signed & set(chain), (mou["key"], measure["code"], chain)


def test_memoranda_fields_and_vocabularies():
    for mou in memoranda():
        key = mou["key"]
        assert mou["title_zh"].strip() and len(mou["title_zh"]) <= 300, key
        assert len(mou["title_en"]) <= 300 and len(mou["document_number"]) <= 100, key
        signed = datetime.date.fromisoformat(mou["signed_on"])
        start = datetime.date.fromisoformat(mou["effective_from"])
        assert signed <= start, key
        if mou["effective_until"] is not None:
            assert start <= datetime.date.fromisoformat(mou["effective_until"]), key
        assert mou["measures"] and mou["source"].strip(), key
        for measure in mou["measures"]:
            where = (key, measure["code"])
            assert len(measure["code"]) <= 16, where
            assert 0 < len(measure["text_zh"]) <= 500 and len(measure["text_en"]) <= 500, where
            assert measure["kind"] in MEASURE_KINDS, where
            assert measure["legal_basis"].strip() and len(measure["legal_basis"]) <= 500, where
            assert isinstance(measure["mandatory"], bool), where
            assert measure["targets"] in TARGETS, where
            assert measure["duration"] in DURATIONS, where
            if measure["duration"] == "fixed":
                assert isinstance(measure["fixed_months"], int) and measure["fixed_months"] > 0
            else:
                assert measure["fixed_months"] is None, where
            target_basis = measure.get("target_basis") or ""
            assert len(target_basis) <= 500, where
            if measure["targets"] != "subject":
                # No collateral target without a provision that names those persons.
                assert target_basis.strip(), where


def test_measure_kind_matches_triggering_lists():
    by_key = _lists_by_key()
    for mou in memoranda():
        kinds = {by_key[k]["kind"] for k in mou["triggering_lists"]}
        assert len(kinds) == 1, mou["key"]
        expected = "incentive" if kinds == {"redlist"} else "punishment"
        assert {m["kind"] for m in mou["measures"]} == {expected}, mou["key"]


def test_collateral_targets_only_for_organisations():
    by_key = _lists_by_key()
    organisations = SUBJECT_KINDS - {"natural_person"}
    for mou in memoranda():
        holds = set().union(*(by_key[k]["subject_kinds"] for k in mou["triggering_lists"]))
        for measure in mou["measures"]:
            if measure["targets"] != "subject":
                assert holds & organisations, (mou["key"], measure["code"])


def test_memoranda_the_demo_needs():
    by_key = {m["key"]: m for m in memoranda()}
    assert by_key["mou_defaulters"]["triggering_lists"] == ["spc_defaulters"]
    customs = by_key["mou_customs_untrustworthy"]
    assert customs["triggering_lists"] == ["customs_untrustworthy"]
    assert {"legal_representative", "directors_supervisors_senior_managers"} <= {
        m["targets"] for m in customs["measures"]
    }
    assert by_key["mou_customs_advanced"]["triggering_lists"] == ["customs_advanced_certified"]
    assert {m["implementing_agency"] for m in by_key["mou_caac_no_fly"]["measures"]} == {"caac"}


# --- catalogue -----------------------------------------------------------------------------


def test_catalogue_fields_and_vocabularies():
    agency_keys = _agency_keys()
    for item in catalogue():
        code = item["code"]
        assert 0 < len(code) <= 32
        assert item["name_zh"].strip() and len(item["name_zh"]) <= 200, code
        assert len(item["name_en"]) <= 200, code
        assert item["category"] in CATEGORIES, code
        assert item["visibility"] in VISIBILITIES, code
        assert item["record_type"] in RECORD_TYPES, code
        assert item["supplying_agency"] in agency_keys, code
        assert item["legal_basis"].strip() and len(item["legal_basis"]) <= 500, code
        months = item["publicity_months"]
        assert months is None or (isinstance(months, int) and months > 0), code
        if item["category"] == "negative":
            assert months, f"{code}: negative information needs a publicity period"
        text = f"{code} {item['name_zh']} {item['name_en']}".lower()
        for term in FORBIDDEN_TERMS:
            assert term not in text, (code, term)


def test_catalogue_coverage():
    items = catalogue()
    assert 8 <= len(items) <= 20
    by_type = {i["record_type"]: i for i in items}
    assert by_type["administrative_licence"]["visibility"] == "public"
    penalty = next(i for i in items if i["record_type"] == "administrative_penalty")
    assert penalty["category"] == "negative" and penalty["visibility"] == "public"
    visibilities = Counter(i["visibility"] for i in items)
    assert visibilities["government"] >= 1 and visibilities["restricted"] >= 1
    assert {"basic", "negative", "positive"} == {i["category"] for i in items}
