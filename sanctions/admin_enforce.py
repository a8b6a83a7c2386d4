"""/admin/sanctions/to-enforce/: the sanctions in force that the clerk's agency must apply,
filterable by measure and date of imposition, exportable as CSV and XLSX.

Reads only: the page and its exports show each target's code as the viewer's agency may see
it (full resident IDs only where its legal tasks need them, e.g. the airline and railway
operators that must check a passenger's ID).
"""

from __future__ import annotations

import csv
import datetime
import io

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry.admin import shown_identifier
from sanctions.models import Measure, Sanction, SanctionFeedback
from sanctions.selectors import end_of_day

PAGE = 100
EXPORT_MAX_ROWS = 200_000  # an XLSX sheet is built in memory; past this, filter first


class ToEnforceFilter(forms.Form):
    measure = forms.ChoiceField(label=_("Measure"), required=False)
    imposed_from = forms.DateField(
        label=_("Imposed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    imposed_to = forms.DateField(
        label=_("Imposed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    feedback = forms.ChoiceField(
        label=_("Feedback"),
        required=False,
        choices=[("", _("all")), ("none", _("no feedback yet")), ("given", _("feedback given"))],
    )

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [("", _("all measures"))] + [
            (measure_ref(m), f"{m.text}（{m.memorandum.document_number} {m.code}）")
            for m in measures
        ]


def measure_ref(measure: Measure) -> str:
    """A measure named in a URL by its memorandum key and code, not its database id."""
    return f"{measure.memorandum.key}:{measure.code}"


def to_enforce_queryset(*, agency_id: int | None, data: dict):
    qs = Sanction.objects.in_force()
    if agency_id is not None:
        qs = qs.for_implementing_agency(agency_id)
    ref = data.get("measure") or ""
    if ":" in ref:
        key, code = ref.split(":", 1)
        qs = qs.filter(measure__memorandum__key=key, measure__code=code)
    if data.get("imposed_from"):
        start = timezone.make_aware(
            datetime.datetime.combine(data["imposed_from"], datetime.time.min)
        )
        qs = qs.filter(imposed_at__gte=start)
    if data.get("imposed_to"):
        qs = qs.filter(imposed_at__lt=end_of_day(data["imposed_to"]))
    latest = (
        SanctionFeedback.objects.filter(sanction=OuterRef("pk"))
        .order_by("-recorded_at")
        .values("outcome")[:1]
    )
    qs = qs.annotate(last_feedback=Subquery(latest))
    if data.get("feedback") == "none":
        qs = qs.filter(last_feedback__isnull=True)
    elif data.get("feedback") == "given":
        qs = qs.filter(last_feedback__isnull=False)
    return qs.select_related(
        "measure__memorandum", "target", "entry__list", "entry__list__owner"
    ).order_by("-imposed_at", "-id")


HEADERS = [
    _("measure"),
    _("mandatory"),
    _("subject"),
    _("code"),
    _("kind"),
    _("list"),
    _("listing agency"),
    _("decision number"),
    _("imposed at"),
    _("feedback"),
]


def row_of(sanction: Sanction, user) -> list[str]:
    outcomes = dict(SanctionFeedback.Outcome.choices)
    return [
        sanction.measure.text,
        gettext("yes") if sanction.measure.mandatory else gettext("no"),
        sanction.target.name,
        shown_identifier(sanction.target, user),
        str(sanction.target.get_kind_display()),
        sanction.entry.list.name,
        str(sanction.entry.list.owner),
        sanction.entry.decision_number,
        f"{timezone.localtime(sanction.imposed_at):%Y-%m-%d %H:%M}",
        str(outcomes.get(sanction.last_feedback, "—")) if sanction.last_feedback else "—",
    ]


class _Echo:
    def write(self, value):
        return value


def _csv(qs, user) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # Excel opens UTF-8 CSV as UTF-8 only with a BOM
        yield writer.writerow([str(h) for h in HEADERS])
        for sanction in qs[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            yield writer.writerow(row_of(sanction, user))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="to-enforce.csv"'
    return response


def _xlsx(qs, user) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext("To enforce"))
    sheet.append([str(h) for h in HEADERS])
    for sanction in qs[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        # Codes as text: Excel would turn an 18-digit ID into 1.10101E+17.
        sheet.append(row_of(sanction, user))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="to-enforce.xlsx"'
    return response


def log_export(qs, user, fmt: str) -> int:
    """The export writes each target's code as the viewer may see it (full resident IDs for
    agencies whose legal tasks need them): one access-log row per exported subject, listing
    the sanctions its lines showed, in one INSERT … SELECT over the export's own query (the
    same filters and the same EXPORT_MAX_ROWS cut). Returns the rows written."""
    from scs import consultations

    lines = qs.annotate(
        subject_id=F("target_id"),
        item=JSONObject(sanction="pk", measure="measure__code"),
    )[:EXPORT_MAX_ROWS]
    return consultations.record_consultations(
        user=user,
        channel="export",
        rows=lines,
        purpose_code=consultations.ADMIN_PURPOSE,
        reference=f"admin:to-enforce:{fmt}",
    )


def to_enforce_view(request):
    user = request.user
    if not (user.is_active and user.is_staff and (user.is_superuser or user.agency_id)):
        raise PermissionDenied
    agency_id = None if user.is_superuser else user.agency_id
    measures = Measure.objects.select_related("memorandum").order_by("memorandum", "code")
    if agency_id is not None:
        measures = measures.for_implementing_agency(agency_id)
    form = ToEnforceFilter(request.GET or None, measures=list(measures))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = to_enforce_queryset(agency_id=agency_id, data=data)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        log_export(qs, user, export)
        return _csv(qs, user) if export == "csv" else _xlsx(qs, user)
    try:
        page = max(1, int(request.GET.get("p", "1")))
    except ValueError:
        page = 1
    rows = list(qs[(page - 1) * PAGE : page * PAGE + 1])  # one more: is there a next page?
    query = request.GET.copy()
    query.pop("p", None)
    query.pop("export", None)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Sanctions to enforce"),
        "form": form,
        "headers": HEADERS,
        "rows": [(s.pk, row_of(s, user)) for s in rows[:PAGE]],
        "page": page,
        "has_next": len(rows) > PAGE,
        "query": query.urlencode(),
    }
    return render(request, "admin/sanctions/to_enforce.html", context)
