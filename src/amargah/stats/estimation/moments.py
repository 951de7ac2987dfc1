"""Fast Taylor variance for plain single-stage designs: moments per stratum and domain.

For totals, means and ratios the linearised value of a PSU in a domain is a linear
combination ``a_d Y_i + b_d X_i`` of the PSU's weighted totals, with coefficients that
depend only on the domain. The stratified between-PSU variance therefore needs, per
stratum × domain, only the sums of the PSU totals and of their products. One query
makes them: an inner aggregation per PSU × domain and an outer one per stratum ×
domain, so the result has (strata × domains) rows whatever the number of rows or PSUs,
and numpy combines them for all domains at once. With domains, the row sums (for
design effects) and counts come from a second aggregation per domain in the same query
(UNION ALL), which keeps the large PSU × domain table narrow. When PSU numbers are
unique across strata, the inner level groups by the PSU and domain columns only and the
outer one finds each PSU's stratum in the design's units relation (one key fewer to
hash and compare per row). Counts that the data's metadata answers (rows with each
variable, rows of non-zero weight) are not made.

The path applies when the design has no weighting step (post-stratification,
calibration, raking), weights from columns, and a single stage in its variance whose
PSUs are the design's units (one cluster column, or every row its own PSU). The
difference of sums of squares can lose digits when the linearised values are tiny
next to the PSU totals; such calls are recognised and answered by the general path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import CENSUS_TOLERANCE, FloatArray, IntArray, LonelyPSU
from amargah.stats.expressions import Condition
from amargah.stats.unit_query import (
    DENSE_TABLE_BYTES,
    STATE_BYTES,
    STRATUM_ORDER_COLUMN,
    code_bits,
    dense_group_bits,
    identifying_columns,
    key_bits,
    unit_lookup,
    unit_match,
)

if TYPE_CHECKING:
    from amargah.stats.design import Design, Units

_ONE = exp.Literal.number(1)
# relative rounding error accepted in the difference of sums of squares; beyond, the
# general path recomputes (golden agreement is 1e-6)
_MAX_CANCELLATION = 1e7


def applies(design: Design) -> bool:
    """Whether the moment path gives the design's Taylor variance exactly."""
    units = design.units
    return (
        design.poststrata is None
        and design.calibration is None
        and design.raking is None
        and not units.has_derived_weights
        and len(units.stages) == 1
        and units.stages[0].n_clusters == units.count
        and len(design.stratum_columns) <= 1
    )


@dataclass(frozen=True)
class Moments:
    """Per stratum × cell sums over PSUs of PSU totals and of their products.

    Attributes
    ----------
    stratum, cell
        Shape (r,): stratum index and cell (domain) index of each result row.
    psus
        Shape (r,): PSUs of the stratum with rows in the cell.
    sums
        Term → shape (r,): sum over PSUs of the PSU's weighted total of the term.
    products
        (term, term) → shape (r,): sum over PSUs of the product of the two totals.
    row_sums
        Name → shape (cells,): weighted sums over the rows of each cell (for design
        effects).
    weighted_count
        Shape (cells,): rows of non-zero weight in each cell.
    domains
        ``{column: level}`` of each domain.
    """

    stratum: IntArray
    cell: IntArray
    psus: FloatArray
    sums: dict[str, FloatArray]
    products: dict[tuple[str, str], FloatArray]
    row_sums: dict[str, FloatArray]
    weighted_count: FloatArray
    domains: list[dict[str, Any]]

    @property
    def n_cells(self) -> int:
        return len(self.domains)

    def totals(self, name: str) -> FloatArray:
        """Shape (cells,): the cell total of a term (or row sum)."""
        if name in self.row_sums:
            return self.row_sums[name]
        values = self.sums[name]
        return np.bincount(self.cell, weights=values, minlength=self.n_cells).astype(float)


