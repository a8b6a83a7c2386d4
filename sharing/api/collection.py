"""Collection: agencies supply credit records (issue 12).

Every write goes through `registry.services.credit_record_*`, the same services as the admin.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import selectors as registry_selectors
from registry import services
from registry.api import AgencyReference, DecisionDateField, IdentifierReference
from registry.credit_records import CORRECTABLE, RecordConflict
from registry.models import Agency, CatalogueItem, CreditRecord, RecordType
from scs.api import (
    LIMIT_1_1000,
    ClosedInputSerializer,
    FastJSONRenderer,
    KeysetPagination,
    StrictCharField,
    VocabularyField,
    idempotent,
    raise_invalid,
    register_vocabulary,
    schema_from_data,
)
from sharing import parsing
from sharing.selectors import record_row


@register_vocabulary("catalogue_items")
def _catalogue_codes() -> list[str]:
    return list(CatalogueItem.objects.values_list("code", flat=True))


def _agency_of(request) -> Agency:
    agency = getattr(request.user, "agency", None)
    if agency is None:
        raise PermissionDenied(gettext("Credit records are supplied by an agency's token."))
    return agency


def record_body(record: CreditRecord, request) -> dict:
    """A record as its supplier sees it: the shared fields plus review and timeliness."""
    body = record_row(record)
    reveal = registry_selectors.may_view_personal_ids(request.user)
    body.update(
        {
            "subject_identifier": registry_selectors.display_identifier(
                record.subject, reveal=reveal
            ),
            "subject_name": record.subject.name,
            "status": record.status,
            "received_at": record.created_at,
            "due_by": record.due_by,
            "on_time": record.on_time,
            "withdrawn_at": record.withdrawn_at,
            "url": reverse("credit-record-detail", args=[record.pk]),
        }
    )
    return body


def _records():
    return CreditRecord.objects.select_related("catalogue_item", "agency__subject", "subject")


class PenaltyInput(ClosedInputSerializer):
    kind = StrictCharField(required=False, allow_blank=True, max_length=100)
    amount_yuan = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    severity = serializers.ChoiceField(choices=["ordinary", "serious"], required=False)


class LicenceInput(ClosedInputSerializer):
    kind = StrictCharField(required=False, allow_blank=True, max_length=100)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)


class CreditRecordInput(ClosedInputSerializer):
    """The body of `POST /api/v1/credit-records/` (one row of the bulk endpoint), for the
    schema: sharing.parsing.parse_row reads and checks it (every error of the row at once);
    codes must name a registered subject, a catalogue item and an agency."""

    subject_identifier = IdentifierReference(max_length=40)
    catalogue_item = VocabularyField(vocabulary="catalogue_items", max_length=32)
    decision_number = StrictCharField(max_length=100)
    decision_date = DecisionDateField()
    deciding_agency = AgencyReference(required=False, allow_blank=True, max_length=40)
    title = StrictCharField(required=False, allow_blank=True, max_length=200)
    content = StrictCharField(max_length=20_000)
    legal_basis = StrictCharField(required=False, allow_blank=True, max_length=500)
    penalty = PenaltyInput(required=False, allow_null=True)
    licence = LicenceInput(required=False, allow_null=True)


class CatalogueItemSerializer(serializers.ModelSerializer):
    supplying_agencies = serializers.SerializerMethodField()
    entitled_agencies = serializers.SerializerMethodField()

    class Meta:
        model = CatalogueItem
        fields = [
            "code",
            "name",
            "name_en",
            "category",
            "visibility",
            "record_type",
            "supplying_agencies",
            "entitled_agencies",
            "legal_basis",
            "requires_review",
            "publicity_months",
            "min_publicity_months",
            "serious_min_publicity_months",
            "serious_publicity_months",
            "publicity_source",
        ]

    def get_supplying_agencies(self, item) -> list[str]:
        return [item.supplying_agency.subject.identifier]

    def get_entitled_agencies(self, item) -> list[str]:
        return [a.subject.identifier for a in item.entitled_agencies.all()]


class CatalogueList(generics.ListAPIView):
    """`GET /api/v1/catalogue/`: every item the platform may hold (the catalogue is public
    knowledge for every agency)."""

    serializer_class = CatalogueItemSerializer
    pagination_class = None

    def get_queryset(self):
        entitled = Prefetch("entitled_agencies", queryset=Agency.objects.select_related("subject"))
        return (
            CatalogueItem.objects.select_related("supplying_agency__subject")
            .prefetch_related(entitled)
            .order_by("code")
        )


class RecordOut(serializers.Serializer):
    def to_representation(self, record):
        return record_body(record, self.context["request"])


class CreditRecordListCreate(generics.ListAPIView):
    """`GET` the caller's agency's records (`?late=true` for those supplied after 7 working
    days, `?status=pending|confirmed|withdrawn`); `POST` one record."""

    serializer_class = RecordOut
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditRecord.objects.none()
        agency = _agency_of(self.request)
        qs = _records().for_agency(agency)
        # No FilterSet here: refuse what would otherwise be ignored and widen the answer.
        known = {"late", "status", "cursor", "page_size", "format"}
        unknown = sorted(set(self.request.query_params) - known)
        if unknown:
            raise DRFValidationError({name: [gettext("Unknown parameter.")] for name in unknown})
        if _flag(self.request, "late"):
            qs = qs.late()
        state = self.request.query_params.get("status")
        if state:
            if state not in CreditRecord.Status.values:
                raise DRFValidationError(
                    {
                        "status": [
                            gettext("One of: %(values)s.")
                            % {"values": ", ".join(CreditRecord.Status.values)}
                        ]
                    }
                )
            qs = qs.filter(status=state)
        return qs

    @extend_schema(
        request={"application/json": CreditRecordInput},
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT},
    )
    @idempotent
    def post(self, request):
        _agency_of(request)
        row = request.data
        if not isinstance(row, dict):
            raise DRFValidationError(
                {"non_field_errors": [gettext("Send one record as a JSON object.")]}
            )
        parsed = parsing.parse_row(row, parsing.Lookups.for_rows([row]))
        if isinstance(parsed, dict):
            refs = {k: row.get(k) for k in ("subject_identifier", "deciding_agency")}
            raise_invalid(parsed, references=refs)
        try:
            record, created = services.credit_record_create(actor=request.user, data=parsed)
        except RecordConflict as exc:
            return conflict_response(exc.record, exc.differences)
        record = _records().get(pk=record.pk)
        return Response(
            record_body(record, request),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def conflict_response(record: CreditRecord, differences: list[str]) -> Response:
    correct = reverse("credit-record-correct", args=[record.pk])
    return Response(
        {
            "detail": gettext(
                "This decision is already recorded with different values; to change it, send a "
                "correction to %(url)s."
            )
            % {"url": correct},
            "errors": {name: [gettext("Differs from the recorded value.")] for name in differences},
            "record": record.pk,
            "correct": correct,
        },
        status=status.HTTP_409_CONFLICT,
    )


def _flag(request, name: str) -> bool:
    """A boolean query parameter: absent is false; true/false (or 1/0) otherwise, anything
    else a 400 naming it (a misspelt `dry_run=ture` must not write)."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in ("1", "true", "0", "false"):
        raise DRFValidationError({name: [gettext("Use true or false.")]})
    return value in ("1", "true")


