"""Queries keyed by a design's finest sampling unit.

Estimators and weighting steps sum over the rows of each finest unit, then need each
sum's unit index (``amargah_unit`` of the design's units relation, `Units.relation`) to
place it in numpy arrays. `per_unit` is that one query shape, built as a sqlglot tree
that DuckDB and Spark both render.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    from amargah.stats.design import Design

UNIT_COLUMN = "amargah_unit"  # the units relation's column of unit indexes


def per_unit(
    design: Design, query: exp.Select, columns: Sequence[str], *, grouped: bool = True
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
