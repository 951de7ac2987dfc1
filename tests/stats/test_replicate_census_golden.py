"""Totals and means of jackknife designs with a census stratum, against R `survey` 4.1.1.

Reference numbers: tests/golden/replicate_census.json, written by
tests/golden/R/replicate_census.R: JKn from 4 strata whose first is a census (its
finite population correction is zero), with and without ``mse`` and post-stratification.
The reference is R with ``survey.drop.replicates = FALSE``: every row counts in every
replicate total. R's default leaves the census stratum's rows out of ``svytotal``'s
replicates, which with ``mse`` or after a weighting step changes the SE (§7 of the
statistics guide).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv
import pytest

from amargah.stats import Design

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "replicate_census.json").read_text())
DATA = GOLDEN / "data" / "census_stratum.csv"
MARGIN = GOLDEN / "data" / "census_g.csv"


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['statistic']}-{case['weighting']}-mse{case['mse']}-by{case['by']}"


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=_case_id)
def test_census_stratum_counts_in_every_replicate_as_in_r(case: dict[str, Any]) -> None:
    design = Design(DATA, ids="psu", strata="h", fpc="N", weights="w", nest=True)
    replicated: Design = design.replicate("jkn", mse=case["mse"])
    if case["weighting"] == "poststratify":
        replicated = replicated.poststratify("g", pa_csv.read_csv(MARGIN))
    estimator = replicated.total if case["statistic"] == "total" else replicated.mean
    rows = {tuple(sorted((row.domain or {}).items())): row for row in estimator("y", by=case["by"])}
    assert len(rows) == len(case["rows"])
    for expected in case["rows"]:
        row = rows[tuple(sorted((expected["domain"] or {}).items()))]
        assert math.isclose(row.estimate, expected["estimate"], rel_tol=1e-9)
        assert math.isclose(row.se, expected["se"], rel_tol=1e-9)
