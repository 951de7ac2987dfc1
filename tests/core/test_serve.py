"""`amargah serve` stops its web server and worker whatever signals it gets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")
def test_a_second_signal_still_stops_both_children(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env["AMARGAH_DATA_DIR"] = str(tmp_path)
    manage = [sys.executable, "-m", "amargah", "manage"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=300)  # noqa: S603
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "amargah", "serve", "--address", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        children = _children(server.pid)
        assert len(children) == 2  # runserver and db_worker
        # A process manager's SIGTERM to the group reaches `uv run`, which forwards it, and
        # the server itself: a second signal a fraction of a millisecond after the first,
        # while the server is stopping its children. Signals keep coming here until the
        # server has exited, so one lands in that moment.
        deadline = time.monotonic() + 30
        while server.poll() is None and time.monotonic() < deadline:
            server.send_signal(signal.SIGTERM)
            time.sleep(0.0001)
        assert server.poll() is not None
        deadline = time.monotonic() + 15
        while any(map(_running, children)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(_running, children))
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        for pid in [server.pid, *children]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
