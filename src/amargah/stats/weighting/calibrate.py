"""Calibration of the weights to known population totals: linear (GREG) and raking.

The calibrated weight is ``w_i g_i`` with ``g_i = 1 + x_i'lambda`` (linear) or
``exp(x_i'lambda)`` (raking), ``x_i`` the row's values of the calibration model
(an intercept, numeric columns, and a dummy for each level but the first of a
categorical column, as R's ``model.matrix``), chosen so that the weighted totals of
``x`` equal the given population totals. Everything the fitting needs are the weighted
totals and cross-products of ``x``: one aggregation for linear calibration, one per
Newton step for raking.

The variance is R's: the linearised values ``z`` are replaced by the residuals of their
regression on ``x``, ``z_i - w*_i x_i'beta`` with ``beta = (sum w x x')^-1 sum x z / g``
(``w`` the weights before calibration, ``w*`` after). In aggregate form ``beta`` needs
the per-domain totals of ``w x`` times the estimator's terms, and the correction of a
unit its total of ``w* x``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from sqlglot import exp

from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import FloatArray, UnitCells
from amargah.stats.expressions import parse_terms
from amargah.stats.unit_query import aggregate_per_unit
from amargah.stats.weighting.chain import (
    WeightingStep,
    raking_steps,
    refuse_weightless_terms,
    solve_calibration,
    with_step,
)

if TYPE_CHECKING:
    from amargah.stats.design import Design

CalibrationFunction = Literal["linear", "raking"]
INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration, and what the variance of estimators needs from it.

    Attributes
    ----------
    formula
        The model as given (``"~age+sex"``).
    names
        Model column names as R's ``model.matrix`` gives them.
    columns
        SQL expression of each model column.
    calfun
        ``"linear"`` or ``"raking"``.
    coefficients
        ``lambda``, shape (p,).
    information
        ``sum w x x'`` with the weights before calibration, shape (p, p).
    unit_totals
        ``sum w* x`` over the rows of each finest unit, shape (units, p).
    target
        The population totals, shape (p,) (replicates are calibrated to them).
    epsilon, maxit
        Raking's stopping rule (relative misfit of every total) and iteration limit.
    """

    formula: str
    names: tuple[str, ...]
    columns: tuple[exp.Expr, ...]
    calfun: str
    coefficients: FloatArray
    information: FloatArray
    unit_totals: FloatArray
    target: FloatArray | None = None
    epsilon: float = 1e-10
    maxit: int = 50

    def linear_predictor(self) -> exp.Expr:
        """``x'lambda`` as SQL."""
        terms: list[exp.Expr] = [
            exp.Mul(this=exp.Literal.number(float(c)), expression=x.copy())
            for c, x in zip(self.coefficients, self.columns, strict=True)
        ]
        total = terms[0]
        for term in terms[1:]:
            total = exp.Add(this=total, expression=term)
        return exp.Paren(this=total)

    def g_expression(self) -> exp.Expr:
        """The calibration factor ``g`` of a row as SQL."""
        eta = self.linear_predictor()
        if self.calfun == "raking":
            return exp.func("exp", eta)
        return exp.Paren(this=exp.Add(this=exp.Literal.number(1), expression=eta))

    def centre(
        self, z: FloatArray, cells: UnitCells, sums: FloatArray, n_units: int
    ) -> tuple[FloatArray, UnitCells]:
        """Residuals of the linearised values on the model (dense units × cells).

        ``sums`` has shape (p, cells): per cell, ``sum x z / g`` over its rows.
        """
        beta = np.linalg.solve(self.information, sums)
        dense = cells.dense(z, n_units)
        dense -= self.unit_totals @ beta
        return UnitCells.flatten(dense)


def _model(design: Design, formula: str) -> tuple[list[str], list[exp.Expr], list[str]]:
    """Model column names and SQL expressions, and the data columns they use."""
    from amargah.stats.design import is_numeric

    terms = list(parse_terms(formula))
    if not terms:
        raise SurveyInputError(f"empty calibration formula {formula!r}")
    names = [INTERCEPT]
    columns: list[exp.Expr] = [exp.cast(exp.Literal.number(1), exp.DataType.build("double"))]
    for term in terms:
        design.require_column(term)
        if is_numeric(design.data_type(term)):
            names.append(term)
            columns.append(design.number(term))
            continue
        query = (
            exp.select(design.column(term).as_("level"))
            .from_(exp.to_table(design.source))
            .where(exp.Not(this=design.column(term).is_(exp.Null())))
            .distinct()
        )
        levels = sorted(design.engine.execute(query).column("level").to_pylist(), key=str)
        for level in levels[1:]:  # treatment contrasts: the first level is the base
            names.append(f"{term}{_label(level)}")
            literal = (
                exp.Boolean(this=level)
                if isinstance(level, bool)
                else (
                    exp.Literal.string(level)
                    if isinstance(level, str)
                    else exp.Literal.number(level)
                )
            )
            condition = exp.EQ(this=design.column(term), expression=literal)
            columns.append(
                exp.Case().when(condition, exp.Literal.number(1.0)).else_(exp.Literal.number(0.0))
            )
    return names, columns, terms


