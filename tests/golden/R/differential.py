"""Random small surveys through `amargah estimate` and R `survey`, compared (run by hand).

Not a test: it needs R with the survey and jsonlite packages (Debian's r-cran-survey
and r-cran-jsonlite). Each seed draws a design (strata with one PSU under each
lonely-PSU option, fpc as sizes or fractions, two stages, probabilities), a variance
(Taylor, JK1, JKn with or without mse, BRR, Fay), a weighting step or a condition, a
statistic, domains in one or two columns and a confidence level; writes the data as
CSV, runs the command line and the same R calls on the same file, and compares the
estimates, SEs, lower bounds and design effects (sorted, relative 1e-6). Quantiles and
ciprop by domains are compared with R on each domain's subset, as `svyby` reports
their intervals as Wald intervals from the SE.

Usage (from the repository root): .venv/bin/python tests/golden/R/differential.py
       [--from 0] [--to 200] [--out FOLDER] [--mix basic|weighting|stages]
--mix weighting draws mostly chains of two weighting steps (post-stratification, raking,
calibration with a categorical term, in either order) and raking to a tight tolerance;
--mix stages draws two-stage designs with an fpc at both stages.
Prints every case that does not agree, with its command line (the R script is beside
its data), then a count per outcome: ok, differ, count (rows differ in number),
both-refuse, R-refuses, amargah-refuses, amargah-crashes (exit code neither 0 nor 2),
R-fails. Known differences from R (section 7 of docs/en/statistics.md) and R's
floating-point noise show up as "differ" too: look at each before calling it a defect.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

STATISTICS = {
    # name: (command-line option, R formula, R function, R extra arguments)
    "mean": (["--mean", "y"], "~y", "svymean", ", deff=TRUE"),
    "total": (["--total", "y"], "~y", "svytotal", ", deff=TRUE"),
    "ratio": (["--ratio", "y/x"], "~y", "svyratio", ", denominator=~x"),
    "proportion": (["--proportion", "cat"], "~cat", "svymean", ", deff=TRUE"),
    "total_cat": (["--total", "cat"], "~cat", "svytotal", ""),
    "quantile": (["--quantile", "y@0.5"], "~y", "svyquantile", ""),
    "ciprop": (["--ciprop", "cat=a"], "~I(cat=='a')", "svyciprop", ", method='logit'"),
}


def draw_data(
    rng: random.Random, *, stages: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows of a small survey and the features of its design.

    With ``stages``, a two-stage design with an fpc at both stages (``fpc+fpc2``: the
    PSUs of the stratum and the SSUs of the PSU, as sizes or as fractions), Taylor.
    """
    strata = rng.choice([1, 2, 3, 5])
    variance = "taylor" if stages else rng.choice(["taylor", "taylor", "jk1", "jkn", "brr", "fay"])
    if variance == "jk1":
        strata = 1
    elif variance != "taylor":
        strata = max(strata, 2)
    lonely = "fail" if variance != "taylor" else rng.choice(["fail", "remove", "adjust"])
    two_stage = stages or (variance == "taylor" and rng.random() < 0.25)
    fpc = (
        rng.choice(["size", "fraction"]) if stages else rng.choice([None, None, "size", "fraction"])
    )
    rows: list[dict[str, Any]] = []
    psu = 0
    for h in range(strata):
        n_psu = rng.choice([2, 4]) if variance in ("brr", "fay") else rng.randint(2, 5)
        if lonely != "fail" and strata > 1 and rng.random() < 0.4:
            n_psu = 1
        size = n_psu + rng.randint(0, 15)
        for _ in range(n_psu):
            psu += 1
            weight = rng.uniform(2, 30)
            n_rows = rng.randint(2, 7)
            n_ssu = (n_rows + 1) // 2  # rows k // 2 share an SSU
            ssus = n_ssu + rng.randint(0, 6) if stages else 0
            for k in range(n_rows):
                w = round(weight * rng.uniform(0.8, 1.2), 4)
                rows.append(
                    {
                        "h": f"s{h}",
                        "psu": psu,
                        "ssu": psu * 100 + k // 2,
                        "w": w,
                        "pr": 1 / w,  # read by --probs
                        "fpc": size if fpc == "size" else round(n_psu / size, 6),
                        "y": round(rng.gauss(50, 20), 3) if rng.random() > 0.08 else None,
                        "x": round(rng.uniform(1, 10), 3),
                        "cat": rng.choice("abc") if rng.random() > 0.05 else None,
                        "g": rng.choice(["g1", "g2"]),
                        "dom": rng.choice("pqr") if rng.random() > 0.3 else "p",
                        "dom2": rng.choice("uv"),
                    }
                )
                if stages:
                    rows[-1]["fpc2"] = ssus if fpc == "size" else round(n_ssu / ssus, 6)
    design = {
        "stratified": strata > 1,
        "variance": variance,
        "lonely": lonely,
        "two_stage": two_stage and (stages or fpc is None),
        "stages": stages,
        "fpc": fpc,
        "probs": rng.random() < 0.15,
    }
    return rows, design


