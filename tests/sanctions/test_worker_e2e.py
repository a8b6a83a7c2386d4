"""End to end with a real Celery worker process and real Redis (not eager mode)."""

import datetime

import pytest

from blacklists import services as lists
from blacklists.models import RepairApplication
from sanctions import services
from sanctions.models import Measure, Sanction
from tests.sanctions.conftest import publish, wait_for

pytestmark = [pytest.mark.celery_e2e, pytest.mark.django_db(transaction=True)]


def feed(api, after=""):
    body = api.get("/api/v1/sanctions/feed/", {"after": after, "limit": 100}).json()
    return body["events"], body["next"]


def test_publish_repair_and_memorandum_change_through_a_real_worker(
    celery_worker_process, scene, company, caac_api, caac
):
    entry = publish(scene["list"], company, scene["clerk"], scene["reviewer"])

    # Publication committed → the worker imposes; CAAC's feed shows its measure only.
    assert wait_for(lambda: Sanction.objects.filter(entry=entry).count() == 2), (
        celery_worker_process.log_path.read_text()[-3000:]
    )
    events, cursor = feed(caac_api)
    assert [(e["kind"], e["measure"], e["target"]) for e in events] == [
        ("imposed", "M01", company.identifier)
    ]

    # Credit repair granted after the minimum period → lifted, and the feed says so once.
    from blacklists.models import ListEntry

    ListEntry.objects.filter(pk=entry.pk).update(
        starts_on=datetime.date.today() - datetime.timedelta(days=200)
    )
    application = lists.repair_apply(
        entry=entry,
        applicant_name=company.name,
        contact="a@example.invalid",
        conditions_met=["proof_of_correction", "credit_commitment"],
        statement="已履行全部义务并作出信用承诺",
    )
    lists.repair_decide(
        actor=scene["reviewer"], application=application, grant=True, reasons="条件齐备"
    )
    assert RepairApplication.objects.get(pk=application.pk).status == "upheld"
    assert wait_for(lambda: not Sanction.objects.filter(entry=entry, status="in_force").exists()), (
        celery_worker_process.log_path.read_text()[-3000:]
    )
    events, cursor = feed(caac_api, cursor)
    assert [(e["kind"], e["reason"]) for e in events] == [("lifted", "repaired")]

    # A measure added to the memorandum is backfilled for entries in force.
    other = publish(
        scene["list"], company, scene["clerk"], scene["reviewer"], number="（2026）执二号"
    )
    assert wait_for(lambda: Sanction.objects.filter(entry=other, status="in_force").count() == 2)
    services.measure_add(
        actor=None,
        measure=Measure(
            memorandum=scene["mou"],
            code="M20",
            text="限制担任国企高管",
            kind="punishment",
            implementing_agency=caac,
            legal_basis="《企业国有资产法》第二十三条",
        ),
    )
    assert wait_for(lambda: Sanction.objects.filter(entry=other, measure__code="M20").exists())
    events, cursor = feed(caac_api, cursor)
    assert {(e["kind"], e["measure"]) for e in events} == {("imposed", "M01"), ("imposed", "M20")}
    assert services.reconcile(fix=False).total == 0


def test_record_repair_reaches_the_holders_feed_through_a_real_worker(celery_worker_process, samr):
    """A granted penalty-record repair nudges the sharing consumer after commit; the worker
    writes the deciding agency's `record_repaired` event into the same feed."""
    from registry import services as registry_services
    from tests import factories as f
    from tests.conftest import api_client_for
    from tests.sharing.conftest import file_record, make_item

    company = f.subject("enterprise", name="杭州恒信电子科技有限公司")
    record = file_record(
        f.user("samr-clerk", samr, "clerk"),
        make_item(samr, "N-001", "public"),
        company,
        "杭市监罚〔2026〕55号",
        decision_date=datetime.date.today() - datetime.timedelta(days=120),
    )
    application = registry_services.credit_record_repair_apply(
        record=record, applicant_name=company.name, contact="0571-88888888",
        conditions_met=["obligation_met", "proof_of_correction", "credit_commitment"],
        statement="罚款已缴清",
    )  # fmt: skip
    registry_services.credit_record_repair_decide(
        actor=f.user("samr-reviewer", samr, "reviewer"),
        application=application,
        grant=True,
        reasons="已履行并纠正",
    )
    samr_api = api_client_for(samr, "clerk", "samr-api")
    assert wait_for(lambda: feed(samr_api)[0]), celery_worker_process.log_path.read_text()[-3000:]
    events, _cursor = feed(samr_api)
    assert [(e["kind"], e["credit_record"]) for e in events] == [("record_repaired", record.pk)]
