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
too (``form_arrived``, ``form_accepted``): on Redis a valid submission's counters take
one round trip, a server-side script that counts the address, reads the CAPTCHA's
counters and, when no CAPTCHA is owed, records the form's stamp and counts its mobile
number (``Claim``); a form that must first carry the sum takes a second script once it
does.
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
class Claim:
    """A valid form asking to be registered: its stamp's token and the mobile number's limit."""

    token: str  # the form's idempotency token (from its signed stamp)
    mobile: str  # the requester's mobile number, in ASCII digits
    rate: str  # the number's limit, like "5/d"


@dataclass(frozen=True)
class Arrival:
    """What the counters say of a public form just sent."""

    limited: bool  # over the address's limit: refuse with 429
    captcha: bool  # the form must carry the CAPTCHA
    # The answer to the form's ``Claim``, as ``form_accepted`` gives it; None when no
    # claim was made or it was not looked at (over the address's limit, or the CAPTCHA
    # is owed: the form must carry the sum before it counts against its mobile number).
    accepted: bool | None = None


# KEYS: the address's rate counter, its forms in the CAPTCHA's window, its suspect flag;
# with a claim also the form's stamp and the mobile number's counter.
# ARGV: the rate counter's lifetime (s), the limit, the window's lifetime (s), whether
# this form counts in the window (0 when its honeypot is filled), the CAPTCHA's
# threshold; with a claim the stamp's lifetime (s), the number's counter's lifetime (s)
# and its limit. Returns {hits, forms before this one, suspect, sent}: sent is 0 when
# the claim was not looked at, else as the claim script below returns it.
_ARRIVED = """
local hits = redis.call('incr', KEYS[1])
if hits == 1 then redis.call('expire', KEYS[1], ARGV[1]) end
if hits > tonumber(ARGV[2]) then return {hits, 0, 0, 0} end
local forms = tonumber(redis.call('get', KEYS[2]) or '0')
local suspect = redis.call('exists', KEYS[3])
if ARGV[4] == '1' and redis.call('incr', KEYS[2]) == 1 then
  redis.call('expire', KEYS[2], ARGV[3])
end
local threshold = tonumber(ARGV[5])
if #KEYS < 5 or threshold == 0 or suspect == 1 or forms >= threshold then
  return {hits, forms, suspect, 0}
end
if not redis.call('set', KEYS[4], 1, 'NX', 'EX', ARGV[6]) then
  return {hits, forms, suspect, -1}
end
local sent = redis.call('incr', KEYS[5])
if sent == 1 then redis.call('expire', KEYS[5], ARGV[7]) end
if sent > tonumber(ARGV[8]) then redis.call('del', KEYS[4]) end
return {hits, forms, suspect, sent}
"""


def _claim_keys(claim: Claim) -> tuple[str, str, int, int, int]:
    """The stamp's key, the mobile counter's key, their lifetimes (s) and the number's limit."""
    limit, period = parse_rate(claim.rate)
    stamp_key = f"desk:stamp:{claim.token}"
    mobile_key = f"desk:mobile:{_digest(claim.mobile)}:{int(time.time() // period)}"
    return stamp_key, mobile_key, settings.DESK_FORM_MAX_SECONDS + 60, period + 5, limit


def form_arrived(
    request: HttpRequest, *, group: str, rate: str, counted: bool = True, claim: Claim | None = None
) -> Arrival:
    """Count a public form's sending from this client; whether it is over a limit or needs the sum.

    Every sending counts against the address's limit ``rate`` (``"10/h"``: ten in a
    fixed hour) for the form ``group``; unless ``counted`` is False (the honeypot is
    filled) it also counts in the CAPTCHA's window. ``captcha`` is read before this
    form counted, as ``captcha_required`` would have answered. A valid form passes its
    ``claim``: unless the address is over its limit or owes the CAPTCHA, the claim is
    answered in the same round trip as ``form_accepted`` would (``Arrival.accepted``).
    """
    limit, period = parse_rate(rate, setting="DESK_RATE_SUBMIT")
    digest = _digest(client_address(request))
    rate_key = f"desk:rate:{group}:{digest}:{int(time.time() // period)}"
    if not settings.DESK_CAPTCHA:
        if _count(rate_key, period + 5) > limit:
            return Arrival(limited=True, captcha=False)
        accepted = None if claim is None else form_accepted(claim)
        return Arrival(limited=False, captcha=False, accepted=accepted)
    threshold, window = parse_rate(settings.DESK_CAPTCHA_AFTER)
    count_key, suspect_key = _keys(request, window)
    cache = _cache()
    if isinstance(cache, RedisCache):
        keys = [rate_key, count_key, suspect_key]
        args: list[int | str] = [period + 5, limit, window + 5, int(counted), threshold]
        if claim is not None:
            stamp_key, mobile_key, stamp_seconds, mobile_seconds, mobile_limit = _claim_keys(claim)
            keys += [stamp_key, mobile_key]
            args += [stamp_seconds, mobile_seconds, mobile_limit]
        hits, forms, suspect, sent = cache.run_script(_ARRIVED, keys=keys, args=args)
        if hits > limit:
            return Arrival(limited=True, captcha=False)
        if threshold == 0 or bool(suspect) or forms >= threshold:
            return Arrival(limited=False, captcha=True)
        accepted = None if claim is None else int(sent) <= mobile_limit
        return Arrival(limited=False, captcha=False, accepted=accepted)
    if _count(rate_key, period + 5) > limit:
        return Arrival(limited=True, captcha=False)
    captcha = captcha_required(request)
    if counted:
        _count(count_key, window + 5)
    accepted = None if claim is None or captcha else form_accepted(claim)
    return Arrival(limited=False, captcha=captcha, accepted=accepted)


# KEYS: the form's stamp, the mobile number's counter. ARGV: the stamp's lifetime (s),
# the counter's lifetime (s), the number's limit. -1 for a form already received, else
# the number's count; a form over the limit is forgotten (its stamp deleted).
_ACCEPTED = """
if not redis.call('set', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then return -1 end
local sent = redis.call('incr', KEYS[2])
if sent == 1 then redis.call('expire', KEYS[2], ARGV[2]) end
if sent > tonumber(ARGV[3]) then redis.call('del', KEYS[1]) end
return sent
"""


def form_accepted(claim: Claim) -> bool:
    """Whether a valid form may be registered under its mobile number's limit ``claim.rate``.

    The first sending of the form with ``claim.token`` counts against ``claim.mobile``'s
    limit (``"5/d"``); a resent form (double click, retry after an error or a crash)
    gets its ticket back and does not count again. A form refused here is forgotten,
    so that its resending is checked again. ``form_arrived`` answers the same question
    in its own round trip when it can.
    """
    stamp_key, mobile_key, stamp_seconds, mobile_seconds, limit = _claim_keys(claim)
    cache = _cache()
    if isinstance(cache, RedisCache):
        sent = int(
            cache.run_script(
                _ACCEPTED,
                keys=[stamp_key, mobile_key],
                args=[stamp_seconds, mobile_seconds, limit],
            )
        )
        return sent <= limit
    # -1: the form was received before (a resending), which never counts again.
    sent = _count(mobile_key, mobile_seconds) if cache.add(stamp_key, 1, stamp_seconds) else -1
    if sent > limit:
        cache.delete(stamp_key)
        return False
    return True
