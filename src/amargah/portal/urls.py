from django.urls import path

from amargah.portal import views

app_name = "portal"

urlpatterns = [
    path("data/", views.catalog, name="catalog"),
    path("data/studies/<slug:code>/", views.study_detail, name="study"),
    path("data/tables/<str:code>/", views.table_explorer, name="table"),
    path("data/tables/<str:code>/download/<slug:fmt>", views.table_download, name="download"),
    path("data/calendar/", views.release_calendar, name="calendar"),
    path("data/glossary/", views.glossary, name="glossary"),
]
