"""Chained weighting: several weighting steps applied in turn, as R's ``survey`` allows.

A design's weights may be adjusted more than once: post-stratified then raked,
adjusted for nonresponse then calibrated, and so on. Each step is sized on the weights
of the design it is applied to (the sampling weights times the factors of the earlier
steps), and the final weight of a row is its sampling weight times every step's factor
in order. In SQL, every step with a relation (post-strata, raking cells, trimmed weight
values) is joined under its own alias, ``ps0``, ``ps1``, ...

The variance is R's ``svyrecvar`` with a list of post-strata: the linearised values
are replaced, step after step in the order the steps were applied, by their residuals
from that step's projection (post-stratum means, raking margins, calibration model),
each with the weights the step produced; weight trimming, as R's ``trimWeights``, is
not a projection. Every step's residual is linear in the values it is given, so all
steps together need, per step, a few sums over *weighting cells*: the combinations of
every step's cell (post-stratum, raking cell, trimmed weight value) and calibration
model values present in the data. Within a weighting cell every step's factor is the
same, for the full sample and for every replicate, so

* the design keeps one small table, per finest unit and weighting cell, of the
  sampling weight sum and the rows (one pass when the chain is made);
* an estimator's pass also groups by weighting cell, and the residuals of the units'
  linearised totals are arithmetic on those sums;
* a replicate design re-weights every replicate through every step, in order, from
  the PSU × weighting-cell sums of the sampling weights (no pass per replicate).

With a numeric calibration variable the weighting cells are close to the rows, and so
are these tables; with categorical ones they stay small.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import FloatArray, IntArray, UnitCells
from amargah.stats.unit_query import aggregate_per_unit

if TYPE_CHECKING:
    from amargah.stats.design import Design
    from amargah.stats.estimation.replication import ReplicateScheme
    from amargah.stats.weighting.calibrate import Calibration
    from amargah.stats.weighting.poststratify import PostStrata
    from amargah.stats.weighting.rake import Raking

StepKind = Literal["poststratify", "nonresponse", "rake", "calibrate", "trim"]
_T = TypeVar("_T")
_Moments = TypeVar("_Moments")
_ONE = exp.Literal.number(1)
_ZERO = exp.Literal.number(0)


@dataclass(frozen=True)
class WeightingStep:
    """One adjustment of a design's weights.

    Attributes
    ----------
    kind
        ``"poststratify"``, ``"nonresponse"``, ``"rake"``, ``"calibrate"`` or ``"trim"``.
    groups
        The relation joined to every row (post-strata, raking cells or trimmed weight
        values) with the factor of each group; ``None`` for a calibration.
    raking
        What the variance of a raking step needs.
    calibration
        The fitted calibration of a calibration step.
    keys
        SQL expressions matched to the relation's ``amargah_pk0, ...``; empty when they
        are the groups' data columns (a trimming after an earlier step matches the
        weight of that design, an expression).
    """

    kind: StepKind
    groups: PostStrata | None = None
    raking: Raking | None = None
    calibration: Calibration | None = None
    keys: tuple[exp.Expr, ...] = ()

    def join_keys(self, design: Design) -> list[exp.Expr]:
        """The data side of the join to the step's relation."""
        if self.keys:
            return [k.copy() for k in self.keys]
        if self.groups is None:
            raise AssertionError("a calibration step has no relation")
        return [design.column(c) for c in self.groups.columns]

    @property
    def projects(self) -> bool:
        """Whether the variance takes residuals on this step (all but trimming)."""
        return self.kind != "trim"


