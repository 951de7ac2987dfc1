"""The shared cache on Redis, with one client object per connection pool.

Django's Redis cache builds a new ``redis.Redis`` client for every operation; building
one fills its table of response callbacks (about 170 entries), which cost a service-desk
submission (eight cache operations: rate limits, the adaptive CAPTCHA's counters) about
a millisecond of CPU. A client is thread-safe and holds no connection of its own (the
pool does), so one per pool is enough.

Django's ``incr`` asks ``EXISTS`` and then ``INCRBY``: two round trips, and a key that
expires in between is created again without its expiry. Here one server-side script
does both at once.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Increment a counter only if it exists (Django's ``incr`` raises ValueError otherwise).
INCR_EXISTING = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end
return false
"""


class RedisCacheClient(DjangoRedisCacheClient):
    """Django's client, keeping the ``redis.Redis`` object of each pool."""

    def __init__(self, servers: Any, **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}
        self._clients_lock = threading.Lock()
        self._incr_existing: Any = None

    def incr(self, key: Any, delta: int) -> int:
        """Add ``delta`` to an existing counter in one round trip; ValueError if it is missing."""
        client = self.get_client(key, write=True)
        if self._incr_existing is None:
            self._incr_existing = client.register_script(INCR_EXISTING)
        value = self._incr_existing(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key {key!r} not found.")
        return int(value)

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # its private helpers are not in django-stubs
        index = django_client._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    pool = django_client._get_connection_pool(write)
                    client = django_client._client(connection_pool=pool)
                    self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with `RedisCacheClient`; configured as Django's is."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._scripts: dict[str, Any] = {}

    def run_script(self, source: str, *, keys: list[str], args: list[int | str]) -> Any:
        """Run the Lua script ``source`` on the server in one round trip; what it returns.

        ``keys`` are cache keys, given to the script as ``KEYS`` in their stored form
        (with this cache's prefix and version); integers they hold are stored as plain
        numbers, so the script may ``INCR`` them and ``get`` reads the result.
        """
        client = self._cache.get_client(write=True)
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts.setdefault(source, client.register_script(source))
        stored = [self.make_and_validate_key(key) for key in keys]
        return script(keys=stored, args=args, client=client)
