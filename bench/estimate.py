"""Benchmark: Amargah's estimators against svy (PyPI) and R `survey`, on the same files.

Generates a synthetic stratified cluster sample (200 strata x 20 PSUs, 50 and 500
domains) as Parquet (and CSV for R, which reads it with data.table::fread outside the
timed part), then times, each peer in its own process, one after the other:

  a  total and mean of 3 variables
  b  means of 2 variables by 50 domains
  c  the same by 500 domains
  d  JK1 replicate SEs (mean of 1 variable, unstratified design over the 4000 PSUs)
  e  a median with its SE

Besides the peers, ``sql`` is the yardstick the issue names: a hand-written DuckDB
query that makes only what a Taylor variance needs for (a), (b) and (c) (PSU totals,
then per stratum their sums, squares and products), with no design checks, design
effects or counts. Its time says how fast this machine is for such a pass.

Amargah's times include building the design over the Parquet file; svy's include
reading the Parquet file with Polars; R's exclude reading the CSV. Every peer first
warms up on a tiny table, so one-off import costs are not timed. Each peer task has a
time limit; a peer that fails or runs out of time is reported as such. Peak memory is
the high-water mark of each peer process's own resident memory (VmHWM). Before each
peer task the data file is read through once, so that every peer finds it in the OS
page cache whatever memory the previous one took. A task whose run takes under
``--repeat-under`` seconds (5) runs again, in a fresh process each time, up to
``--repeat`` runs (3): the table shows the median time and the largest peak, so that a
second of the machine's noise does not decide a fast peer's ratio; slower runs (svy's,
R's) are long enough that once is as good.

Usage: .venv/bin/python bench/estimate.py --rows 1000000 [10000000]
       [--svy-python /tmp/svyenv/bin/python] [--peers amargah,sql,svy,r] [--timeout 300]
       [--tasks a,b,c,d,e] [--repeat 3] [--repeat-under 5]
The full comparison, on a quiet machine:
       flock /tmp/amargah-bench.lock .venv/bin/python bench/estimate.py \
           --rows 1000000 10000000 --peers amargah,sql,svy,r
svy is installed only in a throwaway environment, never in the project:
       python3 -m venv /tmp/svyenv && /tmp/svyenv/bin/pip install svy
R needs the Debian packages r-cran-survey and r-cran-data.table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

TASKS = ("a", "b", "c", "d", "e")
LABELS = {
    "a": "total+mean of 3 vars",
    "b": "means of 2 vars by 50 domains",
    "c": "means of 2 vars by 500 domains",
    "d": "JK1 replicate SEs",
    "e": "median with SE",
}
STRATA, PSUS = 200, 20
MEMORY_TARGET_MB = 1024


def generate(rows: int, out_dir: Path, *, with_csv: bool) -> Path:
    """Write the synthetic sample (seeded) and return the Parquet path."""
    path = out_dir / f"sample_{rows}.parquet"
    csv_path = path.with_suffix(".csv")
    if path.exists() and (csv_path.exists() or not with_csv):
        return path
    rng = np.random.default_rng(20261127)
    stratum = rng.integers(0, STRATA, rows, dtype=np.int32)
    psu = rng.integers(0, PSUS, rows, dtype=np.int32)
    psu_effect = rng.normal(0, 1, STRATA * PSUS)[stratum * PSUS + psu]
    table = pa.table(
        {
            "stratum": stratum,
            "psu": stratum * 100 + psu,  # unique across strata
            "w": rng.uniform(50, 150, rows),
            "domain50": rng.integers(0, 50, rows, dtype=np.int32),
            "domain500": rng.integers(0, 500, rows, dtype=np.int32),
            "y1": 10 + 2 * psu_effect + rng.normal(0, 3, rows),
            "y2": 5 + psu_effect + rng.normal(0, 2, rows),
            "y3": rng.gamma(2.0, 2.0, rows),
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    if with_csv:
        pa_csv.write_csv(table, csv_path)
    return path


# Peak resident memory of this process: the kernel's high-water mark of its own memory
# (VmHWM), which starts afresh at exec. getrusage's ru_maxrss does not: Linux carries the
# parent's peak across fork and exec, so a bench that had just generated the data in
# memory reported its own peak for every peer.
PEAK = (
    "def peak_mb():\n"
    "    with open('/proc/self/status') as status:\n"
    "        line = next(l for l in status if l.startswith('VmHWM'))\n"
    "    return int(line.split()[1]) / 1024"
)

AMARGAH = textwrap.dedent(
    """
    import json, sys, time
    import pyarrow as pa
    from amargah.stats import Design
    PEAK
    path, tasks = sys.argv[1], sys.argv[2].split(",")
    out = {}
    # warm-up on a tiny table: one-off import and initialisation costs are not timed
    tiny = pa.table({"stratum": [1, 1, 2, 2], "psu": [1, 2, 3, 4], "w": [1.0, 2.0, 3.0, 4.0],
                     "y1": [1.0, 2.0, 3.0, 4.0], "domain50": [1, 2, 1, 2]})
    warm = Design(tiny, ids="psu", strata="stratum", weights="w")
    warm.mean("y1", by="domain50"), warm.quantile("y1", 0.5)
    Design(tiny, ids="psu", weights="w").replicate("jk1").mean("y1")
    def timed(name, fn):
        start = time.perf_counter(); fn(); out[name] = time.perf_counter() - start
    def design():
        return Design(path, ids="psu", strata="stratum", weights="w")
    runs = {
        "a": lambda: (lambda d: (d.total(["y1", "y2", "y3"]),
                                 d.mean(["y1", "y2", "y3"])))(design()),
        "b": lambda: design().mean(["y1", "y2"], by="domain50"),
        "c": lambda: design().mean(["y1", "y2"], by="domain500"),
        "d": lambda: Design(path, ids="psu", weights="w").replicate("jk1").mean("y1"),
        "e": lambda: design().quantile("y1", 0.5),
    }
    for task in tasks:
        timed(task, runs[task])
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))
    """
).replace("PEAK", PEAK)

SVY = textwrap.dedent(
    """
    import json, sys, time
    import polars as pl
    import svy
    PEAK
    path, tasks = sys.argv[1], sys.argv[2].split(",")
    out = {}
    # warm-up on a tiny frame: one-off import and initialisation costs are not timed
    tiny = pl.DataFrame({"stratum": [1, 1, 2, 2], "psu": [1, 2, 3, 4], "w": [1.0, 2, 3, 4],
                         "y1": [1.0, 2, 3, 4], "domain50": [1, 2, 1, 2]})
    warm = svy.Sample(tiny, svy.Design(stratum="stratum", psu="psu", wgt="w"))
    warm.estimation.mean("y1", by="domain50"), warm.estimation.median("y1")
    def sample(**design):
        return svy.Sample(pl.read_parquet(path), svy.Design(**design))
    def stratified():
        return sample(stratum="stratum", psu="psu", wgt="w")
    def jk1():
        s = sample(psu="psu", wgt="w")
        s = s.weighting.create_jk_wgts()
        return s.estimation.mean("y1", method="replication")
    runs = {
        "a": lambda: (lambda s: (s.estimation.total(["y1", "y2", "y3"]),
                                 s.estimation.mean(["y1", "y2", "y3"])))(stratified()),
        "b": lambda: stratified().estimation.mean(["y1", "y2"], by="domain50"),
        "c": lambda: stratified().estimation.mean(["y1", "y2"], by="domain500"),
        "d": jk1,
        "e": lambda: stratified().estimation.median("y1"),
    }
    for task in tasks:
        start = time.perf_counter()
        try:
            runs[task]()
            out[task] = time.perf_counter() - start
        except Exception as error:  # a peer's failure is a result, not a crash
            out[task] = "failed: " + type(error).__name__
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))
    """
).replace("PEAK", PEAK)

# The yardstick the issue names: a hand-written DuckDB query that makes what a Taylor
# variance needs (PSU totals, then per stratum their sums, squares and products with the
# weight total) and nothing else: no design checks, no design effects, no counts per
# domain. Its time on this machine says how fast the machine is for such a pass.
SQL = textwrap.dedent(
    """
    import json, sys, time
    import duckdb
    PEAK
    path, tasks = sys.argv[1], sys.argv[2].split(",")
    out = {}
    con = duckdb.connect()
    con.sql("SELECT 1").fetchall()
    def moments(variables, domain=None):
        keys = ["stratum"] + ([domain] if domain else [])
        sums = [f"sum(w * {v}) AS t{i}" for i, v in enumerate(variables)]
        inner = ", ".join(["sum(w) AS tw", *sums])
        outer = ["count(*) AS psus", "sum(tw)", "sum(tw * tw)"]
        for i in range(len(variables)):
            outer += [f"sum(t{i})", f"sum(t{i} * t{i})", f"sum(t{i} * tw)"]
        return (f"SELECT {', '.join(keys)}, {', '.join(outer)} FROM (SELECT {', '.join(keys)}, "
                f"psu, {inner} FROM read_parquet('{path}') GROUP BY ALL) GROUP BY ALL")
    runs = {
        "a": moments(["y1", "y2", "y3"]),
        "b": moments(["y1", "y2"], "domain50"),
        "c": moments(["y1", "y2"], "domain500"),
    }
    for task in tasks:
        if task not in runs:
            out[task] = "not a query"
            continue
        start = time.perf_counter()
        con.sql(runs[task]).to_arrow_table()
        out[task] = time.perf_counter() - start
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))
    """
).replace("PEAK", PEAK)

R_SCRIPT = textwrap.dedent(
    """
    suppressMessages({library(survey); library(data.table)})
    args <- commandArgs(trailingOnly = TRUE)
    data <- as.data.frame(fread(args[1]))
    tasks <- strsplit(args[2], ",")[[1]]
    out <- list()
    tiny <- data.frame(stratum = c(1, 1, 2, 2), psu = 1:4, w = 1:4, y1 = c(1, 2, 3, 4),
                       domain50 = c(1, 2, 1, 2))
    warm <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = tiny)
    invisible(svyby(~y1, ~domain50, warm, svymean)); invisible(svyquantile(~y1, warm, 0.5))
    timed <- function(name, expr) {
      start <- Sys.time()
      # a failure is a result: its message (quotes out, for the JSON line) goes in the table
      failure <- tryCatch({ force(expr); NULL }, error = function(e) {
        substr(gsub('[\\\\"]', "'", gsub("[[:space:]]+", " ", conditionMessage(e))), 1, 160) })
      out[[name]] <<- if (is.null(failure)) {
        as.numeric(difftime(Sys.time(), start, units = "secs"))
      } else paste("failed:", failure)
    }
    des <- function() svydesign(ids = ~psu, strata = ~stratum, weights = ~w, data = data)
    for (task in tasks) {
      if (task == "a") timed("a", {
        d <- des(); svytotal(~y1 + y2 + y3, d); svymean(~y1 + y2 + y3, d) })
      if (task == "b") timed("b", svyby(~y1 + y2, ~domain50, des(), svymean))
      if (task == "c") timed("c", svyby(~y1 + y2, ~domain500, des(), svymean))
      if (task == "d") timed("d", svymean(~y1, as.svrepdesign(
        svydesign(ids = ~psu, weights = ~w, data = data), type = "JK1")))
      if (task == "e") timed("e", svyquantile(~y1, des(), 0.5))
    }
    # peak resident memory of this process (Linux), as the Python peers report it
    hwm <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
    out$peak_mb <- as.numeric(gsub("[^0-9]", "", hwm)) / 1024
    values <- ifelse(sapply(out, is.numeric), out, paste0('"', out, '"'))
    cat(sprintf('{%s}\\n', paste(sprintf('"%s": %s', names(out), values), collapse = ", ")))
    """
)


def warm_file_cache(path: Path) -> None:
    """Read a file through once, so that a peer finds it in the OS page cache.

    A peer that used much memory (svy needs several GB) evicts the data file from the
    cache; without this, the next peer's time would include reading it from disk.
    """
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


def run_peer(command: list[str], timeout: float) -> dict[str, object]:
    """Run one peer process; its last stdout line is a JSON object of timings."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode < 0:
        # a peer that outgrows the machine's memory is killed by the kernel (SIGKILL)
        # and says nothing on stderr: name the signal, not a bare "failed"
        return {"error": "killed", "by": signal.Signals(-done.returncode).name}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:80]}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--peers", default="amargah,sql,svy,r")
    # svy lives in a throwaway environment outside the project, by design
    parser.add_argument("--svy-python", default="/tmp/svyenv/bin/python")  # noqa: S108
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per peer task")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--out-dir", type=Path, default=Path("bench/out"))
    parser.add_argument("--repeat", type=int, default=3, help="most runs of a fast task")
    parser.add_argument(
        "--repeat-under", type=float, default=5.0, help="seconds below which a task runs again"
    )
    args = parser.parse_args()
    peers = args.peers.split(",")
    tasks = args.tasks.split(",")
    rscript = shutil.which("Rscript")
    for rows in args.rows:
        path = generate(rows, args.out_dir, with_csv="r" in peers and rscript is not None)
        results: dict[str, dict[str, dict[str, object]]] = {}
        for peer in peers:
            results[peer] = {}
            for task in tasks:  # one task per process: a failure or timeout stays local
                if peer == "amargah":
                    command = [sys.executable, "-c", AMARGAH, str(path), task]
                elif peer == "sql":
                    command = [sys.executable, "-c", SQL, str(path), task]
                elif peer == "svy":
                    if not Path(args.svy_python).exists():
                        results[peer][task] = {"error": "svy not installed"}
                        continue
                    command = [args.svy_python, "-c", SVY, str(path), task]
                else:
                    if rscript is None:
                        results[peer][task] = {"error": "no Rscript"}
                        continue
                    command = [rscript, "-e", R_SCRIPT, str(path.with_suffix(".csv")), task]
                runs: list[dict[str, object]] = []
                while len(runs) < max(args.repeat, 1):
                    warm_file_cache(Path(command[-2]))
                    started = time.perf_counter()
                    runs.append(run_peer(command, args.timeout))
                    print(
                        f"  {rows:>10,} {peer:>8} {task}: {runs[-1]} "
                        f"({time.perf_counter() - started:.1f} s wall)",
                        file=sys.stderr,
                    )
                    seconds = _seconds(runs[-1], task)
                    if seconds is None or seconds >= args.repeat_under:
                        break
                results[peer][task] = _median_run(runs, task)
        report(rows, tasks, peers, results)


