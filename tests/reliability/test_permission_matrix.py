"""Permission matrix over the fixed cast (issue 10; make reliability and make test).

Cast: clerk (alice) and reviewer (bob) of agency A (the court, which owns the list), clerk of
B (carol, customs), an implementing agency's token (CAAC), an agency token without measures
(customs), anonymous, and a subject account once an app `my` exists (issue 13).

Pages, discovered, not listed by hand, so that a new admin model, API endpoint or portal
page is covered the day it lands:
- admin: every registered model's changelist, add page, and change page of the rows below
  (or of its first row);
- API: every operation of the OpenAPI schema (drf-spectacular's generator), path
  parameters filled with the rows below (and the first row of the view's model);
- portal: every URL pattern outside admin/ and api/ (a new app's `/my/` included), and
  every form on it, posted with A's private rows as targets.

Private rows: A's entries in draft, submitted and notified states, an objection on the
notified one, A's monitoring set, webhook, import job and restricted credit record, and a
sanction of CAAC's measure (readable by CAAC and by A, whose list caused it; feedback by CAAC
only). Each model's rows get ids in a range of their own, and every `{id}` operation of the
API is tried with every private row (a 404 where the operation is about another model).
Each of A's rows carries a marker string. "Wrongly allowed" is any of:
1. anonymous gets a 2xx from the admin, or from an API operation the schema does not
   declare public;
2. someone outside a row's owning agency gets a 2xx on an admin change page or an API
   operation addressed to that row;
3. a response to someone outside the owning agency (the portal: anyone) contains a row's
   marker;
4. a portal form takes an objection or a repair application on an unpublished entry, or an
   outsider's API write changes a private row.
Prints attempts and wrongly allowed; must be 0. Writes are sent only by outsiders (an owner's
write would move the rows the next checks rely on)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from blacklists import services
from tests import factories as f
from tests.blacklists.conftest import advance, draft
from tests.conftest import api_client_for, personal_api_client
from tests.sanctions.conftest import drain, publish

pytestmark = [pytest.mark.abuse, pytest.mark.django_db]

WRITE_BODY = {
    "reason": "x",
    "via": "electronic",
    "reference": "x",
    "verdict": "disputed",
    "comment": "x",
    "name": "x",
    "url": "https://example.invalid/hook",
    "add": [],
    "remove": [],
}
SKIP_PORTAL_PREFIXES = ("admin/", "api/", "i18n/", "^media/", "__debug__/")
# Portal pages a visitor without an account may open in an account area (`/my/`).
OPEN_ACCOUNT_PAGES = re.compile(r"login|sign|register|verify|password|logout|activate", re.I)


class Matrix:
    def __init__(self):
        self.attempts = Counter()
        self.granted = Counter()  # allowed and answered 2xx: the matrix is not all refusals
        self.wrong: list[str] = []
        self.pages = Counter()  # distinct admin pages, API operations, portal pages
        self.untargeted: list[str] = []  # API operations whose {pk} found no row to address

    def check(self, area: str, who: str, what: str, status: int, allowed: bool) -> None:
        self.attempts[area] += 1
        if 200 <= status < 300:
            if allowed:
                self.granted[area] += 1
            else:
                self.wrong.append(f"{area}: {who} {what} -> {status}")

    def leak(self, area: str, who: str, what: str, body: str, markers: dict[str, str]) -> None:
        for marker, label in markers.items():
            if marker in body:
                self.wrong.append(f"{area}: {who} {what} shows {label}")


@pytest.fixture
def private_rows(scene, court, customs, caac, alice, bob, company, settings):
    """A's private rows (each with a marker) and a sanction of CAAC's measure."""
    from notifications import services as notify

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the marker host needs no DNS

    from blacklists.import_jobs import import_job_create
    from blacklists.models import ImportJob, ListEntry, Objection
    from notifications.models import MonitoringSet, WebhookEndpoint
    from registry.models import CreditRecord
    from sanctions.models import Sanction
    from tests.sharing.conftest import file_record, make_item

    # Each model's private rows get ids of their own range, so that an id put into any
    # `{id}` of the API can only address the row it was taken from.
    for k, model in enumerate(
        (ListEntry, Objection, MonitoringSet, WebhookEndpoint, Sanction, ImportJob, CreditRecord)
    ):
        with connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [model._meta.db_table, 1_000_000 * (k + 1)],
            )
    definition = scene["list"]
    rows = {}
    rows["draft"] = draft(definition, company, alice, number="（2026）执私甲1号")
    rows["submitted"] = advance(
        draft(definition, company, alice, number="（2026）执私甲2号"),
        "submitted",
        clerk=alice,
        reviewer=bob,
    )
    rows["notified"] = advance(
        draft(definition, company, alice, number="（2026）执私甲3号"),
        "notified",
        clerk=alice,
        reviewer=bob,
    )
    rows["objection"] = services.objection_file(
        entry=rows["notified"], filed_by_name="甲", contact="1", disputed_facts="私密异议事实甲"
    )
    rows["monitoring set"] = notify.monitoring_set_create(actor=alice, name="甲机关私有监控集")
    rows["webhook"] = notify.webhook_create(
        actor=alice,
        url="https://a-private-hook.example.org/receive",
        secret="s" * 24,
        event_kinds=["monitoring"],
    )
    rows["import job"] = import_job_create(
        actor=alice,
        upload=SimpleUploadedFile("甲私有导入名单.csv", b"subject_identifier\n1\n"),
        dry_run=True,
    )
    rows["credit record"] = file_record(
        alice,
        make_item(court, "C-901", "restricted", "inspection"),
        company,
        "杭中法〔2026〕私甲9号",
    )
    published = publish(definition, f.subject(name="公开失信测试有限公司"), alice, bob)
    drain()
    rows["sanction"] = Sanction.objects.filter(entry=published, measure__code="M01").get()
    # (agencies that may read it, agencies that may act on it)
    owners = {name: ({court.pk}, {court.pk}) for name in rows}
    # sanctions.admin.SanctionAdmin: an agency sees the sanctions it implements and those its
    # own lists caused; only the implementing agency records feedback.
    owners["sanction"] = ({caac.pk, court.pk}, {caac.pk})
    markers = {
        "（2026）执私甲1号": "A's draft",
        "（2026）执私甲2号": "A's submitted entry",
        "（2026）执私甲3号": "A's notified entry",
        "私密异议事实甲": "the objection's facts",
        "甲机关私有监控集": "A's monitoring set",
        "a-private-hook.example.org": "A's webhook",
        "甲私有导入名单": "A's import file",
        "杭中法〔2026〕私甲9号": "A's restricted credit record",
    }
    return {"rows": rows, "owners": owners, "markers": markers, "published": published}


def _cast(court, customs, caac, alice, bob, carol):
    """(name, agency id or None, admin client or None, API client)."""
    cast = []
    for name, user in (("A clerk", alice), ("A reviewer", bob), ("B clerk", carol)):
        web = Client()
        web.force_login(user)
        cast.append((name, user.agency_id, web, personal_api_client(user)))
    cast.append(("implementer token", caac.pk, None, api_client_for(caac)))
    cast.append(("token without measures", customs.pk, None, api_client_for(customs)))
    cast.append(("anonymous", None, Client(), APIClient()))
    account = getattr(f, "subject_account", None)
    if apps.is_installed("my") and account is not None:
        user = account()
        web = Client()
        web.force_login(user)
        cast.append(("subject account", None, web, APIClient()))
    return cast


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    try:
        return response.content.decode("utf-8", "replace")
    except AttributeError:
        return ""


def test_permission_matrix(court, customs, caac, alice, bob, carol, private_rows, record_property):
    rows, owners, markers = private_rows["rows"], private_rows["owners"], private_rows["markers"]
    by_model: dict[type, list[tuple[str, models.Model]]] = {}
    for name, obj in rows.items():
        by_model.setdefault(type(obj), []).append((name, obj))
    cast = _cast(court, customs, caac, alice, bob, carol)
    matrix = Matrix()
    _COURT[0] = court.pk

    _admin(matrix, cast, by_model, owners, markers)
    _api(matrix, cast, by_model, owners, markers, private_rows)
    _portal(matrix, cast, rows, markers, private_rows["published"])

    # Controls: the owners do get in, so a refusal above is a permission, not a broken client.
    draft_pk = rows["draft"].pk
    alice_web, alice_api = cast[0][2], cast[0][3]
    assert alice_web.get(f"/admin/blacklists/listentry/{draft_pk}/change/").status_code == 200
    assert alice_api.get(f"/api/v1/list-entries/{draft_pk}/").status_code == 200
    assert all(matrix.granted[area] for area in ("admin", "api", "portal")), matrix.granted

    attempts = sum(matrix.attempts.values())
    wrong = matrix.wrong
    per_area = ", ".join(
        f"{area} {n} on {matrix.pages[area]} pages/operations"
        for area, n in matrix.attempts.items()
    )
    record_property("attempts", attempts)
    record_property("failures", len(wrong))
    record_property(
        "figure",
        f"{attempts} attempts ({per_area}) over {len(cast)} roles, {len(wrong)} wrongly allowed",
    )
    print(f"[matrix] {attempts} attempts ({per_area}); {len(wrong)} wrongly allowed")
    print(f"[matrix] granted to those allowed: {dict(matrix.granted)}")
    print(f"[matrix] operations that answered 404 to every id and everyone: {matrix.untargeted}")
    assert not wrong, "\n".join(wrong)


# --- admin --------------------------------------------------------------------------------


def _admin(matrix, cast, by_model, owners, markers):
    staff = [(name, agency, web) for name, agency, web, _api in cast if web is not None]
    for model in list(admin.site._registry):
        info = (model._meta.app_label, model._meta.model_name)
        targets = by_model.get(model) or []
        if not targets:
            first = model._default_manager.order_by("pk").first()
            targets = [("first row", first)] if first is not None else []
        pages = [(reverse("admin:{}_{}_changelist".format(*info)), None)]
        try:
            pages.append((reverse("admin:{}_{}_add".format(*info)), None))
        except Exception:  # noqa: S110 - a model without an add view has nothing to test
            pass
        for label, obj in targets:
            url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            pages.append((url, label))
        matrix.pages["admin"] += len(pages)
        for url, label in pages:
            owner = owners[label][0] if label in owners else None
            for who, agency, web in staff:
                response = web.get(url)
                if agency is None:  # anonymous, a subject account: never the back office
                    allowed = False
                elif owner is not None:
                    allowed = agency in owner
                else:
                    allowed = True
                matrix.check("admin", who, url, response.status_code, allowed)
                if agency is None or (owner is not None and agency in owner):
                    continue
                if 200 <= response.status_code < 300:
                    matrix.leak("admin", who, url, _body(response), _outsider(markers, agency))


def _outsider(markers: dict[str, str], agency) -> dict[str, str]:
    """Markers the viewer may not see: all of A's, unless the viewer is A's (court) staff."""
    return markers if agency != _COURT[0] else {}


_COURT: list[int | None] = [None]


# --- API ------------------------------------------------------------------------------------


def _operations():
    """(path template, method, public?) for every operation of the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            security = operation.get("security", schema.get("security", []))
            public = any(not requirement for requirement in security)
            yield path, method, public


