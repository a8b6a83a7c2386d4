"""A reviewer confirms a derived watch-list candidate in the admin."""

import pytest

from blacklists.models import ListEntry, WatchCandidate
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_reviewer_confirms_candidate_into_an_approved_entry(client, court, bob, alice, company):
    watch = f.list_definition(
        court, kind="watchlist", may_trigger_joint_measures=False, is_derived=True
    )
    candidate = WatchCandidate.objects.create(watch_list=watch, subject=company, evidence=[])
    page = client.get(f"/admin/blacklists/watchcandidate/{candidate.pk}/change/")
    assert page.status_code == 302  # not logged in
    client.force_login(alice)  # a clerk may not confirm
    client.post(
        f"/admin/blacklists/watchcandidate/{candidate.pk}/confirm/",
        {
            "ground": watch.grounds.first().pk,
            "tier": watch.tiers.get(tier="general").pk,
            "duration_months": 6,
            "reasons": "三个部门的失信记录经核实",
        },
    )
    assert not ListEntry.objects.filter(list=watch).exists()
    client.force_login(bob)
    page = client.get(f"/admin/blacklists/watchcandidate/{candidate.pk}/change/").content.decode()
    assert "确认列入" in page
    response = client.post(
        f"/admin/blacklists/watchcandidate/{candidate.pk}/confirm/",
        {
            "ground": watch.grounds.first().pk,
            "tier": watch.tiers.get(tier="general").pk,
            "duration_months": 6,
            "reasons": "三个部门的失信记录经核实",
        },
    )
    entry = ListEntry.objects.get(list=watch, subject=company)
    assert response.status_code == 302 and str(entry.pk) in response["Location"]
    assert entry.state == "approved"  # notice and the objection window still to come
    candidate.refresh_from_db()
    assert candidate.status == "confirmed" and candidate.entry == entry
