"""Load test of the data portal: table pages and API data under 50 concurrent clients.

Builds the demo world on a fresh PostgreSQL database, starts Amargah under gunicorn
(one sync worker per core) on loopback with the shared cache in Redis, as the deployment
guide has it, warms every URL once per worker, then:

1. wrk, 50 connections in a closed loop for the given seconds, over a mix of table
   explorer pages, PxWeb JSON-stat and CSV, SDMX-ML and SDMX-JSON data and a
   JSON-stat download (the server is saturated: latency is mostly queueing);
2. 50 paced clients, each sending one request every ``--interval`` seconds (as people
   and scripts do), measuring each request's latency.

Prints requests per second and p50/p90/p99 latency for both runs.

Usage: .venv/bin/python bench/portal_load.py [--seconds 60] [--clients 50]
       [--interval 0.5] [--database postgres://postgres@127.0.0.1:5432/amargah_bench_portal]
The database named is dropped and created again. Needs Debian's wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

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


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing database name {name!r}")
    base = [
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
    subprocess.run([*base, f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*base, f"CREATE DATABASE {name}"], check=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def paced_client(
    port: int,
    paths: list[str],
    interval: float,
    deadline: float,
    latencies: list[float],
    errors: list[str],
    offset: int,
) -> None:
    # gunicorn's sync workers close the connection after each response, so each
    # request opens its own (as a browser would here), and the timing includes it.
    index = offset
    next_at = time.perf_counter() + (offset % 10) * interval / 10
    while time.perf_counter() < deadline:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        next_at += interval
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
            response = await reader.read()
        finally:
            writer.close()
        latencies.append((time.perf_counter() - started) * 1000)
        status_line = response.split(b"\r\n", 1)[0]
        if b" 200 " not in status_line:
            errors.append(status_line.decode("latin-1"))


async def paced(
    port: int, clients: int, interval: float, seconds: float
) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            paced_client(port, PATHS, interval, deadline, latencies, errors, i)
            for i in range(clients)
        )
    )
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/amargah_bench_portal"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    data_dir = tempfile.mkdtemp(prefix="amargah-portal-bench-")
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
    recreate_database(args.database)
    print("preparing: migrate, demo world, portal releases …", file=sys.stderr)
    run([str(PYTHON), "-m", "amargah", "demo", "--no-serve"], env)
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "amargah.config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
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
        for _ in range(args.workers * 3):  # warm every worker's cube cache
            for path in PATHS:
                subprocess.run(["curl", "-sf", "-o", "/dev/null", "-g", base + path], check=True)
        script = Path(data_dir) / "mix.lua"
        quoted = ", ".join(f'"{path}"' for path in PATHS)
        script.write_text(
            f"local paths = {{{quoted}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n"
            "  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n",
            encoding="utf-8",
        )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.clients}",
                f"-d{int(args.seconds)}s",
                "--latency",
                "-s",
                str(script),
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        lat = dict(re.findall(r"\s+(50|90|99)%\s+([\d.]+\w+)", out))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        latencies, errors = asyncio.run(paced(args.port, args.clients, args.interval, args.seconds))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"{'run':<44} {'req/s':>8} {'p50':>9} {'p90':>9} {'p99':>9} {'errors':>7}")
    print(
        f"{'wrk, ' + str(args.clients) + ' connections, closed loop':<44} "
        f"{float(rps.group(1)) if rps else 0:>8.0f} {lat.get('50', '?'):>9} "
        f"{lat.get('90', '?'):>9} {lat.get('99', '?'):>9} "
        f"{int(non2xx.group(1)) if non2xx else 0:>7}"
    )
    label = f"{args.clients} clients, 1 request / {args.interval:g} s each"
    print(
        f"{label:<44} {len(latencies) / args.seconds:>8.0f} "
        f"{statistics.median(latencies):>7.1f}ms {percentile(latencies, 90):>7.1f}ms "
        f"{percentile(latencies, 99):>7.1f}ms {len(errors):>7}"
    )


if __name__ == "__main__":
    main()
