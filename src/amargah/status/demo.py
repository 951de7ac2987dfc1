"""Demo announcements: a past incident in the history and a maintenance window ahead."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from amargah.status import services
from amargah.status.choices import Impact, IncidentStatus
from amargah.status.models import Component, Incident, Maintenance


def create_demo_status() -> int:
    """Create the demo's status history once; return the number of records created."""
    if Incident.objects.exists() or Maintenance.objects.exists():
        return 0
    components = {component.code: component for component in Component.objects.all()}
    now = timezone.now()
    started = (now - dt.timedelta(days=19)).replace(hour=9, minute=40, second=0, microsecond=0)
    incident = services.incident_open(
        title_fa="کندی در ارسال پیامک کد رهگیری",
        title_en="Delays in sending tracking-code SMS",
        impact=Impact.PARTIAL_OUTAGE,
        components=[components["service-desk"]],
        message_fa="پیامک‌های کد رهگیری با تأخیر ارسال می‌شوند؛ ثبت درخواست‌ها عادی است.",
        message_en="Tracking-code SMS messages are delayed; submissions are recorded as usual.",
        user=None,
        started_at=started,
    )
    services.incident_update(
        incident=incident,
        status=IncidentStatus.IDENTIFIED,
        message_fa="اختلال از سوی ارائه‌دهندهٔ پیامک است و پیام‌ها در صف ارسال مانده‌اند.",
        message_en="The SMS provider is disrupted; messages wait in the outbox.",
        user=None,
        at=started + dt.timedelta(minutes=25),
    )
    services.incident_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message_fa="ارسال پیامک‌ها از سر گرفته شد و همهٔ پیام‌های مانده فرستاده شدند.",
        message_en="Sending resumed and every waiting message was delivered.",
        user=None,
        at=started + dt.timedelta(minutes=95),
    )
    start = (now + dt.timedelta(days=5)).replace(hour=2, minute=0, second=0, microsecond=0)
    services.maintenance_schedule(
        title_fa="به‌روزرسانی سرور پایگاه داده",
        title_en="Database server upgrade",
        description_fa="درگاه داده و رابط‌های برنامه‌نویسی ممکن است تا یک ساعت در دسترس نباشند.",
        description_en="The data portal and the APIs may be unavailable for up to an hour.",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        components=[components["data-portal"], components["api"]],
        user=None,
    )
    return 2
