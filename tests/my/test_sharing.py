"""The subject's view of information sharing (issue 13 on issue 12): who consulted its file
(/my/access-log/), its consents (/my/consents/), its credit commitments in an agency's file and
credit check, and repaired penalty records in its own special report."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone, translation

from filings import services as filing_services
from filings.models import CommitmentType
from registry import record_repairs
from registry.models import RECORD_REPAIR_CONDITIONS
from reports.selectors import Audience, special_report
from sharing.models import Consent, Consultation
from tests import factories as f
from tests.conftest import api_client_for
from tests.my.conftest import make_account
from tests.sharing.conftest import file_record, make_item

pytestmark = pytest.mark.django_db

NEXT_YEAR = datetime.date.today() + datetime.timedelta(days=365)
# Real-shaped references: full-width brackets, a traditional character, a formula-looking one.
REFERENCES = ["杭關執〔2026〕１２号", '=HYPERLINK("http://x")', "许可（2026）第7號"]


@pytest.fixture(autouse=True)
def _purposes(db):
    """The default purposes come from a data migration; a live-server test's flush (the
    browser journey runs before this file) wipes them, so reload them when missing."""
    import importlib

    from django.apps import apps

    importlib.import_module("sharing.migrations.0002_default_purposes").forwards(apps, None)


@pytest.fixture
def items(samr):
    return {
        "public": make_item(samr, "N-001", "public"),
        "restricted": make_item(samr, "R-201", "restricted", "tax"),
    }


@pytest.fixture
def samr_clerk(samr):
    return f.user("samr-clerk", samr, "clerk")


@pytest.fixture
def holdings(samr_clerk, items, company):
    return {
        tier: file_record(samr_clerk, item, company, f"杭市监〔2026〕{i}号")
        for i, (tier, item) in enumerate(items.items(), start=1)
    }


def file_of(api, subject, purpose="enforcement", reference="r"):
    return api.get(
        f"/api/v1/subjects/{subject.identifier}/file/",
        {"purpose": purpose, "reference": reference},
    )


def credit_check(api, identifiers, purpose="administrative_licensing", reference="核查-1"):
    return api.post(
        "/api/v1/credit-checks/",
        {"purpose": purpose, "reference": reference, "identifiers": identifiers},
        format="json",
    )


# --- who looked ------------------------------------------------------------------------------


def test_access_log_equals_the_consultations_made(
    my_client, company, holdings, customs, caac, stranger_account
):
    account = make_account(company, "holder@hengxin.example")
    customs_api = api_client_for(customs, username="customs-officer-wang")
    caac_api = api_client_for(caac, username="caac-officer-zhao")
    assert file_of(customs_api, company, reference=REFERENCES[0]).status_code == 200
    assert file_of(customs_api, company, reference=REFERENCES[1]).status_code == 200
    checked = credit_check(caac_api, [company.identifier, stranger_account.subject.identifier])
    assert checked.status_code == 200
    # Someone else's file, and a refused consultation of ours (no purpose): the refused one is
    # a look at our file too, the other subject's never is.
    assert file_of(customs_api, stranger_account.subject).status_code == 200
    assert file_of(customs_api, company, purpose="curiosity").status_code == 400
    made = Consultation.objects.filter(subject=company)
    assert made.count() == 4

    client = my_client(account)
    with translation.override("zh-hans"):
        page = client.get("/my/access-log/")
    assert page.status_code == 200
    shown = page.context["rows"]
    expected = {(c.id, c.agency_id, c.purpose, c.reference, c.at) for c in made}
    assert {(r["id"], r["agency_id"], r["purpose"], r["reference"], r["at"]) for r in shown} == (
        expected
    )
    text = page.content.decode()
    assert "customs-officer-wang" not in text and "caac-officer-zhao" not in text
    assert "执法办案" in text and "行政许可审批" in text and REFERENCES[0] in text
    assert customs.subject.name in text and caac.subject.name in text
    assert stranger_account.subject.name not in text

    # Filters: by agency, by purpose, by date range.
    by_caac = client.get("/my/access-log/", {"agency": caac.pk}).context["rows"]
    assert [r["channel"] for r in by_caac] == ["credit_check"]
    by_purpose = client.get("/my/access-log/", {"purpose": "enforcement"}).context["rows"]
    assert {r["reference"] for r in by_purpose} == set(REFERENCES[:2])
    today = timezone.localdate()
    assert len(client.get("/my/access-log/", {"date_from": today}).context["rows"]) == 4
    tomorrow = today + datetime.timedelta(days=1)
    assert client.get("/my/access-log/", {"date_from": tomorrow}).context["rows"] == []
    reversed_ = client.get("/my/access-log/", {"date_from": tomorrow, "date_to": today})
    assert reversed_.context["form"].errors["date_from"] and reversed_.context["rows"] == []

    # The export: the same rows, formulas neutralised, no officer.
    with translation.override("zh-hans"):
        export = client.get("/my/access-log/", {"export": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    body = export.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:2] == ["日期时间", "部门"] and len(rows) == 1 + 4
    assert {r[5] for r in rows[1:]} == {REFERENCES[0], "'" + REFERENCES[1], "核查-1", "r"}
    assert "customs-officer-wang" not in body and "caac-officer-zhao" not in body
    only_caac = client.get("/my/access-log/", {"export": "csv", "agency": caac.pk})
    assert len(list(csv.reader(io.StringIO(only_caac.content.decode("utf-8-sig"))))) == 2


def test_access_log_needs_the_account_and_shows_only_its_subject(
    client, my_client, company, stranger_account, customs
):
    assert client.get("/my/access-log/").status_code == 302  # to the sign-in
    customs_api = api_client_for(customs)
    file_of(customs_api, company)
    rows = my_client(stranger_account).get("/my/access-log/").context["rows"]
    assert rows == []
    # Someone else's agency id in the filter filters nothing in: still nothing.
    rows = my_client(stranger_account).get("/my/access-log/", {"agency": customs.pk})
    assert rows.status_code == 200


# --- consent ---------------------------------------------------------------------------------


def test_a_consent_given_online_then_withdrawn_stops_the_next_consultation(
    my_client, company, holdings, items, customs, stranger_account
):
    account = make_account(company, "holder@hengxin.example")
    client = my_client(account)
    customs_api = api_client_for(customs)
    secret = holdings["restricted"].content
    before = file_of(customs_api, company)
    assert secret not in before.content.decode()
    assert before.json()["restricted"]["withheld"] == {"R-201": 1}

    # Neither items nor "all": refused with the field named.
    refused = client.post(
        "/my/consents/",
        {"agency": customs.pk, "purpose": _purpose_id("enforcement"), "valid_until": NEXT_YEAR},
    )
    assert refused.status_code == 200 and refused.context["form"].errors["items"]
    granted = client.post(
        "/my/consents/",
        {
            "agency": customs.pk,
            "purpose": _purpose_id("enforcement"),
            "items": [items["restricted"].pk],
            "valid_until": NEXT_YEAR,
        },
    )
    assert granted.status_code == 302, granted.context["form"].errors
    consent = Consent.objects.get(subject=company)
    assert consent.given == "online" and consent.recorded_by is None
    assert consent.evidence_reference == f"account:{account.pk} {account.email}"
    with translation.override("zh-hans"):
        page = client.get("/my/consents/")
    assert [c.pk for c in page.context["in_force"]] == [consent.pk]
    assert "R-201" in page.content.decode() and "由您在线授权" in page.content.decode()

    during = file_of(customs_api, company)
    assert secret in during.content.decode() and during.json()["restricted"]["withheld"] == {}
    # Another purpose is not covered.
    other = file_of(customs_api, company, purpose="administrative_licensing")
    assert secret not in other.content.decode()

    # Nobody else can withdraw it (another subject's account: 404, consent untouched).
    stranger = my_client(stranger_account)
    assert stranger.post(f"/my/consents/{consent.pk}/withdraw/").status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None

    client = my_client(account)
    assert client.get(f"/my/consents/{consent.pk}/withdraw/").status_code == 405
    assert client.post(f"/my/consents/{consent.pk}/withdraw/").status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    after = file_of(customs_api, company)
    assert secret not in after.content.decode()
    assert after.json()["restricted"]["withheld"] == {"R-201": 1}
    page = client.get("/my/consents/")
    assert page.context["in_force"] == [] and [c.pk for c in page.context["past"]] == [consent.pk]


def test_consent_form_refuses_a_past_date_and_a_public_item(my_client, company, items, customs):
    client = my_client(make_account(company, "holder@hengxin.example"))
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    past = client.post(
        "/my/consents/",
        {"agency": customs.pk, "purpose": _purpose_id("enforcement"), "all_restricted": "on",
         "valid_until": yesterday},
    )  # fmt: skip
    assert past.status_code == 200 and past.context["form"].errors["valid_until"]
    public = client.post(
        "/my/consents/",
        {"agency": customs.pk, "purpose": _purpose_id("enforcement"),
         "items": [items["public"].pk], "valid_until": NEXT_YEAR},
    )  # fmt: skip
    assert public.status_code == 200 and public.context["form"].errors["items"]
    assert not Consent.objects.exists()


def _purpose_id(code: str) -> int:
    from sharing.models import Purpose

    return Purpose.objects.get(code=code).pk


# --- commitments in the file and the credit check --------------------------------------------


def test_commitments_in_the_agency_file_and_credit_check(company, customs, caac, carol):
    kind = CommitmentType.objects.create(
        code="licensing", purpose="licensing", name="告知承诺书",
        text="本单位承诺符合许可条件。", legal_basis="国办发〔2019〕35号",
        breach_consequence="记入信用记录。",
    )  # fmt: skip
    other = f.subject("enterprise", name="無承諾貿易有限公司")
    signed = filing_services.commitment_sign(
        subject=company, commitment_type=kind, signed_by="account:1 holder@hengxin.example"
    )
    honoured = filing_services.commitment_sign(
        subject=company, commitment_type=kind, signed_by="counter"
    )
    filing_services.commitment_record_outcome(
        actor=carol, commitment=honoured, honoured=True, note="核查属实"
    )
    data = file_of(api_client_for(customs), company).json()
    assert {(c["id"], c["status"]) for c in data["commitments"]} == {
        (signed.pk, "signed"),
        (honoured.pk, "honoured"),
    }
    kept = next(c for c in data["commitments"] if c["id"] == honoured.pk)
    assert kept["type"] == "licensing" and kept["outcome_agency"] == customs.subject.identifier
    results = credit_check(api_client_for(caac), [company.identifier, other.identifier]).json()
    by_name = {r["name"]: r for r in results["results"]}
    assert len(by_name[company.name]["commitments"]) == 2
    assert by_name[other.name]["commitments"] == []
    # A subject whose only data is its commitment: the consultation returned something.
    assert Consultation.objects.filter(subject=company, channel="credit_check").get().outcome == (
        "returned"
    )
    assert Consultation.objects.filter(subject=other).get().outcome == "empty"


# --- repaired penalty records in the subject's own special report ----------------------------


def test_repaired_penalty_is_marked_in_the_subjects_report_and_absent_from_the_public_one(
    my_client, company, samr, samr_clerk, items
):
    decided = datetime.date.today() - datetime.timedelta(days=200)
    penalty = file_record(
        samr_clerk, items["public"], company, "杭市监罚〔2026〕88号", decision_date=decided
    )
    withdrawn = file_record(
        samr_clerk, items["public"], company, "杭市监罚〔2026〕89号", decision_date=decided
    )
    from registry import services as registry_services

    registry_services.credit_record_withdraw(
        actor=samr_clerk, record=withdrawn, reason="决定已被撤销", document_number="撤〔2026〕1号"
    )
    application = record_repairs.credit_record_repair_apply(
        record=penalty,
        applicant_name=company.name,
        contact="holder@hengxin.example",
        conditions_met=list(RECORD_REPAIR_CONDITIONS),
        statement="罚款已缴清，违法行为已改正。",
    )
    reviewer = f.user("samr-reviewer", samr, "reviewer")
    record_repairs.credit_record_repair_decide(
        actor=reviewer, application=application, grant=True, reasons="符合修复条件"
    )
    today = datetime.date.today()
    start = today - datetime.timedelta(days=365)
    own = special_report(company, period_from=start, period_to=today, audience=Audience.SUBJECT)
    public = special_report(company, period_from=start, period_to=today, audience=Audience.PUBLIC)
    assert [r.pk for r in own.penalties] == [penalty.pk] and own.penalties[0].repaired_at
    assert public.penalties == []  # repaired: out of publication; withdrawn: never shown

    # The PDF the subject downloads says 已修复 next to the record.
    client = my_client(make_account(company, "holder@hengxin.example"))
    with translation.override("zh-hans"):
        response = client.get("/my/report/", {"period_from": "", "period_to": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    from tests.my.test_file import _pdf_text

    text = _pdf_text(response.content)
    assert "已修复" in text and "杭市监罚〔2026〕88号" in text
    assert "杭市监罚〔2026〕89号" not in text
    with translation.override("zh-hans"):
        public_pdf = client.get(
            f"/subjects/{company.identifier}/special-report/", {"period_from": "", "period_to": ""}
        )
    public_text = _pdf_text(public_pdf.content)
    assert "杭市监罚〔2026〕88号" not in public_text and "该期间内无行政处罚记录" in public_text
