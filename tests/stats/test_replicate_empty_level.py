"""A replicate with no sample in a post-stratum, raking level, weighting class or
calibration term, and calibration equations without a single solution.

The level's rows all lie in PSUs that the replicate leaves out, so the replicate's
weights cannot be scaled to the level's population. R's ``postStratify`` and ``rake``
give such a replicate ``NaN`` weights and then fail in ``degf``, and its ``calibrate``
stops in ``solve``; Amargah refuses the weighting step with a message that names the
replicate, the level and the column (or the calibration term).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from amargah.stats import Design, SurveyInputError
from amargah.stats.cli import register

# Two strata of two PSUs, three rows each. Level "b" of g lies only in PSU 1 of
# stratum 1, so the jackknife replicate that drops PSU 1 (the first, for JK1 and JKn)
# and the BRR replicates that keep PSU 2 of stratum 1 have no sample in it.
ROWS = [
    # stratum, psu, g, h, response, weight, y
    (1, 1, "a", "x", 1, 10.0, 3.0),
    (1, 1, "b", "y", 1, 10.0, 5.0),
    (1, 1, "b", "x", 0, 10.0, 4.0),
    (1, 2, "a", "y", 1, 12.0, 6.0),
    (1, 2, "a", "x", 1, 12.0, 2.0),
    (1, 2, "a", "y", 0, 12.0, 7.0),
    (2, 3, "a", "x", 1, 8.0, 1.0),
    (2, 3, "a", "y", 1, 8.0, 8.0),
    (2, 3, "a", "x", 1, 8.0, 3.0),
    (2, 4, "a", "y", 1, 9.0, 4.0),
    (2, 4, "a", "x", 0, 9.0, 6.0),
    (2, 4, "a", "y", 1, 9.0, 5.0),
]
COLUMNS = ["stratum", "psu", "g", "h", "response", "weight", "y"]
POPULATION_G = pa.table({"g": ["a", "b"], "Freq": [90.0, 40.0]})
POPULATION_H = pa.table({"h": ["x", "y"], "Freq": [70.0, 60.0]})


def _table() -> pa.Table:
    columns = zip(*ROWS, strict=True)
    return pa.table({name: list(values) for name, values in zip(COLUMNS, columns, strict=True)})


def _design(*, stratified: bool = True) -> Design:
    strata = {"strata": "stratum"} if stratified else {}
    return Design(_table(), ids="psu", weights="weight", **strata)


@pytest.mark.parametrize(
    ("scheme", "replicate"),
    [("jkn", 1), ("jk1", 1), ("brr", None)],
)
def test_poststratification_refuses_the_replicate_and_names_the_level(
    scheme: str, replicate: int | None
) -> None:
    design = _design(stratified=scheme != "jk1").replicate(scheme)
    with pytest.raises(SurveyInputError, match=r"has no sample in post-stratum b") as caught:
        design.poststratify("g", POPULATION_G)  # refused as the step is made
    assert caught.value.column == "g"
    if replicate is not None:
        assert f"replicate {replicate} has" in str(caught.value)
    else:  # BRR: the first replicate that keeps PSU 2 of stratum 1, and others
        assert "more) has no sample" in str(caught.value)


def test_a_level_every_replicate_keeps_is_accepted() -> None:
    # Level "y" of h has rows in every PSU: every replicate can be scaled to it.
    design = _design().replicate("jkn").poststratify("h", POPULATION_H)
    (row,) = design.mean("y")
    assert row.se > 0


def test_raking_refuses_the_replicate_and_names_the_margin_level() -> None:
    design = _design().replicate("jkn")
    with pytest.raises(SurveyInputError, match=r"replicate 1 has no sample in margin level b"):
        design.rake([("h", POPULATION_H), ("g", POPULATION_G)])


def test_a_chain_refuses_the_replicate_at_its_own_step() -> None:
    design = _design(stratified=False).replicate("jk1").poststratify("h", POPULATION_H)
    refused = r"replicate 1 has no sample in post-stratum b"
    with pytest.raises(SurveyInputError, match=refused) as caught:
        design.poststratify("g", POPULATION_G)
    assert caught.value.column == "g"


def test_nonresponse_refuses_a_replicate_without_respondents_in_a_class() -> None:
    design = _design().replicate("jkn")
    refused = r"replicate 1 has no respondents in weighting class b,"
    with pytest.raises(SurveyInputError, match=refused):
        design.adjust_nonresponse("g", response="response")


def test_the_command_line_exits_2_with_the_message(tmp_path: Path) -> None:
    data = tmp_path / "survey.csv"
    data.write_text(",".join(COLUMNS) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in ROWS))
    population = tmp_path / "g.csv"
    population.write_text("g,Freq\na,90\nb,40\n")
    application = typer.Typer()
    register(application)

    @application.command("version")
    def version() -> None:  # a second command so that "estimate" is a subcommand
        typer.echo("test")

    arguments = ["estimate", str(data), "--ids", "psu", "--strata", "stratum"]
    arguments += ["--weights", "weight", "--replicates", "jkn", "--mean", "y"]
    refused = CliRunner().invoke(application, [*arguments, "--poststratify", f"g={population}"])
    assert refused.exit_code == 2
    assert "column 'g': replicate 1 has no sample in post-stratum b" in refused.stderr
    assert refused.stdout == ""
    # without the weighting step the same replicates answer
    answered = CliRunner().invoke(application, arguments)
    assert answered.exit_code == 0, answered.output
    assert json.loads(answered.stdout)["estimates"][0]["se"] > 0
    totals = tmp_path / "totals.json"
    totals.write_text(json.dumps({"(Intercept)": 130, "gb": 40}))
    calibration = ["--calibrate", "~g", "--totals", str(totals)]
    singular = CliRunner().invoke(application, [*arguments, *calibration])
    assert singular.exit_code == 2
    assert "replicate 1 has no weight in calibration term gb" in singular.stderr


TOTALS_G = {"(Intercept)": 130.0, "gb": 40.0}
CalibrationFunction = Literal["linear", "raking"]


@pytest.mark.parametrize("calfun", ["linear", "raking"])
def test_calibration_refuses_a_replicate_without_a_level(calfun: CalibrationFunction) -> None:
    # R's calibrate stops in solve ("system is exactly singular") for the linear case
    design = _design().replicate("jkn")
    refused = r"replicate 1 has no weight in calibration term gb, so it cannot be calibrated"
    with pytest.raises(SurveyInputError, match=refused):
        design.calibrate("~g", TOTALS_G, calfun=calfun)
    # the full sample has weight in every term: calibrated as asked
    (row,) = _design().calibrate("~g", TOTALS_G, calfun=calfun).total("y")
    assert row.population == pytest.approx(130.0)


@pytest.mark.parametrize("calfun", ["linear", "raking"])
def test_calibration_refuses_a_term_without_sample_weight(calfun: CalibrationFunction) -> None:
    table = _table().append_column("zero", pa.array([0.0] * len(ROWS)))
    design = Design(table, ids="psu", strata="stratum", weights="weight")
    with pytest.raises(SurveyInputError, match="the sample has no weight in calibration term zero"):
        design.calibrate("~zero", {"(Intercept)": 130.0, "zero": 5.0}, calfun=calfun)


def test_calibration_refuses_collinear_terms_and_names_them() -> None:
    table = _table()
    table = table.append_column("double", pa.compute.multiply(table["y"], 2.0))
    design = Design(table, ids="psu", strata="stratum", weights="weight")
    totals = {"(Intercept)": 130.0, "y": 700.0, "double": 1400.0}
    with pytest.raises(
        SurveyInputError, match=r"calibration terms y, double are collinear in the sample"
    ):
        design.calibrate("~y+double", totals)
