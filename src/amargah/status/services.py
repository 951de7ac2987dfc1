"""Writes: announcing incidents and maintenance, probing, publishing the charter."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amargah.status import subscriptions
from amargah.status.choices import AnnouncementKind, Impact, IncidentStatus
from amargah.status.models import (
    CharterTermination,
    CharterVersion,
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    ProbeResult,
)

# A termination must be announced at least this long before it takes effect.
TERMINATION_NOTICE = dt.timedelta(days=30)


@transaction.atomic
def incident_open(
    *,
    title_fa: str,
    title_en: str,
    impact: Impact,
    components: Iterable[Component],
    message_fa: str,
    message_en: str,
    user: User | None,
    started_at: dt.datetime | None = None,
) -> Incident:
    """Announce an incident with its first timeline message."""
    components = list(components)
    if not components:
        raise ValidationError(_("Name at least one affected component."), code="no_component")
    now = timezone.now()
    incident = Incident.objects.create(
        title_fa=title_fa,
        title_en=title_en,
        impact=impact,
        status=IncidentStatus.INVESTIGATING,
        started_at=started_at or now,
        created_by=user,
    )
    incident.components.set(components)
    IncidentUpdate.objects.create(
        incident=incident,
        status=IncidentStatus.INVESTIGATING,
        message_fa=message_fa,
        message_en=message_en,
        posted_at=now,
        posted_by=user,
    )
    subscriptions.announce(kind=AnnouncementKind.INCIDENT, incident=incident)
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    status: IncidentStatus,
    message_fa: str,
    message_en: str,
    user: User | None,
    at: dt.datetime | None = None,
    announce: bool = True,
) -> IncidentUpdate:
    """Post a message on an incident's timeline; resolving it ends the incident.

    Subscribers hear of it unless ``announce`` is false (the first message of an
    incident is part of the incident's own announcement).
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status == IncidentStatus.RESOLVED:
        raise ValidationError(_("This incident is already resolved."), code="resolved")
    now = at or timezone.now()
    incident.status = status
    if status == IncidentStatus.RESOLVED:
        incident.resolved_at = max(now, incident.started_at)
    incident.save(update_fields=["status", "resolved_at"])
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        message_fa=message_fa,
        message_en=message_en,
        posted_at=now,
        posted_by=user,
    )
    if announce:
        subscriptions.announce(kind=AnnouncementKind.UPDATE, update=update)
    return update


@transaction.atomic
def maintenance_schedule(
    *,
    title_fa: str,
    title_en: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    components: Iterable[Component],
    user: User | None,
    description_fa: str = "",
    description_en: str = "",
) -> Maintenance:
    """Announce a maintenance window; it is shown from now until it ends."""
    if ends_at <= starts_at:
        raise ValidationError(_("A maintenance window must end after it starts."), code="order")
    window = Maintenance.objects.create(
        title_fa=title_fa,
        title_en=title_en,
        description_fa=description_fa,
        description_en=description_en,
        starts_at=starts_at,
        ends_at=ends_at,
        announced_at=timezone.now(),
        created_by=user,
    )
    window.components.set(list(components))
    subscriptions.announce(kind=AnnouncementKind.MAINTENANCE, maintenance=window)
    return window


def store_is_writable(store: Path) -> bool:
    """Whether the Parquet store directory exists (or can be made) and accepts a file."""
    try:
        store.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=store, prefix=".probe-")
        os.close(handle)
        os.unlink(name)
    except OSError:
        return False
    return True


def probe_run() -> ProbeResult:
    """Check what a request needs (database, cache, data store) and record the outcome.

    The probe runs in the background worker every minute; its results are the
    measured availability, and their freshness tells readiness that the worker runs.
    """
    started = time.perf_counter()
    problems: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        problems.append("database")
    try:
        cache.set("amargah:probe", "1", 60)
        if cache.get("amargah:probe") != "1":
            problems.append("cache")
    except Exception:
        problems.append("cache")
    if not store_is_writable(Path(settings.STORE_DIR)):
        problems.append("store")
    latency = (time.perf_counter() - started) * 1000
    return ProbeResult.objects.create(
        checked_at=timezone.now(),
        ok=not problems,
        latency_ms=latency,
        detail=",".join(problems),
    )


@transaction.atomic
def charter_publish(*, version: CharterVersion) -> CharterVersion:
    """Publish a charter version; once published its text never changes."""
    version = CharterVersion.objects.select_for_update().get(pk=version.pk)
    if version.published_at is None:
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
    return version


def charter_termination_announce(
    *, effective_on: dt.date, notice_fa: str, notice_en: str
) -> CharterTermination:
    """Announce that the charter ends on ``effective_on``, at least 30 days ahead."""
    now = timezone.now()
    if effective_on < timezone.localdate(now) + TERMINATION_NOTICE:
        raise ValidationError(
            _("The end of the charter must be announced at least 30 days in advance."),
            code="notice_too_short",
        )
    return CharterTermination.objects.create(
        effective_on=effective_on, announced_at=now, notice_fa=notice_fa, notice_en=notice_en
    )
