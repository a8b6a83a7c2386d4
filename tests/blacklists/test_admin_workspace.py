"""The clerk's workspace on the lists admin: human titles, the subject autocomplete over the
shared search (masked for agencies that may not see resident IDs), grounds and tiers of the
chosen list, work queues, state-aware steps, readable history and the import page."""

from __future__ import annotations

import io
import json

import pytest
from django.utils import translation
from openpyxl import load_workbook

from blacklists import importing, services
from blacklists.models import EntryState
from tests import factories as f
from tests.blacklists.conftest import draft

pytestmark = pytest.mark.django_db

BASE = "/admin/blacklists/listentry/"
AUTOCOMPLETE = "/admin/autocomplete/"


def autocomplete(client, term):
    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "blacklists",
            "model_name": "listentry",
            "field_name": "subject",
            "term": term,
        },
    )
    assert response.status_code == 200
    return [r["text"] for r in json.loads(response.content)["results"]]


# --- titles ------------------------------------------------------------------------------------


def test_entry_title_names_list_subject_and_state_without_ids(make_entry, company):
    entry = make_entry("submitted", subject=company)
    with translation.override("zh-hans"):
        title = str(entry)
    assert (
        title
        == f"{entry.list.name} · 杭州恒信电子科技有限公司（{company.identifier[:4]}…） · 待审核"
    )


def test_person_titles_never_carry_the_full_resident_id(court_list, person, alice, client):
    entry = draft(court_list, person, alice)
    assert person.identifier not in str(entry)
    client.force_login(alice)
    page = client.get(BASE).content.decode()
    assert "张三" in page
    assert f"#{entry.pk}" not in page


# --- choosing a subject ---------------------------------------------------------------------


def test_autocomplete_finds_by_name_fragment_and_by_code(client, alice, company):
    f.subject("enterprise", name="宁波海天塑机集团有限公司")
    client.force_login(alice)
    texts = autocomplete(client, "恒信")
    assert texts == [f"杭州恒信电子科技有限公司 · {company.identifier} · 企业"]
    # A code typed in lower case with spaces still finds it (the one identifier parser).
    spaced = company.identifier.lower()[:9] + " " + company.identifier.lower()[9:]
    assert autocomplete(client, spaced) == texts


def test_autocomplete_masks_resident_ids_for_agencies_whose_tasks_do_not_need_them(
    client, carol, alice, person
):
    client.force_login(carol)  # customs: may not see full resident IDs
    texts = autocomplete(client, "张三")
    assert texts == [f"张三 · {person.masked_identifier} · 自然人"]
    assert person.identifier not in json.dumps(texts)
    # Even typing the full ID answers with the masked one.
    assert autocomplete(client, person.identifier) == texts
    client.force_login(alice)  # the court: its tasks need the full ID
    assert autocomplete(client, "张三") == [f"张三 · {person.identifier} · 自然人"]


def test_subject_changelist_masks_ids_for_agencies_without_the_need(client, carol, person):
    client.force_login(carol)
    page = client.get("/admin/registry/subject/", {"q": "张三"}).content.decode()
    assert person.masked_identifier in page and person.identifier not in page
    page = client.get(f"/admin/registry/subject/{person.pk}/change/").content.decode()
    assert person.identifier not in page  # nor in the audit history
    assert f"代码:  → {person.masked_identifier}" in page


def test_add_form_ties_grounds_and_tiers_to_their_list(client, court, court_list, alice):
    other = f.list_definition(court)
    client.force_login(alice)
    html = client.get(f"{BASE}add/").content.decode()
    tier = court_list.tiers.get(tier="general")
    assert f'data-list="{court_list.pk}"' in html and f'data-list="{other.pk}"' in html
    assert f"一般（{tier.min_months}–{tier.max_months} 个月）" in html
    assert "workspace/entry_form.js" in html
    assert 'class="admin-autocomplete' in html  # the subject is chosen by typing


# --- work queues ---------------------------------------------------------------------------------


