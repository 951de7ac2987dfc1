"""The SLA clock: deadlines and elapsed time on a 24/7 clock or in office hours.

A :class:`Calendar` says which moments count. On the 24/7 calendar every minute
counts; on the working calendar only office hours on working days that are not
holidays. ``add`` finds the moment a target in minutes of the calendar is reached;
``between`` measures how many minutes of the calendar lie between two moments.
Both work on aware datetimes and answer in the calendar's time zone.

Worked example (from the standards note): received on Friday 1405-09-06 (a weekend
day, so the clock starts on Saturday morning), ten working days of seven hours end on
Wednesday 1405-09-18 at closing time; with a holiday on Sunday 1405-09-15 they end
on Saturday 1405-09-21.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from amargah.desk.choices import Clock

# Python numbers weekdays from Monday (0); Saturday is 5 and Sunday 6.
SATURDAY_TO_WEDNESDAY = frozenset({5, 6, 0, 1, 2})
_LONGEST_SEARCH_DAYS = 3660  # a target beyond ten years is a configuration error


@dataclass(frozen=True)
class Calendar:
    """Which moments the SLA clock counts.

    ``clock`` is ``always`` (every minute) or ``working`` (office hours
    ``opens``–``closes`` on ``weekdays``, except ``holidays``).
    """

    clock: str
    zone: ZoneInfo
    weekdays: frozenset[int] = SATURDAY_TO_WEDNESDAY
    opens: dt.time = dt.time(7, 30)
    closes: dt.time = dt.time(14, 30)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def minutes_per_day(self) -> float:
        """Length of a working day in minutes (24 h on the 24/7 clock)."""
        if self.clock == Clock.ALWAYS:
            return 24 * 60.0
        today = dt.date(2000, 1, 1)
        return (
            dt.datetime.combine(today, self.closes) - dt.datetime.combine(today, self.opens)
        ).total_seconds() / 60

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def _hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.opens, tzinfo=self.zone),
            dt.datetime.combine(day, self.closes, tzinfo=self.zone),
        )

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment when ``minutes`` of this calendar have passed since ``start``."""
        if self.clock == Clock.ALWAYS:
            return (start + dt.timedelta(minutes=minutes)).astimezone(self.zone)
        local = start.astimezone(self.zone)
        remaining = dt.timedelta(minutes=minutes)
        day = local.date()
        for _ in range(_LONGEST_SEARCH_DAYS):
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                begin = max(local, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time.min, tzinfo=self.zone)
        raise ValueError("no working time within ten years: check the working days")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Minutes of this calendar from ``start`` to ``end`` (negative if end is earlier)."""
        if end < start:
            return -self.between(end, start)
        if self.clock == Clock.ALWAYS:
            return (end - start).total_seconds() / 60
        local_start = start.astimezone(self.zone)
        local_end = end.astimezone(self.zone)
        total = 0.0
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                begin = max(local_start, opens)
                finish = min(local_end, closes)
                if finish > begin:
                    total += (finish - begin).total_seconds() / 60
            day += dt.timedelta(days=1)
        return total


def working_calendar(
    *,
    zone: ZoneInfo,
    holidays: Iterable[dt.date] = (),
    weekdays: Iterable[int] = SATURDAY_TO_WEDNESDAY,
    opens: dt.time = dt.time(7, 30),
    closes: dt.time = dt.time(14, 30),
) -> Calendar:
    """A working-day calendar."""
    return Calendar(
        clock=Clock.WORKING,
        zone=zone,
        weekdays=frozenset(weekdays),
        opens=opens,
        closes=closes,
        holidays=frozenset(holidays),
    )


def always_calendar(*, zone: ZoneInfo) -> Calendar:
    """The 24/7 calendar."""
    return Calendar(clock=Clock.ALWAYS, zone=zone)


@dataclass(frozen=True)
class Deadlines:
    """The two deadlines of a ticket; ``resolution`` is None while the clock is paused."""

    first_response: dt.datetime
    resolution: dt.datetime | None


def deadlines(
    calendar: Calendar,
    *,
    received: dt.datetime,
    first_response_minutes: float,
    resolution_minutes: float,
    paused_minutes: float = 0,
    paused: bool = False,
) -> Deadlines:
    """Deadlines from the receipt time and the targets; pauses push the resolution back.

    Only the resolution clock pauses: the first response is owed whatever the
    requester does.
    """
    first = calendar.add(received, first_response_minutes)
    resolution = None if paused else calendar.add(received, resolution_minutes + paused_minutes)
    return Deadlines(first_response=first, resolution=resolution)
