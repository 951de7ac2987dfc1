"""The shared cache on Redis, with one client object per connection pool.

Django's Redis cache builds a new ``redis.Redis`` client for every operation; building
one fills its table of response callbacks (about 170 entries), which cost a service-desk
submission (eight cache operations: rate limits, the adaptive CAPTCHA's counters) about
a millisecond of CPU. A client is thread-safe and holds no connection of its own (the
pool does), so one per pool is enough.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    """Django's client, keeping the ``redis.Redis`` object of each pool."""

    def __init__(self, servers: Any, **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}
        self._clients_lock = threading.Lock()

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
