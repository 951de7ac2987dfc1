"""Background tasks of the service desk (django-tasks); each one is idempotent.

The worker is ``manage db_worker``. Where the backend can defer a task
(the database backend can), sends are retried and escalations fire at the
deadline; where it cannot (the immediate backend of the tests), the periodic
``desk_sweep`` command does the same work.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from amargah.core.tasks import schedule_once
from amargah.desk import services


@task()
def send_notification(notification_id: int) -> str:
    """Send one notification from the outbox; failures are retried later."""
    return services.notification_send(notification_id=notification_id)


@task()
def ticket_registered(ticket_id: int, *notification_ids: int) -> list[str]:
    """Arm a new ticket's first deadline check and send its acknowledgements (SMS, e-mail)."""
    return services.ticket_registered(ticket_id=ticket_id, notification_ids=notification_ids)


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

    Without a backend that can defer, run ``manage desk_anonymise`` from a timer.
    """
    return schedule_once(anonymise_expired, run_after=timezone.now() + delay)
