"""Refuse oversized evidence uploads before reading them (issue 9 §3).

Runs before CsrfViewMiddleware, which would otherwise read the whole body to find the token:
a declared Content-Length over the limit gets 413 at once, and a body without an honest
length is cut off by `LimitedUploadHandler` as soon as it passes the limit.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from blacklists.evidence import LimitedUploadHandler, max_request_bytes

SUBMISSION_VIEWS = frozenset({"publicity:objection-new", "publicity:repair-new"})


class EvidenceBodyLimit:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and self._is_submission(request):
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > max_request_bytes():
                return HttpResponse(
                    _("The file is too large."), status=413, content_type="text/plain"
                )
            request.upload_handlers.insert(0, LimitedUploadHandler(request))
        return self.get_response(request)

    @staticmethod
    def _is_submission(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in SUBMISSION_VIEWS
