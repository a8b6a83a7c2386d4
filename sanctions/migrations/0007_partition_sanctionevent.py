"""The agencies' feed partitioned by ranges of id (scs.partitioning): `id > cursor` prunes,
`id` stays the primary key; rows, identity sequence, indexes and foreign keys kept."""

from django.db import migrations

from scs.partitioning import convert_table, revert_table


class Migration(migrations.Migration):
    dependencies = [
        ("sanctions", "0006_alter_measurecolisting_options_and_more"),
        ("scs", "0002_pg_partman"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: convert_table(editor, "sanctions_sanctionevent"),
            lambda apps, editor: revert_table(editor, "sanctions_sanctionevent"),
        )
    ]
