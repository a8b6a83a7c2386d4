from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from registry.admin import shown_identifier
from sanctions import admin_enforce, propagation, services
from sanctions.models import (
    Measure,
    MeasureCoListing,
    Memorandum,
    Sanction,
    SanctionEvent,
    SanctionFeedback,
)
from scs.admin import (
    AccessLoggedAdmin,
    AuditHistoryMixin,
    CheapPaginator,
    PersonalDataAdminMixin,
    reason_label,
    run_service,
    user_agency_id,
)
from scs.admin_site import Queue, capped_queue
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
    autocomplete_fields = ["implementing_agency"]
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
class MeasureAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "text",
        "memorandum",
        "implementing_agency",
        "mandatory",
        "withdrawn_at",
    ]
    list_select_related = ["memorandum", "implementing_agency__subject"]
    readonly_fields = ["audit_history"]
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

    @admin.action(description=_("Withdraw selected measures (lifts their sanctions)"))
    def withdraw_selected(self, request, queryset):
        for measure in queryset:
            run_service(
                request,
                services.measure_withdraw,
                actor=request.user,
                measure=measure,
                reason="withdrawn by the platform operator in admin",
                success=gettext("Withdrawn: %(measure)s") % {"measure": measure},
            )

    def get_actions(self, request):
        return super().get_actions(request) if request.user.is_superuser else {}


@admin.register(Memorandum)
class MemorandumAdmin(AuditHistoryMixin, admin.ModelAdmin):
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

    @admin.display(description=_("dry run: impact on its effective date"))
    def impact(self, obj):
        if not obj or not obj.pk:
            return "—"
        on = max(obj.effective_from, timezone.localdate())
        r = propagation.impact(obj.pk, on=on, assume_in_effect=False)
        return gettext(
            "On %(on)s: would impose %(create)d sanctions on %(create_subjects)d subjects, "
            "lift %(lift)d on %(lift_subjects)d subjects."
        ) % {"on": f"{on:%Y-%m-%d}", **r}

    def save_model(self, request, obj, form, change):
        services.memorandum_save(actor=request.user, memorandum=obj, reason="edited in admin")

    def save_related(self, request, form, formsets, change):
        # Inline measures and m2m changes all call for a resync of this memorandum.
        with audited(request.user, "edited in admin"):
            super().save_related(request, form, formsets, change)
            services.request_memorandum_sync(memorandum=form.instance)


