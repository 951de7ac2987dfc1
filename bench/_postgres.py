"""What the load benchmarks share: a fresh PostgreSQL database for each run."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import urlparse


def recreate_database(url: str) -> None:
    """Drop the database named by ``url`` (closing its sessions) and create it empty."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    # The name goes into SQL text: only a plain identifier is accepted.
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing database name {name!r}")
    admin = [
        "psql",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
        "-d",
        "postgres",
        "-qc",
    ]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)
