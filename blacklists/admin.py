"""Admin for clerks and reviewers: own agency's lists only; transitions call the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from blacklists import import_jobs, importing, services
from blacklists.models import (
    ImportJob,
    ListDefinition,
    ListEntry,
    ListGround,
    NoticeChannel,
    Objection,
    OutboxEvent,
    RepairApplication,
    SeverityTier,
    WatchCandidate,
)
from scs.admin import AgencyScopedAdmin, run_service


def history_table(obj) -> str:
    """The audit trail of one row: when, who, why, what changed."""
    events = obj.events.select_related("pgh_context").order_by("-pgh_created_at")[:50]
    rows = []
    for event in events:
        meta = event.pgh_context.metadata if event.pgh_context_id else {}
        diff = getattr(event, "pgh_diff", None)
        rows.append(
            (
                f"{event.pgh_created_at:%Y-%m-%d %H:%M:%S}",
                meta.get("username", "system"),
                event.pgh_label,
                meta.get("reason", ""),
                ", ".join(f"{k}: {v[0]} → {v[1]}" for k, v in (diff or {}).items()) if diff else "",
            )
        )
    if not rows:
        return "—"
    body = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
    )
    return format_html(
        "<table><tr><th>when</th><th>who</th><th>event</th><th>why</th><th>what</th></tr>"
        "{}</table>",
        body,
    )


class GroundInline(admin.TabularInline):
    model = ListGround
    extra = 0


class TierInline(admin.TabularInline):
    model = SeverityTier
    extra = 0


@admin.register(ListDefinition)
class ListDefinitionAdmin(AgencyScopedAdmin):
    agency_field = "owner"
    write_roles = ("admin",)
    list_display = ["name", "kind", "owner", "is_public", "may_trigger_joint_measures"]
    list_filter = ["kind", "is_public"]
    search_fields = ["name", "name_en", "key"]
    inlines = [GroundInline, TierInline]
    readonly_fields = ["audit_history"]

    def get_exclude(self, request, obj=None):
        return [] if request.user.is_superuser else ["owner"]

    @admin.display(description="audit history")
    def audit_history(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        services.list_definition_save(actor=request.user, definition=obj, reason="edited in admin")


class ListEntryForm(forms.ModelForm):
    class Meta:
        model = ListEntry
        fields = [
            "list",
            "subject",
            "ground",
            "tier",
            "duration_months",
            "decision_number",
            "decision_date",
            "decision_issuer",
            "facts",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not user.is_superuser:
            own = ListDefinition.objects.owned_by(user.agency_id)
            scoped = {
                "list": own,
                "ground": ListGround.objects.filter(list__in=own),
                "tier": SeverityTier.objects.filter(list__in=own),
            }
            for name, queryset in scoped.items():
                if name in self.fields:  # read-only fields are not on the form
                    self.fields[name].queryset = queryset

    def _post_clean(self):
        super()._post_clean()
        # The drafting rules of the service (subject kind, ground and tier of this list,
        # duration within the tier) as form errors, not as a server error on save.
        if self.instance.list_id is not None and not self._errors:
            try:
                services.list_entry_validate(entry=self.instance)
            except ValidationError as exc:
                self._update_errors(exc)


class TransitionForm(forms.Form):
    ACTIONS = [
        ("submit", "Submit for review"),
        ("approve", "Approve (reviewer, not the maker)"),
        ("return", "Return to draft (reviewer)"),
        ("notify", "Record notice to the subject"),
        ("publish", "Publish"),
        ("revoke", "Revoke (reviewer)"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    via = forms.ChoiceField(choices=[("", "—"), *NoticeChannel.choices], required=False)
    reference = forms.CharField(required=False, max_length=200)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (UTF-8) or XLSX with columns: " + ", ".join(importing.COLUMNS)
    )
    dry_run = forms.BooleanField(required=False, initial=True, label="Dry run (commit nothing)")


@admin.register(ListEntry)
class ListEntryAdmin(AgencyScopedAdmin):
    agency_field = "list__owner"
    form = ListEntryForm
    list_display = [
        "id",
        "subject",
        "list",
        "state",
        "tier",
        "decision_number",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["state", "list", "end_reason"]
    search_fields = ["subject__identifier", "subject__name", "decision_number"]
    list_select_related = ["subject", "list", "tier"]
    raw_id_fields = ["subject"]
    actions = ["submit_selected", "approve_selected", "publish_selected"]
    show_full_result_count = False
    change_form_template = "admin/blacklists/listentry/change_form.html"
    change_list_template = "admin/blacklists/listentry/change_list.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return ScopedForm

    def get_readonly_fields(self, request, obj=None):
        base = ["state_summary", "audit_history"]
        if obj is not None and obj.state != ListEntry.State.DRAFT:
            return [*ListEntryForm.Meta.fields, *base]
        if obj is not None:
            return ["list", *base]  # a draft stays on its list (the service ignores a change)
        return base

    def has_change_permission(self, request, obj=None):
        # Only drafts are edited in the form; later states move through the transitions.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.state == ListEntry.State.DRAFT
        )

    @admin.display(description="state")
    def state_summary(self, obj):
        if not obj or not obj.pk:
            return "draft"
        parts = [obj.get_state_display()]
        if obj.objection_window_ends_at:
            parts.append(f"objection window until {obj.objection_window_ends_at:%Y-%m-%d %H:%M}")
        if obj.end_reason:
            parts.append(f"ended: {obj.get_end_reason_display()} {obj.end_note}")
        return "; ".join(parts)

    @admin.display(description="audit history")
    def audit_history(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        data = {
            n: form.cleaned_data[n] for n in ListEntryForm.Meta.fields if n in form.cleaned_data
        }
        if change:
            data.pop("list", None)
            services.list_entry_update(actor=request.user, entry=obj, **data)
        else:
            created = services.list_entry_create(
                actor=request.user,
                definition=data.pop("list"),
                reason="drafted in admin",
                **data,
            )
            obj.pk = created.pk

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "transition_form": TransitionForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="blacklists_listentry_transition",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="blacklists_listentry_import",
            ),
            path(
                "import/template.<str:fmt>",
                self.admin_site.admin_view(self.import_template_view),
                name="blacklists_listentry_import_template",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk):
        entry = get_object_or_404(self.get_queryset(request), pk=pk)
        form = TransitionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            action = form.cleaned_data["action"]
            reason = form.cleaned_data["reason"]
            calls = {
                "submit": lambda: services.list_entry_submit(
                    actor=request.user, entry=entry, reason=reason
                ),
                "approve": lambda: services.list_entry_approve(
                    actor=request.user, entry=entry, reason=reason
                ),
                "return": lambda: services.list_entry_return(
                    actor=request.user, entry=entry, reason=reason
                ),
                "notify": lambda: services.list_entry_notify(
                    actor=request.user,
                    entry=entry,
                    via=form.cleaned_data["via"],
                    reference=form.cleaned_data["reference"],
                ),
                "publish": lambda: services.list_entry_publish(
                    actor=request.user, entry=entry, reason=reason
                ),
                "revoke": lambda: services.list_entry_revoke(
                    actor=request.user, entry=entry, reason=reason
                ),
            }
            run_service(request, calls[action], success=f"Entry {entry.pk}: {action} done.")
        return redirect(reverse("admin:blacklists_listentry_change", args=[entry.pk]))

    def import_template_view(self, request, fmt: str):
        """The import template for the clerk's agency (blacklists.importing)."""
        from django.http import Http404, HttpResponse

        if fmt not in ("csv", "xlsx"):
            raise Http404
        agency = request.user.agency
        if fmt == "csv":
            content, mime = importing.template_csv(agency), "text/csv; charset=utf-8"
        else:
            content = importing.template_xlsx(agency)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(content, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="list-entries-template.{fmt}"'
        return response

    def import_view(self, request):
        form = ImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = importing.import_entries(
                    actor=request.user,
                    content=upload.read(),
                    filename=upload.name,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
            else:
                if result.errors:
                    messages.error(
                        request, f"{len(result.errors)} problem(s): nothing was imported."
                    )
                elif result.dry_run:
                    messages.info(request, f"Dry run: all {result.rows} rows are valid.")
                else:
                    messages.success(request, f"Imported {result.rows} draft entries.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "title": "Import list entries",
        }
        return render(request, "admin/blacklists/listentry/import.html", context)

    def _bulk(self, request, queryset, func, label):
        done = 0
        for entry in queryset:
            if run_service(request, func, actor=request.user, entry=entry) is not None:
                done += 1
        if done:
            messages.success(request, f"{label}: {done} entr{'y' if done == 1 else 'ies'}.")

    @admin.action(description="Submit selected drafts for review")
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, services.list_entry_submit, "Submitted")

    @admin.action(description="Approve selected (reviewer; not your own)")
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, services.list_entry_approve, "Approved")

    @admin.action(description="Publish selected (objection window must have run)")
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset, services.list_entry_publish, "Published")


