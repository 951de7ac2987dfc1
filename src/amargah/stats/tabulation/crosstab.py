"""Cross-tabulation with margins, as one grouping-sets query on the engine.

A census table of k classifying variables has 2**k groupings: the full cross and
every margin down to the grand total. They come from a single ``GROUP BY CUBE``
pass (grouping sets), so tens of millions of rows are read once, and the
``GROUPING()`` flags tell a margin apart from a genuinely missing value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from amargah.stats.design import ROW_COLUMN, DataSource, _register, is_numeric
from amargah.stats.engine import Engine, default_engine
from amargah.stats.errors import SurveyInputError
from amargah.stats.expressions import Condition, parse_condition, quoted_column

TOTAL_PREFIX = "total_"


@dataclass(frozen=True)
class CrossTable:
    """A cross-table with its margins.

    ``table`` has one row per cell of every grouping: the classifying columns (null
    in a margin), a boolean ``total_<column>`` per classifying column (true where the
    row is the margin over that column), ``n`` (unweighted number of rows), and,
    when asked for, ``weighted`` (sum of the weights) and ``sum_<value>`` per value
    column (weighted when weights are given).
    """

    by: tuple[str, ...]
    weights: str | None
    values: tuple[str, ...]
    table: pa.Table

    def cell(self, **levels: object) -> dict[str, object]:
        """The row for one cell; a classifying column left out means its margin.

        >>> import pyarrow as pa
        >>> t = crosstab(pa.table({"sex": [1, 2, 2]}), by=["sex"])
        >>> t.cell(sex=2)["n"], t.cell()["n"]
        (2, 3)
        """
        unknown = set(levels) - set(self.by)
        if unknown:
            raise SurveyInputError(f"not a classifying column: {', '.join(sorted(unknown))}")
        mask = pa.array([True] * self.table.num_rows)
        for column in self.by:
            is_total = self.table[TOTAL_PREFIX + column]
            if column in levels:
                match = pc.and_(pc.invert(is_total), pc.equal(self.table[column], levels[column]))
            else:
                match = is_total
            mask = pc.and_(mask, pc.fill_null(match, fill_value=False))
        rows = self.table.filter(mask).to_pylist()
        if len(rows) != 1:
            raise KeyError(f"no cell {levels}")
        return rows[0]


def crosstab(
    data: DataSource,
    *,
    by: Sequence[str],
    weights: str | None = None,
    values: Sequence[str] = (),
    where: Condition | None = None,
    margins: bool = True,
    engine: Engine | None = None,
) -> CrossTable:
    """Cross-tabulate ``data`` by the columns ``by``, with all margins.

    Parameters
    ----------
    data
        A Parquet or CSV path, a pyarrow Table or any Arrow stream.
    by
        The classifying columns, in order (1 to 8).
    weights
        A column of non-negative weights; the table then also carries ``weighted``
        counts and weighted ``sum_<value>`` columns.
    values
        Numeric columns to sum within each cell (for example income, in rials).
    where
        Restrict the rows, as in the estimators' ``where=`` (a small condition or a
        ``{column: value}`` mapping).
    margins
        ``False`` gives only the full cross, without margins.
    engine
        The engine to run on; the process-wide DuckDB by default.

    Returns
    -------
    CrossTable

    Examples
    --------
    >>> import pyarrow as pa
    >>> people = pa.table({"county": [1, 1, 2], "sex": [1, 2, 1], "w": [10.0, 12.0, 8.0]})
    >>> t = crosstab(people, by=["county", "sex"], weights="w")
    >>> t.cell(county=1)["weighted"], t.cell(sex=1)["weighted"], t.cell()["n"]
    (22.0, 18.0, 3)
    """
    by = tuple(by)
    values = tuple(values)
    if not 1 <= len(by) <= 8:
        raise SurveyInputError("give between 1 and 8 classifying columns in by=")
    if len(set(by)) != len(by):
        raise SurveyInputError("a classifying column is repeated in by=")
    engine = engine or default_engine()
    name, _rows, columns = _register(engine, data)
    try:
        schema = engine.schema(name)
        for column in (*by, *values, *([weights] if weights else [])):
            if column not in columns:
                raise SurveyInputError("no such column in the data", column=column)
        for column in (*values, *([weights] if weights else [])):
            if not is_numeric(schema.field(columns[column]).type):
                raise SurveyInputError("must be numeric", column=column)
        condition = parse_condition(where, columns=columns) if where is not None else None
        if weights is not None:
            _check_weights(engine, name, columns[weights], weights, condition)
        table = engine.execute(_query(name, by, weights, values, condition, columns, margins))
    finally:
        engine.unregister(name)
    return CrossTable(by=by, weights=weights, values=values, table=_tidy(table, by, margins))


def _query(
    source: str,
    by: tuple[str, ...],
    weights: str | None,
    values: tuple[str, ...],
    condition: exp.Expr | None,
    columns: dict[str, str],
    margins: bool,  # noqa: FBT001 - internal helper
) -> exp.Select:
    keys = [quoted_column(columns[column]) for column in by]
    selected: list[exp.Expr] = [
        key.copy().as_(column, quoted=True) for key, column in zip(keys, by, strict=True)
    ]
    if margins:
        selected += [
            exp.func("GROUPING", key.copy()).as_(TOTAL_PREFIX + column, quoted=True)
            for key, column in zip(keys, by, strict=True)
        ]
    selected.append(exp.Count(this=exp.Star()).as_("n"))
    weight = quoted_column(columns[weights]) if weights else None
    if weight is not None:
        selected.append(exp.Sum(this=exp.cast(weight.copy(), "DOUBLE")).as_("weighted"))
    for value in values:
        amount: exp.Expr = exp.cast(quoted_column(columns[value]), "DOUBLE")
        if weight is not None:
            amount = exp.Mul(this=amount, expression=weight.copy())
        selected.append(exp.Sum(this=amount).as_(f"sum_{value}", quoted=True))
    query = exp.select(*selected).from_(exp.to_table(source))
    if condition is not None:
        query = query.where(condition)
    if margins:
        return query.group_by(exp.Cube(expressions=keys))
    return query.group_by(*keys)


def _check_weights(
    engine: Engine, source: str, column: str, name: str, condition: exp.Expr | None
) -> None:
    weight = quoted_column(column)
    bad = exp.or_(
        exp.Is(this=weight.copy(), expression=exp.Null()),
        exp.LT(this=weight.copy(), expression=exp.Literal.number(0)),
    )
    query = (
        exp.select(exp.column(ROW_COLUMN, quoted=True))
        .from_(exp.to_table(source))
        .where(bad if condition is None else exp.and_(condition.copy(), bad))
        .order_by(exp.column(ROW_COLUMN, quoted=True))
        .limit(5)
    )
    rows = engine.execute(query).column(0).to_pylist()
    if rows:
        raise SurveyInputError(
            "weights must be present and non-negative", column=name, rows=[r + 1 for r in rows]
        )


def _tidy(table: pa.Table, by: tuple[str, ...], margins: bool) -> pa.Table:  # noqa: FBT001
    if not margins:
        for column in by:
            table = table.append_column(
                TOTAL_PREFIX + column, pa.array([False] * table.num_rows, type=pa.bool_())
            )
        return table
    for column in by:
        flags = pc.not_equal(table[TOTAL_PREFIX + column], 0)
        table = table.set_column(
            table.schema.get_field_index(TOTAL_PREFIX + column), TOTAL_PREFIX + column, flags
        )
    # Full cross first, grand total last: the order a census table is read in.
    order = [(TOTAL_PREFIX + column, "ascending") for column in by]
    order += [(column, "ascending") for column in by]
    return table.sort_by(order)
