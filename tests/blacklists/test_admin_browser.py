"""The clerk's workspace in a real headless Chromium (Debian's): a clerk drafts an entry by
typing part of a name, a reviewer approves it from the home page's queue, records notice and
publishes it after reading the dry run's confirmation, and the airline regulator's clerk finds
the new sanction in "to enforce", records feedback and exports the list. At 1280 and 1024 px,
with visible keyboard focus and every input labelled. Screenshots go to
test-artifacts/screenshots/admin-*.png (git-ignored).

It lives among the lists tests so that it runs after rollback-only tests: serialized_rollback
restores the migrated rows by primary key, which collides with content types re-created by an
earlier transactional test's flush."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from blacklists.models import EntryState, ListEntry
from sanctions.models import Sanction, SanctionFeedback
from tests import factories as f
from tests.publicity.test_browser import ARGS, CHROMIUM, SHOTS
from tests.sanctions.conftest import drain

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-for-tests-123"


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def world():
    court = f.agency("法院", personal_ids=True)
    caac = f.agency("民航局", personal_ids=True)
    railway = f.agency("国铁集团")
    court_list = f.list_definition(
        court,
        name="失信被执行人名单",
        immediate_publication_basis="《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
    )
    f.memorandum(
        [court_list],
        [court, caac, railway],
        [
            {"code": "M01", "text": "限制乘坐民航飞机", "agency": caac},
            {"code": "M02", "text": "限制乘坐高铁", "agency": railway, "mandatory": False},
        ],
    )
    company = f.subject("enterprise", name="杭州恒信电子科技有限公司")
    f.subject("enterprise", name="杭州恒达机械制造有限公司")
    return {
        "list": court_list,
        "company": company,
        "alice": f.user("alice", court, "clerk"),
        "bob": _with_totp(f.user("bob", court, "reviewer")),
        "caac_clerk": f.user("minhang", caac, "clerk"),
    }


def _with_totp(user):
    """Reviewers confirm each sign-in with a TOTP code: give this one an enrolled device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def login(page, url, username):
    """Sign in; reviewers then confirm with a code from their TOTP device (issue 10)."""
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    if "/admin/otp/" in page.url:
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
        page.locator("input[name=token]").fill(code)
        page.locator("input[name=token]").press("Enter")
    page.wait_for_url(f"{url}/admin/")