def test_home_page_queues_per_role_link_to_filtered_changelists(
    client, court_list, make_entry, alice, bob, bea
):
    draft(court_list, f.subject("enterprise"), alice)
    draft(court_list, f.subject("enterprise"), alice)
    returned = make_entry("submitted")
    services.list_entry_return(actor=bob, entry=returned, reason="补充事实")
    make_entry("submitted")
    client.force_login(alice)
    page = client.get("/admin/").content.decode()
    assert "我的待办" in page
    assert 'href="/admin/blacklists/listentry/?queue=my_drafts"' in page
    assert 'aria-label="我的草稿: 2"' in page
    assert 'aria-label="退回给我的记录: 1"' in page
    assert "待我审核" not in page  # a clerk reviews nothing
    listed = client.get(BASE, {"queue": "my_drafts"}).context["cl"].result_list
    assert len(listed) == 2

    client.force_login(bea)
    page = client.get("/admin/").content.decode()
    assert 'aria-label="待我审核: 1"' in page
    assert len(client.get(BASE, {"queue": "to_review"}).context["cl"].result_list) == 1


def test_objection_queue_shows_overdue_and_the_next_deadline(client, notified, bob):
    objection = services.objection_file(
        entry=notified, filed_by_name="甲", contact="138", disputed_facts="金额有误"
    )
    client.force_login(bob)
    page = client.get("/admin/").content.decode()
    assert 'aria-label="待处理的异议: 1"' in page
    assert f"最近期限 {objection.decide_by:%Y-%m-%d}" in page


# --- steps, confirmations, history -------------------------------------------------------------


def test_steps_follow_state_and_role(client, make_entry, alice, bob):
    def offered(user, entry):
        client.force_login(user)
        html = client.get(f"{BASE}{entry.pk}/change/").content.decode()
        keys = ("submit", "approve", "return", "notify", "publish", "revoke")
        return {k for k in keys if f'id="step-{k}"' in html}, html

    assert offered(alice, make_entry("draft"))[0] == {"submit"}
    assert offered(bob, make_entry("draft"))[0] == {"submit", "revoke"}
    steps, html = offered(alice, make_entry("approved"))
    assert steps == {"notify"}
    assert 'id="id_notify_via"' in html and 'for="id_notify_via"' in html  # labelled
    assert "登记告知后开始计算" in html
    steps, html = offered(alice, make_entry("notified"))
    assert steps == set()  # the window still runs: publication is not offered
    assert "异议期至" in html
    assert offered(bob, make_entry("published"))[0] == {"revoke"}


def test_history_is_readable_in_local_time(client, make_entry, alice):
    entry = make_entry("submitted")
    client.force_login(alice)
    html = client.get(f"{BASE}{entry.pk}/change/").content.decode()
    assert "时间（北京时间）" in html
    assert "状态: 草稿 → 待审核" in html
    assert "提交人: " in html and "alice" in html
    event = entry.events.order_by("-pgh_id").first()
    from django.utils import timezone

    assert f"{timezone.localtime(event.pgh_created_at):%Y-%m-%d %H:%M}" in html


# --- import page ----------------------------------------------------------------------------------


def test_import_page_in_chinese_with_templates(client, court_list, alice):
    client.force_login(alice)
    page = client.get(f"{BASE}import/").content.decode()
    assert "任何一行有误则全部不导入" in page
    csv_body = client.get(f"{BASE}import/template.csv").content.decode("utf-8-sig")
    assert csv_body.splitlines()[0].split(",") == importing.COLUMNS
    assert court_list.key in csv_body
    xlsx = client.get(f"{BASE}import/template.xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert [c.value for c in next(sheet.iter_rows())] == importing.COLUMNS
    assert client.get(f"{BASE}import/template.exe").status_code == 404


def test_import_reports_every_bad_row_at_once(client, court_list, alice):
    client.force_login(alice)
    rows = [",".join(importing.COLUMNS)]
    for n in range(3):
        rows.append(
            f"{court_list.key},NOT-A-CODE-{n},G1,general,6,（2026）浙01执{n}号,2026-01-05,法院,事实"
        )
    upload = io.BytesIO("\n".join(rows).encode("utf-8"))
    upload.name = "entries.csv"
    response = client.post(f"{BASE}import/", {"file": upload}, follow=True)
    html = response.content.decode()
    assert "发现 3 个问题：未导入任何记录。" in html
    assert html.count("<tr><td>") >= 3
    assert not court_list.entries.exists()


def test_entry_state_labels_are_chinese(make_entry):
    assert make_entry("published").get_state_display() == "已公示"
    assert EntryState.SUBMITTED.label == "待审核"
