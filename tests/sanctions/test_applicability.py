"""Measures apply only where their conditions hold (issue 9 §1): the listed subject's kind and
co-listing on another list, in the one expected-set SQL, both ways as events, and in
reconciliation, the dry run and as-of answers."""

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blacklists import services as lists
from blacklists.models import ListEntry
from sanctions import applicability, propagation, services
from sanctions.demo import DATA as DEMO_MEMORANDA
from sanctions.models import Measure, MeasureCoListing, Sanction, SanctionEvent
from tests import factories as f
from tests.conftest import api_client_for
from tests.sanctions.conftest import draft, drain, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def samr_agency(db):
    return f.agency("市场监管总局（测试）")


@pytest.fixture
def customs_reviewer(customs):
    return f.user("customs-reviewer", customs, "reviewer")


@pytest.fixture
def customs_list(customs):
    return f.list_definition(customs, subject_kinds=["enterprise"])


def _in_force(code):
    return set(
        Sanction.objects.filter(measure__code=code, status="in_force").values_list(
            "target_id", flat=True
        )
    )


# --- the two wrongly imposed measures of the issue ----------------------------------------


def test_d14_natural_person_measure_never_reaches_an_organisation(
    court_list, court, samr_agency, alice, bob, company, person
):
    """D14 "失信被执行人为自然人的，限制其担任企业法定代表人…" was in force on 16 organisations."""
    f.memorandum(
        [court_list],
        [court, samr_agency],
        [
            {"code": "D01", "agency": samr_agency},
            {
                "code": "D14",
                "text": "失信被执行人为自然人的，限制其担任企业法定代表人",
                "agency": samr_agency,
                "applies_to": "natural_persons",
                "applies_to_basis": "D14：“失信被执行人为自然人的”",
            },
        ],
    )
    publish(court_list, company, alice, bob)
    publish(court_list, person, alice, bob)
    drain()
    assert _in_force("D14") == {person.pk}
    assert _in_force("D01") == {company.pk, person.pk}
    assert services.reconcile(fix=False).total == 0


def test_customs_real_estate_measure_only_for_judgment_debtors(
    court_list, customs_list, court, customs, alice, bob, carol, customs_reviewer, company
):
    """ "失信企业为被执行人的，限制其购买不动产" was imposed on every customs-listed enterprise."""
    f.memorandum(
        [customs_list],
        [customs, court],
        [
            {"code": "C01", "agency": customs},
            {"code": "C05", "agency": court, "co_listing": [court_list]},
        ],
    )
    debtor = f.subject("enterprise", name="宁波海曙债务贸易有限公司")
    publish(court_list, debtor, alice, bob)
    publish(customs_list, company, carol, customs_reviewer)
    publish(customs_list, debtor, carol, customs_reviewer)
    drain()
    assert _in_force("C01") == {company.pk, debtor.pk}
    assert _in_force("C05") == {debtor.pk}


def test_co_listing_starts_when_the_second_entry_is_published_and_ends_with_either(
    court_list, customs_list, court, customs, alice, bob, carol, customs_reviewer, company
):
    f.memorandum(
        [customs_list],
        [customs, court],
        [{"code": "C05", "agency": court, "co_listing": [court_list]}],
    )
    customs_entry = publish(customs_list, company, carol, customs_reviewer)
    drain()
    assert _in_force("C05") == set()
    # The court entry comes second: its publication starts the customs measure.
    court_entry = publish(court_list, company, alice, bob)
    drain()
    assert _in_force("C05") == {company.pk}
    sanction = Sanction.objects.get(measure__code="C05")
    assert sanction.entry_id == customs_entry.pk
    imposed = sanction.events.get(kind="imposed")
    assert imposed.reason == "co_listing_started"
    assert imposed.at == ListEntry.objects.get(pk=court_entry.pk).published_at
    # The court entry ends: the condition ends, as an event (no reconciliation needed).
    lists.list_entry_revoke(actor=bob, entry=court_entry, reason="执行完毕")
    drain()
    sanction.refresh_from_db()
    assert (sanction.status, sanction.lift_reason) == ("lifted", "condition_ended")
    assert sanction.events.get(kind="lifted").reason == "condition_ended"
    # Published again on the court list, then the customs entry ends: lifted with it.
    publish(court_list, company, alice, bob)
    drain()
    assert _in_force("C05") == {company.pk}
    lists.list_entry_revoke(actor=customs_reviewer, entry=customs_entry, reason="撤销")
    drain()
    assert _in_force("C05") == set()
    assert services.reconcile(fix=False).total == 0


def test_co_listing_in_the_other_order_starts_with_the_customs_entry(
    court_list, customs_list, court, customs, alice, bob, carol, customs_reviewer, company
):
    f.memorandum(
        [customs_list],
        [customs, court],
        [{"code": "C05", "agency": court, "co_listing": [court_list]}],
    )
    publish(court_list, company, alice, bob)
    drain()
    assert _in_force("C05") == set()  # the court list does not trigger this memorandum
    publish(customs_list, company, carol, customs_reviewer)
    drain()
    assert _in_force("C05") == {company.pk}


