"""Admin of the sharing app: purposes (operator), consents and the access log (read-only,
agency administrators see their own staff's rows), usage flags."""

from __future__ import annotations

from django.contrib import admin

from scs.admin import AccessLoggedAdmin
from sharing import selectors
from sharing.models import Consent, Consultation, Purpose, UsageFlag


def _is_admin(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.role == "admin")


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_active"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _is_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "agency", "channel", "purpose", "reference", "outcome"]
    list_filter = ["channel", "outcome"]
    search_fields = ["=reference", "username"]
    list_select_related = ["agency__subject"]
    raw_id_fields = ["subject", "user", "agency"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.consultations_visible_to(request.user)


@admin.register(Consent)
class ConsentAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    list_display = ["subject", "agency", "purpose", "valid_until", "withdrawn_at"]
    raw_id_fields = ["subject", "agency"]
    exclude = ["evidence"]

    def access_log_items(self, request, consent):
        """A consent (who allowed which agency to read what, and why) is never public."""
        return consent.subject, [{"consent": consent.pk, "purpose": consent.purpose.code}]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("subject", "agency", "purpose")
        return qs if request.user.is_superuser else qs.filter(agency_id=request.user.agency_id)


@admin.register(UsageFlag)
class UsageFlagAdmin(ReadOnlyAdmin):
    list_display = ["day", "user", "kind", "count", "detail"]
    list_filter = ["kind"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        return qs if request.user.is_superuser else qs.filter(agency_id=request.user.agency_id)
