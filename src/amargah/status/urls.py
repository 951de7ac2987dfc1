from django.urls import path

from amargah.status import views, views_subscribe

app_name = "status"

urlpatterns = [
    path("status/", views.status_page, name="status"),
    path("status.json", views.status_json, name="status-json"),
    path("status/subscribe/", views_subscribe.subscribe, name="subscribe"),
    path(
        "status/subscribe/<str:token>/",
        views_subscribe.subscribe_confirm,
        name="subscribe-confirm",
    ),
    path("status/u/<str:token>/", views_subscribe.unsubscribe, name="unsubscribe"),
    path("charter/", views.charter_page, name="charter"),
    path("charter/v<int:number>/", views.charter_page, name="charter-version"),
]
