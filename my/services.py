"""Writes of the subject's window: invitations, activation, sign-in, the second factor.

Every write runs in a transaction under `pghistory.context` naming the account (or the
operator) and the reason, so the audit history says who did what for which subject.
Lockout is this app's own per-account counter (`MY_LOCKOUT_FAILURES` failures lock the
account for `MY_LOCKOUT_MINUTES`); django-axes guards the staff sign-in, whose users are a
different model, so the two never share counters.
"""

from __future__ import annotations

import datetime
from binascii import unhexlify

import pghistory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.util import random_hex

from my.models import INVITE_VALID_HOURS, Invitation, SubjectAccount, token_digest
from registry.models import Subject


def account_context(account: SubjectAccount | None, reason: str, **extra):
    """Audit context of a change made by a subject account (or by the system)."""
    return pghistory.context(
        user=None,
        username=f"account:{account.pk}" if account is not None else "system",
        agency=None,
        account=account.pk if account is not None else None,
        reason=reason,
        **extra,
    )


def activation_url(token: str) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('my:activate', args=[token])}"


@transaction.atomic
def invitation_issue(
    *,
    subject: Subject,
    email: str,
    issued_by: str,
    invited_by: SubjectAccount | None = None,
    now: datetime.datetime | None = None,
) -> tuple[Invitation, str]:
    """Issue a one-time activation link and e-mail it; returns (invitation, link).

    Errors (ValidationError, by field): `email` already has an account; `subject` is a
    government body (agencies act through staff accounts); a colleague's invitation from an
    account that may not invite, or for a natural person (whose file is personal).
    """
    email = (email or "").strip().lower()
    probe = Invitation(subject=subject, email=email, token_hash="x" * 64, issued_by=issued_by)
    probe.expires_at = timezone.now()
    probe.full_clean(exclude=["token_hash"])
    if subject.kind == Subject.Kind.GOVERNMENT_BODY:
        raise ValidationError({"subject": _("Agencies act through staff accounts.")})
    if SubjectAccount.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("This e-mail address already has an account.")})
    if invited_by is not None:
        if not invited_by.can_invite or invited_by.subject_id != subject.pk:
            raise ValidationError({"email": _("This account may not invite colleagues.")})
        if subject.is_natural_person:
            raise ValidationError({"email": _("A natural person's file has one account.")})
    now = now or timezone.now()
    token = Invitation.new_token()
    invitation = Invitation(
        subject=subject,
        email=email,
        token_hash=token_digest(token),
        # The first account of an organisation holds it and may invite colleagues.
        can_invite=invited_by is None and not subject.is_natural_person,
        issued_by=issued_by,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + datetime.timedelta(hours=INVITE_VALID_HOURS),
    )
    with account_context(invited_by, "invitation issued", subject=subject.pk):
        invitation.save()
    link = activation_url(token)
    body = _(
        "You have been invited to the credit file of %(name)s on the national credit "
        "information sharing platform. Open this link within %(hours)s hours to set your "
        "password (it works once):\n\n%(link)s\n"
    ) % {"name": subject.name, "hours": INVITE_VALID_HOURS, "link": link}
    transaction.on_commit(
        lambda: send_mail(_("Activate your credit file account"), body, None, [email])
    )
    return invitation, link


def invitation_for_token(token: str, *, now: datetime.datetime | None = None) -> Invitation | None:
    """The usable invitation behind a token, else None (unknown, used or expired alike)."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.usable(now)
        .select_related("subject")
        .filter(token_hash=token_digest(token))
        .first()
    )


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, now: datetime.datetime | None = None
) -> SubjectAccount:
    """Create the account with the holder's password; the invitation is spent.

    Errors: `token` unknown, used or past its 72 hours; `password` failing the platform's
    password validators. Two concurrent uses of one link: the row lock lets one win.
    """
    now = now or timezone.now()
    found = invitation_for_token(token, now=now)
    if found is None:
        raise ValidationError({"token": _("This activation link is invalid, used or expired.")})
    # Two tabs submitting the same link: the second waits here, then finds it used.
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    if invitation.used_at is not None or invitation.expires_at <= now:
        raise ValidationError({"token": _("This activation link is invalid, used or expired.")})
    if SubjectAccount.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError({"token": _("This e-mail address already has an account.")})
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    account = SubjectAccount(
        subject=invitation.subject,
        email=invitation.email,
        can_invite=invitation.can_invite,
        invited_by=invitation.invited_by,
        created_at=now,
    )
    account.set_password(password)
    account.full_clean()
    with account_context(None, "account activated", subject=invitation.subject_id):
        account.save()
        invitation.used_at = now
        invitation.account = account
        invitation.save(update_fields=["used_at", "account"])
    return account


class SignInResult:
    OK = "ok"
    BAD = "bad"
    LOCKED = "locked"


def invitation_refused_notice(*, email: str, invited_by: SubjectAccount) -> None:
    """An account holder invited an address that already holds an account of another
    subject. The inviter is answered as for any invitation (so the form tells nobody which
    addresses have accounts); the address's owner is told here, and no invitation exists."""
    email = (email or "").strip().lower()
    body = _(
        "Someone with an account of %(name)s on the national credit information sharing "
        "platform invited this e-mail address as a colleague. This address already has an "
        "account, and an account belongs to one subject only, so no invitation was made. "
        "Nothing needs to be done.\n"
    ) % {"name": invited_by.subject.name}
    subject_line = _("An invitation to your e-mail address was not made")
    transaction.on_commit(lambda: send_mail(subject_line, body, None, [email]))


