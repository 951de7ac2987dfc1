"""The same estimators on DuckDB and on Apache Spark agree (1e-9 relative).

Every pass over rows is one sqlglot expression rendered for each engine's dialect; this
suite runs the estimators, the weighting steps and the census cross-tabulation on the
embedded DuckDB and on Spark ``local[1]``, from an Arrow table, a Parquet file and a
CSV file, and compares every field of every row. One Spark session (one JVM) serves the
whole module; it also serves Spark Connect on a free port for the Connect test.
pyspark is in the dev dependency group: if it or Java is missing the suite fails.
"""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from amargah.stats import Design, DuckDBEngine, Engine, Estimates, SurveyInputError
from amargah.stats.spark import SparkEngine, spark_session
from amargah.stats.tabulation import cross_tabulate

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
DATA = GOLDEN / "data"
RELATIVE = 1e-9
FLOAT_FIELDS = ("estimate", "se", "ci_lower", "ci_upper", "cv", "deff", "df", "population")

Build = Callable[[Engine], Estimates]

# The suite is hundreds of small, different queries on a JVM that lives a minute: the
# JVM's quick compiler alone halves the CPU time its optimising compiler would take.
TEST_SETTINGS = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def connect_port() -> int:
    return _free_port()


@pytest.fixture(scope="module")
def spark(connect_port: int) -> Iterator[Any]:
    # the classic session also runs a Spark Connect server (a plugin of the same
    # JVM), so that the Connect client is tested without starting a second JVM
    session = spark_session(
        "local[1]",
        config={
            "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(connect_port),
            **TEST_SETTINGS,
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    # end the JVM now, while the test run's output streams are still open
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        # the JVM ends when its standard input closes
        gateway.proc.stdin.close()
        gateway.proc.wait(timeout=60)
        SparkContext._gateway = None
        SparkContext._jvm = None


@pytest.fixture(scope="module")
def engines(spark: Any) -> tuple[Engine, Engine]:
    return DuckDBEngine(threads=1), SparkEngine(spark)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The synthetic two-stage survey as an Arrow table, a Parquet file and a CSV file."""
    folder = tmp_path_factory.mktemp("parity")
    table = pa_csv.read_csv(DATA / "synthetic.csv")
    parquet = folder / "synthetic.parquet"
    # small row groups: the row numbers must run across them in file order
    pq.write_table(table, parquet, row_group_size=16)
    return {"arrow": table, "parquet": parquet, "csv": DATA / "synthetic.csv"}


def _same(left: Estimates, right: Estimates) -> None:
    """Every row agrees: labels exactly, numbers to `RELATIVE`."""
    assert len(left) == len(right) > 0
    for a, b in zip(left, right, strict=True):
        assert (a.statistic, a.variable, a.term, a.domain, a.n) == (
            b.statistic,
            b.variable,
            b.term,
            b.domain,
            b.n,
        )
        # a quantity whose true value is 0 (the SE of a share fixed by a margin)
        # is rounding noise on both sides: compare it against the estimate's size
        floor = RELATIVE * 1e-3 * max(1.0, abs(a.estimate))
        for name in FLOAT_FIELDS:
            x, y = getattr(a, name), getattr(b, name)
            if math.isnan(x) or math.isnan(y):
                assert math.isnan(x) and math.isnan(y), (name, a, b)
            else:
                assert math.isclose(x, y, rel_tol=RELATIVE, abs_tol=floor), (name, a, b)


def _parity(engines: tuple[Engine, Engine], build: Build) -> Estimates:
    duck, spark = engines
    expected = build(duck)
    _same(expected, build(spark))
    return expected


def _synthetic(source: Any, engine: Engine, **options: Any) -> Design:
    design = {
        "ids": "psu_ok+ssu",
        "strata": "stratum_ok",
        "weights": "w",
        "fpc": "N1_ok+N2",
        "nest": True,
    }
    return Design(source, **{**design, **options}, engine=engine)


def _taylor_round(design: Design) -> Estimates:
    return (
        design.total("x", by="sex")
        + design.total("sex")
        + design.mean(["x", "y"], by=["region", "sex"], na_rm=True, where="age >= 40")
        + design.ratio("y", "x", na_rm=True, by="region")
        + design.proportion("region", na_rm=True, by="sex")
        + design.quantile("x", [0.25, 0.5, 0.9], by="sex", qrule="math")
        + design.quantile("y", [0.5], na_rm=True, qrule="school", where="sex = 'F'")
        + design.ciprop("sex", "F", by="region")
    )


@pytest.mark.parametrize("kind", ["arrow", "parquet", "csv"])
def test_taylor_estimators_agree(
    engines: tuple[Engine, Engine], sources: dict[str, Any], kind: str
) -> None:
    results = _parity(engines, lambda e: _taylor_round(_synthetic(sources[kind], e)))
    statistics = {r.statistic for r in results}
    assert statistics >= {"total", "mean", "ratio", "proportion", "quantile", "ciprop"}


@pytest.mark.parametrize("lonely_psu", ["remove", "adjust", "average", "certainty"])
def test_lonely_psu_options_agree(engines: tuple[Engine, Engine], lonely_psu: str) -> None:
    # strata/psu (not the _ok columns) have strata with a single PSU
    def build(engine: Engine) -> Estimates:
        design = Design(
            DATA / "synthetic.csv",
            ids="psu",
            strata="stratum",
            weights="w",
            nest=True,
            lonely_psu=lonely_psu,  # type: ignore[arg-type]
            engine=engine,
        )
        return design.total("x") + design.mean("y", by="sex", na_rm=True)

    _parity(engines, build)


def test_derived_weights_and_weighted_data_agree(engines: tuple[Engine, Engine]) -> None:
    # no weights: R derives them from the fpc per stage
    def build(engine: Engine) -> Estimates:
        design = Design(
            DATA / "synthetic.csv", ids="psu_ok+ssu", strata="stratum_ok", fpc="N1_ok+N2",
            nest=True, engine=engine,
        )  # fmt: skip
        return design.mean("x") + design.quantile("age", [0.5])

    _parity(engines, build)
    duck, spark = (
        Design(DATA / "scd.csv", ids="ambulance", strata="ESA", fpc="popsize", nest=True, engine=e)
        for e in engines
    )
    assert duck.weighted_data().equals(spark.weighted_data())


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("jk1", {}),
        ("jkn", {"mse": True}),
        ("bootstrap", {"replicates": 30, "seed": 1405}),
    ],
)
def test_replicate_designs_agree(
    engines: tuple[Engine, Engine], method: str, options: dict[str, Any]
) -> None:
    def build(engine: Engine) -> Estimates:
        # JK1 is for designs without strata
        stratified = {} if method != "jk1" else {"ids": "psu_global", "strata": None, "fpc": None}
        design = _synthetic(DATA / "synthetic.csv", engine, **stratified)
        design = design.replicate(method, **options)  # type: ignore[arg-type]
        return (
            design.total("x", by="sex")
            + design.mean("y", na_rm=True, where="age >= 30")
            + design.ratio("y", "x", na_rm=True)
            + design.proportion("region", na_rm=True)
            + design.quantile("x", [0.5], by="sex")
            + design.ciprop("sex", "F")
        )

    _parity(engines, build)


@pytest.mark.parametrize("method", ["brr", "fay"])
def test_balanced_half_samples_agree(engines: tuple[Engine, Engine], method: str) -> None:
    def build(engine: Engine) -> Estimates:
        design = Design(
            DATA / "nhanes_brr.csv", ids="SDMVPSU", strata="SDMVSTRA", weights="WTMEC2YR",
            nest=True, engine=engine,
        ).replicate(method)  # type: ignore[arg-type]  # fmt: skip
        return design.mean("HI_CHOL", na_rm=True, by="race") + design.total("agecat")

    _parity(engines, build)


def test_supplied_replicate_weights_agree(engines: tuple[Engine, Engine]) -> None:
    def build(engine: Engine) -> Estimates:
        design = Design(DATA / "synthetic_boot.csv", weights="w", engine=engine)
        replicated = design.with_replicate_weights("^rw", method="bootstrap")
        return replicated.mean("x", by="region") + replicated.quantile("y", [0.5], na_rm=True)

    _parity(engines, build)


def _nhanes(engine: Engine) -> Design:
    return Design(
        DATA / "nhanes.csv",
        ids="SDMVPSU",
        strata="SDMVSTRA",
        weights="WTMEC2YR",
        nest=True,
        engine=engine,
    )


def test_weighting_steps_agree(engines: tuple[Engine, Engine]) -> None:
    reference = {n: json.loads((GOLDEN / f"{n}.json").read_text()) for n in ("rake", "calibrate")}
    margins = [
        (m["columns"], pa.Table.from_pylist(m["population"]))
        for m in reference["rake"]["cases"][0]["margins"]
    ]
    calibration = reference["calibrate"]["cases"][0]

    def build(engine: Engine) -> Estimates:
        design = _nhanes(engine)
        post = design.poststratify("RIAGENDR", {1: 140e6, 2: 148e6})
        raked = design.rake(margins)
        linear = design.calibrate(calibration["formula"], calibration["totals"], calfun="linear")
        raking = design.calibrate(calibration["formula"], calibration["totals"], calfun="raking")
        trimmed = design.trim_weights(upper=60000, lower=5000)
        return (
            post.mean("HI_CHOL", na_rm=True, by="race")
            + raked.total("HI_CHOL", na_rm=True)
            + raked.proportion("agecat", by="race")
            + linear.mean("HI_CHOL", na_rm=True)
            + raking.total("HI_CHOL", na_rm=True, by="RIAGENDR")
            + trimmed.mean("HI_CHOL", na_rm=True)
        )

    _parity(engines, build)

    def nonresponse(engine: Engine) -> Estimates:
        design = _synthetic(DATA / "synthetic_nr.csv", engine, fpc=None)
        adjusted = design.adjust_nonresponse("sex+stratum_ok", response="responded")
        return adjusted.mean("y", na_rm=True) + adjusted.total("x", by="sex")

    _parity(engines, nonresponse)


def test_chained_weighting_agrees(engines: tuple[Engine, Engine]) -> None:
    # post-stratification then raking (tests/golden/chained_weighting.json), on a Taylor
    # and a JKn design; then a trimming matched on the adjusted weights' values and a
    # raking calibration after it
    case = json.loads((GOLDEN / "chained_weighting.json").read_text())["cases"][0]
    poststrata, raking = case["steps"]
    race = pa.Table.from_pylist(poststrata["population"])
    margins = [
        (next(k for k in rows[0] if k != "Freq"), pa.Table.from_pylist(rows))
        for rows in raking["margins"]
    ]
    totals = {"(Intercept)": 288e6, "RIAGENDR": 140e6 + 2 * 148e6}

    def build(engine: Engine) -> Estimates:
        design = _nhanes(engine)
        chained = design.poststratify("race", race).rake(margins)
        replicated = design.replicate("jkn").poststratify("race", race).rake(margins)
        trimmed = design.poststratify("race", race).trim_weights(upper=60000)
        calibrated = trimmed.calibrate("~RIAGENDR", totals, calfun="raking")
        return (
            chained.total("HI_CHOL", na_rm=True)
            + chained.mean("HI_CHOL", na_rm=True, by="race")
            + chained.quantile("WTMEC2YR", [0.5])
            + replicated.mean("HI_CHOL", na_rm=True, by="race")
            + calibrated.mean("HI_CHOL", na_rm=True, by="RIAGENDR")
        )

    _parity(engines, build)


@pytest.mark.parametrize("margins", ["all", "none"])
def test_cross_tabulation_agrees(
    engines: tuple[Engine, Engine], sources: dict[str, Any], margins: str
) -> None:
    duck, spark = (
        cross_tabulate(
            sources["parquet"],
            "sex,region,employed",
            weights="w",
            where="age >= 20",
            margins=margins,  # type: ignore[arg-type]
            engine=engine,
        )
        for engine in engines
    )
    assert duck.table.num_rows == spark.table.num_rows > 8
    assert duck.table.drop_columns(["weighted"]).equals(spark.table.drop_columns(["weighted"]))
    assert np.allclose(
        duck.table.column("weighted").to_numpy(),
        spark.table.column("weighted").to_numpy(),
        rtol=RELATIVE,
        atol=0,
    )


def test_bad_input_names_the_same_rows(engines: tuple[Engine, Engine]) -> None:
    table = pa_csv.read_csv(DATA / "synthetic.csv")
    weights = table.column("w").to_numpy().copy()
    weights[[7, 40, 41]] = -1.0
    table = table.set_column(table.schema.get_field_index("w"), "w", pa.array(weights))
    messages = []
    for engine in engines:
        with pytest.raises(SurveyInputError) as error:
            Design(table, ids="psu_ok", strata="stratum_ok", weights="w", nest=True, engine=engine)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "8, 41, 42" in messages[0]


def test_files_get_their_row_numbers_in_file_order(
    spark: Any, tmp_path: Path, engines: tuple[Engine, Engine]
) -> None:
    """Parquet and CSV files split into many blocks still number rows densely, in order."""
    engine = engines[1]
    rows = 20_000
    table = pa.table({"order": np.arange(rows, dtype=np.int64), "x": np.arange(rows) * 0.5})
    pq.write_table(table, tmp_path / "rows.parquet", row_group_size=777)
    pa_csv.write_csv(table, tmp_path / "rows.csv")
    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    # blocks of 16 KiB: the files are read in several partitions
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        for file_format in ("parquet", "csv"):
            name = f"rows_{file_format}"
            engine.register_file(
                name,
                tmp_path / f"rows.{file_format}",
                file_format=file_format,  # type: ignore[arg-type]
                row_number="row",
            )
            result = engine.execute(_select_order_row(name))
            assert result.column("order").to_pylist() == list(range(rows)), file_format
            assert result.column("row").to_pylist() == list(range(rows)), file_format
            partitions = spark.table(name).rdd.getNumPartitions()
            assert partitions > 1, file_format
            engine.unregister(name)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)


def _select_order_row(name: str) -> Any:
    from sqlglot import exp

    return (
        exp.select(exp.column("order", quoted=True), exp.column("row", quoted=True))
        .from_(exp.to_table(name))
        .order_by(exp.column("row", quoted=True))
    )


def test_spark_connect_session_agrees(
    engines: tuple[Engine, Engine], sources: dict[str, Any], connect_port: int
) -> None:
    """A Spark Connect client (the cluster path) gives the same estimates."""
    session = spark_session(f"sc://127.0.0.1:{connect_port}")
    try:
        assert type(session).__module__.startswith("pyspark.sql.connect")
        connect = SparkEngine(session)

        def build(engine: Engine) -> Estimates:
            design = _synthetic(sources["parquet"], engine)
            return (
                design.mean("y", by="sex", na_rm=True)
                + design.quantile("x", [0.5])
                + design.replicate("jkn").total("x")
            )

        _parity((engines[0], connect), build)
    finally:
        session.stop()


def test_command_line_engine_option(
    engines: tuple[Engine, Engine], sources: dict[str, Any], tmp_path: Path
) -> None:
    from amargah.cli import app

    runner = CliRunner()
    arguments = [
        "estimate", str(sources["parquet"]), "--ids", "psu_ok+ssu", "--strata", "stratum_ok",
        "--weights", "w", "--nest", "--mean", "y", "--quantile", "x@0.5", "--na-rm",
        "--by", "sex",
    ]  # fmt: skip
    outputs = []
    for engine in (["--engine", "duckdb"], ["--engine", "spark", "--spark-master", "local[1]"]):
        result = runner.invoke(app, [*arguments, *engine])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout)["estimates"])
    assert len(outputs[0]) == len(outputs[1]) == 4
    for a, b in zip(*outputs, strict=True):
        assert a["domain"] == b["domain"]
        assert math.isclose(a["estimate"], b["estimate"], rel_tol=RELATIVE)
        assert math.isclose(a["se"], b["se"], rel_tol=RELATIVE)
    tabulated = [
        runner.invoke(app, ["tabulate", str(sources["parquet"]), "--by", "sex", *engine])
        for engine in (["--engine", "duckdb"], ["--engine", "spark"])
    ]
    assert tabulated[0].exit_code == tabulated[1].exit_code == 0
    assert json.loads(tabulated[0].stdout) == json.loads(tabulated[1].stdout)
    written = []
    for engine in (["--engine", "duckdb"], ["--engine", "spark"]):
        output = tmp_path / f"weighted-{engine[1]}.parquet"
        result = runner.invoke(
            app,
            ["weight", str(sources["parquet"]), "--ids", "psu_ok+ssu", "--strata", "stratum_ok",
             "--weights", "w", "--nest", "--trim-upper", "15", "--trim-strict",
             "--output", str(output), *engine],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        written.append(pq.read_table(output))
    assert written[0].num_rows == written[1].num_rows == sources["arrow"].num_rows
    assert (
        written[0].drop_columns(["weight_final"]).equals(written[1].drop_columns(["weight_final"]))
    )
    trimmed = [table.column("weight_final").to_numpy() for table in written]
    np.testing.assert_allclose(trimmed[0], trimmed[1], rtol=RELATIVE)
    assert trimmed[0].max() <= 15 + 1e-9 < sources["arrow"].column("w").to_numpy().max()


def test_clear_errors_without_a_usable_spark(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong master or a missing pyspark is one clear message (exit code 2 on the CLI)."""
    from amargah.cli import app
    from amargah.stats import spark as spark_module

    result = CliRunner().invoke(
        app,
        ["estimate", str(DATA / "scd.csv"), "--mean", "arrests", "--engine", "spark",
         "--spark-master", "yarn"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "local[N] or sc://host:port" in result.stderr
    real_import = spark_module.importlib.import_module

    def without_pyspark(name: str, package: str | None = None) -> Any:
        if name.startswith("pyspark"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, package)

    monkeypatch.setattr(spark_module.importlib, "import_module", without_pyspark)
    with pytest.raises(spark_module.SparkUnavailableError, match=r"amargah\[spark\]"):
        spark_session("local[1]")
