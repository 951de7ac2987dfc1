"""Background work of the status app: the availability probe every minute, and notices.

The probe also sends any subscriber notice whose retry is due, so a notice whose task
was lost (a worker killed mid-send) still goes out within a minute of its due time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from amargah.core.tasks import enqueue_with_transaction, schedule_once
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
    """Queue the next probe unless one is already waiting; True when one was queued."""
    return schedule_once(probe, run_after=timezone.now() + delay)


@task()
def send_notice(notice_id: int) -> str:
    """Send one subscriber notice (a confirmation code); a failure is retried later."""
    status = subscriptions.notice_send(notice_id=notice_id)
    if status == "pending":
        from amargah.status.models import Notice

        notice = Notice.objects.get(pk=notice_id)
        enqueue_with_transaction(send_notice, notice_id, when=notice.next_attempt_at)
    return status


@task()
def send_announcement(announcement_id: int) -> int:
    """Send an announcement's due notices, queue itself for the retries; return how many wait."""
    retry_at = subscriptions.announcement_send(announcement_id=announcement_id)
    if retry_at is not None:
        enqueue_with_transaction(send_announcement, announcement_id, when=retry_at)
    from amargah.status.models import Notice

    return Notice.objects.filter(announcement_id=announcement_id, status="pending").count()
