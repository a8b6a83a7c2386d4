"""The registry: subjects keyed by their identifier, agencies, the catalogue and credit records."""

from __future__ import annotations

import datetime
import uuid

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry import identifiers, names
from registry.validators import facts_length, plausible_decision_date


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
    abolished = models.BooleanField(
        default=False,
        help_text=_("Abolished code, kept because older identifiers embed it."),
        verbose_name=_("abolished"),
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


class SearchKeyQuerySet(models.QuerySet):
    """bulk_create fills the search keys too (the demo loader and imports use it)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.fill_search_keys()
        return super().bulk_create(objs, *args, **kwargs)


class SubjectQuerySet(SearchKeyQuerySet):
    def organisations(self) -> SubjectQuerySet:
        return self.exclude(kind=SubjectKind.NATURAL_PERSON)

    def natural_persons(self) -> SubjectQuerySet:
        return self.filter(kind=SubjectKind.NATURAL_PERSON)


@pghistory.track(exclude=["name_key", "name_pinyin"])
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
    # registry.names.search_key(name) and pinyin_key(name): filled on save and bulk_create.
    name_key = models.CharField(
        max_length=names.MAX_KEY, default="", editable=False, verbose_name=_("name key")
    )
    name_pinyin = models.CharField(
        max_length=names.MAX_KEY, default="", editable=False, verbose_name=_("name pinyin")
    )
    nonconforming_check = models.BooleanField(
        default=False,
        help_text=_(
            "A code of record whose check characters do not satisfy GB 32100 (issued before "
            "the rule was enforced); registered knowingly by a registration authority."
        ),
        verbose_name=_("nonconforming check"),
    )
    nonconforming_note = models.CharField(
        max_length=500, blank=True, verbose_name=_("nonconforming note")
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
    # Registration facts as on the business licence (GSXT publishes them for every
    # organisation; empty for natural persons, whose page stays name and masked ID).
    legal_representative_name = models.CharField(
        max_length=100,
        blank=True,
        verbose_name=_("legal representative"),
        help_text=_(
            "As registered: the legal representative, the person in charge, or the "
            "operator of an individual business."
        ),
    )
    registered_capital = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        verbose_name=_("registered capital"),
        help_text=_("In units of 10 000 yuan (万元人民币), as on the licence."),
    )
    company_type = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("e.g. 有限责任公司（自然人投资或控股）"),
        verbose_name=_("company type"),
    )
    business_term_from = models.DateField(
        null=True, blank=True, verbose_name=_("business term from")
    )
    business_term_until = models.DateField(
        null=True,
        blank=True,
        help_text=_("Empty: no fixed term (长期)."),
        verbose_name=_("business term until"),
    )
    address = models.CharField(max_length=300, blank=True, verbose_name=_("address"))
    business_scope = models.TextField(blank=True, verbose_name=_("business scope"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = SubjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        indexes = [
            # Portal/API name search: LIKE '%fragment%' for 3+ characters (pg_trgm).
            # Name search on the folded key: LIKE '%term%' for 3+ characters (pg_trgm); the
            # 2-character bigram index on registry_name_bigrams(name_key) is in migration 0010.
            GinIndex(name="subject_name_key_trgm", fields=["name_key"], opclasses=["gin_trgm_ops"]),
            # Latin queries against the pinyin of names (huawei -> 华为).
            GinIndex(
                name="subject_name_pinyin_trgm", fields=["name_pinyin"], opclasses=["gin_trgm_ops"]
            ),
            # Search and screening by a 9-character organisation code (positions 9-17).
            models.Index(Substr("identifier", 9, 9), name="subject_organisation_code"),
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

    def save(self, *args, **kwargs):
        self.fill_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key", "name_pinyin"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The kind decides how the identifier is read (identifiers.parse_identifier): a
        resident ID for a natural person, a USCC agreeing with the kind for anyone else."""
        super().clean()
        if self.nonconforming_check and self.kind == SubjectKind.NATURAL_PERSON:
            raise ValidationError(
                {"nonconforming_check": _("Only an organisation's USCC can be nonconforming.")}
            )
        if self.nonconforming_check and not (self.nonconforming_note or "").strip():
            raise ValidationError(
                {"nonconforming_note": _("Say why this code of record does not conform.")}
            )
        try:
            parsed = identifiers.parse_identifier(
                self.identifier or "",
                kind=self.kind or None,
                nonconforming_check=self.nonconforming_check,
            )
        except identifiers.IdentifierError as exc:
            raise ValidationError(
                {"identifier": identifiers.uscc_registration_message(exc)}
            ) from exc
        self.identifier = parsed.code
        self.fill_search_keys()

    def fill_search_keys(self) -> None:
        self.name_key = names.search_key(self.name)
        self.name_pinyin = names.pinyin_key(self.name)

    @property
    def is_natural_person(self) -> bool:
        return self.kind == SubjectKind.NATURAL_PERSON

    @property
    def masked_identifier(self) -> str:
        if self.is_natural_person:
            return identifiers.mask_resident_id(self.identifier)
        return self.identifier


@pghistory.track(exclude=["name_key"])
class FormerName(models.Model):
    """A name the subject used before; renamed companies stay findable."""

    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="former_names", verbose_name=_("subject")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    name_key = models.CharField(
        max_length=names.MAX_KEY, default="", editable=False, verbose_name=_("name key")
    )
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("valid from"))
    valid_until = models.DateField(verbose_name=_("valid until"))

    objects = SearchKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("former name")
        verbose_name_plural = _("former names")
        ordering = ["-valid_until"]
        indexes = [
            GinIndex(
                name="formername_name_key_trgm", fields=["name_key"], opclasses=["gin_trgm_ops"]
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="formername_dates_ordered",
                condition=Q(valid_from__isnull=True) | Q(valid_from__lte=models.F("valid_until")),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.fill_search_keys()
        super().save(*args, **kwargs)

    def fill_search_keys(self) -> None:
        self.name_key = names.search_key(self.name)


@pghistory.track()
class FormerIdentifier(models.Model):
    """An identifier a subject had before its USCC (GB 32100 merged the business licence,
    tax registration and organisation code numbers, seed 001): older documents still cite
    them, so search and screening find the subject by them and report its current code."""

    class Scheme(models.TextChoices):
        BUSINESS_REGISTRATION = "business_registration", _("business registration number")
        ORGANISATION_CODE = "organisation_code", _("organisation code")
        TAX_REGISTRATION = "tax_registration", _("tax registration number")

    subject = models.ForeignKey(
        Subject,
        on_delete=models.CASCADE,
        related_name="former_identifiers",
        verbose_name=_("subject"),
    )
    scheme = models.CharField(max_length=32, choices=Scheme.choices, verbose_name=_("scheme"))
    value = models.CharField(max_length=20, db_index=True, verbose_name=_("value"))
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("valid from"))
    valid_until = models.DateField(null=True, blank=True, verbose_name=_("valid until"))

    class Meta:
        verbose_name = _("former identifier")
        verbose_name_plural = _("former identifiers")
        ordering = ["-valid_until"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "value", "subject"], name="formeridentifier_unique"
            ),
            models.CheckConstraint(
                name="formeridentifier_dates_ordered",
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lte=models.F("valid_until")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.value}"

    def clean(self) -> None:
        super().clean()
        self.value = identifiers.normalise(self.value or "")
        if self.scheme == self.Scheme.BUSINESS_REGISTRATION:
            if identifiers.business_registration_number(self.value) is None:
                raise ValidationError({"value": _("A business registration number has 15 digits.")})
        elif self.scheme == self.Scheme.ORGANISATION_CODE:
            if identifiers.parse_organisation_code(self.value) is None:
                raise ValidationError(
                    {"value": _("An organisation code has 8 characters and a check character.")}
                )


