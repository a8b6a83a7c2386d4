"""Drop the single-column indexes of CreditRecord.subject and .supplier: the composite indexes
creditrecord_subject_date (subject, -decision_date) and creditrecord_supplier_ontime
(supplier, on_time) serve every lookup they served, and each index less is one less write per
record of a bulk batch (issue 12: 10 000 records in under 5 s).

Only the indexes are dropped: Django's AlterField would also drop and re-add (and so
re-validate over the whole table) the foreign-key constraints, which do not change.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_alter_creditrecordchange_options_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="creditrecord",
                    name="subject",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_records",
                        to="registry.subject",
                        verbose_name="subject",
                    ),
                ),
                migrations.AlterField(
                    model_name="creditrecord",
                    name="supplier",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text=(
                            "The agency that filed the record (the deciding agency or its "
                            "superior)."
                        ),
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="supplied_credit_records",
                        to="registry.agency",
                        verbose_name="supplier",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS registry_creditrecord_subject_id_b9dc11e4; "
                    "DROP INDEX IF EXISTS registry_creditrecord_supplier_id_718cc516;",
                    reverse_sql=(
                        "CREATE INDEX IF NOT EXISTS registry_creditrecord_subject_id_b9dc11e4 "
                        "ON registry_creditrecord (subject_id); "
                        "CREATE INDEX IF NOT EXISTS registry_creditrecord_supplier_id_718cc516 "
                        "ON registry_creditrecord (supplier_id);"
                    ),
                ),
            ],
        ),
    ]
