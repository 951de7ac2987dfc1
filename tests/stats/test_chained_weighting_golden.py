"""Chained weighting steps against R `survey` 4.1.1.

Reference numbers: tests/golden/chained_weighting.json from
tests/golden/R/chained_weighting.R: post-stratification then raking, raking then linear
calibration, post-stratification then raking calibration, nonresponse adjustment then
post-stratification; each on a Taylor design and on JKn, JK1 or BRR replicate designs
(every replicate re-weighted by every step), for a total, a mean, a domain mean and a
quantile with its Woodruff interval; and weight trimming after and before another step
(Taylor designs).
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
REFERENCE = json.loads((GOLDEN / "chained_weighting.json").read_text())
RELATIVE = 1e-6
# R's calibrate stops raking at this relative misfit of the totals; replicates are
# raked with the same rule, so the test uses it too
R_EPSILON = 1e-7


def _apply(design: Design, step: dict[str, Any]) -> Design:
    kind = step["kind"]
    if kind == "poststratify":
        return design.poststratify(step["columns"], pa.Table.from_pylist(step["population"]))
    if kind == "rake":
        margins = [
            (next(k for k in rows[0] if k != "Freq"), pa.Table.from_pylist(rows))
            for rows in step["margins"]
        ]
        return design.rake(margins)
    if kind == "calibrate":
        return design.calibrate(
            step["formula"], step["totals"], calfun=step["calfun"], epsilon=R_EPSILON
        )
    if kind == "trim":
        return design.trim_weights(upper=step["upper"])
    return design.adjust_nonresponse(
        step["classes"], response=step["response"], respondent=step["respondent"]
    )


def _design(case: dict[str, Any]) -> Design:
    design = Design(GOLDEN / case["data"], **case["design"])
    replicates = case["replicates"]
    if isinstance(replicates, dict):
        design = design.with_replicate_weights(**replicates)
    elif replicates:
        design = design.replicate(replicates)
    for step in case["steps"]:
        design = _apply(design, step)
    return design


def _estimate(design: Design, request: dict[str, Any]) -> Estimates:
    options = {"by": request["by"], "na_rm": request["na_rm"]}
    if request["statistic"] == "quantile":
        probs = request["probs"] if isinstance(request["probs"], list) else [request["probs"]]
        return design.quantile(request["variable"], probs, **options)
    if request["statistic"] == "total":
        return design.total(request["variable"], **options)
    return design.mean(request["variable"], **options)


def _domain(expected: dict[str, Any]) -> dict[str, Any] | None:
    domain = expected["domain"] or None
    if domain is None:
        return None
    return {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}


@pytest.mark.parametrize(
    ("case", "result"),
    [
        pytest.param(case, result, id=f"{case['name']}-{i}")
        for case in REFERENCE["cases"]
        for i, result in enumerate(case["results"])
    ],
)
def test_agrees_with_r(case: dict[str, Any], result: dict[str, Any]) -> None:
    request = result["request"]
    estimates = _estimate(_design(case), request)
    assert len(estimates) == len(result["estimates"])
    fields = ["estimate", "se"]
    if request["statistic"] == "quantile":
        fields += ["ci_lower", "ci_upper"]
    for expected in result["estimates"]:
        term = None if expected["term"] is None else f"{expected['term']:g}"
        actual = estimates.find(term=term, domain=_domain(expected))
        # an SE that is zero in exact arithmetic (the total of a calibration variable
        # over replicates) is convergence noise in both, below R's raking tolerance
        # times the estimate: such an SE is compared on that scale
        floor = R_EPSILON * abs(expected["estimate"])
        for field in fields:
            noise = floor if field == "se" and expected["se"] < floor else 0.0
            close = math.isclose(
                getattr(actual, field), expected[field], rel_tol=RELATIVE, abs_tol=noise
            )
            assert close, (
                field,
                getattr(actual, field),
                expected[field],
                expected["domain"],
            )


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["name"])
def test_degrees_of_freedom_agree_with_r(case: dict[str, Any]) -> None:
    # a re-weighted replicate design has the rank of its new replicate weights less one
    # (but for R's raking calibration, which keeps the whole design's), and a subset
    # of it, such as a domain of a quantile, the rank
    design = _design(case)
    row = design.total(case["results"][0]["request"]["variable"], na_rm=True)[0]
    assert row.df == case["degf"]
    variable = case["results"][0]["request"]["variable"]
    subset = design.quantile(variable, [0.5], where=f"{variable} IS NOT NULL", na_rm=True)[0]
    assert subset.df == case["subset_degf"]


def _case(name: str) -> dict[str, Any]:
    return next(c for c in REFERENCE["cases"] if c["name"] == name)


def _sizes(design: Design, column: str) -> dict[Any, float]:
    """Estimated population size at each level of a column (persons)."""
    rows = design.total(column, by=column)
    return {row.domain[column]: row.population for row in rows if row.domain is not None}


def test_steps_are_kept_in_order_and_the_last_one_holds_exactly() -> None:
    case = _case("nhanes_poststratify_rake")
    poststrata, raking = case["steps"]
    race = {row["race"]: row["Freq"] for row in poststrata["population"]}
    sex = {row["RIAGENDR"]: row["Freq"] for row in raking["margins"][0]}
    design = _design(case)
    assert [step.kind for step in design.steps] == ["poststratify", "rake"]
    assert design.raking is not None and design.poststrata is not None
    # raking, last, reproduces its margins; the post-strata only approximately
    for level, size in _sizes(design, "RIAGENDR").items():
        assert math.isclose(size, sex[level], rel_tol=1e-9)
    assert not all(
        math.isclose(size, race[level], rel_tol=1e-6)
        for level, size in _sizes(design, "race").items()
    )
    weights = design.weighted_data(weight_column="final").column("final").to_numpy()
    assert math.isclose(weights.sum(), 288e6, rel_tol=1e-9)
    # the other order is another design, in which the post-strata hold exactly
    base = Design(GOLDEN / case["data"], **case["design"])
    reverse = _apply(_apply(base, raking), poststrata)
    assert [step.kind for step in reverse.steps] == ["rake", "poststratify"]
    for level, size in _sizes(reverse, "race").items():
        assert math.isclose(size, race[level], rel_tol=1e-9)
    forward = design.total("HI_CHOL", na_rm=True)[0]
    backward = reverse.total("HI_CHOL", na_rm=True)[0]
    assert not math.isclose(forward.estimate, backward.estimate, rel_tol=1e-6)


def test_taylor_and_replicate_chains_agree_on_estimates() -> None:
    # the same chain on a Taylor and a JKn design: same estimates, close errors
    taylor = _design(_case("nhanes_poststratify_rake"))
    jkn = _design(_case("nhanes_poststratify_rake_jkn"))
    a, b = taylor.total("HI_CHOL", na_rm=True)[0], jkn.total("HI_CHOL", na_rm=True)[0]
    assert math.isclose(a.estimate, b.estimate, rel_tol=1e-12)
    assert 0.9 < a.se / b.se < 1.1


def test_trimming_composes_with_other_steps() -> None:
    case = _case("nhanes_poststratify_rake")
    base = Design(GOLDEN / case["data"], **case["design"])
    poststrata = case["steps"][0]
    post = _apply(base, poststrata)
    trimmed = post.trim_weights(upper=60000, strict=True)
    weights = trimmed.weighted_data(weight_column="final").column("final").to_numpy()
    assert weights.max() <= 60000 * (1 + 1e-12)
    assert math.isclose(weights.sum(), 288e6, rel_tol=1e-9)
    # trimming is not a projection: the post-stratification's residuals remain, with
    # the weights it produced (R's trimWeights leaves the design's postStrata alone)
    assert [step.kind for step in trimmed.steps] == ["poststratify", "trim"]
    assert trimmed.total("HI_CHOL", na_rm=True)[0].se > 0
    again = trimmed.poststratify("race", pa.Table.from_pylist(poststrata["population"]))
    sizes = {row["race"]: row["Freq"] for row in poststrata["population"]}
    for row in again.total("race", by="race"):
        assert row.domain is not None
        assert math.isclose(row.population, sizes[row.domain["race"]], rel_tol=1e-9)


def test_replicate_designs_refuse_trimming() -> None:
    case = _case("nhanes_poststratify_rake_jkn")
    design = Design(GOLDEN / case["data"], **case["design"]).replicate("jkn")
    with pytest.raises(SurveyInputError, match="trim the weights, then make the replicates"):
        design.trim_weights(upper=60000)
