"""The whole file at /my/, only ever the account's own subject; disputes filed from the item
itself; the subject's special credit report and its verification."""

from __future__ import annotations

import datetime
import hashlib
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blacklists import services as list_services
from blacklists.models import ListEntry, Objection, RepairApplication
from my import selectors
from registry.models import CatalogueItem, CreditRecord
from reports.models import IssuedReport
from tests import factories as f
from tests.my.conftest import make_account
from tests.publicity.conftest import make_entry, publish
from tests.publicity.test_submissions import real_pdf

pytestmark = pytest.mark.django_db


def test_the_file_shows_every_tier_unpublished_entries_and_expired_records(
    my_client, company_account, scene, court_list, alice, bob
):
    # An entry notified but not yet published, on a list the public never sees.
    hidden_list = f.list_definition(court_list.owner, is_public=False, name="内部关注名单")
    pending = make_entry(hidden_list, scene["company"], alice, number="(2026)浙01执789号")
    list_services.list_entry_submit(actor=alice, entry=pending)
    list_services.list_entry_approve(actor=bob, entry=pending)
    list_services.list_entry_notify(actor=alice, entry=pending, via="electronic", reference="N")
    page = my_client(company_account).get("/my/").content.decode()
    records = scene["records"]
    assert records["internal"].title in page  # government-only
    assert "政务共享" in page
    assert records["expired"].title in page  # past publicity, shown as such
    assert "已超过公示期限" in page and "公示已结束" in page
    assert "(2026)浙01执789号" in page and "已告知，异议期内" in page and "不公开" in page
    assert "限制乘坐民用航空器" in page  # the measure on it, with its basis
    assert "《民用航空安全保卫条例》" in page
    # The public page shows none of the three.
    public = my_client(company_account).get(f"/subjects/{scene['company'].identifier}/")
    text = public.content.decode()
    assert records["internal"].title not in text and "(2026)浙01执789号" not in text


def test_an_account_never_sees_another_subject(my_client, stranger_account, scene):
    client = my_client(stranger_account)
    page = client.get("/my/").content.decode()
    assert scene["company"].name not in page
    assert scene["records"]["internal"].title not in page
    entry = scene["entry"]
    assert client.get(f"/my/entries/{entry.pk}/objection/").status_code == 404
    assert client.get(f"/my/entries/{entry.pk}/repair/").status_code == 404
    response = client.post(
        f"/my/entries/{entry.pk}/objection/",
        {"filed_by_name": "x", "contact": "x", "disputed_facts": "x"},
    )
    assert response.status_code == 404
    assert not Objection.objects.filter(entry=entry).exists()
    assert scene["entry"].decision_number not in client.get("/my/disputes/").content.decode()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.sampled_from(["enterprise", "individual_business", "natural_person",
                                       "social_organisation"]), min_size=2, max_size=4),
       pick=st.integers(min_value=0, max_value=3))  # fmt: skip
def test_property_file_holds_only_the_accounts_subject(kinds, pick, samr, django_db_blocker):
    """Random subjects, each with a record in every tier: an account's file lists exactly
    its own subject's records and entries, never one of another subject."""
    items = [
        CatalogueItem.objects.get_or_create(
            code=f"PX-{vis}",
            defaults=dict(name=f"测试{vis}", category="negative", visibility=vis,
                          record_type="administrative_penalty", supplying_agency=samr,
                          legal_basis="《行政处罚法》", publicity_months=36),
        )[0]
        for vis in ("public", "government", "restricted")
    ]  # fmt: skip
    subjects = [f.subject(kind) for kind in kinds]
    for s in subjects:
        for item in items:
            CreditRecord.objects.create(
                subject=s, catalogue_item=item, agency=samr, decision_number=f"罚{s.pk}-{item.pk}",
                decision_date=datetime.date(2026, 3, 1), title=f"记录{s.pk}", content="内容",
            )  # fmt: skip
    mine = subjects[pick % len(subjects)]
    account = make_account(mine, f"p{mine.pk}@example.cn")
    file = selectors.subject_file(account.subject)
    assert {r.subject_id for r in file.records} == {mine.pk}
    assert len(file.records) == 3
    assert all(e.subject_id == mine.pk for e in file.entries)
    assert {d.item.entry.subject_id for d in selectors.disputes(account.subject)} <= {mine.pk}


