"""A crawl for full resident IDs (issue 9 §3): every public page, PDF report and portal search;
every admin page a masked clerk can reach; every API response of a masked agency token; and
every log line written meanwhile. None may hold a natural person's full ID that the viewer's
agency may not see.

The cast (tests/conftest.py, tests/publicity/conftest.py): the public (anonymous), customs'
clerk carol (no right to personal IDs), railway's API token (implements a measure, no right),
customs' token (implements an incentive, no right). The court's staff and CAAC may see IDs and
are checked only for the opposite: that their right still works.
"""

from __future__ import annotations

import io
import logging
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from registry.models import Subject
from sanctions import services as sanction_services
from scs.logging import MaskResidentIds
from tests import factories as f
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

LINK = re.compile(r"""(?:href|src|action)=["']([^"'#]+)["']""")
SKIP = ("logout", "delete", "password", "/i18n/", "/static/", "jsi18n", "/api/docs", "/api/schema")
MAX_PAGES = 400


@pytest.fixture(autouse=True)
def _generous_limits(settings):
    settings.PORTAL_RATE_LIMITS = {
        scope: (10_000, 60) for scope in ("search", "report", "track", "submit")
    }


@pytest.fixture
def world(scene, court, railway, customs, defaulters, alice, bob):
    f.memorandum(
        [defaulters],
        [court, railway],
        [{"code": "R01", "text": "限制乘坐高铁", "agency": railway}],
        key="mou-railway",
    )
    for memo in scene["memorandum"].__class__.objects.all():
        sanction_services.memorandum_sync(memorandum_id=memo.pk)
    persons = list(Subject.objects.natural_persons().values_list("identifier", flat=True))
    assert len(persons) >= 3
    return {**scene, "person_ids": persons}


def _full_ids_in(text: str, ids: list[str]) -> list[str]:
    return [i for i in ids if i in text or i.lower() in text]


def _crawl(client: Client, start: list[str], prefix: str) -> dict[str, str]:
    """GET every same-site page reachable from `start` under `prefix` (bounded)."""
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or any(s in url for s in SKIP) or not path.startswith(prefix):
            continue
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        seen[url] = text
        if "text/html" in response.get("Content-Type", ""):
            for link in LINK.findall(text):
                target = urljoin(url, link.replace("&amp;", "&"))
                parts = urlsplit(target)
                if parts.netloc and parts.netloc != "testserver":
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


@pytest.fixture
def captured_logs():
    """Every line the configured (masking) handlers write during the test."""
    stream = io.StringIO()
    # One "console" handler serves the root, django and django.server loggers: take each
    # handler once and restore its own stream. (Listing it three times made the second and
    # third setStream() return None, and restoring those left the handler writing to None for
    # every later test.)
    handlers = {
        id(h): h
        for name in ("", "django", "django.server")
        for h in logging.getLogger(name).handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(x, MaskResidentIds) for x in h.filters)
    }.values()
    previous = [(h, h.stream) for h in handlers]
    for h, _old in previous:
        h.setStream(stream)
    access = logging.getLogger("scs.access")
    level = access.level
    access.setLevel(logging.INFO)
    yield stream
    access.setLevel(level)
    for h, old in previous:
        h.setStream(old)


def test_public_portal_pages_and_pdfs_hold_no_full_id(world, captured_logs):
    anonymous = Client()
    person, hidden = world["person"], world["hidden"]
    from publicity import selectors

    start = [
        "/",
        "/lists/",
        "/memoranda/",
        "/stats/",
        f"/search/?q={person.name}",
        f"/search/?q={person.identifier}",  # a typed ID is never echoed
        f"/search/?q={hidden.identifier}",
        f"/subjects/{person.identifier}/",  # redirected to the masked reference
        f"/subjects/{selectors.subject_ref(person)}/report.pdf",
        f"/subjects/{selectors.subject_ref(world['company'])}/report.pdf",
    ]
    pages = _crawl(anonymous, start, "/")
    assert len(pages) > 15
    from tests.publicity.test_pages import _pdf_text

    leaks = {url: _full_ids_in(text, world["person_ids"]) for url, text in pages.items()}
    assert {u: ids for u, ids in leaks.items() if ids} == {}
    # PDFs are compressed: read their text too.
    import pathlib
    import tempfile

    for url in [u for u in pages if u.endswith("report.pdf")]:
        content = anonymous.get(url).content
        with tempfile.TemporaryDirectory() as tmp:
            text = _pdf_text(content, pathlib.Path(tmp))
        assert _full_ids_in(text, world["person_ids"]) == [], url
    assert _full_ids_in(captured_logs.getvalue(), world["person_ids"]) == []


