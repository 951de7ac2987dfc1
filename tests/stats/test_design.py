"""Design construction: inputs, validation messages, immutability."""

from __future__ import annotations

import gc
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.compute
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from amargah.stats import Design, Estimates, SurveyInputError
from amargah.stats.engine import DuckDBEngine

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _table() -> pa.Table:
    return pa.table(
        {
            "stratum": [1, 1, 1, 2, 2, 2],
            "psu": [1, 2, 3, 1, 2, 3],
            "w": [10.0, 12.0, 8.0, 20.0, 18.0, 22.0],
            "y": [3.0, 4.0, 5.0, 10.0, 12.0, 8.0],
            "sex": ["F", "M", "F", "M", "F", "M"],
        }
    )


class _Stream:
    """A foreign data frame: only the Arrow C stream interface."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._table.__arrow_c_stream__(requested_schema)


def test_table_stream_and_parquet_give_the_same_estimates(tmp_path: Path) -> None:
    table = _table()
    path = tmp_path / "sample.parquet"
    pq.write_table(table, path)
    options = {"ids": "psu", "strata": "stratum", "weights": "w", "nest": True}
    results = [
        Design(source, **options).mean("y", by="sex") for source in (table, _Stream(table), path)
    ]
    first = results[0].to_dicts()
    for other in results[1:]:
        assert other.to_dicts() == first


def test_design_is_immutable() -> None:
    design = Design(_table(), ids="psu", strata="stratum", weights="w", nest=True)
    with pytest.raises(AttributeError):
        design.lonely_psu = "remove"  # type: ignore[misc]
    assert design.psu_count == 6
    assert design.df == 4


def test_unknown_column_is_named() -> None:
    with pytest.raises(SurveyInputError, match="'weight': no such column"):
        Design(_table(), weights="weight")


def test_negative_weights_name_column_and_rows() -> None:
    table = _table().set_column(2, "w", pa.array([1.0, -2.0, 3.0, 4.0, -5.0, 6.0]))
    with pytest.raises(SurveyInputError) as caught:
        Design(table, weights="w")
    assert caught.value.column == "w"
    assert caught.value.rows == (2, 5)
    assert "negative weights" in str(caught.value)


def test_lonely_psu_fails_by_default_and_names_the_stratum_rows() -> None:
    table = _table().slice(0, 4)  # stratum 2 keeps a single PSU (row 4)
    with pytest.raises(SurveyInputError) as caught:
        Design(table, ids="psu", strata="stratum", weights="w", nest=True)
    assert caught.value.column == "stratum"
    assert caught.value.rows == (4,)
    removed = Design(
        table, ids="psu", strata="stratum", weights="w", nest=True, lonely_psu="remove"
    )
    assert removed.total("y")[0].se > 0


def test_fpc_smaller_than_sample_is_refused() -> None:
    table = _table().append_column("N", pa.array([2, 2, 2, 50, 50, 50]))
    with pytest.raises(SurveyInputError, match="more than 100% sampling") as caught:
        Design(table, ids="psu", strata="stratum", fpc="N", nest=True)
    assert caught.value.column == "N"
    assert caught.value.rows == (1, 2, 3)


def test_psu_ids_repeated_across_strata_need_nest() -> None:
    with pytest.raises(SurveyInputError, match="nest=True"):
        Design(_table(), ids="psu", strata="stratum", weights="w")


def test_where_accepts_only_comparisons() -> None:
    design = Design(_table(), weights="w")
    with pytest.raises(SurveyInputError, match="not allowed"):
        design.mean("y", where="y > (SELECT 1)")
    with pytest.raises(SurveyInputError, match="not allowed"):
        design.mean("y", where="upper(sex) = 'F'")
    with pytest.raises(SurveyInputError, match="'age': no such column"):
        design.mean("y", where="age > 3")


def test_where_mapping_equals_where_expression() -> None:
    design = Design(_table(), weights="w")
    assert (
        design.mean("y", where={"sex": "F"}).to_dicts()
        == design.mean("y", where="sex = 'F'").to_dicts()
    )


def test_domains_keep_the_full_design() -> None:
    # a domain estimate differs from the estimate on the pre-filtered rows: the
    # out-of-domain PSUs still count (R's svyby / subset)
    design = Design(_table(), ids="psu", strata="stratum", weights="w", nest=True)
    domain = design.total("y", where={"sex": "F"})[0]
    filtered = Design(_table().filter(pa.compute.equal(_table()["sex"], "F")), weights="w").total(
        "y"
    )[0]
    assert math.isclose(domain.estimate, filtered.estimate)
    assert not math.isclose(domain.se, filtered.se)


def test_missing_values_need_na_rm() -> None:
    table = _table().set_column(3, "y", pa.array([3.0, None, 5.0, 10.0, 12.0, 8.0]))
    design = Design(table, weights="w")
    with pytest.raises(SurveyInputError, match="na_rm") as caught:
        design.mean("y")
    assert caught.value.rows == (2,)
    assert design.mean("y", na_rm=True)[0].n == 5


def test_columns_differing_only_in_case_stay_distinct() -> None:
    path = GOLDEN / "data" / "fpc.csv"
    data = pa.csv.read_csv(path)
    design = Design(path, ids="psuid", strata="stratid", weights="weight", nest=True)
    for column in ("nh", "Nh"):
        expected = pa.compute.sum(pa.compute.multiply(data["weight"], data[column])).as_py()
        assert math.isclose(design.total(column)[0].estimate, expected)


def test_results_convert_to_arrow_and_dicts() -> None:
    design = Design(_table(), weights="w")
    estimates = design.proportion("sex", by="stratum")
    assert isinstance(estimates, Estimates)
    table = estimates.to_arrow()
    assert table.num_rows == len(estimates) == 4
    assert table.column("domain")[0].as_py() == [("stratum", "1")]
    assert estimates.to_dicts()[0]["domain"] == {"stratum": 1}


def _relations(engine: DuckDBEngine) -> set[str]:
    query = exp.select("name").from_(
        exp.union(
            exp.select(exp.column("table_name").as_("name")).from_("duckdb_tables()"),
            exp.select(exp.column("view_name").as_("name"))
            .from_("duckdb_views()")
            .where("NOT internal"),
            distinct=False,
        ).subquery("r")
    )
    return {str(v) for v in engine.execute(query).column(0).to_pylist()}


def test_a_designs_relations_are_dropped_once_no_design_uses_them(tmp_path: Path) -> None:
    path = tmp_path / "sample.parquet"
    pq.write_table(
        pa.table({"psu": [1, 1, 2, 2, 3, 3], "w": [1.0] * 6, "y": [1.0, 2, 3, 4, 5, 6]}), path
    )
    engine = DuckDBEngine()
    design = Design(path, ids="psu", weights="w", engine=engine)
    weighted = design.trim_weights(upper=10.0)
    relations = {design.source, design.units.relation}
    assert relations <= _relations(engine)
    del design
    gc.collect()
    # the trimmed design shares the data and the units: nothing is dropped yet
    assert relations <= _relations(engine)
    assert weighted.mean("y").rows[0].estimate == pytest.approx(3.5)
    del weighted
    gc.collect()
    assert not relations & _relations(engine)


def test_weighting_steps_relations_are_dropped_with_the_last_design_using_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sample.parquet"
    pq.write_table(
        pa.table(
            {
                "psu": [1, 1, 2, 2, 3, 3, 4, 4],
                "w": [1.0, 2, 1, 3, 2, 2, 1, 1],
                "sex": ["f", "m", "f", "m", "f", "m", "m", "f"],
                "age": ["a", "a", "b", "b", "a", "b", "a", "b"],
                "y": [1.0, 2, 3, 4, 5, 6, 7, 8],
            }
        ),
        path,
    )
    engine = DuckDBEngine()
    design = Design(path, ids="psu", weights="w", engine=engine)
    before = _relations(engine)
    sexes = {"f": 40.0, "m": 60.0}
    ages = {"a": 55.0, "b": 45.0}
    post = design.poststratify("sex", sexes)
    raked = post.rake([("sex", sexes), ("age", ages)])
    trimmed = raked.trim_weights(upper=30.0)
    replicated = design.replicate("jk1").poststratify("sex", sexes).rake([("age", ages)])
    steps = _relations(engine) - before
    assert len(steps) >= 4  # one relation per weighting step at least
    estimate = replicated.mean("y").rows[0].estimate
    del post, raked, trimmed
    gc.collect()
    # the replicate design still joins on its own steps' relations
    assert replicated.mean("y").rows[0].estimate == pytest.approx(estimate)
    assert steps & _relations(engine)
    del replicated
    gc.collect()
    assert not steps & _relations(engine)
    assert _relations(engine) == before  # the design itself keeps its own
    assert design.total("y").rows[0].estimate == pytest.approx(57.0)


def test_a_design_that_fails_leaves_no_relation(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"psu": [1, 2], "w": [1.0, -1.0], "y": [1.0, 2.0]}), path)
    engine = DuckDBEngine()
    before = _relations(engine)
    with pytest.raises(SurveyInputError):
        Design(path, ids="psu", weights="w", engine=engine)
    assert _relations(engine) == before
