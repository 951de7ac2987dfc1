"""Benchmark: the census table builder with cell-key perturbation.

Two censuses:

* the demo census (0.7 million persons, `amargah.demo.build_world` at scale 1.0), timed
  through `amargah.disclosure.builder.build` exactly as the page calls it: from the
  census held in memory to the `Cube` the page and every download render (perturbation
  on), for tables of one to four variables;
* a synthetic national census of ``--rows`` persons (85 million by default), generated
  by this script into Parquet in chunks (31 provinces x 450 counties, sex, 18 age
  groups, 8 education levels, 3 activity statuses, a record key), timed two ways
  through `amargah.stats.disclosure.cellkey`: ``perturbed_crosstab`` reading the Parquet
  file for each table (one pass over the 85 million records per table), and the
  builder's way, the census read once per process into its finest cells with
  ``aggregate_keys`` (that load timed on its own), then each table derived from them.
  Both give the same table, noise included (tests/disclosure/test_cellkey_sources.py).

Each timed task runs in its own process (so its peak resident memory is its own) and
is repeated ``--repeat`` times; the table shows the best and the median time and the
peak memory. Files go to ``bench/out/`` and are reused when present.

Usage: .venv/bin/python bench/table_builder.py [--rows 85000000] [--repeat 3]
       [--skip-national] [--skip-demo]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "out"
CHUNK = 5_000_000

DEMO_TASKS = {
    "county": ["county"],
    "county x sex": ["county", "sex"],
    "county x sex x age group": ["county", "sex", "age_group"],
    "county x sex x age x activity": ["county", "sex", "age_group", "activity"],
}
NATIONAL_TASKS = {
    "province x sex x age group": ["province", "sex", "age_group"],
    "county x sex": ["county", "sex"],
    "province x sex x age x education": ["province", "sex", "age_group", "education"],
}


def generate_national(rows: int) -> Path:
    """Write the synthetic national census (seeded), chunk by chunk; return its path."""
    path = OUT / f"national_census_{rows}.parquet"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(14050101)
    schema = pa.schema(
        [
            ("province", pa.int8()),
            ("county", pa.int16()),
            ("sex", pa.int8()),
            ("age_group", pa.int8()),
            ("education", pa.int8()),
            ("activity", pa.int8()),
            ("record_key", pa.float64()),
        ]
    )
    # Province sizes vary like Iran's (a few large, many small).
    weights = rng.pareto(1.2, 31) + 0.2
    weights /= weights.sum()
    tmp = path.with_suffix(".partial")
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            province = rng.choice(31, n, p=weights).astype(np.int8) + 1
            county = (province.astype(np.int16) - 1) * 15 + rng.integers(1, 16, n, dtype=np.int16)
            writer.write_table(
                pa.table(
                    {
                        "province": province,
                        "county": county,
                        "sex": rng.integers(1, 3, n, dtype=np.int8),
                        "age_group": np.minimum(rng.exponential(6.0, n), 17).astype(np.int8),
                        "education": rng.integers(0, 8, n, dtype=np.int8),
                        "activity": rng.integers(1, 4, n, dtype=np.int8),
                        "record_key": rng.random(n),
                    },
                    schema=schema,
                )
            )
    tmp.rename(path)
    return path


DEMO_CHILD = textwrap.dedent(
    """
    import json, os, resource, sys, time
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amargah.config.settings.local")
    import django
    from django.conf import settings
    django.setup()
    settings.DISCLOSURE_CENSUS_PERSONS = sys.argv[1]
    from amargah.disclosure import builder
    variables = json.loads(sys.argv[2]); repeat = int(sys.argv[3])
    started = time.perf_counter(); builder.census(); load = time.perf_counter() - started
    builder.build(["sex"])  # warm up: imports, ptable, DuckDB connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter(); cube = builder.build(variables)
        times.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "load": load, "cells": len(cube.observations),
                      "peak_mb": peak}))
    """
)

NATIONAL_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from amargah.stats.disclosure.cellkey import (
        KEY_SUM, RECORDS, aggregate_keys, perturbed_crosstab, ptable)
    from amargah.stats.engine import DuckDBEngine
    path, variables, repeat = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    mode = sys.argv[4]
    table = ptable(D=3, V=2.0, js=2)
    engine = DuckDBEngine()
    load = None
    if mode == "aggregate":
        started = time.perf_counter()
        cells = aggregate_keys(path, json.loads(sys.argv[5]), record_key="record_key",
                               engine=engine)
        load = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        if mode == "aggregate":
            result = perturbed_crosstab(cells, variables, record_key=KEY_SUM, count=RECORDS,
                                        table=table, engine=engine)
        else:
            result = perturbed_crosstab(path, variables, record_key="record_key", table=table,
                                        engine=engine)
        times.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "cells": len(result), "peak_mb": peak, "load": load,
                      "finest": cells.num_rows if mode == "aggregate" else None}))
    """
)
# Every variable of the synthetic census: the builder's finest cells.
NATIONAL_VARIABLES = ["province", "county", "sex", "age_group", "education", "activity"]