@dataclass(frozen=True)
class _Block:
    """A step of the chain on which the variance takes residuals.

    R's step replaces the values ``x`` by ``x_i - q_i w0_i a_i'theta`` where ``a_i`` is
    the row's projection row (its cell's indicator, or its calibration model values),
    ``w0`` the sampling weight and ``theta`` solves ``solve(sum_i a_i c_i x_i)``:

    * post-stratification: ``c = 1``, ``q`` the factor after the step, ``theta`` the
      sums over the post-strata's population sizes (R's means of ``x oldw / w``);
    * raking: ``c = 1 / w`` with the weights before it (over rows with weight), ``q``
      the factor before it, ``theta`` from ten rounds of unweighted margin means;
    * calibration: ``c = 1 / g``, ``q`` the factor after it, ``theta`` the regression
      coefficients (``sum w x x'`` with the weights before it).

    ``cell`` (weighting cell → the step's cell) or ``model`` (weighting cell → model
    row) gives ``a``; ``q`` and ``c`` are per weighting cell (``c`` over the sampling
    weight: ``weighted`` sums, or, for raking, unweighted sums times the later factors).
    ``cross[t]`` is ``sum_i a_i c_i q_t,i w0_i a_t,i'`` for each earlier block ``t``: the
    earlier residual terms as they enter this step's sums.
    """

    step: int
    kind: StepKind
    size: int
    cell: IntArray | None
    model: FloatArray | None
    q: FloatArray
    c: FloatArray
    weighted: bool
    solve_data: FloatArray
    rows: FloatArray | None
    cross: tuple[FloatArray, ...]
    raking: Raking | None = None


@dataclass(frozen=True)
class Chain:
    """The weighting cells of a chained design and what its estimators need of them.

    Attributes
    ----------
    steps
        The weighting steps, in order.
    key_values
        Per key column (see `key_expressions`), its distinct values in sorted order.
    members
        Shape (cells, keys): each weighting cell's code in every key column.
    pair_unit, pair_cell, pair_weight, pair_square
        Per (finest unit, weighting cell) with rows: the sampling weights' sum
        (persons) and sum of squares.
    cell_weight, cell_rows
        Per weighting cell: the sampling weight sum and the rows of non-zero weight.
    factors
        Shape (steps + 1, cells): the product of the first s steps' factors.
    step_factor
        Shape (steps, cells): each step's own factor.
    blocks
        The steps on which the variance takes residuals.
    unweighted
        Whether estimators' passes must also give unweighted sums (raking steps).
    models, cells
        Per step: its model values (cells, p) for a calibration, or the index of its
        cell (post-stratum, raking cell, trimmed weight value) in every weighting cell.
    """

    steps: tuple[WeightingStep, ...]
    key_values: tuple[pa.Array, ...]
    members: IntArray
    pair_unit: IntArray
    pair_cell: IntArray
    pair_weight: FloatArray
    pair_square: FloatArray
    cell_weight: FloatArray
    cell_rows: FloatArray
    factors: FloatArray
    step_factor: FloatArray
    blocks: tuple[_Block, ...]
    unweighted: bool
    models: tuple[FloatArray | None, ...]
    cells: tuple[IntArray | None, ...]

    @property
    def count(self) -> int:
        """Number of weighting cells."""
        return int(self.members.shape[0])

    # -- locating weighting cells -------------------------------------------------------

    def locate(self, columns: list[pa.ChunkedArray], rows: int) -> IntArray:
        """The weighting cell of each of ``rows`` rows of a pass, from its key columns."""
        if not columns:
            return np.zeros(rows, dtype=np.int64)
        codes = []
        for values, column in zip(self.key_values, columns, strict=True):
            found = pc.index_in(column, value_set=values.cast(column.type))
            if found.null_count:
                raise AssertionError("a row's weighting cell is not in the design's table")
            codes.append(np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64))
        return _position(self.members, np.stack(codes, axis=1), self._sizes)

    @property
    def _sizes(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.key_values)

    # -- Taylor variance ------------------------------------------------------------------

    def adjust_sums(
        self,
        cells: UnitCells,
        wcell: IntArray,
        weighted: FloatArray,
        unweighted: FloatArray | None,
    ) -> FloatArray:
        """Stacked per-step sums (sum of step sizes, cells) of one term of a pass.

        ``weighted`` and ``unweighted`` are the pass's sums of the term per row
        (finest unit, cell, weighting cell ``wcell``): with the final weights, and
        without weights over rows of non-zero sampling weight.
        """
        k = cells.n_cells
        parts = []
        for block in self.blocks:
            if block.weighted:
                values = block.c[wcell] * weighted
            else:
                if unweighted is None:
                    raise AssertionError("the pass lacks the unweighted sums")
                values = block.c[wcell] * self.factors[-1][wcell] * unweighted
            parts.append(_project_rows(block, wcell, cells.cell, values, k))
        return np.concatenate(parts, axis=0)

    def centre(
        self, z: FloatArray, cells: UnitCells, sums: FloatArray, n_units: int
    ) -> tuple[FloatArray, UnitCells]:
        """Residuals of linearised unit totals after every step, in order (R's svyrecvar).

        ``z`` are the totals of (unit, cell) rows; ``sums`` the statistic's stacked
        per-step sums (see `adjust_sums`), combined as the statistic combines its terms.
        Returns dense values over every unit × cell.
        """
        dense = cells.dense(z, n_units)
        offset = 0
        thetas: list[FloatArray] = []
        for block in self.blocks:
            own = sums[offset : offset + block.size]
            offset += block.size
            entering = own.copy()
            for earlier, cross in zip(thetas, block.cross, strict=True):
                entering -= cross @ earlier
            theta = _solve(block, entering)
            thetas.append(theta)
            pair_q = self.pair_weight * block.q[self.pair_cell]
            if block.cell is not None:
                values = theta[block.cell[self.pair_cell]]
            else:
                values = _present(block.model)[self.pair_cell] @ theta
            np.add.at(dense, self.pair_unit, -pair_q[:, None] * values)
        return UnitCells.flatten(dense)

    # -- replicates -------------------------------------------------------------------

    def replicate_factors(self, base: FloatArray) -> FloatArray:
        """Each replicate's weight over its base weight in every weighting cell.

        ``base`` has shape (replicates, cells): each replicate's sum of sampling weights
        in every weighting cell. Every step re-weights every replicate, in order, as
        R's ``postStratify``, ``rake`` and ``calibrate`` of a replicate design do.
        """
        factor = np.ones_like(base)
        for s, step in enumerate(self.steps):
            current = base * factor
            if step.kind in ("poststratify", "nonresponse"):
                groups, cell = _present(step.groups), _present(self.cells[s])
                sums = np.zeros((groups.count, base.shape[0]))
                np.add.at(sums, cell, current.T)
                refuse_empty_replicate_group(sums.T, groups, nonresponse=step.kind == "nonresponse")
                with np.errstate(divide="ignore", invalid="ignore"):
                    scale = np.where(sums > 0, groups.population[:, None] / sums, 0.0)
                factor = factor * scale.T[:, cell]
            elif step.kind == "rake":
                raking, cell = _present(step.raking), _present(self.cells[s])
                cell_base = np.zeros((raking.rows.shape[0], base.shape[0]))
                np.add.at(cell_base, cell, current.T)
                factor = factor * raking.replicate_factors(cell_base.T)[:, cell]
            elif step.kind == "calibrate":
                calibration, model = _present(step.calibration), _present(self.models[s])
                factor = factor * replicate_calibration(calibration, model, current)
            else:
                raise SurveyInputError(
                    "trimmed weights of a replicate design are not available; trim the "
                    "weights, then make the replicates"
                )
        return factor