def draw_case(seed: int, out: Path, mix: str = "basic") -> tuple[list[str], str]:
    """The command line and the R script of one case; writes its data files."""
    rng = random.Random(seed)
    rows, d = draw_data(rng, stages=mix == "stages")
    data = out / f"c{seed}.csv"
    columns = list(rows[0])
    lines = [",".join("" if r[c] is None else str(r[c]) for c in columns) for r in rows]
    data.write_text("\n".join([",".join(columns), *lines]) + "\n")
    stat = rng.choice(list(STATISTICS))
    by = rng.choice([None, None, "dom", "dom,dom2"])
    level = rng.choice([0.95, 0.9])
    school = stat == "quantile" and rng.random() < 0.3
    ids = "psu+ssu" if d["two_stage"] else "psu"
    args = ["estimate", str(data), "--ids", ids, "--na-rm", "--level", str(level)]
    args += ["--probs", "pr"] if d["probs"] else ["--weights", "w"]
    args += ["--strata", "h"] if d["stratified"] else []
    fpc = "fpc+fpc2" if d["stages"] else "fpc"
    args += ["--fpc", fpc] if d["fpc"] else []
    args += ["--lonely-psu", d["lonely"]]
    design = (
        f"svydesign(ids=~{ids}, strata={'~h' if d['stratified'] else 'NULL'}, "
        f"{'probs=~pr' if d['probs'] else 'weights=~w'}, "
        f"fpc={'~' + fpc if d['fpc'] else 'NULL'}, data=df)"
    )
    variance = d["variance"]
    if variance != "taylor":
        mse = rng.random() < 0.4
        args += ["--replicates", variance, *(["--mse"] if mse else [])]
        kind = {"jk1": "JK1", "jkn": "JKn", "brr": "BRR", "fay": "Fay"}[variance]
        rho = ", fay.rho=0.5" if variance == "fay" else ""
        design = f"as.svrepdesign({design}, type='{kind}', mse={'TRUE' if mse else 'FALSE'}{rho})"
    weighting, step = _weighting(rng, rows, seed, out, mix)
    args += step
    option, formula, function, extra = STATISTICS[stat]
    # several quantiles in one request outside the basic mix (which keeps its draws)
    probs = "0.5" if mix == "basic" else rng.choice(["0.5", "0.25,0.5,0.75", "0.1,0.9"])
    args += ["--quantile", f"y@{probs}"] if stat == "quantile" else option
    if school:
        args += ["--qrule", "school"]
    if by:
        args += ["--by", by]
    r_by = "~" + by.replace(",", "+") if by else ""
    alpha = round(1 - level, 2)
    if stat == "quantile":
        rule = "school" if school else "math"
        extra = f", quantiles=c({probs}), ci=TRUE, alpha={alpha}, qrule='{rule}'"
    elif stat == "ciprop":
        extra += f", level={level}"
    if by and stat in ("quantile", "ciprop"):
        # the key from the design's own rows, which --where may have subset
        keys = "paste(" + ", ".join(by.split(",")) + ")"
        # a row per domain and p: estimate, lower, upper, SE
        one = (
            f"svyquantile(~y, subset(d, key == l), na.rm=TRUE{extra})$y"
            if stat == "quantile"
            else f"{{q <- svyciprop({formula}, subset(d, key == l), na.rm=TRUE{extra}); "
            "c(coef(q), confint(q)[1], confint(q)[2], SE(q))}"
        )
        body = (
            f"d <- update(d, key = {keys})\n"
            f"res <- do.call(rbind, lapply(sort(unique(d$variables$key)), function(l) {one}))\n"
            "out <- list(est=res[, 1], se=res[, 4], lo=res[, 2])"
        )
    else:
        if stat == "ratio":
            call = (
                f"svyby(~y, by={r_by}, denominator=~x, design=d, FUN=svyratio, na.rm=TRUE)"
                if by
                else "svyratio(~y, ~x, d, na.rm=TRUE)"
            )
        elif by:
            call = f"svyby({formula}, {r_by}, d, {function}{extra}, na.rm=TRUE)"
        else:
            call = f"{function}({formula}, d, na.rm=TRUE{extra})"
        interval = "confint(r)" if stat in ("quantile", "ciprop") else f"confint(r, level={level})"
        body = (
            f"r <- {call}\n"
            f"out <- list(est=coef(r), se=SE(r), lo={interval}[, 1],\n"
            "            deff=tryCatch(deff(r), error=function(e) NULL))"
        )
    script = (
        "suppressMessages(library(survey)); library(jsonlite)\n"
        f"options(survey.lonely.psu='{d['lonely']}')\n"
        f"df <- read.csv('{data}', stringsAsFactors=TRUE, na.strings='')\n"
        "r <- tryCatch({\n"
        f"d <- {design}\n{weighting}\n{body}\n"
        "lapply(out, function(v) if (is.null(v)) v else as.vector(unlist(v)))\n"
        "}, error=function(e) list(error=conditionMessage(e)))\n"
        "cat(toJSON(r, digits=NA, na='null'))\n"
    )
    return args, script


