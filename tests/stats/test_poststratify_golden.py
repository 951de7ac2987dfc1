"""Post-stratified designs against R `survey` 4.1.1 (postStratify).

Reference numbers: tests/golden/poststratify.json from tests/golden/R/poststratify.R
(NHANES by sex and by race x sex, the synthetic two-stage sample by sex with weights
given and with weights derived from the fpc; totals, means, proportions, ratios and
quantiles, by domains).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from amargah.stats import Design, Estimates, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "poststratify.json").read_text())


def _design(case: dict[str, Any]) -> Design:
    design = Design(GOLDEN / case["data"], **case["design"])
    strata = case["strata"] if isinstance(case["strata"], list) else [case["strata"]]
    return design.poststratify(strata, pa.Table.from_pylist(case["population"]))


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


def test_weights_sum_to_the_population() -> None:
    case = REFERENCE["cases"][1]
    design = _design(case)
    totals = design.proportion("RIAGENDR")  # any categorical: population of each domain
    assert math.isclose(totals[0].population, sum(r["Freq"] for r in case["population"]))


def test_population_table_must_cover_the_sample() -> None:
    design = Design(
        GOLDEN / "data" / "nhanes.csv",
        ids="SDMVPSU",
        strata="SDMVSTRA",
        weights="WTMEC2YR",
        nest=True,
    )
    with pytest.raises(SurveyInputError, match="not in the population table"):
        design.poststratify("RIAGENDR", {1: 140e6})
    with pytest.raises(SurveyInputError, match="use partial"):
        design.poststratify("RIAGENDR", {1: 140e6, 2: 150e6, 3: 1e6})
    partial = design.poststratify("RIAGENDR", {1: 140e6, 2: 150e6, 3: 1e6}, partial=True)
    assert math.isclose(partial.total("HI_CHOL", na_rm=True)[0].population, 290e6, rel_tol=0.1)
    with pytest.raises(SurveyInputError, match="not available"):
        partial.replicate("jkn")