def refuse_empty_replicate_level(
    replicate_sums: FloatArray,
    population: FloatArray,
    labels: Sequence[tuple[object, ...]],
    columns: Sequence[str],
    *,
    missing: str,
) -> None:
    """Refuse a replicate with no sample weight in a level that has a population.

    ``replicate_sums`` has shape (replicates, levels): each replicate's weight sum in
    every level (persons); ``population`` the level's population size; ``missing``
    what the replicate lacks, ``"no sample in post-stratum"`` say. Such a
    replicate cannot be scaled to the level's population: R's ``postStratify`` and
    ``rake`` give its weights as ``NaN``. Its estimate would miss the level, and the
    SE would grow with that level's population, so nothing is computed.
    """
    empty = (replicate_sums <= 0) & (population[None, :] > 0)
    if not empty.any():
        return
    replicate, level = (int(i[0]) for i in np.nonzero(empty))
    others = int(empty.any(axis=1).sum()) - 1
    more = f" (and {others} more)" if others else ""
    raise SurveyInputError(
        f"replicate {replicate + 1}{more} has {missing} "
        f"{'/'.join(str(v) for v in labels[level])}, so its weights cannot be scaled to "
        "that level's population (the replicate gives no weight to its PSUs); "
        "collapse the level with a neighbouring one",
        column="+".join(columns),
    )


