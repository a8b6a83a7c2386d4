from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from registry import credit_records, identifiers, record_repairs, selectors, services
from registry.models import (
    RECORD_REPAIR_CONDITION_LABELS,
    Agency,
    CalendarDay,
    CatalogueItem,
    CreditRecord,
    Division,
    FormerIdentifier,
    FormerName,
    RecordRepair,
    Subject,
    SubjectRole,
    User,
)
from scs.admin import (
    AccessLoggedAdmin,
    AgencyScopedAdmin,
    AuditHistoryMixin,
    CheapPaginator,
    PersonalDataAdminMixin,
    run_service,
    user_agency_id,
)
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


class FormerIdentifierInline(admin.TabularInline):
    model = FormerIdentifier
    extra = 0


class SubjectRoleInline(admin.TabularInline):
    model = SubjectRole
    fk_name = "organisation"
    autocomplete_fields = ["holder"]
    extra = 0


@admin.register(Subject)
class SubjectAdmin(AccessLoggedAdmin, PersonalDataAdminMixin, AuditHistoryMixin, admin.ModelAdmin):
    """Every clerk may look subjects up; only registration authorities register them.
    Natural persons' IDs are masked unless the viewer's agency may see them."""

    list_display = ["name", "kind", "division", "status", "nonconforming_check"]
    list_filter = ["kind", "status", "nonconforming_check"]
    # The search itself is registry.selectors.subject_search (get_search_results); Django
    # needs search_fields to offer the box and the autocomplete.
    search_fields = ["name"]
    list_select_related = ["division"]
    autocomplete_fields = ["division", "registration_authority"]
    inlines = [FormerNameInline, FormerIdentifierInline, SubjectRoleInline]
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

    @admin.display(description=_("code"))
    def masked_identifier(self, subject):
        return subject.masked_identifier

    def access_log_items(self, request, subject):
        """A natural person's page shows the full resident ID to agencies whose legal tasks
        need it: that view is logged (a masked ID, or an organisation's code, is public)."""
        if subject.kind == "natural_person" and selectors.may_view_personal_ids(request.user):
            return subject, [{"identifier": "resident_id"}]
        return None

    def autocomplete_label(self, subject, request) -> str:
        return subject_choice_label(subject, request.user)

    def get_search_results(self, request, queryset, search_term):
        """The shared search (names folded, former names, pinyin, identifiers as they
        circulate): its best CANDIDATE_CAP matches, in the admin's own ordering."""
        search_term = self.resolved_search_term(request, search_term)
        if not search_term.strip():
            return queryset, False
        found = selectors.subject_search_ids(search_term, base=queryset)
        return queryset.filter(pk__in=found), False

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


