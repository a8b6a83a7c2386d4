"""Load GB/T 2260 administrative divisions from registry/data/divisions.csv."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "divisions.csv"


def load(apps, schema_editor):
    Division = apps.get_model("registry", "Division")
    with CSV.open(encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: ("province", "prefecture", "county").index(r["level"]))
    for row in rows:
        Division.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "level": row["level"],
                "parent_id": row["parent_code"] or None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
