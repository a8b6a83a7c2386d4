from django.urls import path

from opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("index.json", views.index, name="index-json"),
    path("<str:version>/", views.version_file, name="manifest"),
    path("<str:version>/<str:name>", views.version_file, name="file"),
]
