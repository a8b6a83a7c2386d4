from django.urls import path

from publicity import views

app_name = "publicity"

urlpatterns = [
    path("", views.search, name="home"),
    path("search/", views.search, name="search"),
    path("subjects/<str:ref>/", views.subject, name="subject"),
    path("subjects/<str:ref>/report.pdf", views.subject_report, name="subject-report"),
    path("reports/<str:number>/", views.report_verify, name="report-verify"),
    path("lists/", views.lists_index, name="lists"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("memoranda/", views.memoranda_index, name="memoranda"),
    path("memoranda/<int:pk>/", views.memorandum_detail, name="memorandum"),
    path("objections/new/", views.objection_new, name="objection-new"),
    path("repairs/new/", views.repair_new, name="repair-new"),
    path("track/", views.track_lookup, name="track-lookup"),
    path("track/<str:number>/", views.track, name="track"),
    path("stats/", views.stats, name="stats"),
]
