"""Django's "历史" (history) button shows the project's audit trail: who, when in Beijing time,
what changed (field labels, old → new, choices by their labels) and why; scoped like the
change page. Django's own view reads admin LogEntry rows, which the services never write."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from blacklists import services
from sanctions.models import Sanction
from sharing.models import Consultation
from tests import factories as f
from tests.sanctions.conftest import draft, drain, publish

pytestmark = pytest.mark.django_db


def test_the_history_button_shows_who_when_what_and_why(client, scene, company, alice, bob, carol):
    entry = draft(scene["list"], company, alice)
    services.list_entry_submit(actor=alice, entry=entry)
    services.list_entry_return(actor=bob, entry=entry, reason="事实部分须补充执行案号")
    client.force_login(alice)
    change = client.get(f"/admin/blacklists/listentry/{entry.pk}/change/").content.decode()
    assert f"/admin/blacklists/listentry/{entry.pk}/history/" in change  # Django's button
    response = client.get(f"/admin/blacklists/listentry/{entry.pk}/history/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "没有变更历史" not in page  # not Django's empty LogEntry page
    with translation.override("zh-hans"):
        state_labels = dict(type(entry).State.choices)
        assert "时间（北京时间）" in page
        assert f"{state_labels['submitted']} → {state_labels['draft']}" in page
    assert "alice" in page and "bob" in page
    assert "事实部分须补充执行案号" in page  # why, in the reviewer's words
    last = entry.events.order_by("-pgh_id").first()
    assert f"{timezone.localtime(last.pgh_created_at):%Y-%m-%d %H:%M:%S}" in page  # local time
    # The history shows the same non-public data as the page: logged like it.
    assert Consultation.objects.filter(reference__endswith=":history").count() == 1
    # Another agency's clerk gets no history of this entry.
    client.force_login(carol)
    other = client.get(f"/admin/blacklists/listentry/{entry.pk}/history/")
    assert (other.status_code, other["Location"]) == (302, "/admin/")


def test_a_sanctions_history_button_shows_its_feed_events(client, scene, company):
    publish(scene["list"], company, scene["clerk"], scene["reviewer"])
    drain()
    m01 = Sanction.objects.get(measure__code="M01")
    client.force_login(f.user("caac-clerk", m01.implementing_agency))
    page = client.get(f"/admin/sanctions/sanction/{m01.pk}/history/").content.decode()
    imposed = m01.events.get()
    assert f"{timezone.localtime(imposed.at):%Y-%m-%d %H:%M}" in page
    assert "没有变更历史" not in page
