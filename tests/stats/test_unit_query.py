"""`per_unit`: a query over the data keyed by each row's finest unit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from amargah.stats import Design
from amargah.stats.design import ROW_COLUMN
from amargah.stats.engine import DuckDBEngine
from amargah.stats.unit_query import STRATUM_ORDER_COLUMN, UNIT_COLUMN, per_unit


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


class _RecordingEngine(DuckDBEngine):
    """DuckDB that keeps every query it runs and the key bits it was allowed."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[tuple[str, int | None]] = []

    def execute(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        self.queries.append((query.sql(dialect=self.dialect), dense_group_bits))
        return super().execute(query, dense_group_bits=dense_group_bits)


def _survey(nest: bool) -> pa.Table:
    rng = np.random.default_rng(17)
    rows = 1200
    stratum = rng.integers(0, 6, rows)
    psu = rng.integers(0, 8, rows) if nest else stratum * 10 + rng.integers(0, 8, rows)
    return pa.table(
        {
            "stratum": pa.array(stratum, pa.int32()),
            "psu": pa.array(psu, pa.int32()),
            "region": pa.array(rng.integers(1, 5, rows), pa.int32()),
            "sex": rng.choice(["f", "m"], rows),
            "w": rng.uniform(1, 4, rows),
            "y": rng.gamma(2.0, 3.0, rows),
        }
    )


def _general_estimates(design: Design) -> list[dict[str, object]]:
    sexes = {"f": 1900.0, "m": 2100.0}
    rows = design.proportion("sex", by="region").to_dicts()
    rows += design.quantile("y", [0.25, 0.5], by="region").to_dicts()
    rows += design.poststratify("sex", sexes).mean("y", by="region").to_dicts()
    rows += (
        design.calibrate("~sex", {"(Intercept)": 4000.0, "sexm": 2100.0})
        .total("y", by="region")
        .to_dicts()
    )
    return rows


@pytest.mark.parametrize("nest", [False, True])
def test_rows_joined_to_their_unit_index_give_the_hashed_results(
    nest: bool, tmp_path: Path
) -> None:
    # a Parquet file's statistics give the region codes' range: the general path's
    # passes per unit and region then join rows to the unit's index and group by it
    table = _survey(nest)
    path = tmp_path / "survey.parquet"
    pq.write_table(table, path)
    options = {"ids": "psu", "strata": "stratum", "weights": "w", "nest": nest}
    engine = _RecordingEngine()
    dense = _general_estimates(Design(path, engine=engine, **options))  # type: ignore[arg-type]
    joined = [(sql, bits) for sql, bits in engine.queries if "AS amargah_k0" in sql]
    assert len(joined) >= 3 and all(bits is not None for _, bits in joined)
    # without nest the PSU number alone finds the unit
    assert all(("AS amargah_k1" in sql) == nest for sql, _ in joined)
    hashed = _general_estimates(Design(table, **options))  # type: ignore[arg-type]
    assert len(dense) == len(hashed) > 0
    for a, b in zip(dense, hashed, strict=True):
        assert (a["statistic"], a["term"], a["domain"], a["n"]) == (
            b["statistic"],
            b["term"],
            b["domain"],
            b["n"],
        )
        for field in ("estimate", "se", "df", "population"):
            assert a[field] == pytest.approx(b[field], rel=1e-9, abs=1e-12), (field, a, b)


def test_units_are_also_numbered_stratum_by_stratum() -> None:
    # strata met in the order 2, 1, 2, 3, 1, 3: the unit order follows first rows (as
    # R's replicate columns do), the second index groups each stratum's units together
    data = pa.table(
        {
            "stratum": [2, 1, 2, 3, 1, 3],
            "psu": [20, 10, 21, 30, 11, 31],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    design = Design(data, ids="psu", strata="stratum")
    units = design.units
    columns = ("k0", "k1", UNIT_COLUMN, STRATUM_ORDER_COLUMN)
    query = exp.select(*map(exp.column, columns)).from_(exp.to_table(units.relation))
    rows = sorted(design.engine.execute(query).to_pylist(), key=lambda r: r[UNIT_COLUMN])
    assert [r["k1"] for r in rows] == [20, 10, 21, 30, 11, 31]
    by_stratum = sorted(rows, key=lambda r: r[STRATUM_ORDER_COLUMN])
    assert [r[STRATUM_ORDER_COLUMN] for r in by_stratum] == [0, 1, 2, 3, 4, 5]
    # strata in the order of their values, units within a stratum in unit order
    assert [r["k1"] for r in by_stratum] == [10, 11, 20, 21, 30, 31]
