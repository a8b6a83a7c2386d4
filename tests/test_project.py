"""Project-level guarantees: production settings pass Django's deploy checks, management
commands work, and the demo loader is idempotent."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from knox.models import AuthToken

ROOT = Path(__file__).resolve().parents[1]


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "credit.example.gov.cn",
    "PORTAL_BASE_URL": "https://credit.example.gov.cn",
}


def _manage(*args, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in {**os.environ, **PRODUCTION, **env_changes}.items() if v is not None}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SECRET_KEY": None}, "set SECRET_KEY"),
        ({"SECRET_KEY": "  "}, "set SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "set ALLOWED_HOSTS"),
        ({"PORTAL_BASE_URL": None}, "set PORTAL_BASE_URL"),
        ({"SECRET_KEY": "short-key"}, "shorter than 32"),
    ],
)
def test_production_refuses_to_start_without_its_settings(changes, message):
    result = _manage("check", **changes)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_no_key_committed_to_the_repository_is_ever_used_in_production():
    from django.conf import settings

    for key in settings.COMMITTED_SECRET_KEYS:
        result = _manage("check", SECRET_KEY=key)
        assert result.returncode != 0 and "committed to the repository" in result.stderr
    # And every key-like string in the settings module is on that list.
    text = (ROOT / "scs" / "settings.py").read_text()
    for candidate in re.findall(r'"([A-Za-z0-9_-]{40,})"', text):
        assert candidate in settings.COMMITTED_SECRET_KEYS


def test_check_deploy_names_a_local_portal_address_and_wildcard_hosts():
    result = _manage(
        "check", "--deploy", PORTAL_BASE_URL="http://127.0.0.1:8000", ALLOWED_HOSTS="*"
    )
    assert "scs.W002" in result.stdout + result.stderr
    assert "scs.W003" in result.stdout + result.stderr


def test_seed_demo_refuses_without_debug_or_demo_flag():
    result = _manage("seed_demo", "--subjects", "0")
    assert result.returncode != 0
    assert "Refusing to load demo data with DEBUG=false" in result.stderr


def test_compose_production_profile_never_loads_demo_data_and_fails_closed():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        command = service.get("command") or ""
        command = " ".join(command) if isinstance(command, list) else command
        if "seed_demo" in command:
            assert service.get("profiles") == ["demo"], name
            assert "--demo" in command, name
        else:
            assert "demo" not in (service.get("profiles") or []), name
    env = compose["services"]["web"]["environment"]
    assert env["DEBUG"] == "false"
    for required in ("SECRET_KEY", "ALLOWED_HOSTS", "PORTAL_BASE_URL"):
        assert env[required].startswith("${" + required + ":?"), required
    assert "scs/gunicorn_conf.py" in compose["services"]["web"]["command"]


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
    from django.utils import translation

    with translation.override("en"), pytest.raises(CommandError, match="check character"):
        call_command("issue_token", "91350100M000100Y44")


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    from blacklists.models import ListEntry
    from registry.models import Subject
    from sanctions.models import Memorandum, Sanction

    call_command("seed_demo", "--demo", "--subjects", "400", "--relations", "100")
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
    # Issue 13: registration facts and their history, SAMR's lists, spot-check results.
    from registry.models import CreditRecord, RegistrationChange

    org = Subject.objects.filter(kind="enterprise", agency__isnull=True).first()
    assert org.legal_representative_name and org.address and org.business_scope
    assert org.company_type and org.registered_capital and org.registration_authority_id
    assert not Subject.objects.filter(kind="natural_person").exclude(address="").exists()
    assert RegistrationChange.objects.exists()
    assert CreditRecord.objects.filter(catalogue_item__record_type="spot_check").exists()
    keys = set(ListEntry.objects.values_list("list__key", flat=True))
    assert {"samr_business_anomaly", "samr_serious_illegal"} <= keys
    call_command("seed_demo", "--demo", "--subjects", "400", "--relations", "100")
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
