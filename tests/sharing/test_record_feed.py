"""Corrections, withdrawals and repairs of credit records reach the agencies holding copies
through the agency feed that carries sanction events (same cursor, same outbox durability)."""

from __future__ import annotations

import datetime

import pytest
from celery import Celery

from registry import privacy, services
from registry.models import CreditRecordChange
from sanctions.models import ConsumedRecordChange, SanctionEvent
from sharing import services as sharing_services
from sharing import tasks
from tests import factories as f
from tests.conftest import api_client_for
from tests.sharing.conftest import file_record, make_item

pytestmark = pytest.mark.django_db

CONDITIONS = ["obligation_met", "proof_of_correction", "credit_commitment"]
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def penalty(samr, samr_clerk, company):
    item = make_item(samr, "N-001", "public")
    return file_record(
        samr_clerk,
        item,
        company,
        "杭市监罚〔2026〕55号",
        decision_date=datetime.date.today() - datetime.timedelta(days=120),
    )


@pytest.fixture
def samr_reviewer(samr):
    return f.user("samr-reviewer", samr, "reviewer")


def consult(client, identifier):
    response = client.get(
        f"/api/v1/subjects/{identifier}/file/?purpose=enforcement&reference=（2026）浙01执5号"
    )
    assert response.status_code == 200, response.content
    return response.json()


def repair(record, reviewer):
    application = services.credit_record_repair_apply(
        record=record, applicant_name="杭州恒信电子科技有限公司", contact="0571-88888888",
        conditions_met=CONDITIONS, statement="罚款已缴清，虚假宣传内容已全部下架。",
    )  # fmt: skip
    services.credit_record_repair_decide(
        actor=reviewer, application=application, grant=True, reasons="已履行并纠正"
    )
    return CreditRecordChange.objects.get(record=record, kind="repaired")


def feed(client, after=None):
    url = "/api/v1/sanctions/feed/" + (f"?after={after}" if after else "")
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def record_events(client):
    return [e for e in feed(client)["events"] if e["kind"].startswith("record_")]


def test_repair_reaches_each_holder_once_and_no_other_agency(
    penalty, samr, samr_reviewer, court, customs, company, django_capture_on_commit_callbacks
):
    samr_api = api_client_for(samr, "clerk", "samr-api")
    court_api = api_client_for(court, "clerk", "court-api")
    customs_api = api_client_for(customs, "clerk", "customs-api")
    consult(court_api, company.identifier)  # court now holds a copy
    with django_capture_on_commit_callbacks() as callbacks:
        change = repair(penalty, samr_reviewer)
    # The registry nudges the consumer after commit (and only then).
    assert len(callbacks) >= 1

    assert sharing_services.record_changes_deliver(limit=100) == 2
    for client in (samr_api, court_api):
        (event,) = record_events(client)
        assert event["kind"] == "record_repaired"
        assert event["credit_record"] == penalty.pk
        assert event["catalogue_item"] == "N-001"
        assert event["decision_number"] == "杭市监罚〔2026〕55号"
        assert event["deciding_agency"] == samr.subject.identifier
        assert event["target"] == company.identifier
        assert event["reason"] == "repaired" and event["reason_text"]
        assert event["sanction_id"] is None and event["measure"] is None
    assert record_events(customs_api) == []
    assert set(
        SanctionEvent.objects.filter(record_change=change).values_list(
            "implementing_agency_id", flat=True
        )
    ) == {samr.pk, court.pk}


def test_redelivery_writes_nothing(penalty, samr_reviewer, court, company):
    consult(api_client_for(court, "clerk", "court-api"), company.identifier)
    change = repair(penalty, samr_reviewer)
    assert tasks.deliver_record_change(change.pk) == 2
    assert tasks.deliver_record_change(change.pk) == 0  # a redelivered message
    assert tasks.sweep_record_changes() == 0  # the sweep racing the nudge
    assert SanctionEvent.objects.filter(record_change=change).count() == 2
    assert ConsumedRecordChange.objects.filter(change=change).count() == 1


