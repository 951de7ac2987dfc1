"""WSGI entry point for gunicorn and other servers."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amargah.config.settings.local")

application = get_wsgi_application()

# Import every app's URLs and views (with the statistics stack behind them, about a
# second of CPU) now rather than on the first request: under gunicorn's --preload the
# master does it once before forking its workers, so a restarted server answers sooner.
get_resolver().url_patterns  # noqa: B018 (the import is the point)
