"""The announcement banner on every page: open incidents, maintenance, charter end."""

from __future__ import annotations

from django.http import HttpRequest

from amargah.status.selectors import banner_announcements


def banner(request: HttpRequest) -> dict[str, object]:
    """What to announce at the top of every page."""
    return {"announcements": banner_announcements()}
