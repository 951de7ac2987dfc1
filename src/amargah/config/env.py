"""Reading settings from the environment.

Every setting an operator may change comes from an environment variable, so the
same code runs the demo (SQLite, local files) and production (PostgreSQL) by
configuration alone. A bad value raises ``ImproperlyConfigured`` with one line
that names the variable to set; the command line prints it and exits with 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_str(name: str, default: str) -> str:
    """Return the variable ``name``, or ``default`` when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    """Return the variable ``name`` read as a yes/no flag."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value; set {name} to 1 or 0")


def env_list(name: str, default: str) -> list[str]:
    """Return a comma-separated variable as a list of non-empty items."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def data_dir() -> Path:
    """The directory holding the embedded database, the Parquet store and uploads.

    Taken from ``AMARGAH_DATA_DIR``; by default ``var/`` under the working directory.
    """
    path = Path(env_str("AMARGAH_DATA_DIR", "var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


SUPPORTED_DATABASES = {"sqlite", "postgres", "postgresql", "pgsql", "postgis"}


def database(default_sqlite: Path) -> dict[str, Any]:
    """The default database from ``DATABASE_URL``: SQLite when unset, else PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{default_sqlite}"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_DATABASES:
        raise ImproperlyConfigured(
            f"DATABASE_URL has an unknown scheme {scheme or url!r}; "
            "set DATABASE_URL to sqlite:///PATH or postgres://USER@HOST:PORT/NAME"
        )
    config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, whose health check reads the socket before it sends SELECT 1.
        config["ENGINE"] = "amargah.core.postgresql"
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server and the task worker write the same file without
        # "database is locked"; a busy timeout makes them wait instead of failing.
        # Connections persist (CONN_MAX_AGE) so these settings run once per process.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def cache(data: Path) -> dict[str, Any]:
    """The default cache from ``CACHE_URL``: the database cache unless Redis is named.

    The cache must be shared between processes (rate limits count across workers),
    so the local-memory cache is never the default.
    """
    url = os.environ.get("CACHE_URL", "").strip()
    if not url or url == "db://":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "amargah_cache",
        }
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "amargah.core.cache.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"CACHE_URL has an unknown scheme in {url!r}; set CACHE_URL to redis://HOST:PORT/N "
        "or leave it unset for the database cache"
    )