def _weighting(
    rng: random.Random, rows: list[dict[str, Any]], seed: int, out: Path, mix: str
) -> tuple[str, list[str]]:
    """R lines and the options of the weighting steps (or a condition), or none.

    With ``mix`` "basic", one step or a condition; with "weighting", mostly chains of
    two steps (applied in command-line order, as R applies its calls in turn),
    calibration to a model with a categorical term, and raking to a tight tolerance.
    """
    if mix != "weighting":
        kind = rng.choice(["none", "none", "post", "rake", "linear", "raking", "where"])
    else:
        kind = rng.choice(["chain", "chain", "chain", "factor", "rake-tight", "post", "where"])
    population: dict[str, dict[str, int]] = {}
    for column in ("g", "dom"):
        sums: dict[str, float] = {}
        for row in rows:
            sums[row[column]] = sums.get(row[column], 0.0) + row["w"]
        population[column] = {k: round(v * rng.uniform(0.9, 1.3)) for k, v in sorted(sums.items())}
        lines = [f"{column},Freq", *(f"{k},{v}" for k, v in population[column].items())]
        (out / f"c{seed}_{column}.csv").write_text("\n".join(lines) + "\n")
    size = sum(population["g"].values())
    x_total = round(sum(r["w"] * r["x"] for r in rows) * rng.uniform(0.9, 1.2), 2)
    totals = out / f"c{seed}_totals.json"
    totals.write_text(json.dumps({"(Intercept)": size, "x": x_total}))
    g, dom = out / f"c{seed}_g.csv", out / f"c{seed}_dom.csv"

    def step(name: str) -> tuple[str, list[str]]:
        if name in ("post", "post-dom"):
            column, path = ("g", g) if name == "post" else ("dom", dom)
            r_line = f"d <- postStratify(d, ~{column}, read.csv('{path}'))"
            return r_line, ["--poststratify", f"{column}={path}"]
        if name in ("rake", "rake-tight"):
            tight = name == "rake-tight"
            control = ", control=list(maxit=50, epsilon=1e-4, verbose=FALSE)" if tight else ""
            return (
                f"d <- rake(d, list(~g, ~dom), list(read.csv('{g}'), read.csv('{dom}')){control})",
                [
                    *("--rake", f"g={g}", "--rake", f"dom={dom}"),
                    *(("--rake-epsilon", "1e-4", "--rake-maxit", "50") if tight else ()),
                ],
            )
        if name in ("linear", "raking"):
            return (
                f"d <- calibrate(d, ~x, c(`(Intercept)`={size}, x={x_total}), calfun='{name}')",
                ["--calibrate", "~x", "--totals", str(totals), "--calfun", name],
            )
        if name == "factor":
            # a categorical term: R's model.matrix names its dummy g + level ("gg2")
            calfun = rng.choice(["linear", "raking"])
            named = {"(Intercept)": size, "x": x_total, "gg2": population["g"]["g2"]}
            path = out / f"c{seed}_factor_totals.json"
            path.write_text(json.dumps(named))
            r_totals = ", ".join(f"`{k}`={v}" for k, v in named.items())
            return (
                f"d <- calibrate(d, ~x+g, c({r_totals}), calfun='{calfun}')",
                ["--calibrate", "~x+g", "--totals", str(path), "--calfun", calfun],
            )
        assert name == "where", name
        return "d <- subset(d, x > 3)", ["--where", "x > 3"]

    if kind == "none":
        return "", []
    if kind != "chain":
        return step(kind)
    # one step of each kind: the command line takes one --poststratify and one --calibrate
    first, second = rng.choice(
        [
            ("post", "rake"),
            ("rake", "post"),
            ("rake", "post-dom"),
            *((a, b) for a in ("post", "post-dom", "rake") for b in ("linear", "raking", "factor")),
            *((b, a) for a in ("post", "post-dom", "rake") for b in ("linear", "raking", "factor")),
        ]
    )
    r_first, args_first = step(first)
    r_second, args_second = step(second)
    return f"{r_first}\n{r_second}", args_first + args_second