def raking_steps(
    moments_at: Callable[[FloatArray], _Moments],
    sums: Callable[[_Moments], tuple[FloatArray, FloatArray]],
    start: _Moments,
    target: FloatArray,
    *,
    epsilon: float,
    maxit: int,
) -> tuple[FloatArray, _Moments, float]:
    """Raking calibration's Newton steps from zero, step for step as R's ``grake``.

    ``moments_at(coefficients)`` gives the moments of the weights times the factors
    ``exp(x'coefficients)``, ``sums`` their model totals (p) and information matrix
    (p, p), and ``start`` the moments at zero. A step whose moments are not finite (the
    factors overflowed) is halved until they are, each halving counting as an iteration;
    at most ``maxit`` iterations. Returns the coefficients, their moments and the largest
    relative misfit ``|target - total| / (1 + |target|)`` reached: below ``epsilon``
    when converged, NaN when the moments are still not finite.
    """
    coefficients = np.zeros(len(target))
    moments = start
    totals, information = sums(moments)
    iteration = 1
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            step = np.linalg.pinv(information, rcond=256 * np.finfo(float).eps) @ (target - totals)
            coefficients = coefficients + step
            moments = moments_at(coefficients)
            totals, information = sums(moments)
            while iteration < maxit and not (
                np.all(np.isfinite(totals)) and np.all(np.isfinite(information))
            ):
                iteration += 1
                step = step / 2
                coefficients = coefficients - step
                moments = moments_at(coefficients)
                totals, information = sums(moments)
            achieved = float(np.max(np.abs(target - totals) / (1 + np.abs(target))))
            iteration += 1
            if achieved < epsilon or iteration > maxit:
                return coefficients, moments, achieved


def solve_calibration(
    information: FloatArray, right: FloatArray, names: Sequence[str]
) -> FloatArray:
    """Solve calibration equations, refusing a singular system with a clear error.

    ``information`` is ``sum w x x'``, shape (p, p) for the full sample or (replicates,
    p, p) for every replicate; ``right`` is (p,) or (replicates, p, 1). A system whose
    reciprocal condition number is below the machine epsilon is refused, as R's
    ``solve`` refuses it, naming the replicate and the term without weight or the
    collinear terms.
    """
    replicates = information.ndim == 3
    stacked = information.reshape(-1, *information.shape[-2:])
    with np.errstate(divide="ignore", invalid="ignore"):
        condition = np.linalg.cond(stacked)
    singular = ~(condition < 1 / np.finfo(float).eps)  # nan counts as singular
    if singular.any():
        # a term without weight: its row and column of the system are zero
        reach = np.where(singular[:, None], np.diagonal(stacked, axis1=1, axis2=2), 1.0)
        refuse_weightless_terms(reach, None, names, replicates=replicates)
        # otherwise the terms that take part in the first system's null direction
        null = np.linalg.svd(stacked[np.flatnonzero(singular)[0]])[2][-1]
        terms = [names[int(j)] for j in np.flatnonzero(np.abs(null) > 1e-6 * np.abs(null).max())]
        who = _systems(singular, replicates=replicates)
        raise SurveyInputError(
            f"calibration terms {', '.join(terms)} are collinear in "
            f"{f'the weights of {who}' if replicates else who}, so the calibration "
            "equations have no single solution; drop one of them"
        )
    return np.asarray(np.linalg.solve(information, right), dtype=float)


def refuse_weightless_terms(
    reach: FloatArray, target: FloatArray | None, names: Sequence[str], *, replicates: bool
) -> None:
    """Refuse calibration when a term has no weight but a total to reach.

    ``reach`` has shape (systems, p): ``sum w x^2`` of each term in the full sample
    (one system) or in each replicate; ``target`` the population totals (None: any
    total, zero included). Such a system cannot be calibrated to that total.
    """
    weightless = reach <= 0
    if target is not None:
        weightless &= target[None, :] != 0
    systems = np.asarray(weightless.any(axis=1))
    if not systems.any():
        return
    term = names[int(np.flatnonzero(weightless[np.flatnonzero(systems)[0]])[0])]
    raise SurveyInputError(
        f"{_systems(systems, replicates=replicates)} has no weight in calibration term "
        f"{term}, so it cannot be calibrated to that term's total"
        + (" (the replicate gives no weight to its PSUs)" if replicates else "")
        + "; collapse the level with a neighbouring one, or drop the term"
    )


def _systems(flagged: npt.NDArray[np.bool_], *, replicates: bool) -> str:
    """The first flagged replicate (numbered from 1) and how many more, or the sample."""
    if not replicates:
        return "the sample"
    others = int(flagged.sum()) - 1
    return f"replicate {int(np.flatnonzero(flagged)[0]) + 1}" + (
        f" (and {others} more)" if others else ""
    )