class BulkRowOutcome(serializers.Serializer):
    row = serializers.IntegerField()
    outcome = serializers.CharField(help_text="created, unchanged, conflict or invalid")
    id = serializers.IntegerField(required=False)
    errors = serializers.DictField(required=False, help_text="field -> message(s)")
    correct = serializers.CharField(required=False)


class BulkOutcome(serializers.Serializer):
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    results = BulkRowOutcome(many=True)


class CreditRecordBulk(APIView):
    """`POST /api/v1/credit-records/bulk/?dry_run=true&all_or_nothing=true`: up to 10 000
    records as a JSON array or JSON Lines (`Content-Type: application/x-ndjson`)."""

    # 10 000 per-row outcomes: orjson (the same JSON as DRF's encoder, several times faster).
    renderer_classes = [FastJSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        # Rows are checked one by one and answered one by one (200 with an outcome per row,
        # not 207 and not a 400 for the batch): the body's contract is an array of up to
        # 10 000 objects; each row's own contract is CreditRecordInput, and a row breaking it
        # is reported in `results` as `invalid` with its errors.
        request={
            "application/json": {
                "type": "array",
                "maxItems": parsing.MAX_BATCH,
                # Any JSON value per row: a row that is not a record object is answered in
                # `results` (outcome `invalid`), like any other bad row.
                "items": {},
                "description": "Rows as the body of POST /api/v1/credit-records/; each row "
                "is checked and answered on its own.",
            }
        },
        parameters=[
            OpenApiParameter("dry_run", bool, description="Validate only; write nothing."),
            OpenApiParameter("all_or_nothing", bool, description="Any bad row: write nothing."),
        ],
        responses={
            200: OpenApiResponse(
                BulkOutcome,
                description="Every row answered: `results[i].outcome` is created, unchanged, "
                "conflict (with `correct`, the correction URL) or invalid (with `errors`); "
                "`written` says whether anything was stored. A 400 only when the body is "
                "not a JSON array (or JSON Lines) of at most 10 000 rows.",
            ),
        },
    )
    def post(self, request):
        _agency_of(request)
        try:
            rows = parsing.parse_body(request.body, request.content_type or "")
        except parsing.BatchError as exc:
            raise DRFValidationError({"records": [str(exc)]}) from exc
        lookups = parsing.Lookups.for_rows(rows)
        parsed = [parsing.parse_row(row, lookups) for row in rows]
        dry_run = _flag(request, "dry_run")
        try:
            outcomes = services.credit_records_create_bulk(
                actor=request.user,
                rows=parsed,
                dry_run=dry_run,
                all_or_nothing=_flag(request, "all_or_nothing"),
                fields_checked=True,  # sharing.parsing checked every field of every row
            )
        except IntegrityError:
            # A concurrent request stored some of the same decisions first; nothing of this
            # batch was written. Resending answers row by row (unchanged or conflict).
            return Response(
                {
                    "detail": gettext(
                        "Another request stored some of these records meanwhile; resend."
                    )
                },
                status=status.HTTP_409_CONFLICT,
            )
        results, counts = [], {}
        for number, outcome in enumerate(outcomes, start=1):
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            row = {"row": number, "outcome": outcome.status}
            if outcome.record is not None and outcome.record.pk:
                row["id"] = outcome.record.pk
            if outcome.errors:
                row["errors"] = outcome.errors
            if outcome.status == "conflict":
                row["correct"] = reverse("credit-record-correct", args=[outcome.record.pk])
            results.append(row)
        written = not dry_run and not (
            _flag(request, "all_or_nothing") and (counts.get("invalid") or counts.get("conflict"))
        )
        return Response(
            {"dry_run": dry_run, "written": written, "counts": counts, "results": results}
        )


