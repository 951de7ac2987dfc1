"""Template filters of the production pages."""

from __future__ import annotations

import datetime as dt

import jdatetime
from django import template
from django.utils.translation import get_language

from amargah.core.persian import to_persian_digits

register = template.Library()


@register.filter
def jdate_input(value: dt.date | None) -> str:
    """A date as a form field shows it: 1405/09/06 (Persian digits) in Persian, ISO in English."""
    if value is None:
        return ""
    if (get_language() or "fa").startswith("fa"):
        day = jdatetime.date.fromgregorian(date=value)
        return to_persian_digits(f"{day.year:04d}/{day.month:02d}/{day.day:02d}")
    return value.isoformat()
