"""The ``estimate`` command through Typer's test runner (the lead's app calls `register`)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from amargah.stats.cli import LonelyPSUOption, register
from amargah.stats.design import LONELY_PSU_OPTIONS

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
NHANES = GOLDEN / "data" / "nhanes.csv"
SYNTHETIC = GOLDEN / "data" / "synthetic.csv"
REFERENCE = json.loads((GOLDEN / "taylor.json").read_text())


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)

    @application.command("version")
    def version() -> None:  # a second command so that "estimate" is a subcommand
        typer.echo("test")

    return application


def _run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, ["estimate", *args])


def _reference(case: str, index: int) -> list[dict[str, Any]]:
    for item in REFERENCE["cases"]:
        if item["name"] == case:
            estimates: list[dict[str, Any]] = item["results"][index]["estimates"]
            return estimates
    raise KeyError(case)


def test_lonely_options_match_the_library() -> None:
    assert tuple(LonelyPSUOption) == LONELY_PSU_OPTIONS


def test_json_output_has_the_documented_shape_and_r_numbers(app: typer.Typer) -> None:
    result = _run(
        app,
        str(NHANES),
        "--ids",
        "SDMVPSU",
        "--strata",
        "SDMVSTRA",
        "--weights",
        "WTMEC2YR",
        "--nest",
        "--mean",
        "HI_CHOL",
        "--by",
        "race",
        "--na-rm",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["estimates"]
    assert all(
        list(r)
        == [
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
        ]
        for r in rows
    )
    expected = _reference("nhanes", 2)  # svyby(~HI_CHOL, ~race, svymean, na.rm=TRUE)
    assert len(rows) == len(expected)
    for row in rows:
        match = next(e for e in expected if e["domain"]["race"] == row["domain"]["race"])
        assert math.isclose(row["estimate"], match["estimate"], rel_tol=1e-6)
        assert math.isclose(row["se"], match["se"], rel_tol=1e-6)
        assert row["statistic"] == "mean" and row["term"] is None


def test_categorical_total_gives_one_row_per_level(app: typer.Typer) -> None:
    result = _run(
        app,
        str(NHANES),
        "--ids",
        "SDMVPSU",
        "--strata",
        "SDMVSTRA",
        "--weights",
        "WTMEC2YR",
        "--nest",
        "--total",
        "agecat",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    rows = list(pa_csv.read_csv(pa.py_buffer(result.stdout.encode())).to_pylist())
    expected = _reference("nhanes", 5)  # svytotal(~agecat)
    assert sorted(r["term"] for r in rows) == sorted(e["term"] for e in expected)
    for row in rows:
        match = next(e for e in expected if e["term"] == row["term"])
        assert math.isclose(row["se"], match["se"], rel_tol=1e-6)


def test_ratio_and_proportion_in_one_run(app: typer.Typer) -> None:
    result = _run(
        app,
        str(SYNTHETIC),
        "--ids",
        "psu_ok",
        "--strata",
        "stratum_ok",
        "--weights",
        "w",
        "--nest",
        "--ratio",
        "y/x",
        "--proportion",
        "sex",
        "--na-rm",
        "--format",
        "table",
    )
    assert result.exit_code == 0, result.output
    assert "y/x" in result.stdout and "proportion" in result.stdout


@pytest.mark.parametrize(
    ("args", "column", "rows"),
    [
        (["--weights", "weight", "--mean", "x"], "weight", None),
        (["--weights", "w", "--mean", "sex"], "sex", None),
        (["--weights", "w", "--mean", "nothere"], "nothere", None),
        (
            ["--ids", "psu", "--strata", "stratum", "--nest", "--weights", "w", "--total", "x"],
            "stratum",
            "first offending rows: 119",
        ),
        (["--weights", "w", "--mean", "y"], "y", "first offending rows"),
        (["--weights", "w", "--mean", "x", "--where", "x > (select 1)"], None, None),
        (["--weights", "w", "--mean", "x", "--where", "x >>> 3"], None, "cannot parse"),
    ],
)
def test_bad_input_exits_2_with_one_message(
    app: typer.Typer, args: list[str], column: str | None, rows: str | None
) -> None:
    result = _run(app, str(SYNTHETIC), *args)
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.startswith("amargah estimate: error:")
    assert len(message.splitlines()) == 1
    if column is not None:
        assert f"column {column!r}" in message
    if rows is not None:
        assert rows in message


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.parquet", b"not parquet", "cannot read broken.parquet as Parquet"),
        ("header.csv", b"w,y\n", "header.csv has no rows"),
    ],
)
def test_an_unreadable_or_empty_file_is_bad_input(
    app: typer.Typer, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = _run(app, str(path), "--weights", "w", "--total", "y")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"amargah estimate: error: {message}")


def test_negative_weights_are_reported_with_rows(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("w,y\n1,2\n-1,3\n2,4\n-3,5\n")
    result = _run(app, str(path), "--weights", "w", "--total", "y")
    assert result.exit_code == 2
    assert "column 'w': negative weights (first offending rows: 2, 4)" in result.stderr


QUANTILES = json.loads((GOLDEN / "quantiles.json").read_text())


def _quantile_case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = next(c for c in QUANTILES["cases"] if c["name"] == name)
    return case


def test_quantile_and_ciprop_options_give_r_numbers(app: typer.Typer) -> None:
    result = _run(
        app,
        str(SYNTHETIC),
        "--ids",
        "psu_ok",
        "--strata",
        "stratum_ok",
        "--weights",
        "w",
        "--nest",
        "--quantile",
        "x@0.1,0.5,0.9",
        "--qrule",
        "school",
        "--by",
        "region",
        "--na-rm",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["estimates"]
    expected = _quantile_case("synthetic_school_by_region")["estimates"]
    assert len(rows) == len(expected)
    for row in rows:
        match = next(
            e
            for e in expected
            if e["domain"]["region"] == row["domain"]["region"] and f"{e['term']:g}" == row["term"]
        )
        if isinstance(match["se"], str):  # R's NaN: an interval end beyond the data
            assert row["se"] is None
        else:
            assert math.isclose(row["se"], match["se"], rel_tol=1e-6)
        assert row["df"] == match["df"]
    result = _run(
        app,
        str(NHANES),
        "--ids",
        "SDMVPSU",
        "--strata",
        "SDMVSTRA",
        "--weights",
        "WTMEC2YR",
        "--nest",
        "--ciprop",
        "race=3",
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    (expected_row,) = _quantile_case("nhanes_race")["estimates"]
    assert row["term"] == "3"
    assert math.isclose(row["ci_lower"], expected_row["ci_lower"], rel_tol=1e-6)


@pytest.mark.parametrize("argument", ["x", "x@", "x@a", "@0.5"])
def test_malformed_quantile_is_bad_input(app: typer.Typer, argument: str) -> None:
    result = _run(app, str(SYNTHETIC), "--weights", "w", "--quantile", argument)
    assert result.exit_code == 2
    assert "--quantile needs VAR@P" in result.stderr


REPLICATES = json.loads((GOLDEN / "replicates.json").read_text())


def test_replicates_option_gives_r_jkn_numbers(app: typer.Typer) -> None:
    result = _run(
        app,
        str(NHANES),
        "--ids",
        "SDMVPSU",
        "--strata",
        "SDMVSTRA",
        "--weights",
        "WTMEC2YR",
        "--nest",
        "--replicates",
        "jkn",
        "--mean",
        "HI_CHOL",
        "--by",
        "race",
        "--na-rm",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["estimates"]
    case = next(c for c in REPLICATES["cases"] if c["name"] == "nhanes_jkn")
    expected = case["results"][1]["estimates"]  # svyby(~HI_CHOL, ~race, svymean) on JKn
    for row in rows:
        match = next(e for e in expected if e["domain"]["race"] == row["domain"]["race"])
        assert math.isclose(row["se"], match["se"], rel_tol=1e-6)


def test_bootstrap_seed_makes_runs_repeatable(app: typer.Typer) -> None:
    args = [
        str(SYNTHETIC),
        "--ids",
        "psu_ok",
        "--strata",
        "stratum_ok",
        "--weights",
        "w",
        "--nest",
        "--replicates",
        "bootstrap",
        "--replicates-count",
        "30",
        "--seed",
        "5",
        "--total",
        "x",
    ]
    first, second = _run(app, *args), _run(app, *args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--seed", "3"], "need --replicates"),
        (["--fay-rho", "0.5"], "need --replicates"),  # the default value, but given
        (["--replicates", "brr", "--fay-rho", "0.3"], "--fay-rho is for --replicates fay"),
        (["--calfun", "raking"], "--calfun needs --calibrate"),
        (["--rake-maxit", "5"], "--rake-epsilon and --rake-maxit need --rake"),
    ],
)
def test_an_option_that_would_be_ignored_is_bad_input(
    app: typer.Typer, options: list[str], message: str
) -> None:
    design = ["--ids", "psu", "--strata", "stratum", "--nest", "--weights", "w"]
    result = _run(app, str(SYNTHETIC), *design, *options, "--total", "x")
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "options",
    [
        # a second calibration would have replaced the first without a word
        ["--calibrate", "~x", "--calibrate", "~y"],
        ["--level", "0.9", "--level", "0.95"],
        ["--by", "stratum", "--by=psu"],
    ],
)
def test_an_option_of_one_value_given_twice_is_bad_input(
    app: typer.Typer, options: list[str]
) -> None:
    design = ["--ids", "psu", "--strata", "stratum", "--nest", "--weights", "w"]
    result = _run(app, str(SYNTHETIC), *design, *options, "--total", "x")
    assert result.exit_code == 2
    repeated = options[-1].partition("=")[0] if "=" in options[-1] else options[-2]
    assert f"{repeated} was given 2 times; it takes one value" in result.stderr
    assert result.stdout == ""


def test_repeatable_options_and_option_like_values_are_not_counted(app: typer.Typer) -> None:
    # --total twice is two statistics; the condition's text "--weights" is a value
    design = ["--ids", "psu_ok", "--strata", "stratum_ok", "--nest", "--weights", "w"]
    result = _run(
        app, str(SYNTHETIC), *design, "--where", "--weights", "--total", "x", "--total", "y"
    )
    assert "given 2 times" not in result.stderr
    assert "cannot parse the condition '--weights'" in result.stderr
    both = _run(app, str(SYNTHETIC), *design, "--total", "x", "--total", "age")
    assert both.exit_code == 0, both.output
    assert [row["variable"] for row in json.loads(both.stdout)["estimates"]] == ["x", "age"]


def test_a_warning_is_one_line_in_the_commands_voice(app: typer.Typer, tmp_path: Path) -> None:
    # BRR raked to totals its first replicate cannot reach: R's calibrate keeps that
    # replicate's weights with a warning (tests/golden/R/replicate_raking_unconverged.R)
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps({"(Intercept)": 535, "x": 2526.67, "gg2": 204}))
    data = GOLDEN / "data" / "brr_raking_unconverged.csv"
    design = ["--ids", "psu", "--strata", "h", "--weights", "w", "--replicates", "brr"]
    calibration = ["--calibrate", "~x+g", "--totals", str(totals), "--calfun", "raking"]
    result = _run(app, str(data), *design, *calibration, "--proportion", "cat", "--na-rm")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "amargah estimate: warning: raking calibration of replicate 1 did not converge in 50 "
        "iterations (largest relative misfit 0.00489); its weights are kept as they are, as "
        "R's calibrate keeps them"
    ]
    assert len(json.loads(result.stdout)["estimates"]) == 3


POSTSTRATIFY = json.loads((GOLDEN / "poststratify.json").read_text())


def test_poststratify_option_gives_r_numbers(app: typer.Typer, tmp_path: Path) -> None:
    case = next(c for c in POSTSTRATIFY["cases"] if c["name"] == "nhanes_by_race_sex")
    population = tmp_path / "population.csv"
    population.write_text(
        "race,RIAGENDR,Freq\n"
        + "".join(f"{r['race']},{r['RIAGENDR']},{r['Freq']}\n" for r in case["population"])
    )
    result = _run(
        app,
        str(NHANES),
        "--ids",
        "SDMVPSU",
        "--strata",
        "SDMVSTRA",
        "--weights",
        "WTMEC2YR",
        "--nest",
        "--poststratify",
        f"race+RIAGENDR={population}",
        "--mean",
        "HI_CHOL",
        "--na-rm",
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    (expected,) = case["results"][0]["estimates"]
    assert math.isclose(row["se"], expected["se"], rel_tol=1e-6)
    missing = _run(
        app,
        str(NHANES),
        "--weights",
        "WTMEC2YR",
        "--poststratify",
        f"RIAGENDR={tmp_path / 'none.csv'}",
        "--mean",
        "HI_CHOL",
    )
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


CALIBRATE = json.loads((GOLDEN / "calibrate.json").read_text())


def test_calibrate_option_gives_r_numbers(app: typer.Typer, tmp_path: Path) -> None:
    case = next(c for c in CALIBRATE["cases"] if c["name"] == "synthetic_two_stage_linear")
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps(case["totals"]))
    result = _run(
        app,
        str(SYNTHETIC),
        "--ids",
        "psu_ok+ssu",
        "--strata",
        "stratum_ok",
        "--weights",
        "w",
        "--fpc",
        "N1_ok+N2",
        "--nest",
        "--calibrate",
        "~x+sex",
        "--totals",
        str(totals),
        "--total",
        "y",
        "--na-rm",
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    (expected,) = case["results"][0]["estimates"]
    assert math.isclose(row["se"], expected["se"], rel_tol=1e-6)
    totals.write_text('{"(Intercept)": "many"}')
    bad = _run(
        app,
        str(SYNTHETIC),
        "--weights",
        "w",
        "--calibrate",
        "~x",
        "--totals",
        str(totals),
        "--total",
        "y",
    )
    assert bad.exit_code == 2
    assert "must map model column names to numbers" in bad.stderr


def test_fpc_smaller_than_the_sample_is_reported(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "fpc.csv"
    path.write_text("h,psu,N,y\n1,1,10,2\n1,2,10,3\n2,1,1,4\n2,2,1,5\n")
    result = _run(
        app, str(path), "--ids", "psu", "--strata", "h", "--nest", "--fpc", "N", "--total", "y"
    )
    assert result.exit_code == 2
    assert "column 'N': finite population correction implies more than 100%" in result.stderr
    assert "(first offending rows: 3, 4)" in result.stderr


def test_no_statistic_is_an_error(app: typer.Typer) -> None:
    result = _run(app, str(SYNTHETIC), "--weights", "w")
    assert result.exit_code == 2
    assert "at least one statistic" in result.stderr


def _replicate_weighting_case(name: str) -> dict[str, Any]:
    reference = json.loads((GOLDEN / "replicate_weighting.json").read_text())
    case: dict[str, Any] = next(c for c in reference["cases"] if c["name"] == name)
    return case


def _margin_file(tmp_path: Path, rows: list[dict[str, Any]]) -> str:
    column = next(k for k in rows[0] if k != "Freq")
    path = tmp_path / f"{column}.csv"
    pa_csv.write_csv(pa.Table.from_pylist(rows), path)
    return f"{column}={path}"


def _assert_one_estimate_as_r(result: Any, reference: dict[str, Any]) -> None:
    """The command succeeded with one JSON estimate equal to R's (1e-6 relative)."""
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    (expected,) = reference["estimates"]
    assert math.isclose(row["estimate"], expected["estimate"], rel_tol=1e-6)
    assert math.isclose(row["se"], expected["se"], rel_tol=1e-6)


