"""Cross-tabulation with all margins, against R's xtabs() + addmargins().

Reference: tests/golden/tabulate.json from tests/golden/R/tabulate.R (NHANES, race x
age group x sex, weighted by WTMEC2YR and unweighted).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pytest

from amargah.stats import SurveyInputError
from amargah.stats.tabulation import cross_tabulate

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "tabulate.json").read_text())


def test_every_cell_and_margin_agrees_with_r() -> None:
    variables = REFERENCE["variables"]
    table = cross_tabulate(GOLDEN / REFERENCE["data"], variables, weights=REFERENCE["weights"])
    assert len(table) == len(REFERENCE["cells"])
    for expected in REFERENCE["cells"]:
        levels = {}
        for v in variables:
            if expected[v] != "Sum":
                # R's factor labels are text; the data's race and sex are integers
                levels[v] = int(expected[v]) if v != "agecat" else expected[v]
        row = table.cell(**levels)
        assert row["count"] == expected["count"]
        assert math.isclose(row["weighted"], expected["weighted"], rel_tol=1e-9)


def test_unweighted_table_without_margins_and_with_a_condition() -> None:
    data = pa.table({"a": ["x", "x", "y", None], "b": [1, 2, 1, 1], "w": [1.0, 2, 3, 4]})
    table = cross_tabulate(data, "a,b", margins="none", where="b = 1")
    assert not table.weighted
    assert sorted((r["a"] or "", r["count"]) for r in table.to_dicts()) == [
        ("", 1),
        ("x", 1),
        ("y", 1),
    ]
    assert all(r["margin"] == "" for r in table.to_dicts())


def test_missing_levels_are_not_confused_with_margins() -> None:
    data = pa.table({"a": ["x", None, None], "w": [1.0, 2, 3]})
    table = cross_tabulate(data, ["a"], weights="w")
    rows = {(r["a"], r["margin"]): r["weighted"] for r in table.to_dicts()}
    assert rows == {("x", ""): 1.0, (None, ""): 5.0, (None, "a"): 6.0}


def test_bad_requests_name_the_column() -> None:
    data = pa.table({"a": ["x"], "w": ["heavy"]})
    with pytest.raises(SurveyInputError, match="'zz': no such column"):
        cross_tabulate(data, ["zz"])
    with pytest.raises(SurveyInputError, match="'w': weights must be numeric"):
        cross_tabulate(data, ["a"], weights="w")
    with pytest.raises(SurveyInputError, match="'a': a variable to tabulate by is given twice"):
        cross_tabulate(data, "a,a")
    negative = pa.table({"a": ["x", "y"], "w": [2.0, -1.5]})
    with pytest.raises(SurveyInputError, match=r"'w': negative weights \(the lowest is -1\.5\)"):
        cross_tabulate(negative, ["a"], weights="w")


def test_tabulate_command(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from amargah.stats.cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "tabulate",
            str(GOLDEN / REFERENCE["data"]),
            "--by",
            "race,RIAGENDR",
            "--weights",
            "WTMEC2YR",
        ],
    )
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["cells"]
    total = next(c for c in cells if c["margin"] == "race,RIAGENDR")
    expected = next(
        c
        for c in REFERENCE["cells"]
        if c["race"] == "Sum" and c["agecat"] == "Sum" and c["RIAGENDR"] == "Sum"
    )
    assert math.isclose(total["weighted"], expected["weighted"], rel_tol=1e-9)
    bad = runner.invoke(app, ["tabulate", str(GOLDEN / REFERENCE["data"]), "--by", "nope"])
    assert bad.exit_code == 2
    assert "column 'nope'" in bad.stderr
