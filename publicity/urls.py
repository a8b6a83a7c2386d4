from django.urls import path, register_converter

from publicity import views


class NumberConverter:
    """Tracking and report numbers: letters, digits and dashes. Anything else (a NUL byte,
    say) is simply not found instead of reaching the database."""

    regex = r"[A-Za-z0-9-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NumberConverter, "number")

app_name = "publicity"

urlpatterns = [
    path("", views.search, name="home"),
    path("search/", views.search, name="search"),
    path("subjects/<str:ref>/", views.subject, name="subject"),
    path("subjects/<str:ref>/report.pdf", views.subject_report, name="subject-report"),
    path(
        "subjects/<str:ref>/special-report/",
        views.subject_special_report,
        name="subject-special-report",
    ),
    path("reports/<number:number>/", views.report_verify, name="report-verify"),
    path("lists/", views.lists_index, name="lists"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("memoranda/", views.memoranda_index, name="memoranda"),
    path("memoranda/<int:pk>/", views.memorandum_detail, name="memorandum"),
    path("objections/new/", views.objection_new, name="objection-new"),
    path("repairs/new/", views.repair_new, name="repair-new"),
    path("track/", views.track_lookup, name="track-lookup"),
    path("track/<number:number>/", views.track, name="track"),
    path("stats/", views.stats, name="stats"),
    path("evidence/<number:number>/", views.evidence, name="evidence"),
]