def test_replicates_with_rake_give_r_numbers(app: typer.Typer, tmp_path: Path) -> None:
    case = _replicate_weighting_case("synthetic_jk1_raked_sex_employed")
    margins = [_margin_file(tmp_path, rows) for rows in case["margins"]]
    result = _run(
        app,
        str(SYNTHETIC),
        "--ids",
        "psu_global",
        "--weights",
        "w",
        "--replicates",
        "jk1",
        "--rake",
        margins[0],
        "--rake",
        margins[1],
        "--total",
        "x",
        "--format",
        "json",
    )
    _assert_one_estimate_as_r(result, case["results"][0])


def test_replicates_with_poststratify_give_r_numbers(app: typer.Typer, tmp_path: Path) -> None:
    case = _replicate_weighting_case("synthetic_jkn_by_sex")
    population = _margin_file(tmp_path, case["population"])
    result = _run(
        app,
        str(SYNTHETIC),
        "--ids",
        "psu_ok",
        "--strata",
        "stratum_ok",
        "--weights",
        "w",
        "--nest",
        "--replicates",
        "jkn",
        "--poststratify",
        population,
        "--ratio",
        "y/x",
        "--na-rm",
        "--format",
        "json",
    )
    _assert_one_estimate_as_r(result, case["results"][2])


