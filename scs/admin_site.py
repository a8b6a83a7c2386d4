"""The admin site of the platform: a clerk's workspace in Chinese first.

Apps plug into it from their own `admin.py` without the site importing them:
- `site.register_queue(func)`: `func(request) -> list[Queue]`, counts shown on the home page,
  each linking to a filtered changelist (or any admin page);
- `site.register_view(route, view, name)`: an extra page under /admin/ (e.g. the implementing
  agencies' "to enforce" list at /admin/sanctions/to-enforce/);
- a ModelAdmin may define `autocomplete_label(obj, request) -> str`, used for its rows in
  Django's autocomplete widgets instead of `str(obj)` (e.g. subjects with a masked ID).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.urls import path
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Queue:
    """One work queue on the home page: a label, a count and where to work it off."""

    label: str
    count: int
    url: str
    note: str = ""
    urgent: bool = False
    more: bool = False  # the count stopped at QUEUE_CAP: shown as "1000+"


# A queue longer than this is counted no further (a count of 25 000 sanctions cost 50 ms on the
# home page at 1 000 000 subjects); the page says "1000+".
QUEUE_CAP = 1000


def capped_queue(label: str, qs, url: str, **kw) -> Queue:
    """A Queue whose count reads at most QUEUE_CAP + 1 rows (no ORDER BY)."""
    n = qs.order_by().values("pk")[: QUEUE_CAP + 1].count()
    return Queue(label, min(n, QUEUE_CAP), url, more=n > QUEUE_CAP, **kw)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name):
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is None:
            return super().serialize_result(obj, to_field_name)
        return {"id": str(getattr(obj, to_field_name)), "text": label(obj, self.request)}


class PlatformAdminSite(admin.AdminSite):
    site_header = _("Credit information sharing platform")
    site_title = _("Agency workspace")
    index_title = _("Workspace")
    index_template = "admin/platform_index.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queues: list[Callable] = []
        self._views: list = []

    def register_queue(self, func: Callable) -> Callable:
        self._queues.append(func)
        return func

    def register_view(self, route: str, view: Callable, name: str) -> None:
        self._views.append((route, view, name))

    def queues(self, request) -> list[Queue]:
        found: list[Queue] = []
        for func in self._queues:
            found.extend(func(request))
        return found

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "queues": self.queues(request)}
        return super().index(request, extra_context)

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_urls(self):
        extra = [path(route, self.admin_view(view), name=name) for route, view, name in self._views]
        return [*extra, *super().get_urls()]