class CreditRecordDetail(generics.RetrieveAPIView):
    serializer_class = RecordOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditRecord.objects.none()
        return _records().for_agency(_agency_of(self.request))


class CorrectionSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)
    title = StrictCharField(max_length=200, required=False)
    content = StrictCharField(max_length=20_000, required=False)
    legal_basis = StrictCharField(max_length=500, required=False, allow_blank=True)
    decision_date = DecisionDateField(required=False)
    penalty = PenaltyInput(required=False)
    licence = LicenceInput(required=False)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: [gettext("This field cannot be corrected.")] for name in sorted(unknown)}
            )
        return attrs


class _RecordAction(APIView):
    def record(self, request, pk: int) -> CreditRecord:
        return get_object_or_404(_records().for_agency(_agency_of(request)), pk=pk)


class CreditRecordCorrect(_RecordAction):
    """`POST {reason, <changed fields>}`: the previous version stays in the history."""

    @extend_schema(request=CorrectionSerializer, responses={200: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request, pk: int):
        record = self.record(request, pk)
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("reason")
        errors: dict = {}
        changes = {k: v for k, v in values.items() if k in CORRECTABLE}
        if "penalty" in values:
            changes.update(parsing._penalty(request.data["penalty"], errors))
        if "licence" in values:
            changes.update(parsing._licence(request.data["licence"], errors))
        if errors:
            raise DRFValidationError(errors)
        record = services.credit_record_correct(
            actor=request.user, record=record, changes=changes, reason=reason
        )
        return Response(record_body(_records().get(pk=record.pk), request))


class WithdrawalSerializer(serializers.Serializer):
    document_number = StrictCharField(max_length=100)
    reason = StrictCharField(max_length=2000)


class CreditRecordWithdraw(_RecordAction):
    """`POST {document_number, reason}`: the revoking decision; the record leaves every
    publication at once."""

    @extend_schema(request=WithdrawalSerializer, responses={200: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request, pk: int):
        record = self.record(request, pk)
        data = WithdrawalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.credit_record_withdraw(
            actor=request.user, record=record, **data.validated_data
        )
        return Response(record_body(_records().get(pk=record.pk), request))


class CreditRecordConfirm(_RecordAction):
    """`POST`: a reviewer of the filing agency (not the maker) confirms a pending record."""

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        record = services.credit_record_confirm(actor=request.user, record=self.record(request, pk))
        return Response(record_body(_records().get(pk=record.pk), request))


class CreditRecordChanges(APIView):
    """`GET /api/v1/credit-records/changes/?after=<id>&limit=<n>`: what happened to records an
    agency may hold copies of (published, corrected, withdrawn, repaired), in id order, so an
    agency that copied a record learns at once that it was repaired or withdrawn. Restricted
    items only for their own agency; `filed` (still under review) only for the filing agency."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Last change id already processed"),
            OpenApiParameter("limit", LIMIT_1_1000, description="1-1000, default 200"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        from django.db.models import Q

        from registry.models import CreditRecordChange

        agency = _agency_of(request)
        try:
            after = int(request.query_params.get("after", 0))
        except ValueError as exc:
            raise DRFValidationError(
                {"after": [gettext("Use the integer id of the last change.")]}
            ) from exc
        raw_limit = request.query_params.get("limit", "200")
        if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
            raise DRFValidationError({"limit": [gettext("A whole number from 1 to 1000.")]})
        limit = int(raw_limit)
        own = Q(record__agency=agency) | Q(record__supplier=agency)
        shared = ~Q(kind=CreditRecordChange.Kind.FILED) & ~Q(
            record__catalogue_item__visibility=CatalogueItem.Visibility.RESTRICTED
        )
        rows = list(
            CreditRecordChange.objects.filter(id__gt=after)
            .filter(own | shared)
            .order_by("id")
            .values(
                "id",
                "kind",
                "at",
                "record_id",
                "record__catalogue_item__code",
                "record__agency__subject__identifier",
                "record__decision_number",
            )[: limit + 1]
        )
        changes = [
            {
                "id": r["id"],
                "kind": r["kind"],
                "at": r["at"],
                "record": r["record_id"],
                "catalogue_item": r["record__catalogue_item__code"],
                "deciding_agency": r["record__agency__subject__identifier"],
                "decision_number": r["record__decision_number"],
            }
            for r in rows[:limit]
        ]
        return Response(
            {
                "changes": changes,
                "next_after": changes[-1]["id"] if changes else after,
                "more": len(rows) > limit,
            }
        )


@schema_from_data
def credit_record_variants(result, generator, request, public):
    """drf-spectacular postprocessing hook: a credit record's body as one variant per kind of
    catalogue item (`oneOf`, sharing.parsing.parse_row's rule): a penalty item's record
    carries its `penalty` object and no `licence`, a licence item's its `licence` and no
    `penalty`, any other item's neither. Item codes read from the database at generation."""
    import copy

    # The bulk body (an inline array schema) is required: no body is a 400, not zero rows.
    bulk = result.get("paths", {}).get("/api/v1/credit-records/bulk/", {}).get("post", {})
    if "requestBody" in bulk:
        bulk["requestBody"]["required"] = True
    schemas = result.get("components", {}).get("schemas", {})
    base = schemas.get("CreditRecordInputRequest")
    if not base or "properties" not in base:
        return result
    penalty_schema = schemas.get("PenaltyInputRequest", {}).get("properties", {})
    if "amount_yuan" in penalty_schema:
        # parse_row: a non-negative amount below 10^14 yuan, at most two decimals.
        penalty_schema["amount_yuan"]["pattern"] = "^[0-9]{1,14}(?:\\.[0-9]{1,2})?$"
    kinds = RecordType
    codes: dict[str, list[str]] = {"penalty": [], "licence": [], "other": []}
    for code, record_type in CatalogueItem.objects.values_list("code", "record_type"):
        group = {kinds.ADMINISTRATIVE_PENALTY: "penalty", kinds.ADMINISTRATIVE_LICENCE: "licence"}
        codes[group.get(record_type, "other")].append(code)
    variants = []
    for group, group_codes in codes.items():
        if not group_codes:
            continue
        properties = copy.deepcopy(base["properties"])
        properties["catalogue_item"] = {**properties["catalogue_item"], "enum": sorted(group_codes)}
        required = list(base.get("required", []))
        for name in ("penalty", "licence"):
            if name == group:
                ref = properties[name].get("allOf", [properties[name]])[0]
                properties[name] = ref  # present and not null
                required.append(name)
            else:
                properties.pop(name, None)
        variant = {**base, "properties": properties, "required": required}
        variant.pop("description", None)
        variants.append(variant)
    if variants:
        schemas["CreditRecordInputRequest"] = {
            "oneOf": variants,
            "description": base.get("description", ""),
        }
    return result
