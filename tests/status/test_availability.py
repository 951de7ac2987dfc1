"""Availability by the published rule, with the worked example of the desk standard."""

from __future__ import annotations

import datetime as dt

import pytest

from amargah.status import selectors, services
from amargah.status.choices import Impact, IncidentStatus
from amargah.status.models import Component, Maintenance, ProbeResult

START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
END = START + dt.timedelta(days=30)


def incident(component: Component, impact: Impact, start: dt.datetime, minutes: int) -> None:
    opened = services.incident_open(
        title_fa="اختلال",
        title_en="Disruption",
        impact=impact,
        components=[component],
        message_fa="در حال بررسی",
        message_en="Investigating",
        user=None,
        started_at=start,
    )
    services.incident_update(
        incident=opened,
        status=IncidentStatus.RESOLVED,
        message_fa="رفع شد",
        message_en="Fixed",
        user=None,
        at=start + dt.timedelta(minutes=minutes),
    )


def maintenance(
    component: Component, start: dt.datetime, minutes: int, notice: dt.timedelta
) -> None:
    window = Maintenance.objects.create(
        title_fa="نگهداری",
        title_en="Maintenance",
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        announced_at=start - notice,
    )
    window.components.set([component])


@pytest.mark.django_db
def test_worked_example_gives_99_858_percent(components: dict[str, Component]) -> None:
    # servicedesk.md §5: 43 min major + 60 min partial, 120 min announced maintenance.
    desk = components["service-desk"]
    incident(desk, Impact.MAJOR_OUTAGE, START + dt.timedelta(days=3), 43)
    incident(desk, Impact.PARTIAL_OUTAGE, START + dt.timedelta(days=9), 60)
    maintenance(desk, START + dt.timedelta(days=20), 120, dt.timedelta(days=3))
    result = selectors.availability(start=START, end=END, component=desk)
    assert result.excluded_minutes == 120
    assert result.down_minutes == pytest.approx(43 + 0.3 * 60)
    assert round(result.percent, 3) == 99.858
    # Another component is untouched.
    assert selectors.availability(start=START, end=END, component=components["api"]).percent == 100


@pytest.mark.django_db
def test_degraded_performance_is_not_downtime(components: dict[str, Component]) -> None:
    incident(components["website"], Impact.DEGRADED, START + dt.timedelta(days=1), 600)
    assert selectors.availability(start=START, end=END, component=components["website"]).ratio == 1


@pytest.mark.django_db
def test_late_announced_maintenance_counts_as_down(components: dict[str, Component]) -> None:
    maintenance(components["api"], START + dt.timedelta(days=2), 60, dt.timedelta(hours=2))
    result = selectors.availability(start=START, end=END, component=components["api"])
    assert result.excluded_minutes == 0
    assert result.down_minutes == 60


@pytest.mark.django_db
def test_announced_maintenance_beyond_four_hours_counts(components: dict[str, Component]) -> None:
    maintenance(components["api"], START + dt.timedelta(days=2), 300, dt.timedelta(days=7))
    result = selectors.availability(start=START, end=END, component=components["api"])
    assert result.excluded_minutes == 240
    assert result.down_minutes == 60


@pytest.mark.django_db
def test_two_probe_failures_in_a_row_count_as_down(components: dict[str, Component]) -> None:
    def probe(minute: int, *, ok: bool) -> None:
        ProbeResult.objects.create(
            checked_at=START + dt.timedelta(minutes=minute), ok=ok, latency_ms=3.0
        )

    probe(10, ok=True)
    probe(11, ok=False)  # a single failure is noise
    probe(12, ok=True)
    probe(20, ok=False)
    probe(21, ok=False)
    probe(22, ok=False)
    probe(25, ok=True)
    result = selectors.availability(start=START, end=END)
    assert result.down_minutes == 5  # from 20 to the next success at 25
    # The probe sees the whole service, so each component loses the same minutes.
    assert (
        selectors.availability(start=START, end=END, component=components["website"]).down_minutes
        == 5
    )


@pytest.mark.django_db
def test_an_open_incident_counts_until_now(components: dict[str, Component]) -> None:
    from django.utils import timezone

    now = timezone.now()
    services.incident_open(
        title_fa="قطعی",
        title_en="Outage",
        impact=Impact.MAJOR_OUTAGE,
        components=[components["data-portal"]],
        message_fa="بررسی",
        message_en="Looking",
        user=None,
        started_at=now - dt.timedelta(minutes=30),
    )
    result = selectors.availability(
        start=now - dt.timedelta(days=1), end=now, component=components["data-portal"]
    )
    assert result.down_minutes == pytest.approx(30, abs=1)
