"""What the load benchmarks share: paths, a fresh PostgreSQL database, the server's CPU time."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


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


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system, seconds) of the live processes of a process group.

    Independent of what else the machine runs, unlike throughput: the figure to
    compare between versions on a busy development machine.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp, ... utime is the 12th, stime the 13th.
        if int(fields[2]) == group:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total
