"""Raked designs against R `survey` 4.1.1 (rake with its default control).

Reference numbers: tests/golden/rake.json from tests/golden/R/rake.R (NHANES raked to
sex, age group and race margins; a total, a mean, means by race, shares by age group).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv
import pytest

from amargah.stats import Design, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "rake.json").read_text())


def _raked(case: dict[str, Any]) -> Design:
    design = Design(GOLDEN / case["data"], **case["design"])
    margins = [(m["columns"], pa.Table.from_pylist(m["population"])) for m in case["margins"]]
    return design.rake(margins)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["name"])
def test_agrees_with_r(case: dict[str, Any]) -> None:
    design = _raked(case)
    total = design.total(case["total"]["variable"], na_rm=True)[0]
    assert math.isclose(total.estimate, case["total"]["estimate"], rel_tol=1e-6)
    assert math.isclose(total.se, case["total"]["se"], rel_tol=1e-6)
    for request in case["requests"]:
        if request["categorical"]:
            estimates = design.proportion(request["variable"], by=request["by"], na_rm=True)
        else:
            estimates = design.mean(request["variable"], by=request["by"], na_rm=True)
        assert len(estimates) == len(request["estimates"])
        for expected in request["estimates"]:
            domain = expected["domain"]
            if domain is not None:
                domain = {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}
            row = estimates.find(term=expected["term"], domain=domain)
            assert math.isclose(row.estimate, expected["estimate"], rel_tol=1e-6), row
            # shares of a raking margin have no sampling error: both sides are rounding
            # noise near 1e-12, compared absolutely
            assert math.isclose(row.se, expected["se"], rel_tol=1e-6, abs_tol=1e-10), (
                row,
                expected,
            )


def test_margins_must_cover_the_sample() -> None:
    case = REFERENCE["cases"][0]
    design = Design(GOLDEN / case["data"], **case["design"])
    with pytest.raises(SurveyInputError, match="not in the population"):
        design.rake([("RIAGENDR", {1: 140e6})])
    # a population level without sample rows: R's rake stops ("Some strata absent from
    # sample"), as its margins could then not add up alike
    with pytest.raises(SurveyInputError, match="level 3 of the population has no sample rows"):
        design.rake([("RIAGENDR", {1: 140e6, 2: 148e6, 3: 1e6})])


@pytest.mark.parametrize(
    ("freq", "row", "message"),
    [
        (["140e6", "148e6", "1"], 3, "given twice"),
        (["140e6", "many", "1"], 2, "not a number of persons"),
        (["140e6", "-148e6", "1"], 2, "not a number of persons"),
    ],
)
def test_population_tables_name_the_bad_row(freq: list[str], row: int, message: str) -> None:
    case = REFERENCE["cases"][0]
    design = Design(GOLDEN / case["data"], **case["design"])
    levels = [1, 2, 1] if message == "given twice" else [1, 2, 3]
    population = pa.table({"RIAGENDR": levels, "Freq": freq})
    for step in (
        lambda: design.rake([("RIAGENDR", population)]),
        lambda: design.poststratify("RIAGENDR", population),
    ):
        with pytest.raises(SurveyInputError, match=message) as caught:
            step()
        assert caught.value.column == "Freq"
        assert caught.value.rows == (row,)


def test_rake_option(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from amargah.stats.cli import register

    case = REFERENCE["cases"][0]
    args = ["estimate", str(GOLDEN / case["data"])]
    for key in ("ids", "strata", "weights"):
        args += [f"--{key}", case["design"][key]]
    args.append("--nest")
    for i, margin in enumerate(case["margins"]):
        path = tmp_path / f"margin{i}.csv"
        pa.csv.write_csv(pa.Table.from_pylist(margin["population"]), path)
        args += ["--rake", f"{margin['columns']}={path}"]
    args += ["--total", case["total"]["variable"], "--na-rm"]
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["estimates"]
    assert math.isclose(row["se"], case["total"]["se"], rel_tol=1e-6)
