"""The subject's window in a real headless Chromium (Debian's): invite → activate → sign in →
see a government-only record → file an objection from the item → download the special
credit report → verify it at /reports/<number>/. A natural person's sign-in asks for the
TOTP code. Screenshots go to test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.my.conftest import PASSWORD, make_account, totp_code
from tests.publicity.test_browser import CHROMIUM, SHOTS, browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_subject_journey(browser, live_server, scene, tmp_path, settings):  # noqa: F811
    settings.PORTAL_BASE_URL = live_server.url
    company, records = scene["company"], scene["records"]
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

    # Object to the entry from the item itself, with evidence.
    entry = page.get_by_test_id(f"entry-{scene['entry'].pk}")
    entry.get_by_role("link", name="对该记录提出异议").click()
    page.get_by_label("哪些记载的事实有误，正确情况是什么").fill("款项已于2026年2月全部履行。")
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%evidence\n")
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


def test_natural_person_signs_in_with_a_second_factor(browser, live_server, listed_person):  # noqa: F811
    account = make_account(listed_person, "lisi@example.cn", totp=True)
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/my/sign-in/")
    page.get_by_label("电子邮箱").fill("lisi@example.cn")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my/second-factor/**")
    page.goto(f"{live_server.url}/my/")  # the password alone does not open the file
    page.wait_for_url("**/my/second-factor/**")
    page.get_by_label("身份验证器应用显示的6位动态码").fill(totp_code(account))
    page.screenshot(path=SHOTS / "my-second-factor-375.png", full_page=True)
    page.get_by_role("button", name="确认").click()
    page.wait_for_url(f"{live_server.url}/my/")
    assert listed_person.masked_identifier in page.content()
    assert listed_person.identifier not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOTS / "my-file-375.png", full_page=True)
    context.close()
