"""Faults found by trying the portal as a new user would (issue 13 trial): each test names
what a person did and what they saw."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from blacklists import services as list_services
from blacklists.models import ListEntry
from rating import services as rating_services

pytestmark = pytest.mark.django_db


def test_rating_cites_no_entry_the_page_holds_back(client, company, company_entry):
    """The subject objected from its account; the list holds the entry out of publicity while
    the objection is pending. The page showed no entry, yet its public rating still cited the
    entry by list and decision number and took 40 points for it."""
    rating_services.rating_compute(subject=company)  # stored before the objection
    list_services.objection_file(
        entry=company_entry,
        filed_by_name=company.name,
        contact="legal@example.com",
        disputed_facts="执行款已于2026年3月全部履行完毕。",
        verified_subject=True,
    )
    rating = rating_services.rating_current(company)  # the stored one is out of date
    assert [p for p in rating.points if p["record"]["type"] == "list_entry"] == []
    page = client.get(reverse("publicity:subject", args=[company.identifier]))
    assert page.status_code == 200
    assert company_entry.decision_number not in page.content.decode()


def test_rating_cites_no_entry_past_its_publicity_period(company, company_entry):
    """An entry still in force whose publicity period has ended is not on the page: the
    public rating, built from what the page shows, does not count it either."""
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    ListEntry.objects.filter(pk=company_entry.pk).update(publicity_ends_on=yesterday)
    rating = rating_services.rating_compute(subject=company)
    assert [p for p in rating.points if p["record"]["type"] == "list_entry"] == []


def test_report_verification_names_the_language_not_its_code(client, company):
    """The verification page said "语言 zh-hans": a code, not a language a reader knows."""
    from reports.models import IssuedReport

    report = IssuedReport.objects.create(subject=company, language="zh-hans", sha256="0" * 64)
    page = client.get(
        reverse("publicity:report-verify", args=[report.number]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "zh-hans" not in page
    assert "简体中文" in page


def test_demo_redlist_facts_do_not_speak_of_untrustworthy_conduct(honours, defaulters):
    """The subject's file showed, under a tax A-grade redlist entry, "认定事实：经依法认定,该主体
    存在上述失信行为" — the demo data called a merit listing untrustworthy conduct."""
    from blacklists.demo import demo_facts

    assert "失信" not in demo_facts(honours)
    assert "失信行为" in demo_facts(defaulters)


def test_rating_sources_on_the_page_cite_public_documents(client, company, company_entry):
    """The public rating's 规则依据 column read "NDRC 2020 policy document on the blacklist
    system (seed 002); ..." and "Seed 002: Customs advanced certified enterprises ...": English
    on the Chinese page, citing the project's internal seed notes no reader has."""
    from rating.models import RuleSet

    for rule in RuleSet.objects.current().rules.all():
        assert "seed" not in rule.source.lower(), rule.code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.source), rule.code
    page = client.get(
        reverse("publicity:subject", args=[company.identifier]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "国发〔2016〕33号" in page
    assert "seed 00" not in page.lower()