def test_objection_filed_signed_in_from_the_item(my_client, company_account, scene, alice, bob):
    entry = scene["entry"]
    client = my_client(company_account)
    form = client.get(f"/my/entries/{entry.pk}/objection/")
    assert form.context["form"].initial["filed_by_name"] == scene["company"].name
    evidence = SimpleUploadedFile("证据.pdf", real_pdf(), "application/pdf")
    response = client.post(
        f"/my/entries/{entry.pk}/objection/",
        {"filed_by_name": scene["company"].name, "contact": company_account.email,
         "disputed_facts": "款项已于2026年2月全部履行。", "evidence": evidence},
    )  # fmt: skip
    assert response.status_code == 302 and response.url.startswith("/my/disputes/?new=OB")
    objection = Objection.objects.get(entry=entry)
    assert objection.filed_by_subject_account is True
    # Stored under a random name outside any URL (blacklists.evidence), never the upload's.
    assert objection.evidence.name.endswith(".pdf") and "证据" not in objection.evidence.name
    tracking = client.get(response.url).content.decode()
    assert objection.tracking_number in tracking and "待处理" in tracking
    assert f"{objection.decide_by:%Y-%m-%d}" in tracking
    # A second objection on the same entry waits for the pending one (issue 10's rule) ...
    with pytest.raises(ValidationError):
        list_services.objection_file(
            entry=entry, filed_by_name="代理人", contact="1", disputed_facts="事实有误"
        )
    # ... but anonymous objections still work, and show on the subject's page too, marked.
    other = publish(
        make_entry(entry.list, scene["company"], alice, number="(2026)浙01执456号"), alice, bob
    )
    anonymous = list_services.objection_file(
        entry=other, filed_by_name="代理人", contact="1", disputed_facts="事实有误"
    )
    assert anonymous.filed_by_subject_account is False
    assert "未登录提交" in client.get("/my/disputes/").content.decode()


def test_bad_evidence_is_a_field_error(my_client, company_account, scene):
    entry = scene["entry"]
    fake = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = my_client(company_account).post(
        f"/my/entries/{entry.pk}/objection/",
        {"filed_by_name": "a", "contact": "b", "disputed_facts": "c", "evidence": fake},
    )
    assert response.status_code == 200 and response.context["form"].errors["evidence"]
    assert not Objection.objects.filter(entry=entry).exists()


def test_repair_applied_for_signed_in(my_client, company_account, scene):
    entry = scene["entry"]
    response = my_client(company_account).post(
        f"/my/entries/{entry.pk}/repair/",
        {"applicant_name": "杭州恒信电子科技有限公司", "contact": "0571-1",
         "conditions_met": ["proof_of_correction"], "statement": "已全部履行。"},
    )  # fmt: skip
    assert response.status_code == 302
    assert RepairApplication.objects.get(entry=entry).filed_by_subject_account


