import datetime as dt
from zoneinfo import ZoneInfo

from amargah.core.dates import format_date, format_datetime, format_number


def test_persian_date_is_jalali_with_persian_digits() -> None:
    # 27 November 2026 is Friday 6 Azar 1405 (the worked SLA example in the desk standard).
    day = dt.date(2026, 11, 27)
    assert format_date(day, "fa") == "۶ آذر ۱۴۰۵"
    assert format_date(day, "fa", weekday=True) == "جمعه ۶ آذر ۱۴۰۵"


def test_english_date_is_gregorian() -> None:
    day = dt.date(2026, 11, 27)
    assert format_date(day, "en") == "27 November 2026"
    assert format_date(day, "en", weekday=True) == "Friday 27 November 2026"


def test_nowruz_is_the_first_of_farvardin() -> None:
    assert format_date(dt.date(2026, 3, 21), "fa") == "۱ فروردین ۱۴۰۵"


def test_moments_are_shown_in_tehran_time() -> None:
    moment = dt.datetime(2026, 11, 26, 21, 0, tzinfo=ZoneInfo("UTC"))
    # 21:00 UTC is 00:30 the next day in Tehran (UTC+03:30).
    assert format_datetime(moment, "fa") == "۶ آذر ۱۴۰۵، ساعت ۰۰:۳۰"
    assert format_datetime(moment, "en") == "27 November 2026, 00:30"


def test_numbers_use_persian_separators() -> None:
    assert format_number(702360, "fa") == "۷۰۲٬۳۶۰"
    assert format_number(3.25, "fa", decimals=2) == "۳٫۲۵"
    assert format_number(702360, "en") == "702,360"
