"""Sharing fixtures over the fixed cast: samr supplies penalties (public), a government-visible
inspection item and a restricted tax-arrears item; court and customs consult."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from registry import services
from registry.models import CatalogueItem, CreditRecord
from tests import factories as f
from tests.conftest import api_client_for


@pytest.fixture(autouse=True)
def _purposes(db):
    """The default purposes come from a data migration; transactional tests (live server) flush
    every table, so reload them when missing."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sharing.migrations.0002_default_purposes")
    migration.forwards(apps, None)


def make_item(agency, code, visibility, record_type="administrative_penalty", **kw):
    values = {
        "code": code,
        "name": f"目录{code}",
        "category": "negative",
        "visibility": visibility,
        "record_type": record_type,
        "supplying_agency": agency,
        "legal_basis": "《行政处罚法》第四十八条",
        "publicity_months": 12,
        "min_publicity_months": 3,
        "requires_review": False,
    }
    values.update(kw)
    return CatalogueItem.objects.create(**values)


@pytest.fixture
def items(samr):
    return {
        "public": make_item(samr, "N-001", "public"),
        "government": make_item(samr, "G-101", "government", "inspection"),
        "restricted": make_item(samr, "R-201", "restricted", "tax"),
    }


@pytest.fixture
def samr_clerk(samr):
    return f.user("samr-clerk", samr, "clerk")


def file_record(actor, item, subject, number, **kw) -> CreditRecord:
    values = {
        "subject": subject,
        "catalogue_item": item,
        "decision_number": number,
        "decision_date": datetime.date.today() - datetime.timedelta(days=10),
        "content": f"{item.code} 记录内容 {number}",
    }
    if item.record_type == "administrative_penalty":
        values.update(severity="ordinary", penalty_kind="罚款")
    values.update(kw)
    record, _ = services.credit_record_create(actor=actor, data=services.RecordInput(**values))
    return record


@pytest.fixture
def company_records(samr_clerk, items, company):
    return {
        tier: file_record(samr_clerk, item, company, f"杭市监〔2026〕{i}号")
        for i, (tier, item) in enumerate(items.items(), start=1)
    }


@pytest.fixture
def samr_api(samr):
    return api_client_for(samr, "clerk", "samr-api")


@pytest.fixture
def court_admin(court):
    return f.user("court-admin", court, "admin")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def consent_document(name="consent.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")
