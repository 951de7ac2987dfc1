"""Quantiles (Woodruff), svyciprop (logit) and t quantiles against R `survey` 4.1.1.

Reference numbers: tests/golden/quantiles.json, written by tests/golden/R/quantiles.R
(R's svyquantile with ci=TRUE, svyciprop(method="logit"), degf() of each domain subset,
and qt()).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from amargah.stats import Design, Estimates
from amargah.stats.distributions import t_quantile

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "quantiles.json").read_text())
RELATIVE = 1e-6


def _close(actual: float, expected: float | str) -> bool:
    if isinstance(expected, str):  # R's NaN / NA
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=1e-12)


def _domain(expected: dict[str, Any]) -> dict[str, Any] | None:
    domain = expected["domain"] or None
    if domain is None:
        return None
    return {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}


def _run(case: dict[str, Any]) -> Estimates:
    design = Design(GOLDEN / case["data"], **case["design"])
    options: dict[str, Any] = {"by": case["by"], "na_rm": case["na_rm"]}
    if case["kind"] == "quantile":
        if case.get("where"):
            options["where"] = case["where"]
        probs = case["probs"] if isinstance(case["probs"], list) else [case["probs"]]
        return design.quantile(case["variable"], probs, qrule=case["qrule"], **options)
    return design.ciprop(case["variable"], case["category"], **options)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["name"])
def test_agrees_with_r(case: dict[str, Any]) -> None:
    estimates = _run(case)
    assert len(estimates) == len(case["estimates"])
    for expected in case["estimates"]:
        term = None
        if case["kind"] == "quantile":
            term = f"{expected['term']:g}"
        actual = estimates.find(domain=_domain(expected), term=term)
        for field in ("estimate", "se", "ci_lower", "ci_upper", "df"):
            assert _close(getattr(actual, field), expected[field]), (
                field,
                getattr(actual, field),
                expected[field],
                expected["domain"],
                term,
            )


@pytest.mark.parametrize("row", REFERENCE["t_quantiles"], ids=lambda r: f"{r['p']}-{r['df']}")
def test_t_quantile_agrees_with_r_qt(row: dict[str, float]) -> None:
    assert math.isclose(t_quantile(row["p"], row["df"]), row["q"], rel_tol=1e-10)


def test_quantile_options_are_checked() -> None:
    design = Design(GOLDEN / "data" / "fpc.csv", weights="weight")
    with pytest.raises(ValueError, match="qrule"):
        design.quantile("x", 0.5, qrule="hf7")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        design.quantile("x", 1.5)
