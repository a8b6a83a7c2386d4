"""Tests of registry/demo_names.py, the demo-data name generators.

Plain pytest, no database: run with `-p no:django`. The module is loaded from its file, so
these tests also prove it needs nothing but the standard library (not even Django settings).
"""

from __future__ import annotations

import ast
import importlib.util
import random
import time
from pathlib import Path

import pytest

MODULE_PATH = Path(__file__).resolve().parents[2] / "registry" / "demo_names.py"
_spec = importlib.util.spec_from_file_location("demo_names_under_test", MODULE_PATH)
demo_names = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo_names)

CITIES = (
    "杭州",
    "杭州市",
    "深圳市",
    "北京市市辖区",
    "东城区",
    "浦东新区",
    "重庆市县",
    "延边朝鲜族自治州",
    "锡林郭勒盟",
    "阿里地区",
    "乌鲁木齐市",
    "南京市",
)
ORG_GENERATORS = (
    demo_names.enterprise_name,
    demo_names.individual_business_name,
    demo_names.social_organisation_name,
    demo_names.public_institution_name,
)
ENTERPRISE_ENDINGS = (
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
    "合伙企业（有限合伙）",
    "分公司",
    "厂",
)
SOCIAL_ENDINGS = ("协会", "基金会", "总会", "学会", "研究会", "商会", "中心", "学校", "院", "园")
PUBLIC_ENDINGS = ("医院", "学校", "中学", "小学", "幼儿园", "院", "中心", "馆", "处", "站", "台")
PUBLIC_ENDINGS += ("学院", "大学", "所", "宫")


def _is_cjk_name(name: str) -> bool:
    return bool(name) and all("\u4e00" <= ch <= "\u9fff" or ch in "（）" for ch in name)


def _sample(fn, seed: int, n: int, city: str | None = None) -> list[str]:
    rng = random.Random(seed)
    if fn is demo_names.person_name:
        return [fn(rng) for _ in range(n)]
    return [fn(rng, city or CITIES[i % len(CITIES)]) for i in range(n)]


def test_module_uses_only_the_standard_library():
    tree = ast.parse(MODULE_PATH.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "random", "typing"}


@pytest.mark.parametrize("fn", [*ORG_GENERATORS, demo_names.person_name])
def test_same_seed_same_names(fn):
    assert _sample(fn, 42, 500) == _sample(fn, 42, 500)
    assert _sample(fn, 42, 500) != _sample(fn, 43, 500)


def test_does_not_touch_the_global_random_state():
    state = random.getstate()
    for fn in ORG_GENERATORS:
        _sample(fn, 1, 200)
    _sample(demo_names.person_name, 1, 200)
    assert random.getstate() == state


@pytest.mark.parametrize("fn", [*ORG_GENERATORS, demo_names.person_name])
def test_names_are_chinese_text(fn):
    for name in _sample(fn, 7, 3000):
        assert _is_cjk_name(name), name
        assert "市辖区" not in name and "市县" not in name, name


def test_enterprise_endings_and_variety():
    names = _sample(demo_names.enterprise_name, 1, 5000)
    for name in names:
        assert name.endswith(ENTERPRISE_ENDINGS), name
    for ending in ("股份有限公司", "有限责任公司", "集团有限公司", "合伙企业（有限合伙）"):
        assert any(name.endswith(ending) for name in names), ending
    assert any(name.endswith("分公司") for name in names)


def test_enterprise_city_prefix():
    names = _sample(demo_names.enterprise_name, 2, 2000, city="杭州")
    with_city = [name for name in names if "杭州" in name]
    # Sometimes prefixed with the city ("杭州…", "杭州市…", "…（杭州）…"), sometimes not.
    assert 0.4 * len(names) < len(with_city) < 0.95 * len(names)
    assert any(name.startswith("杭州市") for name in names)
    assert any(name.startswith("杭州") and not name.startswith("杭州市") for name in names)
    assert any("（杭州）" in name for name in names)
    assert not any("杭州市市" in name for name in names)


def test_municipal_rows_use_the_city_name():
    for name in _sample(demo_names.public_institution_name, 3, 300, city="北京市市辖区"):
        assert name.startswith("北京市"), name
    for name in _sample(demo_names.public_institution_name, 3, 300, city="浦东新区"):
        assert name.startswith("上海市"), name
    names = _sample(demo_names.social_organisation_name, 3, 300, city="浦东新区")
    assert any(name.startswith("上海市浦东新区") for name in names)
    for name in _sample(demo_names.public_institution_name, 3, 300, city="重庆市县"):
        assert name.startswith("重庆市"), name


def test_autonomous_prefecture_short_name():
    names = _sample(demo_names.enterprise_name, 4, 1000, city="延边朝鲜族自治州")
    assert any(name.startswith("延边") and not name.startswith("延边朝鲜族") for name in names)
    league = _sample(demo_names.public_institution_name, 4, 100, city="锡林郭勒盟")
    assert all(name.startswith("锡林郭勒盟") for name in league)


def test_individual_business_names():
    names = _sample(demo_names.individual_business_name, 5, 5000, city="杭州市")
    assert all(2 < len(name) <= 20 for name in names)
    assert any("记" in name[1:3] for name in names)  # 张记五金店
    assert any(name.startswith("老") for name in names)  # 老王小吃店
    assert any(name.startswith("杭州市") for name in names)
    assert any(name.endswith("店") for name in names)
    assert not any(name.endswith(("有限公司", "协会")) for name in names)
    district = _sample(demo_names.individual_business_name, 5, 2000, city="东城区")
    assert any(name.startswith("北京市东城区") for name in district)


def test_social_organisation_endings():
    names = _sample(demo_names.social_organisation_name, 6, 5000)
    for name in names:
        assert name.endswith(SOCIAL_ENDINGS), name
    assert any(name.endswith("行业协会") for name in names)
    assert any(name.endswith("基金会") for name in names)
    assert any(name.endswith("志愿者协会") for name in names)


def test_public_institution_endings():
    names = _sample(demo_names.public_institution_name, 8, 5000, city="深圳市")
    for name in names:
        assert name.startswith("深圳市"), name
        assert name.endswith(PUBLIC_ENDINGS), name
    assert any(name.endswith("人民医院") and "第" in name for name in names)
    assert any(name.endswith("档案馆") for name in names)


def test_person_names():
    names = _sample(demo_names.person_name, 9, 20000)
    assert all(2 <= len(name) <= 4 for name in names)
    assert sum(len(name) == 2 for name in names) > 0.15 * len(names)
    assert sum(len(name) == 3 for name in names) > 0.5 * len(names)
    compound = ("欧阳", "司马")
    assert any(name.startswith(compound) for name in _sample(demo_names.person_name, 9, 200_000))
    # The most common surnames dominate.
    top = sum(name[0] in "王李张刘陈" for name in names)
    assert 0.2 * len(names) < top < 0.45 * len(names)


def test_enterprise_names_mostly_unique():
    count = 200_000
    rng = random.Random(20260101)
    start = time.perf_counter()
    names = [
        demo_names.enterprise_name(rng, CITIES[rng.randrange(len(CITIES))]) for _ in range(count)
    ]
    elapsed = time.perf_counter() - start
    unique = len(set(names)) / count
    print(f"\n{count} enterprise names in {elapsed:.2f}s, {unique:.4%} unique")
    assert unique >= 0.99

    # Worst case: every name in one city.
    rng = random.Random(20260102)
    one_city = {demo_names.enterprise_name(rng, "杭州市") for _ in range(count)}
    assert len(one_city) / count >= 0.99
