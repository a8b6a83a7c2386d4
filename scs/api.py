"""Project-wide API pieces: one error shape, pagination, agency permission, throttling,
and Idempotency-Key handling for agency POSTs."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from functools import wraps
from hmac import compare_digest

import django_filters
import orjson
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from knox.auth import TokenAuthentication
from knox.models import get_token_model
from knox.settings import CONSTANTS
from rest_framework import exceptions, permissions, renderers, serializers, status
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.utils.encoders import JSONEncoder

from scs import ratelimit
from scs.errors import Conflict

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

        msg = gettext("Invalid token.")
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


class StrictPageSize:
    """`page_size`, when given, must be a whole number from 1 to max_page_size: a 400 names
    it otherwise (DRF silently falls back to the default, which changes what the caller
    gets without saying so)."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
                raise exceptions.ValidationError(
                    {
                        self.page_size_query_param: [
                            gettext("A whole number from 1 to %(max)d.")
                            % {"max": self.max_page_size}
                        ]
                    }
                )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        """The schema says what get_page_size accepts (1..max_page_size), so a contract test
        neither sends a valid-looking 0 nor expects it to pass."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


# The `limit` query parameter of the cursor-paged machine endpoints (feed, changes, deliveries).
LIMIT_1_1000 = {"type": "integer", "minimum": 1, "maximum": 1000}


class Pagination(StrictPageSize, PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        """An empty `page` is a 400 (DRF would silently answer page 1); a number past the
        end stays DRF's 404."""
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise exceptions.ValidationError(
                {self.page_query_param: [gettext("Empty: give a page number or leave it out.")]}
            )
        return super().get_page_number(request, paginator)


class KeysetPagination(StrictPageSize, CursorPagination):
    """Stable, index-friendly paging for large tables (no OFFSET, no COUNT)."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500


class ErrorSerializer(serializers.Serializer):
    """The one error shape, for the schema: {"detail": str, "errors": {field: [str]}}."""

    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def exception_handler(exc, context):
    """Every error answers as {"detail": ..., "errors": {field: [messages]}}."""
    # Imported here: DRF's settings import this module while rest_framework.views loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    conflict = isinstance(exc, Conflict) or _only_uniqueness(exc)
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
        response.data = {"detail": gettext("Invalid input."), "errors": flatten_errors(errors)}
        if conflict:
            response.status_code = status.HTTP_409_CONFLICT
            response.data["detail"] = gettext("Conflict with the present state of the data.")
    elif isinstance(exc, ReferenceNotFound):
        response.data = {"detail": response.data["detail"], "errors": exc.errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": response.data["detail"]}
    return response


def _only_uniqueness(exc) -> bool:
    """True for a Django ValidationError made only of uniqueness errors (a model's
    validate_unique: the same decision or name already recorded), which is a 409."""
    if not isinstance(exc, DjangoValidationError):
        return False
    groups = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    codes = {getattr(error, "code", None) for group in groups for error in group}
    return bool(codes) and codes <= {"unique", "unique_together"}


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors of list and nested fields ({"items": {"0": ["..."]}} or
    {"roles": [{}, {"role": ["..."]}]}); the one error shape names each field by its path
    instead: {"items.0": ["..."], "roles.1.role": ["..."]}, every value a list of strings."""
    flat: dict[str, list[str]] = {}
    items = errors.items() if isinstance(errors, dict) else enumerate(errors)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_errors(value, path))
        elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    flat.update(flatten_errors(item, f"{path}.{index}"))
                else:
                    flat.setdefault(path, []).append(str(item))
        elif isinstance(value, list):
            flat.setdefault(path, []).extend(str(v) for v in value)
        else:
            flat.setdefault(path, []).append(str(value))
    return flat


class SafeJSONParser(JSONParser):
    """JSON with limits (issue 10): at most settings.API_MAX_JSON_BYTES bytes and
    settings.API_MAX_JSON_DEPTH levels of nesting; beyond either, a 400 in the one error
    shape, before any view code (a 1 000-deep body used to end in a RecursionError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_JSON_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise exceptions.ParseError(
                gettext("The JSON body is larger than %(limit)d bytes.") % {"limit": limit}
            )
        if not raw.strip():
            raise exceptions.ParseError(gettext("The JSON body is empty."))
        try:
            data = json.loads(raw.decode(settings.DEFAULT_CHARSET))
        except RecursionError as exc:
            raise exceptions.ParseError(gettext("The JSON body is nested too deeply.")) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(
                gettext("JSON parse error: %(error)s") % {"error": exc}
            ) from exc
        if _depth_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise exceptions.ParseError(
                gettext("The JSON body is nested deeper than %(depth)d levels.")
                % {"depth": settings.API_MAX_JSON_DEPTH}
            )
        return data


def _depth_exceeds(data, limit: int) -> bool:
    """Iterative (no recursion): True when containers nest deeper than `limit`."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        # Only containers can nest deeper: 10 000 strings of a screening are not pushed.
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


