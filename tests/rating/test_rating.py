"""The enterprise public credit rating: published versioned rules as data, every point
explained by its record, only public inputs in force, recomputed from the change log, never
for natural persons."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from blacklists import services as lists
from notifications import services as notifications
from rating import services
from rating.models import Rating, Rule, RuleSet
from registry.models import CatalogueItem, CreditRecord
from tests import factories as f
from tests.sanctions.conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_settle(settings):
    settings.NOTIFICATIONS_SETTLE_SECONDS = 0


def item(samr, code, record_type, visibility="public", category="negative"):
    return CatalogueItem.objects.create(
        code=code,
        name=code,
        category=category,
        visibility=visibility,
        record_type=record_type,
        supplying_agency=samr,
        legal_basis="《测试法》",
        publicity_months=36,
    )


def record(catalogue_item, subject, agency, n, **kw):
    return CreditRecord.objects.create(
        subject=subject,
        catalogue_item=catalogue_item,
        agency=agency,
        decision_number=f"杭市监〔2026〕{n}号",
        decision_date=kw.pop("decision_date", datetime.date(2026, 3, 1)),
        title=f"记录{n}",
        content="内容",
        **kw,
    )


def test_the_shipped_rule_set_is_a_published_example_with_sources():
    current = RuleSet.objects.current()
    assert current.version == 1 and current.is_example and current.published_at
    assert "EXAMPLE" in current.source
    rules = list(current.rules.all())
    assert len(rules) >= 4 and all(r.source.strip() for r in rules)


def test_every_point_is_explained_by_its_record(
    court_list, alice, bob, company, samr, anonymous, caac_api
):
    entry = publish(court_list, company, alice, bob)
    penalty = item(samr, "XZCF", "administrative_penalty")
    award = item(samr, "BZJL", "award", category="positive")
    secret = item(samr, "NBCF", "administrative_penalty", visibility="government")
    p1 = record(penalty, company, samr, 1)
    a1 = record(award, company, samr, 2)
    record(secret, company, samr, 3)  # not public: never counts
    record(penalty, company, samr, 4, publicity_ends_on=datetime.date(2020, 1, 1))  # expired

    body = caac_api.get(f"/api/v1/subjects/{company.identifier}/rating/").json()
    assert body["rule_set_version"] == 1 and body["rule_set_is_example"] is True
    explained = sorted(
        (p["rule"], p["record"]["type"], p["record"]["id"], p["points"]) for p in body["points"]
    )
    assert explained == [
        ("R01", "list_entry", entry.pk, -40),
        ("R04", "credit_record", p1.pk, -10),
        ("R05", "credit_record", a1.pk, 5),
    ]
    assert body["total"] == 100 - 40 - 10 + 5 == 55
    assert body["grade"] == "poor" and body["computed_at"]
    assert anonymous.get(f"/api/v1/subjects/{company.identifier}/rating/").status_code in (
        401,
        403,
    )


def test_never_for_natural_persons(court_list, alice, bob, caac_api):
    person = f.subject("natural_person", name="张三")
    publish(court_list, person, alice, bob)
    r = caac_api.get(f"/api/v1/subjects/{person.identifier}/rating/")
    assert r.status_code == 404
    with pytest.raises(Exception, match="公共信用评价仅适用于企业"):
        services.rating_compute(subject=person)
    assert services.rating_current(person) is None
    assert not Rating.objects.exists()
    org = f.subject("social_organisation", name="某协会")
    assert caac_api.get(f"/api/v1/subjects/{org.identifier}/rating/").status_code == 404


def test_recomputed_from_the_change_log_when_inputs_change(court_list, alice, bob, company, samr):
    assert services.rating_current(company).grade == "good"  # 100, nothing on record
    entry = publish(court_list, company, alice, bob)
    notifications.changes_collect_all()
    assert services.recompute_changed() == 1
    rating = Rating.objects.get(subject=company)
    assert (rating.grade, rating.total) == ("poor", 60)
    lists.list_entry_revoke(actor=bob, entry=entry, reason="撤销")
    record(item(samr, "BZJL", "award", category="positive"), company, samr, 9)
    notifications.changes_collect_all()
    services.recompute_changed()
    rating.refresh_from_db()
    assert (rating.grade, rating.total) == ("good", 105)
    assert services.recompute_changed() == 0  # cursor moved on


def test_inputs_leaving_force_and_a_new_rule_set_version(company, samr):
    penalty = item(samr, "XZCF", "administrative_penalty")
    soon = timezone.localdate() + datetime.timedelta(days=3)
    record(penalty, company, samr, 1, publicity_ends_on=soon)
    rating = services.rating_current(company)
    assert rating.total == 90 and rating.valid_until == soon
    Rating.objects.filter(pk=rating.pk).update(valid_until=timezone.localdate())
    CreditRecord.objects.update(publicity_ends_on=timezone.localdate())
    assert services.recompute_stale() == 1
    assert Rating.objects.get(pk=rating.pk).total == 100

    operator = f.user("operator", None, "admin", is_superuser=True)
    draft = services.rule_set_copy(actor=operator, rule_set=RuleSet.objects.current())
    Rule.objects.filter(rule_set=draft, code="R04").update(points=-30)
    services.rule_set_publish(actor=operator, rule_set=draft)
    CreditRecord.objects.update(publicity_ends_on=soon)
    again = services.rating_current(company)
    assert again.rule_set.version == 2 and again.total == 70
    with pytest.raises(Exception, match="该规则集已发布"):
        services.rule_set_publish(actor=operator, rule_set=draft)


def test_shown_on_the_subject_page_with_its_explanation(client, court_list, alice, bob, company):
    publish(court_list, company, alice, bob)
    zh = client.get(f"/subjects/{company.identifier}/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    text = zh.content.decode()
    assert "公共信用综合评价" in text and "较差" in text and "R01" in text and "-40" in text
    assert "示例" in text  # the example rule set says it is one
    en = client.get(f"/subjects/{company.identifier}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Public credit rating" in en.content.decode() and "Poor" in en.content.decode()
    person = f.subject("natural_person", name="李四")
    publish(court_list, person, alice, bob)
    from publicity.selectors import subject_ref

    page = client.get(f"/subjects/{subject_ref(person)}/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert page.status_code == 200 and 'id="h-rating"' not in page.content.decode()


def test_in_the_subjects_own_file(client, court_list, alice, bob, company, tmp_path):
    import shutil
    import subprocess

    publish(court_list, company, alice, bob)
    r = client.get(f"/subjects/{company.identifier}/report.pdf", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert r.status_code == 200
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "公共信用综合评价" in text and "R01" in text