def moment_pass(
    design: Design,
    *,
    terms: dict[str, exp.Expr],
    products: Sequence[tuple[str, str]],
    row_terms: dict[str, exp.Expr],
    by: Sequence[str],
    where: Condition | None,
    variables: Sequence[str],
    na_rm: bool,
) -> Moments:
    """One query: PSU totals of ``weight × term`` per domain, summed per stratum.

    With domains it is two aggregations joined by UNION ALL (rows of ``part`` 0 per
    stratum × domain, of ``part`` 1 per domain); without, one gives both.

    ``products`` names the pairs of terms whose PSU totals are multiplied; ``row_terms``
    are summed (times the weight) over rows only. See `domain_pass` for the others.
    """
    units = design.units
    weight = design.weight_expression()
    filters: list[exp.Expr] = [exp.Not(this=design.column(c).is_(exp.Null())) for c in by]
    if where is not None:
        filters.append(exp.Paren(this=design.condition(where)))
    if na_rm:
        filters += [exp.Not(this=design.column(c).is_(exp.Null())) for c in variables]
    strata = design.stratum_columns
    groups = [design.column(c) for c in by]
    psu_level = tuple(units.key_columns) != ("amargah_row",)
    # with domains, the PSU x domain table is the large one: it is kept to the PSU
    # totals, and the row sums and counts, needed only per domain, come from a second
    # aggregation of the same rows (far smaller), joined to the first by UNION ALL
    split = psu_level and bool(by)
    # PSU numbers unique across strata identify the PSU alone: the large grouping
    # leaves the stratum out (one key fewer to hash per row), and the small outer
    # level finds it in the units
    unit_columns = identifying_columns(design)
    stratum_joined = psu_level and bool(strata) and strata[0] not in unit_columns

    def weighted(term: exp.Expr) -> exp.Expr:
        if isinstance(term, exp.Literal) and term.this == "1":
            return weight.copy()
        return exp.Mul(this=weight.copy(), expression=term.copy())

    def col(name: str) -> exp.Column:
        return exp.column(name, table="a")

    def bigint(value: exp.Expr) -> exp.Expr:
        # counts are cast: DuckDB sums integers into 128-bit ones, which reach numpy
        # only through Python objects (a third of a second for 100,000 cells)
        return exp.cast(value, exp.DataType.build("bigint"))

    def filtered(query: exp.Select) -> exp.Select:
        return query.where(exp.and_(*filters)) if filters else query

    nonzero = exp.NEQ(this=weight.copy(), expression=exp.Literal.number(0))
    # rows of non-zero weight and rows with each variable are counted only when the
    # data's metadata does not already show that they are all the rows: weights from
    # probabilities (checked to be in (0, 1]) or ones are never zero
    weight_column = design.weight_column
    count_nonzero = weight_column is not None and weight_column not in units.positive
    counted = [i for i, c in enumerate(variables) if c not in units.complete]
    # the columns of the result, in order: which part a row is (0 stratum x domain
    # sums, 1 domain counts and row sums; 0 for both in one), the keys, the numbers
    t_names = [f"t_{n}" for n in terms]
    p_names = [f"p_{a}_{b}" for a, b in products]
    r_names = [f"r_{n}" for n in row_terms]
    c_names = ["n", *(["nobs"] if count_nonzero else []), *(f"nn{i}" for i in counted)]
    outer_keys = (["h"] if strata else []) + [f"g{i}" for i in range(len(by))]
    names = ["part", *outer_keys, "psus", *t_names, *p_names, *r_names, *c_names]
    # with domains whose range the data's metadata gives, every row can be joined to
    # its unit's index (a dense integer whose range the engine knows), so that the
    # large grouping, unit x domain, is a directly indexed table instead of a hash
    # table: a third cheaper for 4,000 PSUs by 50 or 500 domains. Where that table, or
    # another grouping of the query as large, would not fit the memory allowed, or
    # without domains (a small grouping), the join would only cost.
    unit_domain_bits = (
        _unit_domain_bits(
            units,
            by,
            strata=bool(strata),
            aggregates=(t_names, p_names, [*r_names, *c_names]),
            rows=design.row_count,
        )
        if split
        else None
    )
    dense = unit_domain_bits is not None
    dense_bits = (
        unit_domain_bits
        if unit_domain_bits is not None
        else dense_group_bits(len(names), design.row_count)
    )
    # the outer level finds the stratum of each unit in the units relation
    stratum_looked_up = bool(strata) and (stratum_joined or dense)

    def select(values: dict[str, exp.Expr]) -> list[exp.Expr]:
        return [values.get(name, exp.Null()).as_(name) for name in names]

    # per row, the numbers that are summed: per PSU first, unless every row is one
    row_values: dict[str, exp.Expr] = {n: weighted(t) for n, t in row_terms.items()}
    counts: dict[str, exp.Expr] = {"n": exp.Count(this=exp.Star())}
    if count_nonzero:
        counts["nobs"] = exp.func("count", exp.Case().when(nonzero, _ONE.copy()))
    counts.update({f"nn{i}": exp.func("count", design.column(variables[i])) for i in counted})
    # the inner level's grouping columns, by alias: the stratum (unless it is joined),
    # the domains, and with PSUs the PSU's own columns
    inner_keys: dict[str, exp.Expr] = {}
    if strata and not stratum_looked_up:
        inner_keys["h"] = design.column(strata[0])
    inner_keys.update({f"g{i}": g for i, g in enumerate(groups)})
    inner_columns: list[exp.Expr] = [e.copy().as_(alias) for alias, e in inner_keys.items()]
    # alias in the inner level of each of the PSU's own columns (a domain column may
    # be one of them)
    unit_alias: dict[str, str] = {}
    unit_keys: dict[str, exp.Expr] = {}
    for j, c in enumerate(unit_columns if psu_level and not dense else []):
        same = [alias for alias, e in inner_keys.items() if e == design.column(c)]
        unit_alias[c] = same[0] if same else f"u{j}"
        if not same:
            unit_keys[f"u{j}"] = design.column(c)
    # units numbered stratum by stratum: the unit x domain table is read out with a
    # stratum's units together, so the per-stratum level touches its groups in order
    # (a fifth of the time of 500 domains at 10M rows)
    unit = exp.column(STRATUM_ORDER_COLUMN, table="v")
    if psu_level:
        inner_columns += [e.copy().as_(alias) for alias, e in unit_keys.items()]
        if dense:
            inner_columns.append(unit.copy().as_("unit"))
        inner_columns += [exp.func("sum", weighted(terms[n])).as_(f"t_{n}") for n in terms]
        if not split:
            inner_columns += [exp.func("sum", v).as_(f"r_{n}") for n, v in row_values.items()]
            inner_columns += [value.as_(name) for name, value in counts.items()]
        source = design.select_from(*inner_columns)
        grouping = [*inner_keys.values(), *unit_keys.values()]
        if dense:
            source = source.join(
                unit_lookup(design, unit_columns, index=STRATUM_ORDER_COLUMN),
                on=unit_match(design, unit_columns),
            )
            grouping.append(unit)
        inner = filtered(source).group_by(*(e.copy() for e in grouping))
    else:
        inner_columns += [weighted(terms[n]).as_(f"t_{n}") for n in terms]
        inner_columns += [v.as_(f"r_{n}") for n, v in row_values.items()]
        inner_columns.append(_ONE.copy().as_("n"))
        if count_nonzero:
            inner_columns.append(
                exp.Case().when(nonzero, _ONE.copy()).else_(exp.Literal.number(0)).as_("nobs")
            )
        inner_columns += [
            exp.Case()
            .when(design.column(variables[i]).is_(exp.Null()), exp.Literal.number(0))
            .else_(_ONE.copy())
            .as_(f"nn{i}")
            for i in counted
        ]
        inner = filtered(design.select_from(*inner_columns))
    outer: dict[str, exp.Expr] = {"part": exp.Literal.number(0)}
    outer.update({alias: col(alias) for alias in inner_keys})
    if stratum_looked_up:
        outer["h"] = exp.column(f"k{units.key_columns.index(strata[0])}", table="u")
    outer_groups: list[exp.Expr] = [outer[k].copy() for k in outer_keys]
    outer["psus"] = exp.Count(this=exp.Star())
    outer.update({n: exp.func("sum", col(n)) for n in t_names})
    outer.update(
        {
            f"p_{a}_{b}": exp.func("sum", exp.Mul(this=col(f"t_{a}"), expression=col(f"t_{b}")))
            for a, b in products
        }
    )
    if not split:
        outer.update({n: exp.func("sum", col(n)) for n in r_names})
        outer.update({n: bigint(exp.func("sum", col(n))) for n in c_names})
    per_stratum = exp.select(*select(outer)).from_(inner.subquery("a"))
    if stratum_looked_up and dense:
        on_unit = exp.EQ(this=col("unit"), expression=exp.column(STRATUM_ORDER_COLUMN, table="u"))
        per_stratum = per_stratum.join(exp.to_table(units.relation).as_("u"), on=on_unit)
    elif stratum_looked_up:
        on = exp.and_(
            *(
                exp.EQ(
                    this=col(unit_alias[c]),
                    expression=exp.column(f"k{units.key_columns.index(c)}", table="u"),
                )
                for c in unit_columns
            )
        )
        # every PSU is in the units: an inner join would give the same rows, but DuckDB
        # would push it into the scan as a filter of every row on the PSU's key
        per_stratum = per_stratum.join(
            exp.to_table(units.relation).as_("u"), on=on, join_type="left"
        )
    if outer_groups:
        per_stratum = per_stratum.group_by(*outer_groups)
    query: exp.Query = per_stratum
    if split:
        coarse: dict[str, exp.Expr] = {"part": exp.Literal.number(1)}
        coarse.update({f"g{i}": g.copy() for i, g in enumerate(groups)})
        coarse.update({f"r_{n}": exp.func("sum", v) for n, v in row_values.items()})
        coarse.update({name: bigint(value) for name, value in counts.items()})
        by_domain = filtered(design.select_from(*select(coarse))).group_by(
            *(g.copy() for g in groups)
        )
        query = exp.union(query, by_domain, distinct=False)
    result = design.aggregate(query, dense_group_bits=dense_bits)
    cell, domains = _domain_codes(result, by)
    n_cells = len(domains)
    part = np.asarray(result.column("part").to_numpy(zero_copy_only=False), dtype=np.int64)
    sum_rows = np.flatnonzero(part == 0)
    count_rows = np.flatnonzero(part == 1) if split else sum_rows

    def floats(name: str, rows: IntArray) -> FloatArray:
        return _floats(result.column(name))[rows]

    def per_cell(name: str) -> FloatArray:
        values = floats(name, count_rows)
        return np.bincount(cell[count_rows], weights=values, minlength=n_cells).astype(float)

    n = per_cell("n")
    for i in counted:
        column = variables[i]
        if not na_rm and np.any(per_cell(f"nn{i}") < n):
            condition: exp.Expr = design.column(column).is_(exp.Null())
            if filters:
                condition = exp.and_(*filters, condition)
            raise SurveyInputError(
                "missing values in the domain; use na_rm to treat them as outside it",
                column=column,
                rows=design.first_rows(condition),
            )
    if strata:
        # each distinct stratum value is looked up once, not once per result row
        labels = {value: h for h, value in enumerate(design.stratum_labels())}
        encoded = result.column("h").take(pa.array(sum_rows)).combine_chunks()
        encoded = encoded.dictionary_encode()
        index_of = np.array([labels[v] for v in encoded.dictionary.to_pylist()], dtype=np.int64)
        stratum_index = index_of[np.asarray(encoded.indices.to_numpy(), dtype=np.int64)]
    else:
        stratum_index = np.zeros(sum_rows.shape[0], dtype=np.int64)
    return Moments(
        stratum=stratum_index,
        cell=cell[sum_rows],
        psus=floats("psus", sum_rows),
        sums={name: floats(f"t_{name}", sum_rows) for name in terms},
        products={(a, b): floats(f"p_{a}_{b}", sum_rows) for a, b in products},
        row_sums={name: per_cell(f"r_{name}") for name in row_terms},
        weighted_count=per_cell("nobs") if count_nonzero else n,
        domains=domains,
    )


