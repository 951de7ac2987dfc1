"""Background work of the status app: the availability probe every minute, and notices.

The probe also sends any subscriber notice whose retry is due, so a notice whose task
was lost (a worker killed mid-send) still goes out within a minute of its due time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from amargah.status import services, subscriptions
from amargah.status.snapshot import write_snapshot

PROBE_INTERVAL = dt.timedelta(seconds=60)


@task()
def probe() -> bool:
    """Run the availability probe once, refresh the static snapshot, schedule the next run."""
    try:
        result = services.probe_run()
        write_snapshot(Path(settings.STATUS_SNAPSHOT_DIR))
        subscriptions.notices_send_due()
    finally:
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


def _in_database(some_task: Any) -> bool:
    """Whether the task queue lives in the application's database (django-tasks-db)."""
    return type(some_task.get_backend()).__module__.startswith("django_tasks_db")


def enqueue_after_commit(some_task: Any, *args: int, when: dt.datetime | None = None) -> bool:
    """Queue ``some_task`` so that the worker sees it only once the current transaction commits.

    A queue in the same database is written inside the transaction (the task and its
    notices commit together); any other backend is called after the commit. A deferred
    task needs a backend that can defer; without one the probe's sweep retries.
    """
    backend = some_task.get_backend()
    if when is not None and not backend.supports_defer:
        return False
    scheduled = some_task.using(run_after=max(when, timezone.now())) if when else some_task
    if _in_database(some_task):
        scheduled.enqueue(*args)
    else:
        transaction.on_commit(lambda: scheduled.enqueue(*args), robust=True)
    return True


@task()
def send_notice(notice_id: int) -> str:
    """Send one subscriber notice (a confirmation code); a failure is retried later."""
    status = subscriptions.notice_send(notice_id=notice_id)
    if status == "pending":
        from amargah.status.models import Notice

        notice = Notice.objects.get(pk=notice_id)
        enqueue_after_commit(send_notice, notice_id, when=notice.next_attempt_at)
    return status


@task()
def send_announcement(announcement_id: int) -> int:
    """Send an announcement's due notices, queue itself for the retries; return how many wait."""
    retry_at = subscriptions.announcement_send(announcement_id=announcement_id)
    if retry_at is not None:
        enqueue_after_commit(send_announcement, announcement_id, when=retry_at)
    from amargah.status.models import Notice

    return Notice.objects.filter(announcement_id=announcement_id, status="pending").count()
