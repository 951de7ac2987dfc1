"""Background work of the status app: the availability probe, every minute."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task

from amargah.status import services
from amargah.status.snapshot import write_snapshot

PROBE_INTERVAL = dt.timedelta(seconds=60)


@task()
def probe() -> bool:
    """Run the availability probe once, refresh the static snapshot, schedule the next run."""
    result = services.probe_run()
    write_snapshot(Path(settings.STATUS_SNAPSHOT_DIR))
    probe_schedule()
    return result.ok


def probe_schedule(*, delay: dt.timedelta = PROBE_INTERVAL) -> bool:
    """Queue the next probe unless one is already waiting; True when one was queued.

    Only a backend that can defer work keeps the probe going: the immediate backend
    of the tests would otherwise recurse.
    """
    if not default_task_backend.supports_defer:
        return False
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=probe.module_path, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    probe.using(run_after=timezone.now() + delay).enqueue()
    return True
