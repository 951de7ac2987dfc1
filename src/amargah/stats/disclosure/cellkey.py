"""Cell-key perturbation of frequency tables (the ABS TableBuilder method).

Every census record carries a *record key*, a number drawn once, uniform on [0, 1).
A cell's *cell key* is the fractional part of the sum of the record keys of the records
in it: the same records always give the same key, so the same cell gets the same
noise in every table it appears in, and asking again reveals nothing new. The noise is
looked up in a *perturbation table* (ptable): for an original count ``i``, the
probabilities of publishing ``j`` instead, which here are chosen like R's ``ptable``
package does: at most ``D`` away, unbiased (mean noise zero), with variance ``V``, no
published count in ``1..js`` (small counts never appear), and otherwise as spread out
as possible (maximum entropy). The cell key picks the outcome: the cumulative
probabilities of row ``i`` split [0, 1) into intervals, and the key falls in one.

Empty cells have no records and no key: they stay empty. Every cell, margins
included, is perturbed on its own, so published margins need not equal the sum of
the published cells; that is the price of consistency across tables.

Record keys are summed exactly as integers (32 bits of each key), so the cell key does
not depend on the order in which an engine adds them up. Keys may be stored as numbers
in [0, 1) (the demo census) or directly as integers in [0, 2**32), which saves the
conversion on every record of a large census.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amargah.stats.design import DataSource, domain_columns, register_data
from amargah.stats.engine import Engine, default_engine
from amargah.stats.errors import SurveyInputError
from amargah.stats.expressions import Condition, parse_condition, quoted_column

KEY_BITS = 32
_KEY_SCALE = float(1 << KEY_BITS)


@dataclass(frozen=True)
class PTable:
    """A perturbation table for counts.

    Attributes
    ----------
    D
        Maximum absolute noise (persons).
    V
        Target variance of the noise (persons squared).
    js
        Published counts ``1..js`` are never produced (0 means no such restriction).
    probabilities
        ``probabilities[i, d + D]``: probability that an original count ``i`` (the last
        row stands for every larger count) is published as ``i + d``.
    """

    D: int
    V: float
    js: int
    probabilities: np.ndarray

    @property
    def rows(self) -> int:
        """Number of original counts with their own row (``0 .. rows - 1``)."""
        return int(self.probabilities.shape[0])

    def row(self, count: int) -> np.ndarray:
        """The noise distribution (over ``-D..D``) for an original ``count``."""
        return np.asarray(self.probabilities[min(count, self.rows - 1)])

    def cumulative(self) -> np.ndarray:
        """Upper bounds of the cell-key intervals: cumulative sums of each row."""
        return np.cumsum(self.probabilities, axis=1)

    def noise(self, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """The noise for cells with these original ``counts`` and cell ``keys`` in [0, 1).

        A key falls in the interval of outcome ``d`` when the cumulative probability
        before ``d`` is at most the key and the cumulative probability through ``d``
        is above it.
        """
        counts = np.asarray(counts, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.float64)
        rows = np.minimum(counts, self.rows - 1)
        upper = self.cumulative()[rows]
        # the last interval is closed at 1 against rounding of the cumulative sum
        upper[:, -1] = np.inf
        position = (keys[:, None] >= upper).sum(axis=1)
        noise = position - self.D
        return np.where(counts == 0, 0, noise)

    def perturb(self, counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """The published counts: original plus noise (never negative)."""
        counts = np.asarray(counts, dtype=np.int64)
        published: np.ndarray = counts + self.noise(counts, keys)
        return published


def _row_probabilities(i: int, *, D: int, V: float, js: int) -> np.ndarray:
    """Maximum-entropy noise distribution for original count ``i`` (see module)."""
    out = np.zeros(2 * D + 1)
    if i == 0:
        out[D] = 1.0
        return out
    targets = [j for j in range(i - D, i + D + 1) if j == 0 or j > js]
    targets = [j for j in targets if j >= 0]
    d = np.array([j - i for j in targets], dtype=np.float64)
    m = d.size

    def entropy(p: np.ndarray) -> float:
        q = np.clip(p, 1e-15, 1.0)
        return float(np.sum(q * np.log(q)))

    def solve(*, with_variance: bool) -> np.ndarray | None:
        # scipy.optimize is imported when a table is first protected, not when a web
        # process loads (a fifth of its start)
        from scipy.optimize import minimize

        constraints = [
            {"type": "eq", "fun": lambda p: float(p.sum() - 1.0)},
            {"type": "eq", "fun": lambda p: float(p @ d)},
        ]
        if with_variance:
            constraints.append({"type": "eq", "fun": lambda p: float(p @ (d * d) - V)})
        start = np.exp(-(d * d) / (2 * max(V, 1e-3)))
        start /= start.sum()
        res = minimize(
            entropy,
            start,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * m,
            constraints=constraints,
            options={"ftol": 1e-13, "maxiter": 500},
        )
        if not res.success:
            return None
        p = np.clip(res.x, 0.0, 1.0)
        p /= p.sum()
        if abs(p @ d) > 1e-6 or (with_variance and abs(p @ (d * d) - V) > 1e-6):
            return None
        return p

    # Near zero the support is cut and variance V may be out of reach while staying
    # unbiased; ptable then keeps the mean and gives up the variance, as here.
    p = solve(with_variance=True)
    if p is None:
        p = solve(with_variance=False)
    if p is None:
        raise ValueError(f"no unbiased perturbation for count {i} with D={D}, js={js}")
    for value, noise in zip(p, d, strict=True):
        out[int(noise) + D] = value
    return out


def ptable(*, D: int, V: float, js: int = 0) -> PTable:
    """Build a perturbation table for counts.

    Parameters
    ----------
    D
        Maximum absolute noise, in persons (1 or more).
    V
        Noise variance, in persons squared (below ``D**2``).
    js
        Counts ``1..js`` are never published; 0 for no restriction (must be < D).

    Examples
    --------
    >>> table = ptable(D=1, V=0.5)
    >>> [round(float(p), 6) for p in table.row(10)]
    [0.25, 0.5, 0.25]
    """
    if D < 1:
        raise ValueError("D, the maximum noise, must be at least 1")
    if not 0 < V < D * D:
        raise ValueError("V, the noise variance, must be positive and below D squared")
    if not 0 <= js < D:
        raise ValueError("js must be at least 0 and below D")
    # counts above D + js are far enough from zero that their row is the same
    rows = [_row_probabilities(i, D=D, V=V, js=js) for i in range(D + js + 2)]
    return PTable(D=D, V=V, js=js, probabilities=np.vstack(rows))


def integer_keys(record_keys: np.ndarray) -> np.ndarray:
    """Record keys in [0, 1) as integers of `KEY_BITS` bits (exactly summable)."""
    return np.floor(np.asarray(record_keys, dtype=np.float64) * _KEY_SCALE).astype(np.int64)


def cell_keys(key_sums: np.ndarray) -> np.ndarray:
    """Cell keys in [0, 1) from the integer sums of the cells' record keys."""
    sums = np.asarray(key_sums, dtype=np.int64)
    result: np.ndarray = (sums & ((1 << KEY_BITS) - 1)).astype(np.float64) / _KEY_SCALE
    return result


