"""Liveness and readiness endpoints for the load balancer and the availability probe.

``/health/live`` answers as long as the process serves requests; ``/health/ready``
also checks what a request needs: the database, the shared cache, the data store
and a background worker that has run recently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from amargah.status.selectors import probe_latest
from amargah.status.services import store_is_writable


@dataclasses.dataclass
class DataStore(HealthCheck):
    """The Parquet store directory exists and accepts writes."""

    def run(self) -> None:
        if not store_is_writable(Path(settings.STORE_DIR)):
            raise ServiceUnavailable("data store is not writable")


live = HealthCheckView.as_view(checks=[])


# The worker runs the availability probe every minute; without a recent probe,
# background work (notifications, SLA clocks, publication) is not being done.
WORKER_SILENCE_LIMIT = dt.timedelta(minutes=3)


@dataclasses.dataclass
class Worker(HealthCheck):
    """The background worker has run the availability probe recently."""

    def run(self) -> None:
        try:
            latest = probe_latest()
        finally:
            # Sync checks run in the event loop's executor threads; a connection left
            # open there would outlive the request and leak.
            connections.close_all()
        if latest is None:
            # a new installation, or a worker started a moment ago: not ready until it has
            raise ServiceUnavailable("the background worker has not run its probe yet")
        if timezone.now() - latest.checked_at > WORKER_SILENCE_LIMIT:
            raise ServiceUnavailable("no probe from the background worker in 3 minutes")


ready = HealthCheckView.as_view(checks=[Database, Cache, DataStore, Worker])
