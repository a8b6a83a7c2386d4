from django.urls import path

app_name = "publicity"

urlpatterns: list = [
    path(
        "",
        lambda request: __import__("django.http").http.HttpResponse("Portal: coming soon"),
        name="home",
    )
]
