"""Lists API: reading lists and entries scoped to the caller's agency, drafting, transitions,
the error shape, and Idempotency-Key replays."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from blacklists import services
from blacklists.models import EntryState, ListEntry, OutboxEvent
from tests import factories as f
from tests.blacklists.conftest import draft
from tests.conftest import personal_api_client

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/list-entries/"


def body(definition, subject, **over) -> dict:
    data = {
        "list": definition.key,
        "subject_identifier": subject.identifier,
        "ground": "G1",
        "tier": "general",
        "duration_months": 6,
        "decision_number": "（2026）浙01执88号",
        "decision_date": "2026-01-05",
        "decision_issuer": "杭州市中级人民法院",
        "facts": "有履行能力而拒不履行。",
    }
    data.update(over)
    return data


def transition(client, entry, action, **data):
    return client.post(f"{ENTRIES}{entry.pk}/{action}/", data)


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/lists/"),
        ("get", ENTRIES),
        ("post", ENTRIES),
        ("post", f"{ENTRIES}1/submit/"),
    ],
)
def test_without_a_token_401(anonymous, method, url):
    response = getattr(anonymous, method)(url, {})
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


# --- reading ---------------------------------------------------------------------------------


def test_lists_endpoint_shows_active_lists_with_grounds_and_tiers(customs_api, court, court_list):
    f.list_definition(court, is_active=False, key="retired-list")
    results = customs_api.get("/api/v1/lists/").json()["results"]
    assert [r["key"] for r in results] == [court_list.key]
    listed = results[0]
    assert listed["owner"] == court.subject.identifier
    assert [g["code"] for g in listed["grounds"]] == ["G1", "G2"]
    assert {t["tier"]: (t["min_months"], t["max_months"]) for t in listed["tiers"]} == {
        "general": (3, 12),
        "serious": (6, 36),
        "extremely_serious": (36, None),
    }


def test_other_agencies_see_published_entries_but_not_drafts(
    customs_api, court_api, make_entry, bob
):
    in_draft = make_entry("draft")
    notified = make_entry("notified")
    published = make_entry("published")
    archived = make_entry("ended")  # published, then revoked
    revoked_draft = services.list_entry_revoke(
        actor=bob, entry=make_entry("draft"), reason="录入错误"
    )

    def ids(client, **params):
        return {e["id"] for e in client.get(ENTRIES, params).json()["results"]}

    everything = {in_draft.pk, notified.pk, published.pk, archived.pk, revoked_draft.pk}
    assert ids(court_api) == everything
    # Another agency: what took effect, never the owner's work in progress or an entry that
    # ended before it ever took effect.
    assert ids(customs_api) == {published.pk, archived.pk}
    assert ids(customs_api, state="draft") == set()
    assert ids(court_api, state="draft") == {in_draft.pk}

    assert customs_api.get(f"{ENTRIES}{published.pk}/").status_code == 200
    for hidden in (in_draft, notified, revoked_draft):
        response = customs_api.get(f"{ENTRIES}{hidden.pk}/")
        assert response.status_code == 404
        assert set(response.json()) == {"detail"}


def test_entry_detail_cites_its_decision_and_ground(court_api, published, court_list):
    data = court_api.get(f"{ENTRIES}{published.pk}/").json()
    assert data["list"] == court_list.key
    assert data["state"] == "published"
    assert data["ground"] == "G1"
    assert data["ground_legal_basis"] == "《测试条例》第十条第一项"
    assert data["decision_number"] == published.decision_number
    assert data["starts_on"] == published.starts_on.isoformat()


def test_filter_by_list_and_subject(court_api, court, make_entry):
    other_list = f.list_definition(court)
    mine = make_entry("draft")
    elsewhere = make_entry("draft", definition=other_list)
    by_list = court_api.get(ENTRIES, {"list": other_list.key}).json()["results"]
    assert [e["id"] for e in by_list] == [elsewhere.pk]
    by_subject = court_api.get(ENTRIES, {"subject": mine.subject.identifier}).json()["results"]
    assert [e["id"] for e in by_subject] == [mine.pk]


def test_entry_page_queries_do_not_grow_with_rows(customs_api, make_entry):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert customs_api.get(ENTRIES).status_code == 200
        return len(captured)

    make_entry("published")
    few = queries()
    for _ in range(4):
        make_entry("published")
    assert queries() == few


# --- drafting ------------------------------------------------------------------------------------


def test_post_drafts_an_entry(court_api, court_list, company):
    response = court_api.post(ENTRIES, body(court_list, company))
    assert response.status_code == 201
    data = response.json()
    assert (data["state"], data["list"], data["subject_identifier"]) == (
        "draft",
        court_list.key,
        company.identifier,
    )
    entry = ListEntry.objects.get(pk=data["id"])
    assert entry.created_by == court_api.user


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"duration_months": 24}, "duration_months"),
        ({"ground": "G9"}, "ground"),
        ({"tier": "mild"}, "tier"),
        ({"subject_identifier": "91330100MA27XXXX"}, "subject_identifier"),
        ({"decision_date": "2026-13-01"}, "decision_date"),
        ({"facts": ""}, "facts"),
        ({"list": "no-such-list"}, "list"),
    ],
)
def test_post_400_names_the_field(court_api, court_list, company, over, field):
    response = court_api.post(ENTRIES, body(court_list, company, **over))
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] == "无效的输入。"  # the platform's language when none is asked for
    assert set(data["errors"]) == {field}
    assert isinstance(data["errors"][field], list) and data["errors"][field][0]
    assert not ListEntry.objects.exists()


@pytest.mark.parametrize(
    "identifier",
    [
        "91330100MA27XXXXX0",  # the shape of a USCC, a wrong check character: none registered
        "913301000000000000",  # a valid-looking code nobody holds
    ],
)
def test_post_naming_no_registered_subject_is_404_naming_the_field(
    court_api, court_list, company, identifier
):
    """The contract (issue 10): a well-formed identifier that names nothing is a valid request
    about a thing that does not exist: 404 in the one error shape, the field named."""
    response = court_api.post(ENTRIES, body(court_list, company, subject_identifier=identifier))
    assert response.status_code == 404
    data = response.json()
    assert set(data["errors"]) == {"subject_identifier"}
    assert data["errors"]["subject_identifier"][0]
    assert not ListEntry.objects.exists()


def test_post_on_another_agencys_list_is_forbidden(customs_api, court_list, company):
    response = customs_api.post(ENTRIES, body(court_list, company))
    assert response.status_code == 403
    assert response.json()["detail"] == "该名单属于其他部门。"  # the default language
    assert not ListEntry.objects.exists()


# --- transitions ---------------------------------------------------------------------------------


def test_transitions_through_the_api(court, court_api, bob_api, alice, company):
    court_decisions = f.list_definition(court, immediate_publication_basis="《规定》第七条")
    entry = ListEntry.objects.get(
        pk=court_api.post(ENTRIES, body(court_decisions, company)).json()["id"]
    )

    assert transition(court_api, entry, "submit").json()["state"] == "submitted"
    assert transition(bob_api, entry, "approve").json()["state"] == "approved"
    notified = transition(court_api, entry, "notify", via="electronic", reference="电子送达")
    assert notified.status_code == 200
    assert notified.json()["notified_via"] == "electronic"
    # The agency's shared system token may notify, but publication needs a named person.
    shared = transition(court_api, entry, "publish", reason="依法立即公布")
    assert shared.status_code == 403
    assert "须由具名人员办理" in shared.json()["detail"]
    published = transition(personal_api_client(alice), entry, "publish", reason="依法立即公布")
    assert published.status_code == 200
    assert published.json()["state"] == "published"
    assert OutboxEvent.objects.filter(entry=entry, kind="effect_started").count() == 1

    no_reason = transition(bob_api, entry, "revoke")
    assert no_reason.status_code == 400
    assert set(no_reason.json()["errors"]) == {"reason"}
    revoked = transition(bob_api, entry, "revoke", reason="判决被撤销")
    assert revoked.json()["end_reason"] == "revoked"
    assert OutboxEvent.objects.filter(entry=entry).count() == 2


def test_return_to_draft_through_the_api(court_api, court_reviewer_api, court_list, company):
    entry = draft(court_list, company, court_api.user)
    transition(court_api, entry, "submit")
    response = transition(court_reviewer_api, entry, "return", reason="请补充事实")
    assert response.status_code == 200
    assert response.json()["state"] == "draft"


def test_publishing_early_is_400_with_the_state_error(alice, notified):
    response = transition(personal_api_client(alice), notified, "publish")
    assert response.status_code == 400
    assert response.json()["errors"]["state"][0].startswith("异议期至 ")
    notified.refresh_from_db()
    assert notified.state == EntryState.NOTIFIED


def test_transition_from_the_wrong_state_is_409(court_api, make_entry):
    """A well-formed step the entry's present state refuses: 409, the state named."""
    entry = make_entry("draft")
    response = transition(court_api, entry, "notify", via="electronic", reference="N-1")
    assert response.status_code == 409
    assert set(response.json()["errors"]) == {"state"}


