from django.urls import path

from my import views

app_name = "my"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("second-factor/", views.second_factor, name="second-factor"),
    path("second-factor/qr.svg", views.totp_qr, name="totp-qr"),
    path("activate/<str:token>/", views.activate, name="activate"),
    path("entries/<int:entry_id>/objection/", views.objection_new, name="objection-new"),
    path("entries/<int:entry_id>/repair/", views.repair_new, name="repair-new"),
    path("disputes/", views.disputes, name="disputes"),
    path("colleagues/", views.colleagues, name="colleagues"),
    path("report/", views.report, name="report"),
    path("commitments/", views.commitments, name="commitments"),
    path("self-info/", views.self_info, name="self-info"),
    path("access-log/", views.access_log, name="access-log"),
    path("consents/", views.consents, name="consents"),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
]
