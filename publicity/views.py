"""The public portal: server-rendered pages that work without JavaScript."""

from __future__ import annotations

import hashlib
import logging

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from blacklists import services as list_services
from publicity import captcha, forms, selectors
from registry import services as registry_services
from registry.models import RECORD_REPAIR_CONDITIONS, RECORD_REPAIR_WORKING_DAYS
from reports import selectors as report_selectors
from reports.models import IssuedReport
from reports.pdf import issue_report
from reports.selectors import Audience
from reports.views import special_report_response
from scs.portal_ratelimit import ratelimited


def _posted(request) -> tuple:
    """(data, files) for a bound form on POST, even an empty one; (None, None) on GET."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _english() -> bool:
    return (get_language() or "").startswith("en")


@require_http_methods(["GET", "POST"])
@ratelimited("search", methods=("GET", "POST"))
def search(request):
    """GET for names; POST accepted too, so that a resident ID can be looked up without
    entering any URL (and so any access log or browser history)."""
    data = request.POST if request.method == "POST" else request.GET
    form = forms.SearchForm(data or None, english=_english())
    result = None
    context = {}
    if form.is_bound and form.is_valid():
        result = selectors.search(
            form.cleaned_data["q"], form.filters(), page=form.cleaned_data.get("page") or 1
        )
        if result.status == "empty":
            result = None
        elif result.personal_id:
            # A resident ID typed into the box: never echo it back. Go straight to the
            # (masked) page if the person is public, else answer with the masked number.
            if result.rows:
                return redirect("publicity:subject", ref=selectors.subject_ref(result.rows[0]))
            data = data.copy()
            data["q"] = result.query
            form = forms.SearchForm(data, english=_english())
            form.is_valid()
            context["lang_next"] = request.path
    template = "publicity/search.html" if result is not None else "publicity/home.html"
    return render(request, template, {"form": form, "result": result, **context})


@require_GET
def subject(request, ref: str):
    found = selectors.subject_by_ref(ref)
    if found is None:
        raise Http404(_("No public record of this subject."))
    canonical = selectors.subject_ref(found)
    if canonical != ref:  # e.g. a typed resident ID: keep it out of the page and its links
        return redirect("publicity:subject", ref=canonical)
    page = selectors.subject_page(found)
    return render(
        request,
        "publicity/subject.html",
        {"page": page, "subject": found, "ref": selectors.subject_ref(found)},
    )


@require_GET
@ratelimited("report")
def subject_report(request, ref: str):
    found = selectors.subject_by_ref(ref)
    if found is None:
        raise Http404(_("No public record of this subject."))
    canonical = selectors.subject_ref(found)
    if canonical != ref:
        return redirect("publicity:subject-report", ref=canonical)
    report, content = issue_report(selectors.subject_page(found), request=request)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@ratelimited("report")
def subject_special_report(request, ref: str):
    found = selectors.subject_by_ref(ref)
    if found is None:
        raise Http404(_("No public record of this subject."))
    canonical = selectors.subject_ref(found)
    if canonical != ref:
        return redirect("publicity:subject-special-report", ref=canonical)
    return special_report_response(
        request,
        found,
        audience=Audience.PUBLIC,
        template="publicity/special_report.html",
        context={"ref": canonical},
    )


@require_http_methods(["GET", "POST"])
@ratelimited("verify")
def report_verify(request, number: str):
    report = (
        IssuedReport.objects.select_related("subject").filter(number=number.upper()[:32]).first()
    )
    if report is None:
        raise Http404(_("No report with this number was issued."))
    form = forms.VerifyForm(*_posted(request))
    matches = None
    if request.method == "POST" and form.is_valid():
        digest = hashlib.sha256()
        for chunk in form.cleaned_data["pdf"].chunks():
            digest.update(chunk)
        matches = digest.hexdigest() == report.sha256
    changes = None
    if report.kind == IssuedReport.Kind.SPECIAL:
        changes = report_selectors.special_report_changes(report)
    return render(
        request,
        "publicity/report_verify.html",
        {"report": report, "form": form, "matches": matches, "changes": changes},
    )


@require_GET
def lists_index(request):
    counts = {row["list_id"]: row["n"] for row in selectors.stats()["per_list"]}
    definitions = list(selectors.public_lists())
    for definition in definitions:
        definition.public_count = counts.get(definition.pk, 0)
    return render(request, "publicity/lists.html", {"lists": definitions})


@require_GET
def list_detail(request, pk: int):
    definition = selectors.public_list(pk)
    if definition is None:
        raise Http404(_("No such public list."))
    ground = request.GET.get("ground", "")[:32]
    kind = request.GET.get("kind", "")
    try:
        before = int(request.GET.get("before") or 0) or None
    except ValueError:
        before = None
    entries = selectors.list_entries_page(definition, ground=ground, kind=kind, before=before)
    return render(
        request,
        "publicity/list_detail.html",
        {
            "definition": definition,
            "entries": entries,
            "ground": ground,
            "kind": kind,
            "paged": before is not None,
        },
    )


@require_GET
def memoranda_index(request):
    return render(request, "publicity/memoranda.html", {"memoranda": selectors.memoranda()})


@require_GET
def memorandum_detail(request, pk: int):
    memo = selectors.memorandum(pk)
    if memo is None:
        raise Http404(_("No such memorandum."))
    public_ids = set(selectors.public_lists().values_list("pk", flat=True))
    return render(
        request, "publicity/memorandum_detail.html", {"memo": memo, "public_ids": public_ids}
    )


def _apply_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _submission(request, *, missing: str, make_form, file, template: str):
    """Objections and repair applications: the same flow, each calling its lists service."""
    entry = selectors.entry_for_submission(request.GET.get("entry"))
    if entry is None:
        raise Http404(missing)
    form = make_form(entry, *_posted(request))
    captcha.protect(form, request)  # after the first few submissions from this client
    if request.method == "POST" and form.is_valid():
        try:
            filed = file(entry, form.cleaned_data)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            # The filer may download their own evidence in this session (publicity.evidence).
            request.session["filed"] = [
                *request.session.get("filed", [])[-49:],
                filed.tracking_number,
            ]
            captcha.count_submission(request)
            return redirect(_track_url(filed.tracking_number))
    return render(request, template, {"entry": entry, "form": form})


@require_http_methods(["GET", "POST"])
@ratelimited("submit", methods=("POST",))
def objection_new(request):
    return _submission(
        request,
        missing=_("This entry is not in publicity; objections to it go to its agency."),
        make_form=lambda entry, *posted: forms.ObjectionForm(*posted),
        file=lambda entry, data: list_services.objection_file(
            entry=entry,
            filed_by_name=data["filed_by_name"],
            contact=data["contact"],
            disputed_facts=data["disputed_facts"],
            on_behalf=data["on_behalf"],
            evidence=data.get("evidence"),
        ),
        template="publicity/objection_form.html",
    )


@require_http_methods(["GET", "POST"])
@ratelimited("submit", methods=("POST",))
def repair_new(request):
    if "record" in request.GET:
        return _record_repair(request)
    return _submission(
        request,
        missing=_("This entry is not in publicity; repair applications go to its agency."),
        make_form=lambda entry, *posted: forms.RepairForm(
            *posted, conditions=entry.list.repair_conditions
        ),
        file=lambda entry, data: list_services.repair_apply(
            entry=entry,
            applicant_name=data["applicant_name"],
            contact=data["contact"],
            conditions_met=data["conditions_met"],
            statement=data["statement"],
            evidence=data.get("evidence"),
        ),
        template="publicity/repair_form.html",
    )


def _record_repair(request):
    """`/repairs/new/?record=<id>`: the same form and flow for a penalty record in publicity."""
    record = selectors.record_for_repair(request.GET.get("record"))
    if record is None:
        raise Http404(_("This record is not in publicity; repair applications go to its agency."))
    form = forms.RepairForm(*_posted(request), conditions=list(RECORD_REPAIR_CONDITIONS))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            filed = registry_services.credit_record_repair_apply(
                record=record,
                applicant_name=data["applicant_name"],
                contact=data["contact"],
                conditions_met=data["conditions_met"],
                statement=data["statement"],
                evidence=data.get("evidence"),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            return redirect(_track_url(filed.tracking_number))
    return render(
        request,
        "publicity/repair_form.html",
        {"record": record, "form": form, "days": RECORD_REPAIR_WORKING_DAYS},
    )


def _track_url(number: str) -> str:
    from django.urls import reverse

    return reverse("publicity:track", args=[number]) + "?new=1"


@require_GET
@ratelimited("track")
def track_lookup(request):
    form = forms.TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("publicity:track", number=form.cleaned_data["number"].strip().upper())
    return render(request, "publicity/track_lookup.html", {"form": form})


@require_GET
@ratelimited("track")
def track(request, number: str):
    found = selectors.tracked(number)
    if found is None:
        raise Http404(_("No objection or repair application has this tracking number."))
    return render(
        request,
        "publicity/track.html",
        {"tracked": found, "item": found.item, "new": request.GET.get("new") == "1"},
    )


@require_GET
def stats(request):
    data = selectors.stats()
    return render(request, "publicity/stats.html", {"stats": data, "chart": _chart(data)})


def _chart(data: dict) -> dict:
    """Geometry of the per-month bar chart, computed here so the template only draws it."""
    months = data["per_month"]
    peak = max([m["n"] for m in months] + [1])
    width, height, gap = 600, 200, 6
    bar = (width - gap * (len(months) + 1)) / len(months)
    bars = []
    for i, m in enumerate(months):
        h = round(m["n"] / peak * (height - 40), 1)
        x = round(gap + i * (bar + gap), 1)
        bars.append(
            {
                "x": x,
                "y": round(height - 20 - h, 1),
                "ty": round(height - 24 - h, 1),
                "h": h,
                "w": round(bar, 1),
                "cx": round(x + bar / 2, 1),
                "n": m["n"],
                "label": f"{m['month']:%m}",
                "month": m["month"],
            }
        )
    return {"width": width, "height": height, "bars": bars, "base": height - 20}


access_log = logging.getLogger("scs.access")


@require_GET
def evidence(request, number: str):
    """An objection's or repair application's evidence file, as an attachment, only to the
    owning agency's staff (or the operator) and to the filer (in the session that filed it);
    404 to anyone else, so that a tracking number reveals nothing. Every access is logged."""
    found = selectors.evidence_holder(number)
    if found is None or not found.evidence:
        raise Http404(_("No such file."))
    user = request.user
    owner_id = found.entry.list.owner_id
    staff = user.is_authenticated and user.is_active and user.is_staff
    allowed_as = None
    if staff and (user.is_superuser or user.agency_id == owner_id):
        allowed_as = f"staff {user.get_username()} (agency {user.agency_id})"
    elif number in request.session.get("filed", []):
        allowed_as = "filer (session)"
    if allowed_as is None:
        access_log.warning("evidence %s refused to %s", number, user.get_username() or "anonymous")
        raise Http404(_("No such file."))
    access_log.info("evidence %s served to %s", number, allowed_as)
    suffix = found.evidence.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        found.evidence.open("rb"),
        as_attachment=True,
        filename=f"{number}-evidence.{suffix}",
        content_type={"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}.get(
            suffix, "application/octet-stream"
        ),
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
