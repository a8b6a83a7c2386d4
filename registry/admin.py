from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from registry import selectors, services
from registry.models import (
    Agency,
    CatalogueItem,
    CreditRecord,
    Division,
    FormerIdentifier,
    FormerName,
    Subject,
    SubjectRole,
    User,
)
from registry.privacy import may_view_personal_ids
from scs.admin import AgencyScopedAdmin, PersonalDataAdminMixin, user_agency_id
from scs.audit import audited


def is_agency_staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.agency_id is not None)


def is_registrar(request) -> bool:
    user = request.user
    return user.is_superuser or bool(user.agency_id and user.agency.is_registration_authority)


class FormerNameInline(admin.TabularInline):
    model = FormerName
    extra = 0


class FormerIdentifierInline(admin.TabularInline):
    model = FormerIdentifier
    extra = 0


class SubjectRoleInline(admin.TabularInline):
    model = SubjectRole
    fk_name = "organisation"
    raw_id_fields = ["holder"]
    extra = 0


@admin.register(Subject)
class SubjectAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    """Every clerk may look subjects up; only registration authorities register them.
    Natural persons' IDs are masked unless the viewer's agency may see them."""

    list_display = ["identifier_shown", "name", "kind", "division", "status", "nonconforming_check"]
    list_filter = ["kind", "status", "nonconforming_check"]
    search_fields = ["=identifier", "name"]  # answered by selectors.subject_search
    list_select_related = ["division"]
    raw_id_fields = ["registration_authority"]
    autocomplete_fields = ["division"]
    inlines = [FormerNameInline, FormerIdentifierInline, SubjectRoleInline]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """The shared search (names folded, former names, pinyin, identifiers as they
        circulate): its best CANDIDATE_CAP matches, in the admin's own ordering."""
        search_term = self.resolved_search_term(request, search_term)
        if not search_term.strip():
            return queryset, False
        found = selectors.subject_search(
            search_term, base=queryset, page_size=selectors.CANDIDATE_CAP
        )
        return queryset.filter(pk__in=[row.pk for row in found.rows]), False

    @admin.display(description="identifier", ordering="identifier")
    def identifier_shown(self, obj):
        return self.shown_identifier_for_viewer(obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_natural_person and not may_view_personal_ids(request.user):
            return ["identifier_shown"]
        return []

    def get_exclude(self, request, obj=None):
        if obj is not None and obj.is_natural_person and not may_view_personal_ids(request.user):
            return ["identifier"]
        return []

    def has_module_permission(self, request):
        return is_agency_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_add_permission(self, request):
        return is_agency_staff(request) and is_registrar(request)

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        reason = "edited in admin"
        if obj.nonconforming_check:
            reason += f"; nonconforming check characters: {obj.nonconforming_note}"
        with audited(request.user, reason):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with audited(request.user, "edited in admin"):
            super().save_related(request, form, formsets, change)


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "level", "abolished"]
    list_filter = ["level", "abolished"]
    search_fields = ["code", "name_zh", "name_en"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "subject", "level", "division", "is_registration_authority"]
    list_filter = ["level", "is_registration_authority"]
    search_fields = ["short_name", "subject__name", "subject__identifier"]
    list_select_related = ["subject", "division"]
    raw_id_fields = ["subject", "parent"]

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_module_permission(self, request):
        return is_agency_staff(request)


@admin.register(CatalogueItem)
class CatalogueItemAdmin(AgencyScopedAdmin):
    agency_field = "supplying_agency"
    write_roles = ("admin",)
    list_display = ["code", "name", "category", "visibility", "record_type", "supplying_agency"]
    list_filter = ["category", "visibility", "record_type"]

    def get_queryset(self, request):
        # The catalogue itself is public knowledge for every agency's staff.
        return admin.ModelAdmin.get_queryset(self, request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return obj.supplying_agency_id == user_agency_id(
                request
            ) and super().has_change_permission(request, obj)
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        services.catalogue_item_save(actor=request.user, item=obj)


@admin.register(CreditRecord)
class CreditRecordAdmin(AgencyScopedAdmin):
    list_display = ["title", "subject", "catalogue_item", "decision_number", "decision_date"]
    list_filter = ["catalogue_item__record_type"]
    search_fields = ["decision_number", "subject__identifier", "subject__name"]
    list_select_related = ["subject", "catalogue_item"]
    raw_id_fields = ["subject"]
    readonly_fields = ["created_by"]
    show_full_result_count = False

    def get_exclude(self, request, obj=None):
        # A clerk's records are always their own agency's: the field is set by the service.
        return [] if request.user.is_superuser else ["agency"]

    def save_model(self, request, obj, form, change):
        services.credit_record_save(actor=request.user, record=obj)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Agency", {"fields": ("agency", "role", "is_system")}),
    )
    list_display = ["username", "agency", "role", "is_staff", "is_system"]
    list_filter = ["role", "is_staff", "is_system"]
    raw_id_fields = ["agency"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(agency_id=user_agency_id(request), is_superuser=False)

    def has_module_permission(self, request):
        return request.user.is_superuser or (
            is_agency_staff(request) and request.user.role == "admin"
        )

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        # Roles and agencies are granted by the platform operator, not self-assigned.
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser
