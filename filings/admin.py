"""Operator: commitment types. Agency staff: record whether a commitment was honoured or
broken (through the service, which writes the breach record)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from filings import services
from filings.models import CommitmentType, CreditCommitment


@admin.register(CommitmentType)
class CommitmentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "purpose", "is_active"]
    list_filter = ["purpose", "is_active"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


class OutcomeForm(forms.Form):
    honoured = forms.TypedChoiceField(
        label=_("outcome"),
        choices=[("1", _("honoured")), ("0", _("broken"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("note on the outcome"), widget=forms.Textarea)


@admin.register(CreditCommitment)
class CreditCommitmentAdmin(admin.ModelAdmin):
    list_display = ["subject", "type", "signed_at", "status", "outcome_agency"]
    list_filter = ["status", "type"]
    list_select_related = ["subject", "type", "outcome_agency"]
    search_fields = ["subject__identifier"]
    readonly_fields = [f.name for f in CreditCommitment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/outcome/",
                self.admin_site.admin_view(self.outcome_view),
                name="filings_creditcommitment_outcome",
            ),
            *super().get_urls(),
        ]

    def outcome_view(self, request, pk: int):
        commitment = CreditCommitment.objects.select_related("subject", "type").get(pk=pk)
        form = OutcomeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.commitment_record_outcome(
                    actor=request.user,
                    commitment=commitment,
                    honoured=form.cleaned_data["honoured"],
                    note=form.cleaned_data["note"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, getattr(exc, "messages", [str(exc)]))
            else:
                messages.success(request, gettext("Outcome recorded."))
                return redirect(reverse("admin:filings_creditcommitment_changelist"))
        title = gettext("Record outcome: %(commitment)s") % {"commitment": commitment}
        context = {**self.admin_site.each_context(request), "form": form, "obj": commitment,
                   "title": title}  # fmt: skip
        return render(request, "admin/filings/outcome.html", context)
