"""Demo registry data: agencies from the seeds, and N generated subjects.

Deterministic (fixed seeds, identifiers derived from the row number), so a second run finds
every row already there and inserts nothing. Scales to 1 000 000 subjects with batched
INSERT … ON CONFLICT DO NOTHING and the audit triggers paused for the load.
"""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pgtrigger
from django.db import transaction

from registry import demo_names, identifiers
from registry.models import (
    Agency,
    CatalogueItem,
    CreditRecord,
    Division,
    FormerName,
    RecordType,
    RegistrationChange,
    Subject,
    SubjectKind,
    SubjectRole,
    User,
    add_months,
)

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by `make run` for the demo logins
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BATCH = 5000

# (kind, registration authority digit, organisation type digit, share of subjects)
KIND_MIX = [
    (SubjectKind.ENTERPRISE, "9", "1", 0.55),
    (SubjectKind.INDIVIDUAL_BUSINESS, "9", "2", 0.12),
    (SubjectKind.SOCIAL_ORGANISATION, "5", "1", 0.04),
    (SubjectKind.PUBLIC_INSTITUTION, "1", "2", 0.04),
    (SubjectKind.NATURAL_PERSON, "", "", 0.25),
]


def load_json(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def uscc_for(number: int, authority: str, org_type: str, division: str) -> str:
    """A valid USCC whose organisation-code body encodes `number` (so reruns match)."""
    body, n = [], number
    for _ in range(8):
        n, r = divmod(n, 31)
        body.append(USCC_ALPHABET[r])
    body8 = "".join(reversed(body))
    org = body8 + identifiers.organisation_code_check_character(body8)
    first17 = f"{authority}{org_type}{division}{org}"
    return first17 + identifiers.uscc_check_character(first17)


def resident_id_for(number: int, region: str, rng: random.Random) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 55))
    # The sequence encodes the row number so that IDs do not collide.
    seq = number % 1000
    region = f"{region[:4]}{(number // 1000) % 100:02d}"
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + identifiers.resident_id_check_character(first17)


@transaction.atomic
def seed_agencies() -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for row in load_json("demo_agencies.json"):
        subject, _ = Subject.objects.get_or_create(
            identifier=row["uscc"],
            defaults={
                "kind": row.get("kind", SubjectKind.GOVERNMENT_BODY),
                "name": row["name_zh"],
                "division_id": row["division"],
            },
        )
        agency, _ = Agency.objects.get_or_create(
            subject=subject,
            defaults={
                "short_name": row["short_name"],
                "name_en": row["name_en"],
                "level": row["level"],
                "parent": agencies.get(row["parent"]) if row.get("parent") else None,
                "division_id": row["division"],
                "is_registration_authority": row.get("is_registration_authority", False),
                "may_view_personal_ids": row.get("may_view_personal_ids", False),
            },
        )
        agencies[row["key"]] = agency
    return agencies


@transaction.atomic
def seed_catalogue(agencies: dict[str, Agency]) -> dict[str, CatalogueItem]:
    items = {}
    for row in load_json("demo_catalogue.json"):
        item, _ = CatalogueItem.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name_zh"],
                "name_en": row["name_en"],
                "category": row["category"],
                "visibility": row["visibility"],
                "record_type": row["record_type"],
                "supplying_agency": agencies[row["supplying_agency"]],
                "legal_basis": row["legal_basis"],
                "publicity_months": row.get("publicity_months"),
                "min_publicity_months": row.get("min_publicity_months"),
                "serious_min_publicity_months": row.get("serious_min_publicity_months"),
                "serious_publicity_months": row.get("serious_publicity_months"),
                "publicity_source": row.get("publicity_source", ""),
            },
        )
        items[row["record_type"] + ":" + row["code"]] = item
    return items


DEMO_USERS = [
    # username, agency key, role, is_staff
    ("spc-clerk", "spc", User.Role.CLERK),
    ("spc-reviewer", "spc", User.Role.REVIEWER),
    ("customs-clerk", "customs", User.Role.CLERK),
    ("customs-reviewer", "customs", User.Role.REVIEWER),
    ("samr-clerk", "samr", User.Role.CLERK),
    ("sta-clerk", "sta", User.Role.CLERK),
    ("sta-reviewer", "sta", User.Role.REVIEWER),
]


def ensure_demo_user(username: str, agency: Agency, role: str) -> User:
    user, new = User.objects.get_or_create(
        username=username, defaults={"agency": agency, "role": role, "is_staff": True}
    )
    if new:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def seed_users(agencies: dict[str, Agency]) -> None:
    """The operator, plus a clerk and a reviewer for a few agencies (lists add their own)."""
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.invalid", DEMO_PASSWORD)
    for username, key, role in DEMO_USERS:
        if key in agencies:
            ensure_demo_user(username, agencies[key], role)