def test_redis_outage_loses_nothing(
    penalty, samr, samr_reviewer, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    dead = Celery("dead-broker", broker=DEAD_BROKER)
    dead.conf.broker_connection_timeout = 0.5
    monkeypatch.setattr("scs.celery.app", dead)
    with django_capture_on_commit_callbacks(execute=True):
        change = repair(penalty, samr_reviewer)
    # The repair committed, the nudge failed against the dead broker and was only logged.
    assert "the outbox sweep will deliver it" in caplog.text
    assert not SanctionEvent.objects.filter(record_change=change).exists()
    # The 30 s sweep finds the row and delivers it.
    assert tasks.sweep_record_changes() == 1
    samr_api = api_client_for(samr, "clerk", "samr-api")
    assert [e["kind"] for e in record_events(samr_api)] == ["record_repaired"]


def test_correction_and_withdrawal_share_the_cursor_with_sanction_events(
    samr, samr_clerk, court, company
):
    item = make_item(samr, "N-001", "public")
    record = file_record(samr_clerk, item, company, "杭市监罚〔2026〕７号")  # full-width digit
    court_api = api_client_for(court, "clerk", "court-api")
    consult(court_api, company.identifier)
    first = feed(court_api)
    assert first["events"] == []
    services.credit_record_correct(
        actor=samr_clerk, record=record, changes={"amount_yuan": "5000.00"}, reason="金额笔误"
    )
    services.credit_record_withdraw(
        actor=samr_clerk, record=record, document_number="浙政复〔2026〕3号", reason="复议撤销"
    )
    assert sharing_services.record_changes_deliver(limit=100) == 4  # two changes, two holders
    page = feed(court_api, after=first["next"])
    assert [e["kind"] for e in page["events"]] == ["record_corrected", "record_withdrawn"]
    ids = [e["event_id"] for e in page["events"]]
    assert ids == sorted(ids)
    assert feed(court_api, after=page["next"])["events"] == []
    # Filings and publications are not sent to holders.
    assert not SanctionEvent.objects.filter(record_change__kind__in=["filed", "published"])


def test_natural_persons_masked_per_the_feeds_rule(
    samr, samr_clerk, samr_reviewer, court, customs, person
):
    item = make_item(samr, "N-001", "public")
    record = file_record(
        samr_clerk, item, person, "杭市监罚〔2026〕88号",
        decision_date=datetime.date.today() - datetime.timedelta(days=120),
    )  # fmt: skip
    court_api = api_client_for(court, "clerk", "court-api")  # needs full IDs
    customs_api = api_client_for(customs, "clerk", "customs-api")  # does not
    consult(court_api, person.identifier)
    consult(customs_api, person.identifier)
    repair(record, samr_reviewer)
    assert sharing_services.record_changes_deliver(limit=100) == 3
    assert record_events(court_api)[0]["target"] == person.identifier
    masked = record_events(customs_api)[0]["target"]
    assert masked == privacy.mask_resident_id(person.identifier) != person.identifier


def test_a_withheld_restricted_record_is_not_held(company_records, samr_clerk, court, company):
    """The court's file returned the public and government-visible records, not the restricted
    one (no consent): withdrawing all three tells the court of two, in one batch."""
    court_api = api_client_for(court, "clerk", "court-api")
    file = consult(court_api, company.identifier)
    assert file["restricted"]["withheld"] == {"R-201": 1}
    for number, record in enumerate(company_records.values()):
        services.credit_record_withdraw(
            actor=samr_clerk, record=record, document_number=f"浙政复〔2026〕{number}号",
            reason="复议撤销",
        )  # fmt: skip
    assert sharing_services.record_changes_deliver(limit=100) == 3 + 2  # samr 3, court 2
    held = {e["catalogue_item"] for e in record_events(court_api)}
    assert held == {"N-001", "G-101"}
