from django.urls import path

from sharing.api import collection, consultation

api_urlpatterns = [
    path("catalogue/", collection.CatalogueList.as_view(), name="catalogue"),
    path("credit-records/", collection.CreditRecordListCreate.as_view(), name="credit-records"),
    path(
        "credit-records/changes/",
        collection.CreditRecordChanges.as_view(),
        name="credit-record-changes",
    ),
    path("credit-records/bulk/", collection.CreditRecordBulk.as_view(), name="credit-records-bulk"),
    path(
        "credit-records/<int:pk>/",
        collection.CreditRecordDetail.as_view(),
        name="credit-record-detail",
    ),
    path(
        "credit-records/<int:pk>/correct/",
        collection.CreditRecordCorrect.as_view(),
        name="credit-record-correct",
    ),
    path(
        "credit-records/<int:pk>/withdraw/",
        collection.CreditRecordWithdraw.as_view(),
        name="credit-record-withdraw",
    ),
    path(
        "credit-records/<int:pk>/confirm/",
        collection.CreditRecordConfirm.as_view(),
        name="credit-record-confirm",
    ),
    path("purposes/", consultation.PurposeList.as_view(), name="purposes"),
    path(
        "subjects/<str:identifier>/file/", consultation.SubjectFile.as_view(), name="subject-file"
    ),
    path("credit-checks/", consultation.CreditChecks.as_view(), name="credit-checks"),
    path("consents/", consultation.ConsentListCreate.as_view(), name="consents"),
    path(
        "consents/<int:pk>/withdraw/",
        consultation.ConsentWithdraw.as_view(),
        name="consent-withdraw",
    ),
    path(
        "consents/<int:pk>/evidence/",
        consultation.ConsentEvidence.as_view(),
        name="consent-evidence",
    ),
    path("access-log/", consultation.AccessLog.as_view(), name="access-log"),
]
