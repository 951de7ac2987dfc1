"""BRR and Fay designs whose strata have more than two PSUs, against R `survey` 4.1.1.

Reference numbers: tests/golden/brr_split.json, written by tests/golden/R/brr_split.R.
R's ``brrweights`` splits a stratum with an even number of PSUs into pairs (its default
``large = "split"``), in the order the PSUs first appear in the data, and numbers those
pairs before the strata of two; the numbering picks each pair's row of the Hadamard
matrix, so means, ratios and quantiles agree only if it is the same.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pytest

from amargah.stats import Design, Estimates, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "brr_split.json").read_text())
DATA = GOLDEN / "data" / "brr_split.csv"


def _replicated(case: dict[str, Any]) -> Design:
    design = Design(DATA, ids="psu", strata="h", weights="w", nest=True)
    method = "fay" if case["type"] == "Fay" else "brr"
    return design.replicate(method, mse=case["mse"], fay_rho=case["fay_rho"] or 0.5)


def _estimates(design: Design, statistic: str) -> Estimates:
    if statistic == "mean":
        return design.mean("y")
    if statistic == "total":
        return design.total("y")
    if statistic == "ratio":
        return design.ratio("y", "x")
    if statistic == "domain_mean":
        return design.mean("y", by="dom")
    return design.quantile("y", [0.5])


@pytest.mark.parametrize(
    ("case", "statistic"),
    [
        pytest.param(case, statistic, id=f"{case['type']}-mse{case['mse']}-{statistic}")
        for case in REFERENCE["cases"]
        for statistic in case["rows"]
    ],
)
def test_split_strata_agree_with_r(case: dict[str, Any], statistic: str) -> None:
    design = _replicated(case)
    assert design.replicate_count == case["replicates"]
    estimates = _estimates(design, statistic)
    assert len(estimates) == len(case["rows"][statistic])
    for expected in case["rows"][statistic]:
        row = estimates.find(domain=expected["domain"])
        assert math.isclose(row.estimate, expected["estimate"], rel_tol=1e-9)
        assert math.isclose(row.se, expected["se"], rel_tol=1e-9)
        assert row.df == case["df"]  # one per pair of PSUs, as R's degf
        if "ci_lower" in expected:
            assert math.isclose(row.ci_lower, expected["ci_lower"], rel_tol=1e-9)
            assert math.isclose(row.ci_upper, expected["ci_upper"], rel_tol=1e-9)


def test_a_stratum_with_an_odd_number_of_psus_is_refused_as_in_r() -> None:
    assert "odd numbers of PSUs" in REFERENCE["odd_stratum_error"]
    table = pa_csv.read_csv(DATA)
    odd = table.filter(pc.invert(pc.and_(pc.equal(table["h"], "e"), pc.equal(table["psu"], 6))))
    design = Design(odd, ids="psu", strata="h", weights="w", nest=True)
    with pytest.raises(SurveyInputError, match=r"odd number \(5\)") as caught:
        design.replicate("brr")
    assert caught.value.column == "h"
