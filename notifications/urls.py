from django.urls import path

from notifications import api

api_urlpatterns = [
    path("monitoring-sets/", api.MonitoringSetListCreate.as_view(), name="monitoring-sets"),
    path("monitoring-sets/<int:pk>/", api.MonitoringSetDetail.as_view(), name="monitoring-set"),
    path(
        "monitoring-sets/<int:pk>/subjects/",
        api.MonitoringSetMembers.as_view(),
        name="monitoring-set-subjects",
    ),
    path(
        "monitoring-sets/<int:pk>/changes/",
        api.MonitoringSetChanges.as_view(),
        name="monitoring-set-changes",
    ),
    path("webhooks/", api.WebhookListCreate.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", api.WebhookDetail.as_view(), name="webhook"),
    path("webhooks/<int:pk>/ping/", api.WebhookPing.as_view(), name="webhook-ping"),
    path("webhooks/<int:pk>/resume/", api.WebhookResume.as_view(), name="webhook-resume"),
    path(
        "webhooks/<int:pk>/deliveries/", api.WebhookDeliveries.as_view(), name="webhook-deliveries"
    ),
    path("webhooks/<int:pk>/replay/", api.WebhookReplay.as_view(), name="webhook-replay"),
]
