"""The site's URL map: each app mounts its own urls module here."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from amargah.status import health
from amargah.status import views as status_views

urlpatterns = [
    path("", include("amargah.core.urls")),
    path("desk/", include("amargah.desk.urls")),
    path("", include("amargah.status.urls")),
    path("production/", include("amargah.production.urls")),
    path("", include("amargah.portal.urls")),
    path("", include("amargah.disclosure.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", status_views.metrics, name="metrics"),
    path("staff/", admin.site.urls),
]