class DecisionForm(forms.Form):
    upheld = forms.BooleanField(required=False, label="Uphold / grant")
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    corrected_facts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Objections only: uphold with corrected facts to keep the entry.",
    )


class DecisionAdminMixin:
    # The file is reached only through the checked download (evidence_file).
    exclude = ("evidence",)

    @admin.display(description="evidence")
    def evidence_file(self, obj):
        """A link to the permission-checking, access-logging download (never a media URL)."""
        if not obj or not obj.evidence:
            return "—"
        url = reverse("publicity:evidence", args=[obj.tracking_number])
        return format_html('<a href="{}">{}</a>', url, "download (attachment)")

    """Objections and repairs are decided through a form that calls the service."""

    change_form_template = "admin/blacklists/decision_change_form.html"
    readonly_fields = ["audit_history"]

    @admin.display(description="audit history")
    def audit_history(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="{}_{}_decide".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "decision_form": DecisionForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk):
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self.decide(request, obj, form.cleaned_data)
        info = self.model._meta.app_label, self.model._meta.model_name
        return redirect(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))


@admin.register(Objection)
class ObjectionAdmin(DecisionAdminMixin, AgencyScopedAdmin):
    agency_field = "entry__list__owner"
    list_display = [
        "tracking_number",
        "entry",
        "status",
        "admit_by",
        "admitted_at",
        "admission_overdue",
        "decide_by",
        "is_overdue",
        "filed_at",
    ]
    list_filter = ["status", "admission_overdue", "is_overdue"]
    actions = ["admit"]
    search_fields = ["tracking_number", "entry__subject__identifier"]
    list_select_related = ["entry"]
    readonly_fields = [
        "entry",
        "tracking_number",
        "filed_by_name",
        "filed_on_behalf",
        "contact",
        "disputed_facts",
        "evidence_file",
        "filed_at",
        "filed_by_subject_account",
        "admit_by",
        "admitted_at",
        "admitted_by",
        "admission_overdue",
        "decide_by",
        "status",
        "is_overdue",
        "corrected_facts",
        "decision_reasons",
        "decided_by",
        "decided_at",
        "audit_history",
    ]

    @admin.action(description="Admit the selected objections (holds the entry out of publicity)")
    def admit(self, request, queryset):
        for objection in queryset.filter(status="pending", admitted_at__isnull=True):
            run_service(
                request,
                services.objection_admit,
                actor=request.user,
                objection=objection,
                success=f"Objection {objection.tracking_number} admitted.",
            )

    def decide(self, request, obj, data):
        run_service(
            request,
            services.objection_decide,
            actor=request.user,
            objection=obj,
            upheld=data["upheld"],
            reasons=data["reasons"],
            corrected_facts=data["corrected_facts"],
            success="Objection decided.",
        )


