"""The one credit-record service (issue 9 §2, issue 12): who may file what, maker-checker for
negative records, idempotency on the decision key, corrections and withdrawals, timeliness."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from registry import services
from registry.models import Agency, CatalogueItem, CreditRecord, CreditRecordChange
from tests import factories as f

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 2)


def item(agency, code="N-001", **kw) -> CatalogueItem:
    values = {
        "code": code,
        "name": "行政处罚信息",
        "category": "negative",
        "visibility": "public",
        "record_type": "administrative_penalty",
        "supplying_agency": agency,
        "legal_basis": "《行政处罚法》第四十八条",
        "publicity_months": 12,
        "min_publicity_months": 3,
        "serious_min_publicity_months": 12,
        "serious_publicity_months": 36,
    }
    values.update(kw)
    return CatalogueItem.objects.create(**values)


def data(catalogue, subject, number="杭市监罚〔2026〕101号", **kw) -> services.RecordInput:
    values = {
        "subject": subject,
        "catalogue_item": catalogue,
        "decision_number": number,
        "decision_date": MONDAY,
        "content": "发布虚假广告，罚款人民币五千元。",
        "severity": "ordinary",
        "penalty_kind": "罚款",
    }
    values.update(kw)
    return services.RecordInput(**values)


@pytest.fixture
def samr_clerk(samr):
    return f.user("samr-clerk", samr, "clerk")


@pytest.fixture
def samr_reviewer(samr):
    return f.user("samr-reviewer", samr, "reviewer")


@pytest.fixture
def penalty(samr):
    return item(samr)


def test_cyberspace_clerk_cannot_file_under_the_courts_item(court, customs, carol, company):
    """The prober's case (issue 9 §2): another agency's catalogue item is refused."""
    defaulters = item(court, code="N-003", name="失信被执行人名单信息", record_type="list_record")
    with pytest.raises(PermissionDenied):
        services.credit_record_create(actor=carol, data=data(defaulters, company))
    assert not CreditRecord.objects.exists()


def test_deciding_agency_is_own_or_subordinate(samr, samr_clerk, customs, penalty, company):
    province = Agency.objects.create(
        subject=f.subject("government_body", name="浙江省市场监督管理局"),
        short_name="浙江市监",
        level=Agency.Level.PROVINCIAL,
        parent=samr,
        division=f.division("330000"),
    )
    record, _ = services.credit_record_create(
        actor=samr_clerk, data=data(penalty, company, deciding_agency=province)
    )
    assert record.agency == province and record.supplier == samr
    with pytest.raises(PermissionDenied):
        services.credit_record_create(
            actor=samr_clerk, data=data(penalty, company, "2", deciding_agency=customs)
        )
    # The province's own clerk may not file for its superior.
    provincial_clerk = f.user("zj-clerk", province)
    with pytest.raises(PermissionDenied):
        services.credit_record_create(actor=provincial_clerk, data=data(penalty, company, "3"))


def test_negative_record_waits_for_a_reviewer_of_the_same_agency(
    samr, samr_clerk, samr_reviewer, penalty, company, bob
):
    record, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
    assert record.status == "pending"
    assert record not in CreditRecord.objects.visible_to_public()
    with pytest.raises(PermissionDenied):  # the maker cannot check their own record
        services.credit_record_confirm(actor=samr_clerk, record=record)
    with pytest.raises(PermissionDenied):  # a reviewer of another agency cannot either
        services.credit_record_confirm(actor=bob, record=record)
    services.credit_record_confirm(actor=samr_reviewer, record=record)
    record.refresh_from_db()
    assert record.status == "confirmed" and record.confirmed_by == samr_reviewer
    assert record in CreditRecord.objects.visible_to_public()
    kinds = list(record.changes.values_list("kind", flat=True))
    assert kinds == ["filed", "published"]


def test_review_is_configurable_per_item(samr, samr_clerk, company):
    fast = item(samr, code="N-009", requires_review=False)
    record, _ = services.credit_record_create(actor=samr_clerk, data=data(fast, company))
    assert record.status == "confirmed"
    licence = item(samr, code="B-006", category="basic", record_type="administrative_licence")
    record, _ = services.credit_record_create(
        actor=samr_clerk, data=data(licence, company, severity="", penalty_kind="")
    )
    assert record.status == "confirmed"  # review applies to negative records


def test_same_record_twice_is_unchanged_and_a_different_body_conflicts(
    samr_clerk, penalty, company
):
    first, created = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
    again, created_again = services.credit_record_create(
        actor=samr_clerk, data=data(penalty, company)
    )
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(services.RecordConflict) as exc:
        services.credit_record_create(
            actor=samr_clerk, data=data(penalty, company, content="罚款人民币一万元。")
        )
    assert exc.value.record.pk == first.pk and exc.value.differences == ["content"]
    assert CreditRecord.objects.count() == 1


def test_serious_penalty_gets_the_serious_publicity(samr_clerk, penalty, company):
    ordinary, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
    serious, _ = services.credit_record_create(
        actor=samr_clerk, data=data(penalty, company, "2", severity="serious")
    )
    assert ordinary.publicity_ends_on == datetime.date(2027, 11, 2)
    assert serious.publicity_ends_on == datetime.date(2029, 11, 2)


@pytest.mark.parametrize(
    ("arrived", "on_time"),
    [
        (datetime.date(2026, 11, 11), True),  # 7th working day after Monday 2 Nov
        (datetime.date(2026, 11, 12), False),
    ],
)
def test_timeliness_is_seven_working_days(samr_clerk, penalty, company, arrived, on_time):
    with time_machine.travel(datetime.datetime(*arrived.timetuple()[:3], 3, tzinfo=datetime.UTC)):
        record, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
    assert record.due_by == datetime.date(2026, 11, 11)
    assert record.on_time is on_time
    assert (record in CreditRecord.objects.late()) is (not on_time)


@pytest.mark.parametrize("content", ["当事人宗教信仰为……", "附：当事人指纹采集记录", "血型 O"])
def test_forbidden_data_refused_in_records_too(samr_clerk, penalty, company, content):
    with pytest.raises(ValidationError) as exc:
        services.credit_record_create(
            actor=samr_clerk, data=data(penalty, company, content=content)
        )
    assert "content" in exc.value.message_dict


def test_correction_keeps_history_and_goes_back_to_review(
    samr_clerk, samr_reviewer, penalty, company
):
    record, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
    services.credit_record_confirm(actor=samr_reviewer, record=record)
    with pytest.raises(ValidationError):
        services.credit_record_correct(
            actor=samr_clerk, record=record, changes={"content": "x"}, reason=" "
        )
    with pytest.raises(ValidationError):
        services.credit_record_correct(
            actor=samr_clerk, record=record, changes={"subject": company}, reason="typo"
        )
    record = services.credit_record_correct(
        actor=samr_clerk,
        record=record,
        changes={"content": "罚款人民币三千元。"},
        reason="金额笔误",
    )
    assert record.version == 2 and record.status == "pending"
    versions = list(record.events.order_by("pgh_id").values_list("content", flat=True))
    assert (
        versions[0] == "发布虚假广告，罚款人民币五千元。" and versions[-1] == "罚款人民币三千元。"
    )
    last = record.events.order_by("-pgh_id").first()
    assert "金额笔误" in last.pgh_context.metadata["reason"]


def test_withdrawal_removes_from_publication_at_once(samr_clerk, samr_reviewer, penalty, company):
    record, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
    services.credit_record_confirm(actor=samr_reviewer, record=record)
    with pytest.raises(ValidationError) as exc:
        services.credit_record_withdraw(
            actor=samr_clerk, record=record, document_number="", reason=""
        )
    assert set(exc.value.message_dict) == {"document_number", "reason"}
    services.credit_record_withdraw(
        actor=samr_clerk,
        record=record,
        document_number="浙政复决〔2026〕12号",
        reason="行政复议撤销原处罚决定",
    )
    record.refresh_from_db()
    assert record.status == "withdrawn"
    assert not CreditRecord.objects.published().filter(pk=record.pk).exists()
    assert not CreditRecord.objects.in_effect().filter(pk=record.pk).exists()
    change = CreditRecordChange.objects.filter(record=record).last()
    assert change.kind == "withdrawn" and "复议" in change.reason


def test_bulk_outcomes_are_per_row_and_idempotent(samr_clerk, penalty, company, court):
    other = item(court, code="N-003", record_type="list_record")
    rows = [
        data(penalty, company, "1"),
        data(penalty, company, "2"),
        data(other, company, "3"),  # not a supplier: refused, row by row
        {"decision_date": ["Use a date as YYYY-MM-DD."]},
        data(penalty, company, "1"),  # repeats row 1 of the batch
    ]
    outcomes = services.credit_records_create_bulk(actor=samr_clerk, rows=rows)
    assert [o.status for o in outcomes] == ["created", "created", "invalid", "invalid", "unchanged"]
    assert CreditRecord.objects.count() == 2
    # The audit history has the same 'insert' rows the trigger writes, with who and why.
    for record in CreditRecord.objects.all():
        event = record.events.get()
        assert event.pgh_label == "insert" and event.decision_number == record.decision_number
        assert event.pgh_context.metadata["username"] == "samr-clerk"
        assert event.pgh_context.metadata["reason"] == "credit records filed in bulk"
    again = services.credit_records_create_bulk(actor=samr_clerk, rows=rows[:2])
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    changed = services.credit_records_create_bulk(
        actor=samr_clerk, rows=[data(penalty, company, "2", content="不同的内容。")]
    )
    assert changed[0].status == "conflict"
    assert CreditRecord.objects.count() == 2


def test_bulk_dry_run_and_all_or_nothing_write_nothing(samr_clerk, penalty, company):
    rows = [data(penalty, company, "1"), {"content": ["This field is required."]}]
    outcomes = services.credit_records_create_bulk(actor=samr_clerk, rows=rows, dry_run=True)
    assert [o.status for o in outcomes] == ["created", "invalid"]
    services.credit_records_create_bulk(actor=samr_clerk, rows=rows, all_or_nothing=True)
    assert not CreditRecord.objects.exists()


class TestAdmin:
    def test_clerk_cannot_pick_another_agencys_item(self, client, carol, penalty, company):
        client.force_login(carol)
        response = client.post(
            "/admin/registry/creditrecord/add/",
            {
                "subject": company.pk,
                "catalogue_item": penalty.pk,  # samr's item; carol is customs
                "decision_number": "海关罚〔2026〕1号",
                "decision_date": "2026-11-02",
                "content": "没收",
            },
        )
        assert response.status_code == 200  # the form again, with an error on the item
        assert "catalogue_item" in response.context["adminform"].form.errors
        assert not CreditRecord.objects.exists()

    def test_reviewer_confirms_in_admin_but_not_own_records(
        self, client, samr_clerk, samr_reviewer, penalty, company
    ):
        record, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
        own, _ = services.credit_record_create(
            actor=samr_reviewer, data=data(penalty, company, "2")
        )
        client.force_login(samr_reviewer)
        client.post(
            "/admin/registry/creditrecord/",
            {"action": "confirm_records", "_selected_action": [record.pk, own.pk]},
        )
        record.refresh_from_db()
        own.refresh_from_db()
        assert record.status == "confirmed" and own.status == "pending"

    def test_withdrawal_in_admin_needs_reason_and_document(
        self, client, samr_clerk, penalty, company
    ):
        record, _ = services.credit_record_create(actor=samr_clerk, data=data(penalty, company))
        client.force_login(samr_clerk)
        url = f"/admin/registry/creditrecord/{record.pk}/change/"
        form = {
            "title": record.title,
            "content": record.content,
            "legal_basis": "",
            "decision_date": "2026-11-02",
            "severity": "ordinary",
            "penalty_kind": "罚款",
            "withdrawal_document_number": "浙政复决〔2026〕1号",
            "reason": "",
        }
        response = client.post(url, form)
        assert response.status_code == 200 and "reason" in response.context["adminform"].form.errors
        form["reason"] = "复议撤销"
        assert client.post(url, form).status_code == 302
        record.refresh_from_db()
        assert record.status == "withdrawn" and record.withdrawal_document == "浙政复决〔2026〕1号"