@dataclass(frozen=True)
class PerturbedTable:
    """A perturbed frequency table, margins included (as `cross_tabulate` lays it out).

    ``table`` has a column per variable (null where the row is a margin over it),
    ``margin`` (the variables summed over, comma-separated), ``count`` (the published,
    perturbed count) and ``cell_key``; with ``keep_original``, also ``original`` (the
    true count, for the office's own checks: never publish it).
    """

    variables: tuple[str, ...]
    table: pa.Table

    def __len__(self) -> int:
        return int(self.table.num_rows)


def perturbed_crosstab(
    data: DataSource,
    by: str | Sequence[str],
    *,
    record_key: str,
    table: PTable,
    where: Condition | None = None,
    engine: Engine | None = None,
    keep_original: bool = False,
    count: str | None = None,
) -> PerturbedTable:
    """Cross-tabulate ``data`` by ``by`` (all margins) and perturb every count.

    One pass over the records counts them and sums their integer record keys per
    inner cell; a ``GROUP BY CUBE`` over those cells adds the margins (counts and
    integer key sums add up exactly), and the perturbation is looked up in numpy on
    the small result. ``keep_original`` adds the true counts (column ``original``), which
    the publication gate needs to check a table against its perturbed values.

    ``data`` may also be the census already aggregated by `aggregate_keys` at a finer
    level (every variable of ``by`` among its own): then ``count`` names its column of
    record counts and ``record_key`` its column of key sums, and the table is exactly
    the one the records give, noise included, at a fraction of the cost.
    """
    engine = engine if engine is not None else default_engine()
    variables = domain_columns(by)
    if not variables:
        raise SurveyInputError("give at least one variable to tabulate by")
    source, _, names = register_data(engine, data)
    try:
        for column in [*variables, record_key, *([count] if count else [])]:
            if column not in names:
                raise SurveyInputError("no such column in the data", column=column)
        columns = [quoted_column(names[v]) for v in variables]
        key_int = _integer_key(engine, source, names, record_key, summed=count is not None)
        bigint = exp.DataType.build("bigint")
        # One pass over the records gives each inner cell its count and key sum; the
        # margins are then summed from those few cells (integer key sums add up
        # exactly), which is far cheaper than a CUBE over every record.
        inner_selections: list[exp.Expr] = [c.copy().as_(f"v{i}") for i, c in enumerate(columns)]
        records = (
            exp.func("count", exp.Star())
            if count is None
            else exp.cast(exp.func("sum", quoted_column(names[count])), bigint)
        )
        inner_selections.append(records.as_("n"))
        inner_selections.append(exp.cast(exp.func("sum", key_int), bigint).as_("k"))
        inner = exp.select(*inner_selections).from_(exp.to_table(source))
        if where is not None:
            inner = inner.where(parse_condition(where, columns=names))
        inner = inner.group_by(*(c.copy() for c in columns))
        levels = [exp.column(f"v{i}") for i in range(len(columns))]
        selections: list[exp.Expr] = [level.copy() for level in levels]
        selections.append(exp.func("grouping", *(v.copy() for v in levels)).as_("g"))
        selections.append(exp.cast(exp.func("sum", exp.column("n")), bigint).as_("n"))
        # modulo 2^32 of the sum: the cell key's bits, whatever the number of records
        key_sum = exp.Mod(
            this=exp.func("sum", exp.column("k")), expression=exp.Literal.number(int(_KEY_SCALE))
        )
        selections.append(exp.cast(key_sum, bigint).as_("k"))
        query = (
            exp.select(*selections)
            .from_(inner.subquery("cells"))
            .group_by(exp.Cube(expressions=[v.copy() for v in levels]))
        )
        result = engine.execute(query)
    finally:
        engine.unregister(source)
    k = len(variables)
    grouping = result.column("g").to_numpy()
    counts = result.column("n").to_numpy().astype(np.int64)
    sums = result.column("k").to_numpy().astype(np.int64)
    keys = cell_keys(sums)
    published = table.perturb(counts, keys)
    margin = [
        ",".join(v for i, v in enumerate(variables) if (int(g) >> (k - 1 - i)) & 1)
        for g in grouping
    ]
    out = pa.table(
        {
            **{v: result.column(f"v{i}") for i, v in enumerate(variables)},
            "margin": pa.array(margin, type=pa.string()),
            "count": pa.array(published, type=pa.int64()),
            "cell_key": pa.array(keys, type=pa.float64()),
            **({"original": pa.array(counts, type=pa.int64())} if keep_original else {}),
        }
    )
    # sorted like `cross_tabulate`: inner cells first, then margins, by level
    sort_column = "__grouping__"
    while sort_column in out.column_names:
        sort_column += "_"
    out = out.append_column(sort_column, pa.array(grouping.astype(np.int64)))
    out = out.sort_by([(sort_column, "ascending"), *((v, "ascending") for v in variables)])
    return PerturbedTable(tuple(variables), out.drop_columns([sort_column]))


