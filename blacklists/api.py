"""Lists API: read list definitions, draft entries and move them through due process."""

from __future__ import annotations

import unicodedata

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from blacklists import selectors, services
from blacklists.models import (
    EntryState,
    ListDefinition,
    ListEntry,
    ListGround,
    NoticeChannel,
    SeverityTier,
)
from registry.api import (
    UPGRADED_FROM_15,
    DecisionDateField,
    IdentifierField,
    RevealMixin,
    upgraded_from_15_digits,
)
from registry.models import Subject
from scs.api import (
    KeysetPagination,
    StrictBooleanFilter,
    StrictCharField,
    VocabularyField,
    idempotent,
    raise_invalid,
    register_vocabulary,
    schema_from_data,
)


class GroundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListGround
        fields = ["code", "text", "text_en", "legal_basis"]


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = SeverityTier
        fields = ["tier", "min_months", "max_months"]


class ListDefinitionSerializer(serializers.ModelSerializer):
    owner = StrictCharField(source="owner.subject.identifier")
    owner_name = StrictCharField(source="owner.subject.name")
    grounds = GroundSerializer(many=True)
    tiers = TierSerializer(many=True)

    class Meta:
        model = ListDefinition
        fields = [
            "id",
            "key",
            "kind",
            "name",
            "name_en",
            "owner",
            "owner_name",
            "legal_basis_instrument",
            "legal_basis_article",
            "subject_kinds",
            "is_public",
            "publicity_months",
            "objection_window_days",
            "decision_deadline_working_days",
            "immediate_publication_basis",
            "hold_while_objection_pending",
            "may_trigger_joint_measures",
            "is_derived",
            "repair_conditions",
            "grounds",
            "tiers",
        ]


class ListEntrySerializer(RevealMixin, serializers.ModelSerializer):
    list = serializers.SlugRelatedField(slug_field="key", read_only=True)
    subject_identifier = serializers.SerializerMethodField()
    subject_name = StrictCharField(source="subject.name")
    ground = StrictCharField(source="ground.code")
    ground_text = StrictCharField(source="ground.text")
    ground_legal_basis = StrictCharField(source="ground.legal_basis")
    tier = StrictCharField(source="tier.tier")

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "list",
            "subject_identifier",
            "subject_name",
            "ground",
            "ground_text",
            "ground_legal_basis",
            "tier",
            "duration_months",
            "state",
            "decision_number",
            "decision_date",
            "decision_issuer",
            "facts",
            "submitted_at",
            "approved_at",
            "notified_at",
            "notified_via",
            "objection_window_ends_at",
            "published_at",
            "starts_on",
            "ends_on",
            "publicity_ends_on",
            "ended_at",
            "end_reason",
            "end_note",
        ]

    def get_subject_identifier(self, entry) -> str:
        return self.identifier_of(entry.subject)


@register_vocabulary("lists")
def _list_keys() -> list[str]:
    return list(ListDefinition.objects.values_list("key", flat=True))


@register_vocabulary("grounds")
def _ground_codes() -> list[str]:
    return list(ListGround.objects.values_list("code", flat=True).distinct())


@register_vocabulary("tiers")
def _tier_names() -> list[str]:
    return list(SeverityTier.objects.values_list("tier", flat=True).distinct())


@extend_schema_field({"type": "string", "x-vocabulary": "lists"})
class _ListKeyField(serializers.SlugRelatedField):
    """A list by its key; bulk import passes the lists it loaded once as
    context["definitions"] (key -> definition), an unknown key is looked up as usual."""

    def to_internal_value(self, data):
        known = self.context.get("definitions")
        if known is not None and isinstance(data, str) and data in known:
            return known[data]
        if not isinstance(data, str):  # DRF would say: object with key={'a': 1} does not exist
            raise serializers.ValidationError(gettext("Not a valid string."))
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(
                gettext("No list with the key or name “%(value)s”.") % {"value": data}
            ) from None


