"""Staff second factor: enrol a TOTP device (shown once as a key and an otpauth URI) and
confirm each sign-in with a code (django-otp). Required for reviewers, agency administrators
and superusers; offered to clerks (settings.STAFF_OTP_REQUIRED_ROLES)."""

from __future__ import annotations

import base64
import sys

from django import forms
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults as django_defaults
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from scs.security import otp_required


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\d{6}$",
        max_length=6,
        label=gettext_lazy("One-time code"),
        error_messages={"invalid": gettext_lazy("Enter the 6 digits your app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@staff_member_required(login_url="/admin/login/")
def otp_verify(request):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    target = request.GET.get("next") or request.POST.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(target)
        form.add_error("token", _("That code is wrong or expired."))
    context = {
        "title": _("Two-step sign-in"),
        "form": form,
        "enrolling": enrolling,
        "required": otp_required(user),
        "secret": base64.b32encode(device.bin_key).decode() if enrolling else "",
        "config_url": device.config_url if enrolling else "",
        "next": target,
        "site_header": _("Credit information sharing platform"),
    }
    return render(request, "admin/otp.html", context)


# --- error pages: one JSON shape for the API, the portal's look for HTML ----------------------

DB_DOWN = (OperationalError, InterfaceError)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def database_unavailable(request) -> HttpResponse:
    """503 with Retry-After: PostgreSQL refused, timed out or dropped the connection. Renders
    without touching the database; the next request reconnects (CONN_HEALTH_CHECKS)."""
    retry = str(settings.DB_UNAVAILABLE_RETRY_AFTER)
    if _is_api(request):
        response = JsonResponse(
            {"detail": "The service is temporarily unavailable; retry later."}, status=503
        )
    else:
        response = render(
            request, "503.html", {"retry_after": settings.DB_UNAVAILABLE_RETRY_AFTER}, status=503
        )
    response["Retry-After"] = retry
    return response


def server_error(request) -> HttpResponse:
    """handler500: a database outage is a 503 (see above); anything else a 500, in JSON for
    the API. Called inside Django's exception handling, so sys.exc_info() is the error."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DB_DOWN):
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        return database_unavailable(request)
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return django_defaults.server_error(request)


def page_not_found(request, exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return django_defaults.page_not_found(request, exception)


def bad_request(request, exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)


def permission_denied(request, exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return django_defaults.permission_denied(request, exception)