@admin.register(RepairApplication)
class RepairApplicationAdmin(DecisionAdminMixin, AgencyScopedAdmin):
    agency_field = "entry__list__owner"
    list_display = ["tracking_number", "entry", "status", "decide_by", "is_overdue", "filed_at"]
    list_filter = ["status", "is_overdue"]
    search_fields = ["tracking_number", "entry__subject__identifier"]
    list_select_related = ["entry"]
    readonly_fields = [
        "entry",
        "tracking_number",
        "applicant_name",
        "contact",
        "conditions_met",
        "statement",
        "evidence_file",
        "filed_at",
        "decide_by",
        "status",
        "is_overdue",
        "decision_reasons",
        "decided_by",
        "decided_at",
        "audit_history",
    ]

    def decide(self, request, obj, data):
        run_service(
            request,
            services.repair_decide,
            actor=request.user,
            application=obj,
            grant=data["upheld"],
            reasons=data["reasons"],
            success="Repair application decided.",
        )


class ConfirmCandidateForm(forms.Form):
    ground = forms.ModelChoiceField(queryset=ListGround.objects.none())
    tier = forms.ModelChoiceField(queryset=SeverityTier.objects.none())
    duration_months = forms.IntegerField(min_value=1, required=False)
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, definition: ListDefinition, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ground"].queryset = definition.grounds.all()
        self.fields["tier"].queryset = definition.tiers.all()


