"""The subject's window at /my/: sign-in, the whole file, disputes from the item itself,
colleagues. Views are thin: forms, then this app's or the lists app's services."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blacklists import forms as dispute_forms
from blacklists import services as list_services
from blacklists.models import EntryState
from filings import selectors as filing_selectors
from filings import services as filing_services
from filings.models import SelfPublishedInfo
from my import auth, forms, selectors, services
from my.services import SignInResult
from reports.selectors import Audience
from reports.views import special_report_response
from scs.labels import label, localised
from scs.portal_ratelimit import ratelimited
from scs.spreadsheets import csv_bytes
from sharing import selectors as sharing_selectors
from sharing import services as sharing_services
from sharing.models import Consent


def _posted(request) -> tuple:
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _within_window(target: str) -> bool:
    """A path of this window as a browser resolves it: `/my/../admin/` starts with /my/ but
    lands on /admin/ (browsers also read %2e as a dot and a backslash as a slash)."""
    if "\\" in target:
        return False
    path = unquote(urlsplit(target).path)
    resolved = posixpath.normpath(path)
    return target.startswith("/my/") and (resolved == "/my" or resolved.startswith("/my/"))


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if _within_window(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("my:home")


def _service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimited("signin", methods=("POST",))
def sign_in(request):
    form = forms.SignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result, account = services.account_authenticate(
            email=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if result == SignInResult.OK:
            auth.sign_in(request, account)
            if account.needs_second_factor:
                return redirect(f"{reverse('my:second-factor')}?next={_safe_next(request)}")
            return redirect(_safe_next(request))
        if result == SignInResult.LOCKED:
            form.add_error(
                None,
                _("Too many failed attempts: this account is locked for %(minutes)s minutes.")
                % {"minutes": settings.MY_LOCKOUT_MINUTES},
            )
        else:
            form.add_error(None, _("The e-mail address or the password is wrong."))
    return render(request, "my/sign_in.html", {"form": form, "next": _safe_next(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """The TOTP step of sign-in; a natural person without an authenticator enrols here. Any
    other signed-in account is offered the same enrolment (then needs it at every sign-in)."""
    account = auth.pending_account(request)
    if account is None:
        return redirect("my:sign-in")
    if request.session.get(auth.KEY_VERIFIED) and account.totp_confirmed:
        return redirect(_safe_next(request))
    if not account.totp_confirmed and not account.totp_key:
        account = services.totp_start(account=account)
    form = forms.CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.totp_verify(account=account, code=form.cleaned_data["code"]):
            auth.mark_verified(request)
            return redirect(_safe_next(request))
        form.add_error("code", _("This code is wrong or already used."))
    return render(
        request,
        "my/second_factor.html",
        {"form": form, "account": account, "enrolling": not account.totp_confirmed,
         "secret": _secret(account), "next": _safe_next(request)},
    )  # fmt: skip


def _secret(account) -> str:
    if account.totp_confirmed or not account.totp_key:
        return ""
    uri = services.totp_uri(account)
    return uri.split("secret=")[1].split("&")[0]


@never_cache
@require_GET
def totp_qr(request):
    """The enrolment QR code (SVG), only while the secret is not yet confirmed."""
    account = auth.pending_account(request)
    if account is None or account.totp_confirmed or not account.totp_key:
        raise Http404
    svg = segno.make(services.totp_uri(account), error="m").svg_inline(scale=4)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def sign_out(request):
    auth.sign_out(request)
    return redirect("my:sign-in")


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimited("signin", methods=("POST",))
def activate(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "my/activate_invalid.html", status=410)
    form = forms.ActivateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.invitation_accept(
                token=token, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "token" in exc.error_dict:
                return render(request, "my/activate_invalid.html", status=410)
            _service_errors(form, exc)
        else:
            auth.sign_in(request, account)
            if account.needs_second_factor:
                return redirect("my:second-factor")
            return redirect("my:home")
    return render(request, "my/activate.html", {"form": form, "invitation": invitation})


@never_cache
@require_GET
@auth.account_required
def home(request):
    file = selectors.subject_file(request.account.subject)
    return render(request, "my/file.html", {"file": file, "account": request.account})


_OBJECTABLE = (EntryState.NOTIFIED, EntryState.PUBLISHED)


def _own_entry(request, entry_id):
    entry = selectors.own_entry(request.account.subject, entry_id)
    if entry is None:
        raise Http404(_("No such entry in your file."))
    return entry


@never_cache
@require_http_methods(["GET", "POST"])
@auth.account_required
@ratelimited("submit", methods=("POST",))
def objection_new(request, entry_id: int):
    entry = _own_entry(request, entry_id)
    account, subject = request.account, request.account.subject
    initial = {"filed_by_name": subject.name, "contact": account.email}
    form = dispute_forms.ObjectionForm(*_posted(request), initial=initial)
    if entry.state not in _OBJECTABLE:
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            with services.account_context(account, "objection filed signed in"):
                filed = list_services.objection_file(
                    entry=entry,
                    filed_by_name=form.cleaned_data["filed_by_name"],
                    contact=form.cleaned_data["contact"],
                    disputed_facts=form.cleaned_data["disputed_facts"],
                    on_behalf=form.cleaned_data["on_behalf"],
                    evidence=form.cleaned_data.get("evidence"),
                    verified_subject=True,
                )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            return redirect(f"{reverse('my:disputes')}?new={filed.tracking_number}")
    return render(request, "my/objection_form.html", {"entry": entry, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@auth.account_required
@ratelimited("submit", methods=("POST",))
def repair_new(request, entry_id: int):
    entry = _own_entry(request, entry_id)
    account, subject = request.account, request.account.subject
    initial = {"applicant_name": subject.name, "contact": account.email}
    form = dispute_forms.RepairForm(
        *_posted(request), initial=initial, conditions=entry.list.repair_conditions
    )
    if entry.state != EntryState.PUBLISHED or entry.list.kind == "redlist":
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            with services.account_context(account, "repair applied for signed in"):
                filed = list_services.repair_apply(
                    entry=entry,
                    applicant_name=form.cleaned_data["applicant_name"],
                    contact=form.cleaned_data["contact"],
                    conditions_met=form.cleaned_data["conditions_met"],
                    statement=form.cleaned_data["statement"],
                    evidence=form.cleaned_data.get("evidence"),
                    verified_subject=True,
                )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            return redirect(f"{reverse('my:disputes')}?new={filed.tracking_number}")
    return render(request, "my/repair_form.html", {"entry": entry, "form": form})


@never_cache
@require_GET
@auth.account_required
def disputes(request):
    rows = selectors.disputes(request.account.subject)
    return render(
        request, "my/disputes.html", {"rows": rows, "new": request.GET.get("new", "")[:32]}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@auth.account_required
def colleagues(request):
    account = request.account
    if not account.can_invite:
        raise Http404(_("Only the account holder invites colleagues."))
    form = forms.InviteForm(request.POST if request.method == "POST" else None)
    sent = None
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if selectors.email_has_account_elsewhere(account.subject, email):
            # Answered as an invitation: the form must not tell who has an account.
            services.invitation_refused_notice(email=email, invited_by=account)
            sent, form = email.strip().lower(), forms.InviteForm()
        else:
            try:
                invitation, _link = services.invitation_issue(
                    subject=account.subject,
                    email=email,
                    issued_by=f"account:{account.pk}",
                    invited_by=account,
                )
            except ValidationError as exc:
                _service_errors(form, exc)
            else:
                sent = invitation.email
                form = forms.InviteForm()
    members = account.subject.accounts.filter(is_active=True).order_by("created_at")
    return render(request, "my/colleagues.html", {"form": form, "sent": sent, "members": members})


@never_cache
@require_GET
@auth.account_required
@ratelimited("report", methods=("GET",))
def report(request):
    """The subject's own special credit report (every tier; repaired entries marked)."""
    return special_report_response(
        request, request.account.subject, audience=Audience.SUBJECT, template="my/report.html"
    )


