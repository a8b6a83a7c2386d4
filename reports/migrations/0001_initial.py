# Issue 13 (layering): IssuedReport moves from the portal app `publicity` to `reports`, which
# both portal-side apps read. The table `publicity_issuedreport` and its rows stay as they are:
# this migration only creates the model in `reports`' state (publicity 0003 removes it from
# `publicity`'s state) and re-labels its content type so permissions follow it.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import reports.models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="reports", model="issuedreport").exists():
        ContentType.objects.filter(app_label="publicity", model="issuedreport").update(
            app_label="reports"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="publicity", model="issuedreport").exists():
        ContentType.objects.filter(app_label="reports", model="issuedreport").update(
            app_label="publicity"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("publicity", "0002_special_report"),
        ("registry", "0003_name_bigram_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IssuedReport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.CharField(default=reports.models.new_report_number, max_length=32, unique=True)),
                        ("generated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("language", models.CharField(max_length=16)),
                        ("sha256", models.CharField(help_text="SHA-256 of the PDF as issued.", max_length=64)),
                        ("size", models.PositiveIntegerField(default=0)),
                        ("kind", models.CharField(choices=[("standard", "public credit information report"), ("special", "special credit report")], default="standard", max_length=16)),
                        ("audience", models.CharField(blank=True, help_text="Special reports: public or subject.", max_length=16)),
                        ("period_from", models.DateField(blank=True, null=True)),
                        ("period_to", models.DateField(blank=True, null=True)),
                        ("data_version", models.CharField(blank=True, max_length=40)),
                        ("snapshot", models.JSONField(blank=True, default=dict, help_text="Item key → fingerprint at issue (special reports).")),
                        ("subject", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="registry.subject")),
                    ],
                    options={
                        "db_table": "publicity_issuedreport",
                        "ordering": ["-generated_at"],
                        "indexes": [models.Index(fields=["subject", "-generated_at"], name="issuedreport_subject_time")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
