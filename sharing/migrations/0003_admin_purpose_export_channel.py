"""The access log's export channel, and the purpose of staff work in the admin and its
exports, kept as data like the other purposes (inactive: not offered to API callers, who
state the purpose of a consultation themselves)."""

from django.db import migrations, models

SOURCE = (
    "This platform: staff of an agency open non-public data in the admin or export it as part "
    "of their own administrative work (issue 11); recorded so that every look is logged."
)


def forwards(apps, schema_editor):
    Purpose = apps.get_model("sharing", "Purpose")
    Purpose.objects.get_or_create(
        code="administrative_work",
        defaults={
            "name": "行政管理工作",
            "name_en": "Administrative work (admin pages and exports)",
            "source": SOURCE,
            "is_active": False,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0002_default_purposes")]

    operations = [
        migrations.AlterField(
            model_name="consultation",
            name="channel",
            field=models.CharField(
                choices=[
                    ("file", "file"),
                    ("credit_check", "credit check"),
                    ("admin", "admin page"),
                    ("export", "export"),
                    ("command", "operations command"),
                ],
                max_length=16,
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