@never_cache
@require_http_methods(["GET", "POST"])
@auth.account_required
def commitments(request):
    """Sign a published commitment type; see every commitment of the subject and its outcome."""
    account = request.account
    form = forms.SignCommitmentForm(
        request.POST if request.method == "POST" else None, types=filing_selectors.offered_types()
    )
    if request.method == "POST" and form.is_valid():
        try:
            with services.account_context(account, "credit commitment signed"):
                filing_services.commitment_sign(
                    subject=account.subject,
                    commitment_type=form.cleaned_data["commitment_type"],
                    signed_by=f"account:{account.pk} {account.email}",
                )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            return redirect("my:commitments")
    rows = filing_selectors.commitments_of(account.subject)
    return render(request, "my/commitments.html", {"form": form, "rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
@auth.account_required
def self_info(request):
    """Organisations keep their contact details and annual-report facts up to date."""
    account = request.account
    if account.subject.is_natural_person:
        raise Http404(_("Natural persons do not self-publish."))
    info = filing_selectors.self_info_of(account.subject)
    initial = {name: getattr(info, name) for name in SelfPublishedInfo.FIELDS} if info else {}
    form = forms.SelfInfoForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            with services.account_context(account, "self-published information updated"):
                filing_services.self_info_update(
                    subject=account.subject, changed_by=account.email, **values
                )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            return redirect("my:self-info")
    return render(request, "my/self_info.html", {"form": form, "info": info})


ACCESS_LOG_PAGE = 100
ACCESS_LOG_EXPORT_MAX = 50_000


@never_cache
@require_GET
@auth.account_required
def access_log(request):
    """Who consulted the subject's file: agency, purpose, reference, date (never the officer),
    filterable by agency, purpose and date range; `?export=csv` downloads the filtered log."""
    subject = request.account.subject
    purposes = selectors.purpose_names()
    form = forms.AccessLogFilterForm(
        request.GET or None,
        agencies=selectors.access_log_agencies(subject),
        purposes=sorted(purposes.values(), key=lambda p: p.code),
    )
    filters = selectors.AccessLogFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.AccessLogFilters(
            agency=data.get("agency"),
            purpose=data.get("purpose") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
    elif form.is_bound:
        filters = None  # a wrong filter shows its error and no rows, never everything
    rows = selectors.access_log(subject, filters) if filters is not None else []

    def purpose_name(code: str) -> str:
        found = purposes.get(code)
        return localised(found) if found else code

    if request.GET.get("export") == "csv" and filters is not None:
        header = [_("Date and time"), _("Agency"), _("Agency code"), _("Channel"), _("Purpose")]
        header += [_("Reference"), _("Outcome")]
        content = csv_bytes(
            [str(h) for h in header],
            (
                [
                    f"{timezone.localtime(r['at']):%Y-%m-%d %H:%M:%S}",
                    r["agency__subject__name"] or _("Platform operations"),
                    r["agency__subject__identifier"] or "",
                    str(label("consultation_channel", r["channel"])),
                    purpose_name(r["purpose"]),
                    r["reference"],
                    str(label("consultation_outcome", r["outcome"])),
                ]
                for r in rows[:ACCESS_LOG_EXPORT_MAX]
            ),
        )
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
        response["Cache-Control"] = "no-store"
        return response
    shown = [{**r, "purpose_name": purpose_name(r["purpose"])} for r in rows[:ACCESS_LOG_PAGE]]
    query = request.GET.copy()
    query["export"] = "csv"
    return render(
        request,
        "my/access_log.html",
        {"form": form, "rows": shown, "more": len(shown) == ACCESS_LOG_PAGE,
         "export_query": query.urlencode()},
    )  # fmt: skip


def _consent_form(data=None):
    return forms.ConsentForm(
        data,
        agencies=selectors.consultable_agencies(),
        purposes=sharing_selectors.purposes(),
        items=selectors.restricted_items(),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@auth.account_required
def consents(request):
    """Consents in force and past; grant one online (the signed-in subject's own act is the
    evidence: `given=online`, the account named in the evidence reference)."""
    account = request.account
    form = _consent_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with services.account_context(account, "consent given online"):
                sharing_services.consent_grant(
                    actor=None,
                    subject=account.subject,
                    agency=data["agency"],
                    purpose=data["purpose"],
                    valid_until=data["valid_until"],
                    items=[] if data["all_restricted"] else data["items"],
                    all_restricted=data["all_restricted"],
                    given=Consent.Given.ONLINE,
                    evidence_reference=f"account:{account.pk} {account.email}",
                )
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            return redirect("my:consents")
    in_force, past = selectors.consents(account.subject)
    return render(request, "my/consents.html", {"form": form, "in_force": in_force, "past": past})


@never_cache
@require_POST
@auth.account_required
def consent_withdraw(request, consent_id: int):
    """Withdraw one of the subject's own consents; it takes effect at once."""
    account = request.account
    consent = selectors.own_consent(account.subject, consent_id)
    if consent is None:
        raise Http404(_("No such consent of yours."))
    with services.account_context(account, "consent withdrawn online"):
        sharing_services.consent_withdraw(
            actor=None, consent=consent, reason=f"withdrawn online by account:{account.pk}"
        )
    return redirect("my:consents")