def test_notify_needs_a_known_channel(court_api, make_entry):
    response = transition(court_api, make_entry("approved"), "notify", via="fax", reference="N")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"via"}


def test_approval_by_a_shared_system_token_is_403(court_api, court_reviewer_api, make_entry):
    entry = make_entry("submitted")
    response = transition(court_reviewer_api, entry, "approve")
    assert response.status_code == 403
    assert "须由具名人员办理" in response.json()["detail"]
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED and entry.approved_by is None


def test_notice_needs_a_reference_through_the_api(court_api, make_entry):
    entry = make_entry("approved")
    response = transition(court_api, entry, "notify", via="electronic")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"reference"}
    blank = transition(court_api, entry, "notify", via="electronic", reference="   ")
    assert blank.status_code == 400 and set(blank.json()["errors"]) == {"reference"}


def test_self_approval_through_the_api_is_403(bob_api, court_list, company):
    entry = draft(court_list, company, bob_api.user)
    transition(bob_api, entry, "submit")
    response = transition(bob_api, entry, "approve")
    assert response.status_code == 403
    assert response.json()["detail"] == "录审分离：录入人不能审核通过自己录入的名单记录。"
    english = bob_api.post(f"{ENTRIES}{entry.pk}/approve/", HTTP_ACCEPT_LANGUAGE="en")
    translation.activate("zh-hans")  # the middleware leaves the thread in English
    assert english.json()["detail"] == "Maker-checker: the entry's maker cannot approve it."
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED


