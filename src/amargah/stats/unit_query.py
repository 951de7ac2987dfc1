"""Queries keyed by a design's finest sampling unit.

Estimators and weighting steps sum over the rows of each finest unit, then need each
sum's unit index (``amargah_unit`` of the design's units relation, `Units.relation`) to
place it in numpy arrays. `per_unit` is that one query shape, built as a sqlglot tree
that DuckDB and Spark both render.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

if TYPE_CHECKING:
    from amargah.stats.design import Design, Units

UNIT_COLUMN = "amargah_unit"  # the units relation's column of unit indexes
# the same units numbered stratum by stratum (in unit order within a stratum): a table
# grouped by this index and a domain is read out with each stratum's units together,
# so that a further grouping by stratum touches its slots in order
STRATUM_ORDER_COLUMN = "amargah_unit_by_stratum"


def per_unit(
    design: Design,
    query: exp.Select,
    columns: Sequence[str],
    *,
    grouped: bool = True,
    dense: bool = False,
) -> exp.Select:
    """``query`` keyed by the design's finest unit: each row with its unit's index.

    Parameters
    ----------
    design
        The design whose unit key columns and units relation are used.
    query
        A select over the data (`Design.select_from`, or the bare source) with named
        selections. It is not changed: the unit key columns are put in front of a copy's
        selections (as ``k0, k1, ...``, the names the units relation is keyed by) and,
        with ``grouped``, in front of its ``GROUP BY`` (one is added when it has none),
        so that its aggregates are per unit and per its own groups.
    columns
        Names of ``query``'s selections to return, in order.
    grouped
        Aggregate per unit; ``grouped=False`` keeps one row per data row (to find each
        row's unit).
    dense
        Join every row to its unit's index first and group by that index (see
        `unit_group_bits`, which says when this pays); the result is the same.

    Returns
    -------
    sqlglot.exp.Select
        ``unit`` (the unit's index, from 0 to ``design.units.count - 1``) and then
        ``columns``, from ``query`` (alias ``a``) joined to the units relation (alias
        ``u``) on the keys. Clauses added to it may refer to ``a``'s other columns.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from amargah.stats import Design
    >>> design = Design(pa.table({"psu": [1, 1, 2], "y": [1.0, 2.0, 3.0]}), ids="psu")
    >>> inner = design.select_from(exp.func("sum", design.number("y")).as_("y"))
    >>> design.engine.execute(per_unit(design, inner, ["y"]).order_by("unit")).to_pydict()
    {'unit': [0, 1], 'y': [3.0, 3.0]}
    """
    if dense:
        return _dense_per_unit(design, query, columns)
    keys = [design.column(c) for c in design.units.key_columns]
    # the keys lead the selections and the grouping, named as the units relation's
    # columns; the caller's query is copied, as sqlglot's setters change it in place
    inner = query.copy()
    inner.set("expressions", [*(k.as_(f"k{i}") for i, k in enumerate(keys)), *inner.expressions])
    if grouped:
        group = inner.args.get("group")
        rest = list(group.expressions) if group is not None else []
        inner.set("group", exp.Group(expressions=[*(k.copy() for k in keys), *rest]))
    on = exp.and_(
        *(
            exp.EQ(this=exp.column(f"k{i}", table="a"), expression=exp.column(f"k{i}", table="u"))
            for i in range(len(keys))
        )
    )
    return (
        exp.select(
            exp.column(UNIT_COLUMN, table="u").as_("unit"),
            *(exp.column(name, table="a") for name in columns),
        )
        .from_(inner.subquery("a"))
        .join(exp.to_table(design.units.relation).as_("u"), on=on)
    )


# memory one thread may give a directly indexed grouping table (bytes), and the most an
# aggregate's state takes in each of its slots (a SUM of doubles: value and flag)
DENSE_TABLE_BYTES = 128 * 2**20
STATE_BYTES = 16
# DuckDB's own bound on a directly indexed grouping (its perfect_ht_threshold)
_ENGINE_DEFAULT_BITS = 12


def unit_lookup(
    design: Design, columns: Sequence[str], *, index: str = UNIT_COLUMN
) -> exp.Subquery:
    """The units relation as ``v``: key columns renamed (so that none can clash with a
    data column) ``amargah_k0, ...`` for ``columns``, and the unit index ``index``
    (`UNIT_COLUMN`, or `STRATUM_ORDER_COLUMN`)."""
    keys = design.units.key_columns
    renamed = [exp.column(f"k{keys.index(c)}").as_(f"amargah_k{i}") for i, c in enumerate(columns)]
    relation = exp.to_table(design.units.relation)
    return exp.select(*renamed, exp.column(index)).from_(relation).subquery("v")


def unit_match(design: Design, columns: Sequence[str]) -> exp.Expr:
    """Join condition of a data row to its unit in `unit_lookup`."""
    return exp.and_(
        *(
            exp.EQ(this=design.column(c), expression=exp.column(f"amargah_k{i}", table="v"))
            for i, c in enumerate(columns)
        )
    )


def dense_group_bits(aggregates: int, rows: int) -> int:
    """Largest key range (in bits) allowed a directly indexed grouping in a query.

    Such a table holds a slot for every possible key, so its size is ``2**bits`` times
    the aggregates' states (`STATE_BYTES` each at most) per thread; it is kept within
    `DENSE_TABLE_BYTES` for a grouping of all ``aggregates`` (an upper bound on any
    of the query's), and to no more slots than the data has ``rows`` (clearing a
    larger table would cost more than hashing them). Never below DuckDB's own default
    (`_ENGINE_DEFAULT_BITS`), which it applies whatever the aggregates.
    """
    budget = int(math.log2(DENSE_TABLE_BYTES / (STATE_BYTES * max(aggregates, 1))))
    return max(_ENGINE_DEFAULT_BITS, min(budget, 20, max(rows, 1).bit_length() - 1))


def key_bits(low: int, high: int) -> int:
    """Bits of an integer key from ``low`` to ``high`` as the engine counts them (with
    room for a missing value)."""
    return (high - low + 1).bit_length()


def code_bits(units: Units, columns: Sequence[str]) -> int | None:
    """Bits of the key range of a grouping by integer code ``columns``; None when the
    data's metadata does not give a column's range."""
    bits = 0
    for column in columns:
        if column not in units.integer_ranges:
            return None
        bits += key_bits(*units.integer_ranges[column])
    return bits


def aggregate_per_unit(design: Design, query: exp.Select, columns: Sequence[str]) -> pa.Table:
    """Run `per_unit` over the design's data, directly indexed where `unit_group_bits`
    allows it."""
    bits = unit_group_bits(design, query)
    unit_query = per_unit(design, query, columns, dense=bits is not None)
    return design.aggregate(unit_query, dense_group_bits=bits)


def unit_group_bits(design: Design, query: exp.Select) -> int | None:
    """Bits of the unit × groups key of ``query`` when its grouping per unit can be a
    directly indexed table, else None.

    It can when every grouping expression of ``query`` is a data column whose integer
    range the data's metadata gives (domain codes, say), and the table (a slot per unit
    and combination of codes, for each aggregate) fits `dense_group_bits`. Rows are then
    joined to their unit's index, which costs less than hashing the unit's key columns
    and the groups; otherwise that join would only add to the pass.
    """
    units = design.units
    group = query.args.get("group")
    by: list[str] = []
    for expression in group.expressions if group is not None else []:
        column = next((c for c in units.integer_ranges if design.column(c) == expression), None)
        if column is None:
            return None  # not a data column whose range is known
        by.append(column)
    bits = units.count.bit_length() + (code_bits(units, by) or 0)
    allowed = dense_group_bits(len(query.expressions) + 1, design.row_count)
    # never below the engine's own bound, which other groupings may rely on
    return max(bits, _ENGINE_DEFAULT_BITS) if bits <= allowed else None


def identifying_columns(design: Design) -> list[str]:
    """The fewest of the units' key columns that identify a unit in the data.

    Without ``nest``, a one-stage design's PSU numbers are unique across strata (the
    design checks it), so the PSU column alone identifies the unit: one key fewer for
    every row to match.
    """
    units = design.units
    keys = list(units.key_columns)
    strata = design.stratum_columns
    if strata and not units.nest and len(units.stages) == 1 and len(keys) == 2:
        keys.remove(strata[0])
    return keys


def _dense_per_unit(design: Design, query: exp.Select, columns: Sequence[str]) -> exp.Select:
    keys = identifying_columns(design)
    unit = exp.column(UNIT_COLUMN, table="v")
    inner = query.copy()
    inner.set("expressions", [unit.copy().as_("unit"), *inner.expressions])
    group = inner.args.get("group")
    rest = list(group.expressions) if group is not None else []
    inner.set("group", exp.Group(expressions=[unit.copy(), *rest]))
    inner = inner.join(unit_lookup(design, keys), on=unit_match(design, keys))
    return exp.select(
        exp.column("unit", table="a"), *(exp.column(name, table="a") for name in columns)
    ).from_(inner.subquery("a"))
