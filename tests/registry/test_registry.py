"""Registry invariants: database locale, catalogue rules, credit records and the clerk admin."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from registry import services
from registry.models import CatalogueItem, CreditRecord, Division
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_database_has_utf8_ctype_and_chinese_trigrams():
    with connection.cursor() as cur:
        cur.execute("SHOW lc_ctype")
        assert "utf" in cur.fetchone()[0].lower()
        cur.execute("SELECT array_length(show_trgm('华为技术有限公司'), 1)")
        assert cur.fetchone()[0] > 0


def test_divisions_loaded_by_migration():
    assert Division.objects.filter(level="province").count() == 34
    assert Division.objects.filter(level="prefecture").count() >= 330
    assert Division.objects.get(code="440300").name_zh == "深圳市"


def catalogue_item(agency, **kw):
    defaults = {
        "code": "N-001",
        "name": "行政处罚信息",
        "category": "negative",
        "visibility": "public",
        "record_type": "administrative_penalty",
        "supplying_agency": agency,
        "legal_basis": "《行政处罚法》第四十八条",
        "publicity_months": 36,
    }
    defaults.update(kw)
    return CatalogueItem(**defaults)


@pytest.mark.parametrize(
    "name",
    [
        "宗教信仰信息",
        "指纹采集记录",
        "基因检测",
        "既往病史",
        "血型",
        "党员身份",
        "Party membership",
    ],
)
def test_catalogue_refuses_forbidden_data(samr, name):
    item = catalogue_item(samr, name=name)
    with pytest.raises(ValidationError) as exc:
        item.full_clean()
    assert "name" in exc.value.message_dict


@pytest.mark.parametrize(
    "name, name_en",
    [
        ("医疗器械经营许可", "Medical device trading licence"),
        ("一般行政处罚", "General administrative penalty"),
        ("信用承诺", "Good faith commitment"),
    ],
)
def test_catalogue_accepts_legitimate_records_that_share_words(samr, name, name_en):
    catalogue_item(samr, name=name, name_en=name_en).full_clean()


def test_catalogue_has_no_free_text_category(samr):
    with pytest.raises(ValidationError) as exc:
        catalogue_item(samr, record_type="other").full_clean()
    assert "record_type" in exc.value.message_dict


def test_negative_item_needs_publicity_period(samr):
    with pytest.raises(ValidationError):
        catalogue_item(samr, publicity_months=None).full_clean()


def test_credit_record_only_for_own_agency(samr, customs):
    item = catalogue_item(samr)
    item.save()
    clerk = f.user("samr-clerk", samr)
    other = f.user("customs-clerk", customs)
    data = services.RecordInput(
        subject=f.subject(),
        catalogue_item=item,
        decision_number="市监罚〔2026〕1号",
        decision_date=datetime.date(2026, 3, 1),
        title="行政处罚",
        content="罚款五千元",
    )
    record, created = services.credit_record_create(actor=clerk, data=data)
    assert created and record.agency == samr and record.supplier == samr
    assert record.publicity_ends_on == datetime.date(2029, 3, 1)
    with pytest.raises(PermissionDenied):
        services.credit_record_correct(
            actor=other, record=record, changes={"content": "篡改"}, reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.credit_record_create(actor=other, data=data)


def test_penalty_needs_decision_number(samr):
    item = catalogue_item(samr)
    item.save()
    record = CreditRecord(
        subject=f.subject(),
        catalogue_item=item,
        agency=samr,
        decision_date=datetime.date(2026, 3, 1),
        title="行政处罚",
        content="罚款",
    )
    with pytest.raises(ValidationError) as exc:
        record.full_clean()
    assert "decision_number" in exc.value.message_dict


def test_public_visibility_respects_catalogue_and_period(samr):
    public = catalogue_item(samr)
    public.save()
    restricted = catalogue_item(samr, code="R-1", visibility="restricted", name="欠税明细")
    restricted.save()
    subject = f.subject()
    old = CreditRecord.objects.create(
        subject=subject,
        catalogue_item=public,
        agency=samr,
        decision_number="1",
        decision_date=datetime.date(2019, 1, 1),
        title="旧处罚",
        content="x",
        publicity_ends_on=datetime.date(2022, 1, 1),
    )
    current = CreditRecord.objects.create(
        subject=subject,
        catalogue_item=public,
        agency=samr,
        decision_number="2",
        decision_date=datetime.date(2026, 1, 1),
        title="新处罚",
        content="x",
        publicity_ends_on=datetime.date(2029, 1, 1),
    )
    hidden = CreditRecord.objects.create(
        subject=subject,
        catalogue_item=restricted,
        agency=samr,
        decision_number="3",
        decision_date=datetime.date(2026, 1, 1),
        title="限制",
        content="x",
    )
    visible = set(CreditRecord.objects.visible_to_public())
    assert current in visible
    assert old not in visible and hidden not in visible


class TestClerkAdmin:
    def login(self, client, user):
        client.force_login(user)
        return client

    def test_clerk_sees_subjects_but_cannot_register(self, client, carol, company):
        self.login(client, carol)
        listing = client.get("/admin/registry/subject/")
        assert listing.status_code == 200
        assert company.name in listing.content.decode()
        assert client.get("/admin/registry/subject/add/").status_code == 403

    def test_clerk_sees_only_own_agency_credit_records(self, client, samr, customs, carol):
        item = catalogue_item(samr)
        item.save()
        mine = CreditRecord.objects.create(
            subject=f.subject(),
            catalogue_item=item,
            agency=customs,
            decision_number="海关罚1",
            decision_date=datetime.date(2026, 1, 1),
            title="海关处罚",
            content="x",
        )
        theirs = CreditRecord.objects.create(
            subject=f.subject(),
            catalogue_item=item,
            agency=samr,
            decision_number="市监罚9",
            decision_date=datetime.date(2026, 1, 1),
            title="市监处罚",
            content="x",
        )
        self.login(client, carol)
        page = client.get("/admin/registry/creditrecord/").content.decode()
        assert "海关罚1" in page and "市监罚9" not in page
        assert client.get(f"/admin/registry/creditrecord/{theirs.pk}/change/").status_code == 302
        assert client.get(f"/admin/registry/creditrecord/{mine.pk}/change/").status_code == 200

    def test_clerk_creates_record_for_own_agency_via_admin(self, client, customs, carol):
        item = catalogue_item(customs, code="N-002", requires_review=False)
        item.save()
        company = f.subject()
        self.login(client, carol)
        response = client.post(
            "/admin/registry/creditrecord/add/",
            {
                "subject": company.pk,
                "catalogue_item": item.pk,
                "decision_number": "海关罚〔2026〕7号",
                "decision_date": "2026-02-01",
                "title": "走私处罚",
                "content": "没收",
                "legal_basis": "《海关法》",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        record = CreditRecord.objects.get(decision_number="海关罚〔2026〕7号")
        assert record.agency == carol.agency
        assert record.events.get().pgh_context.metadata["username"] == "carol"
