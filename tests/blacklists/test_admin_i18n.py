"""The admin speaks Chinese: every project label, help text, choice, action, column, filter
and form field has a translation, and the pages a clerk, a reviewer and an implementing
agency's clerk open show no untranslated English (data such as usernames aside)."""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import SimpleListFilter
from django.utils import translation
from django.utils.functional import Promise

from blacklists import admin_workflow
from blacklists.admin import ConfirmCandidateForm, DecisionForm, ImportForm
from sanctions.admin import BulkFeedbackForm, FeedbackForm
from sanctions.admin_enforce import HEADERS, ToEnforceFilter

PROJECT_APPS = ("registry", "blacklists", "sanctions", "publicity", "scs")
CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese(text) -> bool:
    with translation.override("zh-hans"):
        return bool(CJK.search(str(text)))


ADMIN_APPS = ("registry", "blacklists", "sanctions")


def project_models():
    """The models of the apps the admin shows (pghistory's event tables are storage)."""
    for label in ADMIN_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__module__ == f"{label}.models" and not hasattr(model, "pgh_obj"):
                yield model


def test_every_model_label_help_text_and_choice_is_translated():
    untranslated = []
    for model in project_models():
        opts = model._meta
        for text in (opts.verbose_name, opts.verbose_name_plural):
            if not chinese(text):
                untranslated.append(f"{opts.label}: {text}")
        for field in opts.get_fields():
            if field.auto_created or not field.concrete:
                continue
            for text in (field.verbose_name, field.help_text):
                if text and not chinese(text):
                    untranslated.append(f"{opts.label}.{field.name}: {text}")
            for _value, label in getattr(field, "flatchoices", None) or []:
                if label and not chinese(label):
                    untranslated.append(f"{opts.label}.{field.name} choice: {label}")
            base = getattr(field, "base_field", None)
            for _value, label in getattr(base, "flatchoices", None) or []:
                if not chinese(label):
                    untranslated.append(f"{opts.label}.{field.name} choice: {label}")
    for label in ADMIN_APPS:
        if not chinese(apps.get_app_config(label).verbose_name):
            untranslated.append(f"app {label}")
    assert untranslated == []


def test_every_admin_action_column_filter_and_form_is_translated(rf):
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        name = type(model_admin).__name__
        for action in model_admin.actions or []:
            func = getattr(model_admin, action) if isinstance(action, str) else action
            if not chinese(getattr(func, "short_description", "")):
                untranslated.append(f"{name} action {action}")
        for item in [*model_admin.list_display, *model_admin.readonly_fields]:
            func = getattr(model_admin, item, None) if isinstance(item, str) else item
            if callable(func) and not chinese(getattr(func, "short_description", "x")):
                untranslated.append(f"{name} column {item}")
        for flt in model_admin.list_filter:
            if isinstance(flt, type) and issubclass(flt, SimpleListFilter):
                if not chinese(flt.title):
                    untranslated.append(f"{name} filter {flt.__name__}")
    forms = [
        DecisionForm(),
        ImportForm(),
        FeedbackForm(mandatory=False),
        BulkFeedbackForm(),
        ToEnforceFilter(measures=[]),
        *(step.form_class() for step in admin_workflow.STEPS.values()),
    ]
    for form in forms:
        for key, field in form.fields.items():
            for text in (field.label, field.help_text):
                if text and not chinese(text):
                    untranslated.append(f"{type(form).__name__}.{key}: {text}")
    for step in admin_workflow.STEPS.values():
        if not chinese(step.label):
            untranslated.append(f"step {step.key}")
    untranslated += [f"to-enforce column {h}" for h in HEADERS if not chinese(h)]
    assert "ground" in ConfirmCandidateForm.base_fields
    assert untranslated == []


# --- rendered pages ------------------------------------------------------------------------------