def _label(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _moments(
    design: Design, columns: Sequence[exp.Expr], g: exp.Expr | None
) -> tuple[FloatArray, FloatArray]:
    """Per unit: ``sum w g x`` (units, p) and ``sum w g x x'`` (units, p, p)."""
    units = design.units
    weight = design.weight_expression()
    if g is not None:
        weight = exp.Mul(this=weight, expression=g)
    p = len(columns)
    selections: list[exp.Expr] = []
    for a in range(p):
        product = exp.Mul(this=weight.copy(), expression=columns[a].copy())
        selections.append(exp.func("sum", product).as_(f"m{a}"))
        for b in range(a, p):
            cross = exp.Mul(this=product.copy(), expression=columns[b].copy())
            selections.append(exp.func("sum", cross).as_(f"c{a}_{b}"))
    names = [f"m{a}" for a in range(p)] + [f"c{a}_{b}" for a in range(p) for b in range(a, p)]
    result = aggregate_per_unit(design, design.select_from(*selections), names)
    unit = np.asarray(result.column("unit").to_numpy(), dtype=np.int64)
    factor = units.weight_factor[unit]
    first = np.zeros((units.count, p))
    second = np.zeros((units.count, p, p))
    for a in range(p):
        first[unit, a] = np.asarray(result.column(f"m{a}").to_numpy(), dtype=float) * factor
        for b in range(a, p):
            values = np.asarray(result.column(f"c{a}_{b}").to_numpy(), dtype=float) * factor
            second[unit, a, b] = values
            second[unit, b, a] = values
    return first, second


def calibrate(
    design: Design,
    formula: str,
    totals: Mapping[str, float],
    *,
    calfun: CalibrationFunction,
    maxit: int,
    epsilon: float,
) -> Design:
    """See `Design.calibrate`; the model is fitted on the weights of ``design``."""
    if calfun not in ("linear", "raking"):
        raise SurveyInputError(f"calfun must be linear or raking, not {calfun!r}")
    names, columns, used = _model(design, formula)
    for column in used:
        missing = design.column(column).is_(exp.Null())
        rows = design.first_rows(missing)
        if rows:
            raise SurveyInputError(
                "missing values in a calibration variable", column=column, rows=rows
            )
    unknown = sorted(set(totals) - set(names))
    absent = [n for n in names if n not in totals]
    if unknown or absent:
        raise SurveyInputError(
            f"calibration totals must be given for exactly {', '.join(names)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(absent)}" if absent else "")
        )
    target = np.array([float(totals[n]) for n in names])
    first, second = _moments(design, columns, None)
    information = second.sum(axis=0)
    sample = first.sum(axis=0)
    if calfun == "linear":
        coefficients = solve_calibration(information, target - sample, names)
        unit_totals = first + second @ coefficients
    else:
        reach = np.diagonal(information)[None, :]  # sum w x^2 of each term
        refuse_weightless_terms(reach, target, names, replicates=False)

        def moments_at(coefficients: FloatArray) -> tuple[FloatArray, FloatArray]:
            trial = Calibration(
                formula, tuple(names), tuple(columns), calfun, coefficients, information, first
            )
            return _moments(design, columns, trial.g_expression())

        coefficients, (unit_totals, _moment), achieved = raking_steps(
            moments_at,
            lambda moments: (moments[0].sum(axis=0), moments[1].sum(axis=0)),
            (first, second),
            target,
            epsilon=epsilon,
            maxit=maxit,
        )
        if not achieved < epsilon:
            raise SurveyInputError(
                f"raking calibration did not converge in {maxit} iterations; "
                "check that the totals are consistent"
            )
    calibration = Calibration(
        formula=formula,
        names=tuple(names),
        columns=tuple(columns),
        calfun=calfun,
        coefficients=coefficients,
        information=information,
        unit_totals=unit_totals,
        target=target,
        epsilon=epsilon,
        maxit=maxit,
    )
    scheme = getattr(design, "scheme", None)
    # a replicate design calibrated by raking, or after another step, re-weights its
    # replicates through the chain's weighting cells
    chained = scheme is not None and (
        calfun != "linear" or bool(design.steps) or bool(scheme.columns)
    )
    step = WeightingStep("calibrate", calibration=calibration)
    calibrated = with_step(design, step, chain=chained)
    if scheme is not None:
        # a replicate design: every replicate is calibrated to the same totals
        from amargah.stats.design import ReplicateDesign
        from amargah.stats.estimation.replication import (
            calibration_coefficients,
            calibration_df,
        )
        from amargah.stats.weighting.chain import chain_df, replicate_ratio, supplied_factors

        if scheme.columns:
            # replicate weight columns: every column calibrated to the totals
            factors = supplied_factors(calibrated, scheme)
            kept = scheme.df if calfun == "raking" else None
            return ReplicateDesign(
                calibrated, replace(scheme, supplied_factors=factors, kept_degrees=kept)
            )
        # the degrees of freedom are the rank of the new replicate weights minus one
        if calibrated.chain is not None:
            ratio = replicate_ratio(calibrated, scheme)
            # R's calibrate() of a replicate design keeps the whole design's degrees
            # of freedom when it rakes (its linear path, like postStratify and rake,
            # takes the rank of the new weights); a subset gets the rank in any case
            return ReplicateDesign(
                calibrated,
                replace(
                    scheme,
                    poststratum_ratio=ratio,
                    calibration_coefficients=None,
                    degrees=chain_df(calibrated, scheme, ratio),
                    kept_degrees=scheme.df if calfun == "raking" else None,
                ),
            )
        lambdas = calibration_coefficients(calibrated, scheme, first, second)
        df = calibration_df(calibrated, scheme, second, lambdas)
        return ReplicateDesign(
            calibrated,
            replace(scheme, calibration_coefficients=lambdas, degrees=df, kept_degrees=None),
        )
    return calibrated
