"""A self-hosted CAPTCHA on the objection and repair forms after the first few submissions
from one client (issue 10)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests import factories as f
from tests.publicity.conftest import make_entry, publish


@pytest.mark.django_db
def test_captcha_after_three_submissions_from_one_client(scene, settings, monkeypatch):
    from blacklists.models import Objection
    from publicity import captcha

    cache.clear()
    settings.PORTAL_CAPTCHA_AFTER = 3
    client = Client()
    entries = [scene["entry"]]
    # Three objections to three entries from one address: no CAPTCHA.
    for i in range(3):
        entry = entries[0] if i == 0 else _another_published_entry(scene, i)
        entries.append(entry)
        url = f"/objections/new/?entry={entry.pk}"
        assert "captcha" not in client.get(url).content.decode()
        response = client.post(url, _objection(f"事实{i}"))
        assert response.status_code == 302, response.content.decode()[:2000]
    target = _another_published_entry(scene, 9)
    url = f"/objections/new/?entry={target.pk}"
    page = client.get(url).content.decode()
    assert 'class="captcha" src="data:image/png;base64,' in page
    token = re.search(r'name="captcha_token" value="([^"]+)"', page).group(1)
    wrong = client.post(url, {**_objection("新事实"), "captcha_token": token, "captcha": "1"})
    assert wrong.status_code == 200
    assert not Objection.objects.filter(entry=target).exists()
    # A known challenge (the digits are random in real use).
    monkeypatch.setattr(captcha.secrets, "choice", lambda seq: "7")
    token = re.search(
        r'name="captcha_token" value="([^"]+)"', client.get(url).content.decode()
    ).group(1)
    solved = {**_objection("新事实"), "captcha_token": token, "captcha": "７７７７７"}
    assert client.post(url, solved).status_code == 302
    assert Objection.objects.filter(entry=target).count() == 1
    # A solved token is spent: replaying it does not pass.
    other = _another_published_entry(scene, 10)
    replay = client.post(f"/objections/new/?entry={other.pk}", solved)
    assert replay.status_code == 200
    assert not Objection.objects.filter(entry=other).exists()
    # Another address is not asked.
    fresh = Client(REMOTE_ADDR="198.51.100.77").get(url.replace(str(target.pk), str(other.pk)))
    assert "captcha" not in fresh.content.decode()


def _objection(facts: str) -> dict:
    return {
        "filed_by_name": "杭州恒信电子科技有限公司",
        "on_behalf": "",
        "contact": "0571-12345678",
        "disputed_facts": facts,
    }


def _another_published_entry(scene, n: int):
    entry = scene["entry"]
    subject = f.subject("enterprise", name=f"杭州第{n}电子有限公司")
    made = make_entry(entry.list, subject, entry.created_by, number=f"(2026)浙01执9{n}号")
    return publish(made, entry.created_by, entry.approved_by)
