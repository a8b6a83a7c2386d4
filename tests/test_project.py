"""Project-level guarantees: production settings pass Django's deploy checks, management
commands work, and the demo loader is idempotent."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from knox.models import AuthToken

ROOT = Path(__file__).resolve().parents[1]


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
        "ALLOWED_HOSTS": "credit.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_issue_token_creates_a_system_user_of_the_agency(caac, capsys):
    call_command("issue_token", caac.subject.identifier.lower(), "--role", "reviewer")
    token = capsys.readouterr().out.strip()
    instance = AuthToken.objects.get()
    assert instance.user.agency == caac and instance.user.role == "reviewer"
    assert instance.user.is_system and not instance.user.has_usable_password()
    assert token.startswith(instance.token_key)


@pytest.mark.django_db
def test_issue_token_rejects_a_bad_code():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="check character"):
        call_command("issue_token", "91350100M000100Y44")


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    from blacklists.models import ListEntry
    from registry.models import Subject
    from sanctions.models import Memorandum, Sanction

    call_command("seed_demo", "--subjects", "400", "--relations", "100")
    counts = (
        Subject.objects.count(),
        ListEntry.objects.count(),
        Memorandum.objects.count(),
        Sanction.objects.count(),
    )
    assert counts[0] >= 400 and counts[1] > 50 and counts[2] >= 4 and counts[3] > 0
    assert set(ListEntry.objects.values_list("state", flat=True)) >= {
        "draft",
        "submitted",
        "approved",
        "notified",
        "published",
        "ended",
    }
    call_command("seed_demo", "--subjects", "400", "--relations", "100")
    assert counts == (
        Subject.objects.count(),
        ListEntry.objects.count(),
        Memorandum.objects.count(),
        Sanction.objects.count(),
    )
    call_command("reconcile_sanctions")
    out = capsys.readouterr().out
    assert "missing: 0" in out and "extra: 0" in out
    call_command("mou_impact", Memorandum.objects.first().key)
    assert "would impose 0 sanctions" in capsys.readouterr().out


@pytest.mark.django_db
def test_issue_token_rotate_revokes_the_earlier_tokens(caac, capsys):
    from knox.auth import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed

    call_command("issue_token", caac.subject.identifier)
    old = capsys.readouterr().out.strip()
    call_command("issue_token", caac.subject.identifier)  # without --rotate: both stay valid
    kept = capsys.readouterr().out.strip()
    assert AuthToken.objects.count() == 2
    call_command("issue_token", caac.subject.identifier, "--rotate")
    new = capsys.readouterr().out.strip()
    auth = TokenAuthentication()
    for revoked in (old, kept):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate_credentials(revoked.encode())
    user, _token = auth.authenticate_credentials(new.encode())
    assert user.is_system and AuthToken.objects.count() == 1


@pytest.mark.django_db
def test_issue_token_person_gives_a_personal_token_of_that_agency_only(caac, customs, capsys):
    from django.core.management.base import CommandError

    from tests import factories as f

    named = f.user("wang.li", caac, "reviewer")
    call_command("issue_token", caac.subject.identifier, "--person", "wang.li")
    assert AuthToken.objects.get().user == named and not named.is_system
    with pytest.raises(CommandError, match="named person"):
        call_command("issue_token", customs.subject.identifier, "--person", "wang.li")
