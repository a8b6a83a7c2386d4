"""API hygiene: ETag/304 on subject and list resources, X-RateLimit-* from the throttle's
state, Deprecation/Sunset for retired paths."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_subject_and_list_resources_carry_an_etag_and_answer_304(caac_api, company, court_list):
    for url in (
        f"/api/v1/subjects/{company.identifier}/",
        "/api/v1/subjects/",
        "/api/v1/lists/",
    ):
        first = caac_api.get(url)
        assert first.status_code == 200 and first["ETag"].startswith('"'), url
        again = caac_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"], url
        assert again.content == b""
        stale = caac_api.get(url, HTTP_IF_NONE_MATCH='"not-it"')
        assert stale.status_code == 200


def test_etag_changes_when_the_resource_does(caac_api, registrar_api, company):
    url = f"/api/v1/subjects/{company.identifier}/"
    before = caac_api.get(url)["ETag"]
    from registry.models import Subject

    Subject.objects.filter(pk=company.pk).update(name="杭州恒信电子科技股份有限公司")
    after = caac_api.get(url, HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200 and after["ETag"] != before


def test_rate_limit_headers_count_down_and_reset(caac_api, settings, company):
    cache.clear()
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], token="3/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import SimpleRateThrottle

    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        seen = []
        for _ in range(4):
            r = caac_api.get(f"/api/v1/subjects/{company.identifier}/")
            seen.append((r.status_code, r["X-RateLimit-Limit"], r["X-RateLimit-Remaining"]))
            reset = int(r["X-RateLimit-Reset"])
            assert time.time() < reset <= time.time() + 61
        assert seen == [
            (200, "3", "2"),
            (200, "3", "1"),
            (200, "3", "0"),
            (429, "3", "0"),
        ]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = old
        cache.clear()


def test_deprecation_and_sunset_headers_for_listed_paths(caac_api, settings, company):
    settings.API_DEPRECATIONS = [
        {
            "prefix": "/api/v1/lists/",
            "deprecation": "2027-01-01",
            "sunset": "2027-07-01",
            "link": "https://credit.example.gov.cn/docs/api-v2",
        }
    ]
    r = caac_api.get("/api/v1/lists/")
    assert r["Deprecation"] == "@1798761600"
    assert r["Sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert r["Link"] == '<https://credit.example.gov.cn/docs/api-v2>; rel="deprecation"'
    other = caac_api.get(f"/api/v1/subjects/{company.identifier}/")
    assert not other.has_header("Deprecation") and not other.has_header("Sunset")