def _divisions() -> list[tuple[str, str]]:
    """(code, city short name) for county and prefecture divisions, deterministic order."""
    rows = list(
        Division.objects.filter(level__in=["prefecture", "county"])
        .select_related("parent")
        .order_by("code")
        .values_list("code", "name_zh", "level", "parent__name_zh")
    )
    out = []
    for code, name, level, parent_name in rows:
        city = parent_name if level == "county" else name
        if "市辖区" in (city or "") or not city:
            city = name
        out.append((code, city))
    return out


_ROADS = (
    "人民路", "解放路", "建设路", "中山路", "文化路", "学院路", "新华路", "和平路", "工业路",
    "滨江大道", "环城北路", "科技园路", "长江路", "黄河路", "朝阳街", "东风路",
)  # fmt: skip
_SCOPES = (
    (("科技", "信息", "软件", "网络", "电子"),
     "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；"
     "计算机系统服务；电子产品销售。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"),
    (("餐饮", "饭店", "小吃", "面馆", "食品", "酒家"),
     "许可项目：餐饮服务；食品销售。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"),
    (("建设", "建筑", "工程", "装饰", "建工"),
     "许可项目：建设工程施工。一般项目：建筑材料销售；住宅室内装饰装修。"),
    (("物流", "运输", "快递"),
     "许可项目：道路货物运输（不含危险货物）。一般项目：国内货物运输代理；普通货物仓储服务。"),
    (("贸易", "商贸", "进出口", "商行", "百货"),
     "一般项目：货物进出口；国内贸易代理；日用百货销售；五金产品批发；电子产品销售。"),
    (("医药", "药店", "医疗"),
     "许可项目：药品零售；第三类医疗器械经营。一般项目：第一类医疗器械销售。"),
)  # fmt: skip
_DEFAULT_SCOPE = (
    "一般项目：企业管理咨询；信息咨询服务（不含许可类信息咨询服务）。"
    "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
)


def _company_type(kind: str, name: str, rng: random.Random) -> str:
    if kind == SubjectKind.INDIVIDUAL_BUSINESS:
        return "个体工商户"
    if kind == SubjectKind.SOCIAL_ORGANISATION:
        return "社会团体" if any(w in name for w in ("协会", "商会", "学会")) else "民办非企业单位"
    if kind == SubjectKind.PUBLIC_INSTITUTION:
        return "事业单位"
    if "股份有限公司" in name:
        return "其他股份有限公司（非上市）"
    if "合伙" in name:
        return "有限合伙企业"
    if name.endswith("厂") or name.endswith("店"):
        return "个人独资企业"
    return rng.choice(
        ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）",
         "有限责任公司（非自然人投资或控股的法人独资）")
    )  # fmt: skip


def registration_facts(
    number: int, kind: str, name: str, city: str, established: datetime.date | None
) -> dict:
    """Demo registration facts (GSXT's 登记信息) for organisation number `number`: derived
    from its own seed so the subject rows' other values stay what they were."""
    rng = random.Random(number * 7919 + 13)
    facts = {
        "legal_representative_name": demo_names.person_name(rng),
        "company_type": _company_type(kind, name, rng),
        "address": f"{city}{rng.choice(_ROADS)}{rng.randrange(1, 999)}号"
        + (f"{rng.randrange(1, 30)}幢{rng.randrange(101, 2500)}室" if rng.random() < 0.5 else ""),
        "business_scope": next(
            (scope for words, scope in _SCOPES if any(w in name for w in words)), _DEFAULT_SCOPE
        ),
        "business_term_from": established,
        "business_term_until": None,
        "registered_capital": None,
    }
    if kind == SubjectKind.ENTERPRISE:
        facts["registered_capital"] = rng.choice((10, 50, 100, 200, 500, 1000, 3000, 10000))
        if established and rng.random() < 0.6:
            years = rng.choice((10, 20, 30, 50))
            try:
                until = established.replace(year=established.year + years)
            except ValueError:  # established on 29 February, the term ends on the 28th
                until = established.replace(year=established.year + years, day=28)
            facts["business_term_until"] = until
    elif kind in (SubjectKind.SOCIAL_ORGANISATION, SubjectKind.PUBLIC_INSTITUTION):
        facts["registered_capital"] = rng.choice((3, 10, 30, 50, 100))  # 开办资金
    return facts


def registration_authorities() -> dict[str, int]:
    """Division prefix → id of the demo registration authority with that jurisdiction
    ('' national market regulator; 'social' civil affairs for social organisations)."""
    by_uscc = {row["uscc"]: row for row in load_json("demo_agencies.json")}
    out: dict[str, int] = {}
    for agency in Agency.objects.filter(is_registration_authority=True).select_related("subject"):
        row = by_uscc.get(agency.subject.identifier)
        if row is None:
            continue
        if row["key"] == "mca":
            out["social"] = agency.pk
        elif row["key"] == "samr":
            out[""] = agency.pk
        else:
            code = agency.division_id or ""
            out[code[:4] if not code.endswith("0000") else code[:2]] = agency.pk
    return out


