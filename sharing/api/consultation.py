"""Consultation: purposes, files, credit checks, consent and the access log (issue 12).

Every consultation writes exactly one access-log row per subject, including refused, failed
and empty ones.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import identifiers
from registry import selectors as registry_selectors
from registry.api import IDENTIFIER_IN_PATH, IdentifierReference
from registry.models import CatalogueItem, Subject
from scs.api import (
    ClosedInputSerializer,
    FastJSONRenderer,
    KeysetPagination,
    StrictCharField,
    VocabularyField,
    idempotent,
    raise_invalid,
    register_vocabulary,
    vocabulary_parameter,
)
from sharing import selectors, services
from sharing.models import Channel, Consent, Consultation, Outcome

MAX_CHECK = 1000
# The hot machine endpoints (file, credit check) answer through orjson; the browsable API
# stays for people.
FAST_RENDERERS = [FastJSONRenderer, BrowsableAPIRenderer]


def _purpose_error(exc: selectors.PurposeError) -> Response:
    return Response(
        {
            "detail": gettext("Invalid input."),
            "errors": {
                "purpose": [gettext("State the purpose of the consultation: one of these codes.")]
            },
            "purposes": exc.purposes,
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def _reference(request, source) -> str | Response:
    value = source.get("reference") or ""
    if not isinstance(value, str) or len(value) > 200 or "\x00" in value:
        return Response(
            {
                "detail": gettext("Invalid input."),
                "errors": {"reference": [gettext("At most 200 characters.")]},
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return value.strip()


@register_vocabulary("purposes")
def _purpose_codes() -> list[str]:
    return list(selectors.purposes().values_list("code", flat=True))


class PurposeOut(serializers.Serializer):
    code = StrictCharField()
    name = StrictCharField()
    name_en = StrictCharField()


class PurposeList(APIView):
    """`GET /api/v1/purposes/`: the closed list of purposes (kept as data by the operator)."""

    @extend_schema(responses={200: PurposeOut(many=True)})
    def get(self, request):
        return Response(list(selectors.purposes().values("code", "name", "name_en")))


def _identifier_of(request, subject: Subject) -> str:
    reveal = registry_selectors.may_view_personal_ids(request.user)
    return registry_selectors.display_identifier(subject, reveal=reveal)


class SubjectFile(APIView):
    """`GET /api/v1/subjects/{identifier}/file/?purpose=&reference=`: everything the caller's
    agency may see about the subject for this purpose (rule in `sharing.selectors`)."""

    renderer_classes = FAST_RENDERERS

    @extend_schema(
        parameters=[
            IDENTIFIER_IN_PATH,
            vocabulary_parameter(
                "purpose", "purposes", required=True, description="GET /api/v1/purposes/"
            ),
            OpenApiParameter("reference", str, description="Case or approval number"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, identifier: str):
        if getattr(request.user, "agency_id", None) is None:
            raise PermissionDenied(gettext("Files are consulted by an agency's staff or system."))
        params = request.query_params
        reference = _reference(request, params)
        log = {"user": request.user, "channel": Channel.FILE, "reference": "", "purpose_code": ""}
        if isinstance(reference, Response):
            services.consultation_log(**log, outcome=Outcome.REFUSED, asked=identifier)
            return reference
        log["reference"] = reference
        log["purpose_code"] = str(params.get("purpose", ""))[:48]
        try:
            subject, purpose = selectors.subject_and_purpose(identifier, params.get("purpose"))
        except selectors.PurposeError as exc:
            services.consultation_log(
                **log, outcome=Outcome.REFUSED, subject=exc.subject, asked=identifier
            )
            return _purpose_error(exc)
        if subject is None:
            services.consultation_log(**log, outcome=Outcome.NOT_FOUND, asked=identifier)
            return Response({"detail": gettext("Not found.")}, status=status.HTTP_404_NOT_FOUND)
        found = selectors.subject_file(user=request.user, subject=subject, purpose=purpose)
        withheld = sum(found.withheld.values())
        empty = not (
            found.records or found.list_entries or found.measures or found.commitments or withheld
        )
        services.consultation_log(
            **log,
            subject=subject,
            outcome=Outcome.EMPTY if empty else Outcome.RETURNED,
            items=found.returned_items,
            restricted_withheld=withheld,
        )
        body = {
            "subject": {
                "identifier": _identifier_of(request, subject),
                "name": subject.name,
                "kind": subject.kind,
                "status": subject.status,
            },
            "purpose": purpose.code,
            "reference": reference,
            "records": found.records,
            "list_entries": found.list_entries,
            "measures": found.measures,
            "commitments": found.commitments,
            "restricted": {
                "withheld": found.withheld,
                "how_to_obtain": str(selectors.HOW_TO_CONSENT) if withheld else "",
            },
        }
        return Response(body)


class CreditCheckInput(serializers.Serializer):
    purpose = VocabularyField(vocabulary="purposes", max_length=48)
    reference = StrictCharField(max_length=200, required=False, allow_blank=True)
    identifiers = serializers.ListField(
        child=StrictCharField(max_length=40),
        allow_empty=False,
        min_length=1,
        max_length=MAX_CHECK,
    )


class CreditChecks(APIView):
    """`POST /api/v1/credit-checks/` `{purpose, reference, identifiers: [...]}` (≤ 1 000): per
    subject, lists in force, the measures the caller implements, penalties in publicity, credit
    commitments (signed, honoured or broken) and a link to the file. One access-log row per
    identifier."""

    renderer_classes = FAST_RENDERERS

    @extend_schema(request=CreditCheckInput, responses={200: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request):
        if getattr(request.user, "agency_id", None) is None:
            raise PermissionDenied(
                gettext("Credit checks are made by an agency's staff or system.")
            )
        data = CreditCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            purpose = selectors.purpose_by_code(values["purpose"])
        except selectors.PurposeError as exc:
            return _purpose_error(exc)
        reference = values.get("reference", "").strip()
        codes: list[tuple[str, str | None, str]] = []
        for raw in values["identifiers"]:
            try:
                code, _scheme = identifiers.validate_identifier(raw)
                codes.append((raw, code, ""))
            except identifiers.IdentifierError as exc:
                codes.append((raw, None, exc.message))
        subjects = {
            s.identifier: s
            for s in Subject.objects.filter(
                identifier__in=selectors.in_array({c for _r, c, _e in codes if c}, "varchar")
            ).only("id", "identifier", "name", "kind")
        }
        checks = selectors.credit_check(
            user=request.user, subject_ids=[s.pk for s in subjects.values()]
        )
        results, log_rows = [], []
        reveal = registry_selectors.may_view_personal_ids(request.user)
        # One reverse() for the whole batch: identifiers are [0-9A-Z], safe in a path as is.
        file_url = reverse("subject-file", args=["IDENTIFIER"])
        for raw, code, problem in codes:
            subject = subjects.get(code) if code else None
            if subject is None:
                row = {"identifier": services.masked_query(raw), "found": False}
                if problem:
                    row["error"] = problem
                outcome = Outcome.NOT_FOUND
                log_rows.append((None, raw, outcome, []))
            else:
                check = checks[subject.pk]
                row = {
                    "identifier": registry_selectors.display_identifier(subject, reveal=reveal),
                    "found": True,
                    "name": subject.name,
                    **check,
                    "file": None
                    if subject.is_natural_person
                    else file_url.replace("IDENTIFIER", subject.identifier),
                }
                outcome = (
                    Outcome.RETURNED
                    if check["lists"]
                    or check["measures"]
                    or check["penalties_in_publicity"]
                    or check["commitments"]
                    else Outcome.EMPTY
                )
                log_rows.append(
                    (subject.pk, "", outcome, [{"entry": e["entry"]} for e in check["lists"]])
                )
            results.append(row)
        services.consultation_log_many(
            user=request.user,
            channel=Channel.CREDIT_CHECK,
            purpose_code=purpose.code,
            reference=reference,
            rows=log_rows,
        )
        return Response({"purpose": purpose.code, "reference": reference, "results": results})


class ConsentInput(ClosedInputSerializer):
    subject_identifier = IdentifierReference(max_length=40)
    purpose = VocabularyField(vocabulary="purposes", max_length=48)
    all_restricted = serializers.BooleanField(default=False)
    items = serializers.ListField(
        child=VocabularyField(vocabulary="catalogue_items", max_length=32),
        required=False,
        default=list,
    )
    valid_until = serializers.DateField()
    evidence = serializers.FileField()
    evidence_reference = StrictCharField(max_length=200, required=False, default="")


class ConsentOut(serializers.ModelSerializer):
    """A consent as the agency it was given to reads it (GET, POST and withdraw)."""

    purpose = StrictCharField(source="purpose.code")
    items = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "purpose",
            "all_restricted",
            "items",
            "valid_from",
            "valid_until",
            "given",
            "evidence_sha256",
            "evidence_reference",
            "recorded_at",
            "withdrawn_at",
        ]


def consent_body(consent: Consent) -> dict:
    return ConsentOut(consent).data


class ConsentListCreate(APIView):
    """`GET` consents given to the caller's agency; `POST` (multipart) records one, with the
    signed document as `evidence` (PDF, PNG or JPEG)."""

    parser_classes = [MultiPartParser]  # the evidence is a file: multipart only

    @extend_schema(responses={200: ConsentOut(many=True)})
    def get(self, request):
        qs = Consent.objects.filter(agency_id=request.user.agency_id).select_related("purpose")
        return Response([consent_body(c) for c in qs.prefetch_related("items")[:500]])

    # Multipart only in the contract: the evidence is a file, which JSON cannot carry.
    @extend_schema(request={"multipart/form-data": ConsentInput}, responses={201: ConsentOut})
    def post(self, request):
        if getattr(request.user, "agency", None) is None:
            raise PermissionDenied(gettext("Consent is recorded by the agency it is given to."))
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        subject = selectors.subject_by_identifier(values["subject_identifier"])
        if subject is None:
            raise_invalid(
                {"subject_identifier": [gettext("No such subject.")]},
                references={"subject_identifier": values["subject_identifier"]},
            )
        try:
            purpose = selectors.purpose_by_code(values["purpose"])
        except selectors.PurposeError as exc:
            return _purpose_error(exc)
        codes = [c.strip() for raw in values["items"] for c in raw.split(",") if c.strip()]
        items = list(CatalogueItem.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {i.code for i in items})
        if missing:
            raise DRFValidationError(
                {
                    "items": [
                        gettext("Unknown catalogue item %(code)s.") % {"code": c} for c in missing
                    ]
                }
            )
        consent = services.consent_grant(
            actor=request.user,
            subject=subject,
            agency=request.user.agency,
            purpose=purpose,
            valid_until=values["valid_until"],
            items=items,
            all_restricted=values["all_restricted"],
            evidence=values["evidence"],
            evidence_reference=values["evidence_reference"],
        )
        return Response(consent_body(consent), status=status.HTTP_201_CREATED)


class ConsentWithdraw(APIView):
    """`POST /api/v1/consents/{id}/withdraw/` `{reason}`: effective at once."""

    @extend_schema(request=None, responses={200: ConsentOut})
    @idempotent
    def post(self, request, pk: int):
        consent = get_object_or_404(Consent.objects.filter(agency_id=request.user.agency_id), pk=pk)
        reason = str(request.data.get("reason", ""))[:500] if hasattr(request.data, "get") else ""
        consent = services.consent_withdraw(actor=request.user, consent=consent, reason=reason)
        return Response(consent_body(consent))


class ConsentEvidence(APIView):
    """`GET /api/v1/consents/{id}/evidence/`: the signed consent document (or, for a consent
    given online, its record as JSON) as an attachment, never cached, to the agency the consent
    was given to and to the platform operator; 404 to every other agency, as if the consent
    did not exist. Each download, and each refusal, writes one access-log row."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        consent = get_object_or_404(
            Consent.objects.select_related("subject", "agency__subject", "purpose"), pk=pk
        )
        try:
            found = services.consent_evidence_read(user=request.user, consent=consent)
        except DjangoPermissionDenied as exc:
            raise NotFound() from exc
        response = HttpResponse(found.content, content_type=found.content_type)
        response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ConsultationOut(serializers.ModelSerializer):
    subject_identifier = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "id",
            "at",
            "username",
            "agency",
            "subject_identifier",
            "asked",
            "channel",
            "purpose",
            "reference",
            "outcome",
            "items",
            "restricted_withheld",
        ]

    def get_subject_identifier(self, row) -> str | None:
        if row.subject is None:
            return None
        reveal = registry_selectors.may_view_personal_ids(self.context["request"].user)
        return registry_selectors.display_identifier(row.subject, reveal=reveal)


class AccessLog(generics.ListAPIView):
    """`GET /api/v1/access-log/?subject=<identifier>`: the operator reads all; an agency
    administrator reads its own staff's consultations; nobody else."""

    serializer_class = ConsultationOut
    pagination_class = KeysetPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Consultation.objects.none()
        user = self.request.user
        if not (user.is_superuser or getattr(user, "role", None) == "admin"):
            raise PermissionDenied(gettext("The access log is read by agency administrators."))
        qs = selectors.consultations_visible_to(user)
        raw = self.request.query_params.get("subject")
        if raw:
            subject = selectors.subject_by_identifier(raw)
            qs = qs.filter(subject=subject) if subject else qs.none()
        return qs
