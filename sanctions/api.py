"""The agency API: what each agency must enforce, with provenance, and its feedback."""

from __future__ import annotations

import re

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import identifiers, privacy
from registry import selectors as registry_selectors
from registry.api import IDENTIFIER_IN_PATH, UPGRADED_FROM_15
from sanctions import selectors, services
from sanctions.models import EVENT_REASON_TEXT, Measure, Sanction, SanctionFeedback
from scs.api import LIMIT_1_1000, FastJSONRenderer, ReferenceNotFound, StrictCharField, idempotent

MAX_SCREENING = 10_000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def caller_agency_id(request) -> int:
    agency_id = getattr(request.user, "agency_id", None)
    if agency_id is None:
        raise PermissionDenied(
            gettext("Sanction data is scoped to an implementing agency's token.")
        )
    return agency_id


def _reveal(request) -> bool:
    """Full resident IDs only to agencies whose legal tasks need them (issue 9 §3)."""
    return privacy.may_view_personal_ids(request.user)


def _shown(subject, reveal: bool) -> str:
    return privacy.shown_identifier(subject.identifier, subject.kind, reveal=reveal)


class ProvenanceSerializer(serializers.Serializer):
    """Why a subject is restricted: measure → memorandum → entry → list and ground → decision."""

    def to_representation(self, s: Sanction):
        reveal = self.context.get("reveal", False)
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
                "applies_to": m.applies_to,
                "conditions": m.conditions(),
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
                "listed_subject": _shown(entry.subject, reveal),
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
        reveal = self.context.get("reveal", False)
        return {
            "id": s.pk,
            "status": s.status,
            "imposed_at": s.imposed_at,
            "lifted_at": s.lifted_at,
            "lift_reason": s.lift_reason,
            # Full only where the implementing agency's legal tasks need it.
            "target": _shown(s.target, reveal),
            "target_name": s.target.name,
            "provenance": ProvenanceSerializer(context=self.context).to_representation(s),
        }


FEED_KEYS = (
    "event_id",
    "kind",
    "at",
    "reason",
    "reason_text",
    "sanction_id",
    "target",
    "target_name",
    "measure",
    "measure_text",
    "memorandum",
    "list_entry",
    "list",
    "credit_record",
    "catalogue_item",
    "decision_number",
    "deciding_agency",
)

# The hot machine endpoints answer through orjson; the browsable API stays for people.
FAST_RENDERERS = [FastJSONRenderer, BrowsableAPIRenderer]


class SanctionFeed(APIView):
    renderer_classes = FAST_RENDERERS

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="Cursor from `next`"),
            OpenApiParameter("limit", LIMIT_1_1000, description="1-1000, default 200"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary=(
            "Imposed and lifted events of the measures the caller implements, and corrections,"
            " withdrawals and repairs of credit records the caller holds a copy of"
        ),
    )
    def get(self, request):
        agency_id = caller_agency_id(request)
        try:
            after = selectors.decode_cursor(request.query_params.get("after"))
        except ValueError as exc:
            # Like DRF's own cursor pagination: a cursor this server did not issue names no page.
            raise ReferenceNotFound(
                {"after": [gettext("Not a cursor issued by this feed.")]}
            ) from exc
        raw_limit = request.query_params.get("limit", "200")
        if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
            raise DRFValidationError({"limit": [gettext("A whole number from 1 to 1000.")]})
        events, has_more = selectors.feed_page(
            agency_id=agency_id, after=after, limit=int(raw_limit)
        )
        reveal = _reveal(request)
        texts: dict[str, str] = {}  # each reason translated once a page, not once a row
        for e in events:
            reason = e["reason"]
            if (text := texts.get(reason)) is None:
                text = texts[reason] = str(EVENT_REASON_TEXT.get(reason, reason))
            e["reason_text"] = text
            e["target"] = privacy.shown_identifier(e["target"], e["target_kind"], reveal=reveal)
        last = events[-1]["event_id"] if events else after
        return Response(
            {
                "events": events,
                "next": selectors.encode_cursor(last),
                "has_more": has_more,
            }
        )


class AsOfSerializer(serializers.Serializer):
    """`as_of`, when given, is a full ISO date (YYYY-MM-DD): an empty or partial one (DRF
    would read `2026-1-5`, or drop an empty one and answer for today) is a 400."""

    as_of = serializers.DateField(required=False)

    def to_internal_value(self, data):
        raw = data.get("as_of") if hasattr(data, "get") else None
        if raw is not None and not (isinstance(raw, str) and ISO_DATE.fullmatch(raw)):
            raise serializers.ValidationError({"as_of": [gettext("A date as YYYY-MM-DD.")]})
        return super().to_internal_value(data)


