"""Load test of the data portal: table pages and API data under 50 concurrent clients.

Builds the demo world on a fresh PostgreSQL database, starts Amargah under gunicorn on
loopback with the shared cache in Redis, as the deployment guide has it (two threaded
workers per core, 8 threads each, keep-alive), warms every worker's response cache,
then drives it with Debian's wrk (C, so the load generator costs little CPU; a Lua
script picks the URLs and reads each answer's ``X-Cache``):

1. closed loop: 50 connections, each sending its next request as soon as the answer
   arrives (the server is saturated: latency is mostly queueing);
2. paced: 50 connections, each waiting ``--interval`` seconds on average (uniformly
   0.5-1.5 times it, so they do not march in step) after each answer, as people and
   scripts do. This is the run the acceptance's p99 refers to.

The mix is table explorer pages, PxWeb JSON-stat and CSV, SDMX-ML and SDMX-JSON data
and a JSON-stat download. Prints requests per second, p50/p90/p99 latency, errors,
how many answers were cache hits, and the CPU used by the server and by wrk itself.

Usage: .venv/bin/python bench/portal_load.py [--seconds 60] [--clients 50]
       [--interval 0.5] [--workers 2*cores] [--threads 8] [--worker-class gthread]
       [--keep DIR]
       [--database postgres://postgres@127.0.0.1:5432/amargah_bench_portal]
The database named is dropped and created again, unless ``--keep DIR`` names a folder
prepared by an earlier run with ``--keep`` (to compare server settings quickly). Needs
Debian's wrk (4.1 has no ``-R`` rate option; the Lua ``delay()`` paces instead). Run it
under ``flock /tmp/amargah-bench.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import GUNICORN, PYTHON, ROOT, group_cpu_seconds, recreate_database  # bench/

PATHS = [
    "/data/tables/LFS_RATES/?COUNTY=1,2&SEX=1,2&INDICATOR=UNEMP_RATE&rows=COUNTY&cols=SEX",
    "/data/tables/POP_CENSUS/?COUNTY=_T,1,2,3&SEX=1,2&AGE=_T&rows=COUNTY&cols=SEX",
    "/data/tables/HH_SIZE_CENSUS/?AREA=_T&rows=HH_SIZE&cols=COUNTY",
    "/api/v2/tables/LFS_RATES/data?valueCodes[COUNTY]=1,2&outputFormat=json-stat2",
    "/api/v2/tables/POP_CENSUS/data?valueCodes[COUNTY]=1&valueCodes[SEX]=_T&outputFormat=csv",
    "/sdmx/rest/data/LFS_RATES/1+2..",
    "/sdmx/rest/data/POP_CENSUS/1.1+2._T",
    "/data/tables/LFS_RATES/download/jsonstat?COUNTY=1,2,3",
]


def run(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(args, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


LUA = """
local paths = {%(paths)s}
local interval = %(interval)d
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  hits, misses, other, i = 0, 0, 0, id
  math.randomseed(id * 7919)
end

function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end

function response(status, headers, body)
  local label = headers["X-Cache"]
  if label == "hit" then hits = hits + 1
  elseif label == "miss" then misses = misses + 1
  else other = other + 1 end
end

if interval > 0 then
  function delay()
    return math.random(math.floor(interval / 2), math.floor(interval * 3 / 2))
  end
end

function done(summary, latency, requests)
  local h, m, o = 0, 0, 0
  for _, t in ipairs(threads) do
    h, m, o = h + t:get("hits"), m + t:get("misses"), o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%%d seconds=%%f p50=%%d p90=%%d p99=%%d max=%%d errors=%%d " ..
    "hits=%%d misses=%%d other=%%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout, h, m, o))
