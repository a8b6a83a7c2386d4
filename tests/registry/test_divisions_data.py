"""Sanity checks on registry/data/divisions.csv (GB/T 2260 administrative divisions).

Plain pytest, no database: run with `-p no:django`.
"""

from __future__ import annotations

import csv
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

CSV_PATH = Path(__file__).resolve().parents[2] / "registry" / "data" / "divisions.csv"
HEADER = ["code", "name_zh", "name_en", "level", "parent_code", "abolished"]
LEVELS = {"province", "prefecture", "county"}
# Taiwan, Hong Kong and Macao are listed at provincial level only.
NO_PREFECTURES = {"710000", "810000", "820000"}
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}


@cache
def _rows() -> tuple[dict[str, str], ...]:
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return tuple(reader)


@cache
def _by_code() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in _rows()}


def test_header_and_no_blank_fields():
    for row in _rows():
        assert None not in row, f"extra columns in {row}"
        for field in ("code", "name_zh", "name_en", "level"):
            assert row[field] and row[field] == row[field].strip(), (field, row)
        assert row["level"] in LEVELS, row


def test_codes_are_six_digits_and_unique():
    codes = [row["code"] for row in _rows()]
    for code in codes:
        assert len(code) == 6 and code.isascii() and code.isdigit(), code
    duplicates = [code for code, n in Counter(codes).items() if n > 1]
    assert not duplicates


def test_rows_sorted_by_code():
    codes = [row["code"] for row in _rows()]
    assert codes == sorted(codes)


def test_level_matches_code_shape_and_parent():
    by_code = _by_code()
    for row in _rows():
        code, level, parent = row["code"], row["level"], row["parent_code"]
        if level == "province":
            assert code.endswith("0000"), row
            assert parent == "", row
        elif level == "prefecture":
            assert code.endswith("00") and not code.endswith("0000"), row
            assert parent == code[:2] + "0000", row
        else:
            assert not code.endswith("00"), row
            assert parent == code[:4] + "00", row
        if parent:
            assert parent in by_code, f"{code}: missing parent {parent}"
            expected_parent_level = "province" if level == "prefecture" else "prefecture"
            assert by_code[parent]["level"] == expected_parent_level, row


def test_exactly_34_provinces():
    provinces = [row for row in _rows() if row["level"] == "province"]
    assert len(provinces) == 34
    assert {"710000", "810000", "820000"} <= {row["code"] for row in provinces}


def test_at_least_330_prefecture_level_rows():
    prefectures = [row for row in _rows() if row["level"] == "prefecture"]
    assert len(prefectures) >= 330


def test_each_mainland_province_has_a_prefecture():
    with_children = {row["parent_code"] for row in _rows() if row["level"] == "prefecture"}
    for row in _rows():
        if row["level"] != "province":
            continue
        if row["code"] in NO_PREFECTURES:
            assert row["code"] not in with_children, row
        else:
            assert row["code"] in with_children, f"{row['code']} has no prefecture"


def test_municipalities_have_municipal_district_rows():
    by_code = _by_code()
    for province in MUNICIPALITIES:
        districts = by_code[province[:2] + "0100"]
        assert districts["level"] == "prefecture"
        assert districts["name_zh"].endswith("市辖区")


def test_names_look_right():
    for row in _rows():
        zh, en = row["name_zh"], row["name_en"]
        assert all(not ("a" <= ch.lower() <= "z") for ch in zh), row
        assert en[0].isupper(), row
        if row["level"] == "prefecture" and zh.endswith("自治州"):
            assert en.endswith("Autonomous Prefecture"), row
        if zh.endswith("盟"):
            assert en.endswith("League"), row
        if zh.endswith("地区"):
            assert en.endswith("Prefecture"), row


def test_demo_cities_have_county_rows():
    counties = Counter(
        row["parent_code"]
        for row in _rows()
        if row["level"] == "county" and row["abolished"] == "0"
    )
    # Beijing, Shanghai, Hangzhou, Guangzhou, Shenzhen.
    assert counties["110100"] == 16
    assert counties["310100"] == 16
    assert counties["330100"] == 13
    assert counties["440100"] == 11
    assert counties["440300"] == 9


@pytest.mark.parametrize(
    ("code", "name_zh", "name_en", "level"),
    [
        ("110000", "北京市", "Beijing", "province"),
        ("440000", "广东省", "Guangdong", "province"),
        ("540000", "西藏自治区", None, "province"),
        ("710000", "台湾省", None, "province"),
        ("810000", "香港特别行政区", None, "province"),
        ("820000", "澳门特别行政区", None, "province"),
        ("110100", "北京市市辖区", "Beijing Municipal Districts", "prefecture"),
        ("130100", "石家庄市", "Shijiazhuang", "prefecture"),
        ("440300", "深圳市", "Shenzhen", "prefecture"),
        ("330100", "杭州市", "Hangzhou", "prefecture"),
        ("440100", "广州市", "Guangzhou", "prefecture"),
        ("650100", "乌鲁木齐市", None, "prefecture"),
        ("222400", "延边朝鲜族自治州", "Yanbian Korean Autonomous Prefecture", "prefecture"),
        ("152500", "锡林郭勒盟", "Xilin Gol League", "prefecture"),
        ("232700", "大兴安岭地区", None, "prefecture"),
        ("441900", "东莞市", "Dongguan", "prefecture"),
        ("460400", "儋州市", "Danzhou", "prefecture"),
        ("500200", "重庆市县", None, "prefecture"),
        ("110101", "东城区", "Dongcheng District", "county"),
        ("110108", "海淀区", "Haidian District", "county"),
        ("110119", "延庆区", "Yanqing District", "county"),
        ("310115", "浦东新区", "Pudong New Area", "county"),
        ("330106", "西湖区", "Xihu District", "county"),
        ("440305", "南山区", "Nanshan District", "county"),
        ("440106", "天河区", "Tianhe District", "county"),
    ],
)
def test_well_known_codes(code, name_zh, name_en, level):
    row = _by_code()[code]
    assert row["name_zh"] == name_zh
    assert row["level"] == level
    if name_en is not None:
        assert row["name_en"] == name_en


def test_full_county_level_list_with_abolished_codes_kept():
    """Issue 8: every county-level unit (~2 850 current), abolished codes kept as historical."""
    current = [r for r in _rows() if r["level"] == "county" and r["abolished"] == "0"]
    assert len(current) >= 2800
    by_code = _by_code()
    assert by_code["350203"]["name_zh"] == "思明区" and by_code["350203"]["abolished"] == "0"
    assert by_code["110103"]["name_zh"] == "崇文区" and by_code["110103"]["abolished"] == "1"
    assert {r["abolished"] for r in _rows()} == {"0", "1"}