def _code_key(value: str) -> str:
    """A code or name as typed compared as written: NFKC (full width to ASCII), trimmed,
    upper case."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


class ListEntryCreateSerializer(serializers.Serializer):
    """Context for bulk import (nothing queried per row): "definitions" (key -> list with
    its grounds and tiers prefetched) and "subjects" (identifier -> subject, every
    identifier of the file looked up in one query)."""

    list = _ListKeyField(slug_field="key", queryset=ListDefinition.objects.all())
    subject_identifier = IdentifierField(max_length=40)
    ground = VocabularyField(
        vocabulary="grounds", max_length=32, help_text="A ground code of the list"
    )
    tier = VocabularyField(vocabulary="tiers", max_length=32, help_text="A tier of the list")
    duration_months = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    decision_number = StrictCharField(max_length=100)
    decision_date = DecisionDateField()
    decision_issuer = StrictCharField(max_length=200)
    facts = StrictCharField()

    def validate(self, attrs):
        definition = attrs["list"]
        errors = {}
        subjects = self.context.get("subjects")
        if subjects is not None:
            subject = subjects.get(attrs["subject_identifier"])
        else:
            subject = Subject.objects.filter(identifier=attrs["subject_identifier"]).first()
        if subject is None:
            message = gettext("No subject with this identifier is registered.")
            errors["subject_identifier"] = [message]
        ground, tier, choice_errors = self.list_choices(definition, attrs["ground"], attrs["tier"])
        errors.update(choice_errors)
        if errors:
            raise serializers.ValidationError(errors)
        return {**attrs, "subject": subject, "ground": ground, "tier": tier}

    @staticmethod
    def list_choices(definition, ground_raw: str, tier_raw: str) -> tuple:
        """(ground, tier, errors) of the list as typed; bulk import also calls it for a row
        whose other fields failed, so that its report lists every problem at once."""
        errors = {}
        grounds = {g.code: g for g in definition.grounds.all()}
        # Codes as typed in Chinese Excel: full width (ＳＰＣ－１), lower case, spaced.
        by_code = {_code_key(code): g for code, g in grounds.items()}
        ground = grounds.get(ground_raw) or by_code.get(_code_key(ground_raw))
        if ground is None:
            message = gettext("Not a ground of this list (choose from: %(codes)s).")
            errors["ground"] = [message % {"codes": ", ".join(grounds)}]
        tiers = {t.tier: t for t in definition.tiers.all()}
        # A tier by its key (serious) or its name in either language (严重).
        by_name = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for t in tiers.values():
                    by_name.setdefault(_code_key(str(t.get_tier_display())), t)
        wanted = _code_key(tier_raw)
        tier = tiers.get(tier_raw) or tiers.get(wanted.lower()) or by_name.get(wanted)
        if tier is None:
            message = gettext("Not a tier of this list (choose from: %(tiers)s).")
            names = [f"{key}（{t.get_tier_display()}）" for key, t in tiers.items()]
            errors["tier"] = [message % {"tiers": ", ".join(names)}]
        return ground, tier, errors


def draft_from_input(*, actor, validated: dict, reason: str = "entry drafted") -> ListEntry:
    """Draft an entry from ListEntryCreateSerializer data (API and bulk import). The service
    speaks of `subject`; the input calls it `subject_identifier`, so errors are renamed."""
    try:
        return services.list_entry_create(
            actor=actor,
            definition=validated["list"],
            subject=validated["subject"],
            ground=validated["ground"],
            tier=validated["tier"],
            duration_months=validated.get("duration_months"),
            decision_number=validated["decision_number"],
            decision_date=validated["decision_date"],
            decision_issuer=validated["decision_issuer"],
            facts=validated["facts"],
            reason=reason,
        )
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict") and "subject" in exc.error_dict:
            exc.error_dict["subject_identifier"] = exc.error_dict.pop("subject")
        raise


class ListEntryFilter(django_filters.FilterSet):
    list = django_filters.CharFilter(field_name="list__key")
    subject = django_filters.CharFilter(field_name="subject__identifier")

    class Meta:
        model = ListEntry
        fields = ["list", "state", "subject"]


class ListDefinitionFilter(django_filters.FilterSet):
    is_public = StrictBooleanFilter()

    class Meta:
        model = ListDefinition
        fields = ["kind", "is_public"]


class ListDefinitionList(generics.ListAPIView):
    serializer_class = ListDefinitionSerializer
    filterset_class = ListDefinitionFilter

    def get_queryset(self):
        return selectors.list_definitions()


class ListEntryListCreate(generics.ListAPIView):
    """`GET`: the caller's own entries in every state, others' once published.
    `POST`: draft an entry on one of the caller's agency's lists."""

    serializer_class = ListEntrySerializer
    filterset_class = ListEntryFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no agency
            return ListEntry.objects.none()
        return selectors.entries_visible_to(self.request.user)

    @extend_schema(
        request=ListEntryCreateSerializer,
        responses={201: ListEntrySerializer},
    )
    @idempotent
    def post(self, request):
        data = ListEntryCreateSerializer(data=request.data)
        if not data.is_valid():
            raw = request.data.get("subject_identifier") if hasattr(request.data, "get") else None
            raise_invalid(data.errors, references={"subject_identifier": raw})
        entry = draft_from_input(actor=request.user, validated=data.validated_data)
        body = ListEntrySerializer(entry, context=self.get_serializer_context()).data
        if upgraded_from_15_digits(request.data.get("subject_identifier")):
            body["identifier_upgraded_from"] = UPGRADED_FROM_15
        return Response(body, status=status.HTTP_201_CREATED)


class ListEntryDetail(generics.RetrieveAPIView):
    serializer_class = ListEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no agency
            return ListEntry.objects.none()
        return selectors.entries_visible_to(self.request.user)


class TransitionInput(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="")


class NotifyInput(TransitionInput):
    via = serializers.ChoiceField(choices=NoticeChannel.choices)
    reference = StrictCharField(max_length=200)
    notified_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RevokeInput(TransitionInput):
    reason = StrictCharField()


def _transition(action: str, input_serializer=TransitionInput):
    service = {
        "submit": services.list_entry_submit,
        "approve": services.list_entry_approve,
        "notify": services.list_entry_notify,
        "publish": services.list_entry_publish,
        "revoke": services.list_entry_revoke,
        "return": services.list_entry_return,
    }[action]

    class Transition(APIView):
        @extend_schema(
            request=input_serializer,
            responses={200: ListEntrySerializer},
            operation_id=f"list_entry_{action}",
            summary=f"{action.capitalize()} a list entry",
        )
        @idempotent
        def post(self, request, pk):
            # Only the owning agency's entries: others' are simply not found.
            entry = get_object_or_404(selectors.entries_editable_by(request.user), pk=pk)
            data = input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            kwargs = dict(data.validated_data)
            if action == "notify":
                kwargs.pop("reason", None)
            entry = service(actor=request.user, entry=entry, **kwargs)
            return Response(ListEntrySerializer(entry, context={"request": request}).data)

    Transition.__name__ = f"ListEntry{action.capitalize()}"
    return Transition


TRANSITIONS = {
    "submit": _transition("submit"),
    "approve": _transition("approve"),
    "notify": _transition("notify", NotifyInput),
    "publish": _transition("publish"),
    "revoke": _transition("revoke", RevokeInput),
    "return": _transition("return", RevokeInput),
}

__all__ = ["EntryState", "TRANSITIONS"]


# --- bulk import for agency systems (blacklists.importing) ---------------------------------


class ImportInput(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


class ListEntryImport(APIView):
    """`POST` multipart `file` (CSV in UTF-8/GBK/GB18030, or XLSX) and `dry_run`: drafts
    one entry per row on the caller's agency's lists, all rows or none. Answers
    `{"rows": N, "created": [ids], "errors": [{"row", "field", "column", "message"}]}`,
    400 when any row is bad (nothing is created)."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImportInput}, responses={200: dict})
    def post(self, request):
        from blacklists import importing

        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = importing.import_list_entries(
            actor=request.user,
            content=upload.read(),
            filename=upload.name,
            dry_run=data.validated_data["dry_run"],
        )
        body = {
            "rows": result.rows,
            "dry_run": result.dry_run,
            "created": result.created_ids,
            "errors": [e.as_dict() for e in result.errors],
            "notes": [e.as_dict() for e in result.notes],
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST if result.errors else 200)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ListEntryImportTemplate(APIView):
    """`GET …/import/template.csv` or `.xlsx`: the columns and one example row valid for the
    caller's agency (the XLSX adds a sheet of valid list keys, grounds and tiers)."""

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
        }
    )
    def get(self, request, fmt: str):
        from django.http import HttpResponse

        from blacklists import importing

        agency = getattr(request.user, "agency", None)
        if fmt == "csv":
            content, mime = importing.template_csv(agency), "text/csv; charset=utf-8"
        else:
            content = importing.template_xlsx(agency)
            mime = XLSX
        response = HttpResponse(content, content_type=mime)
        response["Content-Disposition"] = f'attachment; filename="list-entries-template.{fmt}"'
        return response


