"""Template filters of the service desk."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from amargah.core.persian import to_persian_digits

register = template.Library()


@register.filter
def clock_minutes(value: float | None) -> str:
    """A span of clock minutes as hours and minutes, e.g. "12 h 30 min" (sign dropped)."""
    if value is None:
        return ""
    total = round(abs(value))
    text = _("%(hours)s h %(minutes)s min") % {"hours": total // 60, "minutes": total % 60}
    return to_persian_digits(text) if (get_language() or "fa").startswith("fa") else text


@register.filter
def percent(value: float | None) -> str:
    """A share 0–100 with one decimal and a percent sign, in the page's digits; a dash if None."""
    if value is None:
        return "—"
    if (get_language() or "fa").startswith("fa"):
        return to_persian_digits(f"{value:.1f}".replace(".", "٫")) + "٪"
    return f"{value:.1f}%"


@register.filter
def hours(value: float | None) -> str:
    """Hours with one decimal in the page's digits; a dash if None."""
    if value is None:
        return "—"
    if (get_language() or "fa").startswith("fa"):
        return to_persian_digits(f"{value:.1f}".replace(".", "٫"))
    return f"{value:.1f}"


@register.filter
def lookup(mapping: dict[object, object], key: object) -> object:
    """``mapping[key]`` in a template."""
    return mapping.get(key, "")


ENGLISH_JALALI_MONTHS = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)


@register.filter
def jmonth(month: object) -> str:
    """A Jalali month (``selectors.JalaliMonth``) by name: "آذر ۱۴۰۵" or "Azar 1405"."""
    from amargah.core.dates import JALALI_MONTHS

    year, number = getattr(month, "year", 0), getattr(month, "month", 1)
    if (get_language() or "fa").startswith("fa"):
        return to_persian_digits(f"{JALALI_MONTHS[number - 1]} {year}")
    return f"{ENGLISH_JALALI_MONTHS[number - 1]} {year}"
