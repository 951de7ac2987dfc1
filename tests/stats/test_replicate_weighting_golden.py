"""Weighting of replicate designs against R `survey` 4.1.1.

Reference numbers: tests/golden/replicate_weighting.json from
tests/golden/R/replicate_weighting.R: ``postStratify`` of JKn, JK1 and BRR replicate
designs (every replicate rescaled to the population sizes) and ``rake`` of JKn and JK1
designs (every replicate raked) and linear ``calibrate`` of JKn and BRR designs (every
replicate calibrated), totals, means, ratios and proportions, by domains.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from amargah.stats import Design, Estimates

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "replicate_weighting.json").read_text())


def _design(case: dict[str, Any]) -> Design:
    design = Design(GOLDEN / case["data"], **case["design"]).replicate(case["replicates"])
    if "formula" in case:
        return design.calibrate(case["formula"], case["totals"])
    if "margins" in case:
        margins = [
            (next(k for k in rows[0] if k != "Freq"), pa.Table.from_pylist(rows))
            for rows in case["margins"]
        ]
        return design.rake(margins)
    strata = case["strata"] if isinstance(case["strata"], list) else [case["strata"]]
    return design.poststratify(strata, pa.Table.from_pylist(case["population"]))


def _estimate(design: Design, request: dict[str, Any]) -> Estimates:
    options = {"by": request["by"], "na_rm": request["na_rm"]}
    statistic = request["statistic"]
    if statistic == "ratio":
        return design.ratio(request["variable"], request["denominator"], **options)
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
        actual = estimates.find(term=expected["term"], domain=domain)
        # an SE that is zero in exact arithmetic (totals of the post-stratum variable)
        # is rounding noise in both: compared on the estimate's scale
        noise = 1e-12 * abs(expected["estimate"])
        for field in ("estimate", "se"):
            assert math.isclose(
                getattr(actual, field), expected[field], rel_tol=1e-6, abs_tol=noise
            ), (field, getattr(actual, field), expected[field], domain, expected["term"])


def test_post_stratification_totals_have_no_replicate_error() -> None:
    # every replicate reproduces the population of each post-stratum exactly
    case = REFERENCE["cases"][0]
    design = _design(case)
    by_sex = design.total("x", by="sex")
    counts = design.total("sex")
    assert all(row.se < 1e-9 * row.estimate for row in counts)
    assert all(row.se > 0 for row in by_sex)
    unweighted = Design(GOLDEN / case["data"], **case["design"]).replicate(case["replicates"])
    assert all(row.se > 1.0 for row in unweighted.total("sex"))


def test_replicate_weight_columns_are_post_stratified_too() -> None:
    # every supplied column is rescaled to the population sizes (R's postStratify of a
    # svrepdesign; tests/stats/test_chained_weighting_golden.py compares with R)
    design = Design(
        GOLDEN / "data" / "synthetic_boot.csv",
        ids="psu_ok",
        strata="stratum_ok",
        weights="w",
        nest=True,
    ).with_replicate_weights("^rw", method="bootstrap")
    counts = design.poststratify("sex", {"F": 2600, "M": 2500}).total("sex")
    assert all(row.se < 1e-9 * row.estimate for row in counts)
    assert all(row.se > 1.0 for row in design.total("sex"))
