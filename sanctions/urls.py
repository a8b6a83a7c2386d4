from django.urls import path

from sanctions import api

api_urlpatterns = [
    path("sanctions/feed/", api.SanctionFeed.as_view(), name="sanction-feed"),
    path(
        "sanctions/<int:pk>/feedback/", api.SanctionFeedbackView.as_view(), name="sanction-feedback"
    ),
    path(
        "subjects/<str:identifier>/restrictions/",
        api.SubjectRestrictions.as_view(),
        name="subject-restrictions",
    ),
    path(
        "restrictions/lookup/",
        api.SubjectRestrictionsLookup.as_view(),
        name="subject-restrictions-lookup",
    ),
    path("screenings/", api.Screening.as_view(), name="screenings"),
]
