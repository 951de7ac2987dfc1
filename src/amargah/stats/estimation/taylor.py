"""Taylor-linearised totals, means, proportions and ratios, by domains, in one pass.

The pass over rows is one aggregation: for every finest sampling unit × domain (× level
of a categorical variable) the weighted sums of the analysis variables, their squares
and cross-products (for the design effect) and the row counts. Everything else, the
point estimates, the linearised unit totals and the stratified multistage variance,
is numpy on that small table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation import moments
from amargah.stats.estimation.variance import (
    FloatArray,
    IntArray,
    UnitCells,
    design_variance,
)
from amargah.stats.expressions import Condition
from amargah.stats.results import Estimate, Estimates
from amargah.stats.unit_query import aggregate_per_unit
from amargah.stats.weighting.chain import key_expressions

if TYPE_CHECKING:
    from amargah.stats.design import Design
    from amargah.stats.weighting.chain import Chain

_ONE = exp.Literal.number(1)
_ZERO = exp.Literal.number(0)


@dataclass(frozen=True)
class Aggregate:
    """Unit × cell sums from one pass, as sparse rows (only pairs with sample rows).

    A cell is a domain, or a domain × level for a categorical variable.

    Attributes
    ----------
    cells
        The (unit, cell) pair of each row.
    sums
        Name → shape (r,): the weighted sum of the term in the row's unit and cell
        (weights derived from the fpc already applied).
    count
        Shape (cells,): sample rows in each cell.
    weighted_count
        Shape (cells,): rows with a non-zero weight in each cell.
    domains
        ``{column: level}`` of each domain (empty mapping when there is no ``by``).
    levels
        Levels of the categorical variable (``[None]`` when there is none).
    adjust_sums
        For a post-stratified design, name → shape (post-strata, cells): the weighted
        sum of each term per post-stratum; for a calibrated design, name → shape
        (model columns, cells): the sum of ``w x term`` (weights before calibration).
        Used to centre the linearised values.
    """

    cells: UnitCells
    sums: dict[str, FloatArray]
    count: FloatArray
    weighted_count: FloatArray
    domains: list[dict[str, Any]]
    levels: list[Any]
    adjust_sums: dict[str, FloatArray] | None = None
    poststratum: IntArray | None = None

    def totals(self, name: str) -> FloatArray:
        """Shape (cells,): the weighted total of a term in each cell."""
        return np.bincount(
            self.cells.cell, weights=self.sums[name], minlength=self.cells.n_cells
        ).astype(float)


def domain_pass(
    design: Design,
    *,
    terms: dict[str, exp.Expr],
    by: Sequence[str],
    where: Condition | None,
    variables: Sequence[str],
    level_column: str | None = None,
    na_rm: bool,
    thresholds: str | None = None,
    split: bool = False,
) -> Aggregate:
    """Aggregate ``weight × term`` per finest unit and domain in one query.

    Parameters
    ----------
    design
        The design whose units and weights are used.
    terms
        Name → row expression; each is multiplied by the row weight and summed.
    by
        Domain columns; rows with a missing domain value belong to no domain.
    where
        Optional domain condition.
    variables
        Analysis columns: with ``na_rm`` rows missing any are outside the domain;
        without it, a missing value inside a domain is an error.
    level_column
        A categorical variable whose levels split each domain into cells.
    na_rm
        As R's ``na.rm``.
    thresholds
        A registered relation with one row per domain (columns ``amargah_g0, ...``
        holding the ``by`` values) joined to every row, so that terms can use
        per-domain values such as a quantile (``amargah_q0, ...``).
    split
        For a post-stratified design, keep the rows of each (unit, cell) pair split
        by post-stratum (``Aggregate.poststratum``), as replicate post-stratification
        needs.
    """
    weight = design.weight_expression()
    filters: list[exp.Expr] = [exp.Not(this=design.column(c).is_(exp.Null())) for c in by]
    if where is not None:
        filters.append(exp.Paren(this=design.condition(where)))
    checked = [*variables, *([level_column] if level_column else [])]
    if na_rm:
        filters += [exp.Not(this=design.column(c).is_(exp.Null())) for c in checked]
    groups: list[exp.Expr] = [design.column(c) for c in by]
    if level_column:
        groups.append(design.column(level_column))
    selections: list[exp.Expr] = [g.copy().as_(f"g{i}") for i, g in enumerate(groups)]
    for name, term in terms.items():
        selections.append(exp.func("sum", exp.Mul(this=weight.copy(), expression=term)).as_(name))
    chain = design.chain
    # a design with several weighting steps takes its sums per weighting cell instead
    calibration = design.calibration if chain is None else None
    if calibration is not None:
        # w* x_k term / g = w x_k term: what the regression of z on x needs
        g = calibration.g_expression()
        for name, term in list(terms.items()):
            for k, x in enumerate(calibration.columns):
                ratio = exp.Div(
                    this=exp.Mul(this=term.copy(), expression=x.copy()), expression=g.copy()
                )
                selections.append(
                    exp.func("sum", exp.Mul(this=weight.copy(), expression=ratio)).as_(
                        f"{name}_c{k}"
                    )
                )
    poststratified = chain is None and design.poststrata is not None and design.poststrata.centred
    raked = chain is None and design.raking is not None
    chain_keys = [] if chain is None else key_expressions(design)
    first_key = len(groups)
    for key in chain_keys:
        groups.append(key)
        selections.append(key.copy().as_(f"g{len(groups) - 1}"))
    if chain is not None and chain.unweighted:
        # raking steps centre on unweighted sums, over the rows that carry weight
        carries = exp.NEQ(this=design.sampling_weight_expression(), expression=_ZERO.copy())
        for name, term in terms.items():
            kept = exp.Case().when(carries.copy(), term.copy()).else_(_ZERO.copy())
            selections.append(exp.func("sum", kept).as_(f"{name}_unweighted"))
    if raked:
        # unweighted sums per raking cell centre the linearised values (R's svyrecvar)
        groups.append(exp.column("amargah_ps", table=design.step_alias(0)))
        selections.append(groups[-1].copy().as_(f"g{len(groups) - 1}"))
        for name, term in terms.items():
            selections.append(exp.func("sum", term.copy()).as_(f"{name}_unweighted"))
    if poststratified:
        # sums per post-stratum centre the linearised values (R's svyrecvar)
        groups.append(exp.column("amargah_ps", table=design.step_alias(0)))
        selections.append(groups[-1].copy().as_(f"g{len(groups) - 1}"))
    selections.append(exp.func("count", exp.Star()).as_("amargah_n"))
    nonzero = exp.NEQ(this=weight.copy(), expression=_ZERO)
    selections.append(_count_where(nonzero).as_("amargah_nobs"))
    missing_checks = [] if na_rm else checked
    for i, column in enumerate(missing_checks):
        is_null = design.column(column).is_(exp.Null())
        selections.append(_count_where(is_null).as_(f"amargah_na{i}"))
    inner = design.select_from(*selections)
    if thresholds is not None:
        if by:
            on = exp.and_(
                *(
                    exp.EQ(this=design.column(c), expression=exp.column(f"amargah_g{i}", table="t"))
                    for i, c in enumerate(by)
                )
            )
            inner = inner.join(exp.to_table(thresholds).as_("t"), on=on)
        else:
            inner = inner.join(exp.to_table(thresholds).as_("t"), join_type="cross")
    if filters:
        inner = inner.where(exp.and_(*filters))
    inner = inner.group_by(*(g.copy() for g in groups))
    columns = [f"g{i}" for i in range(len(groups))] + list(terms)
    extra_terms: list[str] = []
    if raked or (chain is not None and chain.unweighted):
        extra_terms = [f"{name}_unweighted" for name in terms]
        columns += extra_terms
    if calibration is not None:
        extra_terms = [f"{name}_c{k}" for name in terms for k in range(len(calibration.columns))]
        columns += extra_terms
    columns += ["amargah_n", "amargah_nobs"]
    columns += [f"amargah_na{i}" for i in range(len(missing_checks))]
    result = aggregate_per_unit(design, inner, columns)
    for i, column in enumerate(missing_checks):
        if pc.sum(result.column(f"amargah_na{i}")).as_py():
            condition: exp.Expr = design.column(column).is_(exp.Null())
            if filters:
                condition = exp.and_(*filters, condition)
            raise SurveyInputError(
                "missing values in the domain; use na_rm to treat them as outside it",
                column=column,
                rows=design.first_rows(condition),
            )
    aggregate = _layout(
        design,
        result,
        by=by,
        terms=[*terms, *extra_terms],
        has_level=level_column is not None,
        poststratified=poststratified or raked,
        split=split,
    )
    if chain is not None:
        keys = [result.column(f"g{first_key + j}") for j in range(len(chain_keys))]
        return _chain_layout(chain, aggregate, keys, list(terms), split=split)
    if raked and aggregate.adjust_sums is not None:
        # the centring of raked designs works on unweighted sums per cell
        unweighted = {name: aggregate.adjust_sums[f"{name}_unweighted"] for name in terms}
        return replace(aggregate, adjust_sums=unweighted)
    if calibration is None:
        return aggregate
    p = len(calibration.columns)
    sums = {name: np.stack([aggregate.totals(f"{name}_c{k}") for k in range(p)]) for name in terms}
    return replace(aggregate, adjust_sums=sums)


def _chain_layout(
    chain: Chain, agg: Aggregate, keys: list[pa.ChunkedArray], terms: list[str], *, split: bool
) -> Aggregate:
    """Rows of a chained design's pass (unit, cell, weighting cell) → the aggregate.

    With ``split`` (a replicate design) the rows stay split by weighting cell
    (``Aggregate.poststratum``); otherwise the per-step sums that centre the linearised
    values are formed and the rows merged to (unit, cell) pairs.
    """
    wcell = chain.locate(keys, agg.cells.unit.shape[0])
    if split:
        sums = {name: agg.sums[name] for name in terms}
        return replace(agg, sums=sums, poststratum=wcell, adjust_sums=None)
    adjust: dict[str, FloatArray] | None = None
    if chain.blocks:
        adjust = {
            name: chain.adjust_sums(
                agg.cells, wcell, agg.sums[name], agg.sums.get(f"{name}_unweighted")
            )
            for name in terms
        }
    n_cells = agg.cells.n_cells
    pairs, inverse = np.unique(agg.cells.unit * n_cells + agg.cells.cell, return_inverse=True)
    inverse = inverse.reshape(-1)
    sums = {
        name: np.bincount(inverse, weights=agg.sums[name], minlength=pairs.shape[0]).astype(float)
        for name in terms
    }
    return replace(
        agg,
        cells=UnitCells(unit=pairs // n_cells, cell=pairs % n_cells, n_cells=n_cells),
        sums=sums,
        adjust_sums=adjust,
    )


def _count_where(condition: exp.Expr) -> exp.Expr:
    """``CAST(SUM(CASE WHEN condition THEN 1 ELSE 0 END) AS BIGINT)``.

    The cast keeps the result a 64-bit integer (DuckDB sums integers to 128 bits,
    which Arrow carries as slow decimals).
    """
    total = exp.func("sum", exp.Case().when(condition, _ONE.copy()).else_(_ZERO.copy()))
    return exp.cast(total, exp.DataType.build("bigint"))


def _layout(
    design: Design,
    result: pa.Table,
    *,
    by: Sequence[str],
    terms: list[str],
    has_level: bool,
    poststratified: bool = False,
    split: bool = False,
) -> Aggregate:
    units = design.units
    unit = np.asarray(result.column("unit").to_numpy(), dtype=np.int64)
    domain_codes = [sorted_codes(result.column(f"g{i}")) for i in range(len(by))]
    if domain_codes:
        domain, combos = dense_combination(
            [codes for codes, _ in domain_codes], [len(values) for _, values in domain_codes]
        )
        domains = [
            {column: domain_codes[j][1][int(combo[j])] for j, column in enumerate(by)}
            for combo in combos
        ]
    else:
        domain = np.zeros(result.num_rows, dtype=np.int64)
        domains = [{}]
    if has_level:
        level_codes, levels = sorted_codes(result.column(f"g{len(by)}"))
    else:
        level_codes, levels = np.zeros(result.num_rows, dtype=np.int64), [None]
    n_cells = len(domains) * len(levels)
    cell = domain * len(levels) + level_codes
    factor = units.weight_factor[unit]
    sums: dict[str, FloatArray] = {}
    for name in terms:
        values = np.asarray(result.column(name).to_numpy(zero_copy_only=False), dtype=float)
        # SUM over only missing values is NULL; unweighted sums take no unit weight
        unit_weight = 1.0 if name.endswith("_unweighted") else factor
        sums[name] = np.nan_to_num(values) * unit_weight
    count = np.bincount(
        cell, weights=_floats(result.column("amargah_n")), minlength=n_cells
    ).astype(float)
    nobs = np.bincount(
        cell, weights=_floats(result.column("amargah_nobs")), minlength=n_cells
    ).astype(float)
    adjust_sums: dict[str, FloatArray] | None = None
    poststratum: IntArray | None = None
    if poststratified and design.poststrata is not None:
        count_ps = design.poststrata.count
        stratum = np.asarray(
            result.column(f"g{len(by) + int(has_level)}").to_numpy(), dtype=np.int64
        )
        adjust_sums = {}
        for name in terms:
            values = sums[name]
            adjust_sums[name] = (
                np.bincount(stratum * n_cells + cell, weights=values, minlength=count_ps * n_cells)
                .astype(float)
                .reshape(count_ps, n_cells)
            )
        if split:
            poststratum = stratum
        else:
            # rows were split by post-stratum: merge them back to unique (unit, cell) pairs
            pairs, inverse = np.unique(unit * n_cells + cell, return_inverse=True)
            inverse = inverse.reshape(-1)
            sums = {
                name: np.bincount(inverse, weights=v, minlength=pairs.shape[0]).astype(float)
                for name, v in sums.items()
            }
            unit, cell = pairs // n_cells, pairs % n_cells
    return Aggregate(
        cells=UnitCells(unit=unit, cell=cell, n_cells=n_cells),
        sums=sums,
        count=count,
        weighted_count=nobs,
        domains=domains,
        levels=levels,
        adjust_sums=adjust_sums,
        poststratum=poststratum,
    )


def _floats(column: pa.ChunkedArray) -> FloatArray:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)


def by_columns(design: Design, by: str | Sequence[str] | None) -> list[str]:
    from amargah.stats.design import domain_columns

    columns = domain_columns(by)
    for column in columns:
        design.require_column(column)
    return columns


def is_categorical(design: Design, column: str) -> bool:
    """Text, boolean and dictionary columns are categorical; numbers are not."""
    from amargah.stats.design import is_numeric

    return not is_numeric(design.data_type(column))


def level_label(value: Any) -> str:
    """The text of a level as it appears in ``term`` (R's spelling for logicals)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def estimate_linear(
    design: Design,
    statistic: str,
    variables: list[str],
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> Estimates:
    """Totals, means or proportions of several variables, by domains.

    Numeric variables share one pass (and, with ``na_rm``, rows missing any of them
    are left out for all, as R does for ``~x+y``); each categorical variable gets its
    own pass. See `Design.total` for the parameters.
    """
    check_level(level)
    domain_by = by_columns(design, by)
    if not variables:
        raise SurveyInputError(f"no variable given to {statistic}")
    for column in variables:
        design.require_column(column)
    numeric = [v for v in variables if not is_categorical(design, v)]
    categorical = [v for v in variables if is_categorical(design, v)]
    if statistic == "mean" and categorical:
        design.require_numeric(categorical[0])
    if statistic == "proportion":
        categorical, numeric = variables, []
    rows: list[Estimate] = []
    if numeric and moments.applies(design):
        try:
            rows += _moment_rows(
                design, statistic, numeric, by=domain_by, where=where, na_rm=na_rm, level=level
            )
            numeric = []
        except moments.Cancellation:
            pass
    if numeric:
        terms: dict[str, exp.Expr] = {"w": _ONE.copy()}
        for i, v in enumerate(numeric):
            terms[f"y{i}"] = design.number(v)
            terms[f"yy{i}"] = exp.Mul(this=design.number(v), expression=design.number(v))
        agg = domain_pass(
            design, terms=terms, by=domain_by, where=where, variables=numeric, na_rm=na_rm
        )
        for i, v in enumerate(numeric):
            rows += linear_rows(
                design,
                agg,
                agg.cells,
                statistic,
                v,
                y=agg.sums[f"y{i}"],
                w=agg.sums["w"],
                totals=(agg.totals(f"y{i}"), agg.totals("w"), agg.totals(f"yy{i}")),
                count=agg.count,
                nobs=agg.weighted_count,
                level=level,
                ps=adjust_pair(agg, f"y{i}", "w"),
            )
    for v in categorical:
        agg = domain_pass(
            design,
            terms={"w": _ONE.copy()},
            by=domain_by,
            where=where,
            variables=[],
            level_column=v,
            na_rm=na_rm,
        )
        if None in agg.levels:
            raise SurveyInputError(
                "missing values in the domain; use na_rm to treat them as outside it",
                column=v,
                rows=design.first_rows(design.column(v).is_(exp.Null())),
            )
        rows += _categorical_rows(design, agg, statistic, v, level=level)
    return Estimates(tuple(rows))


def _moment_rows(
    design: Design,
    statistic: str,
    numeric: list[str],
    *,
    by: list[str],
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> list[Estimate]:
    """Totals or means of numeric variables from per-stratum moments (one small pass)."""
    terms: dict[str, exp.Expr] = {"w": _ONE.copy()}
    row_terms: dict[str, exp.Expr] = {}
    products: list[tuple[str, str]] = [("w", "w")]
    for i, v in enumerate(numeric):
        terms[f"y{i}"] = design.number(v)
        row_terms[f"yy{i}"] = exp.Mul(this=design.number(v), expression=design.number(v))
        products += [(f"y{i}", f"y{i}"), (f"y{i}", "w")]
    m = moments.moment_pass(
        design,
        terms=terms,
        products=products,
        row_terms=row_terms,
        by=by,
        where=where,
        variables=numeric,
        na_rm=na_rm,
    )
    nobs = m.weighted_count
    w_total = m.totals("w")
    rows: list[Estimate] = []
    for i, v in enumerate(numeric):
        y_total, yy_total = m.totals(f"y{i}"), m.totals(f"yy{i}")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = y_total / w_total
            s2 = (yy_total - y_total * mean) / w_total * nobs / (nobs - 1)
            srs_mean = s2 * (w_total - nobs) / (w_total * nobs)
            if statistic == "total":
                estimate, srs = y_total, srs_mean * w_total**2
                coefficients = {f"y{i}": np.ones_like(y_total)}
            else:
                estimate, srs = mean, srs_mean
                coefficients = {f"y{i}": 1 / w_total, "w": -mean / w_total}
        variance = moments.linear_variance(design, m, coefficients)
        rows += _rows(design, m, statistic, v, estimate, variance, srs, w_total, nobs, level=level)
    return rows


def _moment_ratio(
    design: Design,
    numerator: str,
    denominator: str,
    *,
    by: list[str],
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> list[Estimate]:
    """A ratio of totals from per-stratum moments (one small pass)."""
    y, x = design.number(numerator), design.number(denominator)
    m = moments.moment_pass(
        design,
        terms={"w": _ONE.copy(), "y": y, "x": x},
        products=[("y", "y"), ("y", "x"), ("x", "x")],
        row_terms={
            "yy": exp.Mul(this=y.copy(), expression=y.copy()),
            "xx": exp.Mul(this=x.copy(), expression=x.copy()),
            "xy": exp.Mul(this=x.copy(), expression=y.copy()),
        },
        by=by,
        where=where,
        variables=[numerator, denominator],
        na_rm=na_rm,
    )
    s = {name: m.totals(name) for name in ("w", "y", "x", "yy", "xx", "xy")}
    nobs = m.weighted_count
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s["y"] / s["x"]
        residual_ss = s["yy"] - 2 * ratio * s["xy"] + ratio**2 * s["xx"]
        s2 = residual_ss / s["x"] ** 2 / s["w"] * nobs / (nobs - 1)
        srs = s2 * s["w"] ** 2 * (s["w"] - nobs) / (s["w"] * nobs)
        coefficients = {"y": 1 / s["x"], "x": -ratio / s["x"]}
    variance = moments.linear_variance(design, m, coefficients)
    return _rows(
        design,
        m,
        "ratio",
        f"{numerator}/{denominator}",
        ratio,
        variance,
        srs,
        s["w"],
        nobs,
        level=level,
    )


def _centre(
    design: Design, z: FloatArray, cells: UnitCells, sums: FloatArray
) -> tuple[FloatArray, UnitCells]:
    """Centre linearised values after post-stratification or calibration.

    For post-strata ``sums`` is Σ z per stratum × cell; for a calibration, Σ x z / g
    per model column × cell.

    R (survey 4.x) removes from each value ``z_i`` the post-stratum's weighted mean of
    ``z / w``, that is ``w_i`` times the stratum's total of z over its population size.
    A design with several weighting steps takes the residuals of every step in order.
    """
    if design.chain is not None:
        return design.chain.centre(z, cells, sums, design.units.count)
    if design.calibration is not None:
        return design.calibration.centre(z, cells, sums, design.units.count)
    if design.raking is not None:
        return design.raking.centre(z, cells, sums, design.units.count)
    strata = design.poststrata
    if strata is None:
        return z, cells
    from amargah.stats.weighting.poststratify import residualize

    # post-strata of population zero (nonrespondents) carry no weight and no centring
    size = strata.population[:, None]
    means = np.divide(sums, size, out=np.zeros_like(sums), where=size > 0)
    return residualize(z, cells, means, strata, design.units.count)


def adjust_pair(agg: Aggregate, y: str, w: str) -> tuple[FloatArray, FloatArray] | None:
    """The unweighted per-post-stratum sums of two terms, when post-stratified."""
    if agg.adjust_sums is None:
        return None
    return agg.adjust_sums[y], agg.adjust_sums[w]


def check_level(level: float) -> None:
    if not 0 < level < 1:
        raise SurveyInputError(f"confidence level must be between 0 and 1, not {level}")


def linear_rows(
    design: Design,
    agg: Aggregate,
    cells: UnitCells,
    statistic: str,
    variable: str,
    *,
    y: FloatArray,
    w: FloatArray,
    totals: tuple[FloatArray, FloatArray, FloatArray],
    count: FloatArray,
    nobs: FloatArray,
    level: float,
    term: list[str | None] | None = None,
    domain_of_cell: IntArray | None = None,
    ps: tuple[FloatArray, FloatArray] | None = None,
) -> list[Estimate]:
    """Rows for totals (``statistic == "total"``) or means of ``y`` per cell.

    ``y`` and ``w`` are the weighted sums of the variable and of the weights in each
    (unit, cell) row of ``cells``; ``totals`` are the cell totals of y, w and y².
    ``ps`` are the weighted sums of y and of the weights per post-stratum and cell,
    for a post-stratified design.
    """
    y_total, w_total, yy_total = totals
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = y_total / w_total
        # R's svyvar: weighted variance with the n / (n - 1) correction
        s2 = (yy_total - y_total * mean) / w_total * nobs / (nobs - 1)
        srs_mean = s2 * (w_total - nobs) / (w_total * nobs)
        if statistic == "total":
            estimate = y_total
            z = y
            srs = srs_mean * w_total**2
        else:
            estimate = mean
            z = (y - mean[cells.cell] * w) / w_total[cells.cell]
            srs = srs_mean
    if ps is not None:
        uy, uw = ps
        with np.errstate(invalid="ignore", divide="ignore"):
            centred = uy if statistic == "total" else (uy - mean[None, :] * uw) / w_total[None, :]
        z, cells = _centre(design, z, cells, centred)
    variance = _linearised_variance(design, z, cells)
    return _rows(
        design,
        agg,
        statistic,
        variable,
        estimate,
        variance,
        srs,
        w_total,
        nobs,  # rows of weight zero (nonrespondents, say) are not used
        level=level,
        term=term,
        domain_of_cell=domain_of_cell,
    )


def _categorical_rows(
    design: Design, agg: Aggregate, statistic: str, variable: str, *, level: float
) -> list[Estimate]:
    n_levels = len(agg.levels)
    n_domains = len(agg.domains)
    # every unit with rows in a domain has a linearised value for every level of it
    # (zero count of a level is information), so the sparse rows are expanded to
    # (unit, domain) pairs × levels
    domain = agg.cells.cell // n_levels
    level_index = agg.cells.cell % n_levels
    pair_key = agg.cells.unit * n_domains + domain
    pairs, pair_of_row = np.unique(pair_key, return_inverse=True)
    pair_of_row = pair_of_row.reshape(-1)
    n_pairs = pairs.shape[0]
    w_level = np.bincount(
        pair_of_row * n_levels + level_index, weights=agg.sums["w"], minlength=n_pairs * n_levels
    ).astype(float)
    w_pair = np.bincount(pair_of_row, weights=agg.sums["w"], minlength=n_pairs)
    unit = np.repeat(pairs // n_domains, n_levels)
    cell = np.repeat(pairs % n_domains, n_levels) * n_levels + np.tile(np.arange(n_levels), n_pairs)
    cells = UnitCells(unit=unit, cell=cell, n_cells=agg.cells.n_cells)
    domain_of_cell = np.repeat(np.arange(n_domains), n_levels)
    level_totals = agg.totals("w")
    domain_totals = level_totals.reshape(n_domains, n_levels).sum(axis=1)[domain_of_cell]
    count = agg.count.reshape(n_domains, n_levels).sum(axis=1)[domain_of_cell]
    nobs = agg.weighted_count.reshape(n_domains, n_levels).sum(axis=1)[domain_of_cell]
    labels: list[str | None] = [level_label(v) for v in agg.levels]
    ps = None
    if agg.adjust_sums is not None:
        level_counts = agg.adjust_sums["w"]
        n_ps = level_counts.shape[0]
        domain_counts = level_counts.reshape(n_ps, n_domains, n_levels).sum(axis=2)
        ps = (level_counts, domain_counts[:, domain_of_cell])
    rows = linear_rows(
        design,
        agg,
        cells,
        "total" if statistic == "total" else "mean",
        variable,
        y=w_level,
        w=np.repeat(w_pair, n_levels),
        # an indicator's square is itself
        totals=(level_totals, domain_totals, level_totals),
        count=count,
        nobs=nobs,
        level=level,
        term=labels * n_domains,
        domain_of_cell=domain_of_cell,
        ps=ps,
    )
    if statistic == "proportion":
        rows = [_renamed(r, "proportion") for r in rows]
    return rows


def _renamed(row: Estimate, statistic: str) -> Estimate:
    data = row.to_dict()
    data["statistic"] = statistic
    return Estimate(**data)


def estimate_ratio(
    design: Design,
    numerator: str,
    denominator: str,
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> Estimates:
    """Ratio of totals ``Y / X`` per domain; see `Design.ratio`."""
    check_level(level)
    domain_by = by_columns(design, by)
    for column in (numerator, denominator):
        design.require_column(column)
        design.require_numeric(column)
    if moments.applies(design):
        try:
            return Estimates(
                tuple(
                    _moment_ratio(
                        design,
                        numerator,
                        denominator,
                        by=domain_by,
                        where=where,
                        na_rm=na_rm,
                        level=level,
                    )
                )
            )
        except moments.Cancellation:
            pass
    y, x = design.number(numerator), design.number(denominator)
    terms: dict[str, exp.Expr] = {
        "w": _ONE.copy(),
        "y": y,
        "x": x.copy(),
        "yy": exp.Mul(this=y.copy(), expression=y.copy()),
        "xx": exp.Mul(this=x.copy(), expression=x.copy()),
        "xy": exp.Mul(this=x.copy(), expression=y.copy()),
    }
    agg = domain_pass(
        design,
        terms=terms,
        by=domain_by,
        where=where,
        variables=[numerator, denominator],
        na_rm=na_rm,
    )
    s = {name: agg.totals(name) for name in terms}
    nobs = agg.weighted_count
    cell = agg.cells.cell
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = s["y"] / s["x"]
        z = (agg.sums["y"] - ratio[cell] * agg.sums["x"]) / s["x"][cell]
        # R: deff of the total of the linearised variable (y - R x) / X
        residual_ss = s["yy"] - 2 * ratio * s["xy"] + ratio**2 * s["xx"]
        s2 = residual_ss / s["x"] ** 2 / s["w"] * nobs / (nobs - 1)
        srs = s2 * s["w"] ** 2 * (s["w"] - nobs) / (s["w"] * nobs)
    cells = agg.cells
    pair = adjust_pair(agg, "y", "x")
    if pair is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            centred = (pair[0] - ratio[None, :] * pair[1]) / s["x"][None, :]
        z, cells = _centre(design, z, cells, centred)
    variance = _linearised_variance(design, z, cells)
    rows = _rows(
        design,
        agg,
        "ratio",
        f"{numerator}/{denominator}",
        ratio,
        variance,
        srs,
        s["w"],
        nobs,
        level=level,
    )
    return Estimates(tuple(rows))


def _rows(
    design: Design,
    agg: Aggregate | moments.Moments,
    statistic: str,
    variable: str,
    estimate: FloatArray,
    variance: FloatArray,
    srs_variance: FloatArray,
    population: FloatArray,
    count: FloatArray,
    *,
    level: float,
    term: list[str | None] | None = None,
    domain_of_cell: IntArray | None = None,
) -> list[Estimate]:
    quantile = NormalDist().inv_cdf((1 + level) / 2)
    se = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(estimate != 0, se / estimate, np.nan)  # signed, as R's cv()
        deff = variance / srs_variance
    rows = []
    for cell in range(estimate.shape[0]):
        d = cell if domain_of_cell is None else int(domain_of_cell[cell])
        domain = agg.domains[d] or None
        rows.append(
            Estimate(
                statistic=statistic,
                variable=variable,
                term=None if term is None else term[cell],
                domain=domain,
                estimate=float(estimate[cell]),
                se=float(se[cell]),
                ci_lower=float(estimate[cell] - quantile * se[cell]),
                ci_upper=float(estimate[cell] + quantile * se[cell]),
                cv=float(cv[cell]),
                deff=float(deff[cell]),
                df=float(design.df),
                n=int(count[cell]),
                population=float(population[cell]),
            )
        )
    return rows


def _linearised_variance(design: Design, z: FloatArray, cells: UnitCells) -> FloatArray:
    """`design_variance` over the design's stages, once any lonely-PSU error owed at a
    later stage (which replicate weights do not need) has been raised."""
    design.units.check_later_stages()
    return design_variance(z, cells, design.units.stages, design.lonely_psu)