def _view_model(path: str):
    """The model a path's view reads (queryset or serializer), or None."""
    probe = re.sub(r"\{[^}]+\}", "1", path)
    try:
        view = resolve(probe).func
    except Exception:
        return None
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if cls is None:
        return None
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    for attr in ("serializer_class", "output_serializer", "OutputSerializer"):
        serializer = getattr(cls, attr, None)
        meta = getattr(serializer, "Meta", None)
        if meta is not None and getattr(meta, "model", None) is not None:
            return meta.model
    return None


def _api(matrix, cast, by_model, owners, markers, private_rows):
    identifier = private_rows["rows"]["draft"].subject.identifier
    snapshot = _snapshot(private_rows["rows"])
    for path, method, public in _operations():
        params = re.findall(r"\{([^}]+)\}", path)
        targets: list[tuple[str | None, str]] = []
        if not params:
            targets.append((None, path))
        elif params == ["identifier"]:
            targets.append((None, path.replace("{identifier}", identifier)))
        else:
            # Every private row (ids do not overlap across models: 404 where the operation
            # is not about that model), and the first row of the view's model if it has none.
            named = [(label, obj) for rows_ in by_model.values() for label, obj in rows_]
            model = _view_model(path)
            if model is not None and model not in by_model:
                first = model._default_manager.order_by("pk").first()
                if first is not None:
                    named.append((None, first))
            for label, obj in named:
                targets.append((label, re.sub(r"\{[^}]+\}", str(obj.pk), path)))
        matrix.pages["api"] += 1
        found = False
        for label, url in targets:
            readers, writers = owners[label] if label in owners else (None, None)
            owner = readers if method == "get" else writers
            for who, agency, _web, client in cast:
                insider = owner is not None and agency in owner
                if method != "get" and (insider or (who.startswith("A ") and owner is None)):
                    continue  # owners' writes would move the rows; A writes nothing here
                call = getattr(client, method)
                response = call(url, WRITE_BODY, format="json") if method != "get" else call(url)
                if agency is None:  # no agency token: only what the schema declares public
                    allowed = public
                elif owner is not None:
                    allowed = insider
                else:
                    allowed = True
                found = found or response.status_code != 404
                matrix.check("api", who, f"{method.upper()} {url}", response.status_code, allowed)
                if not (readers and agency in readers) and 200 <= response.status_code < 300:
                    matrix.leak(
                        "api",
                        who,
                        f"{method.upper()} {url}",
                        _body(response),
                        _outsider(markers, agency),
                    )
        if not found:
            matrix.untargeted.append(f"{method.upper()} {path}")
    after = _snapshot(private_rows["rows"])
    for name, state in after.items():
        if state != snapshot[name]:
            fields = sorted(set(state) ^ set(snapshot[name]))
            matrix.wrong.append(f"api: a write changed {name}: {fields}")


