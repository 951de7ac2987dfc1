"""Background work of statistical production (django-tasks), idempotent."""

from __future__ import annotations

from django_tasks import task

from amargah.production import services


@task()
def remind_deadlines() -> int:
    """Send the reminders of passed deadlines; each deadline is reminded once."""
    return services.deadline_reminders()
