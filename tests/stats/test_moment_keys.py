"""The moment path's group keys and skipped counts give the general path's numbers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from amargah.stats import Design, SurveyInputError
from amargah.stats.engine import DuckDBEngine
from amargah.stats.estimation import moments
from amargah.stats.unit_query import STRATUM_ORDER_COLUMN, UNIT_COLUMN, dense_group_bits

STRATA, PSUS, ROWS = 6, 5, 900


class _RecordingEngine(DuckDBEngine):
    """DuckDB that keeps the SQL of every query it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def execute(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        self.queries.append(query.sql(dialect=self.dialect))
        return super().execute(query, dense_group_bits=dense_group_bits)


def _sample(seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, STRATA, ROWS)
    psu = rng.integers(0, PSUS, ROWS)
    return {
        "stratum": stratum,
        "psu": psu,
        "w": rng.uniform(1, 5, ROWS),
        "y": rng.normal(10, 3, ROWS) + psu,
        "x": rng.gamma(2.0, 2.0, ROWS) + 1,
        "d": rng.integers(0, 4, ROWS),
        "e": rng.integers(0, 3, ROWS),
    }


def _unique_psu(s: dict[str, np.ndarray]) -> np.ndarray:
    return s["stratum"] * PSUS + s["psu"]


# each layout names the data columns and the design options; the keys differ in type,
# sign and range, and the PSU numbers are unique across strata or only within them
LAYOUTS: dict[str, Callable[[dict[str, np.ndarray]], tuple[pa.Table, dict[str, object]]]] = {
    "int32 keys": lambda s: (
        pa.table(
            {
                "stratum": pa.array(s["stratum"], pa.int32()),
                "psu": pa.array(_unique_psu(s), pa.int32()),
                "d": pa.array(s["d"], pa.int32()),
                "e": pa.array(s["e"], pa.int32()),
                "w": s["w"],
                "y": s["y"],
                "x": s["x"],
            }
        ),
        {"ids": "psu", "strata": "stratum"},
    ),
    "negative and unsigned keys": lambda s: (
        pa.table(
            {
                "stratum": pa.array(s["stratum"] - 3, pa.int64()),
                "psu": pa.array(_unique_psu(s) + 60000, pa.uint16()),
                "d": pa.array(s["d"] - 2, pa.int8()),
                "e": pa.array(s["e"], pa.uint32()),
                "w": s["w"],
                "y": s["y"],
                "x": s["x"],
            }
        ),
        {"ids": "psu", "strata": "stratum"},
    ),
    "text strata": lambda s: (
        pa.table(
            {
                "stratum": pa.array([f"s{v}" for v in s["stratum"]]),
                "psu": pa.array(_unique_psu(s), pa.int32()),
                "d": pa.array(s["d"], pa.int16()),
                "e": pa.array([f"e{v}" for v in s["e"]]),
                "w": s["w"],
                "y": s["y"],
                "x": s["x"],
            }
        ),
        {"ids": "psu", "strata": "stratum"},
    ),
    "nested PSU numbers": lambda s: (
        pa.table(
            {
                "stratum": pa.array(s["stratum"] * 10, pa.int32()),
                "psu": pa.array(s["psu"], pa.int32()),
                "d": pa.array(s["d"], pa.int32()),
                "e": pa.array(s["e"], pa.int32()),
                "w": s["w"],
                "y": s["y"],
                "x": s["x"],
            }
        ),
        {"ids": "psu", "strata": "stratum", "nest": True},
    ),
    "wide keys": lambda s: (
        pa.table(
            {
                "stratum": pa.array(s["stratum"], pa.int32()),
                # PSU numbers spread over 10**17: too wide to pack with a domain
                "psu": pa.array(_unique_psu(s) * 10**16, pa.int64()),
                "d": pa.array(s["d"] * 10**12, pa.int64()),
                "e": pa.array(s["e"], pa.int32()),
                "w": s["w"],
                "y": s["y"],
                "x": s["x"],
            }
        ),
        {"ids": "psu", "strata": "stratum"},
    ),
    "no strata": lambda s: (
        pa.table(
            {
                "psu": pa.array(_unique_psu(s), pa.int32()),
                "d": pa.array(s["d"], pa.int32()),
                "e": pa.array(s["e"], pa.int32()),
                "w": s["w"],
                "y": s["y"],
                "x": s["x"],
            }
        ),
        {"ids": "psu"},
    ),
}


def _estimates(design: Design) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    rows += design.total(["y", "x"]).to_dicts()
    rows += design.mean(["y", "x"], by="d").to_dicts()
    rows += design.mean("y", by="d+e").to_dicts()
    rows += design.total("y", by="e", where="x > 2").to_dicts()
    rows += design.ratio("y", "x", by="d").to_dicts()
    return rows


def _assert_same(fast: list[dict[str, object]], general: list[dict[str, object]]) -> None:
    assert len(fast) == len(general)
    for a, b in zip(fast, general, strict=True):
        assert (a["variable"], a["domain"], a["n"]) == (b["variable"], b["domain"], b["n"])
        for field in ("estimate", "se", "deff", "population"):
            assert a[field] == pytest.approx(b[field], rel=1e-9, abs=1e-12), (field, a, b)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_moment_path_agrees_with_the_general_path(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, options = LAYOUTS[layout](_sample())
    engine = _RecordingEngine()
    design = Design(table, weights="w", engine=engine, **options)  # type: ignore[arg-type]
    assert moments.applies(design)
    fast = _estimates(design)
    # with PSU numbers unique across strata, the stratum comes from the units relation
    joined = [q for q in engine.queries if " AS part" in q and "JOIN amargah_units" in q]
    assert bool(joined) == (layout not in ("nested PSU numbers", "no strata"))
    monkeypatch.setattr(moments, "applies", lambda _design: False)
    general = _estimates(Design(table, weights="w", **options))  # type: ignore[arg-type]
    _assert_same(fast, general)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_dense_unit_index_from_parquet_agrees_with_the_general_path(
    layout: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Parquet file's statistics give the integer domains' ranges: rows are then joined
    # to their unit's index and grouped by it, where the key range is small enough
    table, options = LAYOUTS[layout](_sample(5))
    path = tmp_path / "sample.parquet"
    pq.write_table(table, path)
    engine = _RecordingEngine()
    design = Design(path, weights="w", engine=engine, **options)  # type: ignore[arg-type]
    fast = _estimates(design)
    dense = [q for q in engine.queries if " AS part" in q and "AS amargah_k0" in q]
    assert dense
    # grouped by the units' stratum-by-stratum index, not by their first-row order
    assert all(STRATUM_ORDER_COLUMN in q and not re.search(rf"\b{UNIT_COLUMN}\b", q) for q in dense)
    # the wide keys' domain d spans 10**12 values: no table is that large
    assert any('"d" AS g0' in q for q in dense) == (layout != "wide keys")
    monkeypatch.setattr(moments, "applies", lambda _design: False)
    general = _estimates(Design(table, weights="w", **options))  # type: ignore[arg-type]
    _assert_same(fast, general)


def test_no_dense_table_larger_than_the_data(tmp_path: Path) -> None:
    # 30 PSUs by domain codes up to 2,000: 2**16 slots for 900 rows, so rows are hashed
    table, options = LAYOUTS["int32 keys"](_sample(3))
    spread = pa.array(np.asarray(table.column("d")) * 500, pa.int32())
    table = table.set_column(table.schema.get_field_index("d"), "d", spread)
    path = tmp_path / "sample.parquet"
    pq.write_table(table, path)
    engine = _RecordingEngine()
    Design(path, weights="w", engine=engine, **options).mean("y", by="d")  # type: ignore[arg-type]
    assert not [q for q in engine.queries if "AS amargah_k0" in q]
    Design(path, weights="w", engine=engine, **options).mean("y", by="e")  # type: ignore[arg-type]
    assert [q for q in engine.queries if "AS amargah_k0" in q]


def test_dense_grouping_bits_follow_the_memory_budget() -> None:
    # 16 bytes per aggregate and slot, within 128 MiB: 15 aggregates give 2**19 slots
    rows = 10**7
    assert dense_group_bits(15, rows) == 19
    assert 2**19 * 16 * 15 <= 128 * 2**20 < 2**20 * 16 * 15
    assert dense_group_bits(1, rows) == 20  # never above a million slots
    # no more slots than rows, and never below DuckDB's own default of 12 bits
    assert dense_group_bits(1, 100_000) == 16
    assert dense_group_bits(1, 900) == 12
    assert dense_group_bits(10**9, rows) == 12


def test_rows_of_zero_weight_are_counted_out_of_n(monkeypatch: pytest.MonkeyPatch) -> None:
    table, options = LAYOUTS["int32 keys"](_sample(11))
    weights = table.column("w").to_numpy().copy()
    weights[::7] = 0.0
    table = table.set_column(table.schema.get_field_index("w"), "w", pa.array(weights))
    design = Design(table, weights="w", **options)  # type: ignore[arg-type]
    by_domain = design.mean("y", by="d")
    domains = np.asarray(table.column("d"))
    for row in by_domain:
        assert row.domain is not None
        inside = domains == row.domain["d"]
        assert row.n == int(np.count_nonzero(inside & (weights != 0)))
    fast = _estimates(design)
    monkeypatch.setattr(moments, "applies", lambda _design: False)
    _assert_same(fast, _estimates(Design(table, weights="w", **options)))  # type: ignore[arg-type]


def test_bad_rows_are_reported_in_the_order_of_the_checks() -> None:
    table = pa.table(
        {
            "stratum": [1, 1, 1, 2, 2, 2],
            "psu": [1, 2, None, 4, 5, 6],
            "w": [1.0, -2.0, 1.0, 1.0, None, 1.0],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    # a missing PSU comes before the weights' problems, whichever rows hold them
    with pytest.raises(SurveyInputError, match="missing values") as caught:
        Design(table, ids="psu", strata="stratum", weights="w")
    assert (caught.value.column, caught.value.rows) == ("psu", (3,))
    complete = table.set_column(1, "psu", pa.array([1, 2, 3, 4, 5, 6]))
    with pytest.raises(SurveyInputError, match="missing weights") as caught:
        Design(complete, ids="psu", strata="stratum", weights="w")
    assert caught.value.rows == (5,)
    weighed = complete.set_column(2, "w", pa.array([1.0, -2.0, 1.0, 1.0, 1.0, 1.0]))
    with pytest.raises(SurveyInputError, match="negative weights") as caught:
        Design(weighed, ids="psu", strata="stratum", weights="w")
    assert caught.value.rows == (2,)


def _parquet(tmp_path: Path, table: pa.Table, name: str = "sample.parquet") -> Path:
    path = tmp_path / name
    # several row groups: the metadata's facts must hold in every one of them
    pq.write_table(table, path, row_group_size=200)
    return path


def test_parquet_metadata_spares_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, options = LAYOUTS["int32 keys"](_sample(3))
    path = _parquet(tmp_path, table)
    engine = _RecordingEngine()
    design = Design(path, weights="w", engine=engine, **options)  # type: ignore[arg-type]
    assert {"y", "x", "w", "d"} <= design.units.complete
    assert "w" in design.units.positive
    # the weights' checks are answered by the metadata: no pass over the rows for them
    assert not [q for q in engine.queries if '"w" < 0' in q]
    fast = _estimates(design)
    passes = [q for q in engine.queries if " AS part" in q]
    assert passes
    assert not [q for q in passes if 'COUNT("y")' in q or '"w" <> 0' in q]
    monkeypatch.setattr(moments, "applies", lambda _design: False)
    _assert_same(fast, _estimates(Design(path, weights="w", **options)))  # type: ignore[arg-type]


def test_missing_values_and_zero_weights_are_still_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, options = LAYOUTS["int32 keys"](_sample(5))
    y = table.column("y").to_pylist()
    for row in (4, 250, 601):
        y[row] = None
    weights = table.column("w").to_numpy().copy()
    weights[::9] = 0.0
    table = table.set_column(table.schema.get_field_index("y"), "y", pa.array(y))
    table = table.set_column(table.schema.get_field_index("w"), "w", pa.array(weights))
    path = _parquet(tmp_path, table)
    for data in (path, table):
        engine = _RecordingEngine()
        design = Design(data, weights="w", engine=engine, **options)  # type: ignore[arg-type]
        assert "y" not in design.units.complete
        assert "w" not in design.units.positive
        with pytest.raises(SurveyInputError, match="missing values") as caught:
            design.mean(["x", "y"], by="d")
        assert (caught.value.column, caught.value.rows) == ("y", (5, 251, 602))
        fast = design.mean(["x", "y"], by="d", na_rm=True).to_dicts()
        fast += design.total(["y", "x"], na_rm=True).to_dicts()
        passes = [q for q in engine.queries if " AS part" in q]
        assert [q for q in passes if 'COUNT("y")' in q and '"w" <> 0' in q]
        monkeypatch.setattr(moments, "applies", lambda _design: False)
        general = Design(data, weights="w", **options)  # type: ignore[arg-type]
        slow = general.mean(["x", "y"], by="d", na_rm=True).to_dicts()
        slow += general.total(["y", "x"], na_rm=True).to_dicts()
        monkeypatch.undo()
        _assert_same(fast, slow)
        domains = np.asarray(table.column("d"))
        missing = np.asarray(table.column("y").is_null())
        for estimate in fast[2:4]:
            domain = estimate["domain"]
            assert isinstance(domain, dict)
            inside = (domains == domain["d"]) & ~missing
            assert estimate["n"] == int(np.count_nonzero(inside & (weights != 0)))


def test_bad_weights_in_parquet_are_still_reported(tmp_path: Path) -> None:
    table, options = LAYOUTS["int32 keys"](_sample(9))
    weights = table.column("w").to_pylist()
    weights[300] = -1.0
    negative = table.set_column(table.schema.get_field_index("w"), "w", pa.array(weights))
    with pytest.raises(SurveyInputError, match="negative weights") as caught:
        Design(_parquet(tmp_path, negative, "negative.parquet"), weights="w", **options)  # type: ignore[arg-type]
    assert caught.value.rows == (301,)
    weights[300] = None
    missing = table.set_column(table.schema.get_field_index("w"), "w", pa.array(weights))
    with pytest.raises(SurveyInputError, match="missing weights") as caught:
        Design(_parquet(tmp_path, missing, "missing.parquet"), weights="w", **options)  # type: ignore[arg-type]
    assert caught.value.rows == (301,)
