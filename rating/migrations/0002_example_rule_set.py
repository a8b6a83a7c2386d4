"""The example rule set (version 1), published so that ratings work out of the box.

MARKED AS AN EXAMPLE: it is modelled on the public descriptions in seed 002 (the national
Comprehensive Public Credit Rating of 2019: excellent / good / medium / poor; local pilots
start companies at 100 points, e.g. Rongcheng) and must be replaced by the operator's official
rule set (admin: copy as a new version, edit, publish).
"""

from django.db import migrations
from django.utils import timezone

RULES = [
    # code, text, text_en, applies_to, list_kind, severity, record_type, category, points, max, source
    (
        "R01",
        "列入严重失信主体名单（黑名单），每条",
        "On a blacklist (seriously untrustworthy), per entry",
        "list_entry", "blacklist", "", "", "", -40, None,
        "NDRC 2020 policy document on the blacklist system (seed 002); "
        "GUOFA [2016] No. 33 § IV (joint punishment for serious untrustworthiness)",
    ),
    (
        "R02",
        "列入重点关注名单，每条",
        "On a key-attention (watch) list, per entry",
        "list_entry", "watchlist", "", "", "", -15, None,
        "Seed 000 / 001: key-attention lists mean stricter review and more inspections",
    ),
    (
        "R03",
        "列入守信激励名单（红名单），每条",
        "On a redlist, per entry",
        "list_entry", "redlist", "", "", "", 15, 2,
        "Seed 002: Customs advanced certified enterprises and STA A-grade taxpayers, "
        "the two national redlists",
    ),
    (
        "R04",
        "公示期内的行政处罚，每条（最多计5条）",
        "Administrative penalty in its publicity period, per record (at most 5)",
        "credit_record", "", "", "administrative_penalty", "", -10, 5,
        "Double publicity of administrative penalties (seed 000); 《行政处罚法》第四十八条",
    ),
    (
        "R05",
        "公示期内的表彰奖励，每条（最多计2条）",
        "Award in its publicity period, per record (at most 2)",
        "credit_record", "", "", "award", "", 5, 2,
        "Seed 001 FIG 1.2-B: awards are part of the corporate file",
    ),
]


def create(apps, schema_editor):
    RuleSet = apps.get_model("rating", "RuleSet")
    Rule = apps.get_model("rating", "Rule")
    if RuleSet.objects.filter(version=1).exists():
        return
    rule_set = RuleSet.objects.create(
        version=1,
        title="示例规则集（非官方，须由运营方替换）/ Example rule set (not official: replace it)",
        is_example=True,
        source=(
            "EXAMPLE modelled on the public description of the national Comprehensive Public "
            "Credit Rating of enterprises (2019; excellent / good / medium / poor; seed 002) "
            "and on local pilots that start companies at 100 points (seed 002, Rongcheng). "
            "Not an official rule set."
        ),
        base_points=100,
        excellent_min=110,
        good_min=95,
        medium_min=70,
        published_at=timezone.now(),
    )
    for code, text, text_en, applies, kind, sev, rtype, cat, points, cap, source in RULES:
        Rule.objects.create(
            rule_set=rule_set,
            code=code,
            text=text,
            text_en=text_en,
            applies_to=applies,
            list_kind=kind,
            severity=sev,
            record_type=rtype,
            record_category=cat,
            points=points,
            max_count=cap,
            source=source,
        )


def remove(apps, schema_editor):
    RuleSet = apps.get_model("rating", "RuleSet")
    RuleSet.objects.filter(version=1, is_example=True).delete()


class Migration(migrations.Migration):
    dependencies = [("rating", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
