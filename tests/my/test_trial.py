"""Faults found by trying the subject's window as a new user would (issue 13 trial)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.my.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "target", ["/my/../admin/", "/my/%2e%2e/admin/", "/my/..%2fadmin/", "/my/\\\\evil.example"]
)
def test_next_with_dot_segments_never_leaves_the_window(client, company_account, target):
    """`next=/my/../admin/` starts with /my/ but a browser resolves it to /admin/: after
    sign-in the subject landed outside its window (the same trick reaches any path)."""
    response = client.post(
        reverse("my:sign-in"),
        {"email": company_account.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("my:home")


def test_next_inside_the_window_is_kept(client, company_account):
    response = client.post(
        reverse("my:sign-in"),
        {"email": company_account.email, "password": PASSWORD, "next": "/my/consents/"},
    )
    assert response["Location"] == "/my/consents/"
