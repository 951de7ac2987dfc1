from django.urls import URLPattern, URLResolver, path

from amargah.portal import pxweb_api, sdmx_api, views
from amargah.portal.api import api as portal_api

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("data/", views.catalog, name="catalog"),
    path("data/studies/<slug:code>/", views.study_detail, name="study"),
    path("data/studies/<slug:code>/ddi.xml", views.study_ddi, name="ddi"),
    path("data/tables/<str:code>/", views.table_explorer, name="table"),
    path("data/tables/<str:code>/download/<slug:fmt>", views.table_download, name="download"),
    path("data/calendar/", views.release_calendar, name="calendar"),
    path("data/glossary/", views.glossary, name="glossary"),
]

# Dissemination APIs: SDMX REST 2.1 and a PxWeb-API-v2-style table API.
urlpatterns += [
    path("sdmx/rest/dataflow/<str:agency>/<str:resource>/<str:version>", sdmx_api.dataflow),
    path(
        "sdmx/rest/datastructure/<str:agency>/<str:resource>/<str:version>", sdmx_api.datastructure
    ),
    path("sdmx/rest/codelist/<str:agency>/<str:resource>/<str:version>", sdmx_api.codelist),
    path(
        "sdmx/rest/conceptscheme/<str:agency>/<str:resource>/<str:version>", sdmx_api.conceptscheme
    ),
    path("sdmx/rest/data/<str:flow_ref>", sdmx_api.data),
    path("sdmx/rest/data/<str:flow_ref>/<str:key>", sdmx_api.data),
    path("sdmx/rest/data/<str:flow_ref>/<str:key>/<str:provider>", sdmx_api.data),
    path("api/v1/", portal_api.urls),
    path("api/v2/config", pxweb_api.config, name="pxweb-config"),
    path("api/v2/tables", pxweb_api.tables, name="pxweb-tables"),
    path("api/v2/tables/<str:table_id>", pxweb_api.table, name="pxweb-table"),
    path("api/v2/tables/<str:table_id>/metadata", pxweb_api.metadata, name="pxweb-metadata"),
    path("api/v2/tables/<str:table_id>/data", pxweb_api.data, name="pxweb-data"),
]
