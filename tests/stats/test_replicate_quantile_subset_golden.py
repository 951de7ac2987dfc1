"""Quantiles of a raking-calibrated JKn design with and without ``na_rm``, against R.

Reference numbers: tests/golden/replicate_quantile_subset.json from
tests/golden/R/replicate_quantile_subset.R (survey 4.1.1). With ``na.rm = TRUE``, R's
``svyquantile`` takes a subset of the design to the rows it uses, missing values or
none, and the subset's ``degf`` is the rank of its replicate weights (17 here); without
it, the design keeps the ``degf`` from before the raking (13). The interval's t, and so
the reported SE, follow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from amargah.stats import Design

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "replicate_quantile_subset.json").read_text())


@pytest.fixture(scope="module")
def calibrated() -> Design:
    design = Design(
        GOLDEN / REFERENCE["data"], ids="psu_ok", strata="stratum_ok", weights="w", nest=True
    )
    return design.replicate("jkn").calibrate("~x", REFERENCE["totals"], calfun="raking")


@pytest.mark.parametrize(
    "expected", REFERENCE["estimates"], ids=lambda e: f"{e['variable']}-{e['p']}-{e['na_rm']}"
)
def test_quantile_agrees_with_r(calibrated: Design, expected: dict[str, Any]) -> None:
    found = calibrated.quantile(expected["variable"], [0.25, 0.5], na_rm=expected["na_rm"]).find(
        term=str(expected["p"])
    )
    assert found.df == expected["df"]
    assert found.estimate == pytest.approx(expected["estimate"], rel=1e-9)
    assert (found.ci_lower, found.ci_upper) == pytest.approx(
        (expected["ci_lower"], expected["ci_upper"]), rel=1e-9
    )
    assert found.se == pytest.approx(expected["se"], rel=1e-6)
