"""Project-wide API pieces: one error shape, pagination, agency permission, throttling,
and Idempotency-Key handling for agency POSTs."""

from __future__ import annotations

import hashlib
import json
import logging
from functools import wraps

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from redis.exceptions import RedisError
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.encoders import JSONEncoder

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class KeysetPagination(CursorPagination):
    """Stable, index-friendly paging for large tables (no OFFSET, no COUNT)."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Every error answers as {"detail": ..., "errors": {field: [messages]}}."""
    # Imported here: DRF's settings import this module while rest_framework.views loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {"detail": "Invalid input.", "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": response.data["detail"]}
    return response


class IsAgencyUser(permissions.IsAuthenticated):
    """Authenticated and acting for an agency (or a superuser)."""

    message = "This API is for agency systems: authenticate with an agency token."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            super().has_permission(request, view)
            and (user.is_superuser or getattr(user, "agency_id", None))
        )


def record_throttle_state(request, *, limit: int, remaining: int, reset: int) -> None:
    """Leave a throttle's state on the request for the X-RateLimit-* headers
    (scs.middleware.ApiHeadersMiddleware). Several throttles: the tightest one wins."""
    http_request = getattr(request, "_request", request)
    current = getattr(http_request, "throttle_state", None)
    if current is None or remaining < current["remaining"]:
        http_request.throttle_state = {
            "limit": limit,
            "remaining": max(remaining, 0),
            "reset": reset,
        }


class TokenRateThrottle(SimpleRateThrottle):
    """Per-token (per-user) rate limit with the count kept in Redis, shared by all workers."""

    scope = "token"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user and request.user.is_authenticated else None
        if ident is None:
            ident = self.get_ident(request)
        scope = getattr(view, "throttle_scope", None) or self.scope
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.cache_format % {"scope": scope, "ident": ident}

    def allow_request(self, request, view):
        # Fail open when Redis is unreachable: an outage of the cache must not stop agencies
        # from reading what they must enforce (the limit is a courtesy, not a safeguard).
        try:
            allowed = super().allow_request(request, view)
        except RedisError:
            logger.warning("throttle cache unavailable; allowing request")
            return True
        if self.rate is not None:
            history = getattr(self, "history", [])
            oldest = history[-1] if history else self.now
            record_throttle_state(
                request,
                limit=self.num_requests,
                remaining=self.num_requests - len(history),
                reset=int(oldest + self.duration),
            )
        return allowed


def idempotent(view_method):
    """Replay the first response for a repeated Idempotency-Key from the same user.

    The key is claimed in its own row before the work runs, so two concurrent retries
    cannot both do the work: the second waits on the row lock and then replays.
    """

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        from scs.models import IdempotencyRecord

        key = request.headers.get("Idempotency-Key")
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 200:
            raise exceptions.ValidationError({"Idempotency-Key": ["At most 200 characters."]})
        body_hash = hashlib.sha256(
            json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path,
                        request_hash=body_hash,
                    )
                fresh = True
            except IntegrityError:
                # Racing retry: wait for the first request's row, then replay it.
                record = IdempotencyRecord.objects.select_for_update().get(
                    user=request.user, key=key
                )
                fresh = False
            if not fresh:
                if record.request_hash != body_hash or record.path != request.path:
                    return Response(
                        {"detail": "This Idempotency-Key was used for a different request."},
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                if record.status_code is not None:
                    response = Response(record.response_body, status=record.status_code)
                    response["Idempotent-Replayed"] = "true"
                    return response
            record = IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
            response = view_method(self, request, *args, **kwargs)
            if response.status_code < 500:
                record.status_code = response.status_code
                # Stored exactly as the renderer writes it, so a replay is byte-for-byte equal.
                record.response_body = json.loads(json.dumps(response.data, cls=JSONEncoder))
                record.save(update_fields=["status_code", "response_body"])
            return response

    return wrapper
