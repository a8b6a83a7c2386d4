# Issue 13 (layering): IssuedReport now belongs to `reports` (reports 0001 adds it to that app's
# state, same table). Only the state changes here; the table and its rows are kept.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("publicity", "0002_special_report"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IssuedReport")],
            database_operations=[],
        ),
    ]
