"""The period form of the special credit report (public portal and /my/ alike)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.selectors import special_period_bounds


class SpecialReportForm(forms.Form):
    """The period of a special credit report: within the last 5 years, start before end."""

    period_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    period_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )

    def clean(self):
        data = super().clean()
        earliest, latest = special_period_bounds()
        start = data.get("period_from") or earliest
        end = data.get("period_to") or latest
        if start > end:
            self.add_error("period_from", _("The period starts after it ends."))
        elif start < earliest or end > latest:
            self.add_error("period_from", _("A special report covers at most the last 5 years."))
        data["period_from"], data["period_to"] = start, end
        return data