@admin.register(WatchCandidate)
class WatchCandidateAdmin(AgencyScopedAdmin):
    agency_field = "watch_list__owner"
    list_display = ["subject", "watch_list", "status", "detected_at"]
    list_filter = ["status"]
    readonly_fields = ["watch_list", "subject", "evidence", "detected_at", "status", "entry"]
    actions = ["dismiss_selected"]
    change_form_template = "admin/blacklists/watchcandidate/change_form.html"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="blacklists_watchcandidate_confirm",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        candidate = self.get_object(request, object_id)
        form = ConfirmCandidateForm(definition=candidate.watch_list) if candidate else None
        extra_context = {**(extra_context or {}), "confirm_form": form}
        return super().change_view(request, object_id, form_url, extra_context)

    def confirm_view(self, request, pk):
        """A reviewer confirms with a ground, tier, duration and reasons: the candidate becomes
        an approved entry that still goes through notice and the objection window."""
        candidate = get_object_or_404(self.get_queryset(request), pk=pk)
        form = ConfirmCandidateForm(request.POST or None, definition=candidate.watch_list)
        if request.method == "POST" and form.is_valid():
            entry = run_service(
                request,
                services.watch_candidate_confirm,
                actor=request.user,
                candidate=candidate,
                ground=form.cleaned_data["ground"],
                tier=form.cleaned_data["tier"],
                duration_months=form.cleaned_data["duration_months"],
                reasons=form.cleaned_data["reasons"],
                success="Confirmed: an approved entry awaits notice to the subject.",
            )
            if entry is not None:
                return redirect(reverse("admin:blacklists_listentry_change", args=[entry.pk]))
        elif request.method == "POST":
            messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(reverse("admin:blacklists_watchcandidate_change", args=[candidate.pk]))

    @admin.action(description="Dismiss selected candidates (reviewer)")
    def dismiss_selected(self, request, queryset):
        for candidate in queryset:
            run_service(
                request,
                services.watch_candidate_dismiss,
                actor=request.user,
                candidate=candidate,
                reasons="dismissed in admin after review",
            )


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Operators watch the outbox drain; nobody edits it."""

    list_display = ["id", "entry", "kind", "occurred_at"]
    list_filter = ["kind"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(AgencyScopedAdmin):
    """Background imports of the agency with their progress; "add" uploads a file and queues
    a job (blacklists.import_jobs), validated and applied by a worker."""

    agency_field = "agency"
    list_display = [
        "id",
        "filename",
        "status",
        "progress",
        "created_count",
        "dry_run",
        "created_at",
    ]
    list_filter = ["status", "dry_run"]
    fields = ["filename", "status", "progress", "rows", "created_count", "errors", "dry_run"]
    readonly_fields = fields

    @admin.display(description="processed")
    def progress(self, obj) -> str:
        done = import_jobs.import_job_progress(obj)
        return f"{done} / {obj.rows}" if obj.rows else str(done)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = run_service(
                request,
                import_jobs.import_job_create,
                actor=request.user,
                upload=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                success="Import queued: its progress shows in this list.",
            )
            if job is not None:
                return redirect(reverse("admin:blacklists_importjob_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "result": None,
            "title": "Queue an import of list entries",
        }
        return render(request, "admin/blacklists/listentry/import.html", context)