@pghistory.track()
class RegistrationChange(models.Model):
    """A change of a registration fact (变更记录), as GSXT lists them: what changed, from
    what to what, and when the registration authority recorded it."""

    class Item(models.TextChoices):
        NAME = "name", _("name")
        LEGAL_REPRESENTATIVE = "legal_representative", _("legal representative")
        REGISTERED_CAPITAL = "registered_capital", _("registered capital")
        COMPANY_TYPE = "company_type", _("company type")
        BUSINESS_TERM = "business_term", _("business term")
        ADDRESS = "address", _("address")
        BUSINESS_SCOPE = "business_scope", _("business scope")
        SHAREHOLDERS = "shareholders", _("shareholders")
        SENIOR_PERSONNEL = "senior_personnel", _("directors, supervisors and managers")

    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="changes", verbose_name=_("subject")
    )
    item = models.CharField(max_length=32, choices=Item.choices, verbose_name=_("changed item"))
    before = models.TextField(blank=True, verbose_name=_("before the change"))
    after = models.TextField(blank=True, verbose_name=_("after the change"))
    changed_on = models.DateField(verbose_name=_("changed on"))
    registration_authority = models.ForeignKey(
        "registry.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registration authority"),
    )

    class Meta:
        verbose_name = _("registration change")
        verbose_name_plural = _("registration changes")
        ordering = ["-changed_on", "-id"]
        indexes = [
            # Subject page and API detail: a subject's changes, newest first.
            models.Index(name="regchange_subject_date", fields=["subject", "-changed_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.item} {self.changed_on}"


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

    def is_same_or_superior_of(self, other: Agency) -> bool:
        """Whether `other` is this agency or one beneath it (parent chain, at most 4 levels)."""
        node: Agency | None = other
        for _depth in range(8):
            if node is None:
                return False
            if node.pk == self.pk:
                return True
            node = node.parent
        return False


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
    SPOT_CHECK = "spot_check", _("random spot-check result (双随机抽查)")
    CREDIT_COMMITMENT = "credit_commitment", _("credit commitment")


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


class Severity(models.TextChoices):
    """Penalty severity: decides the publicity period (NDRC order 58 of 2023, art. 9)."""

    ORDINARY = "ordinary", _("ordinary")
    SERIOUS = "serious", _("serious")


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
    requires_review = models.BooleanField(
        default=True,
        help_text=_(
            "Negative records of this item are published only once a reviewer of the filing "
            "agency confirms them (maker-checker)."
        ),
        verbose_name=_("requires review"),
    )
    entitled_agencies = models.ManyToManyField(
        Agency,
        blank=True,
        related_name="entitled_catalogue_items",
        help_text=_("Agencies entitled by law to read this item's restricted records."),
        verbose_name=_("entitled agencies"),
    )
    min_publicity_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Earliest month a penalty record may be repaired (ordinary severity)."),
        verbose_name=_("min publicity months"),
    )
    serious_min_publicity_months = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("serious min publicity months")
    )
    serious_publicity_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Maximum publicity of a serious penalty."),
        verbose_name=_("serious publicity months"),
    )
    publicity_source = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Where the publicity periods come from."),
        verbose_name=_("publicity source"),
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
        for low, high in (
            ("min_publicity_months", "publicity_months"),
            ("serious_min_publicity_months", "serious_publicity_months"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValidationError({low: _("The minimum publicity cannot exceed the maximum.")})

    def publicity_for(self, severity: str) -> tuple[int | None, int | None]:
        """(minimum, maximum) publicity in months for a record of this severity."""
        if severity == Severity.SERIOUS and self.serious_publicity_months:
            return self.serious_min_publicity_months, self.serious_publicity_months
        return self.min_publicity_months, self.publicity_months


class CreditRecordStatus(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    CONFIRMED = "confirmed", _("confirmed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class CreditRecordQuerySet(models.QuerySet):
    def in_effect(self, at: datetime.date | None = None) -> CreditRecordQuerySet:
        """Confirmed, not withdrawn, in its publicity period (repaired records included: agencies
        still see them, marked repaired)."""
        at = at or timezone.localdate()
        return self.filter(status=CreditRecordStatus.CONFIRMED).filter(
            Q(publicity_ends_on__isnull=True) | Q(publicity_ends_on__gt=at)
        )

    def published(self, at: datetime.date | None = None) -> CreditRecordQuerySet:
        """What publication (portal, reports, exports) may show: in effect and not repaired."""
        return self.in_effect(at).filter(repaired_at__isnull=True)

    def visible_to_public(self, at: datetime.date | None = None) -> CreditRecordQuerySet:
        return self.published(at).filter(catalogue_item__visibility=CatalogueItem.Visibility.PUBLIC)

    def visible_to_agency(self, agency: Agency | None) -> CreditRecordQuerySet:
        """Public and government data for any agency; restricted data only for its supplier."""
        if agency is None:
            return self.visible_to_public()
        return self.filter(
            ~Q(catalogue_item__visibility=CatalogueItem.Visibility.RESTRICTED) | Q(agency=agency)
        )

    def for_agency(self, agency: Agency) -> CreditRecordQuerySet:
        """Records an agency's staff manage: those it decided or supplied."""
        return self.filter(Q(agency=agency) | Q(supplier=agency))

    def late(self) -> CreditRecordQuerySet:
        return self.filter(on_time=False)


# Statement-level history triggers: one INSERT … SELECT into the event table per statement,
# from its transition table, with the audit context attached once (a row-level trigger ran a
# plpgsql function and an upsert of the context per row: 10 000 per bulk batch).
@pghistory.track(level=pghistory.Statement)
class CreditRecord(models.Model):
    """A credit record held against a subject; licences and penalties are 'double publicity'.

    Written only through `registry.services` (`credit_record_create/confirm/correct/withdraw`).
    """

    Status = CreditRecordStatus

    # No single-column index: creditrecord_subject_date (subject, -decision_date) serves every
    # lookup by subject, and each index less is one less write per record of a bulk batch.
    subject = models.ForeignKey(
        Subject,
        on_delete=models.PROTECT,
        related_name="credit_records",
        verbose_name=_("subject"),
        db_index=False,
    )
    catalogue_item = models.ForeignKey(
        CatalogueItem, on_delete=models.PROTECT, verbose_name=_("catalogue item")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="credit_records",
        help_text=_("The deciding agency."),
        verbose_name=_("agency"),
    )
    # No single-column index: creditrecord_supplier_ontime (supplier, on_time) serves it.
    supplier = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="supplied_credit_records",
        help_text=_("The agency that filed the record (the deciding agency or its superior)."),
        verbose_name=_("supplier"),
    )
    decision_number = models.CharField(
        max_length=100, blank=True, verbose_name=_("decision number")
    )
    decision_date = models.DateField(
        validators=[plausible_decision_date], verbose_name=_("decision date")
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    content = models.TextField(validators=[facts_length], verbose_name=_("content"))
    legal_basis = models.CharField(max_length=500, blank=True, verbose_name=_("legal basis"))
    severity = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, verbose_name=_("severity")
    )
    penalty_kind = models.CharField(max_length=100, blank=True, verbose_name=_("penalty kind"))
    amount_yuan = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, verbose_name=_("amount yuan")
    )
    licence_kind = models.CharField(max_length=100, blank=True, verbose_name=_("licence kind"))
    valid_from = models.DateField(null=True, blank=True, verbose_name=_("valid from"))
    valid_until = models.DateField(null=True, blank=True, verbose_name=_("valid until"))
    publicity_ends_on = models.DateField(null=True, blank=True, verbose_name=_("publicity ends on"))
    # Existing rows were published before review existed; services always set this explicitly.
    status = models.CharField(
        max_length=16,
        choices=CreditRecordStatus.choices,
        default=CreditRecordStatus.CONFIRMED,
        verbose_name=_("status"),
    )
    confirmed_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))
    due_by = models.DateField(
        null=True,
        blank=True,
        help_text=_("7 working days after the decision (double publicity)."),
        verbose_name=_("due by"),
    )
    on_time = models.BooleanField(null=True, blank=True, verbose_name=_("on time"))
    withdrawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("withdrawn at"))
    withdrawal_document = models.CharField(
        max_length=100, blank=True, verbose_name=_("withdrawal document")
    )
    withdrawal_reason = models.TextField(blank=True, verbose_name=_("withdrawal reason"))
    repaired_at = models.DateTimeField(null=True, blank=True, verbose_name=_("repaired at"))
    # Rows from before the (deciding agency, item, decision number) key was enforced.
    legacy_unkeyed = models.BooleanField(
        default=False, editable=False, verbose_name=_("legacy unkeyed")
    )
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
            # Subject page and agency file: a subject's records newest first.
            models.Index(name="creditrecord_subject_date", fields=["subject", "-decision_date"]),
            # An agency's own late records (GET /api/v1/credit-records/?late=1) and /stats/.
            models.Index(name="creditrecord_supplier_ontime", fields=["supplier", "on_time"]),
        ]
        constraints = [
            # Idempotency key of the collection API: one record per decision.
            models.UniqueConstraint(
                name="creditrecord_one_per_decision",
                fields=["agency", "catalogue_item", "decision_number"],
                condition=Q(legacy_unkeyed=False) & ~Q(decision_number=""),
            ),
            models.CheckConstraint(
                name="creditrecord_status_known",
                condition=Q(status__in=CreditRecordStatus.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.decision_number})"

    @property
    def is_published(self) -> bool:
        return (
            self.status == CreditRecordStatus.CONFIRMED
            and self.repaired_at is None
            and (self.publicity_ends_on is None or self.publicity_ends_on > timezone.localdate())
        )

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
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValidationError({"valid_until": _("A licence cannot end before it starts.")})
        if self.amount_yuan is not None and self.amount_yuan < 0:
            raise ValidationError({"amount_yuan": _("An amount cannot be negative.")})
        forbidden = forbidden_term_in(f"{self.title} {self.content}")
        if forbidden:
            raise ValidationError(
                {
                    "content": _(
                        "Credit records may not hold religious, biometric, genetic, medical or "
                        "political information (found '%(term)s')."
                    )
                    % {"term": forbidden}
                }
            )
        if item and self.decision_date and not self.publicity_ends_on:
            _minimum, maximum = item.publicity_for(self.severity)
            if maximum:
                self.publicity_ends_on = add_months(self.decision_date, maximum)


class CreditRecordChange(models.Model):
    """Append-only outbox of what happened to a credit record, written in the same transaction
    as the change. Agencies holding copies read it as a feed (by id); nothing is lost if a
    worker or the broker is down, because the row is the message."""

    class Kind(models.TextChoices):
        FILED = "filed", _("filed")
        PUBLISHED = "published", _("published")
        CORRECTED = "corrected", _("corrected")
        WITHDRAWN = "withdrawn", _("withdrawn")
        REPAIRED = "repaired", _("repaired")

    # What agencies holding a copy hear of through their feed (sanctions' SanctionEvent).
    TO_HOLDERS = (Kind.CORRECTED, Kind.WITHDRAWN, Kind.REPAIRED)

    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="changes", verbose_name=_("record")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("actor")
    )
    reason = models.CharField(max_length=500, blank=True, verbose_name=_("reason"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))

    class Meta:
        verbose_name = _("credit record change")
        verbose_name_plural = _("credit record changes")
        ordering = ["id"]
        indexes = [
            # The agency feed's sweep: changes that holders of copies must hear of, oldest
            # first (`WHERE kind IN (…) ORDER BY id`); filings and publications are most rows.
            models.Index(
                name="creditrecordchange_to_holders",
                fields=["id"],
                condition=Q(kind__in=["corrected", "withdrawn", "repaired"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} record {self.record_id}"


# The history table keeps the record's foreign keys as plain columns (pghistory: no constraint,
# DO_NOTHING). Only `pgh_obj_id` (a record's versions) and `pgh_context_id` (who, why) are
# read; an index per copied key was six more index writes per history row, ≈45 % of the
# history INSERT of a 10 000-record batch (EXPLAIN ANALYZE, 12 000 rows: 735-1227 ms with
# them, 440-510 ms without, at load 15).
for _name in ("agency", "catalogue_item", "confirmed_by", "created_by", "subject", "supplier"):
    CreditRecord.events.rel.related_model._meta.get_field(_name).db_index = False


# What a penalty record's repair application shows (NDRC Order No. 58 of 2023: the penalty
# was carried out, the violation corrected, and a credit commitment signed). Codes shared with
# the lists' repair conditions, so the portal labels them the same way.
RECORD_REPAIR_CONDITIONS = ("obligation_met", "proof_of_correction", "credit_commitment")
# Their labels, in the words of the lists' RepairCondition (same msgids, same translations).
RECORD_REPAIR_CONDITION_LABELS = {
    "obligation_met": _("proof the obligation is met"),
    "proof_of_correction": _("proof the violation was corrected"),
    "credit_commitment": _("written credit commitment"),
}
RECORD_REPAIR_WORKING_DAYS = 10


def record_repair_evidence_path(instance, filename: str) -> str:
    # Random name, no user-supplied part, outside MEDIA_ROOT (see private_storage).
    return f"record-repairs/{uuid.uuid4().hex}"


def private_storage() -> FileSystemStorage:
    """Outside MEDIA_ROOT and any URL: evidence is personal data, served only through views
    that check permission."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


@pghistory.track()
class RecordRepair(models.Model):
    """A credit repair application for a penalty record (信用修复), decided by the deciding
    agency within 10 working days."""

    class Status(models.TextChoices):
        # The same codes as the lists' objections and repairs, so the portal shows them alike.
        PENDING = "pending", _("pending")
        GRANTED = "upheld", _("granted")
        REFUSED = "rejected", _("refused")

    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="repairs", verbose_name=_("record")
    )
    tracking_number = models.CharField(
        max_length=32, unique=True, verbose_name=_("tracking number")
    )
    applicant_name = models.CharField(max_length=200, verbose_name=_("applicant name"))
    contact = models.CharField(max_length=200, verbose_name=_("contact"))
    conditions_met = ArrayField(
        models.CharField(max_length=32), default=list, blank=True, verbose_name=_("conditions met")
    )
    statement = models.TextField(verbose_name=_("statement"))
    evidence = models.FileField(
        upload_to=record_repair_evidence_path,
        storage=private_storage,
        blank=True,
        verbose_name=_("evidence"),
    )
    filed_at = models.DateTimeField(default=timezone.now, verbose_name=_("filed at"))
    decide_by = models.DateField(verbose_name=_("decide by"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    is_overdue = models.BooleanField(default=False, verbose_name=_("is overdue"))
    decision_reasons = models.TextField(blank=True, verbose_name=_("decision reasons"))
    decided_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("record repair")
        verbose_name_plural = _("record repairs")
        ordering = ["-filed_at"]
        indexes = [
            # The overdue sweep: pending applications by due date.
            models.Index(
                name="recordrepair_pending_due",
                fields=["decide_by"],
                condition=Q(status="pending"),
            )
        ]
        constraints = [
            # At most one open application per record.
            models.UniqueConstraint(
                name="recordrepair_one_pending",
                fields=["record"],
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return self.tracking_number


def forbidden_term_in(text: str) -> str | None:
    """The first forbidden phrase (FORBIDDEN_TERMS) found in `text`, else None."""
    lowered = f"{text} ".lower()
    return next((term for term in FORBIDDEN_TERMS if term in lowered), None)


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


@pghistory.track()
class CalendarDay(models.Model):
    """An exception to the Monday-Friday working week: a public holiday (放假) or a weekend
    day worked instead (调休上班), from the State Council General Office's yearly notice on
    holiday arrangements. Every working-day deadline reads it through
    `registry.workdays.add_working_days`. Loaded from `registry/data/holidays_cn.csv` by a
    migration; the operator adds the next year's days in the admin when the notice appears
    (usually in November)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday (no work)")
        WORKING_DAY = "working_day", _("adjusted working day (weekend day worked)")

    date = models.DateField(unique=True, verbose_name=_("date"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    name = models.CharField(
        max_length=40, help_text=_("The holiday, e.g. 国庆节."), verbose_name=_("name")
    )
    source = models.CharField(
        max_length=300,
        help_text=_("The notice that sets the day, with its document number and date."),
        verbose_name=_("source"),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name} ({self.get_kind_display()})"
