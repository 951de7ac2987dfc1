"""Cross-tabulation with every margin in one aggregation (``GROUP BY CUBE``).

A census table is a count (and, with weights, a weighted count) for every combination
of the classifying variables and for every margin: each variable summed over alone,
each pair, ..., and the grand total. ``CUBE`` computes all of them in one pass over the
rows, on DuckDB here and on Spark with the same expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from amargah.stats.design import DataSource, domain_columns, is_numeric, register_data
from amargah.stats.engine import Engine, default_engine
from amargah.stats.errors import SurveyInputError
from amargah.stats.expressions import Condition, parse_condition, quoted_column

Margins = Literal["all", "none"]
MARGIN_COLUMN = "margin"


@dataclass(frozen=True)
class CrossTable:
    """A cross-tabulation: one row per cell, margins included.

    Attributes
    ----------
    variables
        The classifying variables, in order.
    weighted
        Whether the table has a ``weighted`` column (sum of weights, persons).
    table
        Arrow table with a column per variable (null where the row is a margin over
        it), ``margin`` (the variables summed over, comma-separated; empty for an inner
        cell), ``count`` (rows) and, with weights, ``weighted``.
    """

    variables: tuple[str, ...]
    weighted: bool
    table: pa.Table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def to_arrow(self) -> pa.Table:
        """The table as Arrow."""
        return self.table

    def to_dicts(self) -> list[dict[str, Any]]:
        """One ``dict`` per row."""
        rows: list[dict[str, Any]] = self.table.to_pylist()
        return rows

    def cell(self, **levels: Any) -> dict[str, Any]:
        """The row for the given levels; variables not given are summed over.

        Examples
        --------
        ``table.cell(sex="F")`` is the margin of women over every other variable.
        """
        unknown = set(levels) - set(self.variables)
        if unknown:
            raise KeyError(f"not a variable of the table: {', '.join(sorted(unknown))}")
        margin = ",".join(v for v in self.variables if v not in levels)
        for row in self.to_dicts():
            if row[MARGIN_COLUMN] == margin and all(row[k] == v for k, v in levels.items()):
                return row
        raise KeyError(f"no cell {levels}")


def cross_tabulate(
    data: DataSource,
    by: str | Sequence[str],
    *,
    weights: str | None = None,
    where: Condition | None = None,
    margins: Margins = "all",
    engine: Engine | None = None,
) -> CrossTable:
    """Count (and weight) every combination of ``by`` and every margin, in one pass.

    Parameters
    ----------
    data
        Microdata: a Parquet or CSV path, a ``pyarrow.Table`` or an Arrow stream.
    by
        Classifying columns, ``"a,b"`` or a sequence.
    weights
        Optional weight column (persons per row); the ``weighted`` column is its sum.
    where
        Optional condition on the rows (as for estimators).
    margins
        ``"all"`` for every margin and the grand total, ``"none"`` for inner cells only.
    engine
        Engine to use; the process-wide embedded DuckDB by default.

    Returns
    -------
    CrossTable
        Rows sorted by margin then levels. Rows with a missing value of a classifying
        variable form their own level (null with an empty margin marker is a missing
        value; null with the variable named in ``margin`` is the margin).
    """
    engine = engine if engine is not None else default_engine()
    variables = domain_columns(by)
    if not variables:
        raise SurveyInputError("give at least one variable to tabulate by")
    repeated = next((v for i, v in enumerate(variables) if v in variables[:i]), None)
    if repeated is not None:
        # its margins would be the table itself, listed once per grouping set
        raise SurveyInputError("a variable to tabulate by is given twice", column=repeated)
    if margins not in ("all", "none"):
        raise SurveyInputError(f"margins must be 'all' or 'none', not {margins!r}")
    source, _, names = register_data(engine, data)
    try:
        schema = engine.schema(source)
        for column in [*variables, *([weights] if weights else [])]:
            if column not in names:
                raise SurveyInputError("no such column in the data", column=column)
        if weights is not None and not is_numeric(schema.field(names[weights]).type):
            raise SurveyInputError("weights must be numeric", column=weights)
        columns = [quoted_column(names[v]) for v in variables]
        selections: list[exp.Expr] = [c.copy().as_(f"v{i}") for i, c in enumerate(columns)]
        # GROUPING_ID, not GROUPING(a, b): both DuckDB and Spark know it with several
        # columns; Spark allows it only with grouping sets, and cells alone are 0
        grouping: exp.Expr = (
            exp.GroupingId(expressions=[c.copy() for c in columns])
            if margins == "all"
            else exp.Literal.number(0)
        )
        selections.append(grouping.as_("g"))
        selections.append(exp.func("count", exp.Star()).as_("n"))
        if weights is not None:
            weight = exp.cast(quoted_column(names[weights]), exp.DataType.build("double"))
            selections.append(exp.func("sum", weight).as_("w"))
            # checked in the same pass: a weighted count of persons has no negative weights
            selections.append(exp.func("min", weight.copy()).as_("wmin"))
        query = exp.select(*selections).from_(exp.to_table(source))
        if where is not None:
            query = query.where(parse_condition(where, columns=names))
        if margins == "all":
            query = query.group_by(exp.Cube(expressions=[c.copy() for c in columns]))
        else:
            query = query.group_by(*(c.copy() for c in columns))
        result = engine.execute(query)
    finally:
        engine.unregister(source)
    if weights is not None and result.num_rows:
        lowest = pc.min(result.column("wmin")).as_py()
        if lowest is not None and lowest < 0:
            raise SurveyInputError(f"negative weights (the lowest is {lowest:g})", column=weights)
    return _build(variables, result, weighted=weights is not None)


def _build(variables: list[str], result: pa.Table, *, weighted: bool) -> CrossTable:
    k = len(variables)
    grouping = result.column("g").to_pylist()
    # GROUPING(a, b, ...) has bit (k - 1 - i) set when variable i is summed over
    margin = [
        ",".join(v for i, v in enumerate(variables) if (g >> (k - 1 - i)) & 1) for g in grouping
    ]
    columns: dict[str, Any] = {v: result.column(f"v{i}") for i, v in enumerate(variables)}
    columns[MARGIN_COLUMN] = pa.array(margin, type=pa.string())
    columns["count"] = pc.cast(result.column("n"), pa.int64())
    if weighted:
        columns["weighted"] = pc.cast(result.column("w"), pa.float64())
    table = pa.table(columns)
    sort_keys = [("g", "ascending")] + [(v, "ascending") for v in variables]
    table = table.append_column("g", pa.array(grouping, type=pa.int64()))
    table = table.sort_by(sort_keys).drop_columns(["g"])
    return CrossTable(tuple(variables), weighted, table)
