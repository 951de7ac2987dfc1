"""Liveness and readiness endpoints for the load balancer and the availability probe.

``/health/live`` answers as long as the process serves requests; ``/health/ready``
also checks what a request needs: the database, the shared cache and the data store.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class DataStore(HealthCheck):
    """The Parquet store directory exists and accepts writes."""

    def run(self) -> None:
        store = Path(settings.STORE_DIR)
        try:
            store.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=store, prefix=".health-")
            os.close(handle)
            os.unlink(name)
        except OSError as error:
            raise ServiceUnavailable("data store is not writable") from error


live = HealthCheckView.as_view(checks=[])
ready = HealthCheckView.as_view(checks=[Database, Cache, DataStore])
