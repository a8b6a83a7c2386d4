"""Found by trying the admin as a court clerk would (trial T2)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from blacklists.admin import ListEntryForm
from blacklists.models import SeverityTier
from tests import factories as f
from tests.blacklists.test_admin_i18n import project_models

pytestmark = pytest.mark.django_db


def test_editing_a_draft_offers_only_its_lists_grounds_and_tiers(court, alice, make_entry):
    """On the change page the list is read-only (no list select for the page script to
    follow), so the form itself must narrow grounds and tiers to the entry's list."""
    other = f.list_definition(court)  # a second list of the same agency
    entry = make_entry("draft")
    form = ListEntryForm(instance=entry, user=alice)
    assert {g.list_id for g in form.fields["ground"].queryset} == {entry.list_id}
    assert {t.list_id for t in form.fields["tier"].queryset} == {entry.list_id}
    assert other.grounds.exists()
    # A new entry still offers every list of the agency (the page narrows them by list).
    blank = ListEntryForm(user=alice)
    assert {g.list_id for g in blank.fields["ground"].queryset} == {entry.list_id, other.pk}


def test_plural_model_names_are_chinese_without_an_english_s():
    """Django appends "s" to a verbose_name without a plural: "导入任务s" on the admin home."""
    with translation.override("zh-hans"):
        wrong = [
            f"{m._meta.label}: {m._meta.verbose_name_plural}"
            for m in project_models()
            if re.search(r"[A-Za-z]", str(m._meta.verbose_name_plural))
        ]
    assert wrong == []


@pytest.mark.parametrize(
    ("low", "high", "unwanted", "wanted"),
    [(0, None, "至少 0 个月", "永久"), (0, 24, "0–24", "24 个月"), (3, 12, None, "3–12 个月")],
)
def test_tier_labels_do_not_speak_of_zero_months(court, low, high, unwanted, wanted):
    definition = f.list_definition(court)
    tier = SeverityTier(list=definition, tier="serious", min_months=low, max_months=high)
    with translation.override("zh-hans"):
        label = str(tier)
    assert wanted in label
    if unwanted:
        assert unwanted not in label


def test_queued_import_page_title_is_chinese(client, alice):
    client.force_login(alice)
    page = client.get("/admin/blacklists/importjob/add/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "Queue an import" not in page.content.decode()
    assert "排队导入名单记录" in page.content.decode()


@pytest.mark.parametrize("model_path", ["registry.RecordRepair", "blacklists.RepairApplication"])
def test_repair_pages_name_the_conditions_met_not_their_codes(model_path):
    """Found deciding a repair in trial: '已满足的条件: credit_commitment, obligation_met'."""
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model(model_path)
    model_admin = admin.site._registry[model]
    assert "conditions_met" not in model_admin.readonly_fields
    application = model(conditions_met=["obligation_met", "credit_commitment"])
    with translation.override("zh-hans"):
        shown = str(model_admin.conditions_shown(application))
    assert "obligation_met" not in shown and "credit_commitment" not in shown
    assert re.search(r"[\u4e00-\u9fff]", shown)