def _unit_domain_bits(
    units: Units,
    by: Sequence[str],
    *,
    strata: bool,
    aggregates: tuple[Sequence[str], Sequence[str], Sequence[str]],
    rows: int,
) -> int | None:
    """Bits of the unit x domain key when its grouping can be directly indexed, else None.

    ``aggregates`` are the names summed per unit x domain (PSU totals), per stratum x
    domain (with their products) and per domain (row sums and counts). Every grouping of
    the query whose key range is within the unit x domain one may get such a table, so
    each must fit `DENSE_TABLE_BYTES` by its own aggregates.
    A table with more slots than the data has ``rows`` would cost more to clear than
    hashing the rows.
    """
    domain_bits = code_bits(units, by)
    if domain_bits is None:
        return None
    totals, products, per_domain = aggregates
    top = units.count.bit_length() + domain_bits
    if 2**top > rows:
        return None
    stratum_bits = _stratum_bits(units) if strata else 0
    groupings = [
        (top, len(totals)),
        (
            None if stratum_bits is None else stratum_bits + domain_bits,
            1 + len(totals) + len(products),
        ),
        (domain_bits, len(per_domain)),
    ]
    fits = all(
        bits is None or bits > top or 2**bits * STATE_BYTES * states <= DENSE_TABLE_BYTES
        for bits, states in groupings
    )
    return top if fits else None


