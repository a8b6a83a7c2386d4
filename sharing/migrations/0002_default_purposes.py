"""The purposes agencies consult files for, as data (the operator adds more in the admin)."""

from django.db import migrations

SOURCE = (
    "State Council, Guofa [2016] No. 33 (joint incentives and punishments), the fields where "
    "credit information is consulted; the list's wording is this platform's."
)
PURPOSES = [
    ("administrative_licensing", "行政许可审批", "Administrative licensing"),
    ("government_procurement", "政府采购", "Government procurement"),
    ("public_funding", "财政资金支持", "Public funding and subsidies"),
    ("honours", "评优评先", "Honours and awards"),
    ("supervision_inspection", "监督检查", "Supervision and inspection"),
    ("enforcement", "执法办案", "Law enforcement"),
    ("bidding", "招标投标", "Public tendering and bidding"),
    ("personnel_appointment", "任职资格审查", "Qualification for appointments"),
]


def forwards(apps, schema_editor):
    Purpose = apps.get_model("sharing", "Purpose")
    for code, name, name_en in PURPOSES:
        Purpose.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "source": SOURCE}
        )


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
