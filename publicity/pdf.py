"""Credit report PDFs (WeasyPrint, CJK fonts from Debian) and their issue record."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from publicity.models import IssuedReport, new_report_number
from publicity.selectors import SubjectPage


def verification_url(number: str) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('publicity:report-verify', args=[number])}"


def render_pdf(page: SubjectPage, *, number: str, generated_at, request=None) -> bytes:
    from weasyprint import HTML  # heavy import, only where PDFs are made

    html = render_to_string(
        "publicity/report_pdf.html",
        {
            "page": page,
            "subject": page.subject,
            "number": number,
            "generated_at": generated_at,
            "verify_url": verification_url(number),
        },
        request=request,
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


@transaction.atomic
def issue_report(page: SubjectPage, *, request=None) -> tuple[IssuedReport, bytes]:
    """Render the report and record its number, time, language and SHA-256."""
    number = new_report_number()
    generated_at = timezone.now()
    content = render_pdf(page, number=number, generated_at=generated_at, request=request)
    report = IssuedReport.objects.create(
        number=number,
        subject=page.subject,
        generated_at=generated_at,
        language=get_language() or settings.LANGUAGE_CODE,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    return report, content
