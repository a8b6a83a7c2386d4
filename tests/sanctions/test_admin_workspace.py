"""Implementing agencies in the admin: the publication confirmation from the memorandum dry
run, sanction titles, "to enforce" with filters and CSV/XLSX exports, feedback from the page
and as a bulk action through the API's service, and the scoping of all of it."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from blacklists import services as lists
from sanctions.models import Sanction, SanctionFeedback
from tests import factories as f
from tests.sanctions.conftest import draft, drain, publish

pytestmark = pytest.mark.django_db

ENFORCE = "/admin/sanctions/to-enforce/"


@pytest.fixture
def imposed(scene, company):
    f.role(company, f.subject("natural_person", name="李四"))
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    return company


def test_publish_confirmation_counts_measures_and_agencies(client, scene, company, alice, bob):
    f.role(company, f.subject("natural_person", name="李四"))
    entry = draft(scene["list"], company, alice)
    lists.list_entry_submit(actor=alice, entry=entry)
    lists.list_entry_approve(actor=bob, entry=entry)
    lists.list_entry_notify(actor=alice, entry=entry, via="electronic", reference="N-1")
    scene[
        "list"
    ].immediate_publication_basis = "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
    scene["list"].save()
    client.force_login(alice)
    html = client.get(f"/admin/blacklists/listentry/{entry.pk}/change/").content.decode()
    # M01 and M03 by CAAC, M02 by the railway: three measures, two agencies.
    assert "发布后，以下 3 项联合惩戒措施将由 2 个部门实施" in html
    assert "限制乘坐高铁" in html and "限制法定代表人出境" in html
    response = client.post(
        f"/admin/blacklists/listentry/{entry.pk}/transition/", {"action": "publish"}, follow=True
    )
    assert any(str(m).startswith("已公示") for m in response.context["messages"])
    drain()
    assert Sanction.objects.filter(entry=entry).count() == 3  # what the confirmation said


def test_sanction_title_is_measure_target_and_status(imposed):
    sanction = Sanction.objects.get(measure__code="M01")
    assert str(sanction) == "限制乘坐民用航空器 · 杭州恒信电子科技有限公司 · 实施中"


def test_to_enforce_lists_only_the_agencys_sanctions_in_force(client, imposed, caac, railway):
    client.force_login(f.user("caac-clerk", caac))
    page = client.get(ENFORCE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "限制乘坐民用航空器" in html and "限制法定代表人出境" in html
    assert "限制乘坐高铁" not in html  # the railway's
    only_m01 = client.get(
        ENFORCE, {"measure": f"{Sanction.objects.first().measure.memorandum.key}:M01"}
    )
    table = only_m01.content.decode().split('id="result_list"')[1]
    assert "限制乘坐民用航空器" in table and "限制法定代表人出境" not in table
    future = client.get(ENFORCE, {"imposed_from": "2999-01-01"}).content.decode()
    assert "按当前条件没有待实施的惩戒" in future

    client.force_login(f.user("rail-clerk", railway))
    html = client.get(ENFORCE).content.decode()
    assert "限制乘坐高铁" in html and "限制乘坐民用航空器" not in html


def test_exports_csv_and_xlsx_with_ids_as_the_agency_may_see_them(client, imposed):
    person = Sanction.objects.get(measure__code="M03").target
    client.force_login(f.user("caac-clerk2", Sanction.objects.first().implementing_agency))
    body = b"".join(client.get(ENFORCE, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["措施", "必须实施", "主体", "代码"]
    assert len(rows) == 3  # header + M01 + M03
    assert person.identifier in body  # CAAC's tasks need the full ID (checking passengers)
    book = load_workbook(io.BytesIO(client.get(ENFORCE, {"export": "xlsx"}).content))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 3
    assert person.identifier in [v for row in values for v in row]  # kept as text, not 1.1E+17


def test_railway_sees_a_listed_person_masked_on_page_and_in_exports(client, scene, person, railway):
    publish(scene["list"], person, scene["clerk"], scene["reviewer"])
    drain()
    client.force_login(f.user("rail-clerk", railway))  # no need for full resident IDs
    html = client.get(ENFORCE).content.decode()
    assert person.masked_identifier in html and person.identifier not in html
    body = b"".join(client.get(ENFORCE, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert person.masked_identifier in body and person.identifier not in body
    xlsx = client.get(ENFORCE, {"export": "xlsx"}).content
    cells = [c.value for row in load_workbook(io.BytesIO(xlsx)).active.iter_rows() for c in row]
    assert person.masked_identifier in cells and person.identifier not in cells


def test_feedback_from_the_sanction_page_through_the_service(client, imposed, caac, railway):
    m01 = Sanction.objects.get(measure__code="M01")
    m02 = Sanction.objects.get(measure__code="M02")
    client.force_login(f.user("caac-clerk", caac))
    html = client.get(f"/admin/sanctions/sanction/{m01.pk}/change/").content.decode()
    assert 'id="feedback-form"' in html
    assert 'value="declined"' not in html  # a mandatory measure cannot be declined
    response = client.post(
        f"/admin/sanctions/sanction/{m01.pk}/feedback/",
        {"outcome": "declined", "reason": "x"},
        follow=True,
    )
    assert not SanctionFeedback.objects.exists()
    assert any("反馈结果" in str(m) for m in response.context["messages"])
    client.post(f"/admin/sanctions/sanction/{m01.pk}/feedback/", {"outcome": "applied"})
    fb = SanctionFeedback.objects.get()
    assert (fb.sanction, fb.outcome, fb.recorded_by.username) == (m01, "applied", "caac-clerk")
    # Another agency's sanction: not even found.
    assert (
        client.post(
            f"/admin/sanctions/sanction/{m02.pk}/feedback/", {"outcome": "applied"}
        ).status_code
        == 404
    )

    client.force_login(f.user("rail-clerk", railway))
    html = client.get(f"/admin/sanctions/sanction/{m02.pk}/change/").content.decode()
    assert 'value="declined"' in html  # discretionary
    client.post(
        f"/admin/sanctions/sanction/{m02.pk}/feedback/",
        {"outcome": "declined", "reason": "旅客已购票出行前已撤销"},
    )
    assert SanctionFeedback.objects.filter(sanction=m02, outcome="declined").exists()


def test_bulk_feedback_action_asks_then_records(client, imposed, caac, alice):
    ids = list(Sanction.objects.filter(implementing_agency=caac).values_list("pk", flat=True))
    client.force_login(f.user("caac-clerk", caac))
    ask = client.post(
        "/admin/sanctions/sanction/", {"action": "record_feedback", "_selected_action": ids}
    )
    assert ask.status_code == 200 and "将对以下惩戒登记反馈" in ask.content.decode()
    done = client.post(
        "/admin/sanctions/sanction/",
        {"action": "record_feedback", "_selected_action": ids, "apply": "1", "outcome": "applied"},
        follow=True,
    )
    assert "已对 2 项惩戒登记反馈。" in [str(m) for m in done.context["messages"]]
    assert SanctionFeedback.objects.filter(outcome="applied").count() == 2
    # The court caused these sanctions and sees them, but does not implement them.
    client.force_login(alice)
    client.post(
        "/admin/sanctions/sanction/",
        {"action": "record_feedback", "_selected_action": ids, "apply": "1", "outcome": "applied"},
    )
    assert SanctionFeedback.objects.count() == 2


def test_enforcement_queue_on_the_home_page(client, imposed, caac):
    client.force_login(f.user("caac-clerk", caac))
    page = client.get("/admin/").content.decode()
    assert 'aria-label="待实施且尚未反馈的惩戒: 2"' in page
    assert "/admin/sanctions/to-enforce/?feedback=none" in page