SKIP = re.compile(r"<(script|style|code|textarea)\b.*?</\1>", re.S | re.I)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}(?:\s+[A-Za-z][A-Za-z'’-]+)*")
# Not sentences: file formats, a date pattern, the language switcher's own name.
ALLOWED = {"CSV", "XLSX", "xlsx", "Excel", "YYYY-MM-DD", "English", "UTF"}
# Codes are not words: a USCC (or its shown prefix) mixes digits and capitals ("91330100GXM…").
CODE = re.compile(r"[0-9A-Z]*[0-9][0-9A-Z]*[A-Z][0-9A-Z]*|[A-Z]+[0-9][0-9A-Z]*")


def english_on(page: str, data: set[str]) -> set[str]:
    text = SKIP.sub(" ", page)
    text = re.sub(r"<[^>]+>", " ", text)
    text = CODE.sub(" ", html.unescape(text))
    found = set()
    for match in WORD.findall(text):
        words = [w for w in (w.strip("-'’") for w in match.split()) if w]
        words = [w for w in words if w not in ALLOWED and w not in data]
        if words:
            found.add(" ".join(words))
    return found


@pytest.mark.django_db
def test_pages_a_clerk_opens_show_no_untranslated_english(client, make_entry, published, bob):
    from blacklists import services

    notified = make_entry("notified")
    objection = services.objection_file(
        entry=notified, filed_by_name="甲", contact="138", disputed_facts="金额有误"
    )
    draft = make_entry("draft")
    # Data, not interface: usernames, list keys, the factories' subject names (测试enterprise3…)
    # and the reason the fixtures give for publication.
    data = {"alice", "bob", "bea", "carol", "system", "enterprise", "window", "has", "run", "list"}
    data |= {e.list.key for e in (draft, published)}
    # The fixtures' decision numbers carry random hex (（2026）执3bbd1e2a号).
    from blacklists.models import ListEntry

    for number in ListEntry.objects.values_list("decision_number", flat=True):
        data |= set(re.findall(r"[A-Za-z]+", number))
    client.force_login(bob)
    pages = [
        "/admin/",
        "/admin/blacklists/listentry/",
        "/admin/blacklists/listentry/add/",
        f"/admin/blacklists/listentry/{draft.pk}/change/",
        f"/admin/blacklists/listentry/{published.pk}/change/",
        "/admin/blacklists/listentry/import/",
        "/admin/blacklists/objection/",
        f"/admin/blacklists/objection/{objection.pk}/change/",
        "/admin/blacklists/repairapplication/",
        "/admin/blacklists/listdefinition/",
        f"/admin/blacklists/listdefinition/{draft.list.pk}/change/",
        "/admin/blacklists/watchcandidate/",
        "/admin/registry/subject/",
        f"/admin/registry/subject/{draft.subject.pk}/change/",
        "/admin/registry/creditrecord/",
        "/admin/registry/creditrecord/add/",
        "/admin/sanctions/sanction/",
        "/admin/sanctions/memorandum/",
        "/admin/sanctions/to-enforce/",
    ]
    found = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN")
        assert response.status_code == 200, url
        english = english_on(response.content.decode(), data)
        if english:
            found[url] = sorted(english)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.django_db
def test_english_is_one_click_away(client, make_entry, alice):
    make_entry("draft")
    client.force_login(alice)
    page = client.get("/admin/").content.decode()
    assert "我的待办" in page and 'value="en"' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    page = client.get("/admin/").content.decode()
    translation.activate("zh-hans")  # the middleware leaves the thread in English
    assert "My work" in page and "My drafts" in page


# --- refusals raised by the services and messages shown by the admin ----------------------------

# The modules whose refusals reach the admin (and the API) as messages, and the admin modules
# whose own messages a clerk reads. registry/identifiers.py is translated on its own.
MESSAGE_MODULES = (
    "blacklists/services.py",
    "blacklists/import_jobs.py",
    "sanctions/services.py",
    "registry/services.py",
    "registry/credit_records.py",
    "registry/record_repairs.py",
    "sharing/services.py",
    "filings/services.py",
    "filings/admin.py",
    "my/services.py",
    "rating/services.py",
    "notifications/services.py",
    "blacklists/admin.py",
    "blacklists/admin_workflow.py",
    "sanctions/admin.py",
    "sanctions/admin_enforce.py",
    "registry/admin.py",
    "sharing/admin.py",
    "scs/admin.py",
)
REFUSALS = {"ValidationError", "PermissionDenied"}
MESSAGE_CALLS = {"error", "success", "warning", "info", "message_user"}
TRANSLATING = {"gettext", "ngettext", "_", "gettext_lazy", "ngettext_lazy", "pgettext"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


# SQL text (a statement or a fragment of one) is not a sentence for a reader.
SQL = re.compile(r"\s*\(?\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b")


def untranslated_literals(node: ast.AST) -> list[str]:
    """Sentences (literals or f-strings with a space and a letter) in `node` that no gettext
    call wraps; the right-hand side of `gettext(...) % {...}` holds values, not sentences."""
    found: list[str] = []

    def walk(n: ast.AST) -> None:
        if isinstance(n, ast.Call) and _name(n.func) in TRANSLATING:
            return
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod):
            if isinstance(n.left, ast.Call) and _name(n.left.func) in TRANSLATING:
                return
        if isinstance(n, ast.JoinedStr):
            text = "".join(v.value for v in n.values if isinstance(v, ast.Constant))
            if re.search(r"[A-Za-z]{2,}\s", text) and not SQL.match(text):
                found.append(ast.unparse(n))
            return
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            if re.search(r"[A-Za-z]{2,}\s+[A-Za-z]", n.value) and not SQL.match(n.value):
                found.append(n.value)
            return
        for child in ast.iter_child_nodes(n):
            walk(child)

    walk(node)
    return found


def test_every_refusal_and_admin_message_goes_through_gettext():
    root = Path(settings.BASE_DIR)
    bare = []
    for module in MESSAGE_MODULES:
        tree = ast.parse((root / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in REFUSALS:
                args = node.args
            elif name in MESSAGE_CALLS and isinstance(node.func, ast.Attribute):
                args = node.args[1:]  # (request, message, ...)
            elif name == "run_service":  # scs.admin.run_service(request, service, success=...)
                args = [k.value for k in node.keywords if k.arg == "success"]
            else:
                continue
            for arg in args:
                bare += [f"{module}:{node.lineno}: {s}" for s in untranslated_literals(arg)]
    assert bare == []


# --- the API: every refusal and message an agency's system reads ---------------------------------

# Every API module, found on disk, so a new one is checked without editing this list; and what
# they share (the JSON parser and error shape in scs/api.py, the bulk body parser, the file's note).
EXTRA_API_MODULES = ("sharing/parsing.py", "sharing/selectors.py")
# Not messages: the OpenAPI description of error statuses (documentation, one English schema) and
# a value compared with stored data.
NOT_MESSAGES = {
    "ERROR_STATUSES",
    "BODY_ERROR_STATUSES",
    "UPGRADED_FROM_15",
    "DECISION_DATE_DESCRIPTION",
}
# Keywords and calls that document the schema or log for operators, not answers to a caller.
DOC_KEYWORDS = {"help_text", "description", "summary", "label", "help", "title"}
DOC_CALLS = {"extend_schema", "OpenApiParameter", "OpenApiExample", "OpenApiResponse"}
LOG_CALLS = {"debug", "info", "warning", "exception", "getLogger", "execute"}
# A broken invariant of the code itself: a 500 for the developers, never a message to a user.
INTERNAL_ERRORS = {"AssertionError"}


def api_modules() -> list[str]:
    root = Path(settings.BASE_DIR)
    found = {
        str(path.relative_to(root))
        for pattern in ("*/api.py", "*/api/*.py", "*/*_api.py")
        for path in root.glob(pattern)
        if ".venv" not in path.parts and "tests" not in path.parts
    }
    return sorted(found | set(EXTRA_API_MODULES))


def _is_literal(n: ast.AST) -> bool:
    return isinstance(n, ast.JoinedStr) or (
        isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def every_untranslated_sentence(tree: ast.AST) -> list[tuple[int, str]]:
    """Every sentence literal of a module that no gettext call wraps, wherever it is (a raise,
    a Response body, an error dict built first and raised later, a class attribute), except
    docstrings, schema documentation, log lines and default arguments (recorded reasons, which
    the audit history translates when it shows them)."""
    found: list[tuple[int, str]] = []

    def walk(n: ast.AST) -> None:
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = n.body
            if body and isinstance(body[0], ast.Expr) and _is_literal(body[0].value):
                body = body[1:]  # the docstring
            for child in [*getattr(n, "decorator_list", []), *body]:
                walk(child)
            return
        if isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in NOT_MESSAGES for t in n.targets
        ):
            return
        if isinstance(n, ast.Call):
            name = _name(n.func)
            if name in TRANSLATING or name in DOC_CALLS or name in LOG_CALLS | INTERNAL_ERRORS:
                return
            for child in [n.func, *n.args]:
                walk(child)
            for keyword in n.keywords:
                if keyword.arg not in DOC_KEYWORDS:
                    walk(keyword.value)
            return
        if isinstance(n, ast.Dict):
            for key, value in zip(n.keys, n.values, strict=True):
                if not (isinstance(key, ast.Constant) and key.value in DOC_KEYWORDS):
                    walk(value)
            return
        if _is_literal(n):
            found.extend((n.lineno, sentence) for sentence in untranslated_literals(n))
            return
        if (
            isinstance(n, ast.BinOp)
            and isinstance(n.op, ast.Mod)
            and isinstance(n.left, ast.Call)
            and _name(n.left.func) in TRANSLATING
        ):
            return  # gettext("... %(n)s") % {values}
        for child in ast.iter_child_nodes(n):
            walk(child)

    walk(tree)
    return found


HOSTILE_API_MODULE = """
def f(request):
    errors = {}
    errors["x"] = ["Use a date as YYYY-MM-DD."]
    raise NotFound(f"No subject {request}.")

class P:
    message = "Only agencies may do this."

ok = gettext("Translated here.") % {"n": "some words here"}

@extend_schema(summary="Documented, not answered")
def g(reason="entry drafted"):
    "A docstring with words."
    return Response({"detail": "Not found here.", "description": "Schema words here."})
"""


def test_the_api_check_covers_every_api_module_and_fails_on_a_bare_literal():
    modules = api_modules()
    for module in ("registry/api.py", "sharing/api/collection.py", "sharing/api/consultation.py",
                   "notifications/api.py", "rating/api.py", "sanctions/api.py", "scs/api.py",
                   "blacklists/api.py", "blacklists/import_api.py"):  # fmt: skip
        assert module in modules
    found = [s for _line, s in every_untranslated_sentence(ast.parse(HOSTILE_API_MODULE))]
    assert found == [
        "Use a date as YYYY-MM-DD.",
        "f'No subject {request}.'",
        "Only agencies may do this.",
        "Not found here.",
    ]


def test_every_api_refusal_and_message_goes_through_gettext():
    root = Path(settings.BASE_DIR)
    bare = []
    for module in api_modules():
        tree = ast.parse((root / module).read_text(encoding="utf-8"))
        bare += [f"{module}:{line}: {s}" for line, s in every_untranslated_sentence(tree)]
    assert bare == []


def test_every_message_of_these_modules_has_a_chinese_translation():
    root = Path(settings.BASE_DIR)
    untranslated = []
    for module in (*MESSAGE_MODULES, *api_modules()):
        for node in ast.walk(ast.parse((root / module).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _name(node.func) in TRANSLATING):
                continue
            if not (node.args and isinstance(node.args[0], ast.Constant)):
                continue
            msgid = node.args[0].value
            with translation.override("zh-hans"):
                if _name(node.func).startswith("ngettext") and len(node.args) > 1:
                    text = translation.ngettext(msgid, node.args[1].value, 1)
                else:
                    text = translation.gettext(msgid)
            if text == msgid and english_on(re.sub(r"%\(\w+\)[sd]", " ", msgid), set()):
                untranslated.append(f"{module}:{node.lineno}: {msgid}")
    assert untranslated == []


def _transition_messages(client, entry, action: str, language: str) -> list[str]:
    response = client.post(
        f"/admin/blacklists/listentry/{entry.pk}/transition/",
        {"action": action},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_a_service_refusal_shown_in_the_admin_is_chinese(client, make_entry, alice, bob):
    """Refusals raised by the services (maker-checker, the objection window) reach the clerk as
    admin messages in the clerk's language: Chinese by default, English on request."""
    own = make_entry("draft")
    client.force_login(alice)
    zh = _transition_messages(client, own, "approve", "zh-CN")  # a clerk, not a reviewer
    assert zh == ["此步骤须由名单所属部门的审核人办理。"]

    notified = make_entry("notified")
    client.force_login(bob)
    zh = _transition_messages(client, notified, "publish", "zh-CN")
    assert len(zh) == 1 and zh[0].startswith("异议期至 "), zh
    assert english_on(zh[0], set()) == set(), zh

    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    en = _transition_messages(client, notified, "publish", "en")
    translation.activate("zh-hans")  # the middleware leaves the thread in English
    assert len(en) == 1 and en[0].startswith("The objection window runs until "), en
    notified.refresh_from_db()
    assert notified.state == "notified"


# --- every project app's admin, found from the admin site's registry ------------------------------

# Terms that read the same in both languages (codes and acronyms a clerk knows as such).
SAME_IN_BOTH = {"API", "URL", "USCC", "ID", "CSV", "XLSX", "JSON"}


def project_admins():
    """Every (model, ModelAdmin) of this project's apps (not of installed libraries), from the
    admin site's registry: an app added later is checked without editing this test."""
    root = Path(settings.BASE_DIR).resolve()
    for model, model_admin in admin.site._registry.items():
        path = Path(apps.get_app_config(model._meta.app_label).path).resolve()
        if root in path.parents and ".venv" not in path.parts:
            yield model, model_admin


def translated(text) -> bool:
    """Has a zh-Hans translation different from the English (or is a term the same in both)."""
    with translation.override("zh-hans"):
        zh = str(text)
    with translation.override("en"):
        en = str(text)
    if zh.strip() in SAME_IN_BOTH:
        return True
    # A lazy text must differ between the languages; a text already evaluated (Django's own
    # action descriptions and help texts, built under zh-Hans) can only show it is Chinese.
    return bool(CJK.search(zh)) and (zh != en or not isinstance(text, Promise))


def _superuser_request(rf, django_user_model):
    request = rf.get("/admin/")
    request.user = django_user_model(
        username="root", is_superuser=True, is_staff=True, is_active=True
    )
    return request


def test_the_registry_covers_every_project_app():
    labels = {model._meta.app_label for model, _admin in project_admins()}
    assert {"registry", "blacklists", "sanctions", "sharing", "filings", "rating"} <= labels
    assert "auth" not in labels and "axes" not in labels


@pytest.mark.django_db
def test_every_project_admin_label_is_translated(rf, django_user_model):
    """Model names, changelist columns, filter titles, action descriptions and change-form
    labels of every registered project model have a Chinese translation."""
    from django.contrib.admin.utils import label_for_field

    request = _superuser_request(rf, django_user_model)
    missing = []
    seen_apps = set()
    for model, model_admin in project_admins():
        opts = model._meta
        where = opts.label
        if opts.app_label not in seen_apps:
            seen_apps.add(opts.app_label)
            if not translated(apps.get_app_config(opts.app_label).verbose_name):
                missing.append(f"app {opts.app_label}")
        for text in (opts.verbose_name, opts.verbose_name_plural):
            if not translated(text):
                missing.append(f"{where}: {text}")
        for item in model_admin.get_list_display(request):
            if item == "action_checkbox":
                continue
            label = label_for_field(item, model, model_admin)
            if not translated(label):
                missing.append(f"{where} column {item}: {label}")
        for flt in model_admin.get_list_filter(request):
            if isinstance(flt, type) and issubclass(flt, SimpleListFilter):
                title = flt.title
            else:
                name = flt[0] if isinstance(flt, (tuple, list)) else flt
                field = opts.get_field(name.split("__")[0])
                title = getattr(field, "verbose_name", name)
            if not translated(title):
                missing.append(f"{where} filter {flt}: {title}")
        for name, (_func, _name, description) in model_admin.get_actions(request).items():
            text = description % {"verbose_name_plural": opts.verbose_name_plural}
            if not translated(text):
                missing.append(f"{where} action {name}: {text}")
        form = model_admin.get_form(request, None)
        fields = {**form.base_fields}
        for key in model_admin.get_readonly_fields(request):
            if key not in fields:
                fields[key] = None
        for key, field in fields.items():
            if field is None:
                label = label_for_field(key, model, model_admin)
                help_text = ""
            else:
                label, help_text = field.label, field.help_text
            for text in (label, help_text):
                if text and not translated(text):
                    missing.append(f"{where} form {key}: {text}")
        for inline in model_admin.get_inline_instances(request):
            inline_opts = inline.model._meta
            for text in (inline_opts.verbose_name, inline_opts.verbose_name_plural):
                if not translated(text):
                    missing.append(f"{where} inline {inline_opts.label}: {text}")
            for key, field in inline.get_formset(request).form.base_fields.items():
                for text in (field.label, field.help_text):
                    if text and not translated(text):
                        missing.append(f"{where} inline {inline_opts.label}.{key}: {text}")
    assert missing == [], "\n".join(missing)


def _words_of_rows(model, limit=5000) -> set[str]:
    """Words stored in a table's text columns: data (English names of divisions and purposes,
    the example rule set, permission names), not interface."""
    from django.db.models import CharField, JSONField, TextField

    names = [f.attname for f in model._meta.concrete_fields]
    texts = [f.attname for f in model._meta.concrete_fields
             if isinstance(f, (CharField, TextField, JSONField))]  # fmt: skip
    words = set()
    if not texts:
        return words
    for row in model._default_manager.order_by()[:limit].values_list(*texts):
        for value in row:
            words |= set(re.findall(r"[A-Za-z][A-Za-z'’-]*", str(value)))
    assert names
    words = {w.strip("-'’") for w in words}
    return words | {w.capitalize() for w in words}


def _data_words(model, model_admin, request) -> set[str]:
    """Data a page of `model` may show: its rows, the rows it points to, its inlines' rows, and
    the names of installed libraries' apps and models (the sidebar, permission choices)."""
    models = {model}
    for field in model._meta.get_fields():
        if (field.many_to_one or field.many_to_many or field.one_to_one) and field.related_model:
            models.add(field.related_model)
    models |= {inline.model for inline in model_admin.get_inline_instances(request)}
    words = set()
    for each in models:
        words |= _words_of_rows(each)
    project = {m._meta.app_label for m, _a in project_admins()}
    with translation.override("en"):
        for config in apps.get_app_configs():
            if config.label in project:
                continue
            words |= set(re.findall(r"[A-Za-z]+", str(config.verbose_name)))
            for other in config.get_models():
                words |= set(re.findall(r"[A-Za-z]+", str(other._meta.verbose_name)))
                words |= set(re.findall(r"[A-Za-z]+", str(other._meta.verbose_name_plural)))
    return words | {w.capitalize() for w in words}


@pytest.mark.django_db
def test_every_project_changelist_and_change_page_is_chinese(
    client, rf, django_user_model, published
):
    """Rendered in zh-Hans for the operator: every project model's changelist and the change
    page of one row show no untranslated English (data, as stored, aside)."""
    operator = django_user_model.objects.create_superuser("root", "r@example.cn", "x")
    client.force_login(operator)
    request = rf.get("/admin/")
    request.user = operator
    base_data = {"root", "alice", "bob", "bea", "carol", "system", "enterprise", "window"}
    base_data |= {"has", "run", "list", published.list.key}
    # Django's own help text names keys ("按住 Control 键或 Mac 上的 Command 键"); the user page
    # shows the start of the password hash and of its salt.
    base_data |= {"Control", "Mac", "Command"}
    for hashed in django_user_model.objects.values_list("password", flat=True):
        base_data |= {part[:6] for part in hashed.lstrip("!").split("$")}
    found = {}
    for model, model_admin in project_admins():
        data = base_data | _data_words(model, model_admin, request)
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        urls = [base]
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            urls.append(f"{base}{row.pk}/change/")
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN")
            if response.status_code in (302, 403):
                continue  # a model this view does not offer (e.g. no change page)
            assert response.status_code == 200, url
            english = english_on(response.content.decode(), data)
            if english:
                found[url] = sorted(english)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
