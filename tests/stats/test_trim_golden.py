"""Weight trimming against R `survey` 4.1.1 (trimWeights, strict and not).

Reference numbers: tests/golden/trim.json from tests/golden/R/trim.R (NHANES weights
trimmed to [5000, 60000]; mean, total, means by race, and a JKn replicate mean).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from amargah.stats import Design, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "trim.json").read_text())


def _close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-6)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: f"strict={c['strict']}")
def test_agrees_with_r(case: dict[str, Any]) -> None:
    design = Design(
        GOLDEN / REFERENCE["data"],
        ids="SDMVPSU",
        strata="SDMVSTRA",
        weights="WTMEC2YR",
        nest=True,
    ).trim_weights(upper=REFERENCE["upper"], lower=REFERENCE["lower"], strict=case["strict"])
    mean = design.mean("HI_CHOL", na_rm=True)[0]
    total = design.total("HI_CHOL", na_rm=True)[0]
    assert _close(mean.estimate, case["mean"]["estimate"])
    assert _close(mean.se, case["mean"]["se"])
    assert _close(total.estimate, case["total"]["estimate"])
    assert _close(total.se, case["total"]["se"])
    by_race = design.mean("HI_CHOL", by="race", na_rm=True)
    for expected in case["by_race"]:
        row = by_race.find(domain={"race": expected["race"]})
        assert _close(row.estimate, expected["estimate"])
        assert _close(row.se, expected["se"])
    jkn = design.replicate("jkn").mean("HI_CHOL", na_rm=True)[0]
    assert _close(jkn.estimate, case["jkn_mean"]["estimate"])
    assert _close(jkn.se, case["jkn_mean"]["se"])
    weights = design.weighted_data(weight_column="trimmed").column("trimmed").to_pylist()
    assert _close(sum(weights), case["weight_sum"])
    if case["strict"]:
        assert max(weights) <= REFERENCE["upper"] * (1 + 1e-12)


def test_trimming_needs_a_weight_column() -> None:
    design = Design(GOLDEN / "data" / "fpc.csv", ids="psuid", strata="stratid", fpc="Nh", nest=True)
    with pytest.raises(SurveyInputError, match="needs a weights column"):
        design.trim_weights(upper=3.5)


def test_strict_trimming_refuses_bounds_the_mean_weight_is_outside() -> None:
    table = pa.table({"w": [10.0, 20.0, 30.0, 40.0], "y": [1.0, 2.0, 3.0, 4.0]})
    design = Design(table, weights="w")
    # the mean weight is 25: no weights of the same sum fit under 20
    with pytest.raises(SurveyInputError, match="mean is 25") as caught:
        design.trim_weights(upper=20, strict=True)
    assert caught.value.column == "w"
    # one round (not strict) is R's default, and keeps the sum
    once = design.trim_weights(upper=35).weighted_data(weight_column="t").column("t")
    assert sum(once.to_pylist()) == pytest.approx(100.0)
