"""The subject's window in a real headless Chromium (Debian's): invite → activate → sign in →
see a government-only record → see an agency's consultation in the access log → withdraw a
consent → file an objection from the item → download the special credit report → verify it
at /reports/<number>/. A natural person is invited, activates, enrols TOTP from the key the
page shows and signs in again with a code. Screenshots go to test-artifacts/screenshots/
(git-ignored)."""

from __future__ import annotations

import datetime
import importlib
import io
import shutil
import subprocess
from base64 import b32decode
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import TOTP

from sharing import services as sharing_services
from sharing.models import Consent, Purpose
from tests.conftest import api_client_for
from tests.my.conftest import PASSWORD
from tests.publicity.test_browser import CHROMIUM, SHOTS, browser  # noqa: F401 (fixture)
from tests.publicity.test_submissions import real_pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _purposes():
    """The default purposes come from a data migration that a transactional test's flush wiped."""
    importlib.import_module("sharing.migrations.0002_default_purposes").forwards(apps, None)


def test_subject_journey(browser, live_server, scene, customs, tmp_path, settings):  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    company, records = scene["company"], scene["records"]
    _purposes()
    # Customs consults the file for a case, through the API (the officer is a named user).
    officer = api_client_for(customs, username="customs-officer-wang")
    reference = "杭關緝〔2026〕１７号"
    consulted = officer.get(
        f"/api/v1/subjects/{company.identifier}/file/",
        {"purpose": "enforcement", "reference": reference},
    )
    assert consulted.status_code == 200
    # A consent the subject gave earlier, still in force.
    consent = sharing_services.consent_grant(
        actor=None,
        subject=company,
        agency=customs,
        purpose=Purpose.objects.get(code="enforcement"),
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
        all_restricted=True,
        given=Consent.Given.ONLINE,
        evidence_reference="account:test",
    )
    out = io.StringIO()
    call_command("subject_invite", company.identifier, "holder@hengxin.example", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    assert link.startswith(f"{live_server.url}/my/activate/")

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
    )
    page = context.new_page()

    # Activate: choose a password; the link then stops working.
    page.goto(link)
    assert page.locator("h1").inner_text() == "激活账号"
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.screenshot(path=SHOTS / "my-activate.png", full_page=True)
    page.get_by_role("button", name="激活").click()
    page.wait_for_url(f"{live_server.url}/my/")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/my/sign-in/")
    page.goto(link)
    assert "激活链接无效" in page.content()

    # Sign in at /my/ (not the admin).
    page.goto(f"{live_server.url}/my/")
    page.wait_for_url("**/my/sign-in/**")
    page.get_by_label("电子邮箱").fill("holder@hengxin.example")
    page.locator("#id_password").fill(PASSWORD)
    page.screenshot(path=SHOTS / "my-sign-in.png", full_page=True)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/my/")

    # The whole file: the government-only record is there, with its tier.
    row = page.get_by_test_id(f"record-{records['internal'].pk}")
    assert row.is_visible() and "政务共享" in row.inner_text()
    assert page.get_by_test_id(f"record-{records['expired'].pk}").is_visible()
    page.screenshot(path=SHOTS / "my-file.png", full_page=True)

    # Who looked: customs, its purpose and reference, never the officer's name.
    page.get_by_role("link", name="谁查询了我的档案").click()
    page.wait_for_url("**/my/access-log/")
    log = page.get_by_test_id("access-log")
    assert customs.subject.name in log.inner_text() and reference in log.inner_text()
    assert "执法办案" in log.inner_text()
    assert "customs-officer-wang" not in page.content()
    page.screenshot(path=SHOTS / "my-access-log.png", full_page=True)

    # Withdraw the consent: it moves to the past consents.
    page.get_by_role("link", name="授权", exact=True).click()
    page.wait_for_url("**/my/consents/")
    row = page.get_by_test_id(f"consent-{consent.pk}")
    assert "全部受限信息项" in row.inner_text()
    row.get_by_role("button", name="撤回").click()
    page.wait_for_url("**/my/consents/")
    assert page.get_by_test_id("consents-in-force").count() == 0
    assert "已撤回" in page.get_by_test_id("consents-past").inner_text()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    page.screenshot(path=SHOTS / "my-consents.png", full_page=True)
    page.get_by_role("link", name="我的信用档案").click()
    page.wait_for_url(f"{live_server.url}/my/")

    # Object to the entry from the item itself, with evidence.
    entry = page.get_by_test_id(f"entry-{scene['entry'].pk}")
    entry.get_by_role("link", name="对该记录提出异议").click()
    page.get_by_label("哪些记载的事实有误，正确情况是什么").fill("款项已于2026年2月全部履行。")
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(real_pdf())  # the evidence store parses the whole file
    page.get_by_label("证明材料").set_input_files(str(evidence))
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url("**/my/disputes/**")
    assert "待处理" in page.content()
    page.screenshot(path=SHOTS / "my-disputes.png", full_page=True)

    # The special credit report: download it, read it, verify it.
    page.get_by_role("link", name="专项信用报告").first.click()
    with page.expect_download() as info:
        page.get_by_role("button", name="下载专项信用报告（PDF）").click()
    pdf = tmp_path / "special.pdf"
    info.value.save_as(pdf)
    number = info.value.suggested_filename.removesuffix(".pdf")
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603
            [shutil.which("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()
        assert number in text and "专项信用报告" in text and "行政处罚" in text
        assert records["penalty"].title in text
    page.goto(f"{live_server.url}/reports/{number}/")
    assert page.get_by_test_id("unchanged").is_visible()
    page.get_by_label("待核验的报告 PDF").set_input_files(str(pdf))
    page.get_by_role("button", name="核验", exact=True).last.click()
    assert "该文件与所出具的报告一致" in page.content()
    page.screenshot(path=SHOTS / "my-report-verified.png", full_page=True)
    context.close()


def _code_for(secret: str, at: datetime.datetime) -> str:
    """What an authenticator app that scanned ``secret`` (base32, as the page shows it) shows."""
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)), step=30, digits=6)
    totp.time = at.timestamp()
    return f"{totp.token():06d}"


def test_natural_person_enrols_and_signs_in_with_a_second_factor(
    browser,  # noqa: F811
    live_server,
    listed_person,
    settings,
):
    settings.PORTAL_BASE_URL = live_server.url
    out = io.StringIO()
    call_command("subject_invite", listed_person.identifier, "lisi@example.cn", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(link)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="激活").click()
    # A natural person cannot skip the second factor: enrol with the key shown.
    page.wait_for_url("**/my/second-factor/**")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert len(secret) >= 16
    page.screenshot(path=SHOTS / "my-totp-enrol-375.png", full_page=True)
    earlier = timezone.now() - datetime.timedelta(seconds=30)  # keep the current step unused
    page.get_by_label("身份验证器应用显示的6位动态码").fill(_code_for(secret, earlier))
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(f"{live_server.url}/my/")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/my/sign-in/")

    page.goto(f"{live_server.url}/my/sign-in/")
    page.get_by_label("电子邮箱").fill("lisi@example.cn")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my/second-factor/**")
    page.goto(f"{live_server.url}/my/")  # the password alone does not open the file
    page.wait_for_url("**/my/second-factor/**")
    page.get_by_label("身份验证器应用显示的6位动态码").fill(_code_for(secret, timezone.now()))
    page.screenshot(path=SHOTS / "my-second-factor-375.png", full_page=True)
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(f"{live_server.url}/my/")
    assert listed_person.masked_identifier in page.content()
    assert listed_person.identifier not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOTS / "my-file-375.png", full_page=True)
    context.close()
