"""The lists admin: agency scoping, transitions through the services with refusals shown as
messages, drafting and editing through the services, and deciding objections and repairs."""

from __future__ import annotations

import pytest

from blacklists import services
from blacklists.models import EntryState, ListEntry, Objection, OutboxEvent
from tests import factories as f
from tests.blacklists.conftest import draft

pytestmark = pytest.mark.django_db

BASE = "/admin/blacklists/listentry/"


def change_url(entry) -> str:
    return f"{BASE}{entry.pk}/change/"


def move(client, entry, action, **data):
    """POST the transition form and follow the redirect back to the change page."""
    return client.post(f"{BASE}{entry.pk}/transition/", {"action": action, **data}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def form_data(definition, subject, **over) -> dict:
    data = {
        "list": definition.pk,
        "subject": subject.pk,
        "ground": definition.grounds.get(code="G1").pk,
        "tier": definition.tiers.get(tier="general").pk,
        "duration_months": 6,
        "decision_number": "（2026）浙01执7号",
        "decision_date": "2026-01-05",
        "decision_issuer": "杭州市中级人民法院",
        "facts": "有履行能力而拒不履行。",
        "_save": "Save",
    }
    data.update(over)
    return data


# --- scoping -------------------------------------------------------------------------------------


def test_changelist_shows_only_own_agencys_entries(client, make_entry, carol, customs, alice):
    court_entries = [make_entry("draft"), make_entry("published")]
    customs_list = f.list_definition(customs)
    own = draft(customs_list, f.subject("enterprise"), carol)

    client.force_login(carol)
    response = client.get(BASE)
    assert response.status_code == 200
    shown = {e.pk for e in response.context["cl"].result_list}
    assert shown == {own.pk}

    client.force_login(alice)
    shown = {e.pk for e in client.get(BASE).context["cl"].result_list}
    assert shown == {e.pk for e in court_entries}


def test_clerk_of_b_cannot_open_or_move_an_entry_of_a(client, make_entry, carol):
    entry = make_entry("draft")
    client.force_login(carol)
    response = client.get(change_url(entry))
    # Django's admin answers a missing object with a redirect to the index and a message.
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.post(f"{BASE}{entry.pk}/transition/", {"action": "submit"}).status_code == 404
    changed = client.post(change_url(entry), form_data(entry.list, entry.subject, facts="改"))
    assert (changed.status_code, changed["Location"]) == (302, "/admin/")
    entry.refresh_from_db()
    assert entry.state == EntryState.DRAFT
    assert entry.facts != "改"


def test_clerk_of_b_cannot_draft_on_a_list_of_a(client, court_list, company, carol):
    client.force_login(carol)
    response = client.post(f"{BASE}add/", form_data(court_list, company))
    assert response.status_code == 200
    assert "list" in response.context["adminform"].form.errors
    assert not ListEntry.objects.exists()


def test_objections_of_a_are_hidden_from_b(client, notified, carol):
    objection = services.objection_file(
        entry=notified, filed_by_name="甲", contact="138", disputed_facts="有误"
    )
    client.force_login(carol)
    response = client.get("/admin/blacklists/objection/")
    assert list(response.context["cl"].result_list) == []
    assert (
        client.post(
            f"/admin/blacklists/objection/{objection.pk}/decide/",
            {"upheld": "on", "reasons": "成立"},
        ).status_code
        == 404
    )
    objection.refresh_from_db()
    assert objection.status == "pending"


# --- the change page and transitions --------------------------------------------------------


def test_change_page_offers_only_the_steps_state_and_role_allow(client, make_entry, alice, bob):
    entry = make_entry("submitted")
    client.force_login(bob)  # a reviewer who is not the maker
    html = client.get(change_url(entry)).content.decode()
    assert 'id="transition-form"' in html
    assert f"{BASE}{entry.pk}/transition/" in html
    offered = {
        k
        for k in ("submit", "approve", "return", "notify", "publish", "revoke")
        if f'id="step-{k}"' in html
    }
    assert offered == {"approve", "return", "revoke"}
    assert "待审核" in html  # the state, in Chinese
    assert "录入草稿" in html  # audit reasons, translated when the service wrote fixed words

    client.force_login(alice)  # the maker, a clerk: nothing to do but wait
    html = client.get(change_url(entry)).content.decode()
    assert 'id="step-' not in html
    assert "录入与审核分离" in html


def test_transitions_through_the_admin(client, make_entry, alice, bob):
    entry = make_entry("draft")
    client.force_login(alice)
    response = move(client, entry, "submit")
    assert response.redirect_chain[-1][0] == change_url(entry)
    assert f"已提交审核：{entry.list.name}" in messages_of(response)[0]

    response = move(client, entry, "approve")
    assert "此步骤须由名单所属部门的审核人办理。" in messages_of(response)
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED

    client.force_login(bob)
    move(client, entry, "approve", reason="材料齐全")
    entry.refresh_from_db()
    assert (entry.state, entry.approved_by) == (EntryState.APPROVED, bob)

    client.force_login(alice)
    response = move(client, entry, "notify")  # no channel chosen
    assert any(m.startswith("告知方式") for m in messages_of(response))
    move(client, entry, "notify", via="registered_mail", reference="挂号信 XA1")
    entry.refresh_from_db()
    assert (entry.state, entry.notice_reference) == (EntryState.NOTIFIED, "挂号信 XA1")

    response = move(client, entry, "publish")
    assert any("异议期至" in m and "没有立即发布的法律依据" in m for m in messages_of(response))
    entry.refresh_from_db()
    assert entry.state == EntryState.NOTIFIED
    assert not OutboxEvent.objects.exists()

    response = move(client, entry, "revoke", reason="错误")
    assert "此步骤须由名单所属部门的审核人办理。" in messages_of(response)
    client.force_login(bob)
    response = move(client, entry, "revoke", reason="")
    assert any(m.startswith("理由") for m in messages_of(response))  # the form asks first
    move(client, entry, "revoke", reason="决定被撤销")
    entry.refresh_from_db()
    assert (entry.state, entry.end_reason) == (EntryState.ENDED, "revoked")


def test_self_approval_is_refused_in_the_admin(client, court_list, company, bob):
    entry = draft(court_list, company, bob)
    client.force_login(bob)
    move(client, entry, "submit")
    response = move(client, entry, "approve")
    assert "录审分离：录入人不能审核通过自己录入的名单记录。" in messages_of(response)
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED


def test_return_to_draft_in_the_admin(client, make_entry, bob):
    entry = make_entry("submitted")
    client.force_login(bob)
    response = move(client, entry, "return", reason="")
    assert any(m.startswith("理由") for m in messages_of(response))
    move(client, entry, "return", reason="补充事实")
    entry.refresh_from_db()
    assert entry.state == EntryState.DRAFT


def test_bulk_approve_refuses_own_entries_and_approves_the_rest(
    client, court_list, make_entry, bob
):
    others = make_entry("submitted")
    own = services.list_entry_submit(
        actor=bob, entry=draft(court_list, f.subject("enterprise"), bob)
    )
    client.force_login(bob)
    response = client.post(
        BASE,
        {"action": "approve_selected", "_selected_action": [others.pk, own.pk]},
        follow=True,
    )
    msgs = messages_of(response)
    assert "录审分离：录入人不能审核通过自己录入的名单记录。" in msgs
    assert "已审核通过：1 条。" in msgs
    others.refresh_from_db()
    own.refresh_from_db()
    assert (others.state, own.state) == (EntryState.APPROVED, EntryState.SUBMITTED)


# --- drafting and editing in the admin -----------------------------------------------------------


def test_add_form_drafts_through_the_service(client, court_list, company, alice):
    client.force_login(alice)
    response = client.post(f"{BASE}add/", form_data(court_list, company))
    assert response.status_code == 302
    entry = ListEntry.objects.get()
    assert (entry.state, entry.created_by) == (EntryState.DRAFT, alice)
    reason = entry.events.select_related("pgh_context").get().pgh_context.metadata["reason"]
    assert reason == "drafted in admin"


@pytest.mark.parametrize(
    ("over", "field"),
    [({"duration_months": 48}, "duration_months"), ({"ground": "other-list"}, "ground")],
)
def test_add_form_shows_service_refusals_as_form_errors(
    client, court, court_list, company, alice, over, field
):
    if over.get("ground") == "other-list":
        over = {"ground": f.list_definition(court).grounds.get(code="G1").pk}
    client.force_login(alice)
    response = client.post(f"{BASE}add/", form_data(court_list, company, **over))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ListEntry.objects.exists()


def test_draft_is_edited_through_the_service(client, make_entry, alice):
    entry = make_entry("draft")
    client.force_login(alice)
    data = form_data(entry.list, entry.subject, facts="更正后的事实", duration_months=9)
    response = client.post(change_url(entry), data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.facts, entry.duration_months) == ("更正后的事实", 9)
    last = entry.events.select_related("pgh_context").order_by("-pgh_id").first()
    assert last.pgh_context.metadata["username"] == "alice"


def test_entry_past_draft_cannot_be_edited_in_the_admin(client, make_entry, alice):
    entry = make_entry("submitted")
    client.force_login(alice)
    page = client.get(change_url(entry))
    assert page.status_code == 200
    assert 'name="facts"' not in page.content.decode()  # shown read-only
    response = client.post(change_url(entry), form_data(entry.list, entry.subject, facts="改"))
    assert response.status_code == 403
    entry.refresh_from_db()
    assert (entry.state, entry.facts) == (
        EntryState.SUBMITTED,
        "有履行能力而拒不履行生效法律文书确定义务。",
    )


# --- objections and repairs ----------------------------------------------------------------------


def test_objection_decided_in_the_admin(client, published, alice, bob):
    objection = services.objection_file(
        entry=published, filed_by_name="甲", contact="138", disputed_facts="已清偿"
    )
    url = f"/admin/blacklists/objection/{objection.pk}/decide/"
    client.force_login(alice)
    response = client.post(url, {"upheld": "on", "reasons": "成立"}, follow=True)
    assert "此步骤须由名单所属部门的审核人办理。" in messages_of(response)

    client.force_login(bob)
    page = client.get(f"/admin/blacklists/objection/{objection.pk}/change/")
    assert "登记决定" in page.content.decode()
    response = client.post(url, {"upheld": "on", "reasons": "欠款已清偿"}, follow=True)
    assert "异议已处理。" in messages_of(response)
    objection.refresh_from_db()
    published.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD
    assert (published.state, published.end_reason) == (EntryState.ENDED, "objection_upheld")
    assert OutboxEvent.objects.filter(entry=published, kind="effect_ended").count() == 1

    response = client.post(url, {"upheld": "", "reasons": "再议"}, follow=True)
    assert "该异议已作出决定。" in messages_of(response)


def test_early_repair_refused_in_the_admin(client, published, bob):
    application = services.repair_apply(
        entry=published,
        applicant_name="甲",
        contact="138",
        conditions_met=["proof_of_correction", "credit_commitment"],
        statement="已履行",
    )
    client.force_login(bob)
    response = client.post(
        f"/admin/blacklists/repairapplication/{application.pk}/decide/",
        {"upheld": "on", "reasons": "已履行"},
        follow=True,
    )
    assert any("此前不能准予信用修复" in m for m in messages_of(response))
    published.refresh_from_db()
    assert published.state == EntryState.PUBLISHED


def test_draft_edit_refused_by_the_rules_shows_a_form_error(client, make_entry, alice):
    entry = make_entry("draft")
    client.force_login(alice)
    assert client.get(f"{BASE}add/").status_code == 200
    response = client.post(change_url(entry), form_data(entry.list, entry.subject, tier="x"))
    assert response.status_code == 200  # the invalid choice is a form error
    data = form_data(entry.list, entry.subject, duration_months=48)
    response = client.post(change_url(entry), data)
    assert response.status_code == 200
    assert "duration_months" in response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.duration_months == 6
