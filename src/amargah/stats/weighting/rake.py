"""Raking to population margins, as R's ``rake``.

Raking post-stratifies on each margin in turn, sweep after sweep, until the weighted
cross-table of all the margin variables changes by less than ``epsilon`` persons (R's
rule: at most ``maxit`` sweeps). The weights after raking are the base weights times a
factor per cell of that cross-classification, so the fitting runs in numpy on the
cells' weighted counts from one pass, and estimators join the factor per cell.

The variance is R's for raked designs: the linearised values are centred on every
margin in turn, ten times over, each time with the weights the margin had in the last
sweep (``x - w_m * mean(x / w_m)`` within the margin's levels, unweighted means over
the sample rows). In aggregate form the centring is a correction per cell and domain;
a unit's correction is its base weight in each cell times the cell's correction.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.engine import fresh_name
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import FloatArray, IntArray, UnitCells
from amargah.stats.expressions import parse_terms
from amargah.stats.weighting.chain import WeightingStep, with_step
from amargah.stats.weighting.poststratify import PostStrata, _label, _population

if TYPE_CHECKING:
    from amargah.stats.design import Design

Margin = tuple[str | Sequence[str], "pa.Table | Mapping[Any, float]"]
CENTRING_ROUNDS = 10  # R's svyrecvar centres raked designs ten times over


@dataclass(frozen=True)
class Raking:
    """What the variance of a raked design needs.

    Attributes
    ----------
    rows
        Shape (C,): sample rows in each cell of the margins' cross-classification.
    step_factors
        Shape (margins, C): weight over base weight after each margin's step in the
        last sweep.
    levels
        Shape (margins, C): the level index of each cell in each margin.
    level_counts
        Number of levels of each margin.
    unit, cell, base_weight
        Per (finest unit, cell) pair with rows: the base weight sum (persons).
    populations
        Population size of each level of each margin (persons).
    sweeps
        Sweeps made over the margins (replicates of a replicate design are raked
        with as many, as R does).
    """

    rows: FloatArray
    step_factors: FloatArray
    levels: IntArray
    level_counts: tuple[int, ...]
    unit: IntArray
    cell: IntArray
    base_weight: FloatArray
    populations: tuple[FloatArray, ...] = ()
    sweeps: int = 0

    def replicate_factors(self, cell_base: FloatArray) -> FloatArray:
        """Raking factors, shape (replicates, C), of replicate base weights per cell.

        ``cell_base`` has shape (replicates, C); each replicate is raked on its own
        for `sweeps` sweeps (R's ``rake`` of a replicate design post-stratifies every
        replicate at each step).
        """
        factor = np.ones_like(cell_base)
        for _ in range(self.sweeps):
            for m, count in enumerate(self.level_counts):
                level = self.levels[m]
                current = np.zeros((cell_base.shape[0], count))
                np.add.at(current.T, level, (cell_base * factor).T)
                with np.errstate(divide="ignore", invalid="ignore"):
                    step = np.where(current > 0, self.populations[m][None, :] / current, 0.0)
                factor = factor * step[:, level]
        return factor

    def correction(self, a: FloatArray, rows: FloatArray) -> FloatArray:
        """Per raking cell and domain cell, the residual term over the base weight.

        ``a`` has shape (C, k): per raking cell, the sum over rows of the values over
        their base weight; ``rows`` the rows of each cell. R's ``svyrecvar`` takes, ten
        times over, every margin's unweighted level means of the values over that
        margin's weights; a row's value then loses its base weight times its cell's
        correction.
        """
        k = a.shape[1]
        correction = np.zeros_like(a)
        for _ in range(CENTRING_ROUNDS):
            for m, count in enumerate(self.level_counts):
                h = self.step_factors[m]
                level = self.levels[m]
                ratio = (a - rows[:, None] * correction) / h[:, None]
                level_sums = np.zeros((count, k))
                np.add.at(level_sums, level, ratio)
                level_rows = np.bincount(level, weights=rows, minlength=count)
                with np.errstate(invalid="ignore", divide="ignore"):
                    means = np.nan_to_num(level_sums / level_rows[:, None])
                correction += h[:, None] * means[level]
        return correction

    def centre(
        self, z: FloatArray, cells: UnitCells, sums: FloatArray, n_units: int
    ) -> tuple[FloatArray, UnitCells]:
        """Centred linearised unit totals (dense units × domain cells).

        ``sums`` has shape (C, k): per raking cell and domain cell, the sum over rows of
        ``z / w_final`` (the statistic's linearised term, unweighted).
        """
        final = self.step_factors[-1]
        # sum of z / w_base per cell: the final factor times the unweighted sum
        correction = self.correction(final[:, None] * sums, self.rows)
        k = cells.n_cells
        dense = np.zeros((n_units, k))
        dense[cells.unit, cells.cell] = z
        np.add.at(dense, self.unit, -self.base_weight[:, None] * correction[self.cell])
        all_cells = UnitCells(
            unit=np.repeat(np.arange(n_units, dtype=np.int64), k),
            cell=np.tile(np.arange(k, dtype=np.int64), n_units),
            n_cells=k,
        )
        return dense.reshape(-1), all_cells


def rake(
    design: Design,
    margins: Sequence[Margin],
    *,
    epsilon: float,
    maxit: int,
) -> Design:
    """See `Design.rake`; the margins are fitted on the weights of ``design``."""
    if not margins:
        raise SurveyInputError("give at least one margin to rake to")
    margin_columns = [list(parse_terms(columns)) for columns, _ in margins]
    columns = list(dict.fromkeys(c for group in margin_columns for c in group))
    for column in columns:
        design.require_column(column)
    units = design.units
    keys = [design.column(c) for c in units.key_columns]
    groups = [design.column(c) for c in columns]
    inner = design.select_from(
        *(k.copy().as_(f"k{i}") for i, k in enumerate(keys)),
        *(g.copy().as_(f"r{j}") for j, g in enumerate(groups)),
        exp.func("sum", design.weight_expression()).as_("w"),
        exp.func("count", exp.Star()).as_("n"),
    ).group_by(*(k.copy() for k in keys), *(g.copy() for g in groups))
    on = exp.and_(
        *(
            exp.EQ(this=exp.column(f"k{i}", table="a"), expression=exp.column(f"k{i}", table="u"))
            for i in range(len(keys))
        )
    )
    result = design.engine.execute(
        exp.select(
            exp.column("amargah_unit", table="u").as_("unit"),
            *(exp.column(f"r{j}", table="a") for j in range(len(groups))),
            exp.column("w", table="a"),
            exp.column("n", table="a"),
        )
        .from_(inner.subquery("a"))
        .join(exp.to_table(units.relation).as_("u"), on=on)
    )
    for j, column in enumerate(columns):
        if result.column(f"r{j}").null_count:
            raise SurveyInputError(
                "missing values in a raking variable",
                column=column,
                rows=design.first_rows(design.column(column).is_(exp.Null())),
            )
    unit = np.asarray(result.column("unit").to_numpy(), dtype=np.int64)
    base = np.asarray(result.column("w").to_numpy(zero_copy_only=False), dtype=float)
    base = base * units.weight_factor[unit]
    rows = np.asarray(result.column("n").to_numpy(), dtype=float)
    coded = [sorted_codes(result.column(f"r{j}")) for j in range(len(columns))]
    cell_of_row, members = dense_combination([c for c, _ in coded], [len(v) for _, v in coded])
    n_cells = members.shape[0]
    cell_base = np.bincount(cell_of_row, weights=base, minlength=n_cells).astype(float)
    cell_rows = np.bincount(cell_of_row, weights=rows, minlength=n_cells).astype(float)
    values = [[coded[j][1][int(m[j])] for j in range(len(columns))] for m in members]
    # each margin: the level of every cell, and the population of every level
    levels: list[IntArray] = []
    level_counts: list[int] = []
    populations: list[FloatArray] = []
    for group, (spec, population) in zip(margin_columns, margins, strict=True):
        positions = [columns.index(c) for c in group]
        labels = [tuple(_label(v[p]) for p in positions) for v in values]
        distinct = sorted(set(labels))
        index = {label: i for i, label in enumerate(distinct)}
        sizes = _population(population, group)
        absent = [label for label in distinct if label not in sizes]
        if absent:
            raise SurveyInputError(
                f"margin level {'/'.join(absent[0])} of the sample is not in the population",
                column="+".join(group),
            )
        levels.append(np.array([index[label] for label in labels], dtype=np.int64))
        level_counts.append(len(distinct))
        populations.append(np.array([sizes[label] for label in distinct]))
        _ = spec
    factor = np.ones(n_cells)
    threshold = epsilon if epsilon >= 1 else epsilon * float(cell_base.sum())
    old = cell_base.copy()
    steps = np.ones((len(margins), n_cells))
    converged = False
    sweeps = 0
    for _ in range(maxit):
        sweeps += 1
        for m in range(len(margins)):
            current = np.bincount(levels[m], weights=cell_base * factor, minlength=level_counts[m])
            factor = factor * (populations[m] / current)[levels[m]]
            steps[m] = factor
        new = cell_base * factor
        if np.max(np.abs(old - new)) < threshold:
            converged = True
            break
        old = new
    if not converged:
        warnings.warn(f"raking did not converge in {maxit} sweeps", UserWarning, stacklevel=3)
    table: dict[str, Any] = {
        f"amargah_pk{j}": pa.array([v[j] for v in values], type=result.column(f"r{j}").type)
        for j in range(len(columns))
    }
    table["amargah_ps"] = pa.array(np.arange(n_cells, dtype=np.int64))
    table["amargah_g"] = pa.array(factor)
    relation = fresh_name("raking")
    design.engine.register_arrow(relation, pa.table(table))
    pair_key = unit * n_cells + cell_of_row
    pairs, inverse = np.unique(pair_key, return_inverse=True)
    pair_base = np.bincount(inverse.reshape(-1), weights=base).astype(float)
    join = PostStrata(
        columns=tuple(columns),
        relation=relation,
        labels=tuple(tuple(v) for v in values),
        factor=factor,
        rows=cell_rows,
        population=cell_base * factor,
        unit=np.zeros(0, dtype=np.int64),
        stratum=np.zeros(0, dtype=np.int64),
        weight=np.zeros(0),
        centred=False,
    )
    raking = Raking(
        rows=cell_rows,
        step_factors=steps,
        levels=np.stack(levels),
        level_counts=tuple(level_counts),
        unit=pairs // n_cells,
        cell=pairs % n_cells,
        base_weight=pair_base,
        populations=tuple(populations),
        sweeps=sweeps,
    )
    return with_step(design, WeightingStep("rake", groups=join, raking=raking))
