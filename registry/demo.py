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


def _subject_rows(start: int, stop: int, divisions) -> Iterator[Subject]:
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
        yield Subject(
            kind=kind,
            identifier=identifier,
            name=name,
            division_id=code,
            established_on=established,
            status=status,
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
    # Bulk load: the audit triggers record clerks' changes, not the demo loader's rows.
    with pgtrigger.ignore("registry.Subject:insert_insert"):
        for start in range(1, count + 1, BATCH):
            batch = list(_subject_rows(start, min(count + 1, start + BATCH), divisions))
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
        .values_list("id", "name", "established_on")[:limit]
    )
    people = list(Subject.objects.natural_persons().order_by("id").values_list("id", flat=True))
    if not orgs or not people:
        return
    licence = next(i for k, i in items.items() if k.startswith(RecordType.ADMINISTRATIVE_LICENCE))
    penalty = next(i for k, i in items.items() if k.startswith(RecordType.ADMINISTRATIVE_PENALTY))
    samr = agencies.get("samr") or next(iter(agencies.values()))
    roles, former, records = [], [], []
    today = datetime.date.today()  # noqa: DTZ011 - demo dates only
    for org_id, name, established in orgs:
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
            former.append(
                FormerName(
                    subject_id=org_id,
                    name=name.replace("有限公司", "实业有限公司", 1)
                    if "有限公司" in name
                    else "原" + name,
                    valid_from=established,
                    valid_until=renamed_on,
                )
            )
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
    with transaction.atomic():
        SubjectRole.objects.bulk_create(roles, batch_size=BATCH)
        FormerName.objects.bulk_create(former, batch_size=BATCH)
        # Random decision numbers may repeat a (agency, item, number) key: keep the first.
        CreditRecord.objects.bulk_create(records, batch_size=BATCH, ignore_conflicts=True)
