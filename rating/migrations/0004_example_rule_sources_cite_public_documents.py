"""The example rule set's rule sources cite public documents, in Chinese.

Version 1 cited the project's internal seed notes in English ("NDRC 2020 policy document on
the blacklist system (seed 002); ..."), and every public subject page printed that under
规则依据. Only the citation changes, not what a rule matches or its points; a source an
operator already edited is left alone. Stored ratings of that version copy the source into
their points: they are dropped (derived data) and recomputed when next read.
"""

from django.db import migrations

SOURCES = {
    # code: (old, new)
    "R01": (
        "NDRC 2020 policy document on the blacklist system (seed 002); "
        "GUOFA [2016] No. 33 § IV (joint punishment for serious untrustworthiness)",
        "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》"
        "（国办发〔2020〕49号）；《国务院关于建立完善守信联合激励和失信联合惩戒制度"
        "加快推进社会诚信建设的指导意见》（国发〔2016〕33号）第四部分",
    ),
    "R02": (
        "Seed 000 / 001: key-attention lists mean stricter review and more inspections",
        "《国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的指导意见》"
        "（国办发〔2019〕35号）：对重点关注对象加强审查、提高抽查比例和频次",
    ),
    "R03": (
        "Seed 002: Customs advanced certified enterprises and STA A-grade taxpayers, "
        "the two national redlists",
        "海关高级认证企业、纳税信用A级纳税人两类全国性守信激励名单；"
        "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》"
        "（国发〔2016〕33号）第三部分",
    ),
    "R04": (
        "Double publicity of administrative penalties (seed 000); 《行政处罚法》第四十八条",
        "行政许可和行政处罚信用信息“双公示”；《中华人民共和国行政处罚法》第四十八条",
    ),
    "R05": (
        "Seed 001 FIG 1.2-B: awards are part of the corporate file",
        "表彰奖励信息是公共信用信息的组成部分（《全国公共信用信息基础目录》）",
    ),
}


def cite(apps, schema_editor, *, forward=True):
    RuleSet = apps.get_model("rating", "RuleSet")
    Rule = apps.get_model("rating", "Rule")
    Rating = apps.get_model("rating", "Rating")
    example = RuleSet.objects.filter(version=1, is_example=True).first()
    if example is None:
        return
    changed = 0
    for code, (old, new) in SOURCES.items():
        before, after = (old, new) if forward else (new, old)
        changed += Rule.objects.filter(rule_set=example, code=code, source=before).update(
            source=after
        )
    if changed:
        Rating.objects.filter(rule_set=example).delete()


def back(apps, schema_editor):
    cite(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("rating", "0003_record_types_spot_check_commitment")]
    operations = [migrations.RunPython(cite, back)]
