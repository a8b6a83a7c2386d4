"""Forms for objections and repair applications (list entries and penalty records), with the
evidence checks. The lists app owns these rules; the public portal (anonymous) and /my/
(signed in) both file through them."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from blacklists.evidence import evidence_prepare
from scs import labels

# Evidence: PDF or image, recognised by extension *and* by its first bytes.
EVIDENCE_TYPES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def validate_evidence(upload: UploadedFile) -> None:
    """Extension and first bytes must agree, then the whole file is verified by the evidence
    store (images decoded with Pillow, PDFs parsed with pypdf); the lists service checks
    again when it stores the file."""
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (at most %(limit)s)."),
            params={"limit": filesizeformat(limit)},
            code="too_large",
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    signatures = EVIDENCE_TYPES.get(suffix)
    head = upload.read(8)
    upload.seek(0)
    if not signatures or not head.startswith(signatures):
        raise ValidationError(_("Evidence must be a PDF, JPEG or PNG file."), code="file_type")
    try:
        evidence_prepare(upload)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["evidence"]) from None
    finally:
        upload.seek(0)


class EvidenceField(forms.FileField):
    default_validators = [validate_evidence]

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            # A neutral name: the original may hold personal data or odd characters.
            upload.name = "evidence" + PurePath(upload.name).suffix.lower()
        return upload


def _evidence_help() -> str:
    return _("Optional. PDF, JPEG or PNG, at most %(limit)s.") % {
        "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)
    }


class ObjectionForm(forms.Form):
    filed_by_name = forms.CharField(label=_("Your name"), max_length=200)
    on_behalf = forms.BooleanField(
        label=_("I file on behalf of the subject (as its representative)"), required=False
    )
    contact = forms.CharField(
        label=_("Contact (telephone or e-mail)"),
        max_length=200,
        help_text=_("Used only to tell you the decision; never published."),
    )
    disputed_facts = forms.CharField(
        label=_("Which recorded facts are wrong, and what is correct"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    evidence = EvidenceField(label=_("Evidence"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = _evidence_help()


class RepairForm(forms.Form):
    applicant_name = forms.CharField(label=_("Applicant name"), max_length=200)
    contact = forms.CharField(
        label=_("Contact (telephone or e-mail)"),
        max_length=200,
        help_text=_("Used only to tell you the decision; never published."),
    )
    conditions_met = forms.MultipleChoiceField(
        label=_("Conditions you can show"),
        widget=forms.CheckboxSelectMultiple,
        # An application shows at least one condition; the agency weighs them against the
        # list's requirements when it decides.
        required=True,
    )
    statement = forms.CharField(
        label=_("Statement: how the cause was corrected"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    evidence = EvidenceField(label=_("Evidence"), required=False)

    def __init__(self, *args, conditions: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        codes = conditions or list(labels.REPAIR_CONDITION)
        self.fields["conditions_met"].choices = [
            (code, labels.label("repair_condition", code)) for code in codes
        ]
        self.fields["evidence"].help_text = _evidence_help()
