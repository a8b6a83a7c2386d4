"""The feed under concurrent writers: a client paging while events arrive sees each event
exactly once (ids commit in order under the feed's advisory lock)."""

import threading

import pytest
from django.db import connection

from blacklists.models import OutboxEvent
from sanctions import services
from sanctions.models import SanctionEvent
from tests import factories as f
from tests.sanctions.conftest import publish

pytestmark = pytest.mark.django_db(transaction=True)


def test_paging_while_two_workers_write_loses_and_repeats_nothing(scene, caac_api, caac):
    subjects = [f.subject() for _ in range(24)]
    for subject in subjects:
        publish(scene["list"], subject, scene["clerk"], scene["reviewer"])
    event_ids = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True))
    errors = []

    def worker(ids):
        try:
            for event_id in ids:
                services.outbox_event_process(event_id=event_id)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(event_ids[0::2],)),
        threading.Thread(target=worker, args=(event_ids[1::2],)),
    ]
    for t in threads:
        t.start()

    seen, cursor = [], ""
    while True:
        writers_done = not any(t.is_alive() for t in threads)
        page = caac_api.get("/api/v1/sanctions/feed/", {"after": cursor, "limit": 3}).json()
        seen += [e["event_id"] for e in page["events"]]
        cursor = page["next"]
        if writers_done and not page["events"]:
            break
    for t in threads:
        t.join()
    assert not errors
    expected = list(
        SanctionEvent.objects.filter(implementing_agency=caac)
        .order_by("id")
        .values_list("id", flat=True)
    )
    assert len(expected) == 24
    assert seen == expected  # each exactly once, in order
