"""The fixed cast (healthchecks' Alice/Bob/Charlie, in this domain's words):

- court (agency A) owns a blacklist; alice is its clerk, bob its reviewer, bea a second reviewer
- customs (agency B) owns nothing here; carol is its clerk
- caac implements measures; its API client is `caac_api`
- samr is a registration authority; its API client is `registrar_api`
- anonymous: the public
"""

from __future__ import annotations

import datetime

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import factories as f


@pytest.fixture
def court(db):
    return f.agency("法院", personal_ids=True)


@pytest.fixture
def customs(db):
    return f.agency("海关")


@pytest.fixture
def caac(db):
    return f.agency("民航局", personal_ids=True)


@pytest.fixture
def railway(db):
    return f.agency("国铁集团")


@pytest.fixture
def samr(db):
    return f.agency("市场监管总局", registrar=True, personal_ids=True)


@pytest.fixture
def alice(court):
    return f.user("alice", court, "clerk")


@pytest.fixture
def bob(court):
    return f.user("bob", court, "reviewer")


@pytest.fixture
def bea(court):
    return f.user("bea", court, "reviewer")


@pytest.fixture
def carol(customs):
    return f.user("carol", customs, "clerk")


@pytest.fixture
def court_list(court):
    return f.list_definition(court)


@pytest.fixture
def company(db):
    return f.subject("enterprise", name="杭州恒信电子科技有限公司")


@pytest.fixture
def person(db):
    return f.subject("natural_person", name="张三")


def api_client_for(agency, role="clerk", username=None) -> APIClient:
    user = f.user(username or f"api-{agency.pk}-{role}", agency, role, is_system=True)
    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.user = user
    return client


def personal_api_client(user) -> APIClient:
    """A personal token of a named person (not a shared system user), as issue_token --person
    gives: approvals, publications and decisions need one."""
    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.user = user
    return client


@pytest.fixture
def bob_api(bob):
    return personal_api_client(bob)


@pytest.fixture
def caac_api(caac):
    return api_client_for(caac)


@pytest.fixture
def registrar_api(samr):
    return api_client_for(samr)


@pytest.fixture
def court_api(court):
    return api_client_for(court, "clerk", "court-api-clerk")


@pytest.fixture
def court_reviewer_api(court):
    return api_client_for(court, "reviewer", "court-api-reviewer")


@pytest.fixture
def customs_api(customs):
    return api_client_for(customs)


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture(autouse=True)
def _staff_second_factor(monkeypatch):
    """`client.force_login` skips the password; here it also stands in for the second factor
    of staff who must have one. The real sign-in (password, lockout, TOTP enrolment and
    codes) is tested with real requests in tests/test_security.py."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from scs.security import otp_required

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if otp_required(user):
            device, _new = TOTPDevice.objects.get_or_create(
                user=user, name="test", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Rate-limit counters and stale copies from an earlier test never leak into the next."""
    from scs import cache as guarded
    from scs import ratelimit

    ratelimit._local.clear()
    guarded._local.clear()
    yield
    ratelimit._local.clear()
    guarded._local.clear()


@pytest.fixture
def today():
    return datetime.date.today()


@pytest.fixture(scope="session", autouse=True)
def _snapshot_restore_replaces_recreated_content_types():
    """Transactional tests with `serialized_rollback` (the live-server browser tests) reload
    the database snapshot taken after migrations. A transactional test without it (e.g.
    tests/sharing/test_agency_api_doc.py) ends with a flush that runs post_migrate, which
    re-creates every content type and permission under NEW ids; the snapshot's rows (same
    app_label/model, the original ids) then collide on the unique key and the next browser
    test failed at setup (`pytest tests/sharing tests/my/test_browser.py`). Before reloading,
    drop the content types that differ from the snapshot (their permissions cascade): the
    snapshot puts them back with the ids every other snapshot row refers to."""
    import json

    from django.db.backends.base.creation import BaseDatabaseCreation

    original = BaseDatabaseCreation.deserialize_db_from_string

    def deserialize_db_from_string(self, data):
        from django.contrib.contenttypes.models import ContentType

        snapshot = {
            row["pk"]: (row["fields"]["app_label"], row["fields"]["model"])
            for row in json.loads(data)
            if row["model"] == "contenttypes.contenttype"
        }
        if snapshot:
            manager = ContentType.objects.db_manager(self.connection.alias)
            stale = [
                pk
                for pk, app_label, model in manager.values_list("pk", "app_label", "model")
                if snapshot.get(pk) != (app_label, model)
            ]
            if stale:
                manager.filter(pk__in=stale).delete()
            ContentType.objects.clear_cache()
        return original(self, data)

    BaseDatabaseCreation.deserialize_db_from_string = deserialize_db_from_string
    yield
    BaseDatabaseCreation.deserialize_db_from_string = original


@pytest.fixture(scope="session", autouse=True)
def _end_stray_sessions(django_db_setup, django_db_blocker):
    """Live-server and thread tests can leave a session open on the test database; end them
    before pytest-django drops it, so teardown is clean."""
    yield
    from django.db import connection

    if not connection.settings_dict["NAME"].startswith("test_"):
        return  # this run never set up a test database
    with django_db_blocker.unblock():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _fresh_rating_rule_set_cache():
    """The rating's rule set is cached in Redis; a test's rolled-back rule set must not
    outlive it."""
    from rating.services import _forget_rule_set

    _forget_rule_set()
    yield
    _forget_rule_set()