def test_clerk_cannot_revoke_through_the_api(court_api, published):
    assert transition(court_api, published, "revoke", reason="x").status_code == 403


@pytest.mark.parametrize("state", ["draft", "published"])
def test_another_agencys_entry_is_404_for_transitions(customs_api, make_entry, state):
    entry = make_entry(state)
    for action, data in [("submit", {}), ("publish", {}), ("revoke", {"reason": "x"})]:
        response = transition(customs_api, entry, action, **data)
        assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.state == state


# --- idempotency ---------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_response(court_api, court_list, company):
    data = body(court_list, company)
    first = court_api.post(ENTRIES, data, HTTP_IDEMPOTENCY_KEY="batch-7-row-1")
    again = court_api.post(ENTRIES, data, HTTP_IDEMPOTENCY_KEY="batch-7-row-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ListEntry.objects.count() == 1


def test_idempotency_key_with_a_different_body_is_422(court_api, court_list, company):
    court_api.post(ENTRIES, body(court_list, company), HTTP_IDEMPOTENCY_KEY="k-1")
    other = body(court_list, company, decision_number="（2026）浙01执99号")
    response = court_api.post(ENTRIES, other, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert "另一请求" in response.json()["detail"]  # "a different request"
    assert ListEntry.objects.count() == 1


def test_idempotency_key_on_a_transition(court_api, make_entry):
    entry = make_entry("draft")
    first = transition(court_api, entry, "submit")  # without a key: does the work
    assert first.status_code == 200
    retry_key = {"HTTP_IDEMPOTENCY_KEY": "submit-once"}
    entry2 = make_entry("draft")
    a = court_api.post(f"{ENTRIES}{entry2.pk}/submit/", {}, **retry_key)
    b = court_api.post(f"{ENTRIES}{entry2.pk}/submit/", {}, **retry_key)
    # The retry replays the success instead of failing on "already submitted".
    assert (a.status_code, b.status_code) == (200, 200)
    assert b["Idempotent-Replayed"] == "true"
    # The same key on another entry's URL is a different request.
    c = court_api.post(f"{ENTRIES}{entry.pk}/submit/", {}, **retry_key)
    assert c.status_code == 422


def test_a_refused_request_is_not_stored_under_its_key(court_api, court_list, company):
    bad = court_api.post(
        ENTRIES, body(court_list, company, duration_months=99), HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert bad.status_code == 400
    # The caller fixes the body and retries with the same key: it is a fresh attempt.
    good = court_api.post(ENTRIES, body(court_list, company), HTTP_IDEMPOTENCY_KEY="k-2")
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good
    assert ListEntry.objects.count() == 1


def test_subject_kind_refused_names_the_input_field(court_api, court):
    companies_only = f.list_definition(court, subject_kinds=["enterprise"])
    person = f.subject("natural_person")
    response = court_api.post(
        "/api/v1/list-entries/",
        {
            "list": companies_only.key,
            "subject_identifier": person.identifier,
            "ground": "G1",
            "tier": "general",
            "duration_months": 6,
            "decision_number": "（2026）执9号",
            "decision_date": "2026-01-05",
            "decision_issuer": "法院",
            "facts": "事实",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "subject_identifier" in response.json()["errors"]


def test_post_with_a_fifteen_digit_id_says_it_was_upgraded(court_api, court_list, person):
    """Issue 8: a first-generation ID drafts the entry on the 18-digit subject, and the
    response says so (identifier_upgraded_from, as detail, restrictions and registration)."""
    cut = person.identifier[:6] + person.identifier[8:17]
    response = court_api.post(ENTRIES, body(court_list, person, subject_identifier=cut))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["identifier_upgraded_from"] == "15-digit first-generation resident ID"
    assert ListEntry.objects.get(pk=data["id"]).subject == person
    plain = court_api.post(ENTRIES, body(court_list, person, decision_number="（2026）浙01执89号"))
    assert plain.status_code == 201 and "identifier_upgraded_from" not in plain.json()


def test_field_errors_in_the_callers_language(court_api, court_list, company):
    bad_code = body(court_list, company, subject_identifier="91350100M000100Y4B")
    bad_ground = body(court_list, company, ground="G9")
    # A well-formed code with a wrong check character names no subject: 404, still explained.
    for data, field, zh, en, status in [
        (
            bad_code,
            "subject_identifier",
            "统一社会信用代码：校验码应为 3",
            "USCC: check character",
            404,
        ),
        (bad_ground, "ground", "不是该名单的列入事由（可选：G1", "Not a ground of this list", 400),
    ]:
        answer = court_api.post(ENTRIES, data, HTTP_ACCEPT_LANGUAGE="zh-CN")
        assert answer.status_code == status and answer.json()["errors"][field][0].startswith(zh)
        answer = court_api.post(ENTRIES, data, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.json()["errors"][field][0].startswith(en)


def test_unknown_query_parameter_is_400_naming_it(court_api, court_list):
    """Issue 10: a misspelt filter must not silently widen the answer to every entry."""
    response = court_api.get(f"{ENTRIES}?stat=published")
    assert response.status_code == 400
    assert response.json()["errors"] == {"stat": ["未知参数。"]}  # the default language
    assert court_api.get(f"{ENTRIES}?state=published").status_code == 200
