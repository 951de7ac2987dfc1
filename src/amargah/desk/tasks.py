"""Background tasks of the service desk (django-tasks); each one is idempotent.

The worker is ``manage db_worker``. Where the backend can defer a task
(the database backend can), sends are retried and escalations fire at the
deadline; where it cannot (the immediate backend of the tests), the periodic
``desk_sweep`` command does the same work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from amargah.desk import services


def _in_database(desk_task: Any) -> bool:
    """Whether the task queue lives in the application's database (django-tasks-db)."""
    return type(desk_task.get_backend()).__module__.startswith("django_tasks_db")


def enqueue_with_transaction(desk_task: Any, *args: int, when: dt.datetime | None = None) -> None:
    """Enqueue ``desk_task`` so that it exists exactly when the current transaction commits.

    A queue in the same database is written inside the transaction: the task and
    the rows it works on commit together (one commit, and no window in which a
    crash leaves a ticket without its notification task). Any other backend is
    called after the commit. A deferred task (``when``) needs a backend that can
    defer; without one the ``desk_sweep`` command does the work.
    """
    backend = desk_task.get_backend()
    if when is not None and not backend.supports_defer:
        return
    scheduled = desk_task.using(run_after=max(when, timezone.now())) if when else desk_task
    if _in_database(desk_task):
        scheduled.enqueue(*args)
    else:
        transaction.on_commit(lambda: scheduled.enqueue(*args))


@task()
def send_notification(notification_id: int) -> str:
    """Send one notification from the outbox; failures are retried later."""
    return services.notification_send(notification_id=notification_id)


@task()
def escalate_ticket(ticket_id: int) -> list[str]:
    """Warn of targets at risk and escalate missed ones, once each; re-arm for the deadline."""
    return services.ticket_escalate_if_breached(ticket_id=ticket_id, reschedule=True)


@task()
def sweep() -> dict[str, int]:
    """Send due notifications and escalate every missed deadline."""
    return {
        "notifications": services.notifications_send_due(),
        "escalations": services.escalate_breaches(),
    }


RETENTION_INTERVAL = dt.timedelta(hours=24)


@task()
def anonymise_expired() -> int:
    """Anonymise the tickets past the retention period, then schedule the next daily run."""
    try:
        return services.tickets_anonymise_expired()
    finally:
        retention_schedule()


def retention_schedule(*, delay: dt.timedelta = RETENTION_INTERVAL) -> bool:
    """Queue the next retention run unless one is already waiting; True when one was queued.

    Only a backend that can defer keeps the daily run going (the immediate backend of
    the tests would recurse); without one run ``manage desk_anonymise`` from a timer.
    """
    backend = anonymise_expired.get_backend()
    if not backend.supports_defer:
        return False
    if _in_database(anonymise_expired):
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(
            task_path=anonymise_expired.module_path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return False
    anonymise_expired.using(run_after=timezone.now() + delay).enqueue()
    return True