def _stratum_bits(units: Units) -> int | None:
    """Bits of the first-stage stratum's key range as the units relation holds it; None
    unless the stratum labels are integers."""
    labels = units.stratum_labels
    if not labels or not all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
        return None
    return key_bits(min(labels), max(labels))


def _floats(column: pa.ChunkedArray) -> FloatArray:
    # a SUM over no non-missing values is NULL; such cells are errors or empty
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)
    return np.nan_to_num(values)


def _domain_codes(result: pa.Table, by: Sequence[str]) -> tuple[IntArray, list[dict[str, Any]]]:
    if not by:
        return np.zeros(result.num_rows, dtype=np.int64), [{}]
    coded = [sorted_codes(result.column(f"g{i}")) for i in range(len(by))]
    cell, combos = dense_combination([c for c, _ in coded], [len(v) for _, v in coded])
    domains = [{c: coded[j][1][int(combo[j])] for j, c in enumerate(by)} for combo in combos]
    return cell, domains


class Cancellation(Exception):
    """The moment formula would lose too many digits; use the general path."""


def linear_variance(
    design: Design,
    moments: Moments,
    coefficients: dict[str, FloatArray],
) -> FloatArray:
    """Variance of each cell's total of ``z = sum_t c_t[cell] * T_t`` over PSUs.

    ``coefficients`` maps terms to shape (cells,) arrays; the products of every pair of
    them must be in ``moments.products`` (in either order). Mirrors the general
    first-stage computation (`design_variance`), lonely-PSU rules included.
    """
    stage = design.units.stages[0]
    lonely_psu: LonelyPSU = design.lonely_psu
    k = moments.n_cells
    cell = moments.cell
    names = list(coefficients)
    sum_z = np.zeros(cell.shape[0])
    sum_z2 = np.zeros(cell.shape[0])
    magnitude = np.zeros(cell.shape[0])
    for a in names:
        ca = coefficients[a][cell]
        sum_z += ca * moments.sums[a]
        for b in names:
            cb = coefficients[b][cell]
            product = moments.products.get((a, b))
            if product is None:
                product = moments.products[(b, a)]
            sum_z2 += ca * cb * product
            magnitude += np.abs(ca * cb * product)
    size = stage.n_strata * k
    index = moments.stratum * k + cell
    sums = np.bincount(index, weights=sum_z, minlength=size).reshape(-1, k)
    raw = np.bincount(index, weights=sum_z2, minlength=size).reshape(-1, k)
    scale_of = np.bincount(index, weights=magnitude, minlength=size).reshape(-1, k)
    present = np.bincount(index, weights=moments.psus, minlength=size).reshape(-1, k)
    n_h = stage.sample_size
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / n_h[:, None]
    lonely = n_h <= 1
    if lonely_psu == "adjust":
        means[lonely] = 0.0
    # sum over all PSUs of the stratum (absent ones are zero) of (z - mean)^2
    squares = raw - 2 * means * sums + n_h[:, None] * means**2
    if lonely_psu != "adjust":
        # a single PSU deviates by nothing from its own mean
        squares[lonely] = 0.0
        scale_of[lonely] = 0.0
    squares = np.maximum(squares, 0.0)
    f = stage.correction
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(lonely, f, f * n_h / (n_h - 1))
    per_stratum: FloatArray = scale[:, None] * squares
    census = f < CENSUS_TOLERANCE
    per_stratum[census] = 0.0
    # the rounding error of the differences is about the size of the summed terms
    # times the machine precision: too large a share of the variance goes elsewhere
    bound = np.where(census[:, None], 0.0, np.abs(scale[:, None]) * scale_of).sum(axis=0)
    variance = per_stratum.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lost = np.where(variance > 0, bound / variance, np.where(bound > 0, np.inf, 0.0))
    if np.any(np.nan_to_num(lost, nan=0.0) > _MAX_CANCELLATION):
        raise Cancellation
    if lonely_psu != "average":
        return np.asarray(per_stratum.sum(axis=0), dtype=np.float64)
    has_rows = present > 0
    missing = (lonely & ~census)[:, None] & has_rows
    strata_with_rows = has_rows.sum(axis=0).astype(float)
    ok = (has_rows & ~missing).sum(axis=0).astype(float)
    per_stratum = np.where(missing, 0.0, per_stratum)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(strata_with_rows == 0, 0.0, strata_with_rows / ok)
    return np.asarray(per_stratum.sum(axis=0) * factor, dtype=np.float64)
