from django.urls import URLPattern, path

from amargah.disclosure import views

app_name = "disclosure"

urlpatterns: list[URLPattern] = [
    path("data/builder/", views.table_builder, name="builder"),
    path("data/builder/download/<slug:fmt>", views.builder_download, name="builder-download"),
    path("data/tables/<str:code>/quality/", views.quality_report, name="quality"),
    path("data/studies/<slug:code>/microdata/", views.microdata_files, name="microdata"),
    path("data/studies/<slug:code>/microdata/new/", views.microdata_new, name="microdata-new"),
    path(
        "data/studies/<slug:code>/microdata/<int:version>/publish",
        views.microdata_publish,
        name="microdata-publish",
    ),
    path(
        "data/studies/<slug:code>/microdata/<int:version>.<slug:fmt>",
        views.microdata_download,
        name="microdata-download",
    ),
]
