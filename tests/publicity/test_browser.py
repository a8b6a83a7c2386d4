"""The portal in a real headless Chromium (Debian's, no browser download): search by name and
by code, open a subject, see a masked ID, switch language, download the PDF and read it, file
an objection and track it. Screenshots go to test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.publicity.test_submissions import real_pdf

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    # live_server needs committed data; serialized_rollback restores the divisions afterwards.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made here by the
    # test itself are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def test_public_journey(browser, live_server, scene, tmp_path):
    company, person = scene["company"], scene["person"]
    context = browser.new_context(
        viewport={"width": 375, "height": 800}, accept_downloads=True, locale="zh-CN"
    )
    page = context.new_page()
    url = live_server.url

    # Home, in Chinese by default; search by a fragment of the name.
    page.goto(f"{url}/")
    assert page.locator("h1").inner_text() == "信用信息查询"
    page.screenshot(path=SHOTS / "home-375.png", full_page=True)
    page.get_by_label("名称或统一社会信用代码").fill("恒信电子")
    page.get_by_role("button", name="查询").first.click()
    page.wait_for_url("**/search/**")
    page.screenshot(path=SHOTS / "search-375.png", full_page=True)
    assert page.get_by_role("link", name="杭州恒信电子科技有限公司").is_visible()

    # Search by code (lower case, spaces): one result; open the subject.
    page.get_by_label("名称或统一社会信用代码").fill(f" {company.identifier.lower()} ")
    page.get_by_role("button", name="查询").first.click()
    page.get_by_role("link", name="杭州恒信电子科技有限公司").click()
    page.wait_for_url(f"**/subjects/{company.identifier}/")
    assert "限制乘坐民用航空器" in page.content()
    page.screenshot(path=SHOTS / "subject-375.png", full_page=True)
    # Usable at 375 px: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # A listed person: masked ID only.
    page.goto(f"{url}/search/?q=李四")
    page.get_by_role("link", name="李四").click()
    shown = page.get_by_test_id("identifier").inner_text()
    assert shown == person.masked_identifier
    assert person.identifier not in page.content()
    page.screenshot(path=SHOTS / "person-375.png", full_page=True)

    # The PDF report: download it and read its text.
    with page.expect_download() as info:
        page.get_by_role("link", name="下载信用报告（PDF）").click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603
            [shutil.which("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()
        assert "李四" in text and person.masked_identifier in text
        assert person.identifier not in text

    # Switch to English: the same page, translated.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="List entries in publicity").is_visible()
    page.screenshot(path=SHOTS / "person-en-375.png", full_page=True)

    # Object to the company's entry and track it (back in Chinese).
    page.get_by_role("button", name="中文").click()
    page.goto(f"{url}/subjects/{company.identifier}/")
    page.get_by_role("link", name="对该记录提出异议").click()
    page.get_by_label("您的姓名").fill("杭州恒信电子科技有限公司")
    page.get_by_label("联系方式（电话或电子邮箱）").fill("0571-12345678")
    page.get_by_label("哪些记载的事实有误，正确情况是什么").fill("款项已履行完毕。")
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(real_pdf())  # the evidence store parses the whole file
    page.get_by_label("证明材料").set_input_files(str(evidence))
    page.screenshot(path=SHOTS / "objection-375.png", full_page=True)
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url("**/track/**")
    number = page.get_by_test_id("tracking-number").inner_text()
    assert number.startswith("OB")
    assert page.get_by_test_id("status").inner_text().strip() == "待处理"
    page.screenshot(path=SHOTS / "track-375.png", full_page=True)
    page.goto(f"{url}/track/")
    page.get_by_label("受理编号").fill(number)
    page.get_by_role("button", name="查询").last.click()
    assert page.get_by_test_id("tracking-number").inner_text() == number

    # Desktop screenshots of the other main pages.
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desktop = wide.new_page()
    for name, path in [
        ("home", "/"),
        ("search", "/search/?q=有限公司"),
        ("subject", f"/subjects/{company.identifier}/"),
        ("lists", "/lists/"),
        ("list", f"/lists/{scene['entry'].list_id}/"),
        ("memoranda", "/memoranda/"),
        ("memorandum", f"/memoranda/{scene['memorandum'].pk}/"),
        ("stats", "/stats/"),
    ]:
        desktop.goto(f"{url}{path}")
        assert desktop.locator("h1").count() == 1
        desktop.screenshot(path=SHOTS / f"{name}-1280.png", full_page=True)
    wide.close()
