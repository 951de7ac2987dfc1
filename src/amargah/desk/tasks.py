"""Background tasks of the service desk (django-tasks); each one is idempotent.

The worker is ``manage db_worker``. Where the backend can defer a task
(the database backend can), sends are retried and escalations fire at the
deadline; where it cannot (the immediate backend of the tests), the periodic
``desk_sweep`` command does the same work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_tasks import task

from amargah.desk import services


def schedule(desk_task: Any, when: dt.datetime, *args: int) -> None:
    """Enqueue ``desk_task`` to run at ``when`` if the backend can defer; else the sweep does it."""
    if desk_task.get_backend().supports_defer:
        desk_task.using(run_after=max(when, timezone.now())).enqueue(*args)


@task()
def send_notification(notification_id: int) -> str:
    """Send one notification from the outbox; failures are retried later."""
    return services.notification_send(notification_id=notification_id)


@task()
def escalate_ticket(ticket_id: int) -> list[str]:
    """Escalate the ticket's missed targets to the supervisors, once each."""
    return services.ticket_escalate_if_breached(ticket_id=ticket_id)


@task()
def sweep() -> dict[str, int]:
    """Send due notifications and escalate every missed deadline."""
    return {
        "notifications": services.notifications_send_due(),
        "escalations": services.escalate_breaches(),
    }