class CreditRecordForm(forms.ModelForm):
    """Add: every field of a record. Change: the correctable fields plus the reason; a revoking
    document number turns the change into a withdrawal."""

    reason = forms.CharField(
        label=_("Reason for the correction or withdrawal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    withdrawal_document_number = forms.CharField(
        label=_("Revoking decision (document number): withdraws the record"),
        required=False,
        max_length=100,
    )

    class Meta:
        model = CreditRecord
        fields = [
            "subject",
            "catalogue_item",
            "agency",
            "decision_number",
            "decision_date",
            *credit_records.CORRECTABLE,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "agency" in self.fields:
            self.fields["agency"].required = False
            self.fields["agency"].help_text = _("Empty: your own agency.")

    def clean(self):
        data = super().clean()
        if self.instance.pk and not (data.get("reason") or "").strip():
            self.add_error("reason", _("A correction or withdrawal states its reason."))
        return data


@admin.register(CreditRecord)
class CreditRecordAdmin(AccessLoggedAdmin, AuditHistoryMixin, AgencyScopedAdmin):
    """Clerks file records through `credit_record_create`; reviewers confirm pending negative
    records (maker-checker); changes are corrections or withdrawals with a reason."""

    form = CreditRecordForm
    list_display = [
        "title",
        "subject",
        "catalogue_item",
        "decision_number",
        "decision_date",
        "status",
        "on_time",
    ]
    list_filter = ["status", "on_time", "catalogue_item__record_type"]
    search_fields = ["decision_number", "subject__identifier", "subject__name"]
    list_select_related = ["subject", "catalogue_item"]
    autocomplete_fields = ["subject"]
    paginator = CheapPaginator
    show_full_result_count = False
    actions = ["confirm_records"]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        if user_agency_id(request) is None:
            return qs.none()
        return qs.for_agency(request.user.agency)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "version", "on_time", "due_by", "confirmed_by", "created_by"]
        if obj is not None:
            fixed += ["subject", "catalogue_item", "agency", "decision_number", "audit_history"]
        return fixed

    def get_exclude(self, request, obj=None):
        return [] if obj is not None else ["reason", "withdrawal_document_number"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if not user.is_superuser and user.agency_id:
            if db_field.name == "catalogue_item":
                kwargs["queryset"] = CatalogueItem.objects.filter(supplying_agency=user.agency_id)
            if db_field.name == "agency":
                kwargs["queryset"] = Agency.objects.filter(
                    pk__in=[a.pk for a in selectors.agency_and_subordinates(user.agency)]
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            if data.get("withdrawal_document_number"):
                credit_records.credit_record_withdraw(
                    actor=request.user,
                    record=obj,
                    document_number=data["withdrawal_document_number"],
                    reason=data["reason"],
                )
            else:
                changes = {name: data.get(name) for name in form.changed_data}
                changes = {k: v for k, v in changes.items() if k in credit_records.CORRECTABLE}
                credit_records.credit_record_correct(
                    actor=request.user, record=obj, changes=changes, reason=data["reason"]
                )
            return
        record, _created = credit_records.credit_record_create(
            actor=request.user,
            data=credit_records.RecordInput(
                subject=data["subject"],
                catalogue_item=data["catalogue_item"],
                deciding_agency=data.get("agency"),
                decision_number=data["decision_number"],
                decision_date=data["decision_date"],
                **{name: data.get(name) for name in credit_records.CORRECTABLE
                   if name != "decision_date" and data.get(name) not in (None, "")},
            ),
        )  # fmt: skip
        obj.pk = record.pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except credit_records.RecordConflict as exc:
            messages.error(
                request,
                _("This decision is already recorded (record %(id)s) with different values: "
                  "correct that record instead.") % {"id": exc.record.pk},
            )  # fmt: skip
        except (PermissionDenied, ValidationError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
        return redirect(request.get_full_path())

    def access_log_items(self, request, record):
        """Government-visible and restricted records are non-public data."""
        if record.catalogue_item.visibility == "public":
            return None
        return record.subject, [{"record": record.pk, "item": record.catalogue_item.code}]

    @admin.action(description=_("Confirm selected records (reviewer; not your own)"))
    def confirm_records(self, request, queryset):
        done = 0
        for record in queryset:
            if run_service(request, credit_records.credit_record_confirm,
                           actor=request.user, record=record) is not None:  # fmt: skip
                done += 1
        if done:
            messages.success(request, _("%(n)d records confirmed.") % {"n": done})


class RecordRepairForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", "—"), ("grant", _("Grant: stop publication")), ("refuse", _("Refuse"))],
        required=False,
    )

    class Meta:
        model = RecordRepair
        fields = ["decision_reasons"]


@admin.register(RecordRepair)
class RecordRepairAdmin(AccessLoggedAdmin, AgencyScopedAdmin):
    """Repair applications for penalty records, decided by a reviewer of the deciding agency
    within 10 working days (overdue ones are flagged)."""

    form = RecordRepairForm
    write_roles = ("reviewer", "admin")
    list_display = ["tracking_number", "record", "status", "decide_by", "is_overdue", "filed_at"]
    list_filter = ["status", "is_overdue"]
    search_fields = ["=tracking_number"]
    list_select_related = ["record"]
    readonly_fields = [
        "tracking_number",
        "record",
        "applicant_name",
        "contact",
        "conditions_shown",
        "statement",
        "filed_at",
        "decide_by",
        "status",
        "is_overdue",
        "decided_by",
        "decided_at",
    ]

    @admin.display(description=_("conditions met"))
    def conditions_shown(self, repair):
        """The conditions by their labels, not their codes."""
        labels = RECORD_REPAIR_CONDITION_LABELS
        return "、".join(str(labels.get(c, c)) for c in repair.conditions_met) or "—"

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        agency_id = user_agency_id(request)
        if agency_id is None:
            return qs.none()
        return qs.filter(Q(record__agency_id=agency_id) | Q(record__supplier_id=agency_id))

    def access_log_items(self, request, repair):
        """A repair application names its applicant and carries evidence: always logged."""
        record = repair.record
        item = {"record_repair": repair.tracking_number, "record": record.pk}
        return record.subject, [{**item, "evidence": bool(repair.evidence)}]

    def has_add_permission(self, request):
        return False  # the public applies on the portal

    def has_change_permission(self, request, obj=None):
        return super().has_add_permission(request)  # reviewers and administrators decide

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        record_repairs.credit_record_repair_decide(
            actor=request.user,
            application=obj,
            grant=decision == "grant",
            reasons=form.cleaned_data.get("decision_reasons") or "",
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (PermissionDenied, ValidationError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
        return redirect(request.get_full_path())


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


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday calendar that every working-day deadline counts (operator only; staff of
    agencies read deadlines, not the calendar)."""

    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind", "name"]
    date_hierarchy = "date"
    search_fields = ["name", "source"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        services.calendar_day_save(actor=request.user, day=obj)

    def delete_model(self, request, obj):
        services.calendar_day_delete(actor=request.user, day=obj)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            services.calendar_day_delete(actor=request.user, day=day)
