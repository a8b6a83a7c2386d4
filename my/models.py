"""Subject accounts: a person acting for exactly one subject, bound by a one-time invitation
issued by a registration authority or the platform operator (never self-declared).

These are not `registry.User` rows: agency users and subject accounts never share a sign-in,
a session key or a permission, so an account can never reach the admin or the API.
"""

from __future__ import annotations

import hashlib
import secrets

import pghistory
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

INVITE_VALID_HOURS = 72


def token_digest(token: str) -> str:
    """SHA-256 hex of an invitation token: the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@pghistory.track(exclude=["password", "totp_key"])
class SubjectAccount(models.Model):
    """One person's sign-in for one subject (an organisation's staff, or the natural person).

    `can_invite`: the holder of an organisation's account may invite colleagues to the same
    subject. TOTP (RFC 6238 via django-otp's `TOTP`) is required for natural persons and
    offered to everyone else; `totp_confirmed` is set once a first code was accepted.
    """

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="accounts"
    )
    email = models.EmailField(unique=True)
    password = models.CharField(max_length=128)
    can_invite = models.BooleanField(default=False)
    invited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    totp_key = models.CharField(max_length=80, blank=True, help_text=_("Hex TOTP secret."))
    totp_confirmed = models.BooleanField(default=False)
    totp_last_t = models.BigIntegerField(
        default=-1, help_text=_("Last accepted time step: a code is never accepted twice.")
    )
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["subject", "email"]

    def __str__(self) -> str:
        return f"{self.email} → {self.subject_id}"

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)

    @property
    def needs_second_factor(self) -> bool:
        """Natural persons always; others once they enrolled."""
        return self.subject.is_natural_person or self.totp_confirmed

    @property
    def session_hash(self) -> str:
        """Changes with the password: sessions opened before a password change end."""
        return hashlib.sha256(f"{self.pk}:{self.password}".encode()).hexdigest()[:32]


class InvitationQuerySet(models.QuerySet):
    def usable(self, at=None) -> InvitationQuerySet:
        at = at or timezone.now()
        return self.filter(used_at__isnull=True, expires_at__gt=at)


@pghistory.track(exclude=["token_hash"])
class Invitation(models.Model):
    """A one-time activation link for a subject's registered contact: valid 72 hours,
    used once (seed: binding is verified, never self-declared; GSXT real-name login)."""

    subject = models.ForeignKey("registry.Subject", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    can_invite = models.BooleanField(default=False)
    issued_by = models.CharField(
        max_length=200, help_text=_("Who issued it: the operator's command or an account.")
    )
    invited_by = models.ForeignKey(
        SubjectAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    account = models.OneToOneField(
        SubjectAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_used_has_account",
                condition=Q(used_at__isnull=True) | Q(account__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} for {self.subject_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
