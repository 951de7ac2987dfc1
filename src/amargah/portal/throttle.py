"""Generous, stated rate limits on the public APIs, counted in the shared cache."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

RETRY_AFTER_SECONDS = 60


def api_rate() -> str:
    """Requests allowed per client address (``PORTAL_API_RATE``, e.g. ``"600/m"``)."""
    return str(getattr(settings, "PORTAL_API_RATE", "600/m"))


def over_limit(request: HttpRequest) -> bool:
    """Count this request against its address; True when the address is over the limit.

    A request is counted once, however many times it is asked about (the response
    cache asks before the view does).
    """
    decided: bool | None = getattr(request, "_portal_over_limit", None)
    if decided is None:
        decided = bool(
            is_ratelimited(request, group="portal-api", key="ip", rate=api_rate(), increment=True)
        )
        request._portal_over_limit = decided  # type: ignore[attr-defined]
    return decided


def calls_per_window(*, window_seconds: int) -> int:
    """The limit restated as calls per window of ``window_seconds`` (PxWeb's config)."""
    count, _, period = api_rate().partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[-1:] or "m", 60)
    multiple = int(period[:-1]) if period[:-1].isdigit() else 1
    return max(1, int(count) * window_seconds // (seconds * multiple))
