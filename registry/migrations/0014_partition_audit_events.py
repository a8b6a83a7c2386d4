"""The registry's audit trail (pghistory event tables) partitioned by month of
`pgh_created_at` (scs.partitioning); primary key (pgh_id, pgh_created_at) in the database,
`pgh_id` for Django."""

from django.db import migrations

from scs.partitioning import REGISTRY_AUDIT_TABLES, convert_table, revert_table


def convert(apps, schema_editor):
    for table in REGISTRY_AUDIT_TABLES:
        convert_table(schema_editor, table)


def revert(apps, schema_editor):
    for table in REGISTRY_AUDIT_TABLES:
        revert_table(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_alter_creditrecordchange_options_and_more"),
        ("scs", "0002_pg_partman"),
    ]

    operations = [migrations.RunPython(convert, revert)]
