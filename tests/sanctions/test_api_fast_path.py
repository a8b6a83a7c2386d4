"""The hot machine endpoints' fast path: orjson writes what DRF's encoder wrote, the token
is checked in one query, and a screening is one query whatever the number of identifiers."""

import datetime
import json

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.utils.encoders import JSONEncoder

from registry.models import User
from scs.api import FastJSONRenderer
from tests import factories as f
from tests.sanctions.conftest import drain, publish

pytestmark = pytest.mark.django_db


def test_fast_renderer_writes_what_drfs_encoder_writes():
    payload = {
        "at": datetime.datetime(2026, 3, 1, 8, 30, 5, 123456, tzinfo=datetime.UTC),
        "on": datetime.date(2026, 3, 1),
        "name": "杭州某某科技有限公司",
        "n": [1, None, True],
    }
    fast = json.loads(FastJSONRenderer().render(payload))
    drf = json.loads(json.dumps(payload, cls=JSONEncoder))
    assert fast == drf
    assert fast["at"] == "2026-03-01T08:30:05.123456Z"


def test_feed_and_screening_answer_in_few_queries(
    scene, company, caac_api, django_assert_max_num_queries
):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    with django_assert_max_num_queries(3):  # token with user and agency, throttle-free, page
        page = caac_api.get("/api/v1/sanctions/feed/", {"limit": 1000})
    (event,) = page.json()["events"]
    assert event["target"] == company.identifier and event["at"].endswith("Z")
    strangers = [f.subject().identifier for _ in range(30)]
    body = {"identifiers": [f" {company.identifier} ", *strangers, "not a code"]}
    # token, the identifiers resolved, whether the caller implements measures (natural
    # persons are answered only then: issue 9), the subjects with their measures in force
    with django_assert_max_num_queries(4):
        response = caac_api.post("/api/v1/screenings/", body, format="json")
    results = response.json()["results"]
    assert results[0]["input"] == company.identifier  # trimmed, as the serializer did
    assert [m["measure"] for m in results[0]["measures"]] == ["M01"]
    assert all(r["known"] and r["measures"] == [] for r in results[1:-1])
    assert results[-1]["valid"] is False and results[-1]["error"]


def test_an_expired_token_is_refused_and_deleted(caac):
    user = User.objects.create(username="expiring", agency=caac, is_system=True)
    instance, token = AuthToken.objects.create(user=user, expiry=datetime.timedelta(seconds=1))
    AuthToken.objects.filter(pk=instance.pk).update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/sanctions/feed/").status_code == 401
    assert not AuthToken.objects.filter(pk=instance.pk).exists()
    client.credentials(HTTP_AUTHORIZATION="Token " + "x" * len(token))
    assert client.get("/api/v1/sanctions/feed/").status_code == 401
