"""The adaptive CAPTCHA: asked only of a client address that sends many forms or looks automated.

Counters live in the shared cache (Redis in production), in fixed windows of the
period of ``DESK_CAPTCHA_AFTER``: with ``"3/h"`` an address that already sent three
public forms this hour must answer the sum on the next one. A form whose honeypot is
filled or that was sent faster than a person can type marks the address suspect for
``DESK_CAPTCHA_SUSPECT_SECONDS``; a suspect address is asked the sum every time.

The address is the one the rate limits use: ``REMOTE_ADDR``, or behind a reverse
proxy the header named by ``RATELIMIT_IP_META_KEY`` (otherwise every visitor would
share the proxy's address and its counter).
"""

from __future__ import annotations

import hashlib
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"3/h"`` → (3 forms, 3600 seconds); ``"5/10m"`` → (5, 600)."""
    match = _RATE.match(rate)
    if match is None:
        raise ImproperlyConfigured(
            f"DESK_CAPTCHA_AFTER={rate!r} is not a rate; write it like 3/h or 20/d"
        )
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _SECONDS[unit]


def client_address(request: HttpRequest) -> str:
    """The client's address as the rate limits see it (the proxy's header when configured)."""
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    address = request.META.get(meta_key or "REMOTE_ADDR", "") or request.META.get("REMOTE_ADDR", "")
    # A proxy header may list a chain ("client, proxy1"): the first is the client.
    return str(address).split(",")[0].strip()


def _keys(request: HttpRequest, period: int) -> tuple[str, str]:
    # Addresses are personal data: the cache holds only a keyed hash of them.
    digest = hashlib.blake2b(
        client_address(request).encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12
    ).hexdigest()
    window = int(time.time() // period)
    return f"desk:forms:{digest}:{window}", f"desk:suspect:{digest}"


def _cache():  # type: ignore[no-untyped-def]
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def captcha_required(request: HttpRequest) -> bool:
    """Whether the next public form from this client must carry the CAPTCHA."""
    if not settings.DESK_CAPTCHA:
        return False
    limit, period = parse_rate(settings.DESK_CAPTCHA_AFTER)
    if limit == 0:
        return True
    count_key, suspect_key = _keys(request, period)
    values = _cache().get_many([count_key, suspect_key])
    return bool(values.get(suspect_key)) or int(values.get(count_key, 0)) >= limit


def form_counted(request: HttpRequest) -> None:
    """Count one public form sent from this client in the current window."""
    if not settings.DESK_CAPTCHA:
        return
    _limit, period = parse_rate(settings.DESK_CAPTCHA_AFTER)
    count_key, _suspect = _keys(request, period)
    cache = _cache()
    # The counter usually exists: increment first (one round trip fewer than add-then-incr).
    try:
        cache.incr(count_key)
    except ValueError:  # the window's first form
        if not cache.add(count_key, 1, period + 5):
            cache.incr(count_key)


def mark_suspect(request: HttpRequest) -> None:
    """Ask this client the CAPTCHA on every form for a while (honeypot filled, too fast)."""
    if not settings.DESK_CAPTCHA:
        return
    _limit, period = parse_rate(settings.DESK_CAPTCHA_AFTER)
    _count, suspect_key = _keys(request, period)
    _cache().set(suspect_key, 1, settings.DESK_CAPTCHA_SUSPECT_SECONDS)


def first_sending(token: str) -> bool:
    """Whether this is the first time the form with ``token`` arrives (then remember it).

    A resent form (double click, retry after a network error or a crash) must not
    count again against the mobile number's daily limit; one shared-cache operation
    answers that without a database query on every submission.
    """
    return bool(_cache().add(f"desk:stamp:{token}", 1, settings.DESK_FORM_MAX_SECONDS + 60))


def forget_sending(token: str) -> None:
    """Forget a form refused by a limit, so that its resending is checked again."""
    _cache().delete(f"desk:stamp:{token}")