end
"""


def wrk_run(
    base: str, script: Path, *, connections: int, seconds: float, server_pid: int
) -> dict[str, float]:
    """One wrk run; its figures, with the CPU seconds of the server and of wrk."""
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_server = group_cpu_seconds(server_pid)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, int(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out}")
    figures = {name: float(value) for name, value in re.findall(r"(\w+)=([\d.]+)", line)}
    figures["server_cpu"] = group_cpu_seconds(server_pid) - before_server
    figures["wrk_cpu"] = (after_children.ru_utime - before_children.ru_utime) + (
        after_children.ru_stime - before_children.ru_stime
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/amargah_bench_portal"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the prepared data in this folder and reuse it (and the database) next time",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    data_dir = str(args.keep) if args.keep else tempfile.mkdtemp(prefix="amargah-portal-bench-")
    prepared = Path(data_dir) / "bench-prepared"
    env = {
        **os.environ,
        "DATABASE_URL": args.database,
        "AMARGAH_DATA_DIR": data_dir,
        "SECRET_KEY": "bench-" + secrets.token_hex(24),
        "DJANGO_SETTINGS_MODULE": "amargah.config.settings.local",
        "PORTAL_API_RATE": "100000000/s",
        # Rate-limit counters are writes; production keeps them in Redis (the deployment
        # guide), not in the database cache, whose every count is a committed write.
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/3"),
        "LOG_LEVEL": "WARNING",
    }
    if not prepared.exists():
        recreate_database(args.database)
        print("preparing: migrate, demo world, portal releases …", file=sys.stderr)
        run([str(PYTHON), "-m", "amargah", "demo", "--no-serve"], env)
        if args.keep:
            prepared.write_text(args.database, encoding="utf-8")
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "amargah.config.wsgi",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--keep-alive",
            "75",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    results: list[tuple[str, dict[str, float]]] = []
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            if (
                subprocess.run(
                    ["curl", "-sf", "-o", "/dev/null", f"{base}/health/live"],
                    check=False,
                ).returncode
                == 0
            ):
                break
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not answer /health/live within 20 s")
        quoted = ", ".join(f'"{path}"' for path in PATHS)
        closed = Path(data_dir) / "closed.lua"
        closed.write_text(LUA % {"paths": quoted, "interval": 0}, encoding="utf-8")
        paced = Path(data_dir) / "paced.lua"
        paced.write_text(
            LUA % {"paths": quoted, "interval": round(args.interval * 1000)}, encoding="utf-8"
        )
        # Warm every worker's cube and response caches (each worker keeps its own).
        wrk_run(base, closed, connections=args.clients, seconds=3, server_pid=server.pid)
        results.append(
            (
                f"closed loop, {args.clients} connections",
                wrk_run(
                    base,
                    closed,
                    connections=args.clients,
                    seconds=args.seconds,
                    server_pid=server.pid,
                ),
            )
        )
        results.append(
            (
                f"paced, {args.clients} clients, 1 req / {args.interval:g} s",
                wrk_run(
                    base,
                    paced,
                    connections=args.clients,
                    seconds=args.seconds,
                    server_pid=server.pid,
                ),
            )
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(
        # gunicorn runs a sync worker with more than one thread as gthread.
        f"gunicorn: {args.workers} workers, "
        f"{'gthread' if args.threads > 1 else args.worker_class}, {args.threads} threads; "
        f"{args.seconds:g} s per run; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'run':<36} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'errors':>6} {'hits':>7} {'misses':>6} {'other':>5} {'server':>7} {'wrk':>5}"
    )
    for label, r in results:
        seconds = r["seconds"] or 1
        print(
            f"{label:<36} {r['requests'] / seconds:>7.0f} {r['p50'] / 1000:>7.1f} "
            f"{r['p90'] / 1000:>7.1f} {r['p99'] / 1000:>7.1f} {r['max'] / 1000:>7.1f} "
            f"{r['errors']:>6.0f} {r['hits']:>7.0f} {r['misses']:>6.0f} {r['other']:>5.0f} "
            f"{100 * r['server_cpu'] / seconds:>6.0f}% {100 * r['wrk_cpu'] / seconds:>4.0f}%"
        )
    print("server, wrk: CPU used during the run, % of one core; hits/misses: X-Cache")


if __name__ == "__main__":
    main()
