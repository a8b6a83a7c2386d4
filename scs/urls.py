from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from blacklists.urls import api_urlpatterns as lists_api
from notifications.urls import api_urlpatterns as notifications_api
from rating.api import SubjectRating
from registry import api as registry_api
from sanctions.urls import api_urlpatterns as sanctions_api

api_v1 = [
    *sanctions_api,
    path("subjects/", registry_api.SubjectListCreate.as_view(), name="subject-list"),
    path(
        "subjects/<str:identifier>/",
        registry_api.SubjectDetail.as_view(),
        name="subject-detail",
    ),
    *lists_api,
    *notifications_api,
    path("subjects/<str:identifier>/rating/", SubjectRating.as_view(), name="subject-rating"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open-data/", include("opendata.urls")),
    path("", include("publicity.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
