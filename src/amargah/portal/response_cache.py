"""The response cache: published tables and API documents served without rendering.

A published release never changes, so the answer to an anonymous GET of a table page,
a download or an API document is the same for everyone who asks with the same URL,
language cookie, ``Accept`` and ``HX-Request`` headers, on the same host, on the same
day, under the same banner, while the same releases are published. Each worker keeps
such answers in memory (least recently used dropped first, bounded in bytes) and
serves them from a middleware placed before sessions, CSRF and templates.

What keeps it correct:

- The key holds the *publication state*: the count and highest id of the releases in
  each status, read from the database at most once a second per worker (one small
  query) and at once after a save in the same worker. Publishing, scheduling or
  cancelling any release changes it, so every worker serves a new version within a
  second of its publication. The cache can only lag, never lead: an answer is rendered
  from what is published when it is rendered, so nothing of a scheduled release is
  ever stored, and nothing rendered before a publication outlives the state it was
  stored under.
- Only anonymous visitors: a request carrying any cookie besides the CSRF and language
  cookies (a session, pending messages) is passed through, and so is a response that
  sets any cookie besides the CSRF one. Only status 200 is stored.
- Only the public paths of published content (``CACHED_PREFIXES``); staff pages, the
  calendar (which lists scheduled releases) and everything else are never cached.
- The CSRF token of the language switch is cut out of a stored page and a fresh one
  for the visitor's own CSRF cookie is put in on each hit, as Django would.
- The banner's announcements are fingerprinted every ``ANNOUNCEMENT_SECONDS``; texts
  of studies and tables, which are edited rather than versioned, are refreshed after
  ``PORTAL_RESPONSE_CACHE_SECONDS`` at most (at once in the worker that saved them).

Hits and misses are named in an ``X-Cache`` header. Responses without a CSRF token
carry a strong ``ETag`` and ``Cache-Control: public``; pages with one are ``private``,
with an ``ETag`` bound to the visitor's CSRF cookie. A matching ``If-None-Match`` gets
304 Not Modified.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from amargah.portal.models import Release

CACHED_PREFIXES = ("/data/tables/", "/api/v2/", "/sdmx/rest/")
# Answers of the rate-limited APIs still count against the visitor's limit when cached.
RATE_LIMITED_PREFIXES = ("/api/v2/", "/sdmx/rest/")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_SECONDS = 300
MAX_ENTRY_BYTES = 2 * 1024 * 1024  # larger answers (big downloads) are rendered each time
ANNOUNCEMENT_SECONDS = 10.0
PUBLIC_MAX_AGE = 60  # seconds a browser or proxy may reuse a document without asking
# Stands in for the 64-character CSRF token in a stored page; same length, so the
# stored Content-Length stays right.
CSRF_HOLE = b"@" * 64
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
# Headers that belong to one exchange, not to the document.
_PER_RESPONSE_HEADERS = {"set-cookie", "date", "x-cache"}


@dataclass(frozen=True)
class Entry:
    """A stored answer: its body (with CSRF holes), headers and validator."""

    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    has_csrf_hole: bool
    stored_at: float

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class ResponseStore:
    """A thread-safe LRU of entries, bounded in bytes and in age."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], *, max_age: float) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > max_age:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, ...], entry: Entry, *, max_bytes: int) -> None:
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple[str, ...]) -> None:
        self._bytes -= self._entries.pop(key).size


store = ResponseStore()
_NEVER = (-1e9, "")
_announcements: tuple[float, str] = _NEVER
_state: tuple[float, str] = _NEVER


def clear() -> None:
    """Forget every stored answer and what the keys were made of (this process only)."""
    global _announcements, _state
    store.clear()
    _announcements = _state = _NEVER


def _on_change(sender: type, **kwargs: Any) -> None:
    global _announcements
    label = sender._meta.app_label  # type: ignore[attr-defined]
    if label in ("portal", "production"):
        clear()
    elif label == "status":
        _announcements = _NEVER


post_save.connect(_on_change, dispatch_uid="portal-response-cache-save")
post_delete.connect(_on_change, dispatch_uid="portal-response-cache-delete")


def publication_state() -> str:
    """Count and highest id of the releases in each status: changes with any release.

    Read from the database at most every ``PORTAL_RESPONSE_CACHE_STATE_SECONDS``
    (default 1 s) per process, and at once after a save in this process.
    """
    global _state
    now = time.monotonic()
    read_at, state = _state
    if now - read_at < float(getattr(settings, "PORTAL_RESPONSE_CACHE_STATE_SECONDS", 1.0)):
        return state
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, COUNT(*), MAX(id) FROM {Release._meta.db_table} "  # noqa: S608
            "GROUP BY status ORDER BY status"
        )
        state = ";".join(f"{status}:{count}:{last}" for status, count, last in cursor.fetchall())
    _state = (now, state)
    return state


