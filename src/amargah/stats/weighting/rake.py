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

from amargah.stats.engine import release_with
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import FloatArray, IntArray, UnitCells
from amargah.stats.expressions import parse_terms
from amargah.stats.weighting.chain import (
    WeightingStep,
    refuse_empty_replicate_level,
    with_step,
)
from amargah.stats.weighting.poststratify import (
    PostStrata,
    _label,
    _population,
    cell_sums,
    match_levels,
)

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
    margin_columns, level_labels
        Columns of each margin, and its levels (a tuple of values each) in the order
        of ``levels``' indexes: their number, and a level's name in an error.
    unit, cell, base_weight, base_square
        Per (finest unit, cell) pair with rows: the base weights' sum (persons) and
        sum of squares.
    populations
        Population size of each level of each margin (persons).
    sweeps
        Sweeps made over the margins (replicates of a replicate design are raked
        with as many, as R does).
    """

    rows: FloatArray
    step_factors: FloatArray
    levels: IntArray
    margin_columns: tuple[tuple[str, ...], ...]
    level_labels: tuple[tuple[tuple[str, ...], ...], ...]
    unit: IntArray
    cell: IntArray
    base_weight: FloatArray
    base_square: FloatArray
    populations: tuple[FloatArray, ...] = ()
    sweeps: int = 0

    @property
    def level_counts(self) -> tuple[int, ...]:
        """Number of levels of each margin."""
        return tuple(len(labels) for labels in self.level_labels)

    def replicate_factors(self, cell_base: FloatArray) -> FloatArray:
        """Raking factors, shape (replicates, C), of replicate base weights per cell.

        ``cell_base`` has shape (replicates, C); each replicate is raked on its own
        for `sweeps` sweeps (R's ``rake`` of a replicate design post-stratifies every
        replicate at each step). A replicate with no sample in a margin's level is
        refused (`refuse_empty_replicate_level`).
        """
        factor = np.ones_like(cell_base)
        for sweep in range(self.sweeps):
            for m, count in enumerate(self.level_counts):
                level = self.levels[m]
                current = np.zeros((cell_base.shape[0], count))
                np.add.at(current.T, level, (cell_base * factor).T)
                if sweep == 0:  # factors stay positive: a level empty later is empty now
                    refuse_empty_replicate_level(
                        current,
                        self.populations[m],
                        self.level_labels[m],
                        self.margin_columns[m],
                        missing="no sample in margin level",
                    )
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
        dense = cells.dense(z, n_units)
        np.add.at(dense, self.unit, -self.base_weight[:, None] * correction[self.cell])
        return UnitCells.flatten(dense)


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
    sums = cell_sums(design, columns, missing="missing values in a raking variable")
    n_cells = sums.count
    cell_base, cell_rows = sums.totals()
    values = sums.labels
    # each margin: the level of every cell, and the population of every level
    levels: list[IntArray] = []
    level_labels: list[tuple[tuple[str, ...], ...]] = []
    populations: list[FloatArray] = []
    for group, (spec, population) in zip(margin_columns, margins, strict=True):
        positions = [columns.index(c) for c in group]
        labels = [tuple(_label(v[p]) for p in positions) for v in values]
        distinct = sorted(set(labels))
        index = {label: i for i, label in enumerate(distinct)}
        sizes = _population(population, group)
        # R's rake post-stratifies on each margin without partial=TRUE
        match_levels(sizes, distinct, group, noun="margin level")
        levels.append(np.array([index[label] for label in labels], dtype=np.int64))
        level_labels.append(tuple(distinct))
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
            current = np.bincount(
                levels[m], weights=cell_base * factor, minlength=len(level_labels[m])
            )
            factor = factor * (populations[m] / current)[levels[m]]
            steps[m] = factor
        new = cell_base * factor
        if np.max(np.abs(old - new)) < threshold:
            converged = True
            break
        old = new
    if not converged:
        warnings.warn(f"raking did not converge in {maxit} sweeps", UserWarning, stacklevel=3)
    relation = sums.register(design, factor, prefix="raking")
    unit, cell, pair_base = sums.by_pair(sums.weight)
    base_square = sums.by_pair(sums.square)[2]
    join = PostStrata(
        columns=tuple(columns),
        relation=relation,
        labels=values,
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
        unit=unit,
        cell=cell,
        base_weight=pair_base,
        base_square=base_square,
        populations=tuple(populations),
        sweeps=sweeps,
        margin_columns=tuple(tuple(group) for group in margin_columns),
        level_labels=tuple(level_labels),
    )
    # the relation lives as long as the steps (of any design) that join on it
    release_with(join, design.engine, [relation])
    return with_step(design, WeightingStep("rake", groups=join, raking=raking))
