"""What every page needs: the navigation, today's date and the language switch."""

from __future__ import annotations

import functools

from django.apps import apps
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise


def navigation_entries(
    *, staff: bool = False, place: str = "navigation"
) -> list[tuple[str, Promise]]:
    """The menu as the installed apps declare it, in the order of INSTALLED_APPS.

    Each app's ``AppConfig.navigation`` lists ``(url name, label)`` pairs for the header
    menu, ``footer_navigation`` those for the footer, and ``staff_navigation`` header
    entries for staff only, so an app adds itself without editing a shared file.
    """
    entries: list[tuple[str, Promise]] = []
    for config in apps.get_app_configs():
        entries.extend(getattr(config, place, ()))
        if staff and place == "navigation":
            entries.extend(getattr(config, "staff_navigation", ()))
    return entries


def navigation(
    current_path: str, *, staff: bool = False, place: str = "navigation"
) -> list[dict[str, object]]:
    """The menu entries whose pages exist, each with its URL and whether it is current.

    An entry whose URL name does not resolve is left out, so the menu only ever links
    to what is there; staff entries appear only for staff.
    """
    return [
        {"url": url, "label": label, "current": current_path == url}
        for url, label in _resolved(staff=staff, place=place)
    ]


@functools.cache
def _resolved(*, staff: bool, place: str) -> tuple[tuple[str, Promise], ...]:
    # Resolved once per process: the URL configuration does not change while it runs,
    # and reversing every entry cost each page about half a millisecond.
    resolved = []
    for url_name, label in navigation_entries(staff=staff, place=place):
        try:
            resolved.append((reverse(url_name), label))
        except NoReverseMatch:
            continue
    return tuple(resolved)


def _forget_resolved(*, setting: str, **_: object) -> None:
    if setting == "ROOT_URLCONF":
        _resolved.cache_clear()


setting_changed.connect(_forget_resolved, dispatch_uid="amargah-navigation")


def site(request: HttpRequest) -> dict[str, object]:
    """Template context shared by all pages.

    The menus are functions, which templates call when they are read: the site shell
    renders them once per page address (``{% fragment %}``), not on every request.
    """
    return {
        "navigation": lambda: navigation(
            request.path, staff=bool(getattr(request, "user", None) and request.user.is_staff)
        ),
        "footer_navigation": lambda: navigation(request.path, place="footer_navigation"),
        "today": timezone.localdate(),
        "other_language": "en" if getattr(request, "LANGUAGE_CODE", "fa") == "fa" else "fa",
    }
