"""Project-wide API pieces: one error shape, pagination, agency permission, throttling,
and Idempotency-Key handling for agency POSTs."""

from __future__ import annotations

import hashlib
import json
import logging
from functools import wraps
from hmac import compare_digest

import orjson
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.models import get_token_model
from knox.settings import CONSTANTS
from redis.exceptions import RedisError
from rest_framework import exceptions, permissions, renderers, status
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.encoders import JSONEncoder

logger = logging.getLogger(__name__)


class FastJSONRenderer(renderers.JSONRenderer):
    """orjson for the hot machine endpoints (feed, screening): the same JSON DRF's encoder
    writes for these payloads (UTC datetimes as ISO 8601 with "Z", dates as YYYY-MM-DD,
    UTF-8 text unescaped), serialised several times faster. Anything orjson does not know
    (lazy translations, Decimals) goes through DRF's encoder."""

    _drf = JSONEncoder()

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(
            data,
            default=self._drf.default,
            option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS,
        )


class AgencyTokenAuthentication(TokenAuthentication):
    """knox token authentication in one query: the token row with its user and the user's
    agency (every scoped endpoint reads it), and no scan of the user's other tokens on each
    request (knox's opportunistic clean-up); a token past its expiry is still refused and
    deleted, exactly as knox does."""

    def authenticate_credentials(self, token):
        from knox.crypto import hash_token

        msg = "Invalid token."
        token = token.decode("utf-8")
        candidates = (
            get_token_model()
            .objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user", "user__agency")
        )
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                continue
            try:
                digest = hash_token(token)
            except (TypeError, ValueError) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)


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
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("throttle cache unavailable; allowing request")
            return True


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
