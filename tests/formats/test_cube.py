"""The cube model: validation, selection, latest periods, Arrow round trip."""

from __future__ import annotations

import pyarrow as pa
import pytest
from formats_support import MISSING, SUPPRESSED, rate_cube

from amargah.formats import Code, Cube, Dimension, Flag, Observation, Role, Text, cube_from_arrow


def test_select_keeps_code_list_order_and_only_chosen_cells(cube: Cube) -> None:
    sub = cube.select({"REF_AREA": ["S2002", "S2001"], "SEX": ["F"]})
    assert sub.dimension("REF_AREA").code_ids == ("S2001", "S2002")
    assert sub.shape == (2, 1, 3)
    assert set(sub.observations) == {
        k for k in cube.observations if k[0] in {"S2001", "S2002"} and k[1] == "F"
    }
    # The parent S20 was not chosen, so the counties lose it.
    assert all(c.parent is None for c in sub.dimension("REF_AREA").codes)
    assert cube.shape == (3, 3, 3)  # the original is untouched


def test_latest_keeps_the_last_periods(cube: Cube) -> None:
    assert cube.latest(2).dimension("TIME_PERIOD").code_ids == ("1401", "1402")
    assert cube.latest(10).shape == cube.shape


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ({"AGE": ["15-24"]}, "unknown dimension 'AGE'"),
        ({"SEX": ["X"]}, "unknown code 'X' in dimension 'SEX'"),
        ({"SEX": []}, "selection for dimension 'SEX' is empty"),
        ({"SEX": "M"}, "must be a list of codes"),
    ],
)
def test_bad_selection_names_the_culprit(cube: Cube, selection: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cube.select(selection)


def test_latest_needs_a_time_dimension_and_a_positive_count(pop_cube: Cube, cube: Cube) -> None:
    with pytest.raises(ValueError, match="no time dimension"):
        pop_cube.latest(1)
    with pytest.raises(ValueError, match="positive"):
        cube.latest(0)


def test_observation_key_with_unknown_code_is_refused(cube: Cube) -> None:
    with pytest.raises(ValueError, match="unknown code 'S2099' in dimension 'REF_AREA'"):
        Cube(
            id=cube.id,
            version="1.0",
            title=cube.title,
            dimensions=cube.dimensions,
            measures=cube.measures,
            observations={("S2099", "T", "1400"): Observation(1.0)},
        )


def test_suppressed_observation_cannot_carry_its_value() -> None:
    with pytest.raises(ValueError, match="confidential"):
        Observation(12.0, status=Flag.CONFIDENTIAL)


def test_ids_and_labels_are_checked() -> None:
    with pytest.raises(ValueError, match="code id 'a b'"):
        Code("a b", Text("الف", "a"))
    with pytest.raises(ValueError, match="text in 'en' is empty"):
        Text("سمنان", "")
    with pytest.raises(ValueError, match="parent 'X'"):
        Dimension("D", Text("د", "D"), (Code("A", Text("ا", "A"), parent="X"),))
    with pytest.raises(ValueError, match="more than one time dimension"):
        year = Dimension("Y", Text("س", "Y"), (Code("1", Text("۱", "1")),), role=Role.TIME)
        other = Dimension("Z", Text("ز", "Z"), (Code("1", Text("۱", "1")),), role=Role.TIME)
        c = rate_cube()
        Cube(
            id="X",
            version="1.0",
            title=c.title,
            dimensions=(year, other),
            measures=c.measures,
            observations={},
        )


def test_arrow_round_trip_is_exact(cube: Cube, multi_cube: Cube) -> None:
    for c in (cube, multi_cube):
        table = c.to_arrow()
        assert table.num_rows == len(c.observations)
        assert cube_from_arrow(table) == c
    assert MISSING not in cube_from_arrow(cube.to_arrow()).observations
    assert cube_from_arrow(cube.to_arrow()).get(SUPPRESSED) == Observation(
        None, status=Flag.CONFIDENTIAL
    )


def test_arrow_from_engine_columns(cube: Cube) -> None:
    """An engine result: dimension columns, 'estimate', 'se'; metadata given by the caller."""
    table = pa.table(
        {
            "SEX": ["M", "F"],
            "REF_AREA": ["S20", "S20"],
            "TIME_PERIOD": ["1402", "1402"],
            "estimate": [10.5, 11.25],
            "se": [0.5, 0.25],
            "deff": [1.2, 1.1],
        }
    )
    built = cube_from_arrow(
        table,
        value_column="estimate",
        id="X",
        version="1.0",
        title=cube.title,
        dimensions=cube.dimensions,
        measures=cube.measures,
    )
    assert built.get(("S20", "F", "1402")) == Observation(11.25, se=0.25)
    assert len(built.observations) == 2
    with pytest.raises(ValueError, match="no column 'value'"):
        cube_from_arrow(
            table,
            id="X",
            version="1.0",
            title=cube.title,
            dimensions=cube.dimensions,
            measures=cube.measures,
        )


def test_arrow_from_stats_estimates(cube: Cube) -> None:
    """The engine's own result type: domains as a map column, the year given as a column."""
    from amargah.stats.results import Estimate, Estimates

    def estimate(county: str, sex: str, value: float) -> Estimate:
        return Estimate(
            "mean", "unemployed", None, {"county": county, "sex": sex},
            value, 0.4, value - 0.8, value + 0.8, 0.4 / value, 1.1, 30.0, 400, 1e5,
        )  # fmt: skip

    table = Estimates((estimate("S2001", "M", 9.5), estimate("S2002", "F", 12.25))).to_arrow()
    table = table.append_column("year", pa.array(["1402", "1402"]))
    built = cube_from_arrow(
        table,
        value_column="estimate",
        dimension_columns={"REF_AREA": "domain:county", "SEX": "domain:sex", "TIME_PERIOD": "year"},
        id="X",
        version="1.0",
        title=cube.title,
        dimensions=cube.dimensions,
        measures=cube.measures,
    )
    assert built.get(("S2002", "F", "1402")) == Observation(
        12.25, se=0.4, ci_lower=11.45, ci_upper=13.05, cv=0.4 / 12.25
    )
    with pytest.raises(ValueError, match="no 'age' for dimension 'SEX'"):
        cube_from_arrow(
            table,
            value_column="estimate",
            dimension_columns={
                "REF_AREA": "domain:county",
                "SEX": "domain:age",
                "TIME_PERIOD": "year",
            },
            id="X",
            version="1.0",
            title=cube.title,
            dimensions=cube.dimensions,
            measures=cube.measures,
        )


def test_selecting_a_measure_keeps_cube_and_writers_consistent(multi_cube: Cube) -> None:
    from amargah.formats.jsonstat import jsonstat_dataset
    from amargah.formats.px import write_px

    one = multi_cube.select({"INDICATOR": ["UNEMP_RATE"]})
    assert [m.id for m in one.measures] == ["UNEMP_RATE"]
    assert one.dimension("INDICATOR").code_ids == ("UNEMP_RATE",)
    doc = jsonstat_dataset(one, lang="en")
    assert list(doc["dimension"]["INDICATOR"]["category"]["unit"]) == ["UNEMP_RATE"]
    assert b'UNITS[en]("Unemployment rate")="percent";' in write_px(one)
    assert b"Activity rate" not in write_px(one)