@schema_from_data
def list_entry_variants(result, generator, request, public):
    """drf-spectacular postprocessing hook: the body of `POST /api/v1/list-entries/` as one
    variant per (list, tier) in force (`oneOf`), each naming the list's grounds and the tier's
    range of months (SeverityTier.min_months..max_months): which ground and duration are valid
    depends on the list and the tier, which one flat schema cannot say. Read from the database
    when the schema is generated."""
    import copy

    schemas = result.get("components", {}).get("schemas", {})
    base = schemas.get("ListEntryCreateRequest")
    if not base or "properties" not in base:
        return result
    variants = []
    definitions = ListDefinition.objects.prefetch_related("grounds", "tiers").order_by("key")
    for definition in definitions:
        grounds = sorted(g.code for g in definition.grounds.all())
        if not grounds:
            continue
        for tier in sorted(definition.tiers.all(), key=lambda t: t.tier):
            properties = copy.deepcopy(base["properties"])
            properties["list"] = {**properties["list"], "enum": [definition.key]}
            properties["ground"] = {**properties["ground"], "enum": grounds}
            properties["tier"] = {**properties["tier"], "enum": [tier.tier]}
            months = {**properties["duration_months"], "minimum": tier.min_months}
            if tier.max_months is not None:
                months["maximum"] = tier.max_months
            properties["duration_months"] = months
            variant = {**base, "properties": properties}
            variant.pop("description", None)
            variants.append(variant)
    if variants:
        schemas["ListEntryCreateRequest"] = {
            "oneOf": variants,
            "description": base.get("description", "")
            + " One variant per list and tier: the ground must be one of the list's, the "
            "duration within the tier's months.",
        }
    return result
