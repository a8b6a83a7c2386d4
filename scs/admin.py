"""Admin building blocks shared by the apps: agency scoping and calling services."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import re
import secrets

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Whether the viewer of the admin page being rendered may see full resident IDs.
_REVEAL: contextvars.ContextVar[bool] = contextvars.ContextVar("admin_reveal", default=False)


@contextlib.contextmanager
def _viewer(request):
    from registry.privacy import may_view_personal_ids

    token = _REVEAL.set(may_view_personal_ids(request.user))
    try:
        yield
    finally:
        _REVEAL.reset(token)


def _rendered(response):
    """Render a TemplateResponse now, while the viewer's context variable is set."""
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


def user_agency_id(request) -> int | None:
    return getattr(request.user, "agency_id", None)


class PersonalDataAdminMixin(admin.ModelAdmin):
    """Resident IDs in the admin (issue 9 §3), for any ModelAdmin:

    - a search for a resident ID is moved out of the URL and the search box: the term is kept
      in the session and the page is redirected to `?q=@<token>`, so the full number is never
      echoed back, written to access logs or kept in browser history (the search still finds
      the person);
    - `shown_identifier(subject, request)` is what list columns and read-only fields print;
      `shown_identifier_for_viewer(subject)` the same inside a list column (which gets no
      request): the viewer's right is held in a context variable for the request, masked
      by default.
    """

    SEARCH_TOKEN_PREFIX = "@"  # noqa: S105 - not a password

    def action_checkbox(self, obj):
        """Django's row checkbox, the same markup, without rendering a widget template per row
        (at 1 000 000 subjects on a loaded machine, 4 ms a row: a third of a 50-row page)."""
        from django.contrib.admin import helpers

        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def changelist_view(self, request, extra_context=None):
        from django.http import HttpResponseRedirect

        from registry.privacy import mask_resident_ids_in_text

        q = request.GET.get("q", "")
        if q and mask_resident_ids_in_text(q) != q:
            token = secrets.token_urlsafe(6)
            request.session[f"admin-search:{token}"] = q
            params = request.GET.copy()
            params["q"] = f"{self.SEARCH_TOKEN_PREFIX}{token}"
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        with _viewer(request):
            return _rendered(super().changelist_view(request, extra_context))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with _viewer(request):
            return _rendered(super().changeform_view(request, object_id, form_url, extra_context))

    @staticmethod
    def shown_identifier_for_viewer(subject) -> str:
        from registry.privacy import shown_identifier

        return shown_identifier(subject.identifier, subject.kind, reveal=_REVEAL.get())

    def resolved_search_term(self, request, search_term: str) -> str:
        """The search term the viewer typed: a resident ID moved out of the URL into the
        session (changelist_view) is put back here."""
        if search_term.startswith(self.SEARCH_TOKEN_PREFIX):
            stored = request.session.get(f"admin-search:{search_term[1:]}")
            if stored:
                return stored
        return search_term

    def get_search_results(self, request, queryset, search_term):
        search_term = self.resolved_search_term(request, search_term)
        return super().get_search_results(request, queryset, search_term)

    @staticmethod
    def shown_identifier(subject, request) -> str:
        from registry.privacy import may_view_personal_ids, shown_identifier

        if subject is None:
            return "—"
        return shown_identifier(
            subject.identifier, subject.kind, reveal=may_view_personal_ids(request.user)
        )