def _seconds(result: dict[str, object], task: str) -> float | None:
    value = result.get(task)
    return float(value) if isinstance(value, int | float) else None


def _median_run(runs: list[dict[str, object]], task: str) -> dict[str, object]:
    """One result for a task's runs: the median time, the largest peak memory.

    A failed run among timed ones fails the task: the table never hides a failure."""
    failed = [run for run in runs if _seconds(run, task) is None]
    if failed:
        return failed[0]
    times = [seconds for run in runs if (seconds := _seconds(run, task)) is not None]
    peaks = [p for run in runs if isinstance(p := run.get("peak_mb"), int | float)]
    result: dict[str, object] = {task: statistics.median_low(times), "runs": len(times)}
    if peaks:
        result["peak_mb"] = max(peaks)
    return result


def report(
    rows: int, tasks: list[str], peers: list[str], results: dict[str, dict[str, dict[str, object]]]
) -> None:
    print(
        f"\n{rows:,} rows, {STRATA} strata x {PSUS} PSUs (times in seconds; the median of"
        " the runs in brackets where a task ran more than once)"
    )
    header = f"{'task':<34}" + "".join(f"{p:>12}" for p in peers)
    header += "".join(f"{p + '/amargah':>16}" for p in peers if p != "amargah")
    print(header)
    for task in tasks:
        line = f"{task} {LABELS[task]:<32}"
        times: dict[str, float | None] = {}
        for peer in peers:
            result = results[peer][task]
            seconds = _seconds(result, task)
            times[peer] = seconds
            count = result.get("runs", 1)
            shown = (
                f"{seconds:.3f}" + (f" ({count})" if isinstance(count, int) and count > 1 else "")
                if seconds is not None
                else str(result.get("error", result.get(task, "?")))[:11]
            )
            line += f"{shown:>12}"
        base = times.get("amargah")
        for peer in peers:
            if peer == "amargah":
                continue
            other = times[peer]
            ratio = f"{other / base:.1f}x" if other is not None and base else "-"
            line += f"{ratio:>16}"
        print(line)
    # each task ran in its own process: its peak resident memory is the task's own
    print(f"\npeak memory per task (MB; target for amargah <= {MEMORY_TARGET_MB})")
    print(f"{'task':<34}" + "".join(f"{p:>12}" for p in peers))
    for task in tasks:
        line = f"{task} {LABELS[task]:<32}"
        for peer in peers:
            peak = results[peer][task].get("peak_mb")
            line += f"{peak:>12.0f}" if isinstance(peak, int | float) else f"{'-':>12}"
        print(line)
    errors = []
    for peer in peers:
        for task in tasks:
            result = results[peer][task]
            why = str(result.get("error", result.get(task)))
            if _seconds(result, task) is None and why != "not a query":
                errors.append(
                    f"{peer} {task}: {why}" + (f" by {result['by']}" if "by" in result else "")
                )
    if errors:
        print("\nnot timed (SIGKILL without a timeout is usually the out-of-memory killer):")
        print("\n".join(f"  {line}" for line in errors))
    b, c = _seconds(results.get("amargah", {}).get("b", {}), "b"), None
    if "amargah" in results and "c" in results["amargah"]:
        c = _seconds(results["amargah"]["c"], "c")
    if b and c:
        print(f"\namargah (c)/(b): {c / b:.2f} (target <= 1.5)")
    sql_b = _seconds(results.get("sql", {}).get("b", {}), "b")
    if b and sql_b:
        # the reference machine did (b) by hand in about 0.2 s, and set 0.5 s
        print(f"amargah (b) / hand-written query (b): {b / sql_b:.2f} (0.5 s / 0.2 s = 2.5)")


if __name__ == "__main__":
    main()
