"""Every query the estimators send renders for Spark as well as DuckDB.

The engine interface takes sqlglot expressions so that a Spark engine can render the
same passes for the ``spark`` dialect. Without starting a JVM (test_spark_parity.py
runs them on Spark), this records every query of a full round of estimators on
DuckDB and checks that each renders as Spark SQL that Spark's parser (sqlglot's) reads
back to the same tree.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import sqlglot
from sqlglot import exp

from amargah.stats import Design, DuckDBEngine
from amargah.stats.tabulation import cross_tabulate

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


class RecordingEngine(DuckDBEngine):
    """DuckDB, keeping every query it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[exp.Expr] = []

    def execute(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        self.queries.append(query.copy())
        return super().execute(query, dense_group_bits=dense_group_bits)


def test_estimator_queries_render_for_spark() -> None:
    engine = RecordingEngine()
    design = Design(
        GOLDEN / "data" / "synthetic.csv",
        ids="psu_ok+ssu",
        strata="stratum_ok",
        weights="w",
        fpc="N1_ok+N2",
        nest=True,
        engine=engine,
    )
    design.total("x", by="sex")
    design.mean("y", by=["region", "sex"], na_rm=True, where="age >= 40")
    design.proportion("region", na_rm=True)
    design.ratio("y", "x", na_rm=True)
    design.quantile("x", [0.25, 0.5], by="sex")
    design.ciprop("sex", "F")
    post = design.poststratify("sex", {"F": 2600, "M": 2500})
    post.mean("y", na_rm=True)
    calibrated = design.calibrate("~x", {"(Intercept)": 5100, "x": 204000}, calfun="raking")
    calibrated.mean("y", na_rm=True)
    Design(
        GOLDEN / "data" / "synthetic.csv",
        ids="psu_ok",
        strata="stratum_ok",
        weights="w",
        nest=True,
        engine=engine,
    ).replicate("jkn").mean("y", na_rm=True)
    cross_tabulate(GOLDEN / "data" / "synthetic.csv", "sex,region", weights="w", engine=engine)
    estimator_queries = [q for q in engine.queries if isinstance(q, exp.Select)]
    assert len(estimator_queries) > 10
    for query in estimator_queries:
        spark_sql = query.sql(dialect="spark")
        again = sqlglot.parse_one(spark_sql, dialect="spark")
        assert again.sql(dialect="spark") == spark_sql
