"""The ``amargah estimate`` command: R ``survey``'s vocabulary on the command line.

`register` adds the commands to the ``amargah`` Typer application; the module imports
nothing of Django, so the commands work without a configured site.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from amargah.stats.design import Design, check_output, write_table
from amargah.stats.engine import Engine
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.quantiles import QuantileRule
from amargah.stats.results import Estimate, Estimates
from amargah.stats.weighting.calibrate import CalibrationFunction

# the fields of a row in the command's output, in order (the JSON shape)
OUTPUT_FIELDS = (
    "statistic",
    "variable",
    "term",
    "domain",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "cv",
    "deff",
    "df",
    "n",
)
EXIT_BAD_INPUT = 2


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"
    table = "table"


class ReplicateOption(StrEnum):
    """Replicate methods ``as.svrepdesign`` knows (lower case)."""

    jk1 = "jk1"
    jkn = "jkn"
    brr = "brr"
    fay = "fay"
    bootstrap = "bootstrap"


class CalibrationOption(StrEnum):
    """Calibration functions implemented here (R's ``calfun``)."""

    linear = "linear"
    raking = "raking"


class QuantileRuleOption(StrEnum):
    """R's ``qrule`` choices implemented here."""

    math = "math"
    school = "school"


class EngineOption(StrEnum):
    """Where the passes over the rows run."""

    duckdb = "duckdb"
    spark = "spark"


def _engine(engine: EngineOption, spark_master: str) -> Engine | None:
    """The engine asked for: None (the embedded DuckDB) or Spark on ``spark_master``."""
    if engine is EngineOption.duckdb:
        return None
    from amargah.stats.spark import SparkEngine, SparkUnavailableError, spark_session

    try:
        return SparkEngine(spark_session(spark_master))
    except (SparkUnavailableError, ValueError) as error:
        raise SurveyInputError(str(error)) from None


EngineArgument = Annotated[
    EngineOption,
    typer.Option(help="Engine: the embedded DuckDB, or Apache Spark (needs pyspark >= 4)."),
]
SparkMasterArgument = Annotated[
    str,
    typer.Option(help="With --engine spark: local[N] (N cores here) or sc://host:port (Connect)."),
]


# where the order of the weighting options on the command line is noted (ctx.meta)
_WEIGHTING_ORDER = "amargah_weighting_order"


def _note_weighting(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """Note that a weighting option was given: click processes the options given on the
    command line in their order there, so the notes keep it."""
    if value is not None and value != [] and param.name:
        # --trim-upper and --trim-lower are one step
        name = "trim" if param.name.startswith("trim_") else param.name
        ctx.meta.setdefault(_WEIGHTING_ORDER, []).append(name)
    return value


def _weighting_order(ctx: typer.Context, given: dict[str, bool]) -> list[str]:
    """The weighting options given, in command-line order (else the listed order)."""
    noted = ctx.meta.get(_WEIGHTING_ORDER, [])
    order = [name for name in dict.fromkeys(noted) if given.get(name)]
    return order + [name for name, present in given.items() if present and name not in order]


class LonelyPSUOption(StrEnum):
    """R's ``survey.lonely.psu`` choices (the same as ``design.LONELY_PSU_OPTIONS``)."""

    fail = "fail"
    remove = "remove"
    adjust = "adjust"
    average = "average"
    certainty = "certainty"


class StatisticalCommand(typer.core.TyperCommand):
    """A statistical command: refuses an option of one value given more than once, and
    shows the library's warnings as one line of its own.

    click keeps the last of a repeated option and drops the others without a word:
    ``--calibrate ~x ... --calibrate ~z`` would calibrate once, to the second model,
    where R's two ``calibrate`` calls calibrate twice. Options that may be repeated
    (``--rake``, ``--mean``, ...) and flags are not counted; nothing is read.
    """

    def invoke(self, ctx: Any) -> Any:  # typer's own click.Context
        def show(message: Warning | str, *_args: Any, **_kwargs: Any) -> None:
            # "raking did not converge ...", not Python's file, line and source text
            typer.echo(f"amargah {ctx.info_name}: warning: {message}", err=True)

        with warnings.catch_warnings():
            # the library's own warnings are shown, whatever filter the caller set
            warnings.simplefilter("default", UserWarning)
            warnings.showwarning = show
            return super().invoke(ctx)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click.Context
        once: set[str] = set()  # options of one value
        valued: set[str] = set()  # options followed by a value (once or repeatable)
        for param in self.params:
            # typer carries its own click: options are told apart by their kind's name
            if param.param_type_name != "option":
                continue
            if not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
                valued.update(param.opts)
                if not param.multiple:
                    once.update(param.opts)
        seen: dict[str, int] = {}
        tokens = iter(args)
        for token in tokens:
            if token == "--":  # noqa: S105 (the end of options, not a password)
                break
            name, equals, _value = token.partition("=")
            if name in once:
                seen[name] = seen.get(name, 0) + 1
            if name in valued and not equals:
                next(tokens, None)  # the option's value, which may look like an option
        for name, count in seen.items():
            if count > 1:
                typer.echo(
                    f"amargah {ctx.info_name}: error: {name} was given {count} times; "
                    "it takes one value",
                    err=True,
                )
                ctx.exit(EXIT_BAD_INPUT)
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    """Add the statistical commands (``estimate``, ``tabulate``, ``weight``, ``sample``)."""
    from amargah.stats.sampling.cli import sample

    for name, command in (
        ("estimate", estimate),
        ("tabulate", tabulate),
        ("weight", weight),
        ("sample", sample),
    ):
        app.command(name, no_args_is_help=True, cls=StatisticalCommand)(command)


def estimate(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Microdata: a .csv or .parquet file.")],
    *,
    ids: Annotated[
        str, typer.Option(help='Cluster columns per stage, "psu" or "dnum+snum"; "1" for none.')
    ] = "1",
    strata: Annotated[str | None, typer.Option(help="Stratum column (per stage: s1+s2).")] = None,
    weights: Annotated[str | None, typer.Option(help="Sampling weight column.")] = None,
    probs: Annotated[str | None, typer.Option(help="Selection probability column.")] = None,
    fpc: Annotated[
        str | None,
        typer.Option(help="Finite population correction per stage: sizes or fractions, f1+f2."),
    ] = None,
    nest: Annotated[
        bool, typer.Option("--nest", help="PSU identifiers are unique only within strata.")
    ] = False,
    lonely_psu: Annotated[
        LonelyPSUOption, typer.Option(help="Treatment of strata with a single PSU.")
    ] = LonelyPSUOption.fail,
    poststratify: Annotated[
        str | None,
        typer.Option(
            "--poststratify",
            help="Post-stratify: COL[+COL]=FILE.csv with columns COL and Freq (population).",
            callback=_note_weighting,
        ),
    ] = None,
    rake: Annotated[
        list[str] | None,
        typer.Option(
            "--rake",
            help="Rake to a margin: COL[+COL]=FILE.csv with COL and Freq (repeat).",
            callback=_note_weighting,
        ),
    ] = None,
    rake_epsilon: Annotated[
        float, typer.Option(help="Raking stops when no cell changes by this many persons.")
    ] = 1.0,
    rake_maxit: Annotated[int, typer.Option(help="At most this many raking sweeps.")] = 10,
    calibrate: Annotated[
        str | None,
        typer.Option(
            help='Calibrate to totals: a model such as "~x1+x2" (needs --totals).',
            callback=_note_weighting,
        ),
    ] = None,
    totals: Annotated[
        Path | None,
        typer.Option(help='JSON file of population totals: {"(Intercept)": N, "x1": ...}.'),
    ] = None,
    calfun: Annotated[
        CalibrationOption, typer.Option(help="Calibration function.")
    ] = CalibrationOption.linear,
    replicates: Annotated[
        ReplicateOption | None,
        typer.Option("--replicates", help="Replicate-weight variance instead of Taylor."),
    ] = None,
    mse: Annotated[
        bool, typer.Option("--mse", help="Centre replicates on the full-sample estimate.")
    ] = False,
    replicates_count: Annotated[
        int | None, typer.Option("--replicates-count", help="Bootstrap replicates (50).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the bootstrap draws.")] = None,
    fay_rho: Annotated[float, typer.Option(help="Fay's rho for --replicates fay.")] = 0.5,
    total: Annotated[
        list[str] | None, typer.Option("--total", help="Total of VAR (per level if categorical).")
    ] = None,
    mean: Annotated[list[str] | None, typer.Option("--mean", help="Mean of VAR.")] = None,
    ratio: Annotated[
        list[str] | None, typer.Option("--ratio", help="Ratio of totals NUM/DEN.")
    ] = None,
    proportion: Annotated[
        list[str] | None, typer.Option("--proportion", help="Share of each level of VAR.")
    ] = None,
    quantile: Annotated[
        list[str] | None,
        typer.Option("--quantile", help="Quantiles VAR@P[,P] (Woodruff interval), e.g. age@0.5."),
    ] = None,
    ciprop: Annotated[
        list[str] | None,
        typer.Option("--ciprop", help="Share of VAR=LEVEL with a logit interval."),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Domain columns, COL[,COL].")] = None,
    where: Annotated[
        str | None, typer.Option(help="Domain condition, e.g. \"age >= 15 and sex = 'F'\".")
    ] = None,
    na_rm: Annotated[
        bool, typer.Option("--na-rm", help="Rows with missing values leave the domain.")
    ] = False,
    qrule: Annotated[QuantileRuleOption, typer.Option(help="Quantile rule.")] = (
        QuantileRuleOption.math
    ),
    level: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.json,
    engine: EngineArgument = EngineOption.duckdb,
    spark_master: SparkMasterArgument = "local[1]",
) -> None:
    """Estimate totals, means, ratios, proportions and quantiles with standard errors.

    --poststratify, --rake and --calibrate given together are applied
    in the order given on the command line, each on the weights the
    previous one left (the margins of a repeated --rake are one step).
    """
    requests = _requests(
        total=total,
        mean=mean,
        ratio=ratio,
        proportion=proportion,
        quantile=quantile,
        ciprop=ciprop,
    )
    if not requests:
        _fail(
            "give at least one statistic: --total, --mean, --ratio, --proportion, "
            "--quantile or --ciprop"
        )
    options: dict[str, Any] = {"by": by, "where": where, "na_rm": na_rm, "level": level}
    qrule_value: QuantileRule = "school" if qrule is QuantileRuleOption.school else "math"
    err = Console(stderr=True)
    try:
        _refuse_replicate_options(ctx, replicates)
        _refuse_weighting_options(ctx, rake=rake, calibrate=calibrate)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task("reading the design", total=len(requests) + 1)
            design = Design(
                data,
                ids=ids,
                strata=strata,
                weights=weights,
                probs=probs,
                fpc=fpc,
                nest=nest,
                lonely_psu=lonely_psu.value,
                engine=_engine(engine, spark_master),
            )
            # replicates first, then the weighting steps: each step re-weights every
            # replicate too (R: postStratify/rake of an as.svrepdesign design)
            if replicates is not None:
                design = design.replicate(
                    replicates.value,
                    replicates=replicates_count,
                    seed=seed,
                    fay_rho=fay_rho,
                    mse=mse,
                )
            if totals is not None and calibrate is None:
                raise SurveyInputError("--totals needs --calibrate")
            steps: dict[str, Step | None] = {
                "poststratify": _poststratified(poststratify),
                "rake": _raked(rake, rake_epsilon, rake_maxit),
                "calibrate": _calibrated(calibrate, totals, calfun),
            }
            design = _weighted(design, ctx, steps)
            progress.advance(task)
            results = Estimates()
            for statistic, argument in requests:
                progress.update(task, description=f"{statistic} {argument}")
                results = results + _run(design, statistic, argument, options, qrule_value)
                progress.advance(task)
    except SurveyInputError as error:
        _fail(str(error))
    typer.echo(render(results, output_format), nl=False)


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the option ``name`` (a parameter name) was given, not left to its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _refuse_replicate_options(ctx: typer.Context, replicates: ReplicateOption | None) -> None:
    """Refuse a replicate option given without replicates, and a Fay rho for another method.

    ``--seed`` and ``--replicates-count`` with a method that draws nothing are let
    through, as R's ``as.svrepdesign`` lets its ``replicates`` argument through: they
    cannot change its replicates, and one script may pass them to every method.
    """
    if replicates is None:
        options = ("mse", "replicates_count", "seed", "fay_rho")
        if any(_given(ctx, name) for name in options):
            raise SurveyInputError(
                "--mse, --replicates-count, --seed and --fay-rho need --replicates"
            )
        return
    if replicates.value != "fay" and _given(ctx, "fay_rho"):
        raise SurveyInputError("--fay-rho is for --replicates fay")


def _refuse_weighting_options(
    ctx: typer.Context, *, rake: list[str] | None, calibrate: str | None
) -> None:
    """Refuse a raking or calibration option given without its step."""
    if not rake and any(_given(ctx, name) for name in ("rake_epsilon", "rake_maxit")):
        raise SurveyInputError("--rake-epsilon and --rake-maxit need --rake")
    if calibrate is None and _given(ctx, "calfun"):
        raise SurveyInputError("--calfun needs --calibrate")


def _margin(argument: str, option: str) -> tuple[str, pa.Table]:
    """``COL[+COL]=FILE.csv`` → the columns and the population table."""
    columns, equals, path = argument.partition("=")
    if not equals or not columns.strip() or not path.strip():
        raise SurveyInputError(f"{option} needs COL=FILE.csv, not {argument!r}")
    file = Path(path.strip())
    if not file.exists():
        raise SurveyInputError(f"no such file: {file}")
    try:
        population = pa_csv.read_csv(file)
    except pa.ArrowInvalid as error:
        raise SurveyInputError(f"cannot read {file.name} as CSV: {error}") from None
    return columns.strip(), population


Step = Callable[[Design], Design]


def _weighted(design: Design, ctx: typer.Context, steps: Mapping[str, Step | None]) -> Design:
    """The design with the weighting steps given, applied in command-line order."""
    given = {name: step is not None for name, step in steps.items()}
    for name in _weighting_order(ctx, given):
        step = steps[name]
        if step is not None:
            design = step(design)
    return design


def _poststratified(argument: str | None) -> Step | None:
    if argument is None:
        return None
    columns, population = _margin(argument, "--poststratify")
    return lambda design: design.poststratify(columns, population)


def _raked(arguments: list[str] | None, epsilon: float, maxit: int) -> Step | None:
    if not arguments:
        return None
    margins = [_margin(argument, "--rake") for argument in arguments]
    return lambda design: design.rake(margins, epsilon=epsilon, maxit=maxit)


def _adjusted(classes: str | None, response: str | None, respondent: str) -> Step | None:
    if classes is None:
        return None
    if response is None:
        raise SurveyInputError("--nonresponse needs --response COL")
    status = response
    return lambda design: design.adjust_nonresponse(
        classes, response=status, respondent=_typed(design, status, respondent)
    )


def _trimmed(upper: float | None, lower: float | None, *, strict: bool) -> Step | None:
    if upper is None and lower is None:
        return None
    return lambda design: design.trim_weights(
        upper=math.inf if upper is None else upper,
        lower=-math.inf if lower is None else lower,
        strict=strict,
    )


def _calibrated(formula: str | None, totals: Path | None, calfun: CalibrationOption) -> Step | None:
    if formula is None:
        return None
    if totals is None:
        raise SurveyInputError("--calibrate needs --totals FILE.json")
    if not totals.exists():
        raise SurveyInputError(f"no such file: {totals}")
    try:
        values = json.loads(totals.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SurveyInputError(f"cannot read {totals.name} as JSON: {error}") from None
    if not isinstance(values, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values.values()
    ):
        raise SurveyInputError(f"{totals.name} must map model column names to numbers")
    function: CalibrationFunction = "raking" if calfun is CalibrationOption.raking else "linear"
    return lambda design: design.calibrate(formula, values, calfun=function)


def _requests(
    *,
    total: list[str] | None,
    mean: list[str] | None,
    ratio: list[str] | None,
    proportion: list[str] | None,
    quantile: list[str] | None,
    ciprop: list[str] | None,
) -> list[tuple[str, str]]:
    requests: list[tuple[str, str]] = []
    for statistic, values in (
        ("total", total),
        ("mean", mean),
        ("ratio", ratio),
        ("proportion", proportion),
        ("quantile", quantile),
        ("ciprop", ciprop),
    ):
        requests += [(statistic, v) for v in values or []]
    return requests


def _run(
    design: Design,
    statistic: str,
    argument: str,
    options: dict[str, Any],
    qrule: QuantileRule,
) -> Estimates:
    if statistic == "quantile":
        variable, at, listed = argument.partition("@")
        try:
            probabilities = [float(p) for p in listed.split(",")] if at else []
        except ValueError:
            probabilities = []
        if not variable.strip() or not probabilities:
            raise SurveyInputError(f"--quantile needs VAR@P[,P], not {argument!r}")
        return design.quantile(variable.strip(), probabilities, qrule=qrule, **options)
    if statistic == "ciprop":
        variable, equals, category = argument.partition("=")
        if not equals or not variable.strip() or not category.strip():
            raise SurveyInputError(f"--ciprop needs VAR=LEVEL, not {argument!r}")
        return design.ciprop(variable.strip(), category.strip(), **options)
    if statistic == "ratio":
        numerator, slash, denominator = argument.partition("/")
        if not slash or not numerator.strip() or not denominator.strip():
            raise SurveyInputError(f"--ratio needs NUM/DEN, not {argument!r}")
        return design.ratio(numerator.strip(), denominator.strip(), **options)
    if statistic == "total":
        return design.total(argument, **options)
    if statistic == "mean":
        return design.mean(argument, **options)
    return design.proportion(argument, **options)


def _fail(message: str) -> None:
    typer.echo(f"amargah estimate: error: {message}", err=True)
    raise typer.Exit(code=EXIT_BAD_INPUT)


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def output_row(row: Estimate) -> dict[str, Any]:
    """One output row: the issue's fields, non-finite numbers as ``null``."""
    data = row.to_dict()
    out: dict[str, Any] = {}
    for name in OUTPUT_FIELDS:
        value = data[name]
        out[name] = _number(value) if isinstance(value, float) else value
    return out


def render(results: Estimates, output_format: OutputFormat) -> str:
    """Render estimates as JSON (``{"estimates": [...]}``), CSV or a text table."""
    rows = [output_row(r) for r in results]
    if output_format is OutputFormat.json:
        return json.dumps({"estimates": rows}, ensure_ascii=False, default=str) + "\n"
    if output_format is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=OUTPUT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            domain = row["domain"]
            row["domain"] = "" if domain is None else json.dumps(domain, ensure_ascii=False)
            writer.writerow(row)
        return buffer.getvalue()
    table = Table(*OUTPUT_FIELDS)
    for row in rows:
        domain = row["domain"]
        cells = dict(
            row, domain="" if domain is None else ", ".join(f"{k}={v}" for k, v in domain.items())
        )
        table.add_row(*(_cell(cells[name]) for name in OUTPUT_FIELDS))
    buffer = io.StringIO()
    Console(file=buffer, width=200, no_color=True).print(table)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class MarginsOption(StrEnum):
    """Which rows a cross-tabulation has."""

    all = "all"
    none = "none"


def tabulate(
    data: Annotated[Path, typer.Argument(help="Microdata: a .csv or .parquet file.")],
    *,
    by: Annotated[str, typer.Option(help="Classifying columns, COL[,COL].")],
    weights: Annotated[str | None, typer.Option(help="Weight column (weighted counts).")] = None,
    where: Annotated[str | None, typer.Option(help="Condition on the rows.")] = None,
    margins: Annotated[
        MarginsOption, typer.Option(help="all: every margin and the total; none: cells only.")
    ] = MarginsOption.all,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.json,
    engine: EngineArgument = EngineOption.duckdb,
    spark_master: SparkMasterArgument = "local[1]",
) -> None:
    """Cross-tabulate counts (and weighted counts) with all margins, in one pass."""
    from amargah.stats.tabulation import cross_tabulate

    try:
        table = cross_tabulate(
            data,
            by,
            weights=weights,
            where=where,
            margins=margins.value,
            engine=_engine(engine, spark_master),
        )
    except SurveyInputError as error:
        typer.echo(f"amargah tabulate: error: {error}", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    rows = table.to_dicts()
    if output_format is OutputFormat.json:
        typer.echo(json.dumps({"cells": rows}, ensure_ascii=False, default=str))
        return
    fields = list(table.table.column_names)
    if output_format is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
        return
    text = Table(*fields)
    for row in rows:
        text.add_row(*(_cell(row[f]) for f in fields))
    buffer = io.StringIO()
    Console(file=buffer, width=200, no_color=True).print(text)
    typer.echo(buffer.getvalue(), nl=False)


def weight(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Microdata: a .csv or .parquet file.")],
    *,
    output: Annotated[Path, typer.Option(help="Output file (.parquet or .csv).")],
    ids: Annotated[
        str, typer.Option(help='Cluster columns per stage, "psu" or "dnum+snum"; "1" for none.')
    ] = "1",
    strata: Annotated[str | None, typer.Option(help="Stratum column (per stage: s1+s2).")] = None,
    weights: Annotated[str | None, typer.Option(help="Sampling weight column.")] = None,
    probs: Annotated[str | None, typer.Option(help="Selection probability column.")] = None,
    fpc: Annotated[
        str | None,
        typer.Option(help="Finite population correction per stage: sizes or fractions, f1+f2."),
    ] = None,
    nest: Annotated[
        bool, typer.Option("--nest", help="PSU identifiers are unique only within strata.")
    ] = False,
    poststratify: Annotated[
        str | None,
        typer.Option(
            "--poststratify",
            help="Post-stratify: COL[+COL]=FILE.csv with columns COL and Freq (population).",
            callback=_note_weighting,
        ),
    ] = None,
    calibrate: Annotated[
        str | None,
        typer.Option(
            help='Calibrate to totals: a model such as "~x1+x2" (needs --totals).',
            callback=_note_weighting,
        ),
    ] = None,
    totals: Annotated[
        Path | None,
        typer.Option(help='JSON file of population totals: {"(Intercept)": N, "x1": ...}.'),
    ] = None,
    calfun: Annotated[
        CalibrationOption, typer.Option(help="Calibration function.")
    ] = CalibrationOption.linear,
    rake: Annotated[
        list[str] | None,
        typer.Option(
            "--rake",
            help="Rake to a margin: COL[+COL]=FILE.csv with COL and Freq (repeat).",
            callback=_note_weighting,
        ),
    ] = None,
    rake_epsilon: Annotated[
        float, typer.Option(help="Raking stops when no cell changes by this many persons.")
    ] = 1.0,
    rake_maxit: Annotated[int, typer.Option(help="At most this many raking sweeps.")] = 10,
    nonresponse: Annotated[
        str | None,
        typer.Option(
            help="Nonresponse adjustment within these weighting classes (COL[+COL]).",
            callback=_note_weighting,
        ),
    ] = None,
    response: Annotated[
        str | None, typer.Option(help="Response status column (with --nonresponse).")
    ] = None,
    respondent: Annotated[
        str, typer.Option(help="Value of the response column for respondents.")
    ] = "1",
    trim_upper: Annotated[
        float | None,
        typer.Option(
            help="Trim weights above this (R's trimWeights upper).", callback=_note_weighting
        ),
    ] = None,
    trim_lower: Annotated[
        float | None,
        typer.Option(
            help="Raise weights below this (R's trimWeights lower).", callback=_note_weighting
        ),
    ] = None,
    trim_strict: Annotated[
        bool, typer.Option("--trim-strict", help="Repeat trimming until within bounds.")
    ] = False,
    weight_column: Annotated[
        str, typer.Option(help="Name of the new weight column.")
    ] = "weight_final",
    engine: EngineArgument = EngineOption.duckdb,
    spark_master: SparkMasterArgument = "local[1]",
) -> None:
    """Write the data with adjusted weights (post-stratified, raked, calibrated, ...).

    Several steps may be given; they are applied in their order on the command line,
    each to the weights the one before it produced (as R's functions chained).
    """
    trimming = trim_upper is not None or trim_lower is not None
    given = {
        "poststratify": poststratify is not None,
        "rake": bool(rake),
        "calibrate": calibrate is not None,
        "nonresponse": nonresponse is not None,
        "trim": trimming,
    }
    if not any(given.values()):
        typer.echo(
            "amargah weight: error: give at least one of --poststratify, --rake, --calibrate, "
            "--nonresponse or --trim-upper/--trim-lower",
            err=True,
        )
        raise typer.Exit(code=EXIT_BAD_INPUT)
    try:
        check_output(output)
        _refuse_weighting_options(ctx, rake=rake, calibrate=calibrate)
        design = Design(
            data,
            ids=ids,
            strata=strata,
            weights=weights,
            probs=probs,
            fpc=fpc,
            nest=nest,
            lonely_psu="remove",  # weighting does not need variances
            engine=_engine(engine, spark_master),
        )
        if totals is not None and calibrate is None:
            raise SurveyInputError("--totals needs --calibrate")
        if response is not None and nonresponse is None:
            raise SurveyInputError("--response needs --nonresponse")
        steps: dict[str, Step | None] = {
            "poststratify": _poststratified(poststratify),
            "rake": _raked(rake, rake_epsilon, rake_maxit),
            "calibrate": _calibrated(calibrate, totals, calfun),
            "nonresponse": _adjusted(nonresponse, response, respondent),
            "trim": _trimmed(trim_upper, trim_lower, strict=trim_strict),
        }
        design = _weighted(design, ctx, steps)
        table = design.weighted_data(weight_column=weight_column)
        write_table(table, output)
    except SurveyInputError as error:
        typer.echo(f"amargah weight: error: {error}", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    typer.echo(f"{table.num_rows} rows with {weight_column} written to {output}")


def _typed(design: Design, column: str, text: str) -> Any:
    """A value typed on the command line, as the column's type."""
    from amargah.stats.design import is_numeric

    data_type = design.data_type(column)
    if pa.types.is_boolean(data_type):
        return text.strip().lower() in ("true", "1")
    if is_numeric(data_type):
        try:
            number = float(text)
        except ValueError:
            raise SurveyInputError(f"{text!r} is not a number", column=column) from None
        return int(number) if number.is_integer() else number
    return text
