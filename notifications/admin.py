"""Admin: an agency's monitoring sets (members added/removed by identifier through the same
service as the API), its webhooks with their deliveries, and notices to its administrators."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from notifications import services
from notifications.models import AgencyNotice, MonitoringSet, WebhookEndpoint
from scs.admin import AgencyScopedAdmin, run_service


class MonitoringSetForm(forms.ModelForm):
    add_identifiers = forms.CharField(
        label=_("Add identifiers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One identifier per line (or separated by commas or spaces)."),
    )
    remove_identifiers = forms.CharField(
        label=_("Remove identifiers"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = MonitoringSet
        fields = ["name", "description"]


def _split(text: str) -> list[str]:
    return [t for t in text.replace(",", " ").replace("，", " ").split() if t]


@admin.register(MonitoringSet)
class MonitoringSetAdmin(AgencyScopedAdmin):
    form = MonitoringSetForm
    list_display = ["name", "agency", "created_at"]
    list_select_related = ["agency"]
    search_fields = ["name"]
    readonly_fields = ["agency", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        add = _split(form.cleaned_data.get("add_identifiers", ""))
        remove = _split(form.cleaned_data.get("remove_identifiers", ""))
        if not change:
            created = run_service(
                request,
                services.monitoring_set_create,
                actor=request.user,
                name=obj.name,
                description=obj.description,
                identifiers_to_add=add,
            )
            if created is not None:
                obj.pk = created.pk
            return
        MonitoringSet.objects.filter(pk=obj.pk).update(name=obj.name, description=obj.description)
        if add or remove:
            result = run_service(
                request,
                services.monitoring_set_members_change,
                actor=request.user,
                monitoring_set=obj,
                add=add,
                remove=remove,
            )
            if result:
                messages.info(
                    request,
                    _("Added %(added)d, removed %(removed)d; the set holds %(size)d subjects.")
                    % result,
                )

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:  # the service refused: its message says why
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AgencyScopedAdmin):
    list_display = ["url", "agency", "event_kinds", "is_active", "paused_at", "failing_since"]
    list_select_related = ["agency"]
    fields = ["url", "event_kinds", "is_active", "paused_at", "failing_since", "created_at"]
    readonly_fields = fields
    actions = ["resume", "ping"]

    def has_add_permission(self, request) -> bool:
        return False  # registered through the API (the secret is the agency system's)

    @admin.action(description=_("Resume the selected webhooks"))
    def resume(self, request, queryset):
        for endpoint in queryset:
            run_service(request, services.webhook_resume, actor=request.user, endpoint=endpoint)

    @admin.action(description=_("Send a test event"))
    def ping(self, request, queryset):
        for endpoint in queryset:
            run_service(request, services.webhook_ping, actor=request.user, endpoint=endpoint)


@admin.register(AgencyNotice)
class AgencyNoticeAdmin(AgencyScopedAdmin):
    list_display = ["subject_line", "agency", "created_at", "read_at"]
    list_select_related = ["agency"]
    readonly_fields = ["agency", "subject_line", "body", "created_at", "read_at"]

    def has_add_permission(self, request) -> bool:
        return False
