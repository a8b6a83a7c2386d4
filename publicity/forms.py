"""Forms of the public portal: search, tracking, report verification. The objection and repair
forms belong to the lists app (`blacklists.forms`, shared with /my/) and are re-exported here."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from blacklists.forms import ObjectionForm, RepairForm  # noqa: F401 (re-exported)
from publicity.selectors import SearchFilters, provinces
from scs import labels


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name or unified social credit code"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": _("e.g. 恒信电子")}
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    division = forms.ChoiceField(label=_("Province"), required=False)
    blacklist = forms.BooleanField(label=_("On a blacklist"), required=False)
    redlist = forms.BooleanField(label=_("On a redlist"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, english: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *labels.SUBJECT_KIND.items()]
        self.fields["division"].choices = [("", _("All provinces"))] + [
            (code, en if english and en else zh) for code, zh, en in provinces()
        ]

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            kind=data.get("kind") or "",
            division=data.get("division") or "",
            on_blacklist=bool(data.get("blacklist")),
            on_redlist=bool(data.get("redlist")),
        )


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Tracking number"), max_length=64)

    def clean_number(self) -> str:
        """As typed from a receipt: full-width characters folded (ＯＢ２０２６ → OB2026),
        spaces of any width dropped, letters upper-cased; then letters, digits and dashes."""
        folded = unicodedata.normalize("NFKC", self.cleaned_data["number"])
        number = "".join(folded.split()).upper()
        if not re.fullmatch(r"[A-Z0-9-]{1,64}", number):
            raise ValidationError(
                _("Enter the tracking number as printed on your receipt (letters and digits).")
            )
        return number


class VerifyForm(forms.Form):
    pdf = forms.FileField(label=_("Report PDF to check"))

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError(
                _("The file is too large (at most %(limit)s)."), params={"limit": "20 MB"}
            )
        return upload
