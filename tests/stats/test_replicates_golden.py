"""Replicate-weight designs against R `survey` 4.1.1.

Reference numbers: tests/golden/replicates.json, written by tests/golden/R/replicates.R
(as.svrepdesign with JK1, JK1 with mse, JKn with fpc, JKn with lonely PSUs, BRR and Fay
on the NHANES strata with two PSUs, and svrepdesign over R's own bootstrap weights).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from amargah.stats import Design, Estimates, ReplicateDesign, SurveyInputError
from amargah.stats.estimation.hadamard import sylvester_hadamard

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "replicates.json").read_text())
RELATIVE = 1e-6


def _replicate_design(case: dict[str, Any]) -> ReplicateDesign:
    design = Design(GOLDEN / case["data"], **case["design"])
    options = dict(case["replicates"])
    if "columns" in options:
        columns = options.pop("columns")
        return design.with_replicate_weights(columns, **options)
    method = options.pop("method")
    return design.replicate(method, **options)


def _params() -> list[Any]:
    return [
        pytest.param(case, result, id=f"{case['name']}-{i}")
        for case in REFERENCE["cases"]
        for i, result in enumerate(case["results"])
    ]


def _estimate(design: ReplicateDesign, request: dict[str, Any]) -> Estimates:
    options = {"by": request["by"], "na_rm": request["na_rm"]}
    if request["statistic"] == "ratio":
        return design.ratio(request["variable"], request["denominator"], **options)
    if request["statistic"] == "total":
        return design.total(request["variable"], **options)
    if request["statistic"] == "mean":
        return design.mean(request["variable"], **options)
    return design.proportion(request["variable"], **options)


@pytest.mark.parametrize(("case", "result"), _params())
def test_agrees_with_r(case: dict[str, Any], result: dict[str, Any]) -> None:
    estimates = _estimate(_replicate_design(case), result["request"])
    assert len(estimates) == len(result["estimates"])
    for expected in result["estimates"]:
        domain = expected["domain"] or None
        if domain is not None:
            domain = {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}
        actual = estimates.find(variable=expected["variable"], term=expected["term"], domain=domain)
        for field in ("estimate", "se"):
            assert math.isclose(
                getattr(actual, field), expected[field], rel_tol=RELATIVE, abs_tol=1e-12
            ), (field, getattr(actual, field), expected[field], domain, expected["term"])


def test_sylvester_matrix_is_hadamard() -> None:
    h = 2 * sylvester_hadamard(16) - 1
    assert np.array_equal(h @ h.T, 16 * np.eye(16))


def test_bootstrap_variance_is_close_to_taylor() -> None:
    # Rao-Wu with n_h - 1 draws is unbiased for a total: with many replicates the
    # replicate variance is near the Taylor (with-replacement) variance
    design = Design(
        GOLDEN / "data" / "nhanes.csv",
        ids="SDMVPSU",
        strata="SDMVSTRA",
        weights="WTMEC2YR",
        nest=True,
    )
    taylor = design.total("HI_CHOL", na_rm=True)[0].se
    boot = design.replicate("bootstrap", replicates=4000, seed=7).total("HI_CHOL", na_rm=True)
    assert math.isclose(boot[0].se, taylor, rel_tol=0.05)
    again = design.replicate("bootstrap", replicates=4000, seed=7).total("HI_CHOL", na_rm=True)
    assert again[0].se == boot[0].se


def test_replicate_methods_check_the_design() -> None:
    table = pa.table({"h": [1, 1, 2, 2, 2], "psu": [1, 2, 1, 2, 3], "y": [1.0, 2, 3, 4, 5]})
    stratified = Design(table, ids="psu", strata="h", nest=True)
    with pytest.raises(SurveyInputError, match="JK1 is for unstratified"):
        stratified.replicate("jk1")
    with pytest.raises(SurveyInputError, match=r"an odd number \(3\)"):
        stratified.replicate("brr")
    with pytest.raises(SurveyInputError, match="needs a stratified design"):
        Design(table).replicate("brr")
    with pytest.raises(SurveyInputError, match="JKn is for stratified"):
        Design(table).replicate("jkn")


QUANTILES = json.loads((GOLDEN / "replicate_quantiles.json").read_text())


@pytest.mark.parametrize("case", QUANTILES["cases"], ids=lambda c: c["name"])
def test_replicate_quantiles_and_df_agree_with_r(case: dict[str, Any]) -> None:
    design = _replicate_design(case)
    post = case.get("poststratify")
    if post:
        design = design.poststratify(post["column"], pa.Table.from_pylist(post["population"]))
    calibration = case.get("calibrate")
    if calibration:
        design = design.calibrate(calibration["formula"], calibration["totals"])
    probs = case["probs"] if isinstance(case["probs"], list) else [case["probs"]]
    estimates = design.quantile(
        case["variable"], probs, by=case["by"], na_rm=bool(case.get("na_rm"))
    )
    assert len(estimates) == len(case["estimates"])
    for expected in case["estimates"]:
        domain = expected["domain"] or None
        if domain is not None:
            domain = {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}
        row = estimates.find(term=f"{expected['term']:g}", domain=domain)
        # each domain's own degrees of freedom, as R's svyby takes them from the subset
        assert row.df == expected["degf"]
        for field in ("estimate", "se", "ci_lower", "ci_upper"):
            if isinstance(expected[field], str):  # R's NaN: an interval end beyond the data
                assert math.isnan(getattr(row, field))
                continue
            assert math.isclose(getattr(row, field), expected[field], rel_tol=1e-6), (
                field,
                getattr(row, field),
                expected[field],
                domain,
            )


CIPROP = json.loads((GOLDEN / "replicate_ciprop.json").read_text())


def test_replicate_ciprop_agrees_with_r() -> None:
    design = Design(
        GOLDEN / CIPROP["data"],
        ids="SDMVPSU",
        strata="SDMVSTRA",
        weights="WTMEC2YR",
        nest=True,
    ).replicate("jkn")
    estimates = design.ciprop("HI_CHOL", 1, by="RIAGENDR", na_rm=True)
    for expected in CIPROP["estimates"]:
        row = estimates.find(domain={"RIAGENDR": expected["RIAGENDR"]})
        for field in ("estimate", "se", "ci_lower", "ci_upper"):
            assert math.isclose(getattr(row, field), expected[field], rel_tol=1e-6), field


def test_replicate_ciprop_by_domains_missing_psus_agrees_with_r() -> None:
    design = Design(
        GOLDEN / "data/synthetic.csv", ids="psu_ok", strata="stratum_ok", weights="w", nest=True
    ).replicate("jkn")
    estimates = design.ciprop("employed", 1, by="region")
    expected_rows = CIPROP["synthetic_jkn_employed_by_region"]
    assert len(estimates) == len(expected_rows)
    for expected in expected_rows:
        row = estimates.find(domain={"region": expected["region"]})
        assert row.df == expected["degf"]
        for field in ("estimate", "se", "ci_lower", "ci_upper"):
            assert math.isclose(getattr(row, field), expected[field], rel_tol=1e-6), field
