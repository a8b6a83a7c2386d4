from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from blacklists.admin import history_table
from sanctions import propagation, services
from sanctions.models import Measure, MeasureCoListing, Memorandum, Sanction, SanctionFeedback
from scs.admin import PersonalDataAdminMixin, run_service, user_agency_id
from scs.audit import audited


def is_agency_staff(request) -> bool:
    u = request.user
    return u.is_active and u.is_staff and (u.is_superuser or u.agency_id is not None)


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = [
        "code",
        "text",
        "kind",
        "implementing_agency",
        "legal_basis",
        "mandatory",
        "targets",
        "target_basis",
        "applies_to",
        "applies_to_basis",
        "duration",
        "fixed_months",
        "withdrawn_at",
    ]
    readonly_fields = ["withdrawn_at"]
    raw_id_fields = ["implementing_agency"]
    # Measures are withdrawn (lifting their sanctions with a reason), never deleted.
    can_delete = False


class MeasureCoListingInline(admin.TabularInline):
    """Co-listing conditions: read by every agency's staff, edited by the operator."""

    model = MeasureCoListing
    extra = 0
    fields = ["list", "clause"]
    raw_id_fields = ["list"]

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "text",
        "memorandum",
        "implementing_agency",
        "mandatory",
        "withdrawn_at",
    ]
    list_filter = ["kind", "mandatory", "targets"]
    search_fields = ["text", "code", "memorandum__document_number"]
    actions = ["withdraw_selected"]
    inlines = [MeasureCoListingInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Measure._meta.fields]

    def save_model(self, request, obj, form, change):
        pass  # every field is read-only here: only the co-listing inline is saved

    def save_related(self, request, form, formsets, change):
        # A changed co-listing condition calls for a resync of the memorandum.
        with audited(request.user, "measure conditions edited in admin"):
            super().save_related(request, form, formsets, change)
            services.request_memorandum_sync(memorandum=form.instance.memorandum)

    def has_module_permission(self, request):
        return is_agency_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The operator edits conditions (co-listing inline); the measure's fields stay
        # read-only here and are edited on the memorandum.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Withdraw selected measures (lifts their sanctions)")
    def withdraw_selected(self, request, queryset):
        for measure in queryset:
            run_service(
                request,
                services.measure_withdraw,
                actor=request.user,
                measure=measure,
                reason="withdrawn by the platform operator in admin",
                success=f"Withdrew {measure.code}.",
            )

    def get_actions(self, request):
        return super().get_actions(request) if request.user.is_superuser else {}


@admin.register(Memorandum)
class MemorandumAdmin(admin.ModelAdmin):
    """Every agency's staff may read memoranda; the platform operator maintains them."""

    list_display = ["title", "document_number", "effective_from", "effective_until"]
    search_fields = ["title", "title_en", "document_number"]
    filter_horizontal = ["signatories", "triggering_lists"]
    inlines = [MeasureInline]
    readonly_fields = ["impact", "audit_history"]

    def has_module_permission(self, request):
        return is_agency_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="dry run: impact on its effective date")
    def impact(self, obj):
        if not obj or not obj.pk:
            return "—"
        on = max(obj.effective_from, timezone.localdate())
        r = propagation.impact(obj.pk, on=on, assume_in_effect=False)
        return format_html(
            "On {}: would impose {} sanctions on {} subjects, lift {} on {} subjects.",
            on,
            r["create"],
            r["create_subjects"],
            r["lift"],
            r["lift_subjects"],
        )

    @admin.display(description="audit history")
    def audit_history(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        services.memorandum_save(actor=request.user, memorandum=obj, reason="edited in admin")

    def save_related(self, request, form, formsets, change):
        # Inline measures and m2m changes all call for a resync of this memorandum.
        with audited(request.user, "edited in admin"):
            super().save_related(request, form, formsets, change)
            services.request_memorandum_sync(memorandum=form.instance)


@admin.register(Sanction)
class SanctionAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    """An agency sees the sanctions it implements and those its own lists caused."""

    list_display = [
        "id",
        "target",
        "measure",
        "implementing_agency",
        "status",
        "imposed_at",
        "lifted_at",
    ]
    list_filter = ["status", "lift_reason"]
    search_fields = ["target__identifier", "target__name"]
    list_select_related = ["target", "measure", "implementing_agency"]
    readonly_fields = ["provenance", "feedback_given"]
    exclude = ["entry", "measure", "target", "implementing_agency"]
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        agency = user_agency_id(request)
        return qs.filter(Q(implementing_agency_id=agency) | Q(entry__list__owner_id=agency))

    def has_module_permission(self, request):
        return is_agency_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="why")
    def provenance(self, obj):
        m, e = obj.measure, obj.entry
        return format_html(
            "<ol><li>Measure {}: {} (legal basis: {}; implemented by {}){}</li>"
            "<li>Memorandum: {} {}</li>"
            "<li>List entry #{} on {} (owner {}), ground {} {} ({})</li>"
            "<li>Source decision {} of {}, {}</li></ol>",
            m.code,
            m.text,
            m.legal_basis,
            m.implementing_agency,
            "".join(f"; applies because: {c['text']} ({c['clause']})" for c in m.conditions()),
            m.memorandum.title,
            m.memorandum.document_number,
            e.pk,
            e.list.name,
            e.list.owner,
            e.ground.code,
            e.ground.text,
            e.ground.legal_basis,
            e.decision_number,
            e.decision_date,
            e.decision_issuer,
        )

    @admin.display(description="feedback")
    def feedback_given(self, obj):
        rows = [f"{f.recorded_at:%Y-%m-%d} {f.outcome} {f.reason}" for f in obj.feedback.all()]
        return "; ".join(rows) or "—"


@admin.register(SanctionFeedback)
class SanctionFeedbackAdmin(admin.ModelAdmin):
    list_display = ["sanction", "agency", "outcome", "recorded_at"]
    list_filter = ["outcome"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(agency_id=user_agency_id(request))

    def has_module_permission(self, request):
        return is_agency_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
