"""Load and crash test of the service desk: nothing acknowledged is lost or duplicated.

Starts Amargah under gunicorn (2 workers: sync by default; --threads N above 1 runs
gthread workers with N threads each, as --worker-class gthread does for any N; --preload,
as the deployment guide recommends, unless --no-preload) on a fresh PostgreSQL database
on loopback, with
the cache (rate limits, the adaptive CAPTCHA's counters) in Redis as in production,
then 100 concurrent clients submit complaints for 60 seconds (over kept-alive
connections where the server keeps them: sync workers close each). The clients together
offer --rate submissions a second (each paced evenly, like people filling in forms; a
client that fell behind does not send its missed forms in a burst); --rate 0 makes each
send its next form as soon as the last is answered, to find the ceiling. Halfway
through, the whole gunicorn process group is killed with SIGKILL and started again;
clients whose request failed resend the same form (same signed stamp), as a browser
would: by default 0.2 s later, all of them at once when the server is back (the harshest
case); --resend-after 1-3 spreads the resends as people pressing reload would. At the
end every tracking code a client received must exist exactly once in the database, and
every stamp must map to one code.

Prints throughput (acknowledged submissions per second over the run), p50 and p99
latency of acknowledged submissions, the CPU time per submission of the server, of the
bench database's PostgreSQL backends, of Redis and of this generator (comparable between
versions on a busy machine, unlike throughput), errors seen during the crash, and lost
(codes acknowledged but missing) and duplicated (stamps with two codes) counts.

Usage: flock /tmp/amargah-bench.lock .venv/bin/python bench/desk_load.py [--seconds 60]
       [--clients 100] [--rate 250] [--threads 1] [--worker-class sync|gthread]
       [--no-kill] [--no-preload] [--port 18765] [--resend-after 0.2 | 1-3]
       [--database postgres://postgres@127.0.0.1:5432/amargah_bench]
       [--cache redis://127.0.0.1:6379/15]
The database named is dropped and created again, and the Redis database emptied. All
clients share 127.0.0.1, so the per-address limit and the CAPTCHA's threshold are
raised for the run (DESK_RATE_SUBMIT, DESK_CAPTCHA_AFTER); the per-mobile limit stays.

Why p99 needs an offered rate: with 100 clients that never pause (--rate 0), Little's
law makes the mean latency 100 / throughput, so p99 < 200 ms would need more than 500
submissions a second; at a paced 250/s, latency is the service time plus queueing.

Reading the output. Throughput counts the whole run, crash included: a paced offer loses
about (seconds down) x --rate, so 200/s offered cannot show 200/s acknowledged; offer
more (--rate 210) to check a floor of 200/s. p50 and p99 cover every acknowledged
submission, each timed from its last sending; the slowest are the forms held while the
server was down and answered in a burst when it is back ("back at": its first answer
after the SIGKILL at half time). "Away from the crash" leaves out the 10 s after the
restart: the steady state. The CPU lines (ms per acknowledged submission, from 10 s after
the last start) hardly depend on what else runs on the machine, unlike throughput and
latency: compare versions with them, run alternately, and give the load average with
any figure. Failed attempts were resent with the same stamp; lost and duplicated must
be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

from _support import GUNICORN, PYTHON, ROOT, group_cpu_seconds, recreate_database  # bench/

SECRET = "bench-secret-" + secrets.token_hex(24)
CSRF = "b" * 32  # any 32-character token: cookie and form field must match
CODE = re.compile(r'id="tracking-code">([^<]+)<')
FORM_SALT = "amargah.desk.form"  # the salt of amargah.desk.forms.FORM_SALT
PERSIAN = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
SETTLE_SECONDS = 10  # after the restart, left out of the steady-state latency


def stamp() -> str:
    """A form stamp as the site signs it (the bench holds the same SECRET_KEY)."""
    from django.core import signing

    payload = {"token": secrets.token_hex(16), "at": time.time() - 10}
    return signing.dumps(payload, key=SECRET, salt=FORM_SALT)


def process_cpu_seconds(matches: str) -> float:
    """CPU time (user + system, seconds) of the live processes whose command line contains
    ``matches``: a database's PostgreSQL backends ("postgres: USER NAME ...") or Redis."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if matches not in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                continue
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def server_env(database: str, data_dir: str, cache_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database,
        "AMARGAH_DATA_DIR": data_dir,
        "SECRET_KEY": SECRET,
        "DJANGO_SETTINGS_MODULE": "amargah.config.settings.local",
        # Rate limits and the CAPTCHA's counters in Redis, as production runs them
        # (the deployment guide): the database cache would add two commits a submission.
        "CACHE_URL": cache_url,
        # Every client comes from 127.0.0.1: the per-address limit and the adaptive
        # CAPTCHA's threshold are raised for the run (the per-mobile limit stays).
        "DESK_CAPTCHA_AFTER": "100000000/h",
        "DESK_FORM_MIN_SECONDS": "0",
        "DESK_RATE_SUBMIT": "100000000/h",
        "LOG_LEVEL": "WARNING",
    }