def _snapshot(rows) -> dict[str, tuple]:
    out = {}
    for name, obj in rows.items():
        fresh = type(obj)._default_manager.filter(pk=obj.pk).values().first()
        out[name] = tuple(
            sorted(
                (k, bytes(v) if isinstance(v, memoryview) else str(v))
                for k, v in (fresh or {}).items()
            )
        )
    return out


# --- portal -------------------------------------------------------------------------------


def _portal_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _portal_patterns(pattern, text)
        elif isinstance(pattern, URLPattern) and not text.startswith(SKIP_PORTAL_PREFIXES):
            yield text, pattern


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_FIELD = re.compile(r"<(?:input|textarea|select)\b[^>]*\bname=[\"']([^\"']+)[\"']", re.I)


def _post_fields(body: str) -> list[str] | None:
    """Field names of the page's own POST forms (not the language switcher), or None."""
    fields = []
    found = False
    for attrs, inner in _FORM.findall(body):
        if not re.search(r"method=[\"']?post", attrs, re.I) or "i18n/" in attrs:
            continue
        found = True
        fields += _FIELD.findall(inner)
    return fields if found else None


def _portal(matrix, cast, rows, markers, published):
    """Every portal page for each visitor without an agency (anonymous, a subject account):
    no marker anywhere; a page that takes an entry (it answers for a published entry and
    not without one) refuses the unpublished ones; every POST form on it, posted for the
    unpublished entries, files nothing."""
    from blacklists.models import Objection, RepairApplication
    from publicity.selectors import subject_ref

    unpublished = [rows["draft"], rows["submitted"], rows["notified"]]
    fills = {
        "ref": subject_ref(rows["draft"].subject),
        "pk": str(rows["draft"].list_id),
        "number": rows["objection"].tracking_number,
    }
    before = (
        Objection.objects.filter(entry__in=unpublished).count(),
        RepairApplication.objects.filter(entry__in=unpublished).count(),
    )
    visitors = [(who, web) for who, agency, web, _api in cast if agency is None and web]
    for text, _pattern in _portal_patterns():
        url = "/" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: fills.get(m.group(1), "1"), text)
        if "(?P<" in url or "^" in url:
            continue
        account_area = url.startswith("/my/") and not OPEN_ACCOUNT_PAGES.search(url)
        matrix.pages["portal"] += 1
        for who, web in visitors:
            base = web.get(url)
            allowed = not (account_area and who == "anonymous")
            matrix.check("portal", who, url, base.status_code, allowed)
            matrix.leak("portal", who, url, _body(base), markers)
            probe = web.get(f"{url}?entry={published.pk}")
            takes_entry = probe.status_code == 200 and base.status_code != 200
            fields = _post_fields(_body(probe)) or _post_fields(_body(base)) or []
            for entry in unpublished:
                response = web.get(f"{url}?entry={entry.pk}")
                matrix.check(
                    "portal", who, f"{url}?entry={entry.pk}", response.status_code, not takes_entry
                )
                matrix.leak("portal", who, f"{url}?entry={entry.pk}", _body(response), markers)
                if fields:
                    data = {name: "1" for name in fields}
                    data.update(entry=entry.pk, number=entry.pk)
                    posted = web.post(f"{url}?entry={entry.pk}", data)
                    matrix.attempts["portal"] += 1
                    matrix.leak("portal", who, f"POST {url}", _body(posted), markers)
    after = (
        Objection.objects.filter(entry__in=unpublished).count(),
        RepairApplication.objects.filter(entry__in=unpublished).count(),
    )
    if after != before:
        matrix.wrong.append(
            "portal: a form took an objection or repair on an unpublished entry: "
            f"{before} -> {after}"
        )
