"""`per_unit`: a query over the data keyed by each row's finest unit."""

from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from amargah.stats import Design
from amargah.stats.design import ROW_COLUMN
from amargah.stats.unit_query import per_unit


def _design() -> Design:
    data = pa.table(
        {
            "stratum": [1, 1, 1, 2, 2, 2],
            "psu": [1, 1, 2, 1, 2, 2],
            "group": ["a", "b", "a", "a", "a", "a"],
            "y": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
        }
    )
    return Design(data, ids="psu", strata="stratum", nest=True)


def test_sums_per_unit_and_the_query_s_own_groups() -> None:
    design = _design()
    group = design.column("group")
    inner = design.select_from(
        group.copy().as_("g0"), exp.func("sum", design.number("y")).as_("y")
    ).group_by(group.copy())
    before = inner.sql(dialect="duckdb")
    query = per_unit(design, inner, ["g0", "y"]).order_by("unit", "g0")
    rows = design.engine.execute(query).to_pylist()
    assert rows == [
        {"unit": 0, "g0": "a", "y": 1.0},
        {"unit": 0, "g0": "b", "y": 2.0},
        {"unit": 1, "g0": "a", "y": 4.0},
        {"unit": 2, "g0": "a", "y": 8.0},
        {"unit": 3, "g0": "a", "y": 48.0},
    ]
    assert inner.sql(dialect="duckdb") == before  # the caller's query is not changed


def test_a_query_without_groups_sums_per_unit() -> None:
    design = _design()
    inner = design.select_from(exp.func("count", exp.Star()).as_("n"))
    rows = design.engine.execute(per_unit(design, inner, ["n"]).order_by("unit")).to_pylist()
    assert [(r["unit"], r["n"]) for r in rows] == [(0, 2), (1, 1), (2, 1), (3, 2)]


def test_ungrouped_keeps_one_row_per_data_row() -> None:
    design = _design()
    row = exp.column(ROW_COLUMN, quoted=True)
    inner = exp.select(row).from_(exp.to_table(design.source))
    query = per_unit(design, inner, [], grouped=False).order_by(
        exp.column(ROW_COLUMN, table="a", quoted=True)
    )
    assert design.engine.execute(query).column("unit").to_pylist() == [0, 0, 1, 2, 3, 3]


def test_renders_for_spark() -> None:
    design = _design()
    inner = design.select_from(exp.func("sum", design.number("y")).as_("y"))
    sql = per_unit(design, inner, ["y"]).sql(dialect="spark")
    assert "GROUP BY `stratum`, `psu`" in sql
    assert "JOIN " + design.units.relation + " AS u ON a.k0 = u.k0 AND a.k1 = u.k1" in sql
