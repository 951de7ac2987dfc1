"""Edge cases of jackknife designs against R `survey` 4.1.1.

Reference numbers: tests/golden/replicate_edges.json, written by
tests/golden/R/replicate_edges.R from mu284 with one cluster cut to a single sampled
unit (a lonely stratum at stage 2), a domain inside one cluster and a level inside one
cluster of its domain.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from amargah.stats import Design, ReplicateDesign, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "replicate_edges.json").read_text())
DATA = GOLDEN / "data" / "mu284_edges.csv"
RELATIVE = 1e-6


def _design() -> Design:
    return Design(DATA, ids="id1+id2", fpc="n1+n2")


def _jackknife(*, mse: bool = False) -> ReplicateDesign:
    return _design().replicate("jk1", mse=mse)


def _close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=1e-12)


def test_linearisation_refuses_the_lonely_second_stage_stratum_as_r_does() -> None:
    assert "only one PSU at stage 2" in REFERENCE["taylor_error"]
    with pytest.raises(SurveyInputError, match="only one PSU at stage 2") as caught:
        _design().mean("y1")
    # the stage's strata are the clusters of stage 1; the first row of each lonely one
    assert caught.value.column == "id1"
    assert caught.value.rows == (1,)


@pytest.mark.parametrize(
    "case", REFERENCE["cases"], ids=lambda c: f"{c['name']}-{c['statistic']}-mse{c['mse']}"
)
def test_jackknife_edges_agree_with_r(case: dict[str, Any]) -> None:
    design = _jackknife(mse=case["mse"])
    by = "dom" if case["name"] == "domain_in_one_psu" else None
    estimator = design.total if case["statistic"] == "total" else design.mean
    rows = {tuple(sorted((row.domain or {}).items())): row for row in estimator("y1", by=by)}
    assert len(rows) == len(case["rows"])
    for expected in case["rows"]:
        row = rows[tuple(sorted((expected["domain"] or {}).items()))]
        assert _close(row.estimate, expected["estimate"])
        # a domain inside one cluster: the replicate without it is undefined and left
        # out, the others equal the estimate, so the SE is exactly zero, as in R
        assert _close(row.se, expected["se"])
        assert row.df == case["df"]


def test_ciprop_with_a_replicate_without_the_level_spans_zero_to_one() -> None:
    expected = REFERENCE["ciprop"]
    for mse in (False, True):
        (row,) = _jackknife(mse=mse).ciprop("big", "yes", where={"dom": "b"})
        assert _close(row.estimate, expected["estimate"])
        if not mse:
            assert _close(row.se, expected["se"])
        # the logit of the replicate without "yes" is infinite: so is the logit's
        # variance, with or without mse; R's fit stops short and gives almost [0, 1]
        assert (row.ci_lower, row.ci_upper) == (0.0, 1.0)
        assert expected["ci"][0] < 1e-6 and expected["ci"][1] > 1 - 1e-6
