"""WSGI entry point for gunicorn and other servers."""

import gc
import os

# No garbage collection while the application loads: it found almost nothing to free
# and cost about a fifth of the start (0.25 s of CPU). Re-enabled below.
gc.disable()
try:
    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amargah.config.settings.local")

    application = get_wsgi_application()

    # Import every app's URLs and views (with the statistics stack behind them, about a
    # second of CPU), build the URL maps, catalogs and templates now rather than on the
    # first requests: under gunicorn's --preload the master does it once before forking
    # its workers, so a restarted server answers sooner and its first answers are quick.
    from amargah.core.preload import warm

    warm()
finally:
    # What is loaded now lives as long as the process: the collector leaves it alone
    # from here on (gc.freeze), so a worker's full collections neither walk it (about
    # 0.1 s each) nor write to the pages it shares with the master after the fork.
    gc.freeze()
    gc.enable()