def unlabelled_inputs(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
                 '#content input, #content select, #content textarea'))
             .filter(el => !['hidden', 'submit', 'button'].includes(el.type)
                           && el.offsetParent !== null)
             .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                           && !el.getAttribute('aria-labelledby'))
             .map(el => el.name || el.id)"""
    )


def focus_is_visible(page) -> bool:
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""
    )


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


def test_clerk_reviewer_and_implementing_agency(browser, live_server, world):
    url = live_server.url
    court_list, company = world["list"], world["company"]

    # --- the clerk drafts, choosing the subject by typing part of its name -----------------
    clerk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = clerk.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, url, "alice")
    assert "我的待办" in page.content()
    page.goto(f"{url}/admin/blacklists/listentry/add/")
    assert unlabelled_inputs(page) == []
    assert focus_is_visible(page)
    page.select_option("#id_list", str(court_list.pk))
    # Only this list's grounds and tiers are offered, each tier with its duration range.
    tier_labels = page.locator("#id_tier option:not([hidden])").all_inner_texts()
    assert "一般（3–12 个月）" in tier_labels
    page.locator(".field-subject .select2-selection").click()
    page.locator(".select2-search__field").fill("恒信")
    option = page.locator(".select2-results__option", has_text="杭州恒信电子科技有限公司")
    option.wait_for()
    assert company.identifier in option.inner_text() and "企业" in option.inner_text()
    page.screenshot(path=SHOTS / "admin-autocomplete-1280.png", full_page=True)
    option.click()
    page.select_option("#id_ground", label="G1 拒不履行生效法律文书")
    page.select_option("#id_tier", label="一般（3–12 个月）")
    page.fill("#id_duration_months", "6")
    page.fill("#id_decision_number", "（2026）浙01执恢123号")
    page.fill("#id_decision_date", "2026-01-05")
    page.fill("#id_decision_issuer", "杭州市中级人民法院")
    page.fill("#id_facts", "有履行能力而拒不履行生效法律文书确定的给付义务。")
    page.locator("input[name=_continue]").click()
    page.wait_for_selector("#step-submit")
    entry = ListEntry.objects.get()
    title = f"失信被执行人名单 · 杭州恒信电子科技有限公司（{company.identifier[:4]}…） · 草稿"
    assert title in page.content()
    page.locator("#step-submit input[type=submit]").click()
    page.wait_for_selector(".messagelist")
    assert "已提交审核" in page.locator(".messagelist").inner_text()
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED

    # --- the reviewer works it off the home page's queue ---------------------------------------
    reviewer = browser.new_context(viewport={"width": 1024, "height": 800}, locale="zh-CN")
    page = reviewer.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, url, "bob")
    page.screenshot(path=SHOTS / "admin-home-reviewer-1024.png", full_page=True)
    page.get_by_role("link", name="待我审核: 1").click()
    page.get_by_role("link", name=str(entry)).click()
    page.fill("#id_approve_reason", "材料齐全，事实清楚。")
    page.locator("#step-approve input[type=submit]").click()
    page.wait_for_selector("#step-notify")
    page.select_option("#id_notify_via", "registered_mail")
    page.fill("#id_notify_reference", "挂号信 XA123456789CN")
    page.locator("#step-notify input[type=submit]").click()
    page.wait_for_selector("#step-publish")
    confirmation = page.locator("#step-publish-confirmation").inner_text()
    assert "发布后，以下 2 项联合惩戒措施将由 2 个部门实施" in confirmation
    assert "限制乘坐民航飞机" in confirmation
    assert no_horizontal_scroll(page)
    page.screenshot(path=SHOTS / "admin-publish-confirmation-1024.png", full_page=True)
    page.locator("#step-publish input[type=submit]").click()
    page.wait_for_selector(".messagelist")
    assert "已公示" in page.locator(".messagelist").inner_text()
    assert "操作记录" in page.content() and "待审核 → 已审核通过" in page.content()
    entry.refresh_from_db()
    assert entry.state == EntryState.PUBLISHED
    drain()  # what the outbox sweep does every 30 s
    sanction = Sanction.objects.get(measure__code="M01")

    # --- the airline regulator's clerk enforces, reports and exports ---------------------------
    agency = browser.new_context(
        viewport={"width": 1024, "height": 800}, locale="zh-CN", accept_downloads=True
    )
    page = agency.new_page()
    login(page, url, "minhang")
    page.get_by_role("link", name="待实施且尚未反馈的惩戒: 1").click()
    page.wait_for_selector("#result_list")
    assert "限制乘坐民航飞机" in page.locator("#result_list").inner_text()
    assert "限制乘坐高铁" not in page.content()
    assert unlabelled_inputs(page) == []
    page.screenshot(path=SHOTS / "admin-to-enforce-1024.png", full_page=True)
    page.get_by_role("link", name="限制乘坐民航飞机").click()
    page.select_option("#id_outcome", "applied")
    page.get_by_role("button", name="登记实施反馈").click()
    page.wait_for_selector(".messagelist")
    assert "已登记反馈" in page.locator(".messagelist").inner_text()
    assert SanctionFeedback.objects.get().sanction == sanction

    page.goto(f"{url}/admin/sanctions/to-enforce/")
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert rows[1][0] == "限制乘坐民航飞机" and rows[1][3] == company.identifier
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # a zip: an XLSX file
    for context in (clerk, reviewer, agency):
        context.close()
