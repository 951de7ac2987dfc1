"""The SLA clock: the standards note's worked example, holidays, pauses, out-of-hours receipt."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jdatetime

from amargah.desk import sla

TEHRAN = ZoneInfo("Asia/Tehran")
DAY = 7 * 60  # a working day of office hours, in minutes


def jalali(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    gregorian = jdatetime.date(year, month, day).togregorian()
    return dt.datetime.combine(gregorian, dt.time(hour, minute), tzinfo=TEHRAN)


def as_jalali(moment: dt.datetime) -> str:
    return jdatetime.datetime.fromgregorian(datetime=moment.astimezone(TEHRAN)).strftime(
        "%Y-%m-%d %H:%M"
    )


def test_worked_example_friday_receipt_is_due_wednesday() -> None:
    calendar = sla.working_calendar(zone=TEHRAN)
    received = jalali(1405, 9, 6, 11, 0)
    assert received.weekday() == 4  # a Friday
    assert as_jalali(calendar.add(received, 10 * DAY)) == "1405-09-18 14:30"


def test_worked_example_with_a_sunday_holiday_is_due_saturday() -> None:
    holiday = jdatetime.date(1405, 9, 15).togregorian()
    assert holiday.weekday() == 6  # a Sunday
    calendar = sla.working_calendar(zone=TEHRAN, holidays=[holiday])
    assert as_jalali(calendar.add(jalali(1405, 9, 6, 11, 0), 10 * DAY)) == "1405-09-21 14:30"


def test_out_of_hours_receipt_starts_the_clock_at_the_next_working_hour() -> None:
    calendar = sla.working_calendar(zone=TEHRAN)
    # Wednesday evening: Thursday and Friday are closed, the clock starts Saturday 07:30.
    wednesday_evening = jalali(1405, 9, 4, 20, 0)
    assert wednesday_evening.weekday() == 2
    assert as_jalali(calendar.add(wednesday_evening, 0)) == "1405-09-07 07:30"
    assert as_jalali(calendar.add(wednesday_evening, 60)) == "1405-09-07 08:30"
    # Early morning of a working day waits for opening time.
    assert as_jalali(calendar.add(jalali(1405, 9, 8, 6, 0), 30)) == "1405-09-08 08:00"


def test_in_hours_receipt_carries_over_to_the_next_working_day() -> None:
    calendar = sla.working_calendar(zone=TEHRAN)
    # Tuesday 13:30, one working day later: 1 h on Tuesday, 6 h on Wednesday.
    tuesday = jalali(1405, 9, 10, 13, 30)
    assert tuesday.weekday() == 1
    assert as_jalali(calendar.add(tuesday, DAY)) == "1405-09-11 13:30"
    # Two hours from Wednesday 14:00: half an hour on Wednesday, then Saturday.
    assert as_jalali(calendar.add(jalali(1405, 9, 11, 14, 0), 120)) == "1405-09-14 09:00"


def test_between_counts_office_minutes_only() -> None:
    calendar = sla.working_calendar(zone=TEHRAN)
    received = jalali(1405, 9, 6, 11, 0)
    due = calendar.add(received, 10 * DAY)
    assert calendar.between(received, due) == 10 * DAY
    # Thursday and Friday count nothing.
    assert calendar.between(jalali(1405, 9, 12, 0, 0), jalali(1405, 9, 13, 23, 0)) == 0
    # Saturday counts its seven office hours, whatever the span around them.
    assert calendar.between(jalali(1405, 9, 12, 0, 0), jalali(1405, 9, 14, 23, 0)) == DAY
    assert calendar.between(due, received) == -10 * DAY


def test_a_pause_pushes_the_resolution_deadline_back() -> None:
    calendar = sla.working_calendar(zone=TEHRAN)
    received = jalali(1405, 9, 6, 11, 0)
    plain = sla.deadlines(
        calendar, received=received, first_response_minutes=DAY, resolution_minutes=10 * DAY
    )
    assert as_jalali(plain.first_response) == "1405-09-07 14:30"
    assert plain.resolution is not None and as_jalali(plain.resolution) == "1405-09-18 14:30"
    # Two working days waiting on the requester: due two working days later (Sat, Sun).
    paused = sla.deadlines(
        calendar,
        received=received,
        first_response_minutes=DAY,
        resolution_minutes=10 * DAY,
        paused_minutes=2 * DAY,
    )
    assert paused.resolution is not None and as_jalali(paused.resolution) == "1405-09-22 14:30"
    # The first response is owed whatever the requester does.
    assert paused.first_response == plain.first_response
    # While paused there is no resolution deadline at all.
    waiting = sla.deadlines(
        calendar,
        received=received,
        first_response_minutes=DAY,
        resolution_minutes=10 * DAY,
        paused=True,
    )
    assert waiting.resolution is None


def test_the_24_7_clock_counts_every_minute() -> None:
    calendar = sla.always_calendar(zone=TEHRAN)
    received = jalali(1405, 9, 6, 23, 0)
    assert as_jalali(calendar.add(received, 24 * 60)) == "1405-09-07 23:00"
    assert calendar.between(received, received + dt.timedelta(days=2)) == 2 * 24 * 60
    assert calendar.minutes_per_day == 24 * 60
