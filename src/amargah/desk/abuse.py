"""The adaptive CAPTCHA: asked only of a client address that sends many forms or looks automated.

Counters live in the shared cache (Redis in production), in fixed windows of the
period of ``DESK_CAPTCHA_AFTER``: with ``"3/h"`` an address that already sent three
public forms this hour must answer the sum on the next one. A form whose honeypot is
filled or that was sent faster than a person can type marks the address suspect for
``DESK_CAPTCHA_SUSPECT_SECONDS``; a suspect address is asked the sum every time.

The address is the one the rate limits use: ``REMOTE_ADDR``, or behind a reverse
proxy the header named by ``RATELIMIT_IP_META_KEY`` (otherwise every visitor would
share the proxy's address and its counter); an IPv6 address counts by its /64 network
(``RATELIMIT_IPV6_MASK``), which one client usually holds whole.

The public forms' own rate limits (per address, per mobile number) are counted here
too (``form_arrived``, ``form_accepted``): on Redis a submission's counters take two
round trips, one server-side script when it arrives and one when it is accepted,
rather than seven or more separate cache operations.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from amargah.core.cache import RedisCache

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str, *, setting: str = "DESK_CAPTCHA_AFTER") -> tuple[int, int]:
    """``"3/h"`` → (3 forms, 3600 seconds); ``"5/10m"`` → (5, 600). ``setting`` names the
    setting a bad rate came from in the error."""
    match = _RATE.match(rate)
    if match is None:
        raise ImproperlyConfigured(f"{setting}={rate!r} is not a rate; write it like 3/h or 20/d")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _SECONDS[unit]


def client_address(request: HttpRequest) -> str:
    """The client's address as the rate limits see it (the proxy's header when configured)."""
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    address = request.META.get(meta_key or "REMOTE_ADDR", "") or request.META.get("REMOTE_ADDR", "")
    # A proxy header may list a chain ("client, proxy1"): the first is the client.
    address = str(address).split(",")[0].strip()
    if ":" in address:
        try:
            mask = getattr(settings, "RATELIMIT_IPV6_MASK", 64)
            network = ipaddress.ip_network(f"{address}/{mask}", strict=False)
        except ValueError:
            return address
        return str(network.network_address)
    return address


def _digest(value: str) -> str:
    # Addresses and mobile numbers are personal data: the cache holds only a keyed hash.
    return hashlib.blake2b(
        value.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12
    ).hexdigest()


def _keys(request: HttpRequest, period: int) -> tuple[str, str]:
    digest = _digest(client_address(request))
    window = int(time.time() // period)
    return f"desk:forms:{digest}:{window}", f"desk:suspect:{digest}"


def _cache():  # type: ignore[no-untyped-def]
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _count(key: str, seconds: int) -> int:
    """Add one to a counter that lives ``seconds`` from its first count; the new count."""
    cache = _cache()
    # The counter usually exists: increment first (one round trip fewer than add-then-incr).
    try:
        return int(cache.incr(key))
    except ValueError:  # the window's first
        if cache.add(key, 1, seconds):
            return 1
        return int(cache.incr(key))


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


def mark_suspect(request: HttpRequest) -> None:
    """Ask this client the CAPTCHA on every form for a while (honeypot filled, too fast)."""
    if not settings.DESK_CAPTCHA:
        return
    _limit, period = parse_rate(settings.DESK_CAPTCHA_AFTER)
    _count, suspect_key = _keys(request, period)
    _cache().set(suspect_key, 1, settings.DESK_CAPTCHA_SUSPECT_SECONDS)


@dataclass(frozen=True)
class Arrival:
    """What the counters say of a public form just sent."""

    limited: bool  # over the address's limit: refuse with 429
    captcha: bool  # the form must carry the CAPTCHA


# KEYS: the address's rate counter, its forms in the CAPTCHA's window, its suspect flag.
# ARGV: the rate counter's lifetime (s), the limit, the window's lifetime (s), whether
# this form counts in the window (0 when its honeypot is filled).
_ARRIVED = """
local hits = redis.call('incr', KEYS[1])
if hits == 1 then redis.call('expire', KEYS[1], ARGV[1]) end
if hits > tonumber(ARGV[2]) then return {hits, 0, 0} end
local forms = tonumber(redis.call('get', KEYS[2]) or '0')
local suspect = redis.call('exists', KEYS[3])
if ARGV[4] == '1' and redis.call('incr', KEYS[2]) == 1 then
  redis.call('expire', KEYS[2], ARGV[3])
end
return {hits, forms, suspect}
"""


def form_arrived(request: HttpRequest, *, group: str, rate: str, counted: bool = True) -> Arrival:
    """Count a public form's sending from this client; whether it is over a limit or needs the sum.

    Every sending counts against the address's limit ``rate`` (``"10/h"``: ten in a
    fixed hour) for the form ``group``; unless ``counted`` is False (the honeypot is
    filled) it also counts in the CAPTCHA's window. ``captcha`` is read before this
    form counted, as ``captcha_required`` would have answered.
    """
    limit, period = parse_rate(rate, setting="DESK_RATE_SUBMIT")
    digest = _digest(client_address(request))
    rate_key = f"desk:rate:{group}:{digest}:{int(time.time() // period)}"
    if not settings.DESK_CAPTCHA:
        return Arrival(limited=_count(rate_key, period + 5) > limit, captcha=False)
    threshold, window = parse_rate(settings.DESK_CAPTCHA_AFTER)
    count_key, suspect_key = _keys(request, window)
    cache = _cache()
    if isinstance(cache, RedisCache):
        hits, forms, suspect = cache.run_script(
            _ARRIVED,
            keys=[rate_key, count_key, suspect_key],
            args=[period + 5, limit, window + 5, int(counted)],
        )
        if hits > limit:
            return Arrival(limited=True, captcha=False)
        return Arrival(limited=False, captcha=threshold == 0 or bool(suspect) or forms >= threshold)
    if _count(rate_key, period + 5) > limit:
        return Arrival(limited=True, captcha=False)
    captcha = captcha_required(request)
    if counted:
        _count(count_key, window + 5)
    return Arrival(limited=False, captcha=captcha)


# KEYS: the form's stamp, the mobile number's counter. ARGV: the stamp's lifetime (s),
# the counter's lifetime (s). -1 for a form already received, else the number's count.
_ACCEPTED = """
if not redis.call('set', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then return -1 end
local sent = redis.call('incr', KEYS[2])
if sent == 1 then redis.call('expire', KEYS[2], ARGV[2]) end
return sent
"""


def form_accepted(token: str, *, mobile: str, rate: str) -> bool:
    """Whether a valid form may be registered under the mobile number's limit ``rate``.

    The first sending of the form with ``token`` counts against ``mobile``'s limit
    (``"5/d"``); a resent form (double click, retry after an error or a crash) gets
    its ticket back and does not count again. A form refused here is forgotten, so
    that its resending is checked again.
    """
    limit, period = parse_rate(rate)
    stamp_key = f"desk:stamp:{token}"
    mobile_key = f"desk:mobile:{_digest(mobile)}:{int(time.time() // period)}"
    stamp_seconds = settings.DESK_FORM_MAX_SECONDS + 60
    cache = _cache()
    if isinstance(cache, RedisCache):
        sent = int(
            cache.run_script(
                _ACCEPTED, keys=[stamp_key, mobile_key], args=[stamp_seconds, period + 5]
            )
        )
    elif cache.add(stamp_key, 1, stamp_seconds):
        sent = _count(mobile_key, period + 5)
    else:
        sent = -1
    if sent > limit:
        cache.delete(stamp_key)
        return False
    return True
