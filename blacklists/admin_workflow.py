"""State-aware transitions of a list entry in the admin: which steps its state and the user's
role allow, one small form per step, and the confirmation a step deserves.

The services stay the authority (they check state, role, maker-checker and the objection
window again); this module only decides what to offer, so a clerk is never shown a button
that can only fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blacklists import services
from blacklists.models import EntryState, ListEntry, NoticeChannel, Objection


class ReasonOptionalForm(forms.Form):
    reason = forms.CharField(
        label=_("Note for the record (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonRequiredForm(forms.Form):
    reason = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}))


class NotifyForm(forms.Form):
    via = forms.ChoiceField(label=_("Notice channel"), choices=NoticeChannel.choices)
    reference = forms.CharField(
        label=_("Notice reference"),
        required=False,
        max_length=200,
        help_text=_("e.g. the registered-mail number or the service record number"),
    )


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    form_class: type[forms.Form]
    reviewer_only: bool = False
    danger: bool = False


STEPS = {
    "submit": Step("submit", _("Submit for review"), ReasonOptionalForm),
    "approve": Step("approve", _("Approve"), ReasonOptionalForm, reviewer_only=True),
    "return": Step("return", _("Return to the clerk"), ReasonRequiredForm, reviewer_only=True),
    "notify": Step("notify", _("Record notice to the subject"), NotifyForm),
    "publish": Step("publish", _("Publish"), ReasonOptionalForm),
    "revoke": Step("revoke", _("Revoke"), ReasonRequiredForm, reviewer_only=True, danger=True),
}

BY_STATE = {
    EntryState.DRAFT: ["submit", "revoke"],
    EntryState.SUBMITTED: ["approve", "return", "revoke"],
    EntryState.APPROVED: ["notify", "revoke"],
    EntryState.NOTIFIED: ["publish", "revoke"],
    EntryState.PUBLISHED: ["revoke"],
    EntryState.ENDED: [],
}

SUCCESS = {
    "submit": _("Submitted for review: %(entry)s"),
    "approve": _("Approved: %(entry)s"),
    "return": _("Returned to the clerk: %(entry)s"),
    "notify": _("Notice recorded; the objection window has started: %(entry)s"),
    "publish": _("Published: %(entry)s"),
    "revoke": _("Revoked: %(entry)s"),
}


def _may(user, entry: ListEntry) -> bool:
    return user.is_superuser or user.agency_id == entry.list.owner_id


def publish_blocker(entry: ListEntry) -> str:
    """Why a notified entry cannot be published yet ('' when it can)."""
    if not entry.list.immediate_publication_basis and entry.objection_window_ends_at:
        if timezone.now() < entry.objection_window_ends_at:
            ends = timezone.localtime(entry.objection_window_ends_at)
            return str(_("The objection window runs until %(when)s.")) % {
                "when": f"{ends:%Y-%m-%d %H:%M}"
            }
    if entry.objections.filter(status=Objection.Status.PENDING).exists():
        return str(_("An objection is pending: decide it first."))
    return ""


def allowed_steps(entry: ListEntry, user) -> list[Step]:
    """The steps this user may take on this entry now."""
    if not _may(user, entry):
        return []
    reviewer = user.is_superuser or user.is_reviewer
    steps = []
    for key in BY_STATE.get(entry.state, []):
        step = STEPS[key]
        if step.reviewer_only and not reviewer:
            continue
        if key == "approve" and user.pk in (entry.created_by_id, entry.submitted_by_id):
            continue  # maker-checker: never offered to the entry's maker
        if key == "publish" and publish_blocker(entry):
            continue
        steps.append(step)
    return steps


def publication_impact(entry: ListEntry) -> dict | None:
    """The memorandum dry run for this entry (None when no consumer is configured)."""
    path = getattr(settings, "LIST_PUBLICATION_IMPACT", None)
    if not path or not entry.list.may_trigger_joint_measures:
        return None
    return import_string(path)(entry.pk, on=timezone.localdate())


def confirmation(step: Step, entry: ListEntry) -> tuple[str, list]:
    """What the step will do, in words: (sentence, [(measure, agency, mandatory)])."""
    if step.key == "publish":
        impact = publication_impact(entry)
        if not impact or not impact["measures"]:
            return str(
                _("After publication the entry takes legal effect; no joint measure applies.")
            ), []
        sentence = (
            ngettext(
                "After publication, the following %(measures)d joint measure will be applied by "
                "%(agencies)d agencies.",
                "After publication, the following %(measures)d joint measures will be applied by "
                "%(agencies)d agencies.",
                impact["measures"],
            )
            % impact
        )
        return sentence, impact["items"]
    if step.key == "revoke":
        if entry.state == EntryState.PUBLISHED:
            n = entry.sanctions.filter(status="in_force").count()
            return (
                str(_("Revoking ends the entry and lifts its %(n)d sanctions in force."))
                % {"n": n},
                [],
            )
        return str(_("Revoking ends the entry before it takes effect.")), []
    if step.key == "notify":
        return (
            str(_("The objection window of %(days)d days starts when notice is recorded."))
            % {"days": entry.list.objection_window_days},
            [],
        )
    return "", []


def blocked_note(entry: ListEntry, user) -> str:
    """Why nothing (or not publication) is offered, when that is not obvious."""
    if entry.state == EntryState.NOTIFIED and _may(user, entry):
        return publish_blocker(entry)
    if entry.state == EntryState.SUBMITTED and user.pk in (
        entry.created_by_id,
        entry.submitted_by_id,
    ):
        return str(_("Maker-checker: another reviewer of your agency approves this entry."))
    return ""


def run_step(key: str, *, entry: ListEntry, actor, data: dict) -> ListEntry:
    """Call the service for a step with the cleaned data of its form."""
    reason = data.get("reason", "")
    calls = {
        "submit": lambda: services.list_entry_submit(actor=actor, entry=entry, reason=reason),
        "approve": lambda: services.list_entry_approve(actor=actor, entry=entry, reason=reason),
        "return": lambda: services.list_entry_return(actor=actor, entry=entry, reason=reason),
        "notify": lambda: services.list_entry_notify(
            actor=actor, entry=entry, via=data.get("via", ""), reference=data.get("reference", "")
        ),
        "publish": lambda: services.list_entry_publish(actor=actor, entry=entry, reason=reason),
        "revoke": lambda: services.list_entry_revoke(actor=actor, entry=entry, reason=reason),
    }
    return calls[key]()


def panels(entry: ListEntry, user) -> list[dict]:
    """Everything the change page needs to draw the step forms."""
    out = []
    for step in allowed_steps(entry, user):
        sentence, items = confirmation(step, entry)
        out.append(
            {
                "step": step,
                "form": step.form_class(auto_id=f"id_{step.key}_%s"),
                "confirmation": sentence,
                "items": items,
            }
        )
    return out
