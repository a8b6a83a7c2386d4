"""The special credit report as a response: the period form, then the PDF. Called by the public
portal's subject page and by the subject's own window; the audience differs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from reports.forms import SpecialReportForm
from reports.pdf import issue_special_report
from reports.selectors import special_period_bounds


def special_report_response(request, subject, *, audience: str, template: str, context=None):
    """The special credit report: a period form (GET), then the PDF when the period is given.
    Shared by the public subject page and the subject's own window (audience differs)."""
    form = SpecialReportForm(request.GET if "period_to" in request.GET else None)
    if form.is_bound and form.is_valid():
        try:
            report, content = issue_special_report(
                subject,
                period_from=form.cleaned_data["period_from"],
                period_to=form.cleaned_data["period_to"],
                audience=audience,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)  # period_from: reversed or too long
        else:
            response = HttpResponse(content, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{report.number}.pdf"'
            response["Cache-Control"] = "no-store"
            return response
    earliest, latest = special_period_bounds()
    return render(
        request,
        template,
        {"form": form, "subject": subject, "earliest": earliest, "latest": latest,
         **(context or {})},
    )  # fmt: skip