class IsAgencyUser(permissions.IsAuthenticated):
    """Authenticated and acting for an agency (or a superuser)."""

    message = gettext_lazy("This API is for agency systems: authenticate with an agency token.")

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


class TokenRateThrottle(BaseThrottle):
    """Per-token (per-user; per client address when anonymous) limit for the view's
    `throttle_scope` (default "token"), plus a global cap per scope shared by all callers
    (settings.API_GLOBAL_RATES). Counted atomically in Redis by scs.ratelimit, falling back
    to an in-process count when Redis is down: the limit never switches off."""

    scope = "token"
    THROTTLE_RATES: dict[str, str] | None = None  # default: settings' DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        from scs.security import client_ip

        scope = getattr(view, "throttle_scope", None) or self.scope
        rates = self.THROTTLE_RATES or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        rate = rates.get(scope)
        if rate is None:
            return True
        limit, window = ratelimit.parse_rate(rate)
        user = request.user
        ident = f"u{user.pk}" if user and user.is_authenticated else f"ip{client_ip(request)}"
        global_rate = settings.API_GLOBAL_RATES.get(scope)
        overall = None
        if global_rate:
            cap, cap_window = ratelimit.parse_rate(global_rate)
            # One round trip: the shared cap is counted only if the caller's own limit passed.
            own, overall = ratelimit.hit_pair(
                f"api:{scope}:{ident}", limit, window, f"api:{scope}:*", cap, cap_window
            )
        else:
            own = ratelimit.hit(f"api:{scope}:{ident}", limit, window)
        self.wait_seconds = own.reset_in
        record_throttle_state(
            request,
            limit=limit,
            remaining=limit - own.count,
            reset=int(time.time()) + own.reset_in,
        )
        if not own.allowed:
            return False
        if overall is not None and not overall.allowed:
            self.wait_seconds = overall.reset_in
            return False
        return True

    def wait(self):
        return getattr(self, "wait_seconds", None)


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
            raise exceptions.ValidationError(
                {"Idempotency-Key": [gettext("At most 200 characters.")]}
            )
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
                        {
                            "detail": gettext(
                                "This Idempotency-Key was used for a different request."
                            )
                        },
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


class ClosedInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not define (each named in the 400,
    together with every other error of the body) and says so in the schema
    (`additionalProperties: false`, ClosedInputScheme): a misspelt field is never silently
    dropped, and the contract says which bodies are refused."""

    def to_internal_value(self, data):
        unknown = {}
        if hasattr(data, "keys"):
            unknown = {
                name: [gettext("Unknown field.")] for name in data.keys() if name not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise exceptions.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise exceptions.ValidationError(unknown)
        return value


class ClosedInputScheme(OpenApiSerializerExtension):
    """Request schemas of ClosedInputSerializer subclasses: additionalProperties false."""

    target_class = "scs.api.ClosedInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class AgencyTokenScheme(OpenApiAuthenticationExtension):
    """The schema's one security scheme: `Authorization: Token <key>` (knox, via
    AgencyTokenAuthentication). Session sign-in exists for the browsable docs only and is
    left out of the contract (settings.SPECTACULAR_SETTINGS["AUTHENTICATION_WHITELIST"])."""

    target_class = "scs.api.AgencyTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, as printed by `manage.py issue_token`.",
        }


ERROR_STATUSES = {
    "400": "Invalid input: the fields at fault are named in `errors`.",
    "401": "No valid token.",
    "403": "Authenticated, but this agency may not do this.",
    "404": "Not found, or not visible to this agency.",
    "429": "Rate limit reached; see Retry-After.",
    "503": "The database is temporarily unavailable; see Retry-After.",
}
# Only operations that take a body: a body of another media type than the documented one.
BODY_ERROR_STATUSES = {
    "409": "Conflict with the present state of the data (e.g. an entry not in the state this "
    "step needs, a name already taken, a decision already recorded with other values).",
    "415": "The body's Content-Type is not the one documented.",
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents every error status it
    can return, each in the one error shape (scs.api.ErrorSerializer as `Error`)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "detail": {"type": "string"},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["detail"],
        },
    )
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            statuses = dict(ERROR_STATUSES)
            if operation.get("requestBody"):
                statuses.update(BODY_ERROR_STATUSES)
            for code, text in statuses.items():
                responses.setdefault(code, {"description": text, "content": error})
    return result


# --- the contract's input rules (issue 10) -------------------------------------------------

# What InputHygieneMiddleware refuses in a query parameter, a path segment or a form field:
# the C0 control characters except tab, LF and CR, and DEL.
_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
NO_CONTROL_PATTERN = f"^[^{_CONTROL}]*$"
# What every JSON string field refuses (DRF's ProhibitNullCharactersValidator: PostgreSQL
# text cannot hold NUL).
NO_NUL_PATTERN = "^[^\\x00]*$"
# The same for a required text (minLength 1): DRF trims whitespace first, so a text of spaces
# only is refused as blank; at least one character that is not whitespace.
# Whitespace spelt out as Python's str.strip() knows it (str.isspace), not `\s`, whose
# meaning differs between regex engines (ECMA's excludes \x1c-\x1f and \x85).
_SPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0"
    "\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NON_BLANK_PATTERNS = {
    NO_CONTROL_PATTERN: f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$",
    NO_NUL_PATTERN: f"^[^\\x00]*[^\\x00{_SPACE}][^\\x00]*$",
}
# Formats whose values cannot hold control characters anyway: left without a pattern.
_SHAPED_FORMATS = {"date", "date-time", "time", "uuid", "uri", "email", "binary", "decimal"}

# Closed vocabularies kept as data (purposes, catalogue item codes, list keys...): name ->
# function returning the codes in force. Registered by the app that owns them
# (register_vocabulary), read by fill_vocabularies at every schema generation.
VOCABULARIES: dict[str, object] = {}


def register_vocabulary(name: str):
    """Decorator: `@register_vocabulary("purposes") def f() -> list[str]` makes every schema
    object marked `{"x-vocabulary": "purposes"}` (VocabularyField, vocabulary_parameter)
    carry `enum: f()`, read from the database when the schema is generated."""

    def register(function):
        VOCABULARIES[name] = function
        return function

    return register


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField also takes numbers (5 becomes "5"),
    which the schema (`type: string`) does not promise; 400 naming the field instead."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class VocabularyField(StrictCharField):
    """A code from a closed vocabulary kept as data. The schema lists the codes in force
    (`enum`, filled by fill_vocabularies); the view still checks the code against the
    database and answers 400 naming the field for one withdrawn meanwhile."""

    def __init__(self, *, vocabulary: str, **kwargs):
        self.vocabulary = vocabulary
        super().__init__(**kwargs)


class VocabularyFieldScheme(OpenApiSerializerFieldExtension):
    target_class = "scs.api.VocabularyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "x-vocabulary": self.target.vocabulary}


def vocabulary_parameter(name: str, vocabulary: str, *, required: bool = False, **kwargs):
    """An OpenApiParameter (query) whose schema lists the codes of `vocabulary` in force."""
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        name,
        {"type": "string", "x-vocabulary": vocabulary},
        OpenApiParameter.QUERY,
        required=required,
        **kwargs,
    )


def _walk(node, visit):
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def schema_from_data(hook):
    """Decorator for a drf-spectacular postprocessing hook that reads the database: when no
    database can be reached (`manage.py check --deploy` on a build host, drf-spectacular's own
    schema check), the schema is produced without what the data adds (enums, variants), and
    a warning says so, instead of the check failing. A database that is reachable answers as
    usual; other errors propagate."""

    @functools.wraps(hook)
    def guarded(result, generator, request, public):
        try:
            return hook(result, generator, request, public)
        except OperationalError as exc:
            logger.warning("schema without data-derived parts (%s): %s", hook.__name__, exc)
            return result

    return guarded


@schema_from_data
def fill_vocabularies(result, generator, request, public):
    """drf-spectacular postprocessing hook: `enum` for every `x-vocabulary` schema, from the
    database at generation time (the schema view answers per request, so a purpose the
    operator adds appears in the next schema fetched)."""
    cache: dict[str, list[str]] = {}

    def visit(node):
        name = node.get("x-vocabulary")
        if isinstance(name, str) and name in VOCABULARIES:
            if name not in cache:
                cache[name] = sorted(VOCABULARIES[name]())
            node["enum"] = cache[name]

    _walk(result, visit)
    return result


def _plain_string(schema: dict) -> bool:
    return (
        schema.get("type") == "string"
        and "enum" not in schema
        and "pattern" not in schema
        and schema.get("format") not in _SHAPED_FORMATS
    )


def document_input_rules(result, generator, request, public):
    """drf-spectacular postprocessing hook: the characters the API refuses, in the schema.

    - query and path parameters, and multipart form fields: no control characters
      (NO_CONTROL_PATTERN; scs.security.InputHygieneMiddleware answers 400 otherwise);
    - JSON string fields: no NUL (NO_NUL_PATTERN; DRF answers 400 otherwise).
    Strings that already carry a pattern, an enum or a shaped format are left as they are."""
    schemas = result.get("components", {}).get("schemas", {})

    def constrain(schema: dict | None, pattern: str, seen: set[str]):
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if (name, pattern) not in seen:
                seen.add((name, pattern))
                constrain(schemas.get(name), pattern, seen)
            return
        if _plain_string(schema):
            blank_refused = schema.get("minLength", 0) >= 1
            schema["pattern"] = NON_BLANK_PATTERNS[pattern] if blank_refused else pattern
        for key in ("properties",):
            for child in (schema.get(key) or {}).values():
                constrain(child, pattern, seen)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                constrain(schema[key], pattern, seen)
        for key in ("allOf", "oneOf", "anyOf"):
            for child in schema.get(key) or []:
                constrain(child, pattern, seen)

    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("query", "path"):
                    constrain(parameter.get("schema"), NO_CONTROL_PATTERN, set())
            content = (operation.get("requestBody") or {}).get("content", {})
            for media_type, body in content.items():
                pattern = NO_NUL_PATTERN if media_type == "application/json" else NO_CONTROL_PATTERN
                constrain(body.get("schema"), pattern, set())
    return result


class StrictBooleanField(forms.Field):
    """`true` or `false` (also `1`/`0`), nothing else: django-filter's own boolean field
    reads any other value as "no filter", which silently widens the answer."""

    default_error_messages = {"invalid": gettext_lazy("Use true or false.")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean query filter that answers 400 for anything but true/false (schema: boolean)."""

    field_class = StrictBooleanField


