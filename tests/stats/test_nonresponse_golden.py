"""Nonresponse adjustment within weighting classes, against R `survey` 4.1.1.

Reference: tests/golden/nonresponse.json from tests/golden/R/nonresponse.R, where the
adjustment is R's postStratify of the respondents to the classes' full-sample weighted
totals (R has no function of its own for it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from amargah.stats import Design, SurveyInputError

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "nonresponse.json").read_text())


def _design() -> Design:
    return Design(
        GOLDEN / REFERENCE["data"], ids="psu_ok", strata="stratum_ok", weights="w", nest=True
    )


def test_agrees_with_r() -> None:
    adjusted = _design().adjust_nonresponse(REFERENCE["classes"], response="responded")
    mean = adjusted.mean("y", na_rm=True)[0]
    total = adjusted.total("x")[0]
    for row, expected in ((mean, REFERENCE["mean_y"]), (total, REFERENCE["total_x"])):
        assert math.isclose(row.estimate, expected["estimate"], rel_tol=1e-6)
        assert math.isclose(row.se, expected["se"], rel_tol=1e-6)
    by_sex = adjusted.mean("x", by="sex")
    for expected in REFERENCE["mean_x_by_sex"]:
        row = by_sex.find(domain={"sex": expected["sex"]})
        assert math.isclose(row.estimate, expected["estimate"], rel_tol=1e-6)
        assert math.isclose(row.se, expected["se"], rel_tol=1e-6)
    # nonrespondents weigh nothing; respondents carry the whole sample's weight
    weights = adjusted.weighted_data(weight_column="adjusted")
    assert math.isclose(sum(weights.column("adjusted").to_pylist()), REFERENCE["weight_sum"])
    respondents = sum(weights.column("responded").to_pylist())
    assert total.n == respondents  # nonrespondents stay in the design with weight zero


def test_a_class_without_respondents_is_an_error() -> None:
    with pytest.raises(SurveyInputError, match="has no respondents"):
        _design().adjust_nonresponse("x", response="responded")


def test_weight_command_adjusts_for_nonresponse(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    import typer
    from typer.testing import CliRunner

    from amargah.stats.cli import register

    app = typer.Typer()
    register(app)
    out = tmp_path / "adjusted.parquet"
    result = CliRunner().invoke(
        app,
        [
            "weight",
            str(GOLDEN / REFERENCE["data"]),
            "--ids",
            "psu_ok",
            "--strata",
            "stratum_ok",
            "--weights",
            "w",
            "--nest",
            "--nonresponse",
            REFERENCE["classes"],
            "--response",
            "responded",
            "--respondent",
            "1",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    weights = pq.read_table(out).column("weight_final").to_pylist()
    assert math.isclose(sum(weights), REFERENCE["weight_sum"])
    trimmed = CliRunner().invoke(
        app,
        [
            "weight",
            str(GOLDEN / REFERENCE["data"]),
            "--weights",
            "w",
            "--trim-upper",
            "30",
            "--trim-strict",
            "--output",
            str(out),
        ],
    )
    assert trimmed.exit_code == 0, trimmed.output
    assert max(pq.read_table(out).column("weight_final").to_pylist()) <= 30 + 1e-9