class SubjectRestrictions(APIView):
    @extend_schema(
        parameters=[IDENTIFIER_IN_PATH, OpenApiParameter("as_of", OpenApiTypes.DATE)],
        responses={200: OpenApiTypes.OBJECT},
        summary="Measures the caller implements that are in force on a subject",
    )
    def get(self, request, identifier):
        return self.answer(request, identifier, request.query_params)

    def answer(self, request, identifier, data):
        agency_id = caller_agency_id(request)
        params = AsOfSerializer(data=data)
        params.is_valid(raise_exception=True)
        code = registry_selectors.normalised_identifier(identifier)
        subject = get_object_or_404(
            registry_selectors.subject_detail_queryset(), identifier=code or ""
        )
        rows = selectors.sanctions_in_force(
            targets=[subject.pk], agency_id=agency_id, as_of=params.validated_data.get("as_of")
        ).order_by("id")
        context = {"reveal": _reveal(request)}
        body = {
            "subject": _shown(subject, context["reveal"]),
            "name": subject.name,
            "as_of": params.validated_data.get("as_of"),
            "restrictions": [
                SanctionSerializer(context=context).to_representation(s) for s in rows
            ],
        }
        if len(identifiers.normalise(identifier)) == 15:
            body["identifier_upgraded_from"] = UPGRADED_FROM_15
        return Response(body)


class RestrictionsLookupInput(AsOfSerializer):
    identifier = StrictCharField(max_length=64)


class SubjectRestrictionsLookup(SubjectRestrictions):
    """The same answer for an identifier sent in the body: a resident ID in a URL ends up in
    access logs, proxies and browser histories (issue 9 §3)."""

    http_method_names = ["post", "options"]

    @extend_schema(
        request=RestrictionsLookupInput,
        responses={200: OpenApiTypes.OBJECT},
        summary="Measures the caller implements that are in force on a subject (POST lookup)",
    )
    def post(self, request):
        data = RestrictionsLookupInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = {k: v for k, v in request.data.items() if k == "as_of"}
        return self.answer(request, data.validated_data["identifier"], body)


class ScreeningInput(serializers.Serializer):
    identifiers = serializers.ListField(
        child=StrictCharField(max_length=64, allow_blank=True),
        allow_empty=False,
        min_length=1,
        max_length=MAX_SCREENING,
    )


class Screening(APIView):
    throttle_scope = "screening"
    renderer_classes = FAST_RENDERERS

    @extend_schema(
        request=ScreeningInput,
        responses={200: OpenApiTypes.OBJECT},
        summary="Check up to 10 000 identifiers against the caller's measures in force",
    )
    def post(self, request):
        """Not an oracle (issue 9 §3): for natural persons it answers only agencies that
        implement measures, and only with that agency's own measures in force; it never says
        whether a person is registered, and never suggests a resident ID's check character.
        Organisations (public USCCs) get `known` as before."""
        agency_id = caller_agency_id(request)
        found: dict[str, tuple[int, list]] = {}

        def subjects_and_measures(codes: list[str]) -> dict[str, int]:
            # One query: the subjects and the caller's measures in force on them.
            found.update(selectors.screening_matches(agency_id=agency_id, identifiers=codes))
            return {code: subject_id for code, (subject_id, _measures) in found.items()}

        # registry.selectors.resolve_identifiers: 15-digit resident IDs upgraded, organisation
        # codes and former registration numbers reported as the subject's current code.
        resolved = registry_selectors.resolve_identifiers(
            _screening_identifiers(request.data), lookup=subjects_and_measures
        )
        # Inputs matched through an older code: their current codes' measures (rare).
        later = {r.identifier for r in resolved if r.subject_id and r.identifier not in found}
        if later:
            found.update(selectors.screening_matches(agency_id=agency_id, identifiers=[*later]))
        implements = Measure.objects.active().for_implementing_agency(agency_id).exists()
        reveal = _reveal(request)
        results = []
        for r in resolved:
            shown_input = r.input if reveal else privacy.mask_resident_ids_in_text(r.input)
            if not r.valid:
                results.append({"input": shown_input, "valid": False, "error": r.error})
                continue
            item = {
                "input": shown_input,
                "valid": True,
                "identifier": privacy.shown_identifier(
                    r.identifier,
                    "natural_person" if r.scheme == "resident_id" else "",
                    reveal=reveal,
                ),
                "scheme": r.scheme,
            }
            if r.upgraded_from:
                item["upgraded_from_15_digits"] = True
                item["note"] = gettext(
                    "A 15-digit first-generation resident ID was upgraded to 18 digits."
                )
            if r.matched_by:
                item["matched_by"] = r.matched_by
            if r.scheme == "resident_id":
                if not implements:
                    item["answered"] = False
                    item["detail"] = gettext(
                        "Natural persons are screened only for agencies that implement measures."
                    )
                    results.append(item)
                    continue
            else:
                item["known"] = r.subject_id is not None
            item["measures"] = found.get(r.identifier, (None, []))[1] if r.subject_id else []
            results.append(item)
        return Response({"count": len(results), "results": results})


def _screening_identifiers(data) -> list[str]:
    """The posted identifiers, trimmed. A well-formed body (1-10 000 strings of at most 64
    characters) is taken as is; anything else goes through ScreeningInput, which names the
    field at fault exactly as before (10 000 child validations cost more than the lookup)."""
    items = data.get("identifiers") if isinstance(data, dict) else None
    if (
        isinstance(items, list)
        and 0 < len(items) <= MAX_SCREENING
        and all(
            type(item) is str and len(item.strip()) <= 64 and "\x00" not in item for item in items
        )
    ):
        return [item.strip() for item in items]
    checked = ScreeningInput(data=data)
    checked.is_valid(raise_exception=True)
    return checked.validated_data["identifiers"]


class FeedbackInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=SanctionFeedback.Outcome.choices)
    reason = StrictCharField(required=False, allow_blank=True, default="")


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
