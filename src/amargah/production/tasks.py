"""Background work of statistical production (django-tasks); every task is idempotent.

``send_delivery`` sends one SMS or e-mail of a notification (retried with growing
delays); ``remind_deadlines`` runs once a day at ``PRODUCTION_REMINDER_TIME`` and queues
its own next run, so no outside timer is needed once the worker has started it
(``amargah serve`` does; ``remind_production_deadlines --schedule`` does it by hand).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from amargah.core.tasks import schedule_once
from amargah.production import notifications, services


@task()
def send_delivery(delivery_id: int) -> str:
    """Send one SMS or e-mail of a notification; a failure is recorded and retried later."""
    return notifications.delivery_send(delivery_id=delivery_id)


@task()
def remind_deadlines() -> int:
    """Remind of approaching and passed deadlines (once per item per day), retry due sends,
    and queue tomorrow's run; return how many people were reminded."""
    try:
        sent = services.deadline_reminders()
        notifications.deliveries_send_due()
    finally:
        # Even a failed run keeps the chain going: tomorrow's run is queued regardless.
        reminders_schedule()
    return sent


def next_reminder_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next ``PRODUCTION_REMINDER_TIME`` (local "HH:MM", default 08:00) after ``now``."""
    now = timezone.localtime(now or timezone.now())
    time_of_day = getattr(settings, "PRODUCTION_REMINDER_TIME", "08:00")
    hour, minute = (int(part) for part in time_of_day.split(":"))
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= now:
        # Build the next day's time from its date, so a DST change keeps the hour.
        tomorrow = now.date() + dt.timedelta(days=1)
        candidate = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(hour, minute)))
    return candidate


def reminders_schedule(*, when: dt.datetime | None = None) -> bool:
    """Queue the next daily reminder run unless one is already waiting; True when queued."""
    return schedule_once(remind_deadlines, run_after=when or next_reminder_at())
