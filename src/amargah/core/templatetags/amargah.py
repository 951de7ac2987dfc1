"""Template filters for Persian-first pages: Jalali dates, Persian digits, numbers."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import get_language

from amargah.core import dates
from amargah.core.persian import to_persian_digits

register = template.Library()


def _language() -> str:
    return (get_language() or "fa").split("-")[0]


@register.filter
def jdate(value: dt.date | dt.datetime | None) -> str:
    """A date: Jalali with Persian digits in Persian, Gregorian in English."""
    return "" if value is None else dates.format_date(value, _language())


@register.filter
def jdate_weekday(value: dt.date | dt.datetime | None) -> str:
    """A date with its weekday name."""
    return "" if value is None else dates.format_date(value, _language(), weekday=True)


@register.filter
def jdatetime(value: dt.datetime | None) -> str:
    """A moment: local date and time."""
    return "" if value is None else dates.format_datetime(value, _language())


@register.filter
def digits(value: object) -> str:
    """Any text with Persian digits when the page is Persian."""
    text = str(value)
    return to_persian_digits(text) if _language() == "fa" else text


@register.filter
def number(value: int | float | None, decimals: int = 0) -> str:
    """A number with thousands separators, in the page's digits."""
    return "" if value is None else dates.format_number(value, _language(), decimals=decimals)


@register.filter
def localized(value: object, field: str) -> str:
    """The ``<field>_fa`` or ``<field>_en`` attribute of a bilingual record."""
    return str(getattr(value, f"{field}_{_language()}", None) or getattr(value, f"{field}_fa", ""))


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """A percentage with the page's digits and percent sign."""
    if value is None:
        return ""
    language = _language()
    sign = "٪" if language == "fa" else "%"
    return dates.format_number(value, language, decimals=decimals) + sign


@register.filter
def percent_of(value: float | None, decimals: int = 1) -> str:
    """A fraction (0.92) shown as a percentage (92.0%)."""
    return "" if value is None else percent(100 * value, decimals)


@register.filter
def text(value: object) -> str:
    """A two-language text object (with ``.fa`` and ``.en``) in the page's language."""
    return str(getattr(value, _language(), "") or getattr(value, "fa", ""))


@register.filter
def get_item(mapping: object, key: str) -> object:
    """``mapping[key]``, or an empty tuple when absent (for template lookups by variable)."""
    getter = getattr(mapping, "get", None)
    return getter(key, ()) if getter is not None else ()
