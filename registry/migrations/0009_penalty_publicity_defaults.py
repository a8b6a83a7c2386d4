"""Repair periods of administrative penalty items: the national defaults, where unset.

A bounded update (the catalogue has hundreds of rows, not millions).
"""

from django.db import migrations

SOURCE = (
    "NDRC Order No. 58 (2023), Measures for credit information repair after correction of "
    "untrustworthy conduct, art. 9 (as recalled, verify): administrative penalties for ordinary "
    "untrustworthy conduct are published at least 3 months and at most 1 year; for serious "
    "conduct at least 1 year and at most 3 years. The existing maximum of each item is kept."
)


def forwards(apps, schema_editor):
    CatalogueItem = apps.get_model("registry", "CatalogueItem")
    CatalogueItem.objects.filter(
        record_type="administrative_penalty", min_publicity_months__isnull=True
    ).update(
        min_publicity_months=3,
        serious_min_publicity_months=12,
        serious_publicity_months=36,
        publicity_source=SOURCE,
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_credit_record_review_and_keys")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
