"""API hygiene headers, in one place (docs/API.md):

- `ETag` on every successful GET under /api/ (SHA-256 of the body as rendered for the caller)
  and `304 Not Modified` for a matching `If-None-Match`; subject and list resources included.
- `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds) wherever a throttle recorded its
  state on the request (`scs.api.record_throttle_state`, called by the throttle classes).
- `Deprecation` (RFC 9745, `@<epoch>`), `Sunset` (RFC 8594, an HTTP date) and
  `Link: <…>; rel="deprecation"` for paths listed in settings.API_DEPRECATIONS.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.http import HttpResponseNotModified
from django.utils.http import http_date

API_PREFIX = "/api/"


def _epoch(day: str) -> int:
    return int(
        datetime.datetime.combine(
            datetime.date.fromisoformat(day), datetime.time(), datetime.UTC
        ).timestamp()
    )


class ApiHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        state = getattr(request, "throttle_state", None)
        if state:
            response["X-RateLimit-Limit"] = str(state["limit"])
            response["X-RateLimit-Remaining"] = str(state["remaining"])
            response["X-RateLimit-Reset"] = str(state["reset"])
        for rule in getattr(settings, "API_DEPRECATIONS", ()):
            if request.path.startswith(rule["prefix"]):
                response["Deprecation"] = f"@{_epoch(rule['deprecation'])}"
                if rule.get("sunset"):
                    response["Sunset"] = http_date(_epoch(rule["sunset"]))
                if rule.get("link"):
                    response["Link"] = f'<{rule["link"]}>; rel="deprecation"'
                break
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not response.streaming
            and not response.has_header("ETag")
        ):
            etag = f'"{hashlib.sha256(response.content).hexdigest()}"'
            response["ETag"] = etag
            inm = request.headers.get("If-None-Match", "")
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                not_modified = HttpResponseNotModified()
                for header in (
                    "ETag",
                    "Vary",
                    "X-RateLimit-Limit",
                    "X-RateLimit-Remaining",
                    "X-RateLimit-Reset",
                    "Deprecation",
                    "Sunset",
                    "Link",
                ):
                    if response.has_header(header):
                        not_modified[header] = response[header]
                return not_modified
        return response
