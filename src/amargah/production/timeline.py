"""A project's timeline laid out for a Gantt-style chart drawn in HTML and CSS.

Positions are percentages of the project's span, so the template needs no script and
no outside asset. Month ticks follow the reader's calendar: Jalali months in Persian,
Gregorian months in English.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jdatetime
from django.utils import timezone
from django.utils.translation import get_language

from amargah.core.dates import JALALI_MONTHS
from amargah.core.persian import to_persian_digits
from amargah.production.choices import SLA_WORDING, Phase, PhaseState
from amargah.production.models import Project


@dataclass(frozen=True)
class Bar:
    left: float
    width: float


@dataclass(frozen=True)
class TimelineRow:
    number: int
    phase: Phase
    wording: str
    state: str
    planned_start: dt.date
    planned_end: dt.date
    planned: Bar
    actual: Bar | None
    late: bool


@dataclass(frozen=True)
class Tick:
    left: float
    label: str


@dataclass(frozen=True)
class Timeline:
    start: dt.date
    end: dt.date
    rows: list[TimelineRow]
    ticks: list[Tick]
    today: float | None


def _month_starts(start: dt.date, end: dt.date, language: str) -> list[tuple[dt.date, str]]:
    ticks: list[tuple[dt.date, str]] = []
    if language == "fa":
        jday = jdatetime.date.fromgregorian(date=start)
        year, month = jday.year, jday.month
        while True:
            first = jdatetime.date(year, month, 1).togregorian()
            if first > end:
                break
            if first >= start:
                label = JALALI_MONTHS[month - 1] + (f" {year}" if month == 1 or not ticks else "")
                ticks.append((first, to_persian_digits(label)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return ticks
    year, month = start.year, start.month
    while True:
        first = dt.date(year, month, 1)
        if first > end:
            break
        if first >= start:
            label = first.strftime("%b") + (f" {year}" if month == 1 or not ticks else "")
            ticks.append((first, label))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ticks


def build_timeline(project: Project, *, today: dt.date | None = None) -> Timeline:
    """The phases of ``project``, planned and actual, on one scale."""
    today = today or timezone.localdate()
    phases = list(project.phases.order_by("number"))
    actual_ends = [
        timezone.localdate(phase.signed_off_at) for phase in phases if phase.signed_off_at
    ]
    actual_starts = [timezone.localdate(phase.opened_at) for phase in phases if phase.opened_at]
    start = min([project.starts_on, *(phase.planned_start for phase in phases), *actual_starts])
    end = max([project.ends_on, *(phase.planned_end for phase in phases), *actual_ends])
    span = max((end - start).days + 1, 1)

    def bar(first: dt.date, last: dt.date) -> Bar:
        left = (first - start).days / span * 100
        width = max(((last - first).days + 1) / span * 100, 0.8)
        return Bar(round(left, 3), round(min(width, 100 - left), 3))

    rows = []
    for phase in phases:
        actual = None
        if phase.opened_at:
            opened = timezone.localdate(phase.opened_at)
            closed = (
                timezone.localdate(phase.signed_off_at)
                if phase.signed_off_at
                else min(max(today, opened), end)
            )
            actual = bar(opened, closed)
        late = (phase.state == PhaseState.OPEN and phase.planned_end < today) or (
            phase.signed_off_at is not None
            and timezone.localdate(phase.signed_off_at) > phase.planned_end
        )
        rows.append(
            TimelineRow(
                number=phase.number,
                phase=Phase(phase.phase),
                wording=str(SLA_WORDING[Phase(phase.phase)]),
                state=phase.state,
                planned_start=phase.planned_start,
                planned_end=phase.planned_end,
                planned=bar(phase.planned_start, phase.planned_end),
                actual=actual,
                late=late,
            )
        )
    language = (get_language() or "fa").split("-")[0]
    ticks = [
        Tick(round((first - start).days / span * 100, 3), label)
        for first, label in _month_starts(start, end, language)
    ]
    marker = round((today - start).days / span * 100, 3) if start <= today <= end else None
    return Timeline(start=start, end=end, rows=rows, ticks=ticks, today=marker)