class AccessLoggedAdmin:
    """Change pages that show a subject's non-public data write one access-log row per view
    (issue 12, "every admin page showing a subject's non-public data"): who, the agency, the
    subject, the purpose (scs.consultations.ADMIN_PURPOSE), the page as reference, and which
    items it showed. A ModelAdmin says what a page shows with `access_log_items(request, obj)`:
    `(subject, [{"item": ...}, ...])` when the page shows non-public data, None when it shows
    only what the public may read. Only a page actually shown (GET, 200) is logged; forms
    posted, redirects and refusals are not views of the data.

    The writer is the sharing app's (installed through scs.consultations), so no app here
    imports sharing.
    """

    def access_log_items(self, request, obj):
        return None

    def _log_view(self, request, response, object_id, key: str, page: str) -> None:
        if request.method != "GET" or getattr(response, "status_code", 0) != 200:
            return
        context = getattr(response, "context_data", None) or {}
        obj = context.get(key)
        if obj is None:
            from django.contrib.admin.utils import unquote

            obj = self.get_object(request, unquote(object_id))
        logged = self.access_log_items(request, obj) if obj is not None else None
        if logged is not None:
            from scs import consultations

            subject, items = logged
            consultations.record_consultation(
                user=request.user,
                subject=subject,
                channel="admin",
                purpose_code=consultations.ADMIN_PURPOSE,
                reference=f"admin:{obj._meta.label_lower}:{obj.pk}{page}",
                items=items,
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log_view(request, response, object_id, "original", "")
        return response

    def history_view(self, request, object_id, extra_context=None):
        """The audit trail shows past values of the same data: logged like the page (Django's
        own history page, where no audit trail replaces it, shows only the object's title)."""
        response = super().history_view(request, object_id, extra_context)
        if isinstance(self, AuditHistoryMixin):
            self._log_view(request, response, object_id, "object", ":history")
        return response


class AgencyScopedAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    """Staff of an agency see and edit only rows whose `agency_field` is their agency.

    Ownership is a field, so the scope is one WHERE clause, not a per-object permission row.
    """

    agency_field: str = "agency"
    # Roles allowed to add/change (the default: everyone on the agency's staff).
    write_roles: tuple[str, ...] = ("clerk", "reviewer", "admin")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        agency_id = user_agency_id(request)
        if agency_id is None:
            return qs.none()
        return qs.filter(self.agency_scope(agency_id))

    def agency_scope(self, agency_id: int) -> Q:
        """The rows of the agency: one WHERE clause on `agency_field`."""
        return Q(**{self.agency_field: agency_id})

    def _is_agency_staff(self, request) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and (request.user.is_superuser or user_agency_id(request) is not None)
        )

    def has_module_permission(self, request) -> bool:
        return self._is_agency_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_agency_staff(request)

    def has_add_permission(self, request) -> bool:
        return self._is_agency_staff(request) and (
            request.user.is_superuser or request.user.role in self.write_roles
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Regulated records are ended through their lifecycle, never deleted.
        return False


def run_service(request, func, *args, success: str = "", **kwargs):
    """Call a service from an admin action, turning refusals into admin messages."""
    try:
        result = func(*args, **kwargs)
    except (ValidationError, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return None
    if success:
        messages.success(request, success)
    return result


# --- big tables ---------------------------------------------------------------------------

# Above this many rows a filtered count is not worth its cost: the changelist offers its first
# 40 pages of 50 (filter or search to go further).
COUNT_CAP = 2_000


class CheapPaginator(Paginator):
    """A paginator for tables with a million rows: no count(*) over the table.

    Unfiltered: PostgreSQL's planner estimate (pg_class.reltuples), exact enough for a page
    count. Filtered: a count capped at COUNT_CAP rows (`SELECT count(*) FROM (… LIMIT n)`), so a
    boilerplate search costs at most COUNT_CAP index rows. Pages past the cap are not offered.
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if isinstance(qs, QuerySet) and not qs.query.where:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [qs.model._meta.db_table],
                )
                row = cur.fetchone()
            if row and row[0] > COUNT_CAP:
                return int(row[0])
        if isinstance(qs, QuerySet):
            # No ORDER BY in the count: with one, PostgreSQL must find and sort every matching
            # row before the LIMIT (an OR over a join scanned 220 000 sanctions at 1M subjects);
            # without, it stops at the COUNT_CAP-th row in any order.
            return qs.order_by().values("pk")[:COUNT_CAP].count()
        return len(qs)


# --- audit history ------------------------------------------------------------------------

EVENT_LABELS = {"insert": _("created"), "update": _("changed")}


def _shown(field, value) -> str:
    if value is None or value == "":
        return "—"
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if getattr(field, "base_field", None) is not None and isinstance(value, list):
        choices = dict(field.base_field.flatchoices or [])
        return "、".join(str(choices.get(v, v)) for v in value) or "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


# Reasons the services record in fixed words (data, stored in English), shown translated.
_REASON_PATTERNS = [
    (re.compile(r"^subject notified \((\w+)\)$"), _("subject notified (%(detail)s)")),
    (re.compile(r"^feedback: (\w+)$"), _("feedback: %(detail)s")),
]
FIXED_REASONS = [
    _("entry drafted"),
    _("drafted in admin"),
    _("draft edited"),
    _("edited in admin"),
    _("objection filed"),
    _("repair applied for"),
    _("objection window lapsed without objection"),
    _("duration ended"),
    _("decision deadline passed"),
    _("reconciliation"),
    _("catalogue item saved"),
    _("list definition saved"),
    _("memorandum saved"),
    _("dismissed in admin after review"),
    _("withdrawn by the platform operator in admin"),
    _("renamed"),
    _("role recorded"),
    _("entry published"),
]


def reason_label(reason: str) -> str:
    """A recorded reason in the reader's language when the services wrote it in fixed words
    (a clerk's own words are shown as written)."""
    for pattern, template in _REASON_PATTERNS:
        match = pattern.match(reason)
        if match:
            return str(template) % {"detail": gettext(match.group(1).replace("_", " "))}
    return gettext(reason) if reason else ""


def history_rows(obj, limit: int = 50, redact: dict | None = None) -> list[dict]:
    """The audit trail of one row, newest first: when (local time), who, what (event), why,
    and each changed field as (label, old, new). Foreign keys are shown as the related row's
    title, never as a database id; fields nobody reads (timestamps of the row) are skipped.
    `redact` maps a field name to a function applied to its raw values (e.g. masking a resident
    ID), so a value the reader may not see never reaches the page through its history."""
    redact = redact or {}
    model = type(obj)
    events = list(obj.events.select_related("pgh_context").order_by("-pgh_id")[: limit + 1])
    fields = [
        f for f in model._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at")
    ]
    related: dict[tuple, str] = {}

    def value_of(event, field):
        raw = getattr(event, field.attname, None)
        if field.name in redact and raw not in (None, ""):
            return redact[field.name](raw)
        if field.is_relation and raw is not None:
            key = (field.related_model, raw)
            if key not in related:
                target = field.related_model._default_manager.filter(pk=raw).first()
                related[key] = str(target) if target is not None else "—"
            return related[key]
        return _shown(field, raw)

    rows = []
    for i, event in enumerate(events[:limit]):
        meta = event.pgh_context.metadata if event.pgh_context_id else {}
        older = events[i + 1] if i + 1 < len(events) else None
        changes = []
        for field in fields:
            new = value_of(event, field)
            old = value_of(older, field) if older is not None else None
            if older is None and new == "—":
                continue
            if older is None or old != new:
                changes.append((capfirst(field.verbose_name), old, new))
        rows.append(
            {
                "when": timezone.localtime(event.pgh_created_at),
                "who": meta.get("username") or _("system"),
                "event": EVENT_LABELS.get(event.pgh_label, event.pgh_label),
                "why": reason_label(meta.get("reason", "")),
                "changes": changes,
            }
        )
    return rows


def history_table(obj, redact: dict | None = None) -> str:
    """The audit trail as an HTML table for an admin read-only field."""
    if obj is None or obj.pk is None:
        return "—"
    rows = history_rows(obj, redact=redact)
    if not rows:
        return "—"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                f"{row['when']:%Y-%m-%d %H:%M:%S}",
                row["who"],
                row["event"],
                row["why"],
                format_html_join(
                    "",
                    "<div>{}: {} → {}</div>",
                    (
                        (label, old if old is not None else "", new)
                        for label, old, new in row["changes"]
                    ),
                ),
            )
            for row in rows
        ),
    )
    return format_html(
        '<table class="audit-history"><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead>'
        "<tbody>{}</tbody></table>",
        _("when (Beijing time)"),
        _("who"),
        _("event"),
        _("why"),
        _("what changed"),
        body,
    )


class AuditHistoryMixin:
    """A read-only "audit history" field on a regulated object's page, and Django's own
    "history" button pointed at the same trail (Django's view reads admin LogEntry rows, which
    the services never write: it would show an empty page)."""

    history_redact: dict = {}

    @admin.display(description=_("audit history"))
    def audit_history(self, obj):
        return history_table(obj, redact=self.history_redact)

    def history_html(self, obj) -> str:
        """The trail shown by the history button: the audit table (override for objects whose
        history is kept elsewhere, e.g. a sanction's feed events)."""
        rows = history_table(obj, redact=self.history_redact)
        return "" if rows == "—" else rows

    def history_view(self, request, object_id, extra_context=None):
        """`<pk>/history/`: the object's audit trail (who, when in Beijing time, what changed
        old → new, why), scoped and permission-checked like the change page."""
        from django.contrib.admin.utils import unquote
        from django.template.response import TemplateResponse

        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change history: %(object)s") % {"object": obj},
            "subtitle": None,
            "history": self.history_html(obj),
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        with _viewer(request):
            return _rendered(TemplateResponse(request, "admin/audit_history.html", context))