def start_server(
    env: dict[str, str],
    port: int,
    threads: int = 1,
    *,
    preload: bool = True,
    worker_class: str = "",
) -> subprocess.Popen[bytes]:
    # Refuse to measure some other server that already holds the port; after a SIGKILL
    # the dying workers may hold the listening socket for a moment, so wait a little.
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.05)
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "amargah.config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            worker_class or ("gthread" if threads > 1 else "sync"),
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            *(["--preload"] if preload else []),
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process


async def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _body = await request(port, "GET", "/desk/", b"")
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


def _head(method: str, path: str, port: int, length: int, *, keep_alive: bool) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        f"Cookie: csrftoken={CSRF}\r\nReferer: http://127.0.0.1:{port}/\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def request(port: int, method: str, path: str, body: bytes) -> tuple[int, str]:
    """One request on a connection of its own (readiness checks)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_head(method, path, port, len(body), keep_alive=False) + body)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    if not raw:
        raise ConnectionError("empty answer")
    status = int(raw.split(b" ", 2)[1])
    return status, raw.partition(b"\r\n\r\n")[2].decode(errors="replace")


class Connection:
    """A client's HTTP/1.1 connection, kept alive while the server allows it.

    Kept deliberately cheap (no HTTP library): the load generator shares the two
    cores with the server it measures. Only what the desk's answers use is parsed:
    the status line, Content-Length and Connection.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes) -> tuple[int, str]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        try:
            self.writer.write(_head("POST", path, self.port, len(body), keep_alive=True) + body)
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length, close = -1, False
            for line in lines[1:]:
                name, _sep, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            content = (
                await self.reader.readexactly(length) if length >= 0 else await self.reader.read()
            )
            if close or length < 0:
                self.close()
        except BaseException:
            self.close()
            raise
        return status, content.decode(errors="replace")


class Results:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.acknowledged_at: list[float] = []  # monotonic time of each acknowledgement
        # CPU of the last server's processes from SETTLE_SECONDS after it answered (its
        # workers warm: without --preload each worker still loads the application's
        # URLs and views on its first request, about a second of CPU)
        self.server_cpu = 0.0
        self.server_since = 0.0  # when that counting began
        self.database_cpu = 0.0  # CPU seconds of the bench database's PostgreSQL backends
        self.cache_cpu = 0.0  # CPU seconds of redis-server (any client's)
        self.codes: dict[str, set[str]] = {}  # stamp -> codes acknowledged for it
        self.errors = 0
        self.resends = 0
        self.refusals: dict[int, int] = {}  # HTTP status -> count, for answers without a code
        self.killed_at: float | None = None  # monotonic time of the SIGKILL
        self.back_at: float | None = None  # when the restarted server answered again


async def client(
    number: int,
    port: int,
    stop_at: float,
    results: Results,
    interval: float,
    resend_after: tuple[float, float],
) -> None:
    """Submit forms one after another until ``stop_at``.

    A failed sending is sent again after a pause drawn uniformly from ``resend_after``
    (seconds, low and high; equal for a fixed pause).

    With ``interval`` > 0 the client sends one form every ``interval`` seconds (a
    person who fills in the next form while the first is answered); one that fell
    behind, as after the crash, does not send the missed forms in a burst. With 0
    it sends the next form as soon as the last is answered (saturation).
    """
    rng = random.Random(number)
    connection = Connection(port)
    # Spread the clients' first sendings over one interval.
    next_at = time.monotonic() + rng.random() * interval
    while time.monotonic() < stop_at:
        if interval:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            now = time.monotonic()
            # on time: the next slot; more than one interval behind (after the crash):
            # one interval from now, as a person starts the next form once the last is
            # answered, rather than at once to catch up
            next_at = next_at + interval if now - next_at < interval else now + interval
            if time.monotonic() >= stop_at:
                break
        form_stamp = stamp()
        mobile = f"09{rng.randrange(10**9):09d}"
        body = urlencode(
            {
                "stamp": form_stamp,
                "website": "",
                "csrfmiddlewaretoken": CSRF,
                "requester_kind": "citizen",
                "full_name": "آزمون بار",
                "mobile": mobile,
                "subject": "آزمون",
                "body": "شکایت آزمایشی برای سنجش بار.",
            }
        ).encode()
        # Resend the same form until it is acknowledged (or the run ends), as a person would.
        while time.monotonic() < stop_at + 10:
            started = time.monotonic()
            try:
                status, html = await asyncio.wait_for(connection.post("/desk/complaint/", body), 10)
            except (OSError, ConnectionError, TimeoutError, ValueError, IndexError, EOFError):
                status, html = 0, ""  # no answer (the server is down)
            match = CODE.search(html) if status == 200 else None
            if match is None:
                if status:
                    results.refusals[status] = results.refusals.get(status, 0) + 1
                results.errors += 1
                results.resends += 1
                await asyncio.sleep(rng.uniform(*resend_after))
                continue
            results.latencies.append(time.monotonic() - started)
            results.acknowledged_at.append(time.monotonic())
            code = re.sub(r"\D", "", match.group(1).translate(PERSIAN))
            results.codes.setdefault(form_stamp, set()).add(code)
            break
    connection.close()


