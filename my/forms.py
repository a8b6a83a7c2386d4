"""Forms of the subject's window. Objections and repairs use the lists app's forms
(`blacklists.forms`, as the public portal does: the same evidence checks and storage path)."""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scs import labels


class TypedEmailField(forms.EmailField):
    """An e-mail address as typed with a Chinese input method: full-width letters, digits,
    ＠ and ． folded to ASCII (NFKC) before it is checked, so ｌｅｇａｌ＠example.com signs in."""

    def to_python(self, value):
        return super().to_python(unicodedata.normalize("NFKC", value or ""))


class SignInForm(forms.Form):
    email = TypedEmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Password"), max_length=200, strip=False, widget=forms.PasswordInput
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if not (code.isdigit() and len(code) == 6):
            raise ValidationError(_("Enter the 6 digits your authenticator app shows."))
        return code


class ActivateForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), max_length=200, strip=False, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("New password again"), max_length=200, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = " ".join(password_validators_help_texts())

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class InviteForm(forms.Form):
    email = TypedEmailField(label=_("Colleague's e-mail address"), max_length=254)


class SignCommitmentForm(forms.Form):
    commitment_type = forms.ModelChoiceField(
        label=_("Commitment"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    agree = forms.BooleanField(
        label=_("I have read the commitment and sign it for the subject."), required=True
    )

    def __init__(self, *args, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commitment_type"].queryset = types
        self.fields["commitment_type"].label_from_instance = lambda t: f"{t.name}：{t.text}"


class SelfInfoForm(forms.Form):
    contact_phone = forms.CharField(label=_("Contact telephone"), max_length=40, required=False)
    contact_email = TypedEmailField(label=_("Contact e-mail"), required=False)
    employees = forms.IntegerField(
        label=_("Number of employees"), min_value=0, max_value=10_000_000, required=False
    )
    operating_status = forms.ChoiceField(label=_("Operating status"))
    website = forms.URLField(
        label=_("Website"), max_length=300, required=False, assume_scheme="https"
    )

    def clean_contact_phone(self) -> str:
        """Published as typed but in ASCII: ０５７１－８８８８８８８８ becomes 0571-88888888."""
        return unicodedata.normalize("NFKC", self.cleaned_data["contact_phone"]).strip()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operating_status"].choices = list(labels.OPERATING_STATUS.items())


class AccessLogFilterForm(forms.Form):
    """Filters of /my/access-log/ (GET): agency, purpose, date range. Every field optional."""

    agency = forms.TypedChoiceField(label=_("Agency"), required=False, coerce=int, empty_value=None)
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, agencies=(), purposes=(), **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        self.fields["agency"].choices = everyone + [(a.pk, a.subject.name) for a in agencies]
        self.fields["purpose"].choices = everyone + [
            (p.code, labels.localised(p)) for p in purposes
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_from", _("The period starts after it ends."))
        return data


class ConsentForm(forms.Form):
    """A consent given online by the subject: one agency, one purpose, the restricted items
    (or all of them), until a date. The service (`sharing.services.consent_grant`) checks the
    rest (active purpose, restricted items, a date not past)."""

    agency = forms.ModelChoiceField(label=_("Agency"), queryset=None)
    purpose = forms.ModelChoiceField(label=_("Purpose"), queryset=None)
    all_restricted = forms.BooleanField(label=_("All restricted items"), required=False)
    items = forms.ModelMultipleChoiceField(
        label=_("Restricted items"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, agencies=None, purposes=None, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["agency"].label_from_instance = lambda a: a.subject.name
        self.fields["purpose"].queryset = purposes
        self.fields["purpose"].label_from_instance = labels.localised
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = lambda i: f"{i.code} {i.name}"

    def clean(self):
        data = super().clean()
        if not data.get("all_restricted") and not data.get("items"):
            self.add_error("items", _("Name the restricted items, or consent to all of them."))
        return data
