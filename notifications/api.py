"""Agency API: monitoring sets, their changes, and webhooks (docs/NOTIFICATIONS.md)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.models import EventKind
from registry import selectors as registry_selectors
from registry.api import IdentifierReference
from scs.api import (
    LIMIT_1_1000,
    ErrorSerializer,
    ReferenceNotFound,
    StrictCharField,
    flatten_errors,
    idempotent,
    raise_invalid,
)

CHANGE_CURSOR = "mc1"
MEMBER_CURSOR = "ms1"
DELIVERY_CURSOR = "wd1"


def _agency_id(request) -> int:
    agency_id = getattr(request.user, "agency_id", None)
    if agency_id is None:
        raise PermissionDenied(gettext("Monitoring sets and webhooks belong to an agency's token."))
    return agency_id


def _page_args(request, name: str, prefix: str) -> tuple[int, int]:
    try:
        after = services.decode_cursor(prefix, request.query_params.get(name))
    except ValueError as exc:
        raise ReferenceNotFound({name: [gettext("Not a cursor issued by this endpoint.")]}) from exc
    raw = request.query_params.get("limit", "200")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise DRFValidationError({"limit": [gettext("A whole number from 1 to 1000.")]})
    return after, int(raw)


def _identifier(request, subject) -> str:
    reveal = registry_selectors.may_view_personal_ids(request.user)
    return registry_selectors.display_identifier(subject, reveal=reveal)


# --- monitoring sets --------------------------------------------------------------------


class IdentifierList(serializers.ListField):
    child = IdentifierReference(max_length=40)


def _identifier_errors(exc, values: dict):
    """400 naming each bad identifier as `field.index`; 404 when every one of them is
    well-formed but not registered (scs.api.raise_invalid)."""

    def sent(field: str, index: str):
        items = values.get(field) or []
        return items[int(index)] if index.isdigit() and int(index) < len(items) else None

    refs = {
        f"{field}.{index}": sent(field, index)
        for field, errors in exc.per_field.items()
        for index in errors
    }
    raise_invalid(flatten_errors(exc.per_field), references=refs)


class MonitoringSetInput(serializers.Serializer):
    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, default="")
    identifiers = IdentifierList(required=False, default=list)


def _set_out(mset) -> dict:
    return {
        "id": mset.pk,
        "name": mset.name,
        "description": mset.description,
        "size": getattr(mset, "size", None),
        "created_at": mset.created_at,
    }


class MonitoringSetListCreate(APIView):
    @extend_schema(
        operation_id="monitoring_sets_list",
        responses={200: OpenApiTypes.OBJECT},
        summary="The caller's monitoring sets",
    )
    def get(self, request):
        sets = selectors.monitoring_sets_for(_agency_id(request)).order_by("-created_at")
        return Response({"results": [_set_out(s) for s in sets[:500]]})

    @extend_schema(
        request=MonitoringSetInput,
        responses={201: OpenApiTypes.OBJECT, 409: ErrorSerializer},
        summary="Create a monitoring set (up to 100 000 identifiers)",
    )
    @idempotent
    def post(self, request):
        _agency_id(request)
        data = MonitoringSetInput(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data["name"]
        if selectors.monitoring_sets_for(_agency_id(request)).filter(name=name).exists():
            return Response(
                {
                    "detail": gettext(
                        "Conflict: the agency already has a monitoring set of this name."
                    ),
                    "errors": {"name": [gettext("A monitoring set with this name exists.")]},
                },
                status=status.HTTP_409_CONFLICT,
            )
        try:
            mset = services.monitoring_set_create(
                actor=request.user,
                name=data.validated_data["name"],
                description=data.validated_data["description"],
                identifiers_to_add=data.validated_data["identifiers"],
            )
        except services.IdentifierErrors as exc:
            # The service names the identifiers of a new set as `add`.
            _identifier_errors(exc, {"add": data.validated_data["identifiers"]})
        mset = selectors.monitoring_sets_for(mset.agency_id).get(pk=mset.pk)
        return Response(_set_out(mset), status=status.HTTP_201_CREATED)


class MonitoringSetDetail(APIView):
    def _get(self, request, pk):
        return get_object_or_404(selectors.monitoring_sets_for(_agency_id(request)), pk=pk)

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="One monitoring set")
    def get(self, request, pk):
        return Response(_set_out(self._get(request, pk)))

    @extend_schema(responses={204: None}, summary="Delete a monitoring set")
    def delete(self, request, pk):
        services.monitoring_set_delete(actor=request.user, monitoring_set=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembersInput(serializers.Serializer):
    add = IdentifierList(required=False, default=list)
    remove = IdentifierList(required=False, default=list)


class MonitoringSetMembers(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR),
            OpenApiParameter("limit", LIMIT_1_1000, description="1-1000, default 200"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Members of a monitoring set, paged",
    )
    def get(self, request, pk):
        mset = get_object_or_404(selectors.monitoring_sets_for(_agency_id(request)), pk=pk)
        after, limit = _page_args(request, "after", MEMBER_CURSOR)
        rows, has_more = selectors.set_members(monitoring_set=mset, after=after, limit=limit)
        last = rows[-1].pk if rows else after
        return Response(
            {
                "subjects": [
                    {
                        "identifier": _identifier(request, m.subject),
                        "name": m.subject.name,
                        "added_at": m.added_at,
                    }
                    for m in rows
                ],
                "next": services.encode_cursor(MEMBER_CURSOR, last),
                "has_more": has_more,
            }
        )

    @extend_schema(
        request=MembersInput,
        responses={200: OpenApiTypes.OBJECT},
        summary="Add and remove subjects by identifier (all or nothing)",
    )
    @idempotent
    def post(self, request, pk):
        mset = get_object_or_404(selectors.monitoring_sets_for(_agency_id(request)), pk=pk)
        data = MembersInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.monitoring_set_members_change(
                actor=request.user, monitoring_set=mset, **data.validated_data
            )
        except services.IdentifierErrors as exc:
            _identifier_errors(exc, data.validated_data)
        return Response(result)


class MonitoringSetChanges(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description="Cursor from `next`"),
            OpenApiParameter("limit", LIMIT_1_1000, description="1-1000, default 200"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Which subjects of the set changed since a cursor (resumable)",
    )
    def get(self, request, pk):
        mset = get_object_or_404(selectors.monitoring_sets_for(_agency_id(request)), pk=pk)
        after, limit = _page_args(request, "since", CHANGE_CURSOR)
        rows, has_more = selectors.set_changes(monitoring_set=mset, after=after, limit=limit)
        last = rows[-1].pk if rows else after
        return Response(
            {
                "changes": [
                    {
                        "cursor": services.encode_cursor(CHANGE_CURSOR, c.pk),
                        "subject": _identifier(request, c.subject),
                        "subject_name": c.subject.name,
                        "kind": c.kind,
                        "occurred_at": c.occurred_at,
                        "data": c.data,
                    }
                    for c in rows
                ],
                "next": services.encode_cursor(CHANGE_CURSOR, last),
                "has_more": has_more,
            }
        )


# --- webhooks ---------------------------------------------------------------------------


class WebhookInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    secret = StrictCharField(min_length=16, max_length=200, write_only=True)
    event_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=EventKind.choices), min_length=1
    )


def _webhook_out(w) -> dict:
    return {
        "id": w.pk,
        "url": w.url,
        "event_kinds": w.event_kinds,
        "is_active": w.is_active,
        "paused_at": w.paused_at,
        "failing_since": w.failing_since,
        "created_at": w.created_at,
    }


class WebhookListCreate(APIView):
    @extend_schema(
        operation_id="webhooks_list",
        responses={200: OpenApiTypes.OBJECT},
        summary="The caller's webhooks",
    )
    def get(self, request):
        hooks = selectors.webhooks_for(_agency_id(request)).order_by("id")
        return Response({"results": [_webhook_out(w) for w in hooks[:500]]})

    @extend_schema(
        request=WebhookInput,
        responses={201: OpenApiTypes.OBJECT},
        summary="Register a webhook (url, secret, event kinds)",
    )
    @idempotent
    def post(self, request):
        _agency_id(request)
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        hook = services.webhook_create(actor=request.user, **data.validated_data)
        return Response(_webhook_out(hook), status=status.HTTP_201_CREATED)


def _hook(request, pk):
    return get_object_or_404(selectors.webhooks_for(_agency_id(request)), pk=pk)


class WebhookDetail(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="One webhook")
    def get(self, request, pk):
        return Response(_webhook_out(_hook(request, pk)))

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Deactivate a webhook")
    def delete(self, request, pk):
        hook = services.webhook_deactivate(actor=request.user, endpoint=_hook(request, pk))
        return Response(_webhook_out(hook))


class WebhookPing(APIView):
    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT}, summary="Send a test event")
    def post(self, request, pk):
        event = services.webhook_ping(actor=request.user, endpoint=_hook(request, pk))
        return Response({"event_id": str(event.event_id)}, status=status.HTTP_202_ACCEPTED)


class WebhookResume(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, summary="Resume")
    def post(self, request, pk):
        hook = services.webhook_resume(actor=request.user, endpoint=_hook(request, pk))
        return Response(_webhook_out(hook))


class WebhookDeliveries(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="Cursor from `next`"),
            OpenApiParameter("limit", LIMIT_1_1000, description="1-1000, default 200"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Deliveries of a webhook with every attempt",
    )
    def get(self, request, pk):
        hook = _hook(request, pk)
        after, limit = _page_args(request, "after", DELIVERY_CURSOR)
        rows, has_more = selectors.deliveries(endpoint=hook, after=after, limit=limit)
        last = rows[-1].pk if rows else after
        return Response(
            {
                "deliveries": [
                    {
                        "cursor": services.encode_cursor(DELIVERY_CURSOR, d.pk),
                        "event_id": str(d.event.event_id),
                        "kind": d.event.kind,
                        "status": d.status,
                        "attempts": [
                            {
                                "at": a.started_at,
                                "ok": a.ok,
                                "response_code": a.response_code,
                                "latency_ms": a.latency_ms,
                                "error": a.error,
                            }
                            for a in d.attempt_log.all()
                        ],
                        "next_attempt_at": d.next_attempt_at
                        if d.status == d.Status.PENDING
                        else None,
                        "delivered_at": d.delivered_at,
                    }
                    for d in rows
                ],
                "next": services.encode_cursor(DELIVERY_CURSOR, last),
                "has_more": has_more,
            }
        )


class ReplayInput(serializers.Serializer):
    after = StrictCharField(required=False, allow_blank=True, default="")


class WebhookReplay(APIView):
    @extend_schema(
        request=ReplayInput,
        responses={202: OpenApiTypes.OBJECT},
        summary="Send again every delivery after a cursor (same event ids)",
    )
    def post(self, request, pk):
        hook = _hook(request, pk)
        data = ReplayInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            after = services.decode_cursor(DELIVERY_CURSOR, data.validated_data["after"])
        except ValueError as exc:
            raise ReferenceNotFound(
                {"after": [gettext("Not a cursor issued by this endpoint.")]}
            ) from exc
        n = services.webhook_replay(actor=request.user, endpoint=hook, after=after)
        return Response({"queued": n}, status=status.HTTP_202_ACCEPTED)
