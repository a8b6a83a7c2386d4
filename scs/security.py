"""Staff sign-in and response hardening (issue 10).

- `client_ip(request)`: the one client address used by lockout and rate limits.
- `PermissionsPolicyMiddleware`: a Permissions-Policy header on every response.
- `StaffSessionMiddleware`: staff sessions end after 30 min idle or 12 h in all
  (settings.STAFF_SESSION_IDLE_SECONDS / STAFF_SESSION_ABSOLUTE_SECONDS), and a second factor
  (TOTP, django-otp) is required before staff of the roles in settings.STAFF_OTP_REQUIRED_ROLES
  (reviewers, agency administrators) or anyone who enrolled a device may use the admin or the
  session-authenticated API. Clerks are offered enrolment at /admin/otp/.
- `lockout_response`: the page django-axes shows once an account or address is locked.
"""

from __future__ import annotations

import ipaddress
import time
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

# --- client address -------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _trusted_networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(s, strict=False) for s in spec)


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless REMOTE_ADDR is one of
    settings.TRUSTED_PROXIES (CIDRs; empty by default). Then X-Forwarded-For is read from the
    right, skipping trusted proxies; the first address that is not a trusted proxy is the
    client. Entries left of it were written by the client and are never believed, so a client
    cannot choose its own address by sending the header (the "rightmost untrusted" rule).
    A malformed entry stops the walk at the last trusted hop."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    addr = _parse(remote)
    if not trusted or addr is None or not any(addr in net for net in trusted):
        return remote
    chain = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    hop = remote
    for raw in reversed(chain):
        parsed = _parse(raw)
        if parsed is None:
            return hop
        hop = str(parsed)
        if not any(parsed in net for net in trusted):
            return hop
    return hop


def axes_client_ip(request) -> str | None:
    """client_ip for django-axes, which stores an inet: None when there is no address (a
    sign-in made in code, e.g. tests' force_login)."""
    ip = client_ip(request)
    return ip if _parse(ip) is not None else None


# --- headers --------------------------------------------------------------------------------

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(self), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), usb=(), xr-spatial-tracking=()"
)


class PermissionsPolicyMiddleware:
    """Deny every powerful browser feature the platform never uses, on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# --- staff sessions and the second factor --------------------------------------------------

SIGNED_IN_AT = "scs_signed_in_at"
SEEN_AT = "scs_seen_at"
OTP_PATH = "/admin/otp/"
# Paths a signed-in but not yet verified user may still reach.
OTP_EXEMPT = ("/admin/otp/", "/admin/logout/", "/admin/login/", "/admin/jsi18n/", "/static/")


@receiver(user_logged_in)
def _stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


def otp_required(user) -> bool:
    """A second factor is required for staff of the configured roles (reviewers, agency
    administrators), superusers, and anyone who has enrolled a confirmed device."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    if user.is_superuser or user.role in settings.STAFF_OTP_REQUIRED_ROLES:
        return True
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def _refuse(request, reason: str, redirect_to: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=401 if "expired" in reason else 403)
    return HttpResponseRedirect(f"{redirect_to}?next={quote(request.get_full_path())}")


class StaffSessionMiddleware:
    """Idle (30 min) and absolute (12 h) limits for staff sessions; TOTP before staff work.

    Runs after AuthenticationMiddleware and django-otp's OTPMiddleware. Token-authenticated
    API calls carry no session and are not affected (DRF authenticates them later)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            refused = self._check(request, user)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check(self, request, user):
        session = request.session
        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(SEEN_AT, signed_in)
        if signed_in is None:  # a session from before these limits: start counting now
            session[SIGNED_IN_AT] = session[SEEN_AT] = signed_in = seen = now
        idle = now - seen > settings.STAFF_SESSION_IDLE_SECONDS
        too_old = now - signed_in > settings.STAFF_SESSION_ABSOLUTE_SECONDS
        if idle or too_old:
            logout(request)
            return _refuse(request, _("Your session expired: sign in again."), "/admin/login/")
        if now - seen >= 30:  # write the session at most twice a minute
            session[SEEN_AT] = now
        if (
            not request.path.startswith(OTP_EXEMPT)
            and (request.path.startswith("/admin/") or request.path.startswith("/api/"))
            and otp_required(user)
            and not user.is_verified()
        ):
            return _refuse(request, _("Confirm your sign-in with a one-time code first."), OTP_PATH)
        return None


# Control characters no form or address of ours carries: NUL (PostgreSQL refuses it in
# text, which used to surface as a 500) and the other C0 controls except tab, LF and CR.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"} | {"\x7f"}


def _has_control(value: str) -> bool:
    return not _CONTROL.isdisjoint(value)


class InputHygieneMiddleware:
    """Refuse, with a 400 (JSON for the API, a friendly page for HTML), any request whose path,
    query parameters or form fields carry control characters, on the portal, the admin and
    the API alike. Full-width characters and spaces are left to each field's own parsing
    (identifiers, tracking numbers and search normalise them); what no field can use is
    refused here once, before any view or database sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._dirty(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "Invalid input.",
                        "errors": {"non_field_errors": ["Control characters are not allowed."]},
                    },
                    status=400,
                )
            return render(request, "400.html", status=400)
        return self.get_response(request)

    @staticmethod
    def _dirty(request) -> bool:
        if _has_control(request.path):
            return True
        for key, values in request.GET.lists():
            if _has_control(key) or any(_has_control(v) for v in values):
                return True
        content_type = request.content_type or ""
        if request.method == "POST" and content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for key, values in request.POST.lists():
                if _has_control(key) or any(_has_control(v) for v in values):
                    return True
        return False


def lockout_response(request, original_response=None, credentials=None):
    """django-axes: too many failed sign-ins for this account or this address."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60)
    response = render(request, "admin/locked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