def test_reconciliation_lifts_what_was_wrongly_imposed_visible_in_feed_and_history(
    court_list, court, caac, alice, bob, company
):
    mou = f.memorandum([court_list], [court, caac], [{"code": "D14", "agency": caac}])
    publish(court_list, company, alice, bob)
    drain()
    assert _in_force("D14") == {company.pk}
    # The data error is corrected: D14 reaches natural persons only.
    Measure.objects.filter(memorandum=mou, code="D14").update(
        applies_to="natural_persons", applies_to_basis="D14：“失信被执行人为自然人的”"
    )
    assert propagation.impact(mou.pk, on=timezone.localdate(), assume_in_effect=False) == {
        "create": 0,
        "create_subjects": 0,
        "lift": 1,
        "lift_subjects": 1,
    }
    found = services.reconcile(fix=True)
    assert (found.missing, found.extra) == (0, 1)
    assert found.extra_sample[0][3] == "not_applicable"
    sanction = Sanction.objects.get(measure__code="D14")
    assert (sanction.status, sanction.lift_reason) == ("lifted", "not_applicable")
    with translation.override("en"):
        assert sanction.get_lift_reason_display() == "measure not applicable to this subject"
    feed = (
        api_client_for(caac)
        .get("/api/v1/sanctions/feed/", HTTP_ACCEPT_LANGUAGE="en")
        .json()["events"]
    )
    assert [(e["kind"], e["reason"]) for e in feed] == [
        ("imposed", "entry_published"),
        ("lifted", "not_applicable"),
    ]
    assert feed[-1]["reason_text"] == "measure not applicable to this subject"


def test_as_of_agrees_with_the_co_listing_interval(
    court_list, customs_list, court, customs, alice, bob, carol, customs_reviewer, company
):
    f.memorandum(
        [customs_list],
        [customs, court],
        [{"code": "C05", "agency": court, "co_listing": [court_list]}],
    )
    publish(customs_list, company, carol, customs_reviewer)
    drain()
    publish(court_list, company, alice, bob)
    drain()
    api = api_client_for(court, "clerk", "court-api")
    url = f"/api/v1/subjects/{company.identifier}/restrictions/"
    before = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    after = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    assert api.get(url, {"as_of": before}).json()["restrictions"] == []
    [row] = api.get(url, {"as_of": after}).json()["restrictions"]
    conditions = row["provenance"]["measure"]["conditions"]
    assert [c["kind"] for c in conditions] == ["co_listing"]
    assert court_list.name in conditions[0]["text"]


# --- demo data against the text of its measures -------------------------------------------


def test_demo_measures_encode_every_condition_their_text_states():
    gaps = []
    for mou in json.loads(DEMO_MEMORANDA.read_text(encoding="utf-8")):
        for m in mou["measures"]:
            for gap in applicability.unencoded_conditions(
                m["text_zh"],
                applies_to=m.get("applies_to", "any"),
                co_listing=[c["list"] for c in m.get("co_listing", [])],
            ):
                gaps.append((mou["key"], m["code"], gap))
    assert gaps == []


@pytest.mark.parametrize(
    ("text", "applies_to", "co_listing", "found"),
    [
        ("失信被执行人为自然人的，限制其担任企业法定代表人", "any", [], 1),
        ("失信被执行人为自然人的，限制其担任企业法定代表人", "natural_persons", [], 0),
        ("被执行人为单位的，限制其法定代表人乘坐民航飞机", "any", [], 1),
        ("被执行人为单位的，限制其法定代表人乘坐民航飞机", "natural_persons", [], 1),
        ("失信企业为被执行人的，限制其购买不动产及土地", "any", [], 1),
        ("失信企业为被执行人的，限制其购买不动产及土地", "any", ["spc_high_consumption"], 0),
        ("失信企业为被执行人的，限制其购买不动产及土地", "any", ["customs_untrustworthy"], 1),
        ("限制乘坐民用航空器", "natural_persons", [], 1),  # a condition the text never states
        ("限制乘坐民用航空器", "any", [], 0),
    ],
)
def test_unencoded_conditions_finds_text_data_mismatches(text, applies_to, co_listing, found):
    assert len(applicability.unencoded_conditions(text, applies_to, co_listing)) == found


def test_demo_memoranda_load_with_their_conditions(db):
    from blacklists import demo as lists_demo
    from registry import demo as registry_demo
    from sanctions import demo

    agencies = registry_demo.seed_agencies()
    lists_demo.seed_lists(agencies)
    demo.seed_memoranda(agencies)
    d14 = Measure.objects.get(memorandum__key="mou_defaulters", code="D14")
    assert d14.applies_to == "natural_persons"
    c05 = Measure.objects.get(memorandum__key="mou_customs_untrustworthy", code="C05")
    assert set(c05.co_listings.values_list("list__key", flat=True)) == {
        "spc_defaulters",
        "spc_high_consumption",
    }
    # Loading again (a database seeded earlier) is idempotent.
    demo.seed_memoranda(agencies)
    assert MeasureCoListing.objects.filter(measure=c05).count() == 2