def run(child: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", child, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(title: str, rows: list[tuple[str, dict[str, object]]]) -> None:
    print(f"\n{title}")
    print(f"{'table':36} {'cells':>6} {'best s':>8} {'median s':>9} {'peak MB':>8}")
    for name, result in rows:
        if "error" in result:
            print(f"{name:36} failed: {result['error']}")
            continue
        times = [float(t) for t in result["times"]]  # type: ignore[attr-defined]
        print(
            f"{name:36} {result['cells']:>6} {min(times):>8.3f} "
            f"{statistics.median(times):>9.3f} {float(result['peak_mb']):>8.0f}"  # type: ignore[arg-type]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=85_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    if not args.skip_demo:
        from amargah.demo import build_world

        world = OUT / "demo-world"
        if not (world / "manifest.json").exists():
            build_world(world)
        persons = str(world / "census_persons.parquet")
        rows = []
        load = None
        for name, variables in DEMO_TASKS.items():
            result = run(DEMO_CHILD, persons, json.dumps(variables), str(args.repeat))
            load = result.get("load", load)
            rows.append((name, result))
        n = pq.ParquetFile(persons).metadata.num_rows
        report(f"Demo census: {n:,} persons (census read once per process: {load:.2f} s)", rows)
    if not args.skip_national:
        started = time.perf_counter()
        path = generate_national(args.rows)
        generated = time.perf_counter() - started
        rows = [
            (
                name,
                run(NATIONAL_CHILD, str(path), json.dumps(variables), str(args.repeat), "records"),
            )
            for name, variables in NATIONAL_TASKS.items()
        ]
        size = f"{path.stat().st_size / 2**20:.0f} MB"
        report(
            f"Synthetic national census: {args.rows:,} persons "
            f"(generated or found in {generated:.0f} s; {size}), one pass over the records "
            "per table",
            rows,
        )
        everything = json.dumps(NATIONAL_VARIABLES)
        rows = [
            (
                name,
                run(
                    NATIONAL_CHILD,
                    str(path),
                    json.dumps(variables),
                    str(args.repeat),
                    "aggregate",
                    everything,
                ),
            )
            for name, variables in NATIONAL_TASKS.items()
        ]
        loads = [float(str(r["load"])) for _, r in rows if r.get("load") is not None]
        finest = next((r["finest"] for _, r in rows if isinstance(r.get("finest"), int)), None)
        report(
            f"Synthetic national census read once into its {finest or 0:,} finest cells "
            f"(one pass: {min(loads, default=float('nan')):.2f}-"
            f"{max(loads, default=float('nan')):.2f} s), then each table from them",
            rows,
        )


if __name__ == "__main__":
    main()
