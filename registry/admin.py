from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from registry import identifiers, selectors, services
from registry.models import (
    Agency,
    CatalogueItem,
    CreditRecord,
    Division,
    FormerName,
    Subject,
    SubjectRole,
    User,
)
from scs.admin import AgencyScopedAdmin, AuditHistoryMixin, CheapPaginator, user_agency_id
from scs.audit import audited


def is_agency_staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or user.agency_id is not None)


def is_registrar(request) -> bool:
    user = request.user
    return user.is_superuser or bool(user.agency_id and user.agency.is_registration_authority)


def shown_identifier(subject: Subject, user) -> str:
    """The subject's code as this user may see it: a natural person's resident ID in full only
    for agencies whose legal tasks need it (the one masking rule, in registry.selectors)."""
    return selectors.display_identifier(subject, reveal=selectors.may_view_personal_ids(user))


def subject_choice_label(subject: Subject, user) -> str:
    """`杭州恒信电子科技有限公司 · 91330100… · 企业`: name, code as the user may see it, kind."""
    return " · ".join(
        [subject.name, shown_identifier(subject, user), str(subject.get_kind_display())]
    )


def masked_if_resident_id(code: str) -> str:
    """For histories, where only the raw value is at hand: a resident ID is always masked
    (the one masking function); a USCC is public and shown as it is."""
    return identifiers.mask_resident_id(code) if identifiers.is_resident_id(code) else code


class FormerNameInline(admin.TabularInline):
    model = FormerName
    extra = 0


class SubjectRoleInline(admin.TabularInline):
    model = SubjectRole
    fk_name = "organisation"
    autocomplete_fields = ["holder"]
    extra = 0


@admin.register(Subject)
class SubjectAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """Every clerk may look subjects up; only registration authorities register them."""

    list_display = ["name", "kind", "division", "status"]
    list_filter = ["kind", "status"]
    # The search itself is registry.selectors.subject_search (get_search_results); Django
    # needs search_fields to offer the box and the autocomplete.
    search_fields = ["name"]
    list_select_related = ["division"]
    autocomplete_fields = ["division", "registration_authority"]
    inlines = [FormerNameInline, SubjectRoleInline]
    show_full_result_count = False
    paginator = CheapPaginator
    list_per_page = 50
    ordering = ["-id"]
    history_redact = {"identifier": masked_if_resident_id}

    def get_list_display(self, request):
        def code(subject):
            return shown_identifier(subject, request.user)

        code.short_description = _("code")
        return [code, *self.list_display]

    def get_fields(self, request, obj=None):
        extras = ("audit_history", "masked_identifier")
        fields = [f for f in super().get_fields(request, obj) if f not in extras]
        if obj is not None and not selectors.may_view_personal_ids(request.user):
            fields = ["masked_identifier" if f == "identifier" else f for f in fields]
        return [*fields, "audit_history"] if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("audit_history")
        if obj is not None and not selectors.may_view_personal_ids(request.user):
            readonly.append("masked_identifier")
        return readonly

    def get_search_results(self, request, queryset, search_term):
        """Name fragments (current and former names), USCCs and resident IDs, through the one
        search selector the portal and API use."""
        if not search_term.strip():
            return queryset, False
        return selectors.subject_search(search_term, queryset), False

    @admin.display(description=_("code"))
    def masked_identifier(self, subject):
        return subject.masked_identifier

    def autocomplete_label(self, subject, request) -> str:
        return subject_choice_label(subject, request.user)

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
        with audited(request.user, "edited in admin"):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with audited(request.user, "edited in admin"):
            super().save_related(request, form, formsets, change)


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "level"]
    list_filter = ["level"]
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
    autocomplete_fields = ["subject", "parent"]

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
class CreditRecordAdmin(AuditHistoryMixin, AgencyScopedAdmin):
    list_display = ["title", "subject", "catalogue_item", "decision_number", "decision_date"]
    list_filter = ["catalogue_item__record_type"]
    search_fields = ["decision_number", "subject__identifier", "subject__name"]
    list_select_related = ["subject", "catalogue_item"]
    autocomplete_fields = ["subject"]
    paginator = CheapPaginator
    readonly_fields = ["created_by", "audit_history"]
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
        (_("Agency"), {"fields": ("agency", "role", "is_system")}),
    )
    list_display = ["username", "agency", "role", "is_staff", "is_system"]
    list_filter = ["role", "is_staff", "is_system"]
    autocomplete_fields = ["agency"]

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
