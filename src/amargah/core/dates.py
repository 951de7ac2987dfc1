"""Dates as the reader expects them: Jalali in Persian, Gregorian in English."""

from __future__ import annotations

import datetime as dt
import functools

import jdatetime
from django.utils import timezone

from amargah.core.persian import to_persian_digits

JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
# jdatetime numbers weekdays from Saturday (0), the first day of the Persian week.
JALALI_WEEKDAYS = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه")


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def format_date(value: dt.date | dt.datetime, language: str, *, weekday: bool = False) -> str:
    """Format a date for a reader of ``language``.

    Persian: Jalali calendar, Persian month names and digits ("۶ آذر ۱۴۰۵").
    Any other language: Gregorian ("27 November 2026").
    """
    return _day_text(_local_date(value), language, weekday=weekday)


# Pages show few distinct days (today, deadlines), each many times: converting to the
# Jalali calendar once per day and language spares every page that work.
@functools.lru_cache(maxsize=4096)
def _day_text(day: dt.date, language: str, *, weekday: bool) -> str:
    if language == "fa":
        jday = jdatetime.date.fromgregorian(date=day)
        text = f"{jday.day} {JALALI_MONTHS[jday.month - 1]} {jday.year}"
        if weekday:
            text = f"{JALALI_WEEKDAYS[jday.weekday()]} {text}"
        return to_persian_digits(text)
    text = f"{day.day} {day.strftime('%B')} {day.year}"
    return f"{day.strftime('%A')} {text}" if weekday else text


def format_datetime(value: dt.datetime, language: str) -> str:
    """Format a moment as its local date and 24-hour time (Asia/Tehran by default)."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    time = local.strftime("%H:%M")
    if language == "fa":
        return f"{format_date(local, language)}، ساعت {to_persian_digits(time)}"
    return f"{format_date(local, language)}, {time}"


def format_number(value: int | float, language: str, *, decimals: int = 0) -> str:
    """Format a number with thousands separators; Persian digits and separators in Persian."""
    text = f"{value:,.{decimals}f}"
    if language == "fa":
        # Persian uses the Arabic thousands separator and decimal separator.
        text = text.replace(",", "\u066c").replace(".", "\u066b")
        return to_persian_digits(text)
    return text
