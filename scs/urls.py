from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from blacklists.urls import api_urlpatterns as lists_api
from notifications.urls import api_urlpatterns as notifications_api
from rating.api import SubjectRating
from registry import api as registry_api
from sanctions.urls import api_urlpatterns as sanctions_api
from scs import views as scs_views
from sharing.urls import api_urlpatterns as sharing_api

api_v1 = [
    *sanctions_api,
    *sharing_api,
    path("subjects/", registry_api.SubjectListCreate.as_view(), name="subject-list"),
    path("subject-lookup/", registry_api.SubjectLookup.as_view(), name="subject-lookup"),
    path(
        "subjects/<str:identifier>/",
        registry_api.SubjectDetail.as_view(),
        name="subject-detail",
    ),
    path("divisions/", registry_api.DivisionList.as_view(), name="division-list"),
    *lists_api,
    *notifications_api,
    path("subjects/<str:identifier>/rating/", SubjectRating.as_view(), name="subject-rating"),
]

handler400 = "scs.views.bad_request"
handler403 = "scs.views.permission_denied"
handler404 = "scs.views.page_not_found"
handler500 = "scs.views.server_error"

urlpatterns = [
    path("admin/otp/", scs_views.otp_verify, name="staff-otp"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("open-data/", include("opendata.urls")),
    path("my/", include("my.urls")),
    path("", include("publicity.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
