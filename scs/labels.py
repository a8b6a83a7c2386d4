"""The portals' public vocabulary: every code the public portal and /my/ show, with its label,
and `localised` (a row's English name in English). Shared by both portal-side apps, so it lives
in the kernel (issue 13: nothing imports a portal-side app).

Kept here, not borrowed from the models' choices, so that the portal's translations
(locale/) cover every word it prints and the public wording can differ from the back office's.
"""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SUBJECT_KIND = {
    "enterprise": _("Enterprise"),
    "individual_business": _("Individual business"),
    "social_organisation": _("Social organisation"),
    "public_institution": _("Public institution"),
    "government_body": _("Government body"),
    "natural_person": _("Natural person"),
}
SUBJECT_STATUS = {
    "active": _("Active"),
    "deregistered": _("Deregistered"),
    "revoked": _("Licence revoked"),
}
LIST_KIND = {
    "blacklist": _("Blacklist"),
    "redlist": _("Redlist"),
    "watchlist": _("Watch list"),
}
SEVERITY = {
    "general": _("General"),
    "serious": _("Serious"),
    "extremely_serious": _("Extremely serious"),
}
ROLE = {
    "legal_representative": _("Legal representative"),
    "principal_responsible_person": _("Principal responsible person"),
    "director": _("Director"),
    "supervisor": _("Supervisor"),
    "senior_manager": _("Senior manager"),
    "actual_controller": _("Actual controller"),
}
RECORD_TYPE = {
    "registration": _("Registration"),
    "equity": _("Equity"),
    "branch": _("Branch"),
    "executive": _("Executives"),
    "annual_report": _("Annual report"),
    "tax": _("Tax"),
    "social_insurance": _("Social insurance"),
    "provident_fund": _("Housing provident fund"),
    "administrative_licence": _("Administrative licence"),
    "administrative_penalty": _("Administrative penalty"),
    "inspection": _("Inspection"),
    "award": _("Award"),
    "utility_payment": _("Utility payment"),
    "list_record": _("List record"),
    "court_judgment": _("Court judgment"),
    "spot_check": _("Random spot-check result"),
    "credit_commitment": _("Credit commitment"),
}
CHANGE_ITEM = {
    "name": _("Name"),
    "legal_representative": _("Legal representative"),
    "registered_capital": _("Registered capital"),
    "company_type": _("Company type"),
    "business_term": _("Business term"),
    "address": _("Address"),
    "business_scope": _("Business scope"),
    "shareholders": _("Shareholders"),
    "senior_personnel": _("Directors, supervisors and managers"),
}
MEASURE_KIND = {"punishment": _("Punishment"), "incentive": _("Incentive")}
MEASURE_TARGET = {
    "subject": _("The listed subject"),
    "legal_representative": _("Its legal representative"),
    "principal_responsible_person": _("Its principal responsible person"),
    "directors_supervisors_senior_managers": _("Its directors, supervisors and senior managers"),
    "actual_controller": _("Its actual controller"),
}
DECISION = {
    "pending": _("Pending"),
    "upheld": _("Upheld"),
    "rejected": _("Rejected"),
}
REPAIR_CONDITION = {
    "proof_of_correction": _("Proof the violation was corrected"),
    "training_certificate": _("Credit training certificate"),
    "credit_commitment": _("Written credit commitment"),
    "obligation_met": _("Proof the obligation is met"),
}
AGENCY_LEVEL = {
    "national": _("National"),
    "provincial": _("Provincial"),
    "prefectural": _("Prefectural"),
    "county": _("County"),
}
VISIBILITY = {
    "public": _("Open to the public"),
    "government": _("Government only"),
    "restricted": _("Restricted (limited sharing)"),
}
ENTRY_STATE = {
    "approved": _("Approved, notice pending"),
    "notified": _("Notified; objection window open"),
    "published": _("Published"),
    "ended": _("Ended"),
}
END_REASON = {
    "expired": _("Expired"),
    "repaired": _("Credit repaired"),
    "revoked": _("Revoked"),
    "objection_upheld": _("Objection upheld"),
}
SANCTION_STATUS = {"in_force": _("In force"), "lifted": _("Lifted")}

OPERATING_STATUS = {
    "operating": _("Operating"),
    "suspended": _("Suspended"),
    "liquidating": _("In liquidation"),
    "closed": _("Closed"),
}
COMMITMENT_STATUS = {
    "signed": _("Signed, outcome pending"),
    "honoured": _("Honoured"),
    "broken": _("Broken"),
    "withdrawn": _("Withdrawn"),
}
SELF_INFO_FIELD = {
    "contact_phone": _("Contact telephone"),
    "contact_email": _("Contact e-mail"),
    "employees": _("Number of employees"),
    "operating_status": _("Operating status"),
    "website": _("Website"),
}
# How and with what result an agency consulted a subject's file (the subject's access log).
CONSULTATION_CHANNEL = {
    "file": _("Credit file (API)"),
    "credit_check": _("Credit check (API)"),
    "admin": _("Agency workspace"),
    "command": _("Platform operations"),
}
CONSULTATION_OUTCOME = {
    "returned": _("Information returned"),
    "empty": _("Nothing to return"),
    "not_found": _("Not found"),
    "refused": _("Refused"),
}

VOCABULARIES = {
    "subject_kind": SUBJECT_KIND,
    "subject_status": SUBJECT_STATUS,
    "list_kind": LIST_KIND,
    "severity": SEVERITY,
    "role": ROLE,
    "record_type": RECORD_TYPE,
    "measure_kind": MEASURE_KIND,
    "measure_target": MEASURE_TARGET,
    "decision": DECISION,
    "repair_condition": REPAIR_CONDITION,
    "agency_level": AGENCY_LEVEL,
    "visibility": VISIBILITY,
    "entry_state": ENTRY_STATE,
    "end_reason": END_REASON,
    "sanction_status": SANCTION_STATUS,
    "change_item": CHANGE_ITEM,
    "operating_status": OPERATING_STATUS,
    "commitment_status": COMMITMENT_STATUS,
    "self_info_field": SELF_INFO_FIELD,
    "consultation_channel": CONSULTATION_CHANNEL,
    "consultation_outcome": CONSULTATION_OUTCOME,
}


def label(vocabulary: str, code: str) -> str:
    """The label of a code, or the code itself if the vocabulary lacks it (never an error)."""
    return VOCABULARIES[vocabulary].get(code, code)


def localised(obj, field: str = "name") -> str:
    """obj.<field>_en in English when it is filled in, else obj.<field>."""
    if obj is None:
        return ""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, field, "") or ""
