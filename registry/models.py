"""The registry: subjects keyed by their identifier, agencies, the catalogue and credit records."""

from __future__ import annotations

import datetime

import pghistory
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import identifiers


class Division(models.Model):
    """An administrative division (GB/T 2260), loaded by a data migration."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        PREFECTURE = "prefecture", _("prefecture")
        COUNTY = "county", _("county")

    code = models.CharField(max_length=6, primary_key=True, verbose_name=_("code"))
    name_zh = models.CharField(max_length=64, verbose_name=_("Chinese name"))
    name_en = models.CharField(max_length=128, verbose_name=_("English name"))
    level = models.CharField(max_length=16, choices=Level.choices, verbose_name=_("level"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("parent")
    )

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


class SubjectKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("individual business")
    SOCIAL_ORGANISATION = "social_organisation", _("social organisation")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    GOVERNMENT_BODY = "government_body", _("government body")
    NATURAL_PERSON = "natural_person", _("natural person")


class SubjectQuerySet(models.QuerySet):
    def organisations(self) -> SubjectQuerySet:
        return self.exclude(kind=SubjectKind.NATURAL_PERSON)

    def natural_persons(self) -> SubjectQuerySet:
        return self.filter(kind=SubjectKind.NATURAL_PERSON)


@pghistory.track()
class Subject(models.Model):
    """Anyone the platform holds records about, keyed by USCC or resident ID."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        DEREGISTERED = "deregistered", _("deregistered")
        REVOKED = "revoked", _("revoked")

    Kind = SubjectKind

    kind = models.CharField(max_length=32, choices=SubjectKind.choices, verbose_name=_("kind"))
    identifier = models.CharField(
        max_length=18,
        unique=True,
        help_text=_("Unified social credit code, or resident ID for natural persons"),
        verbose_name=_("identifier"),
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("division")
    )
    registration_authority = models.ForeignKey(
        "registry.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_subjects",
        verbose_name=_("registration authority"),
    )
    established_on = models.DateField(null=True, blank=True, verbose_name=_("established on"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = SubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        indexes = [
            # Portal/API name search: LIKE '%fragment%' for 3+ characters (pg_trgm).
            GinIndex(name="subject_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
            # API filter ?kind=&division= with keyset order on id.
            models.Index(name="subject_kind_division", fields=["kind", "division"]),
        ]
        constraints = [
            # Natural persons are keyed by resident ID (digits, final X); organisations by USCC.
            models.CheckConstraint(
                name="subject_identifier_shape",
                condition=Q(identifier__regex=r"^[0-9A-HJ-NP-RTUW-Y]{18}$"),
            ),
        ]

    def __str__(self) -> str:
        # Printed in admin titles, links and logs: never the full code of a natural person.
        return subject_short_label(self)

    def clean(self) -> None:
        super().clean()
        try:
            normalised, scheme = identifiers.validate_identifier(self.identifier or "")
        except identifiers.IdentifierError as exc:
            raise ValidationError({"identifier": exc.message}) from exc
        if self.kind == SubjectKind.NATURAL_PERSON and scheme != "resident_id":
            raise ValidationError(
                {"identifier": _("A natural person is identified by an 18-digit resident ID.")}
            )
        if self.kind and self.kind != SubjectKind.NATURAL_PERSON and scheme != "uscc":
            raise ValidationError(
                {
                    "identifier": _(
                        "An organisation is identified by its unified social credit code."
                    )
                }
            )
        self.identifier = normalised

    @property
    def is_natural_person(self) -> bool:
        return self.kind == SubjectKind.NATURAL_PERSON

    @property
    def masked_identifier(self) -> str:
        if self.is_natural_person:
            return identifiers.mask_resident_id(self.identifier)
        return self.identifier


@pghistory.track()
class FormerName(models.Model):
    """A name the subject used before; renamed companies stay findable."""

    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="former_names", verbose_name=_("subject")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("valid from"))
    valid_until = models.DateField(verbose_name=_("valid until"))

    class Meta:
        verbose_name = _("former name")
        verbose_name_plural = _("former names")
        ordering = ["-valid_until"]
        indexes = [
            GinIndex(name="formername_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="formername_dates_ordered",
                condition=Q(valid_from__isnull=True) | Q(valid_from__lte=models.F("valid_until")),
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoleKind(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("legal representative")
    PRINCIPAL_RESPONSIBLE_PERSON = "principal_responsible_person", _("principal responsible person")
    DIRECTOR = "director", _("director")
    SUPERVISOR = "supervisor", _("supervisor")
    SENIOR_MANAGER = "senior_manager", _("senior manager")
    ACTUAL_CONTROLLER = "actual_controller", _("actual controller")


class SubjectRoleQuerySet(models.QuerySet):
    def current(self, at: datetime.date | None = None) -> SubjectRoleQuerySet:
        at = at or timezone.localdate()
        return self.filter(Q(started_on__isnull=True) | Q(started_on__lte=at)).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=at)
        )


@pghistory.track()
class SubjectRole(models.Model):
    """A person (or organisation) holding a role in an organisation, over a period."""

    Kind = RoleKind

    organisation = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="roles", verbose_name=_("organisation")
    )
    holder = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="roles_held", verbose_name=_("holder")
    )
    role = models.CharField(max_length=32, choices=RoleKind.choices, verbose_name=_("role"))
    started_on = models.DateField(null=True, blank=True, verbose_name=_("started on"))
    ended_on = models.DateField(null=True, blank=True, verbose_name=_("ended on"))

    objects = SubjectRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject role")
        verbose_name_plural = _("subject roles")
        ordering = ["role", "started_on"]
        constraints = [
            models.CheckConstraint(
                name="subjectrole_dates_ordered",
                condition=Q(started_on__isnull=True)
                | Q(ended_on__isnull=True)
                | Q(started_on__lte=models.F("ended_on")),
            ),
            models.CheckConstraint(
                name="subjectrole_not_self", condition=~Q(organisation=models.F("holder"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.holder} · {self.organisation}"


class Agency(models.Model):
    """A government body (or an enforcement partner such as the railway) acting on the platform."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("national")
        PROVINCIAL = "provincial", _("provincial")
        PREFECTURAL = "prefectural", _("prefectural")
        COUNTY = "county", _("county")

    subject = models.OneToOneField(
        Subject, on_delete=models.PROTECT, related_name="agency", verbose_name=_("subject")
    )
    short_name = models.CharField(max_length=64, verbose_name=_("short name"))
    name_en = models.CharField(max_length=200, blank=True, verbose_name=_("English name"))
    level = models.CharField(max_length=16, choices=Level.choices, verbose_name=_("level"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, verbose_name=_("division"))
    is_registration_authority = models.BooleanField(
        default=False, verbose_name=_("registration authority")
    )
    may_view_personal_ids = models.BooleanField(
        default=False,
        help_text=_(
            "Whether this agency's legal tasks require full resident ID numbers "
            "(courts, public security, enforcement partners)."
        ),
        verbose_name=_("may view full resident IDs"),
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["subject__name"]

    def __str__(self) -> str:
        return self.short_name or self.subject.name

    @property
    def name(self) -> str:
        return self.subject.name

    @property
    def identifier(self) -> str:
        return self.subject.identifier


class User(AbstractUser):
    """A clerk, reviewer or administrator of one agency; API clients are system users."""

    class Role(models.TextChoices):
        CLERK = "clerk", _("clerk")
        REVIEWER = "reviewer", _("reviewer")
        ADMIN = "admin", _("agency administrator")

    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("agency"),
    )
    role = models.CharField(
        max_length=16, choices=Role.choices, default=Role.CLERK, verbose_name=_("role")
    )
    is_system = models.BooleanField(
        default=False,
        help_text=_("An agency system that calls the API with a token."),
        verbose_name=_("system account"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Everyone but a superuser acts for exactly one agency.
            models.CheckConstraint(
                name="user_agency_unless_superuser",
                condition=Q(is_superuser=True) | Q(agency__isnull=False),
            )
        ]

    @property
    def is_reviewer(self) -> bool:
        return self.role in (self.Role.REVIEWER, self.Role.ADMIN)


class RecordType(models.TextChoices):
    """The closed set of record types the catalogue may hold (seed 001 FIG 1.2-B).

    No free-text "other": data the seeds forbid (religious belief, fingerprints, genes,
    medical history, blood type, political affiliation) has no type to be filed under.
    """

    REGISTRATION = "registration", _("registration")
    EQUITY = "equity", _("equity")
    BRANCH = "branch", _("branch")
    EXECUTIVE = "executive", _("executives")
    ANNUAL_REPORT = "annual_report", _("annual report")
    TAX = "tax", _("tax")
    SOCIAL_INSURANCE = "social_insurance", _("social insurance")
    PROVIDENT_FUND = "provident_fund", _("housing provident fund")
    ADMINISTRATIVE_LICENCE = "administrative_licence", _("administrative licence")
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("administrative penalty")
    INSPECTION = "inspection", _("inspection")
    AWARD = "award", _("award")
    UTILITY_PAYMENT = "utility_payment", _("utility payment")
    LIST_RECORD = "list_record", _("list record")
    COURT_JUDGMENT = "court_judgment", _("court judgment")


# Words that betray a forbidden category of personal data (seed 001 "specific prohibitions";
# political information excluded by design, seed 002). Checked on every catalogue item.
FORBIDDEN_TERMS = (
    "宗教信仰",
    "信仰",
    "指纹",
    "基因",
    "病史",
    "病历",
    "血型",
    "党员",
    "党籍",
    "党组织",
    "政治面貌",
    "religious belief",
    "religion",
    "fingerprint",
    "genetic",
    "genome",
    "dna ",
    "medical history",
    "medical record",
    "blood type",
    "party member",
    "party cell",
    "political affiliation",
    "political status",
)


class CatalogueItem(models.Model):
    """One kind of record the platform may hold (the credit information catalogue)."""

    class Category(models.TextChoices):
        BASIC = "basic", _("basic")
        NEGATIVE = "negative", _("negative")
        POSITIVE = "positive", _("positive")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("open to the public")
        GOVERNMENT = "government", _("open to government")
        RESTRICTED = "restricted", _("limited sharing")

    code = models.CharField(max_length=32, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    name_en = models.CharField(max_length=200, blank=True, verbose_name=_("English name"))
    category = models.CharField(max_length=16, choices=Category.choices, verbose_name=_("category"))
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, verbose_name=_("visibility")
    )
    record_type = models.CharField(
        max_length=32, choices=RecordType.choices, verbose_name=_("record type")
    )
    supplying_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, verbose_name=_("supplying agency")
    )
    legal_basis = models.CharField(max_length=500, verbose_name=_("legal basis"))
    publicity_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("How long a record stays public; empty for basic data."),
        verbose_name=_("publicity period (months)"),
    )
    inquiry_months = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("inquiry period (months)")
    )

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="catalogueitem_record_type_closed",
                condition=Q(record_type__in=RecordType.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        # Phrases, not fragments: "General penalty" or 医疗器械经营许可 are legitimate records.
        text = f"{self.code} {self.name} {self.name_en} ".lower()
        for term in FORBIDDEN_TERMS:
            if term in text:
                raise ValidationError(
                    {
                        "name": _(
                            "The catalogue may not hold religious, biometric, genetic, medical "
                            "or political information (found '%(term)s')."
                        )
                        % {"term": term}
                    }
                )
        if not self.legal_basis or not self.legal_basis.strip():
            raise ValidationError({"legal_basis": _("Every catalogue item needs a legal basis.")})
        if self.category == self.Category.NEGATIVE and not self.publicity_months:
            raise ValidationError(
                {"publicity_months": _("Negative information needs a publicity period.")}
            )


class CreditRecordQuerySet(models.QuerySet):
    def visible_to_public(self, at: datetime.date | None = None) -> CreditRecordQuerySet:
        at = at or timezone.localdate()
        return self.filter(catalogue_item__visibility=CatalogueItem.Visibility.PUBLIC).filter(
            Q(publicity_ends_on__isnull=True) | Q(publicity_ends_on__gt=at)
        )

    def visible_to_agency(self, agency: Agency | None) -> CreditRecordQuerySet:
        """Public and government data for any agency; restricted data only for its supplier."""
        if agency is None:
            return self.visible_to_public()
        return self.filter(
            ~Q(catalogue_item__visibility=CatalogueItem.Visibility.RESTRICTED) | Q(agency=agency)
        )

    def for_agency(self, agency: Agency) -> CreditRecordQuerySet:
        return self.filter(agency=agency)


@pghistory.track()
class CreditRecord(models.Model):
    """A credit record held against a subject; licences and penalties are 'double publicity'."""

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="credit_records", verbose_name=_("subject")
    )
    catalogue_item = models.ForeignKey(
        CatalogueItem, on_delete=models.PROTECT, verbose_name=_("catalogue item")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="credit_records",
        help_text=_("The deciding or supplying agency."),
        verbose_name=_("agency"),
    )
    decision_number = models.CharField(
        max_length=100, blank=True, verbose_name=_("decision number")
    )
    decision_date = models.DateField(verbose_name=_("decision date"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    content = models.TextField(verbose_name=_("content"))
    legal_basis = models.CharField(max_length=500, blank=True, verbose_name=_("legal basis"))
    publicity_ends_on = models.DateField(null=True, blank=True, verbose_name=_("publicity ends on"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-decision_date", "-id"]
        indexes = [
            # Subject page: a subject's records newest first.
            models.Index(name="creditrecord_subject_date", fields=["subject", "-decision_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.decision_number})"

    def clean(self) -> None:
        super().clean()
        item = self.catalogue_item if self.catalogue_item_id else None
        if item and item.record_type in (
            RecordType.ADMINISTRATIVE_LICENCE,
            RecordType.ADMINISTRATIVE_PENALTY,
        ):
            if not self.decision_number:
                raise ValidationError(
                    {"decision_number": _("Licences and penalties cite their decision number.")}
                )
        if item and item.publicity_months and self.decision_date and not self.publicity_ends_on:
            self.publicity_ends_on = add_months(self.decision_date, item.publicity_months)


def subject_short_label(subject: Subject) -> str:
    """`某某科技有限公司（9143…）`: a name with the first four characters of its code, enough
    to tell namesakes apart in a title and never a full resident ID (the region prefix is
    shown by the masked form too)."""
    return f"{subject.name}（{subject.identifier[:4]}…）"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