def _integer_key(
    engine: Engine, source: str, names: dict[str, str], record_key: str, *, summed: bool
) -> exp.Expr:
    """The record key as an integer of `KEY_BITS` bits, as an SQL expression."""
    key_type = engine.schema(source).field(names[record_key]).type
    column = quoted_column(names[record_key])
    bigint = exp.DataType.build("bigint")
    if pa.types.is_integer(key_type):
        # Integer record keys (as R cellKey and ABS draw them) are used as they are:
        # their low 32 bits are the key. Key sums of an aggregate are integers too.
        return exp.cast(column, bigint)
    if pa.types.is_floating(key_type) and not summed:
        key = exp.func(
            "floor",
            exp.Mul(
                this=exp.cast(column, exp.DataType.build("double")),
                expression=exp.Literal.number(int(_KEY_SCALE)),
            ),
        )
        return exp.cast(key, bigint)
    if summed:
        raise SurveyInputError("key sums of an aggregate must be integers", column=record_key)
    raise SurveyInputError("record keys must be numbers in [0, 1) or integers", column=record_key)


# Columns of an aggregate made by `aggregate_keys`.
RECORDS = "records"
KEY_SUM = "key_sum"


def aggregate_keys(
    data: DataSource,
    by: str | Sequence[str],
    *,
    record_key: str,
    engine: Engine | None = None,
) -> pa.Table:
    """The records aggregated at the finest level of ``by``: one row per combination
    that occurs, with its number of records (column `RECORDS`) and the sum of their
    integer record keys modulo ``2**KEY_BITS`` (column `KEY_SUM`).

    A census read once this way answers every table of these variables through
    ``perturbed_crosstab(aggregate, ..., record_key=KEY_SUM, count=RECORDS)`` with the
    same counts and the same noise as the records would give: counts add up, and key
    sums add up modulo ``2**KEY_BITS``, which is all a cell key needs.
    """
    engine = engine if engine is not None else default_engine()
    variables = domain_columns(by)
    if not variables:
        raise SurveyInputError("give at least one variable to aggregate by")
    for name in (RECORDS, KEY_SUM):
        if name in variables:
            raise SurveyInputError("this column name is reserved for the aggregate", column=name)
    source, _, names = register_data(engine, data)
    try:
        for column in [*variables, record_key]:
            if column not in names:
                raise SurveyInputError("no such column in the data", column=column)
        columns = [quoted_column(names[v]) for v in variables]
        key_int = _integer_key(engine, source, names, record_key, summed=False)
        bigint = exp.DataType.build("bigint")
        key_sum = exp.Mod(
            this=exp.func("sum", key_int), expression=exp.Literal.number(int(_KEY_SCALE))
        )
        query = (
            exp.select(
                *(c.copy().as_(v) for c, v in zip(columns, variables, strict=True)),
                exp.cast(exp.func("count", exp.Star()), bigint).as_(RECORDS),
                exp.cast(key_sum, bigint).as_(KEY_SUM),
            )
            .from_(exp.to_table(source))
            .group_by(*(c.copy() for c in columns))
        )
        return engine.execute(query)
    finally:
        engine.unregister(source)


def expected_absolute_noise(table: PTable, count: int) -> float:
    """Mean absolute noise for a cell of ``count`` (persons), for quality notes."""
    row = table.row(count)
    return float(np.sum(row * np.abs(np.arange(-table.D, table.D + 1))))


__all__ = [
    "KEY_BITS",
    "KEY_SUM",
    "RECORDS",
    "PTable",
    "PerturbedTable",
    "aggregate_keys",
    "cell_keys",
    "expected_absolute_noise",
    "integer_keys",
    "perturbed_crosstab",
    "ptable",
]