class ReferenceNotFound(exceptions.NotFound):
    """404 in the one error shape, naming the fields whose well-formed values name nothing
    (an identifier not registered, a cursor this server did not issue): the request is
    valid, the thing it refers to does not exist."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(gettext("Not found: the values named in `errors` name nothing here."))
        self.errors = errors


def raise_invalid(errors: dict, *, references: dict[str, object]) -> None:
    """Raise for a refused body: ReferenceNotFound (404) when every field at fault is one of
    `references` (field -> the value sent) and that value is a well-formed identifier
    (registry.identifiers.IDENTIFIER_PATTERN, after normalisation: no such code is
    registered, a wrong check character included); a ValidationError (400) otherwise."""
    from registry import identifiers

    def well_formed(value) -> bool:
        return isinstance(value, str) and identifiers.well_formed(value)

    if errors and all(field in references and well_formed(references[field]) for field in errors):
        raise ReferenceNotFound({field: [str(m) for m in errors[field]] for field in errors})
    raise exceptions.ValidationError(errors)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing (400, each parameter named) what it would silently ignore and
    so widen the answer to everything: a query parameter the endpoint does not know
    (`?stat=published`) and a filter given empty (`?kind=`). Known: the FilterSet's filters,
    the paginators' `page`, `page_size`, `cursor`, and DRF's `format`. The schema says so:
    every string filter has minLength 1."""

    ALWAYS = frozenset({"page", "page_size", "cursor", "format"})

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            filters = set(filterset_class.base_filters)
            errors = {
                name: [gettext("Unknown parameter.")]
                for name in request.query_params
                if name not in filters | self.ALWAYS
            }
            for name in filters & set(request.query_params):
                if any(not value.strip() for value in request.query_params.getlist(name)):
                    errors[name] = [gettext("Empty: give a value or leave the parameter out.")]
            if errors:
                raise exceptions.ValidationError(dict(sorted(errors.items())))
        return super().filter_queryset(request, queryset, view)


class StrictFilterScheme(DjangoFilterExtension):
    """The schema of StrictFilterBackend's filters: django-filter's, every string filter with
    minLength 1 (an empty one is refused)."""

    target_class = "scs.api.StrictFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and "enum" not in schema:
                schema["minLength"] = 1
        return parameters
