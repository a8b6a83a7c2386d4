"""The portal's cast, on top of tests/conftest.py:

- the court's public blacklist `defaulters` (immediate publication, a court decision) with
  `company` (杭州恒信电子科技有限公司, former name 杭州旧名贸易有限公司) and `listed_person` on it;
- customs' public redlist `honours` with `honoured` (an advanced certified enterprise);
- a memorandum: CAAC's no-fly measure on the subject, and on the legal representative (with a
  basis); customs' fast-track incentive for the redlist;
- `hidden_person`: a natural person on no list (must never be visible);
- public, government-only and expired credit records of `company`.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache

from blacklists import services as list_services
from blacklists.models import ListDefinition, ListEntry, OutboxEvent
from registry.models import CatalogueItem, CreditRecord, FormerName
from sanctions import services as sanction_services
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The cast's users are created per test; the default hasher costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached statistics live in Redis: start every test clean."""
    cache.clear()
    yield
    cache.clear()


def publish(entry: ListEntry, clerk, reviewer) -> ListEntry:
    """Draft → review → approve → notify → publish, through the lists app's services; then
    apply the outbox so the sanctions exist (the Celery nudge does not run in tests)."""
    list_services.list_entry_submit(actor=clerk, entry=entry)
    list_services.list_entry_approve(actor=reviewer, entry=entry)
    list_services.list_entry_notify(actor=clerk, entry=entry, via="electronic", reference="N-1")
    entry = list_services.list_entry_publish(actor=clerk, entry=entry)
    for event in OutboxEvent.objects.filter(entry=entry):
        sanction_services.outbox_event_process(event_id=event.pk)
    return ListEntry.objects.get(pk=entry.pk)


def make_entry(definition: ListDefinition, subject, clerk, *, number: str, ground="G1"):
    return list_services.list_entry_create(
        actor=clerk,
        definition=definition,
        subject=subject,
        ground=definition.grounds.get(code=ground),
        tier=definition.tiers.get(tier="serious"),
        duration_months=24,
        decision_number=number,
        decision_date=datetime.date(2026, 1, 5),
        decision_issuer="杭州市中级人民法院",
        facts="有履行能力而拒不履行生效法律文书确定的给付义务。",
    )


@pytest.fixture
def defaulters(court):
    return f.list_definition(
        court,
        key="defaulters",
        name="失信被执行人名单",
        name_en="Judgment defaulters",
        immediate_publication_basis="《最高人民法院关于公布失信被执行人名单信息的若干规定》",
    )


@pytest.fixture
def customs_staff(customs):
    return f.user("cora", customs, "clerk"), f.user("cody", customs, "reviewer")


@pytest.fixture
def honours(customs):
    return f.list_definition(
        customs,
        key="honours",
        kind=ListDefinition.Kind.REDLIST,
        name="海关高级认证企业名单",
        name_en="Customs advanced certified enterprises",
        may_trigger_joint_measures=True,
        immediate_publication_basis="《海关企业信用管理办法》",
        subject_kinds=["enterprise"],
    )


@pytest.fixture
def company_entry(defaulters, company, alice, bob):
    FormerName.objects.create(
        subject=company, name="杭州旧名贸易有限公司", valid_until=datetime.date(2020, 1, 1)
    )
    return publish(make_entry(defaulters, company, alice, number="(2026)浙01执123号"), alice, bob)


@pytest.fixture
def listed_person(defaulters, alice, bob):
    person = f.subject("natural_person", name="李四")
    publish(make_entry(defaulters, person, alice, number="(2026)浙01执456号"), alice, bob)
    return person


@pytest.fixture
def hidden_person(db):
    return f.subject("natural_person", name="王五")


@pytest.fixture
def honoured(honours, customs_staff):
    clerk, reviewer = customs_staff
    subject = f.subject("enterprise", name="宁波诚达进出口有限公司")
    publish(make_entry(honours, subject, clerk, number="海关认证〔2026〕7号"), clerk, reviewer)
    return subject


@pytest.fixture
def memorandum(defaulters, honours, court, customs, caac):
    return f.memorandum(
        [defaulters, honours],
        [court, customs, caac],
        [
            {"code": "M01", "text": "限制乘坐民用航空器", "agency": caac,
             "legal_basis": "《民用航空安全保卫条例》"},
            {"code": "M02", "text": "法定代表人限制乘坐民用航空器", "agency": caac,
             "targets": "legal_representative", "target_basis": "《若干规定》第十一条"},
            {"code": "I01", "text": "海关通关便利", "kind": "incentive", "agency": customs,
             "legal_basis": "《海关企业信用管理办法》第二十条"},
        ],
        title="关于对失信被执行人实施联合惩戒的合作备忘录",
        document_number="发改财金〔2016〕141号",
    )  # fmt: skip


@pytest.fixture
def records(company, samr):
    def item(code, visibility, record_type, months=36):
        return CatalogueItem.objects.create(
            code=code,
            name=f"目录{code}",
            category="negative" if record_type == "administrative_penalty" else "basic",
            visibility=visibility,
            record_type=record_type,
            supplying_agency=samr,
            legal_basis="《行政处罚法》",
            publicity_months=months,
        )

    penalty = item("P1", "public", "administrative_penalty")
    licence = item("L1", "public", "administrative_licence")
    internal = item("G1", "government", "inspection")
    today = datetime.date.today()

    def record(catalogue, title, decided, ends):
        return CreditRecord.objects.create(
            subject=company,
            catalogue_item=catalogue,
            agency=samr,
            decision_number=f"杭市监罚〔{decided.year}〕{title[-1]}号",
            decision_date=decided,
            title=title,
            content=f"{title}的内容",
            publicity_ends_on=ends,
        )

    return {
        "penalty": record(penalty, "虚假宣传处罚A", today, today + datetime.timedelta(days=300)),
        "licence": record(licence, "食品经营许可B", today, None),
        "internal": record(internal, "内部检查记录C", today, None),
        "expired": record(
            penalty, "过期处罚记录D", datetime.date(2019, 1, 1), datetime.date(2022, 1, 1)
        ),
    }  # fmt: skip


@pytest.fixture
def scene(company_entry, listed_person, honoured, memorandum, records, company, hidden_person):
    """Everything above, with the memorandum in place before propagation is re-run."""
    person_role = f.subject("natural_person", name="赵六")
    f.role(company, person_role)
    # The memorandum was created after publication: apply it to the existing entries.
    sanction_services.memorandum_sync(memorandum_id=memorandum.pk)
    return {
        "company": company,
        "entry": company_entry,
        "person": listed_person,
        "hidden": hidden_person,
        "honoured": honoured,
        "legal_rep": person_role,
        "records": records,
        "memorandum": memorandum,
    }