# --- property: the expected set is the rule applied by hand, and events reach it ----------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["publish", "revoke", "process_one", "set_kind", "toggle_co_listing"]),
        st.integers(min_value=0, max_value=5),
        st.sampled_from(["any", "natural_persons", "units"]),
    ),
    max_size=20,
)
KINDS = st.lists(
    st.sampled_from(["enterprise", "natural_person", "individual_business"]),
    min_size=3,
    max_size=3,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kinds=KINDS, ops=OPS)
def test_expected_set_is_the_rule_applied_by_hand(
    court_list, court, customs, caac, alice, bob, carol, customs_reviewer, kinds, ops
):
    with transaction.atomic():
        _property_run(
            court_list, court, customs, caac, alice, bob, carol, customs_reviewer, kinds, ops
        )
        transaction.set_rollback(True)


def _property_run(court_list, court, customs, caac, alice, bob, carol, creviewer, kinds, ops):
    other = f.list_definition(
        customs, subject_kinds=["enterprise", "natural_person", "individual_business"]
    )
    mou = f.memorandum(
        [court_list, other],
        [court, customs, caac],
        [
            {"code": "P1", "agency": caac},
            {"code": "P2", "agency": caac, "applies_to": "natural_persons",
             "applies_to_basis": "为自然人的"},
            {"code": "P3", "agency": caac, "co_listing": [other]},
            {"code": "P4", "agency": caac, "applies_to": "units", "applies_to_basis": "为单位的",
             "co_listing": [court_list]},
        ],
    )  # fmt: skip
    subjects = [f.subject(kind) for kind in kinds]
    slots = []  # (definition, subject, clerk, reviewer, entry)
    later = timezone.now() + datetime.timedelta(days=20)
    for definition, clerk, reviewer in ((court_list, alice, bob), (other, carol, creviewer)):
        for i, subject in enumerate(subjects):
            entry = draft(definition, subject, clerk, number=f"Q{definition.pk}-{i}")
            lists.list_entry_submit(actor=clerk, entry=entry)
            lists.list_entry_approve(actor=reviewer, entry=entry)
            lists.list_entry_notify(actor=clerk, entry=entry, via="in_person", reference="N-1")
            slots.append((clerk, reviewer, entry))
    for op, i, kind in ops:
        clerk, reviewer, entry = slots[i % len(slots)]
        entry = ListEntry.objects.get(pk=entry.pk)
        if op == "publish" and entry.state == "notified":
            lists.list_entry_publish(actor=clerk, entry=entry, now=later)
        elif op == "revoke" and entry.state == "published":
            lists.list_entry_revoke(actor=reviewer, entry=entry, reason="撤销")
        elif op == "process_one":
            pending = services.pending_outbox_events()
            if pending:
                services.outbox_event_process(event_id=pending[i % len(pending)])
        elif op == "set_kind":
            m = mou.measures.get(code=f"P{i % 4 + 1}")
            Measure.objects.filter(pk=m.pk).update(
                applies_to=kind, applies_to_basis="" if kind == "any" else "条款"
            )
            services.request_memorandum_sync(memorandum=mou)
        elif op == "toggle_co_listing":
            m = mou.measures.get(code=f"P{i % 4 + 1}")
            target_list = other if i % 2 else court_list
            existing = MeasureCoListing.objects.filter(measure=m, list=target_list)
            if existing.exists():
                existing.delete()
            else:
                MeasureCoListing.objects.create(measure=m, list=target_list, clause="条款")
            services.request_memorandum_sync(memorandum=mou)
    # Deliver everything (memorandum changes after list events, as the sweep does).
    while pending := services.pending_outbox_events():
        for event_id in pending:
            services.outbox_event_process(event_id=event_id)
    from sanctions.models import MemorandumChange

    for change in MemorandumChange.objects.filter(processed_at__isnull=True):
        services.memorandum_change_process(change_id=change.pk)

    # The rule by hand, in Python.
    published = list(ListEntry.objects.filter(state="published").select_related("subject"))
    by_hand = set()
    for e in published:
        for m in mou.measures.all():
            co = set(m.co_listings.values_list("list_id", flat=True))
            if not m.applies_to_kind(e.subject.kind):
                continue
            if co and not any(_other_entry(published, e, lst) for lst in co):
                continue
            by_hand.add((e.pk, m.pk, e.subject_id))
    sql, params = propagation.expected_sql(propagation.Scope(), timezone.localdate())
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        expected = {(row[0], row[1], row[2]) for row in cur.fetchall()}
    assert expected == by_hand, (kinds, ops)
    actual = set(
        Sanction.objects.filter(status="in_force").values_list(
            "entry_id", "measure_id", "target_id"
        )
    )
    assert actual == by_hand, (kinds, ops)
    assert services.reconcile(fix=False).total == 0
    for s in Sanction.objects.all():
        last = SanctionEvent.objects.filter(sanction=s).order_by("-id").first()
        assert last.kind == ("imposed" if s.status == "in_force" else "lifted")


def _other_entry(published, entry, list_id) -> bool:
    """Another published entry of the same subject on list_id (not the entry itself)."""
    return any(
        e.subject_id == entry.subject_id and e.list_id == list_id and e.pk != entry.pk
        for e in published
    )
