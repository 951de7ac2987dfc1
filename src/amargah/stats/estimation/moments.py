"""Fast Taylor variance for plain single-stage designs: moments per stratum and domain.

For totals, means and ratios the linearised value of a PSU in a domain is a linear
combination ``a_d Y_i + b_d X_i`` of the PSU's weighted totals, with coefficients that
depend only on the domain. The stratified between-PSU variance therefore needs, per
stratum × domain, only the sums of the PSU totals and of their products. One query
makes them: an inner aggregation per PSU × domain and an outer one per stratum ×
domain, so the result has (strata × domains) rows whatever the number of rows or PSUs,
and numpy combines them for all domains at once.

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

if TYPE_CHECKING:
    from amargah.stats.design import Design

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
        Name → shape (r,): weighted sums over rows (for design effects).
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
        values = self.sums[name] if name in self.sums else self.row_sums[name]
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
    stratum = [design.column(strata[0])] if strata else []
    groups = [design.column(c) for c in by]
    psu_level = tuple(units.key_columns) != ("amargah_row",)

    def weighted(term: exp.Expr) -> exp.Expr:
        if isinstance(term, exp.Literal) and term.this == "1":
            return weight.copy()
        return exp.Mul(this=weight.copy(), expression=term.copy())

    nonzero = exp.NEQ(this=weight.copy(), expression=exp.Literal.number(0))
    inner_columns: list[exp.Expr] = [s.copy().as_("h") for s in stratum]
    inner_columns += [g.copy().as_(f"g{i}") for i, g in enumerate(groups)]
    named = {
        **{f"t_{n}": t for n, t in terms.items()},
        **{f"r_{n}": t for n, t in row_terms.items()},
    }
    if psu_level:
        keys = [design.column(c) for c in units.key_columns]
        inner_columns += [exp.func("sum", weighted(t)).as_(n) for n, t in named.items()]
        inner_columns.append(exp.func("count", exp.Star()).as_("n"))
        inner_columns.append(exp.func("count", exp.Case().when(nonzero, _ONE.copy())).as_("nobs"))
        inner_columns += [
            exp.func("count", design.column(c)).as_(f"nn{i}") for i, c in enumerate(variables)
        ]
    else:
        # every row is its own PSU: the PSU totals are the rows' values
        inner_columns += [weighted(t).as_(n) for n, t in named.items()]
        inner_columns.append(_ONE.copy().as_("n"))
        inner_columns.append(
            exp.Case().when(nonzero, _ONE.copy()).else_(exp.Literal.number(0)).as_("nobs")
        )
        inner_columns += [
            exp.Case()
            .when(design.column(c).is_(exp.Null()), exp.Literal.number(0))
            .else_(_ONE.copy())
            .as_(f"nn{i}")
            for i, c in enumerate(variables)
        ]
    inner = design.select_from(*inner_columns)
    if filters:
        inner = inner.where(exp.and_(*filters))
    if psu_level:
        inner = inner.group_by(*(k.copy() for k in keys), *(g.copy() for g in groups))

    def col(name: str) -> exp.Column:
        return exp.column(name, table="a")

    outer_groups = (["h"] if stratum else []) + [f"g{i}" for i in range(len(groups))]
    outer: list[exp.Expr] = [col(name).as_(name) for name in outer_groups]
    outer.append(exp.func("count", exp.Star()).as_("psus"))
    outer += [exp.func("sum", col(n)).as_(n) for n in named]
    outer += [
        exp.func("sum", exp.Mul(this=col(f"t_{a}"), expression=col(f"t_{b}"))).as_(f"p_{a}_{b}")
        for a, b in products
    ]
    outer += [
        exp.func("sum", col(n)).as_(n)
        for n in ("n", "nobs", *(f"nn{i}" for i in range(len(variables))))
    ]
    query = exp.select(*outer).from_(inner.subquery("a"))
    if outer_groups:
        query = query.group_by(*(col(name) for name in outer_groups))
    result = design.aggregate(query)
    n = _floats(result.column("n"))
    for i, column in enumerate(variables):
        if not na_rm and np.any(_floats(result.column(f"nn{i}")) < n):
            condition: exp.Expr = design.column(column).is_(exp.Null())
            if filters:
                condition = exp.and_(*filters, condition)
            raise SurveyInputError(
                "missing values in the domain; use na_rm to treat them as outside it",
                column=column,
                rows=design.first_rows(condition),
            )
    cell, domains = _domain_codes(result, by)
    n_cells = len(domains)
    if stratum:
        labels = {value: h for h, value in enumerate(design.stratum_labels())}
        stratum_index = np.array(
            [labels[v] for v in result.column("h").to_pylist()], dtype=np.int64
        )
    else:
        stratum_index = np.zeros(result.num_rows, dtype=np.int64)
    return Moments(
        stratum=stratum_index,
        cell=cell,
        psus=_floats(result.column("psus")),
        sums={name: _floats(result.column(f"t_{name}")) for name in terms},
        products={(a, b): _floats(result.column(f"p_{a}_{b}")) for a, b in products},
        row_sums={name: _floats(result.column(f"r_{name}")) for name in row_terms},
        weighted_count=np.bincount(
            cell, weights=_floats(result.column("nobs")), minlength=n_cells
        ).astype(float),
        domains=domains,
    )


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
