"""Admin building blocks shared by the apps: agency scoping and calling services."""

from __future__ import annotations

import contextlib
import contextvars
import secrets

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

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
        return qs.filter(**{self.agency_field: agency_id})

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