def compare(amargah: list[dict[str, Any]], r: dict[str, Any]) -> list[str]:
    """The fields that differ (sorted values, relative 1e-6, or in number)."""
    differ = []
    for name, field in (("est", "estimate"), ("se", "se"), ("lo", "ci_lower"), ("deff", "deff")):
        if not r.get(name):
            continue
        ours = sorted(float(e[field]) for e in amargah if e[field] is not None)
        theirs = sorted(float(v) for v in r[name] if isinstance(v, int | float))
        if len(ours) != len(theirs) or any(
            abs(a - b) > 1e-6 * max(1.0, abs(b)) for a, b in zip(ours, theirs, strict=True)
        ):
            differ.append(f"{name}: amargah {ours} R {theirs}")
    return differ


def run(seed: int, out: Path, mix: str = "basic") -> tuple[str, str, str]:
    args, script = draw_case(seed, out, mix)
    (out / f"c{seed}.R").write_text(script)
    command = [sys.executable, "-m", "amargah", *args]
    ours = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    theirs = subprocess.run(  # noqa: S603
        ["Rscript", str(out / f"c{seed}.R")],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    line = "amargah " + " ".join(args)
    if ours.returncode not in (0, 2):  # a traceback, not a message: a defect whatever R says
        return "amargah-crashes", ours.stderr.strip()[-300:], line
    try:
        r = json.loads(theirs.stdout)
    except json.JSONDecodeError:
        return "R-fails", theirs.stderr.strip()[-200:], line
    if "error" in r:
        outcome = "both-refuse" if ours.returncode == 2 else "R-refuses"
        return outcome, str(r["error"])[:200], line
    if ours.returncode:
        return "amargah-refuses", ours.stderr.strip()[-200:], line
    rows = json.loads(ours.stdout)["estimates"]
    if len(rows) != len(r.get("est") or []):
        return "count", f"amargah {len(rows)} rows, R {len(r.get('est') or [])}", line
    differ = compare(rows, r)
    return ("differ", "; ".join(differ)[:800], line) if differ else ("ok", "", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=int, default=0)
    parser.add_argument("--to", dest="stop", type=int, default=200)
    parser.add_argument("--out", type=Path, help="folder for the cases (a new one by default)")
    parser.add_argument(
        "--mix",
        choices=["basic", "weighting", "stages"],
        default="basic",
        help="basic: one weighting step or a condition; weighting: mostly chains of two; "
        "stages: two-stage designs with an fpc at both stages",
    )
    args = parser.parse_args()
    if args.out is None:
        args.out = Path(tempfile.mkdtemp(prefix="amargah-differential-"))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"cases in {args.out}", flush=True)
    outcomes: Counter[str] = Counter()
    for seed in range(args.start, args.stop):
        outcome, detail, line = run(seed, args.out, args.mix)
        outcomes[outcome] += 1
        if outcome not in ("ok", "both-refuse"):
            print(f"{seed} {outcome}: {detail}\n    {line}", flush=True)
    print(dict(outcomes))


if __name__ == "__main__":
    main()
