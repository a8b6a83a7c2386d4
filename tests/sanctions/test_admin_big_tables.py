"""Counts on big tables stop early (issue 11, 1 000 000 subjects): a home-page queue counts at
most QUEUE_CAP + 1 rows and says "N+", a changelist's filtered count at most COUNT_CAP rows,
neither with an ORDER BY (which would make PostgreSQL read and sort every match first)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanctions.models import Sanction
from scs import admin as scs_admin
from scs import admin_site
from tests import factories as f
from tests.sanctions.conftest import drain, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_no_fly(scene):
    for n in range(2):
        company = f.subject("enterprise", name=f"杭州某某{n}号科技有限公司")
        publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    return Sanction.objects.filter(measure__code="M01")


def test_a_long_queue_is_counted_no_further_than_its_cap(client, two_no_fly, monkeypatch):
    caac_clerk = f.user("caac-clerk", two_no_fly.first().implementing_agency)
    client.force_login(caac_clerk)
    page = client.get("/admin/").content.decode()
    assert ">2</a>" in page
    monkeypatch.setattr(admin_site, "QUEUE_CAP", 1)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/").content.decode()
    assert ">1+</a>" in page
    counts = [q["sql"] for q in queries.captured_queries if "sanctions_sanction" in q["sql"]]
    assert counts and all("ORDER BY" not in sql for sql in counts)
    assert any("LIMIT 2" in sql for sql in counts)


def test_a_changelists_filtered_count_is_capped_and_unordered(client, two_no_fly, monkeypatch):
    caac_clerk = f.user("caac-clerk", two_no_fly.first().implementing_agency)
    client.force_login(caac_clerk)
    monkeypatch.setattr(scs_admin, "COUNT_CAP", 1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/sanctions/sanction/")
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT")]
    capped = [sql for sql in counts if "sanctions_sanction" in sql and "LIMIT 1)" in sql]
    assert capped and all("ORDER BY" not in sql for sql in capped)
