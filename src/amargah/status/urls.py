from django.urls import path

from amargah.status import views

app_name = "status"

urlpatterns = [
    path("status/", views.status_page, name="status"),
    path("status.json", views.status_json, name="status-json"),
    path("charter/", views.charter_page, name="charter"),
    path("charter/v<int:number>/", views.charter_page, name="charter-version"),
]
