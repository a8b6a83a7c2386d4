"""The agency API: what each agency must enforce, with provenance, and its feedback."""

from __future__ import annotations

from collections import defaultdict

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import identifiers
from registry import selectors as registry_selectors
from sanctions import selectors, services
from sanctions.models import Sanction, SanctionFeedback
from scs.api import idempotent

MAX_SCREENING = 10_000


def caller_agency_id(request) -> int:
    agency_id = getattr(request.user, "agency_id", None)
    if agency_id is None:
        raise PermissionDenied("Sanction data is scoped to an implementing agency's token.")
    return agency_id


class ProvenanceSerializer(serializers.Serializer):
    """Why a subject is restricted: measure → memorandum → entry → list and ground → decision."""

    def to_representation(self, s: Sanction):
        m, entry = s.measure, s.entry
        return {
            "measure": {
                "code": m.code,
                "text": m.text,
                "text_en": m.text_en,
                "kind": m.kind,
                "legal_basis": m.legal_basis,
                "mandatory": m.mandatory,
                "targets": m.targets,
                "target_basis": m.target_basis,
            },
            "memorandum": {
                "key": m.memorandum.key,
                "title": m.memorandum.title,
                "document_number": m.memorandum.document_number,
            },
            "list_entry": {
                "id": entry.pk,
                "list": entry.list.key,
                "list_name": entry.list.name,
                "list_owner": entry.list.owner.subject.name,
                "listed_subject": entry.subject.identifier,
                "listed_subject_name": entry.subject.name,
                "ground": entry.ground.code,
                "ground_text": entry.ground.text,
                "ground_legal_basis": entry.ground.legal_basis,
                "starts_on": entry.starts_on,
                "ends_on": entry.ends_on,
            },
            "source_decision": {
                "number": entry.decision_number,
                "date": entry.decision_date,
                "issuer": entry.decision_issuer,
            },
        }


class SanctionSerializer(serializers.Serializer):
    def to_representation(self, s: Sanction):
        return {
            "id": s.pk,
            "status": s.status,
            "imposed_at": s.imposed_at,
            "lifted_at": s.lifted_at,
            "lift_reason": s.lift_reason,
            # The implementing agency needs the full identifier to enforce.
            "target": s.target.identifier,
            "target_name": s.target.name,
            "provenance": ProvenanceSerializer().to_representation(s),
        }


FEED_KEYS = (
    "event_id",
    "kind",
    "at",
    "reason",
    "sanction_id",
    "target",
    "target_name",
    "measure",
    "measure_text",
    "memorandum",
    "list_entry",
    "list",
)


class SanctionFeed(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="Cursor from `next`"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1-1000, default 200"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Imposed and lifted events of the measures the caller implements",
    )
    def get(self, request):
        agency_id = caller_agency_id(request)
        try:
            after = selectors.decode_cursor(request.query_params.get("after"))
        except ValueError as exc:
            raise DRFValidationError({"after": ["Not a cursor issued by this feed."]}) from exc
        raw_limit = request.query_params.get("limit", "200")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
            raise DRFValidationError({"limit": ["A whole number from 1 to 1000."]})
        events, has_more = selectors.feed_page(
            agency_id=agency_id, after=after, limit=int(raw_limit)
        )
        last = events[-1]["event_id"] if events else after
        return Response(
            {
                "events": [{key: e[key] for key in FEED_KEYS} for e in events],
                "next": selectors.encode_cursor(last),
                "has_more": has_more,
            }
        )


class AsOfSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)


class SubjectRestrictions(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE)],
        responses={200: OpenApiTypes.OBJECT},
        summary="Measures the caller implements that are in force on a subject",
    )
    def get(self, request, identifier):
        agency_id = caller_agency_id(request)
        params = AsOfSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        code = registry_selectors.normalised_identifier(identifier)
        subject = get_object_or_404(
            registry_selectors.subject_detail_queryset(), identifier=code or ""
        )
        rows = selectors.sanctions_in_force(
            targets=[subject.pk], agency_id=agency_id, as_of=params.validated_data.get("as_of")
        ).order_by("id")
        body = {
            "subject": subject.identifier,
            "name": subject.name,
            "as_of": params.validated_data.get("as_of"),
            "restrictions": [SanctionSerializer().to_representation(s) for s in rows],
        }
        if len(identifiers.normalise(identifier)) == 15:
            body["identifier_upgraded_from"] = "15-digit first-generation resident ID"
        return Response(body)


class ScreeningInput(serializers.Serializer):
    identifiers = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=True),
        allow_empty=False,
        max_length=MAX_SCREENING,
    )


class Screening(APIView):
    throttle_scope = "screening"

    @extend_schema(
        request=ScreeningInput,
        responses={200: OpenApiTypes.OBJECT},
        summary="Check up to 10 000 identifiers against the caller's measures in force",
    )
    def post(self, request):
        agency_id = caller_agency_id(request)
        data = ScreeningInput(data=request.data)
        data.is_valid(raise_exception=True)
        # registry.selectors.resolve_identifiers: 15-digit resident IDs upgraded, organisation
        # codes and former registration numbers reported as the subject's current code.
        resolved = registry_selectors.resolve_identifiers(data.validated_data["identifiers"])
        subjects = {r.identifier: r.subject_id for r in resolved if r.subject_id is not None}
        by_target = defaultdict(list)
        in_force = (
            Sanction.objects.in_force()
            .filter(implementing_agency_id=agency_id, target_id__in=list(subjects.values()))
            .select_related("measure__memorandum")
        )
        for s in in_force.only(
            "id",
            "target_id",
            "entry_id",
            "imposed_at",
            "measure__code",
            "measure__text",
            "measure__mandatory",
            "measure__memorandum__document_number",
        ):
            by_target[s.target_id].append(
                {
                    "sanction_id": s.pk,
                    "measure": s.measure.code,
                    "measure_text": s.measure.text,
                    "mandatory": s.measure.mandatory,
                    "memorandum": s.measure.memorandum.document_number,
                    "list_entry": s.entry_id,
                    "imposed_at": s.imposed_at,
                }
            )
        results = []
        for r in resolved:
            if not r.valid:
                results.append({"input": r.input, "valid": False, "error": r.error})
                continue
            item = {"input": r.input, "valid": True, "identifier": r.identifier}
            if r.upgraded_from:
                item["upgraded_from_15_digits"] = True
                item["note"] = "A 15-digit first-generation resident ID was upgraded to 18 digits."
            if r.matched_by:
                item["matched_by"] = r.matched_by
            item["known"] = r.subject_id is not None
            item["measures"] = by_target.get(r.subject_id, []) if r.subject_id else []
            results.append(item)
        return Response({"count": len(results), "results": results})


class FeedbackInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=SanctionFeedback.Outcome.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SanctionFeedbackView(APIView):
    @extend_schema(request=FeedbackInput, responses={201: OpenApiTypes.OBJECT})
    @idempotent
    def post(self, request, pk):
        agency_id = caller_agency_id(request)
        sanction = get_object_or_404(
            Sanction.objects.select_related("measure"), pk=pk, implementing_agency_id=agency_id
        )
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.sanction_feedback_record(
            actor=request.user, sanction=sanction, **data.validated_data
        )
        return Response(
            {
                "id": feedback.pk,
                "sanction_id": sanction.pk,
                "outcome": feedback.outcome,
                "reason": feedback.reason,
                "recorded_at": feedback.recorded_at,
            },
            status=status.HTTP_201_CREATED,
        )
