"""The access log partitioned by month of `at` (scs.partitioning): rows, identity sequence,
indexes, foreign keys and the append-only trigger kept; primary key (id, at) in the database,
`id` for Django."""

from django.db import migrations

from scs.partitioning import convert_table, revert_table


class Migration(migrations.Migration):
    dependencies = [("sharing", "0002_default_purposes"), ("scs", "0002_pg_partman")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: convert_table(editor, "sharing_consultation"),
            lambda apps, editor: revert_table(editor, "sharing_consultation"),
        )
    ]