class FeedbackForm(forms.Form):
    """The implementing agency's report on one sanction (the API's feedback, by hand)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=SanctionFeedback.Outcome.choices)
    reason = forms.CharField(
        label=_("Reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when a discretionary measure is declined."),
    )

    def __init__(self, *args, mandatory: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if mandatory:
            # A mandatory measure cannot be declined: do not offer it.
            self.fields["outcome"].choices = [
                c for c in SanctionFeedback.Outcome.choices if c[0] != "declined"
            ]


class BulkFeedbackForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            c for c in SanctionFeedback.Outcome.choices if c[0] != SanctionFeedback.Outcome.DECLINED
        ],
        help_text=_("Declining a discretionary measure is recorded one sanction at a time."),
    )
    reason = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(Sanction)
class SanctionAdmin(AccessLoggedAdmin, AuditHistoryMixin, PersonalDataAdminMixin, admin.ModelAdmin):
    """An agency sees the sanctions it implements and those its own lists caused; the
    implementing agency records its feedback here (page or bulk action), through the same
    service as the API."""

    list_display = ["title", "target_code", "implementing_agency", "imposed_at", "lifted_at"]
    list_filter = ["status", "lift_reason"]
    search_fields = ["target__name"]
    list_select_related = ["target", "measure", "implementing_agency__subject"]
    readonly_fields = ["provenance", "feedback_given", "history"]
    exclude = ["entry", "measure", "target", "implementing_agency"]
    show_full_result_count = False
    paginator = CheapPaginator
    list_per_page = 50
    actions = ["record_feedback"]
    change_form_template = "admin/sanctions/sanction/change_form.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        agency = user_agency_id(request)
        return qs.filter(Q(implementing_agency_id=agency) | Q(entry__list__owner_id=agency))

    def get_search_results(self, request, queryset, search_term):
        from registry.selectors import subject_search_filter

        term = search_term.strip()
        if not term:
            return queryset, False
        # Matching subjects first, then their sanctions (see subject_search_filter).
        return queryset.filter(subject_search_filter(term, path="target")), False

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

    def get_actions(self, request):
        # The bulk action needs view permission only; the service checks the agency.
        actions = super().get_actions(request)
        if request.user.is_superuser or not request.user.agency_id:
            actions.pop("record_feedback", None)
        return actions

    @admin.display(description=_("sanction"), ordering="-id")
    def title(self, obj):
        return str(obj)

    @admin.display(description=_("code"))
    def target_code(self, obj):
        return obj.target.masked_identifier  # replaced per request in get_list_display

    def get_list_display(self, request):
        def target_code(sanction):
            return shown_identifier(sanction.target, request.user)

        target_code.short_description = _("code")
        return [target_code if n == "target_code" else n for n in self.list_display]

    @admin.display(description=_("why"))
    def provenance(self, obj):
        m, e = obj.measure, obj.entry
        return format_html(
            "<ol><li>{}{}</li><li>{}</li><li>{}</li><li>{}</li></ol>",
            gettext(
                "Measure %(code)s: %(text)s (legal basis: %(basis)s; implemented by %(agency)s)"
            )
            % {
                "code": m.code,
                "text": m.text,
                "basis": m.legal_basis,
                "agency": m.implementing_agency,
            },
            "".join(
                gettext("; applies because: %(text)s (%(clause)s)") % c for c in m.conditions()
            ),
            gettext("Memorandum: %(title)s %(number)s")
            % {"title": m.memorandum.title, "number": m.memorandum.document_number},
            gettext("List entry: %(entry)s (owner %(owner)s), ground %(ground)s (%(basis)s)")
            % {
                "entry": e,
                "owner": e.list.owner,
                "ground": e.ground,
                "basis": e.ground.legal_basis,
            },
            gettext("Source decision %(number)s of %(date)s, %(issuer)s")
            % {
                "number": e.decision_number,
                "date": f"{e.decision_date:%Y-%m-%d}",
                "issuer": e.decision_issuer,
            },
        )

    def history_html(self, obj) -> str:
        return self.history(obj)

    @admin.display(description=_("audit history"))
    def history(self, obj):
        """Sanctions are written by propagation only: their history is their feed events."""
        events = obj.events.order_by("-id")[:50]
        kinds = dict(SanctionEvent.Kind.choices)
        lifts = dict(Sanction.LiftReason.choices)
        return (
            format_html_join(
                "",
                "<div>{} · {} · {}</div>",
                (
                    (
                        f"{timezone.localtime(e.at):%Y-%m-%d %H:%M}",
                        kinds.get(e.kind, e.kind),
                        lifts.get(e.reason) or reason_label(e.reason.replace("_", " ")),
                    )
                    for e in events
                ),
            )
            or "—"
        )

    @admin.display(description=_("feedback"))
    def feedback_given(self, obj):
        rows = obj.feedback.select_related("recorded_by").order_by("-recorded_at")
        if not rows:
            return "—"
        return format_html_join(
            "",
            "<div>{} · {} · {} {}</div>",
            (
                (
                    f"{timezone.localtime(f.recorded_at):%Y-%m-%d %H:%M}",
                    f.recorded_by.get_username(),
                    f.get_outcome_display(),
                    f.reason,
                )
                for f in rows
            ),
        )

    def _may_report(self, request, sanction) -> bool:
        return (
            request.user.agency_id is not None
            and request.user.agency_id == sanction.implementing_agency_id
        )

    def access_log_items(self, request, sanction):
        """A sanction (who is restricted, by which measure, the feedback) is shared between
        agencies, not published: every view is logged."""
        return sanction.target, [{"sanction": sanction.pk, "measure": sanction.measure.code}]

    def get_object(self, request, object_id, from_field=None):
        """The sanction with what its page prints (measure, memorandum, entry, list, ground,
        target) in one query, fetched once per request (change_view and Django's
        changeform_view both ask for it)."""
        cache = request.__dict__.setdefault("_sanction_objects", {})
        if (object_id, from_field) not in cache:
            queryset = self.get_queryset(request).with_provenance()
            try:
                field = Sanction._meta.get_field(from_field) if from_field else Sanction._meta.pk
                found = queryset.get(**{field.name: field.to_python(object_id)})
                cache[object_id, from_field] = found
            except (Sanction.DoesNotExist, ValidationError, ValueError, TypeError):
                cache[object_id, from_field] = None
        return cache[object_id, from_field]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sanction = self.get_object(request, object_id)
        extra_context = {**(extra_context or {})}
        if sanction is not None and self._may_report(request, sanction):
            extra_context["feedback_form"] = FeedbackForm(mandatory=sanction.measure.mandatory)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/feedback/",
                self.admin_site.admin_view(self.feedback_view),
                name="sanctions_sanction_feedback",
            ),
            *super().get_urls(),
        ]

    def feedback_view(self, request, pk):
        sanction = get_object_or_404(
            self.get_queryset(request).select_related("measure", "target"), pk=pk
        )
        form = FeedbackForm(request.POST or None, mandatory=sanction.measure.mandatory)
        if request.method == "POST" and form.is_valid():
            run_service(
                request,
                services.sanction_feedback_record,
                actor=request.user,
                sanction=sanction,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                success=gettext("Feedback recorded: %(sanction)s") % {"sanction": sanction},
            )
        elif request.method == "POST":
            for field, errors in form.errors.items():
                messages.error(
                    request,
                    gettext("%(field)s: %(errors)s")
                    % {"field": form.fields[field].label, "errors": " ".join(errors)},
                )
        return redirect(reverse("admin:sanctions_sanction_change", args=[sanction.pk]))

    @admin.action(description=_("Record feedback on selected sanctions"))
    def record_feedback(self, request, queryset):
        """An intermediate page asks for the outcome; each sanction goes through the service,
        which refuses any the user's agency does not implement."""
        form = BulkFeedbackForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for sanction in queryset.select_related("measure", "target"):
                if (
                    run_service(
                        request,
                        services.sanction_feedback_record,
                        actor=request.user,
                        sanction=sanction,
                        outcome=form.cleaned_data["outcome"],
                        reason=form.cleaned_data["reason"],
                    )
                    is not None
                ):
                    done += 1
            if done:
                messages.success(
                    request,
                    ngettext(
                        "Feedback recorded on %(n)d sanction.",
                        "Feedback recorded on %(n)d sanctions.",
                        done,
                    )
                    % {"n": done},
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Record feedback"),
            "opts": self.model._meta,
            "form": form,
            "sanctions": queryset.select_related("measure", "target")[:200],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return render(request, "admin/sanctions/sanction/bulk_feedback.html", context)


@admin.register(SanctionFeedback)
class SanctionFeedbackAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["sanction", "agency", "outcome", "recorded_at"]
    list_filter = ["outcome"]
    list_select_related = ["sanction__measure", "sanction__target", "agency__subject"]
    readonly_fields = ["audit_history"]

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


admin.site.register_view(
    "sanctions/to-enforce/", admin_enforce.to_enforce_view, "sanctions_to_enforce"
)


@admin.site.register_queue
def enforcement_queues(request) -> list[Queue]:
    """Implementing agencies: sanctions in force with no feedback yet."""
    user = request.user
    if user.is_superuser or not user.agency_id or not user.is_staff:
        return []
    open_ = (
        Sanction.objects.in_force()
        .for_implementing_agency(user.agency_id)
        .filter(feedback__isnull=True)
    )
    if not Measure.objects.for_implementing_agency(user.agency_id).exists():
        return []
    return [
        capped_queue(
            gettext("Sanctions to enforce, no feedback yet"),
            open_,
            reverse("admin:sanctions_to_enforce") + "?feedback=none",
        )
    ]