@transaction.atomic
def account_authenticate(
    *, email: str, password: str, now: datetime.datetime | None = None
) -> tuple[str, SubjectAccount | None]:
    """Check a password. Returns (SignInResult, account or None).

    `MY_LOCKOUT_FAILURES` wrong passwords in a row lock the account for
    `MY_LOCKOUT_MINUTES`; while locked even the right password is refused. Unknown e-mail
    addresses answer like a wrong password.
    """
    now = now or timezone.now()
    # Parallel guesses must each count: lock the row while counting.
    account = (
        SubjectAccount.objects.select_for_update()
        .select_related("subject")
        .filter(email__iexact=(email or "").strip(), is_active=True)
        .first()
    )
    if account is None:
        make_password(password or "")  # as slow as a real check: no probing for addresses
        return SignInResult.BAD, None
    if account.locked_until and account.locked_until > now:
        return SignInResult.LOCKED, None
    if not account.check_password(password or ""):
        account.failed_logins += 1
        if account.failed_logins >= settings.MY_LOCKOUT_FAILURES:
            account.locked_until = now + datetime.timedelta(minutes=settings.MY_LOCKOUT_MINUTES)
            account.failed_logins = 0
        with account_context(account, "sign-in failed"):
            account.save(update_fields=["failed_logins", "locked_until"])
        locked = account.locked_until is not None and account.locked_until > now
        return (SignInResult.LOCKED if locked else SignInResult.BAD), None
    with account_context(account, "signed in"):
        account.failed_logins = 0
        account.locked_until = None
        account.last_login_at = now
        account.save(update_fields=["failed_logins", "locked_until", "last_login_at"])
    return SignInResult.OK, account


def _totp(account: SubjectAccount) -> TOTP:
    return TOTP(unhexlify(account.totp_key.encode()), step=30, digits=6)


@transaction.atomic
def totp_start(*, account: SubjectAccount) -> SubjectAccount:
    """Give the account a fresh, unconfirmed TOTP secret (to scan into an authenticator)."""
    account = SubjectAccount.objects.select_for_update().get(pk=account.pk)
    if account.totp_confirmed:
        return account
    with account_context(account, "second factor enrolment started"):
        account.totp_key = random_hex(20)
        account.save(update_fields=["totp_key"])
    return account


@transaction.atomic
def totp_verify(
    *, account: SubjectAccount, code: str, now: datetime.datetime | None = None
) -> bool:
    """Check a 6-digit code (±1 time step of drift), never the same step twice; the first
    good code confirms the enrolment. Wrong codes count towards the lockout like passwords."""
    # Two requests with the same code: the row lock makes the second see the used step.
    account = SubjectAccount.objects.select_for_update().get(pk=account.pk)
    code = (code or "").strip().replace(" ", "")
    if not account.totp_key or not code.isdigit() or len(code) != 6:
        return False
    now = now or timezone.now()
    totp = _totp(account)
    totp.time = now.timestamp()
    for drift in (0, -1, 1):
        totp.drift = drift
        if totp.token() == int(code) and totp.t() > account.totp_last_t:
            with account_context(account, "second factor accepted"):
                account.totp_last_t = totp.t()
                account.totp_confirmed = True
                account.save(update_fields=["totp_last_t", "totp_confirmed"])
            return True
    with account_context(account, "second factor refused"):
        account.failed_logins += 1
        if account.failed_logins >= settings.MY_LOCKOUT_FAILURES:
            account.locked_until = now + datetime.timedelta(minutes=settings.MY_LOCKOUT_MINUTES)
            account.failed_logins = 0
        account.save(update_fields=["failed_logins", "locked_until"])
    return False


def totp_uri(account: SubjectAccount) -> str:
    """otpauth:// URI for authenticator apps (base32 secret)."""
    from base64 import b32encode
    from urllib.parse import quote

    secret = b32encode(unhexlify(account.totp_key.encode())).decode().rstrip("=")
    label = quote(f"SCS:{account.email}")
    return f"otpauth://totp/{label}?secret={secret}&issuer=SCS&digits=6&period=30"
