"""The /my/ session: separate keys from the admin's, idle and absolute expiry, and the
second factor as a session state. Nothing here touches `django.contrib.auth`'s session keys,
so a subject account can never be mistaken for staff (and the reverse)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.shortcuts import redirect
from django.utils import timezone

from my.models import SubjectAccount

KEY_ACCOUNT = "my:account"
KEY_HASH = "my:hash"
KEY_VERIFIED = "my:verified"
KEY_SINCE = "my:since"


def sign_in(request, account: SubjectAccount) -> None:
    """Password accepted: a new session (no fixation), second factor still to come if needed."""
    request.session.cycle_key()
    request.session[KEY_ACCOUNT] = account.pk
    request.session[KEY_HASH] = account.session_hash
    request.session[KEY_VERIFIED] = not account.needs_second_factor
    request.session[KEY_SINCE] = timezone.now().timestamp()
    request.session.set_expiry(settings.MY_SESSION_IDLE_SECONDS)


def mark_verified(request) -> None:
    request.session.cycle_key()
    request.session[KEY_VERIFIED] = True


def sign_out(request) -> None:
    for key in (KEY_ACCOUNT, KEY_HASH, KEY_VERIFIED, KEY_SINCE):
        request.session.pop(key, None)
    request.session.cycle_key()


def pending_account(request) -> SubjectAccount | None:
    """The account whose password was accepted in this session, if still valid."""
    pk = request.session.get(KEY_ACCOUNT)
    if not pk:
        return None
    since = request.session.get(KEY_SINCE) or 0
    if timezone.now().timestamp() - since > settings.MY_SESSION_MAX_SECONDS:
        sign_out(request)
        return None
    account = SubjectAccount.objects.select_related("subject").filter(pk=pk, is_active=True)
    account = account.first()
    if account is None or request.session.get(KEY_HASH) != account.session_hash:
        sign_out(request)
        return None
    if account.locked_until and account.locked_until > timezone.now():
        sign_out(request)
        return None
    return account


def account_required(view):
    """Signed in with every factor the account needs; sets request.account. The idle timer
    restarts on every request (MY_SESSION_IDLE_SECONDS), the absolute one does not."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account = pending_account(request)
        if account is None:
            return redirect(f"{settings.MY_LOGIN_URL}?next={request.path}")
        if not request.session.get(KEY_VERIFIED):
            return redirect("my:second-factor")
        request.session.set_expiry(settings.MY_SESSION_IDLE_SECONDS)
        request.account = account
        return view(request, *args, **kwargs)

    return wrapper