async def run(args: argparse.Namespace, env: dict[str, str]) -> tuple[Results, float]:
    results = Results()

    def launch() -> subprocess.Popen[bytes]:
        return start_server(
            env,
            args.port,
            args.threads,
            preload=not args.no_preload,
            worker_class=args.worker_class,
        )

    servers = [launch()]
    # The backends' command line: "postgres: USER DATABASE HOST(PORT) STATE".
    backends = f" {urlparse(args.database).path.lstrip('/')} 127.0.0.1("

    def count_from_now() -> None:
        results.server_since = time.monotonic()
        results.server_cpu = -group_cpu_seconds(servers[-1].pid)
        results.database_cpu = -process_cpu_seconds(backends)
        results.cache_cpu = -process_cpu_seconds("redis-server")

    async def count_once_settled() -> None:
        await asyncio.sleep(SETTLE_SECONDS)
        count_from_now()

    try:
        await wait_ready(args.port)
        count_from_now()  # in case the run ends before the server settles
        settling = asyncio.create_task(count_once_settled())
        started = time.monotonic()
        stop_at = started + args.seconds
        interval = args.clients / args.rate if args.rate > 0 else 0.0
        clients = [
            asyncio.create_task(client(n, args.port, stop_at, results, interval, args.resend_after))
            for n in range(args.clients)
        ]
        if not args.no_kill:
            await asyncio.sleep(args.seconds / 2)
            results.killed_at = time.monotonic()
            settling.cancel()
            os.killpg(servers[-1].pid, signal.SIGKILL)
            servers[-1].wait()
            print(f"SIGKILL at {time.monotonic() - started:.1f} s; restarting", flush=True)
            servers.append(launch())
            await wait_ready(args.port)
            results.back_at = time.monotonic()
            count_from_now()
            settling = asyncio.create_task(count_once_settled())
            print(f"back at {time.monotonic() - started:.1f} s", flush=True)
        await asyncio.gather(*clients)
        elapsed = time.monotonic() - started
        settling.cancel()
        results.server_cpu += group_cpu_seconds(servers[-1].pid)
        results.database_cpu += process_cpu_seconds(backends)
        results.cache_cpu += process_cpu_seconds("redis-server")
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait()
    return results, elapsed


def verify(database: str, results: Results) -> tuple[int, int, int]:
    import psycopg

    acknowledged = [code for codes in results.codes.values() for code in codes]
    with psycopg.connect(database) as connection:
        rows = connection.execute(
            "select tracking_code, count(*) from desk_ticket"
            " where tracking_code = any(%s) group by 1",
            (acknowledged,),
        ).fetchall()
        stored = connection.execute("select count(*) from desk_ticket").fetchone()
    counts: dict[str, int] = {str(code): int(count) for code, count in rows}
    lost = sum(1 for code in acknowledged if counts.get(code, 0) == 0)
    duplicated_codes = sum(1 for count in counts.values() if count > 1)
    # One form, one ticket: a resent stamp must have been answered with the same code.
    split_stamps = sum(1 for codes in results.codes.values() if len(codes) > 1)
    print(f"tickets in the database: {stored[0] if stored else 0}")
    return lost, duplicated_codes, split_stamps


