"""What every page needs: the navigation, today's date and the language switch."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The navigation names URL names; an entry whose page does not exist is left out,
# so the menu only ever links to what is there.
NAVIGATION: tuple[tuple[str, Promise], ...] = (("core:home", _("Home")),)


def navigation(current_path: str) -> list[dict[str, object]]:
    """The menu entries whose pages exist, each with its URL and whether it is current."""
    items: list[dict[str, object]] = []
    for url_name, label in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "current": current_path == url})
    return items


def site(request: HttpRequest) -> dict[str, object]:
    """Template context shared by all pages."""
    return {
        "navigation": navigation(request.path),
        "today": timezone.localdate(),
        "other_language": "en" if getattr(request, "LANGUAGE_CODE", "fa") == "fa" else "fa",
    }
