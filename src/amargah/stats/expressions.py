"""Parsing of the small languages users type: term lists and domain conditions.

Column names come from uploaded files, so they are never spliced into SQL text: a
condition is parsed by sqlglot into a tree, checked node by node against a short list
of allowed node types, and its column references are re-quoted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from amargah.stats.errors import SurveyInputError

Condition = str | Mapping[str, Any]

_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Neg,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Tuple,
)


def parse_terms(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """Split an R-style term list such as ``"dnum+snum"`` or ``"~strata"``.

    ``"1"`` and ``"0"`` (R's "no clusters": every row is its own unit) and ``None``
    give an empty tuple.

    Parameters
    ----------
    spec
        A ``+``-separated string (an optional leading ``~`` is ignored) or a sequence of
        column names.

    Returns
    -------
    tuple of str
        Column names in stage order.
    """
    if spec is None:
        return ()
    if isinstance(spec, str):
        text = spec.strip().removeprefix("~").strip()
        parts = [p.strip() for p in text.split("+")] if text else []
    else:
        parts = [str(p).strip() for p in spec]
    if any(p == "" for p in parts):
        raise SurveyInputError(f"empty term in {spec!r}")
    if parts in (["1"], ["0"]):
        return ()
    return tuple(parts)


def quoted_column(name: str) -> exp.Column:
    """A column reference whose name is always quoted (names come from user files)."""
    return exp.column(name, quoted=True)


def parse_condition(condition: Condition, *, columns: Mapping[str, str]) -> exp.Expr:
    """Turn a domain condition into a checked sqlglot boolean expression.

    Parameters
    ----------
    condition
        Either a small expression such as ``"county = 'Shahrud' and age >= 15"`` (only
        column references, literals, comparisons, ``IS [NOT] NULL``, ``IN (...)`` and
        ``and``/``or``/``not``), or a mapping ``{column: value}`` meaning the conjunction
        of equalities.
    columns
        Each column name of the data mapped to its name in the engine; any other
        reference is an error.

    Returns
    -------
    sqlglot.exp.Expr
        The condition, with every column reference quoted.
    """
    if isinstance(condition, Mapping):
        if not condition:
            raise SurveyInputError("empty where= mapping")
        parts: list[exp.Expr] = []
        for name, value in condition.items():
            _check_column(str(name), columns)
            column = quoted_column(columns[str(name)])
            parts.append(exp.EQ(this=column, expression=_literal(value)))
        return exp.and_(*parts)
    try:
        tree = sqlglot.parse_one(condition, dialect="duckdb")
    except ParseError as error:
        # sqlglot's message ends with the condition and a highlight on lines of their own
        reason = str(error).splitlines()[0]
        raise SurveyInputError(f"cannot parse the condition {condition!r}: {reason}") from None
    for node in tree.walk():
        if not isinstance(node, _ALLOWED_NODES):
            raise SurveyInputError(
                f"the condition {condition!r} may only compare columns with values; "
                f"{node.sql(dialect='duckdb')!r} is not allowed"
            )
        if isinstance(node, exp.Column) and node.table:
            raise SurveyInputError(f"qualified column {node.sql()!r} in {condition!r}")
    for column in list(tree.find_all(exp.Column)):
        _check_column(column.name, columns)
        replacement = quoted_column(columns[column.name])
        if column is tree:
            tree = replacement
        else:
            column.replace(replacement)
    return tree


def _check_column(name: str, columns: Collection[str]) -> None:
    if name not in columns:
        raise SurveyInputError("no such column in the data", column=name)


def _literal(value: Any) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))
