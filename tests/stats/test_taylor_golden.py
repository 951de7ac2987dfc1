"""Taylor-linearised estimates against R `survey` 4.1.1.

Reference numbers: tests/golden/taylor.json, written by tests/golden/R/taylor.R from
survey's own datasets (election, scd, fpc, mu284, nhanes) and a synthetic two-stage
sample (tests/golden/R/synthetic.R). Each case records the svydesign() call and the
equivalent Design arguments; each estimate R's coef, SE, deff and confint().
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from amargah.stats import Design, Estimates

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "taylor.json").read_text())
RELATIVE = 1e-6


def _cases() -> list[Any]:
    params = []
    for case in REFERENCE["cases"]:
        for i, result in enumerate(case["results"]):
            request = result["request"]
            label = f"{case['name']}-{i}-{request['statistic']}-{request['variable']}"
            params.append(pytest.param(case, result, id=label))
    return params


_designs: dict[str, Design] = {}


def _design(case: dict[str, Any]) -> Design:
    if case["name"] not in _designs:
        _designs[case["name"]] = Design(GOLDEN / case["data"], **case["design"])
    return _designs[case["name"]]


def _estimate(design: Design, request: dict[str, Any]) -> Estimates:
    options: dict[str, Any] = {"by": request["by"], "na_rm": request["na_rm"]}
    if request["where"] is not None:
        options["where"] = request["where"]["sql"]
    statistic = request["statistic"]
    if statistic == "ratio":
        return design.ratio(request["variable"], request["denominator"], **options)
    if statistic == "total":
        return design.total(request["variable"], **options)
    if statistic == "mean":
        return design.mean(request["variable"], **options)
    return design.proportion(request["variable"], **options)


def _close(actual: float, expected: float | str) -> bool:
    if isinstance(expected, str):  # R's NaN, NA or Inf (e.g. deff when N = n)
        if expected == "Inf":
            return actual == math.inf
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=1e-9)


@pytest.mark.parametrize(("case", "result"), _cases())
def test_agrees_with_r(case: dict[str, Any], result: dict[str, Any]) -> None:
    design = _design(case)
    estimates = _estimate(design, result["request"])
    # a domain R lists whose rows are all missing has no estimate in either
    expected_rows = [r for r in result["estimates"] if not isinstance(r["estimate"], str)]
    assert len(estimates) == len(expected_rows)
    for expected in expected_rows:
        domain = expected["domain"] or None
        if domain is not None:
            domain = {k: v[0] if isinstance(v, list) else v for k, v in domain.items()}
        actual = estimates.find(variable=expected["variable"], term=expected["term"], domain=domain)
        for field in ("estimate", "se", "deff", "ci_lower", "ci_upper"):
            assert _close(getattr(actual, field), expected[field]), (
                field,
                getattr(actual, field),
                expected[field],
                domain,
                expected["term"],
            )
