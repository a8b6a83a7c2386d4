"""Credit repair of penalty records: portal application after the minimum period, decision in
the admin within 10 working days, publication stops at once, agencies told through the feed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry import record_repairs, services
from registry.models import CreditRecord, RecordRepair
from sharing.models import Consultation
from tests import factories as f
from tests.sharing.conftest import file_record, make_item

pytestmark = pytest.mark.django_db

CONDITIONS = ["obligation_met", "proof_of_correction", "credit_commitment"]


@pytest.fixture
def old_penalty(samr, samr_clerk, company):
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


def apply(client, record, conditions=CONDITIONS):
    return client.post(
        f"/repairs/new/?record={record.pk}",
        {
            "applicant_name": "杭州恒信电子科技有限公司",
            "contact": "0571-88888888",
            "conditions_met": conditions,
            "statement": "罚款已缴清，虚假宣传内容已全部下架。",
        },
    )


def test_portal_application_then_grant_stops_publication(
    client, old_penalty, samr_reviewer, samr_api, company
):
    page = client.get(f"/subjects/{company.identifier}/")
    assert f"/repairs/new/?record={old_penalty.pk}" in page.content.decode()
    form = client.get(f"/repairs/new/?record={old_penalty.pk}")
    assert form.status_code == 200 and "杭市监罚〔2026〕55号" in form.content.decode()
    response = apply(client, old_penalty)
    assert response.status_code == 302
    application = RecordRepair.objects.get()
    assert response["Location"].startswith(f"/track/{application.tracking_number}/")
    track = client.get(response["Location"])
    assert track.status_code == 200 and application.tracking_number in track.content.decode()
    assert application.decide_by > datetime.date.today()

    services.credit_record_repair_decide(
        actor=samr_reviewer, application=application, grant=True, reasons="已履行并纠正"
    )
    old_penalty.refresh_from_db()
    assert old_penalty.repaired_at is not None
    assert old_penalty not in CreditRecord.objects.visible_to_public()
    assert (
        "杭市监罚〔2026〕55号"
        not in client.get(f"/subjects/{company.identifier}/").content.decode()
    )
    # Still visible to agencies, marked repaired.
    file = samr_api.get(
        f"/api/v1/subjects/{company.identifier}/file/?purpose=enforcement&reference=x"
    ).json()
    assert [r["repaired"] for r in file["records"]] == [True]
    # Agencies holding copies learn it from the change feed.
    kinds = [c["kind"] for c in samr_api.get("/api/v1/credit-records/changes/").json()["changes"]]
    assert kinds[-1] == "repaired"
    assert Consultation.objects.count() == 1


def test_not_before_the_minimum_period(client, samr, samr_clerk, company):
    item = make_item(samr, "N-001", "public")
    fresh = file_record(samr_clerk, item, company, "新罚1")
    response = apply(client, fresh)
    assert response.status_code == 200  # the form again, with the service's error
    assert "最短公示期届满后" in response.content.decode()
    assert not RecordRepair.objects.exists()


def test_serious_penalty_waits_a_year(samr, samr_clerk, company):
    item = make_item(samr, "N-001", "public", serious_min_publicity_months=12,
                     serious_publicity_months=36)  # fmt: skip
    record = file_record(
        samr_clerk,
        item,
        company,
        "重罚1",
        severity="serious",
        decision_date=datetime.date.today() - datetime.timedelta(days=200),
    )
    assert record_repairs.repair_earliest(record) > datetime.date.today()


def test_unknown_or_non_penalty_record_is_404(client, samr, samr_clerk, company):
    licence = make_item(samr, "B-006", "public", "administrative_licence", category="basic")
    record = file_record(samr_clerk, licence, company, "许可1")
    assert client.get(f"/repairs/new/?record={record.pk}").status_code == 404
    assert client.get("/repairs/new/?record=abc").status_code == 404
    assert client.get("/repairs/new/?record=999999").status_code == 404


def test_decision_rules(old_penalty, samr_reviewer, carol, samr_clerk):
    application = services.credit_record_repair_apply(
        record=old_penalty,
        applicant_name="甲",
        contact="x",
        conditions_met=["obligation_met"],
        statement="已缴清",
    )
    with pytest.raises(PermissionDenied):  # another agency
        services.credit_record_repair_decide(
            actor=carol, application=application, grant=False, reasons="x"
        )
    with pytest.raises(PermissionDenied):  # a clerk, not a reviewer
        services.credit_record_repair_decide(
            actor=samr_clerk, application=application, grant=False, reasons="x"
        )
    with pytest.raises(ValidationError):  # not every condition shown
        services.credit_record_repair_decide(
            actor=samr_reviewer, application=application, grant=True, reasons="x"
        )
    services.credit_record_repair_decide(
        actor=samr_reviewer, application=application, grant=False, reasons="材料不全"
    )
    old_penalty.refresh_from_db()
    assert old_penalty.repaired_at is None and old_penalty.is_published


def test_overdue_flagged_after_ten_working_days(old_penalty):
    application = services.credit_record_repair_apply(
        record=old_penalty, applicant_name="甲", contact="x", conditions_met=CONDITIONS,
        statement="已缴清",
    )  # fmt: skip
    assert record_repairs.record_repairs_flag_overdue(today=application.decide_by) == 0
    later = application.decide_by + datetime.timedelta(days=1)
    assert record_repairs.record_repairs_flag_overdue(today=later) == 1
    assert record_repairs.record_repairs_flag_overdue(today=later) == 0
    application.refresh_from_db()
    assert application.is_overdue


def test_admin_decision_by_the_deciding_agencys_reviewer(client, old_penalty, samr_reviewer):
    application = services.credit_record_repair_apply(
        record=old_penalty, applicant_name="甲", contact="x", conditions_met=CONDITIONS,
        statement="已缴清",
    )  # fmt: skip
    client.force_login(samr_reviewer)
    url = f"/admin/registry/recordrepair/{application.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "grant", "decision_reasons": "已纠正"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "upheld" and application.decided_by == samr_reviewer


def test_other_agency_does_not_see_the_application_in_admin(client, old_penalty, carol):
    application = services.credit_record_repair_apply(
        record=old_penalty, applicant_name="甲", contact="x", conditions_met=CONDITIONS,
        statement="已缴清",
    )  # fmt: skip
    client.force_login(carol)
    assert (
        application.tracking_number
        not in client.get("/admin/registry/recordrepair/").content.decode()
    )
    response = client.get(f"/admin/registry/recordrepair/{application.pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist" redirect
