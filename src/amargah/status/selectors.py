"""Reads: the state of each component, what to announce, availability, the charter."""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from amargah.status.choices import (
    DOWNTIME_WEIGHT,
    STATUS_RANK,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenancePhase,
)
from amargah.status.models import (
    CharterTermination,
    CharterVersion,
    Component,
    Incident,
    Maintenance,
    ProbeResult,
)

# Maintenance is shown in the banner from this long before it starts.
UPCOMING_MAINTENANCE_NOTICE = dt.timedelta(hours=48)
# Maintenance is left out of availability only if announced this long ahead...
MAINTENANCE_ADVANCE_NOTICE = dt.timedelta(hours=48)
# ...and only up to this much per 30 days; beyond that it counts as downtime.
MAINTENANCE_CAP_MINUTES_PER_30_DAYS = 4 * 60
# Two probe failures in a row make the time between them count as down.
PROBE_FAILURES_FOR_DOWN = 2
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class ComponentState:
    component: Component
    status: ComponentStatus
    availability_30d: float
    availability_90d: float


@dataclass(frozen=True)
class Announcements:
    """What the banner on every page says."""

    incidents: list[Incident]
    maintenance: list[Maintenance]
    termination: CharterTermination | None

    def __bool__(self) -> bool:
        return bool(self.incidents or self.maintenance or self.termination)


@dataclass(frozen=True)
class Availability:
    """Availability over a window, by the published rule.

    ``ratio`` is 1 − weighted down minutes / counted minutes, where a major outage
    weighs 1, a partial one 0.3, and announced maintenance (≥ 48 h ahead, ≤ 4 h per
    30 days) is not counted at all.
    """

    start: dt.datetime
    end: dt.datetime
    counted_minutes: int
    down_minutes: float
    excluded_minutes: int

    @property
    def ratio(self) -> float:
        if self.counted_minutes == 0:
            return 1.0
        return 1.0 - self.down_minutes / self.counted_minutes

    @property
    def percent(self) -> float:
        return 100.0 * self.ratio


def maintenance_phase(window: Maintenance, now: dt.datetime) -> MaintenancePhase:
    """Where a maintenance window stands at ``now``."""
    if now < window.starts_at:
        return MaintenancePhase.UPCOMING
    if now < window.ends_at:
        return MaintenancePhase.IN_PROGRESS
    return MaintenancePhase.COMPLETED


def open_incidents() -> QuerySet[Incident]:
    return (
        Incident.objects.exclude(status=IncidentStatus.RESOLVED)
        .prefetch_related("components", "updates")
        .order_by("-started_at")
    )


BANNER_CACHE_KEY = "amargah:status:banner"
# Each process also keeps the banner this long (seconds), sparing every page a round trip
# to the shared cache; another process's change shows within this time.
BANNER_PROCESS_SECONDS = 2.0


class _BannerMemo:
    """Until when (``time.monotonic()``) the banner this process last read holds, and it."""

    entry: tuple[float, Announcements] | None = None

    @classmethod
    def forget(cls, **_: object) -> None:
        cls.entry = None


setting_changed.connect(_BannerMemo.forget, dispatch_uid="amargah-status-banner")


def banner_announcements() -> Announcements:
    """What the banner says, kept in the shared cache for ``STATUS_BANNER_CACHE_SECONDS``.

    Every page shows the banner, so its three queries would be paid on every request;
    saving or deleting an incident, an update, a maintenance window or a termination
    notice forgets the cached banner (see ``forget_banner``), and the time limit bounds
    how late a maintenance window enters its 48-hour notice. Each process keeps what
    it read for ``BANNER_PROCESS_SECONDS`` more.
    """
    seconds = settings.STATUS_BANNER_CACHE_SECONDS
    if seconds <= 0:
        return announcements(prefetch=False)
    moment = time.monotonic()
    memo = _BannerMemo.entry
    if memo is not None and moment < memo[0]:
        return memo[1]
    cached = cache.get(BANNER_CACHE_KEY)
    if not isinstance(cached, Announcements):
        cached = announcements(prefetch=False)
        cache.set(BANNER_CACHE_KEY, cached, seconds)
    _BannerMemo.entry = (moment + min(BANNER_PROCESS_SECONDS, seconds), cached)
    return cached


def forget_banner(**_: object) -> None:
    """Drop the cached banner now and again when the current transaction commits.

    Now, so that this process sees the change at once; after the commit, because another
    request may have cached the old banner between this call and the commit.
    """
    _BannerMemo.forget()
    cache.delete(BANNER_CACHE_KEY)

    def after_commit() -> None:
        _BannerMemo.forget()
        cache.delete(BANNER_CACHE_KEY)

    transaction.on_commit(after_commit)


def announcements(now: dt.datetime | None = None, *, prefetch: bool = True) -> Announcements:
    """Open incidents, maintenance under way or due within 48 hours, a termination notice.

    ``prefetch=False`` leaves out the incidents' components and updates (the banner shows
    neither).
    """
    now = now or timezone.now()
    maintenance = list(
        Maintenance.objects.filter(
            ends_at__gt=now, starts_at__lte=now + UPCOMING_MAINTENANCE_NOTICE
        ).order_by("starts_at")
    )
    termination = (
        CharterTermination.objects.filter(
            withdrawn_at__isnull=True, effective_on__gte=timezone.localdate(now)
        )
        .order_by("effective_on")
        .first()
    )
    incidents = (
        open_incidents()
        if prefetch
        else Incident.objects.exclude(status=IncidentStatus.RESOLVED).order_by("-started_at")
    )
    return Announcements(list(incidents), maintenance, termination)


