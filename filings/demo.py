"""Demo commitment types (defined by the operator), a few signed commitments and some
self-published information, made through the services."""

from __future__ import annotations

from django.db import transaction

from filings import services
from filings.models import CommitmentType, CreditCommitment
from registry.models import Subject, SubjectKind

TYPES = [
    {
        "code": "general",
        "purpose": CommitmentType.Purpose.GENERAL,
        "name": "市场主体信用承诺书",
        "name_en": "General credit commitment",
        "text": "本单位承诺所提供信息真实、准确、完整，依法诚信经营，自觉接受监督；"
        "如有违背，愿意承担相应法律责任，并同意将违背承诺情况记入信用记录。",
        "legal_basis": "国办发〔2019〕35号 第（二）项",
        "breach_consequence": "记入信用记录，依法依规纳入重点监管；三年内不得适用告知承诺制。",
    },
    {
        "code": "licensing",
        "purpose": CommitmentType.Purpose.LICENSING,
        "name": "证明事项告知承诺书",
        "name_en": "Commitment for a licensing fast track",
        "text": "本单位已知晓许可条件，承诺符合并将持续符合上述条件，"
        "在约定期限内提交相关材料；如承诺不实，愿意承担撤销许可等法律后果。",
        "legal_basis": "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》"
        "(国办发〔2020〕42号)",
        "breach_consequence": "依法撤销相关许可，记入信用记录，不再适用告知承诺制。",
    },
    {
        "code": "repair",
        "purpose": CommitmentType.Purpose.REPAIR,
        "name": "信用修复承诺书",
        "name_en": "Commitment for credit repair",
        "text": "本单位已纠正失信行为、消除不良影响，承诺今后依法诚信经营，不再发生同类失信行为。",
        "legal_basis": "《失信行为纠正后的信用信息修复管理办法（试行）》(国家发展改革委令第58号)",
        "breach_consequence": "撤销信用修复决定，恢复公示，三年内不予修复。",
    },
]  # fmt: skip


@transaction.atomic
def seed(*, agencies, log=print) -> None:
    types = {}
    for row in TYPES:
        types[row["code"]], _new = CommitmentType.objects.get_or_create(
            code=row["code"], defaults=row
        )
    if CreditCommitment.objects.exists():
        return
    orgs = list(
        Subject.objects.filter(kind=SubjectKind.ENTERPRISE, agency__isnull=True).order_by("id")[:40]
    )
    for n, org in enumerate(orgs):
        kind = ("general", "licensing", "repair")[n % 3]
        services.commitment_sign(
            subject=org, commitment_type=types[kind], signed_by="演示：窗口签署"
        )
        if n % 2 == 0:
            services.self_info_update(
                subject=org,
                changed_by="演示",
                contact_phone=f"0571-8{n:03d}{n:04d}"[:13],
                employees=10 + n * 7,
                website=f"https://www.example{n}.cn/",
            )
    log(f"[demo] {len(types)} commitment types, {len(orgs)} commitments")