def _download(client, path, **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_special_report_of_the_subject_and_its_verification(my_client, company_account, scene, bob):
    client = my_client(company_account)
    pdf = _download(client, "/my/report/", period_from="", period_to="")
    report = IssuedReport.objects.get(kind="special")
    assert report.audience == "subject" and report.subject == scene["company"]
    assert report.sha256 == hashlib.sha256(pdf).hexdigest()
    assert f"E{scene['entry'].pk}" in report.snapshot
    assert f"R{scene['records']['penalty'].pk}" in report.snapshot
    assert report.data_version
    verify = client.get(f"/reports/{report.number}/").content.decode()
    assert "本报告出具后所载内容未发生变化" in verify and report.data_version in verify

    # Revoke the entry: the verification page now says the report changed.
    list_services.list_entry_revoke(actor=bob, entry=scene["entry"], reason="错误列入")
    verify = client.get(f"/reports/{report.number}/").content.decode()
    assert "本报告出具后所载内容已发生变化" in verify
    assert "已不在报告范围内" in verify
    check = client.post(
        f"/reports/{report.number}/",
        {"pdf": SimpleUploadedFile("r.pdf", pdf, "application/pdf")},
    )
    assert check.context["matches"] is True


def test_special_report_marks_repaired_entries_in_the_subjects_own_copy(
    company_account, scene, bob
):
    from reports.selectors import Audience, special_report

    entry = scene["entry"]
    ListEntry.objects.filter(pk=entry.pk).update(state="ended", end_reason="repaired")
    today = datetime.date.today()
    start = today - datetime.timedelta(days=365)
    own = special_report(
        entry.subject, period_from=start, period_to=today, audience=Audience.SUBJECT
    )
    public = special_report(
        entry.subject, period_from=start, period_to=today, audience=Audience.PUBLIC
    )
    assert [e.pk for e in own.entries] == [entry.pk] and own.entries[0].end_reason == "repaired"
    assert public.entries == []
    # Government-only records stay out of the public copy.
    assert scene["records"]["internal"].pk not in {r.pk for r in public.other_records}


def test_special_report_period_is_checked(my_client, company_account, scene):
    client = my_client(company_account)
    too_long = client.get("/my/report/", {"period_from": "2015-01-01", "period_to": ""})
    assert too_long.status_code == 200 and too_long.context["form"].errors["period_from"]
    reversed_ = client.get("/my/report/", {"period_from": "2026-05-01", "period_to": "2026-01-01"})
    assert reversed_.context["form"].errors["period_from"]
    garbage = client.get("/my/report/", {"period_from": "2026-13-45", "period_to": ""})
    assert garbage.status_code == 200 and garbage.context["form"].errors["period_from"]
    # A control character is refused before any view runs (scs.security.InputHygieneMiddleware).
    control = client.get("/my/report/", {"period_from": "2026-01-01", "period_to": "\x00"})
    assert control.status_code == 400
    assert not IssuedReport.objects.exists()


def test_public_special_report_says_nothing_per_area(client, scene, honoured):
    response = client.get(f"/subjects/{honoured.identifier}/special-report/")
    assert response.status_code == 200
    pdf = _download(
        client, f"/subjects/{honoured.identifier}/special-report/", period_from="", period_to=""
    )
    report = IssuedReport.objects.get(kind="special")
    assert report.audience == "public" and report.snapshot == {}
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    for statement in (
        "该期间内无行政处罚记录",
        "该期间内无失信名单或重点关注名单记录",
        "该期间内无其他失信记录",
        report.number,
        "全国信用信息共享平台",
    ):
        assert statement in text  # fmt: skip


def _pdf_text(pdf: bytes) -> str:
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        pytest.skip("poppler-utils not installed")
    out = subprocess.run([pdftotext, "-enc", "UTF-8", "-", "-"], input=pdf,  # noqa: S603
                         capture_output=True, check=True)  # fmt: skip
    return out.stdout.decode()


BAD = ["%", "'", "\x00", "a" * 5000, "１２３", "<script>", "-1", "9" * 30, "2026-02-30"]


def test_bad_input_signed_in_never_500(my_client, company_account, scene):
    client = my_client(company_account)
    templates = [
        "/my/entries/{}/objection/",
        "/my/entries/{}/repair/",
        "/my/report/?period_from={}&period_to={}",
        "/my/disputes/?new={}",
        "/my/access-log/?agency={}&purpose={}&date_from={}&date_to={}",
        "/my/access-log/?export=csv&agency={}&date_from={}",
        "/my/consents/{}/withdraw/",
    ]
    for template in templates:
        for value in BAD:
            response = client.get(template.replace("{}", value))
            assert response.status_code < 500, (template, value, response.status_code)
    for value in BAD:
        for url, data in [
            ("/my/sign-in/", {"email": value, "password": value}),
            ("/my/colleagues/", {"email": value}),
            ("/my/self-info/", {"employees": value, "website": value, "operating_status": value}),
            ("/my/commitments/", {"commitment_type": value, "agree": value}),
            (
                "/my/consents/",
                {
                    "agency": value,
                    "purpose": value,
                    "items": value,
                    "all_restricted": value,
                    "valid_until": value,
                },
            ),  # fmt: skip
            (f"/my/entries/{scene['entry'].pk}/objection/", {"disputed_facts": value}),
        ]:
            response = client.post(url, data)
            assert response.status_code < 500, (url, value, response.status_code)
    assert not IssuedReport.objects.exists()
