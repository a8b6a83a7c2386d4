"""Load GB/T 2260 administrative divisions from registry/data/divisions.csv."""

from django.db import migrations

from registry import divisions


def load(apps, schema_editor):
    divisions.load(apps.get_model("registry", "Division"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
