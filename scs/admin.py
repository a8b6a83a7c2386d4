"""Admin building blocks shared by the apps: agency scoping and calling services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError


def user_agency_id(request) -> int | None:
    return getattr(request.user, "agency_id", None)


class AgencyScopedAdmin(admin.ModelAdmin):
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
