from django.urls import path

from blacklists import api, import_api

api_urlpatterns = [
    path("lists/", api.ListDefinitionList.as_view(), name="list-definitions"),
    path("list-entries/", api.ListEntryListCreate.as_view(), name="list-entries"),
    path("list-entries/<int:pk>/", api.ListEntryDetail.as_view(), name="list-entry-detail"),
    path("list-entries/import/", api.ListEntryImport.as_view(), name="list-entry-import"),
    *[
        path(
            f"list-entries/import/template.{fmt}",
            api.ListEntryImportTemplate.as_view(),
            {"fmt": fmt},
            name=f"list-entry-import-template-{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ],
    path("import-jobs/", import_api.ImportJobCreate.as_view(), name="import-jobs"),
    path("import-jobs/<int:pk>/", import_api.ImportJobDetail.as_view(), name="import-job-detail"),
    *[
        path(f"list-entries/<int:pk>/{action}/", view.as_view(), name=f"list-entry-{action}")
        for action, view in api.TRANSITIONS.items()
    ],
]