def _seconds_range(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition("-")
    bounds = (float(low), float(high or low))
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"not a pause in seconds, or LOW-HIGH: {text!r}")
    return bounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/amargah_bench")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--no-kill", action="store_true", help="measure without the crash")
    parser.add_argument(
        "--no-preload",
        action="store_true",
        help="each worker imports the application itself (gunicorn without --preload)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (gthread worker class when above 1; 1: sync workers)",
    )
    parser.add_argument(
        "--worker-class",
        choices=["sync", "gthread"],
        default="",
        help="gunicorn's worker class whatever --threads says (gthread keeps connections alive)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=250,
        help="submissions per second offered by all clients together, each client paced "
        "evenly; 0: every client sends its next form as soon as the last is answered",
    )
    parser.add_argument(
        "--resend-after",
        type=_seconds_range,
        default=(0.2, 0.2),
        help="seconds a client waits before sending a failed form again: a fixed pause "
        "(0.2, every client at once after the restart, the harshest) or LOW-HIGH drawn "
        "uniformly for each (1-3: people pressing reload after an error page)",
    )
    parser.add_argument(
        "--cache",
        default="redis://127.0.0.1:6379/15",
        help="CACHE_URL of the server (this Redis database is emptied first)",
    )
    args = parser.parse_args()

    from django.conf import settings

    settings.configure(SECRET_KEY=SECRET)
    recreate_database(args.database)
    data_dir = tempfile.mkdtemp(prefix="amargah-bench-")
    env = server_env(args.database, data_dir, args.cache)
    import redis

    redis.Redis.from_url(args.cache).flushdb()
    subprocess.run(
        [str(PYTHON), "-m", "amargah", "manage", "migrate", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )

    generator_cpu = time.process_time()
    results, elapsed = asyncio.run(run(args, env))
    generator_cpu = time.process_time() - generator_cpu
    latencies = sorted(results.latencies)
    acknowledged = len(latencies)
    lost, duplicated, split = verify(args.database, results)
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else float("nan")
    offered = f"{args.rate:g}/s offered" if args.rate > 0 else "closed loop"
    low, high = args.resend_after
    offered += f", failed forms resent after {low:g}" + (f"-{high:g} s" if high > low else " s")
    print(
        f"clients {args.clients} ({offered}), run {elapsed:.1f} s, gunicorn 2 "
        f"{args.worker_class or ('gthread' if args.threads > 1 else 'sync')} workers"
        f" x {args.threads} threads"
        f"{'' if args.no_preload else ' (--preload)'}, "
        "PostgreSQL on loopback, Redis cache"
    )
    print(f"acknowledged {acknowledged}, throughput {acknowledged / elapsed:.1f} submissions/s")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    if results.killed_at is not None and results.back_at is not None:
        # The forms of the seconds the server was down are answered in a burst once it is
        # back: the steady state is what was answered before the kill or once it settled.
        settled = results.back_at + SETTLE_SECONDS
        steady = sorted(
            latency
            for latency, moment in zip(results.latencies, results.acknowledged_at, strict=True)
            if moment < results.killed_at or moment >= settled
        )
        if len(steady) > 1:
            print(
                f"away from the crash (before the kill, and from {SETTLE_SECONDS:g} s after the"
                f" restart): {len(steady)} acknowledged, p50"
                f" {statistics.median(steady) * 1000:.1f} ms,"
                f" p99 {statistics.quantiles(steady, n=100)[98] * 1000:.1f} ms"
            )
        # where the slow answers are: how many took over 200 ms, by time since the restart
        edges = (0.0, 0.5, 1.0, 2.0, 5.0, SETTLE_SECONDS)
        slow = [
            moment - results.back_at
            for latency, moment in zip(results.latencies, results.acknowledged_at, strict=True)
            if latency > 0.2
        ]
        spans = [
            f"{low:g}-{high:g} s: {sum(1 for t in slow if low <= t < high)}"
            for low, high in itertools.pairwise(edges)
        ]
        print(
            f"answers over 200 ms: {len(slow)} ({sum(1 for t in slow if t < 0)} before the"
            f" kill; after the restart {', '.join(spans)})"
        )
    served = sum(1 for moment in results.acknowledged_at if moment >= results.server_since)
    if served:
        print(
            f"server CPU per acknowledged submission {results.server_cpu / served * 1000:.1f} ms"
            f" (gunicorn processes from {SETTLE_SECONDS:g} s after the last start was ready,"
            f" {served} submissions; PostgreSQL and Redis not included)"
        )
        print(
            f"PostgreSQL CPU per acknowledged submission {results.database_cpu / served * 1000:.1f}"
            f" ms (the bench database's backends), Redis {results.cache_cpu / served * 1000:.1f} ms"
        )
    if acknowledged:
        print(
            "load generator CPU per acknowledged submission "
            f"{generator_cpu / acknowledged * 1000:.1f} ms"
        )
    print(f"failed attempts (resent with the same stamp) {results.resends}")
    # A resent form counts again against its mobile number's daily limit (5), so a form
    # resent through a crash can end refused with 429 rather than acknowledged.
    print(f"answers without a code, by HTTP status: {results.refusals}")
    print(f"lost {lost}, duplicated codes {duplicated}, stamps answered with two codes {split}")
    return 0 if lost == duplicated == split == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
