"""Calibrated designs (linear and raking) against R `survey` 4.1.1 (calibrate).

Reference numbers: tests/golden/calibrate.json from tests/golden/R/calibrate.R
(NHANES by sex and by race x sex, the synthetic two-stage sample by sex with weights
given and with weights derived from the fpc; totals, means, proportions, ratios and
quantiles, by domains).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from amargah.stats import Design, Estimates, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "calibrate.json").read_text())


def _design(case: dict[str, Any]) -> Design:
    design = Design(GOLDEN / case["data"], **case["design"])
    return design.calibrate(case["formula"], case["totals"], calfun=case["calfun"])


def _estimate(design: Design, request: dict[str, Any]) -> Estimates:
    options = {"by": request["by"], "na_rm": request["na_rm"]}
    statistic = request["statistic"]
    if statistic == "ratio":
        return design.ratio(request["variable"], request["denominator"], **options)
    if statistic == "quantile":
        return design.quantile(request["variable"], request["probs"], **options)
    if statistic == "total":
        return design.total(request["variable"], **options)
    if statistic == "mean":
        return design.mean(request["variable"], **options)
    return design.proportion(request["variable"], **options)


@pytest.mark.parametrize(
    ("case", "result"),
    [
        pytest.param(case, result, id=f"{case['name']}-{i}")
        for case in REFERENCE["cases"]
        for i, result in enumerate(case["results"])
    ],
)
def test_agrees_with_r(case: dict[str, Any], result: dict[str, Any]) -> None:
    estimates = _estimate(_design(case), result["request"])
    assert len(estimates) == len(result["estimates"])
    for expected in result["estimates"]:
        domain = expected["domain"] or None
        if domain is not None:
            domain = {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}
        term = expected["term"]
        if isinstance(term, float | int):
            term = f"{term:g}"
        actual = estimates.find(term=term, domain=domain)
        for field in ("estimate", "se"):
            assert math.isclose(
                getattr(actual, field), expected[field], rel_tol=1e-6, abs_tol=1e-12
            ), (field, getattr(actual, field), expected[field], domain, term)


def test_calibrated_weights_reproduce_the_totals() -> None:
    case = next(c for c in REFERENCE["cases"] if c["name"] == "synthetic_derived_raking")
    design = _design(case)
    assert math.isclose(design.total("x")[0].estimate, case["totals"]["x"], rel_tol=1e-9)
    assert math.isclose(design.total("x")[0].population, case["totals"]["(Intercept)"])
    males = design.total("sex").find(term="M")
    assert math.isclose(males.estimate, case["totals"]["sexM"], rel_tol=1e-9)


def test_totals_must_match_the_model() -> None:
    design = Design(GOLDEN / "data" / "synthetic.csv", weights="w")
    with pytest.raises(SurveyInputError, match="missing: sexM"):
        design.calibrate("~x+sex", {"(Intercept)": 5100, "x": 200000})
    with pytest.raises(SurveyInputError, match="'y': missing values"):
        design.calibrate("~y", {"(Intercept)": 5100, "y": 200000})
    calibrated = design.calibrate("~x", {"(Intercept)": 5100, "x": 200000})
    # a further step is chained (tests/stats/test_chained_weighting_golden.py)
    chained = calibrated.poststratify("sex", {"F": 2600, "M": 2500})
    assert [step.kind for step in chained.steps] == ["calibrate", "poststratify"]


def test_weighted_data_carries_the_calibrated_weights(tmp_path: Path) -> None:
    case = next(c for c in REFERENCE["cases"] if c["name"] == "synthetic_derived_raking")
    design = _design(case)
    table = design.weighted_data(weight_column="wcal")
    assert table.num_rows == design.row_count
    assert table.column_names[-1] == "wcal"
    reweighted = Design(table, weights="wcal")
    assert math.isclose(
        reweighted.total("x")[0].estimate, design.total("x")[0].estimate, rel_tol=1e-9
    )
    with pytest.raises(SurveyInputError, match="exists already"):
        design.weighted_data(weight_column="x")


def test_weight_command_writes_calibrated_weights(tmp_path: Path) -> None:
    import json as json_module

    import pyarrow.parquet as pq
    import typer
    from typer.testing import CliRunner

    from amargah.stats.cli import register

    case = next(c for c in REFERENCE["cases"] if c["name"] == "synthetic_two_stage_linear")
    totals = tmp_path / "totals.json"
    totals.write_text(json_module.dumps(case["totals"]))
    out = tmp_path / "weighted.parquet"
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(
        app,
        [
            "weight",
            str(GOLDEN / case["data"]),
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
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    total_x = sum(
        x * w
        for x, w in zip(table["x"].to_pylist(), table["weight_final"].to_pylist(), strict=True)
    )
    assert math.isclose(total_x, case["totals"]["x"], rel_tol=1e-9)
    bad = CliRunner().invoke(app, ["weight", str(GOLDEN / case["data"]), "--output", str(out)])
    assert bad.exit_code == 2
    assert "give at least one of --poststratify, --rake, --calibrate" in bad.stderr
