"""Admin for the operator: rule sets as data (drafts editable, published ones frozen)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rating import services
from rating.models import Rating, Rule, RuleSet
from scs.admin import run_service


class OperatorOnly:
    """The platform operator (superuser) edits rule sets; agencies only read ratings."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        frozen = obj is not None and getattr(obj, "published_at", None) is not None
        return self.has_module_permission(request) and not frozen

    def has_delete_permission(self, request, obj=None):
        return False


class RuleInline(OperatorOnly, admin.TabularInline):
    model = Rule
    extra = 0
    fields = [
        "code",
        "text",
        "text_en",
        "applies_to",
        "list_kind",
        "severity",
        "record_type",
        "record_category",
        "points",
        "max_count",
        "source",
    ]

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.published_at is None)

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


@admin.register(RuleSet)
class RuleSetAdmin(OperatorOnly, admin.ModelAdmin):
    list_display = ["version", "title", "is_example", "published_at"]
    readonly_fields = ["published_at", "created_at"]
    inlines = [RuleInline]
    actions = ["publish", "copy_as_draft"]

    @admin.action(description=_("Publish the selected draft rule set"))
    def publish(self, request, queryset):
        for rule_set in queryset:
            run_service(
                request,
                services.rule_set_publish,
                actor=request.user,
                rule_set=rule_set,
                success=_("Rule set published."),
            )

    @admin.action(description=_("Copy as a new draft version"))
    def copy_as_draft(self, request, queryset):
        for rule_set in queryset:
            run_service(
                request,
                services.rule_set_copy,
                actor=request.user,
                rule_set=rule_set,
                success=_("Draft created."),
            )


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["subject", "grade", "total", "rule_set", "computed_at"]
    list_select_related = ["subject", "rule_set"]
    readonly_fields = ["subject", "rule_set", "grade", "total", "points", "computed_at"]
    search_fields = ["subject__identifier"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
