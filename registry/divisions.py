"""GB/T 2260 administrative divisions, from registry/data/divisions.csv."""

import csv
from pathlib import Path

CSV = Path(__file__).resolve().parent / "data" / "divisions.csv"
LEVEL_ORDER = ("province", "prefecture", "county")


def rows() -> list[dict]:
    with CSV.open(encoding="utf-8") as fh:
        return sorted(csv.DictReader(fh), key=lambda r: LEVEL_ORDER.index(r["level"]))


def load(division_model) -> int:
    """Insert or update every division, parents first. Takes the model so that a data
    migration can pass its historical model."""
    for row in rows():
        division_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "level": row["level"],
                "parent_id": row["parent_code"] or None,
            },
        )
    return division_model.objects.count()