def test_replicates_with_calibrate_give_r_numbers(app: typer.Typer, tmp_path: Path) -> None:
    case = _replicate_weighting_case("synthetic_jkn_calibrated")
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps(case["totals"]))
    result = _run(
        app,
        str(SYNTHETIC),
        "--ids",
        "psu_ok",
        "--strata",
        "stratum_ok",
        "--weights",
        "w",
        "--nest",
        "--replicates",
        "jkn",
        "--calibrate",
        "~x+sex",
        "--totals",
        str(totals),
        "--ratio",
        "y/x",
        "--na-rm",
    )
    _assert_one_estimate_as_r(result, case["results"][2])


def _chained_case(name: str) -> dict[str, Any]:
    reference = json.loads((GOLDEN / "chained_weighting.json").read_text())
    case: dict[str, Any] = next(c for c in reference["cases"] if c["name"] == name)
    return case


def test_weighting_steps_apply_in_command_line_order(app: typer.Typer, tmp_path: Path) -> None:
    design = [
        "--ids",
        "SDMVPSU",
        "--strata",
        "SDMVSTRA",
        "--weights",
        "WTMEC2YR",
        "--nest",
        "--total",
        "HI_CHOL",
        "--na-rm",
    ]
    for name, replicates in (
        ("nhanes_poststratify_rake", []),
        ("nhanes_poststratify_rake_jkn", ["--replicates", "jkn"]),
    ):
        case = _chained_case(name)
        poststrata, raking = case["steps"]
        race = _margin_file(tmp_path, poststrata["population"])
        sex, age = (_margin_file(tmp_path, rows) for rows in raking["margins"])
        weighting = ["--poststratify", race, "--rake", sex, "--rake", age]
        result = _run(app, str(NHANES), *design, *replicates, *weighting)
        _assert_one_estimate_as_r(result, case["results"][0])
    # the other order is another design: raking first, then post-stratification
    reverse = _run(app, str(NHANES), *design, "--rake", sex, "--rake", age, "--poststratify", race)
    assert reverse.exit_code == 0, reverse.output
    (row,) = json.loads(reverse.stdout)["estimates"]
    (expected,) = _chained_case("nhanes_poststratify_rake")["results"][0]["estimates"]
    assert not math.isclose(row["estimate"], expected["estimate"], rel_tol=1e-6)
    # raking then calibration, as R's rake then calibrate; given the other way round,
    # calibration comes first
    case = _chained_case("nhanes_rake_calibrate")
    raking, calibration = case["steps"]
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps(calibration["totals"]))
    sex, race = (_margin_file(tmp_path, rows) for rows in raking["margins"])
    rake = ["--rake", sex, "--rake", race]
    calibrate = ["--calibrate", calibration["formula"], "--totals", str(totals)]
    result = _run(app, str(NHANES), *design, *rake, *calibrate)
    _assert_one_estimate_as_r(result, case["results"][0])
    result = _run(app, str(NHANES), *design, *calibrate, *rake)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    expected_total = case["results"][0]["estimates"][0]["estimate"]
    assert not math.isclose(row["estimate"], expected_total, rel_tol=1e-6)