def announcements_state() -> str:
    """A fingerprint of the banner's announcements, recomputed every few seconds."""
    global _announcements
    now = time.monotonic()
    computed_at, fingerprint = _announcements
    if now - computed_at < ANNOUNCEMENT_SECONDS:
        return fingerprint
    from amargah.status.selectors import banner_announcements

    current = banner_announcements()
    records = [*current.incidents, *current.maintenance]
    if current.termination is not None:
        records.append(current.termination)
    parts = [
        (
            type(record).__name__,
            tuple(str(field.value_from_object(record)) for field in record._meta.concrete_fields),
        )
        for record in records
    ]
    fingerprint = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    _announcements = (now, fingerprint)
    return fingerprint


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET" or not request.path.startswith(CACHED_PREFIXES):
        return False
    if not getattr(settings, "PORTAL_RESPONSE_CACHE", True):
        return False
    allowed = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}
    return all(name in allowed for name in request.COOKIES)


def cache_key(request: HttpRequest) -> tuple[str, ...] | None:
    """What an answer depends on; ``None`` when the request must not use the cache."""
    if not _cacheable_request(request):
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    return (
        publication_state(),
        announcements_state(),
        timezone.localdate().isoformat(),
        request.scheme or "http",
        host,
        request.get_full_path(),
        language,
        request.headers.get("Accept", ""),
        request.headers.get("HX-Request", ""),
    )


def _storable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming:
        return False
    if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if "private" in cache_control or "no-store" in cache_control:
        return False
    return len(response.content) <= MAX_ENTRY_BYTES


def _csrf_bound_etag(template_etag: str, request: HttpRequest) -> str | None:
    secret = request.META.get("CSRF_COOKIE")
    if not secret or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return None  # no cookie yet: the page must go out with a token and the cookie
    digest = hashlib.sha256(f"{template_etag}:{secret}".encode()).hexdigest()[:32]
    return f'"{digest}"'


class ResponseCacheMiddleware:
    """Serve stored answers to anonymous GETs of published content; store new ones."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = cache_key(request)
        if key is None:
            return self.get_response(request)
        if request.path.startswith(RATE_LIMITED_PREFIXES):
            from amargah.portal.throttle import over_limit

            if over_limit(request):  # counted once; the view answers 429
                return self.get_response(request)
        max_age = float(getattr(settings, "PORTAL_RESPONSE_CACHE_SECONDS", DEFAULT_SECONDS))
        entry = store.get(key, max_age=max_age)
        if entry is not None:
            return self._serve(request, entry)
        response = self.get_response(request)
        if _storable(response):
            entry = self._entry(response)
            store.put(
                key,
                entry,
                max_bytes=int(getattr(settings, "PORTAL_RESPONSE_CACHE_BYTES", DEFAULT_MAX_BYTES)),
            )
            self._validators(request, response, entry)
            response["X-Cache"] = "miss"
        return response

    def _entry(self, response: HttpResponse) -> Entry:
        body = response.content
        tokens = {match.group(1) for match in CSRF_INPUT.finditer(body)}
        for token in tokens:
            body = body.replace(token, CSRF_HOLE)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if not tokens:
            response["ETag"] = etag
            response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        else:
            response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Cookie", "Accept"))
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ("HX-Request",))
        headers = tuple(
            (name, value)
            for name, value in response.items()
            if name.lower() not in _PER_RESPONSE_HEADERS and name.lower() != "etag"
        )
        return Entry(body, headers, etag, bool(tokens), time.monotonic())

    def _validators(self, request: HttpRequest, response: HttpResponse, entry: Entry) -> None:
        if entry.has_csrf_hole:
            # The page now holds a token for the cookie in META (set by the CSRF
            # middleware during this request), so the ETag may name that cookie.
            etag = _csrf_bound_etag(entry.etag, request)
            if etag is not None:
                response["ETag"] = etag

    def _serve(self, request: HttpRequest, entry: Entry) -> HttpResponse:
        body = entry.body
        etag: str | None = entry.etag
        if entry.has_csrf_hole:
            # What the CSRF middleware does for a rendered page: read the visitor's
            # cookie, mask its secret into the form, set the cookie when missing.
            self.csrf.process_request(request)
            etag = _csrf_bound_etag(entry.etag, request)
            token = get_token(request).encode()
            body = body.replace(CSRF_HOLE, token)
        if etag is not None and etag in _if_none_match(request):
            response: HttpResponse = HttpResponseNotModified()
        else:
            response = HttpResponse(body)
        for name, value in entry.headers:
            if response.status_code == 304 and name.lower() in ("content-length", "content-type"):
                continue
            response[name] = value
        if response.status_code == 200:
            response["Content-Length"] = str(len(body))
        if etag is not None:
            response["ETag"] = etag
        response["X-Cache"] = "hit"
        if entry.has_csrf_hole:
            self.csrf.process_response(request, response)
        return response


def _if_none_match(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
