"""The subject window's cast, on top of the portal's (tests/publicity/conftest.py):

- `company_account`: the holder of 杭州恒信电子科技有限公司's account (may invite colleagues);
- `person_account`: 李四's account (a natural person: TOTP required);
- `stranger_account`: the holder of another company's account (must never see the others);
- `my_client(account)`: a test client signed in with every factor the account needs.
"""

from __future__ import annotations

import datetime
from binascii import unhexlify

import pytest
from django.utils import timezone
from django_otp.oath import TOTP

from my import auth, services
from my.models import SubjectAccount
from tests import factories as f
from tests.publicity.conftest import *  # noqa: F403  (the portal's cast)

# A star import skips underscored names: bring the portal's autouse fixtures in by name
# (fast password hashing; a clean Redis cache, so rate-limit counters never leak between tests).
from tests.publicity.conftest import _fast_passwords, _fresh_cache  # noqa: E402, F401

PASSWORD = "Xin-yong 2026 档案"


def totp_code(account: SubjectAccount, at: datetime.datetime | None = None) -> str:
    """What an authenticator app shows for this account's secret now."""
    totp = TOTP(unhexlify(account.totp_key.encode()), step=30, digits=6)
    totp.time = (at or timezone.now()).timestamp()
    return f"{totp.token():06d}"


def make_account(subject, email: str, *, totp: bool = False) -> SubjectAccount:
    _invitation, link = services.invitation_issue(subject=subject, email=email, issued_by="test")
    account = services.invitation_accept(
        token=link.rstrip("/").rsplit("/", 1)[1], password=PASSWORD
    )
    if totp:
        # Enrolled one time step ago, so the code shown now is a fresh one.
        earlier = timezone.now() - datetime.timedelta(seconds=30)
        account = services.totp_start(account=account)
        assert services.totp_verify(account=account, code=totp_code(account, earlier), now=earlier)
        account.refresh_from_db()
    return account


@pytest.fixture
def company_account(company):
    return make_account(company, "holder@hengxin.example")


@pytest.fixture
def person_account(listed_person):
    return make_account(listed_person, "lisi@example.cn", totp=True)


@pytest.fixture
def stranger_account(db):
    other = f.subject("enterprise", name="深圳市无关贸易有限公司")
    return make_account(other, "someone@wuguan.example")


@pytest.fixture
def my_client(client):
    """my_client(account) → the Django test client, signed in as that account."""

    def sign_in(account: SubjectAccount):
        session = client.session
        session[auth.KEY_ACCOUNT] = account.pk
        session[auth.KEY_HASH] = account.session_hash
        session[auth.KEY_VERIFIED] = True
        session[auth.KEY_SINCE] = timezone.now().timestamp()
        session.save()
        return client

    return sign_in