def test_weight_command_chains_steps_in_command_line_order(
    app: typer.Typer, tmp_path: Path
) -> None:
    """`amargah weight` with several steps writes R's chained weights, in the order given."""
    case = _chained_case("nhanes_poststratify_rake")
    poststrata, raking = case["steps"]
    race = _margin_file(tmp_path, poststrata["population"])
    sex, age = (_margin_file(tmp_path, rows) for rows in raking["margins"])
    design = ["--ids", "SDMVPSU", "--strata", "SDMVSTRA", "--weights", "WTMEC2YR", "--nest"]
    totals = []
    for order in (
        ["--poststratify", race, "--rake", sex, "--rake", age],
        ["--rake", sex, "--rake", age, "--poststratify", race],
    ):
        output = tmp_path / "weighted.parquet"
        written = CliRunner().invoke(
            app, ["weight", str(NHANES), *design, *order, "--output", str(output)]
        )
        assert written.exit_code == 0, written.output
        # the written weights give the chained design's estimate (its SE is a design's,
        # which plain weights do not carry)
        result = _run(
            app, str(output), *design[:-3], "--weights", "weight_final", "--nest",
            "--total", "HI_CHOL", "--na-rm",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        totals.append(json.loads(result.stdout)["estimates"][0]["estimate"])
        # the last step holds: post-stratification exactly, raking to its tolerance
        table = pq.read_table(output)
        if order[0] == "--poststratify":
            column, margin, tolerance = "RIAGENDR", raking["margins"][0], 1e-4
        else:
            column, margin, tolerance = "race", poststrata["population"], 1e-12
        sums = table.group_by(column).aggregate([("weight_final", "sum")]).to_pylist()
        written_sums = {row[column]: row["weight_final_sum"] for row in sums}
        for row in margin:
            assert math.isclose(written_sums[row[column]], row["Freq"], rel_tol=tolerance)
    (expected,) = case["results"][0]["estimates"]
    assert math.isclose(totals[0], expected["estimate"], rel_tol=1e-6)
    assert not math.isclose(totals[1], expected["estimate"], rel_tol=1e-6)
    bad = CliRunner().invoke(
        app, ["weight", str(NHANES), *design, "--output", str(tmp_path / "x.parquet")]
    )
    assert bad.exit_code == 2
    assert "give at least one of" in bad.stderr
    unwritable = tmp_path / "missing" / "x.parquet"
    nowhere = CliRunner().invoke(
        app, ["weight", str(NHANES), *design, *order, "--output", str(unwritable)]
    )
    assert nowhere.exit_code == 2
    assert f"amargah weight: error: cannot write {unwritable}" in nowhere.stderr