def refuse_empty_replicate_group(
    replicate_sums: FloatArray, groups: PostStrata, *, nonresponse: bool
) -> None:
    """`refuse_empty_replicate_level` for post-strata, or for the weighting classes of a
    nonresponse adjustment (whose groups are the classes split by response status:
    only the respondents' have a population)."""
    labels, columns = groups.labels, groups.columns
    missing = "no sample in post-stratum"
    if nonresponse:
        labels, columns = tuple(label[:-1] for label in labels), columns[:-1]
        missing = "no respondents in weighting class"
    refuse_empty_replicate_level(
        replicate_sums, groups.population, labels, columns, missing=missing
    )


def key_expressions(design: Design) -> list[exp.Expr]:
    """SQL of the key columns that identify a row's weighting cell, step by step."""
    keys: list[exp.Expr] = []
    for j, step in enumerate(design.steps):
        if step.groups is not None:
            keys.append(exp.column("amargah_ps", table=design.step_alias(j)))
        elif step.calibration is not None:
            keys += [c.copy() for c in step.calibration.columns[1:]]
    return keys


def with_step(design: Design, step: WeightingStep, *, chain: bool = False) -> Design:
    """``design`` with one more weighting step (a new design).

    The chain's tables are made when the design then has two steps or more, or when
    ``chain`` asks for them (a replicate design re-weighted in a way only the chain
    supports).
    """
    derived = design._derived(_steps=(*design.steps, step), _chain=None)
    if len(derived.steps) >= 2 or chain:
        derived._set("_chain", build_chain(derived))
    return derived


def ensure_chain(design: Design) -> Design:
    """``design`` itself if it has a chain, or a copy with one made for its steps."""
    if design.chain is not None:
        return design
    derived = design._derived()
    derived._set("_chain", build_chain(derived))
    return derived