def test_admin_pages_of_a_masked_clerk_hold_no_full_id(world, carol, captured_logs):
    clerk = Client()
    clerk.force_login(carol)
    person = world["person"]
    start = [
        "/admin/",
        "/admin/registry/subject/",
        f"/admin/registry/subject/?q={person.identifier}",
        "/admin/registry/subject/?_popup=1&_to_field=id",
        f"/admin/registry/subject/{person.pk}/change/",
        f"/admin/registry/subject/{person.pk}/history/",
        f"/admin/registry/subject/{world['legal_rep'].pk}/change/",
        f"/admin/registry/subject/{world['company'].pk}/change/",
        "/admin/blacklists/listentry/",
        f"/admin/blacklists/listentry/?q={person.identifier}",
        "/admin/sanctions/sanction/",
        "/admin/registry/creditrecord/",
        "/admin/autocomplete/?app_label=blacklists&model_name=listentry&field_name=subject"
        f"&term={person.name}",
    ]
    pages = _crawl(clerk, start, "/admin/")
    assert len(pages) > 20
    # Follow the search redirects too (the ID moved into the session).
    for url in [u for u in start if "?q=" in u]:
        response = clerk.get(url, follow=True)
        pages[url + " (followed)"] = response.content.decode()
    # The subject search by full ID still finds the person (entries are scoped to customs).
    assert person.name in pages[f"/admin/registry/subject/?q={person.identifier} (followed)"]
    leaks = {url: _full_ids_in(text, world["person_ids"]) for url, text in pages.items()}
    assert {u: ids for u, ids in leaks.items() if ids} == {}
    assert _full_ids_in(captured_logs.getvalue(), world["person_ids"]) == []


def test_api_responses_to_masked_tokens_hold_no_full_id(world, railway, customs, captured_logs):
    person, legal_rep = world["person"], world["legal_rep"]
    for api in (api_client_for(railway), api_client_for(customs)):
        bodies = {}
        for url in (
            "/api/v1/subjects/",
            f"/api/v1/subjects/?q={person.name}",
            f"/api/v1/subjects/{person.identifier}/",
            f"/api/v1/subjects/{world['company'].identifier}/",
            "/api/v1/lists/",
            "/api/v1/list-entries/",
            "/api/v1/sanctions/feed/",
            f"/api/v1/subjects/{person.identifier}/restrictions/",
            f"/api/v1/subjects/{legal_rep.identifier}/restrictions/",
        ):
            response = api.get(url)
            assert response.status_code in (200, 404), (url, response.status_code)
            bodies[url] = response.content.decode()
        for url, data in (
            ("/api/v1/screenings/", {"identifiers": world["person_ids"]}),
            ("/api/v1/restrictions/lookup/", {"identifier": person.identifier}),
        ):
            bodies[url] = api.post(url, data, format="json").content.decode()
        leaks = {url: _full_ids_in(text, world["person_ids"]) for url, text in bodies.items()}
        assert {u: ids for u, ids in leaks.items() if ids} == {}
    assert person.masked_identifier in bodies["/api/v1/list-entries/"]
    assert _full_ids_in(captured_logs.getvalue(), world["person_ids"]) == []


def test_viewers_with_the_right_still_see_full_ids(world, alice, caac):
    person = world["person"]
    clerk = Client()
    clerk.force_login(alice)
    assert person.identifier in clerk.get("/admin/registry/subject/").content.decode()
    feed = api_client_for(caac).get("/api/v1/sanctions/feed/").content.decode()
    assert person.identifier in feed