def _authority_for(kind: str, division: str, authorities: dict[str, int]) -> int | None:
    if kind == SubjectKind.SOCIAL_ORGANISATION and "social" in authorities:
        return authorities["social"]
    return authorities.get(division[:4]) or authorities.get(division[:2]) or authorities.get("")


def _subject_rows(
    start: int, stop: int, divisions, authorities: dict[str, int] | None = None
) -> Iterator[Subject]:
    weights = [share for *_x, share in KIND_MIX]
    for number in range(start, stop):
        rng = random.Random(number)
        kind, authority, org_type, _share = rng.choices(KIND_MIX, weights=weights)[0]
        code, city = divisions[rng.randrange(len(divisions))]
        if kind == SubjectKind.NATURAL_PERSON:
            identifier = resident_id_for(number, code, rng)
            name = demo_names.person_name(rng)
            established = None
        else:
            identifier = uscc_for(number, authority, org_type, code)
            name = {
                SubjectKind.ENTERPRISE: demo_names.enterprise_name,
                SubjectKind.INDIVIDUAL_BUSINESS: demo_names.individual_business_name,
                SubjectKind.SOCIAL_ORGANISATION: demo_names.social_organisation_name,
                SubjectKind.PUBLIC_INSTITUTION: demo_names.public_institution_name,
            }[kind](rng, city)
            established = datetime.date(1990, 1, 1) + datetime.timedelta(
                days=rng.randrange(0, 365 * 35)
            )
        status = Subject.Status.ACTIVE if rng.random() > 0.06 else Subject.Status.DEREGISTERED
        facts = {}
        if kind != SubjectKind.NATURAL_PERSON:
            facts = registration_facts(number, kind, name, city, established)
            facts["registration_authority_id"] = _authority_for(kind, code, authorities or {})
        yield Subject(
            kind=kind,
            identifier=identifier,
            name=name,
            division_id=code,
            established_on=established,
            status=status,
            **facts,
        )


def seed_subjects(count: int, *, log=print) -> int:
    """Make sure demo subjects number 1..count exist; returns how many were added."""
    divisions = _divisions()
    if not divisions:
        raise RuntimeError("No divisions loaded: run migrate first.")
    before = Subject.objects.count()
    if Subject.objects.filter(agency__isnull=True).count() >= count:
        # Deterministic rows 1..count are there already (a rerun): nothing to generate.
        return 0
    authorities = registration_authorities()
    # Bulk load: the audit triggers record clerks' changes, not the demo loader's rows.
    with pgtrigger.ignore("registry.Subject:insert_insert"):
        for start in range(1, count + 1, BATCH):
            stop = min(count + 1, start + BATCH)
            batch = list(_subject_rows(start, stop, divisions, authorities))
            with transaction.atomic():
                Subject.objects.bulk_create(batch, batch_size=BATCH, ignore_conflicts=True)
            if (start - 1) % 100_000 == 0 and start > 1:
                log(f"[demo] {start - 1} subjects generated")
    return Subject.objects.count() - before


