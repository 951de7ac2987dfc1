"""The shared Redis cache: Django's cache API on a real Redis, one client per pool."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from amargah.config import env
from amargah.core.cache import RedisCache

REDIS_URL = os.environ.get("AMARGAH_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RedisCache]:
    monkeypatch.setenv("CACHE_URL", REDIS_URL)
    config = env.cache(tmp_path)
    assert config["BACKEND"] == "amargah.core.cache.RedisCache"
    cache = RedisCache(config["LOCATION"], {"KEY_PREFIX": "amargah-test"})
    cache.clear()
    yield cache
    cache.clear()


def test_the_cache_api_works_on_redis(redis_cache: RedisCache) -> None:
    redis_cache.set("greeting", {"fa": "سلام"}, 30)
    assert redis_cache.get("greeting") == {"fa": "سلام"}
    assert redis_cache.add("counter", 1, 30) is True
    assert redis_cache.add("counter", 5, 30) is False  # add never overwrites
    assert redis_cache.incr("counter") == 2
    redis_cache.delete("greeting")
    assert redis_cache.get("greeting") is None


def test_one_client_serves_every_operation_and_thread(redis_cache: RedisCache) -> None:
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client() is client
    redis_cache.add("hits", 0, 30)
    seen: list[object] = []

    def count() -> None:
        for _ in range(50):
            redis_cache.incr("hits")
        seen.append(redis_cache._cache.get_client(write=True))

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert redis_cache.get("hits") == 400  # no increment lost across threads
    assert all(other is client for other in seen)