def build_chain(design: Design) -> Chain:
    """One pass: sampling weight sums per finest unit and weighting cell; then numpy."""
    units = design.units
    chain_keys = key_expressions(design)
    sampling = design.sampling_weight_expression()
    nonzero = exp.NEQ(this=sampling.copy(), expression=_ZERO.copy())
    rows = exp.cast(
        exp.func("sum", exp.Case().when(nonzero, _ONE.copy()).else_(_ZERO.copy())),
        exp.DataType.build("bigint"),
    )
    names = [f"c{j}" for j in range(len(chain_keys))]
    inner = design.select_from(
        *(c.copy().as_(name) for c, name in zip(chain_keys, names, strict=True)),
        exp.func("sum", sampling).as_("w"),
        exp.func("sum", exp.Mul(this=sampling.copy(), expression=sampling.copy())).as_("w2"),
        rows.as_("n"),
    ).group_by(*(c.copy() for c in chain_keys))
    result = aggregate_per_unit(design, inner, [*names, "w", "w2", "n"])
    unit = np.asarray(result.column("unit").to_numpy(), dtype=np.int64)
    key_values: list[pa.Array] = []
    codes: list[IntArray] = []
    for j in range(len(chain_keys)):
        column = result.column(f"c{j}")
        if column.null_count:
            raise SurveyInputError("missing values in a weighting variable")
        code, values = sorted_codes(column)
        codes.append(code)
        key_values.append(pa.array(values, type=column.type))
    if codes:
        wcell, members = dense_combination(codes, [len(v) for v in key_values])
    else:
        wcell, members = np.zeros(result.num_rows, dtype=np.int64), np.zeros((1, 0), np.int64)
    n_cells = members.shape[0]
    weight = np.asarray(result.column("w").to_numpy(zero_copy_only=False), dtype=float)
    weight = np.nan_to_num(weight) * units.weight_factor[unit]
    square = np.asarray(result.column("w2").to_numpy(zero_copy_only=False), dtype=float)
    square = np.nan_to_num(square) * units.weight_factor[unit] ** 2
    nonzero_rows = np.asarray(result.column("n").to_numpy(), dtype=float)
    cell_weight = np.bincount(wcell, weights=weight, minlength=n_cells).astype(float)
    cell_rows = np.bincount(wcell, weights=nonzero_rows, minlength=n_cells).astype(float)
    values = [
        np.asarray(key_values[j].to_numpy(zero_copy_only=False))[members[:, j]]
        for j in range(len(key_values))
    ]
    # each step's cell or model rows, and factor, per weighting cell
    step_cells: list[IntArray | None] = []
    models: list[FloatArray | None] = []
    step_factor = np.ones((len(design.steps), n_cells))
    column = 0
    for s, step in enumerate(design.steps):
        if step.groups is not None:
            cell = values[column].astype(np.int64)
            column += 1
            step_cells.append(cell)
            models.append(None)
            step_factor[s] = step.groups.factor[cell]
        else:
            calibration = _present(step.calibration)
            p = len(calibration.columns)
            model = np.ones((n_cells, p))
            for j in range(1, p):
                model[:, j] = values[column].astype(float)
                column += 1
            step_cells.append(None)
            models.append(model)
            eta = model @ calibration.coefficients
            step_factor[s] = np.exp(eta) if calibration.calfun == "raking" else 1.0 + eta
    factors = np.ones((len(design.steps) + 1, n_cells))
    for s in range(len(design.steps)):
        factors[s + 1] = factors[s] * step_factor[s]
    blocks: list[_Block] = []
    for s, step in enumerate(design.steps):
        if not step.projects:
            continue
        before, after = factors[s], factors[s + 1]
        if step.kind == "calibrate":
            rows_x = _present(models[s])
            information = rows_x.T @ (rows_x * (cell_weight * before)[:, None])
            block = _Block(
                step=s,
                kind=step.kind,
                size=rows_x.shape[1],
                cell=None,
                model=rows_x,
                q=after,
                c=1.0 / step_factor[s],
                weighted=True,
                solve_data=information,
                rows=None,
                cross=(),
            )
        elif step.kind == "rake":
            raking, cell = _present(step.raking), _present(step_cells[s])
            valid = before > 0
            # R's raking residuals take unweighted means over the rows that carry weight
            rows_per_cell = np.bincount(
                cell, weights=cell_rows * valid, minlength=raking.rows.shape[0]
            ).astype(float)
            with np.errstate(divide="ignore"):
                inverse = np.where(valid, 1.0 / np.where(valid, before, 1.0), 0.0)
            block = _Block(
                step=s,
                kind=step.kind,
                size=raking.rows.shape[0],
                cell=cell,
                model=None,
                q=before,
                c=inverse,
                weighted=False,
                solve_data=np.zeros(0),
                rows=rows_per_cell,
                cross=(),
                raking=raking,
            )
        else:
            groups, cell = _present(step.groups), _present(step_cells[s])
            block = _Block(
                step=s,
                kind=step.kind,
                size=groups.count,
                cell=cell,
                model=None,
                q=after,
                c=np.ones(n_cells),
                weighted=True,
                solve_data=groups.population,
                rows=None,
                cross=(),
            )
        # how the residual terms of the earlier steps enter this step's sums: per
        # weighting cell, the sum over its rows of this step's c times their q
        amount = cell_weight if block.weighted else cell_rows
        cross = tuple(_gram(block, earlier, block.c * amount * earlier.q) for earlier in blocks)
        blocks.append(replace(block, cross=cross))
    return Chain(
        steps=design.steps,
        key_values=tuple(key_values),
        members=members,
        pair_unit=unit,
        pair_cell=wcell,
        pair_weight=weight,
        pair_square=square,
        cell_weight=cell_weight,
        cell_rows=cell_rows,
        factors=factors,
        step_factor=step_factor,
        blocks=tuple(blocks),
        unweighted=any(b.kind == "rake" for b in blocks),
        models=tuple(models),
        cells=tuple(step_cells),
    )


