from django.urls import URLPattern, path

from amargah.disclosure import views

app_name = "disclosure"

urlpatterns: list[URLPattern] = [
    path("data/builder/", views.table_builder, name="builder"),
    path("data/builder/download/<slug:fmt>", views.builder_download, name="builder-download"),
    path("data/tables/<str:code>/quality/", views.quality_report, name="quality"),
]