def seed_relations(agencies: dict[str, Agency], items: dict[str, CatalogueItem], limit: int):
    """Roles, former names, licences and penalties for the first `limit` organisations."""
    if SubjectRole.objects.exists():
        return
    rng = random.Random(20261122)
    orgs = list(
        Subject.objects.exclude(kind__in=[SubjectKind.NATURAL_PERSON, SubjectKind.GOVERNMENT_BODY])
        .order_by("id")
        .values_list(
            "id",
            "name",
            "established_on",
            "address",
            "legal_representative_name",
            "registration_authority_id",
        )[:limit]
    )
    people = list(Subject.objects.natural_persons().order_by("id").values_list("id", flat=True))
    if not orgs or not people:
        return
    licence = next(i for k, i in items.items() if k.startswith(RecordType.ADMINISTRATIVE_LICENCE))
    penalty = next(i for k, i in items.items() if k.startswith(RecordType.ADMINISTRATIVE_PENALTY))
    samr = agencies.get("samr") or next(iter(agencies.values()))
    roles, former, records = [], [], []
    today = datetime.date.today()  # noqa: DTZ011 - demo dates only
    spot_check = next(i for k, i in items.items() if k.startswith(RecordType.SPOT_CHECK))
    extra = random.Random(20261130)
    changes: list[RegistrationChange] = []
    for org_id, name, established, address, legal_rep, authority_id in orgs:
        started = established or datetime.date(2010, 1, 1)
        roles.append(
            SubjectRole(
                organisation_id=org_id,
                holder_id=rng.choice(people),
                role=SubjectRole.Kind.LEGAL_REPRESENTATIVE,
                started_on=started,
            )
        )
        for role in rng.sample(
            [
                SubjectRole.Kind.DIRECTOR,
                SubjectRole.Kind.SUPERVISOR,
                SubjectRole.Kind.SENIOR_MANAGER,
            ],
            k=rng.randrange(0, 3),
        ):
            roles.append(
                SubjectRole(
                    organisation_id=org_id,
                    holder_id=rng.choice(people),
                    role=role,
                    started_on=started,
                )
            )
        renamed_on = today - datetime.timedelta(days=rng.randrange(30, 2000))
        if rng.random() < 0.1 and (established is None or established < renamed_on):
            old_name = (
                name.replace("有限公司", "实业有限公司", 1) if "有限公司" in name else "原" + name
            )
            former.append(
                FormerName(
                    subject_id=org_id,
                    name=old_name,
                    valid_from=established,
                    valid_until=renamed_on,
                )
            )
            changes.append(
                RegistrationChange(
                    subject_id=org_id, item="name", before=old_name, after=name,
                    changed_on=renamed_on, registration_authority_id=authority_id,
                )
            )  # fmt: skip
        if rng.random() < 0.5:
            day = today - datetime.timedelta(days=rng.randrange(1, 1500))
            records.append(
                CreditRecord(
                    subject_id=org_id,
                    catalogue_item=licence,
                    agency=samr,
                    decision_number=f"许可〔{day.year}〕{rng.randrange(1, 99999)}号",
                    decision_date=day,
                    title="食品经营许可",
                    content="准予食品经营许可,经营项目:预包装食品销售。",
                    legal_basis="《中华人民共和国行政许可法》第三十八条",
                    publicity_ends_on=add_months(day, licence.publicity_months or 36),
                )
            )
        if rng.random() < 0.15:
            day = today - datetime.timedelta(days=rng.randrange(1, 1500))
            records.append(
                CreditRecord(
                    subject_id=org_id,
                    catalogue_item=penalty,
                    agency=samr,
                    decision_number=f"市监罚〔{day.year}〕{rng.randrange(1, 9999)}号",
                    decision_date=day,
                    title="行政处罚:未按规定公示年度报告",
                    content="责令改正,处罚款人民币五千元。",
                    legal_basis="《企业信息公示暂行条例》第十八条",
                    publicity_ends_on=add_months(day, penalty.publicity_months or 36),
                )
            )
        # A separate generator: the roles, names and records above stay as they were.
        if extra.random() < 0.15:
            before = f"原址：{name[:2]}{extra.choice(_ROADS)}{extra.randrange(1, 500)}号"
            changes.append(
                RegistrationChange(
                    subject_id=org_id,
                    item="address",
                    before=before,
                    after=address or "",
                    changed_on=today - datetime.timedelta(days=extra.randrange(60, 3000)),
                    registration_authority_id=authority_id,
                )
            )
        if extra.random() < 0.08:
            changes.append(
                RegistrationChange(
                    subject_id=org_id,
                    item="legal_representative",
                    before=demo_names.person_name(extra),
                    after=legal_rep or "",
                    changed_on=today - datetime.timedelta(days=extra.randrange(60, 3000)),
                    registration_authority_id=authority_id,
                )
            )
        if extra.random() < 0.2:
            day = today - datetime.timedelta(days=extra.randrange(1, 1500))
            passed = extra.random() < 0.85
            records.append(
                CreditRecord(
                    subject_id=org_id,
                    catalogue_item=spot_check,
                    agency=samr,
                    decision_number=f"双随机〔{day.year}〕{extra.randrange(1, 9999)}号",
                    decision_date=day,
                    title="双随机抽查：" + ("未发现问题" if passed else "发现问题已责令改正"),
                    content=(
                        "抽查事项：登记事项、年度报告公示信息。抽查结果："
                        + ("未发现问题。" if passed else "通过登记的住所无法联系，已责令改正。")
                    ),
                    legal_basis="《企业信息公示暂行条例》第十四条",
                    publicity_ends_on=add_months(day, spot_check.publicity_months or 36),
                )
            )
    with transaction.atomic():
        SubjectRole.objects.bulk_create(roles, batch_size=BATCH)
        FormerName.objects.bulk_create(former, batch_size=BATCH)
        # Random decision numbers may repeat a (agency, item, number) key: keep the first.
        CreditRecord.objects.bulk_create(records, batch_size=BATCH, ignore_conflicts=True)
        RegistrationChange.objects.bulk_create(changes, batch_size=BATCH)
