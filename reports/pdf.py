"""Credit report PDFs (WeasyPrint, CJK fonts from Debian) and their issue record: the public
portal's credit information report (its page object comes from `publicity.selectors`, passed in)
and the special credit report of the public portal and /my/."""

from __future__ import annotations

import datetime
import hashlib
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reports.models import IssuedReport, new_report_number
from reports.selectors import SpecialReport, special_period_bounds, special_report


def verification_url(number: str) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('publicity:report-verify', args=[number])}"


def render_pdf(page, *, number: str, generated_at, request=None) -> bytes:
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
def issue_report(page, *, request=None) -> tuple[IssuedReport, bytes]:
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


SPECIAL_REPORT_CSS = Path(__file__).with_name("special_report.css")
_weasyprint = threading.local()


def _fonts_and_stylesheet():
    """A WeasyPrint FontConfiguration and the parsed special-report stylesheet, made once per
    thread and reused by every report. Without a font configuration WeasyPrint makes a new one
    per document (Fontconfig loads its configuration and scans the fonts again, Pango's font
    map and glyph caches start cold) and parses the stylesheet again. Per thread, not global:
    Fontconfig and Pango objects are not shared between threads."""
    assets = getattr(_weasyprint, "assets", None)
    if assets is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        assets = (fonts, CSS(filename=str(SPECIAL_REPORT_CSS), font_config=fonts))
        _weasyprint.assets = assets
    return assets


def qr_data_uri(text: str) -> str:
    """A PNG QR code (segno, error correction M, 6 px a module) as a data: URI for the PDF.
    PNG, not SVG: WeasyPrint's SVG renderer took seconds over the code's modules (issue 13:
    under 1 s warm; measured with benchmarks/special_report.py)."""
    import segno

    return segno.make(text, error="m").png_data_uri(scale=6, border=2)


def render_special_pdf(report: SpecialReport, *, number: str, generated_at, request=None) -> bytes:
    """The special credit report as a tagged PDF (WeasyPrint's PDF/UA-1 variant: structure
    tags, document title and language). Rows never split across pages; headers repeat."""
    from weasyprint import HTML

    url = verification_url(number)
    html = render_to_string(
        "publicity/special_report_pdf.html",
        {
            "report": report,
            "subject": report.subject,
            "number": number,
            "generated_at": generated_at,
            "verify_url": url,
            "qr": qr_data_uri(url),
        },
        request=request,
    )
    fonts, stylesheet = _fonts_and_stylesheet()
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1", font_config=fonts, stylesheets=[stylesheet]
    )


@transaction.atomic
def issue_special_report(
    subject,
    *,
    period_from: datetime.date,
    period_to: datetime.date,
    audience: str,
    request=None,
) -> tuple[IssuedReport, bytes]:
    """Render a special credit report of the period (at most 5 years back, see
    `special_period_bounds`) and record its number, hash, data version and item snapshot.
    Errors: ValidationError on `period_from` when the period is reversed or too long."""
    earliest, latest = special_period_bounds()
    if period_from > period_to:
        raise ValidationError({"period_from": _("The period starts after it ends.")})
    if period_from < earliest or period_to > latest:
        raise ValidationError(
            {"period_from": _("A special report covers at most the last 5 years.")}
        )
    report = special_report(
        subject, period_from=period_from, period_to=period_to, audience=audience
    )
    number = new_report_number()
    generated_at = timezone.now()
    content = render_special_pdf(report, number=number, generated_at=generated_at, request=request)
    issued = IssuedReport.objects.create(
        number=number,
        subject=subject,
        generated_at=generated_at,
        language=get_language() or settings.LANGUAGE_CODE,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        kind=IssuedReport.Kind.SPECIAL,
        audience=audience,
        period_from=period_from,
        period_to=period_to,
        data_version=report.data_version,
        snapshot=report.fingerprints,
    )
    return issued, content