def replicate_ratio(design: Design, scheme: ReplicateScheme) -> FloatArray:
    """Each replicate's final weight over the full sample's, per weighting cell.

    Shape (replicates, weighting cells); zero where the full-sample weight is zero
    (nonrespondents).
    """
    from amargah.stats.estimation.replication import _replicate

    chain = design.chain
    if chain is None:
        raise AssertionError("the design has no weighting chain")
    stage = design.units.stages[0]
    per_psu = np.zeros((stage.n_clusters, chain.count))
    np.add.at(per_psu, (stage.cluster[chain.pair_unit], chain.pair_cell), chain.pair_weight)
    base = _replicate(scheme, design, per_psu, per_psu.sum(axis=0))
    factor = chain.replicate_factors(base)
    full = chain.factors[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(full[None, :] != 0, factor / full[None, :], 0.0)
    return np.asarray(ratio, dtype=float)


def supplied_factors(design: Design, scheme: ReplicateScheme) -> FloatArray:
    """Each supplied replicate weight column's factor per weighting cell (replicates, cells).

    One pass sums every replicate column per weighting cell; every step then re-weights
    every column in order, as R's ``postStratify``, ``rake`` and ``calibrate`` of a
    ``svrepdesign`` with combined weights do.
    """
    chain = design.chain
    if chain is None:
        raise AssertionError("the design has no weighting chain")
    keys = key_expressions(design)
    query = design.select_from(
        *(k.copy().as_(f"c{j}") for j, k in enumerate(keys)),
        *(exp.func("sum", design.number(c)).as_(f"r{r}") for r, c in enumerate(scheme.columns)),
    )
    if keys:
        query = query.group_by(*(k.copy() for k in keys))
    result = design.engine.execute(query)
    wcell = chain.locate([result.column(f"c{j}") for j in range(len(keys))], result.num_rows)
    base = np.stack(
        [
            np.bincount(
                wcell,
                weights=np.nan_to_num(
                    np.asarray(result.column(f"r{r}").to_numpy(zero_copy_only=False), dtype=float)
                ),
                minlength=chain.count,
            ).astype(float)
            for r in range(len(scheme.columns))
        ]
    )
    return chain.replicate_factors(base)


def chain_df(design: Design, scheme: ReplicateScheme, ratio: FloatArray) -> float:
    """Degrees of freedom (rank minus one) of a chained design's replicate weights."""
    from amargah.stats.estimation.replication import grouped_df

    chain = design.chain
    if chain is None:
        raise AssertionError("the design has no weighting chain")
    psu = design.units.stages[0].cluster[chain.pair_unit]
    factor = chain.factors[-1][chain.pair_cell]
    square = chain.pair_square * factor**2
    return grouped_df(
        design, scheme, psu, chain.pair_cell, ratio, chain.pair_weight * factor, square
    )


def replicate_calibration(
    calibration: Calibration, model: FloatArray, weights: FloatArray
) -> FloatArray:
    """Calibration factors (replicates, cells) of replicate weights (replicates, cells).

    As R's ``calibrate`` of a replicate design: every replicate is calibrated to the
    same population totals; linear calibration in one solve, raking by R's ``grake``
    (Newton steps from zero, until every total is within ``epsilon`` relative).
    """
    target = calibration.target
    if target is None:
        raise AssertionError("the calibration does not keep its totals")
    sample = weights @ model  # (replicates, p)
    if calibration.calfun == "linear":
        information = np.einsum("rc,ci,cj->rij", weights, model, model)
        coefficients = solve_calibration(
            information, (target[None, :] - sample)[:, :, None], calibration.names
        )
        return np.asarray(1.0 + model @ coefficients[:, :, 0].T, dtype=float).T
    reach = np.einsum("rc,cj->rj", weights, model * model)  # sum w x^2 of each term
    refuse_weightless_terms(reach, target, calibration.names, replicates=True)
    return _grake(model, weights, target, calibration.epsilon, calibration.maxit)


def _grake(
    model: FloatArray, weights: FloatArray, target: FloatArray, epsilon: float, maxit: int
) -> FloatArray:
    """R's ``grake`` with ``calfun="raking"`` for each replicate (a row of ``weights``)."""
    return np.stack(
        [
            _grake_replicate(model, row, target, epsilon, maxit, replicate=r + 1)
            for r, row in enumerate(weights)
        ]
    )


def _grake_replicate(
    model: FloatArray,
    weights: FloatArray,
    target: FloatArray,
    epsilon: float,
    maxit: int,
    *,
    replicate: int,
) -> FloatArray:
    """The raking factors (cells) of one replicate's weights (`raking_steps`).

    A replicate that is not within ``epsilon`` after ``maxit`` iterations keeps the
    factors reached, with a warning: R's ``calibrate`` of a replicate design does the same
    (it stops only when the full sample fails).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = target / (weights @ model)
    # R rescales the weights when every total is more than 20 times the sample's
    scale = float(np.mean(scales)) if np.min(scales) > 20 else 1.0
    weights = weights * scale

    def moments_at(coefficients: FloatArray) -> tuple[FloatArray, FloatArray]:
        weighted = weights * np.exp(model @ coefficients)
        return weighted @ model, (model * weighted[:, None]).T @ model

    coefficients, _moments, achieved = raking_steps(
        moments_at,
        lambda moments: moments,
        moments_at(np.zeros(model.shape[1])),
        target,
        epsilon=epsilon,
        maxit=maxit,
    )
    if not achieved < epsilon:
        if math.isnan(achieved):
            raise SurveyInputError(
                f"raking calibration of replicate {replicate} diverged: its weights "
                "cannot reach the totals; check that the totals are consistent"
            )
        warnings.warn(
            f"raking calibration of replicate {replicate} did not converge in {maxit} "
            f"iterations (largest relative misfit {achieved:.3g}); its weights are kept "
            "as they are, as R's calibrate keeps them",
            UserWarning,
            stacklevel=6,
        )
    return np.asarray(np.exp(model @ coefficients) * scale, dtype=float)


def _solve(block: _Block, entering: FloatArray) -> FloatArray:
    """The step's coefficients (size, cells) from the sums of the values it is given."""
    if block.kind == "calibrate":
        return np.asarray(np.linalg.solve(block.solve_data, entering), dtype=float)
    if block.kind == "rake":
        return _present(block.raking).correction(entering, _present(block.rows))
    size = block.solve_data[:, None]
    # post-strata of population zero (nonrespondents) carry no weight and no centring
    return np.divide(entering, size, out=np.zeros_like(entering), where=size > 0)


def _gram(block: _Block, earlier: _Block, kappa: FloatArray) -> FloatArray:
    """``sum over weighting cells of kappa a a'`` (block size, earlier size).

    ``a`` are the two steps' projection rows: a cell indicator or the model's values.
    """
    if block.cell is not None and earlier.cell is not None:
        index = block.cell * earlier.size + earlier.cell
        return (
            np.bincount(index, weights=kappa, minlength=block.size * earlier.size)
            .astype(float)
            .reshape(block.size, earlier.size)
        )
    if block.cell is not None:
        out = np.zeros((block.size, earlier.size))
        np.add.at(out, block.cell, kappa[:, None] * _present(earlier.model))
        return out
    model = _present(block.model)
    if earlier.cell is not None:
        out = np.zeros((earlier.size, block.size))
        np.add.at(out, earlier.cell, kappa[:, None] * model)
        return out.T
    return np.asarray(model.T @ (kappa[:, None] * _present(earlier.model)), dtype=float)


def _project_rows(
    block: _Block, wcell: IntArray, cell: IntArray, values: FloatArray, k: int
) -> FloatArray:
    """Sums (size, k) of a pass's row values by the step's projection rows and cell."""
    if block.cell is not None:
        index = block.cell[wcell] * k + cell
        return (
            np.bincount(index, weights=values, minlength=block.size * k)
            .astype(float)
            .reshape(block.size, k)
        )
    model = _present(block.model)[wcell]
    return np.stack(
        [
            np.bincount(cell, weights=model[:, j] * values, minlength=k).astype(float)
            for j in range(block.size)
        ]
    )


def _present(value: _T | None) -> _T:
    """``value``, which the chain's construction guarantees is there."""
    if value is None:
        raise AssertionError("inconsistent weighting chain")
    return value


def _position(members: IntArray, codes: IntArray, sizes: tuple[int, ...]) -> IntArray:
    """Index in ``members`` (sorted rows of codes) of every row of ``codes``."""
    if math.prod(max(s, 1) for s in sizes) < 2**62:
        shape = tuple(max(s, 1) for s in sizes)
        table = np.ravel_multi_index(tuple(members.T), shape)
        flat = np.ravel_multi_index(tuple(codes.T), shape)
        position = np.searchsorted(table, flat)
        position = np.minimum(position, table.shape[0] - 1)
        if not np.array_equal(table[position], flat):
            raise AssertionError("a row's weighting cell is not in the design's table")
        return np.asarray(position, dtype=np.int64)
    index = {tuple(row): i for i, row in enumerate(members.tolist())}
    return np.array([index[tuple(row)] for row in codes.tolist()], dtype=np.int64)
