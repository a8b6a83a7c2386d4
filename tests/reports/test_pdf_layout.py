"""The special credit report's PDF over several pages: a table row never splits across pages,
the table's header repeats on every page the table continues on, and an empty area says so.
Read back with pypdf (text per page)."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from registry.models import CreditRecord
from reports.pdf import issue_special_report
from reports.selectors import Audience

pytestmark = pytest.mark.django_db

ROWS = 40


def _pages(content: bytes) -> list[str]:
    return [re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages]


def test_rows_never_split_and_headers_repeat(records, company):
    penalty = records["penalty"]
    today = timezone.localdate()
    CreditRecord.objects.bulk_create(
        CreditRecord(
            subject=company,
            catalogue_item=penalty.catalogue_item,
            agency=penalty.agency,
            decision_number=f"杭市监罚〔2026〕Q{i}X号",
            decision_date=today - datetime.timedelta(days=i + 1),
            title=f"违反《中华人民共和国广告法》第二十八条的行政处罚（第{i}件）",
            # Rows of different heights, so that page ends fall inside the rows.
            content="当事人发布虚假广告，责令停止发布，罚款人民币贰万元整。" * (1 + i % 5)
            + f"Z{i}Z",
            publicity_ends_on=today + datetime.timedelta(days=300),
        )
        for i in range(ROWS)
    )
    with translation.override("en"):
        _issued, content = issue_special_report(
            company,
            period_from=today - datetime.timedelta(days=365),
            period_to=today,
            audience=Audience.SUBJECT,
        )
    pages = _pages(content)
    assert len(pages) >= 3
    # PDF/UA-1: a tagged PDF (structure tree, marked content) in the report's language.
    catalog = PdfReader(io.BytesIO(content)).trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
    assert str(catalog["/Lang"]).lower().startswith("en")

    def page_of(marker: str) -> int:
        found = [n for n, text in enumerate(pages) if marker in text]
        assert len(found) == 1, (marker, found)
        return found[0]

    for i in range(ROWS):
        # The row's first cell (its decision number) and the end of its last text on one page.
        assert page_of(f"Q{i}X号") == page_of(f"Z{i}Z"), i
    table_pages = {page_of(f"Z{i}Z") for i in range(ROWS)}
    assert len(table_pages) >= 2
    for n in table_pages:
        assert "TypeDecisionContentAgency" in pages[n], n  # the header, on every page
    # The areas with nothing say so.
    assert "Noblacklistorwatchlistentryinthisperiod." in "".join(pages)