def _minute_index(moment: dt.datetime, start: dt.datetime, size: int) -> int:
    return min(max(math.floor((moment - start) / MINUTE), 0), size)


def availability(
    *, start: dt.datetime, end: dt.datetime, component: Component | None = None
) -> Availability:
    """Availability of ``component`` (or of the whole service) from ``start`` to ``end``."""
    size = max(math.ceil((end - start) / MINUTE), 0)
    down = np.zeros(size)
    excluded = np.zeros(size, dtype=bool)

    incidents = Incident.objects.filter(started_at__lt=end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=start)
    )
    windows = Maintenance.objects.filter(starts_at__lt=end, ends_at__gt=start).order_by("starts_at")
    if component is not None:
        incidents = incidents.filter(components=component)
        windows = windows.filter(components=component)
    now = timezone.now()
    for incident in incidents.distinct():
        first = _minute_index(incident.started_at, start, size)
        last = _minute_index(min(incident.resolved_at or now, end), start, size)
        weight = DOWNTIME_WEIGHT[Impact(incident.impact)]
        down[first:last] = np.maximum(down[first:last], weight)

    cap = MAINTENANCE_CAP_MINUTES_PER_30_DAYS * max(1, math.ceil(size / (30 * 24 * 60)))
    for window in windows.distinct():
        first = _minute_index(window.starts_at, start, size)
        last = _minute_index(window.ends_at, start, size)
        if window.announced_at <= window.starts_at - MAINTENANCE_ADVANCE_NOTICE:
            allowed = max(cap - int(excluded.sum()), 0)
            excluded[first : min(last, first + allowed)] = True
            down[min(last, first + allowed) : last] = 1.0
        else:
            down[first:last] = 1.0

    # The probe sees the whole service: a run of failures marks every component down.
    checks = list(
        ProbeResult.objects.filter(checked_at__gte=start, checked_at__lt=end)
        .order_by("checked_at")
        .values_list("checked_at", "ok")
    )
    failures: list[dt.datetime] = []
    for checked_at, ok in [*checks, (end, True)]:
        if not ok:
            failures.append(checked_at)
            continue
        if len(failures) >= PROBE_FAILURES_FOR_DOWN:
            first = _minute_index(failures[0], start, size)
            last = _minute_index(checked_at, start, size)
            down[first:last] = 1.0
        failures = []

    counted = ~excluded
    return Availability(
        start=start,
        end=end,
        counted_minutes=int(counted.sum()),
        down_minutes=float(down[counted].sum()),
        excluded_minutes=int(excluded.sum()),
    )


def component_states(now: dt.datetime | None = None) -> list[ComponentState]:
    """Every component with its current status and its availability over 30 and 90 days."""
    now = now or timezone.now()
    worst: dict[int, ComponentStatus] = {}

    def raise_to(component_id: int, status: ComponentStatus) -> None:
        current = worst.get(component_id, ComponentStatus.OPERATIONAL)
        if STATUS_RANK[status] > STATUS_RANK[current]:
            worst[component_id] = status

    for window in Maintenance.objects.filter(starts_at__lte=now, ends_at__gt=now):
        for component in window.components.all():
            raise_to(component.pk, ComponentStatus.MAINTENANCE)
    for incident in open_incidents():
        for component in incident.components.all():
            raise_to(component.pk, ComponentStatus(incident.impact))
    return [
        ComponentState(
            component=component,
            status=worst.get(component.pk, ComponentStatus.OPERATIONAL),
            availability_30d=availability(
                start=now - dt.timedelta(days=30), end=now, component=component
            ).percent,
            availability_90d=availability(
                start=now - dt.timedelta(days=90), end=now, component=component
            ).percent,
        )
        for component in Component.objects.all()
    ]


def overall_status(states: list[ComponentState]) -> ComponentStatus:
    """The worst status of any component."""
    return max(
        (state.status for state in states),
        key=STATUS_RANK.__getitem__,
        default=ComponentStatus.OPERATIONAL,
    )


def incident_history(*, days: int = 90, now: dt.datetime | None = None) -> QuerySet[Incident]:
    """Incidents of the last ``days`` days, newest first, with their timelines."""
    now = now or timezone.now()
    return (
        Incident.objects.filter(started_at__gte=now - dt.timedelta(days=days))
        .prefetch_related("components", "updates")
        .order_by("-started_at")
    )


def maintenance_list(*, days: int = 90, now: dt.datetime | None = None) -> QuerySet[Maintenance]:
    """Maintenance windows from ``days`` ago onwards, upcoming included."""
    now = now or timezone.now()
    return (
        Maintenance.objects.filter(ends_at__gte=now - dt.timedelta(days=days))
        .prefetch_related("components")
        .order_by("-starts_at")
    )


def probe_latest() -> ProbeResult | None:
    return ProbeResult.objects.order_by("-checked_at").first()


def charter_versions() -> QuerySet[CharterVersion]:
    """Published charter versions, newest first."""
    return CharterVersion.objects.filter(published_at__isnull=False).order_by("-number")


def charter_current(today: dt.date | None = None) -> CharterVersion | None:
    """The version in force today: the newest published one already effective."""
    today = today or timezone.localdate()
    return charter_versions().filter(effective_from__lte=today).first()
