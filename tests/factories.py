"""Small builders for test data, with valid identifiers."""

from __future__ import annotations

import datetime
import itertools

from blacklists.models import ListDefinition, ListGround, SeverityTier
from registry import divisions, identifiers
from registry.models import Agency, Division, Subject, SubjectKind, SubjectRole, User
from sanctions.models import Measure, MeasureCoListing, Memorandum

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_seq = itertools.count(1)


def uscc(n: int | None = None, *, prefix: str = "91", division: str = "330100") -> str:
    n = next(_seq) if n is None else n
    body = []
    for _ in range(8):
        n, r = divmod(n, 31)
        body.append(ALPHABET[r])
    body8 = "".join(reversed(body))
    first17 = prefix + division + body8 + identifiers.organisation_code_check_character(body8)
    return first17 + identifiers.uscc_check_character(first17)


def resident_id(n: int | None = None, *, region: str = "110101") -> str:
    n = next(_seq) if n is None else n
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=n % 15000)
    first17 = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + identifiers.resident_id_check_character(first17)


def division(code: str = "330100") -> Division:
    # Transactional tests flush every table, data migrations' rows included: reload them.
    if not Division.objects.filter(code=code).exists():
        divisions.load(Division)
    return Division.objects.get(code=code)


def subject(kind: str = SubjectKind.ENTERPRISE, name: str | None = None, **kw) -> Subject:
    n = next(_seq)
    if kind == SubjectKind.NATURAL_PERSON:
        code = kw.pop("identifier", None) or resident_id(n)
    else:
        code = kw.pop("identifier", None) or uscc(
            n, prefix="11" if kind == "government_body" else "91"
        )
    return Subject.objects.create(
        kind=kind,
        identifier=code,
        name=name or f"测试{kind}{n}有限公司",
        division=kw.pop("division", None) or division(),
        **kw,
    )


def agency(short_name: str, *, registrar: bool = False, personal_ids: bool = False) -> Agency:
    s = subject(SubjectKind.GOVERNMENT_BODY, name=f"{short_name}机关")
    return Agency.objects.create(
        subject=s,
        short_name=short_name,
        level=Agency.Level.NATIONAL,
        division=division("110000"),
        is_registration_authority=registrar,
        may_view_personal_ids=personal_ids,
    )


def user(username: str, agency: Agency | None, role: str = User.Role.CLERK, **kw) -> User:
    u = User.objects.create_user(
        username=username,
        password="pw-for-tests-123",
        agency=agency,
        role=role,
        is_staff=True,
        **kw,
    )
    return u


def list_definition(owner: Agency, **kw) -> ListDefinition:
    n = next(_seq)
    defaults = {
        "key": f"list-{n}",
        "kind": ListDefinition.Kind.BLACKLIST,
        "name": f"测试失信名单{n}",
        "legal_basis_instrument": "《测试条例》",
        "legal_basis_article": "第十条",
        "subject_kinds": [
            SubjectKind.ENTERPRISE,
            SubjectKind.NATURAL_PERSON,
            SubjectKind.INDIVIDUAL_BUSINESS,
        ],
        "publicity_months": 36,
        "may_trigger_joint_measures": True,
        "repair_conditions": ["proof_of_correction", "credit_commitment"],
    }
    defaults.update(kw)
    definition = ListDefinition.objects.create(owner=owner, **defaults)
    ListGround.objects.create(
        list=definition,
        code="G1",
        text="拒不履行生效法律文书",
        legal_basis="《测试条例》第十条第一项",
    )
    ListGround.objects.create(
        list=definition,
        code="G2",
        text="以虚假诉讼规避执行",
        legal_basis="《测试条例》第十条第二项",
    )
    SeverityTier.objects.create(list=definition, tier="general", min_months=3, max_months=12)
    SeverityTier.objects.create(list=definition, tier="serious", min_months=6, max_months=36)
    SeverityTier.objects.create(
        list=definition, tier="extremely_serious", min_months=36, max_months=None
    )
    return definition


def memorandum(lists, signatories, measures, **kw) -> Memorandum:
    n = next(_seq)
    defaults = {
        "key": f"mou-{n}",
        "title": f"联合惩戒备忘录{n}",
        "document_number": f"发改财金〔2016〕{n}号",
        "signed_on": datetime.date(2016, 1, 20),
        "effective_from": datetime.date(2016, 1, 20),
    }
    defaults.update(kw)
    mou = Memorandum.objects.create(**defaults)
    mou.triggering_lists.set(lists)
    mou.signatories.set(signatories)
    for i, spec in enumerate(measures, start=1):
        measure = Measure.objects.create(
            memorandum=mou,
            code=spec.get("code", f"M{i:02d}"),
            text=spec.get("text", f"限制措施{i}"),
            kind=spec.get("kind", "punishment"),
            implementing_agency=spec["agency"],
            legal_basis=spec.get("legal_basis", "《测试法》第一条"),
            mandatory=spec.get("mandatory", True),
            targets=spec.get("targets", "subject"),
            target_basis=spec.get("target_basis", ""),
            duration=spec.get("duration", "while_in_force"),
            fixed_months=spec.get("fixed_months"),
            applies_to=spec.get("applies_to", "any"),
            applies_to_basis=spec.get("applies_to_basis", ""),
        )
        for co_list in spec.get("co_listing", []):
            MeasureCoListing.objects.create(
                measure=measure, list=co_list, clause=f"{measure.code}：“为被执行人的”"
            )
    return mou


def role(org: Subject, holder: Subject, kind: str = SubjectRole.Kind.LEGAL_REPRESENTATIVE):
    return SubjectRole.objects.create(
        organisation=org, holder=holder, role=kind, started_on=datetime.date(2015, 1, 1)
    )
