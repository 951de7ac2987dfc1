"""Design-based variance of linearised totals, from sums over the sampling units.

The input is, for each finest sampling unit of the design (the last-stage cluster, or
the row when every row is its own unit) and each cell (domain), the total within the
unit of a linearised variable already multiplied by the weights; only pairs with rows
are given, the others are zero. Stage by stage, unit sums are rolled up to that stage's
clusters and the usual between-cluster variance within strata is formed, with the
finite population correction of the stage; later stages are added with the sampling
fraction of the earlier ones, as R `survey`'s default multistage computation does.
Without a finite population correction only the first stage is used (the
with-replacement approximation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# a stratum whose finite population correction is below this is a census at that stage
# (R `survey` uses the same threshold)
CENSUS_TOLERANCE = 1e-7


@dataclass(frozen=True)
class Stage:
    """One stage of selection, described over the finest units.

    Attributes
    ----------
    cluster
        For each finest unit, the index of its cluster at this stage (0..C-1).
    cluster_stratum
        For each cluster of this stage, the index of its stratum (0..H-1).
    stratum_parent
        For each stratum of this stage, the index of the cluster of the previous stage
        that contains it (all zeros at the first stage).
    sample_size
        For each stratum, the number of clusters sampled (count).
    population_size
        For each stratum, the number of clusters in the population (``inf`` when no
        finite population correction is given).
    """

    cluster: IntArray
    cluster_stratum: IntArray
    stratum_parent: IntArray
    sample_size: FloatArray
    population_size: FloatArray

    @property
    def n_strata(self) -> int:
        return int(self.sample_size.shape[0])

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_stratum.shape[0])

    @property
    def correction(self) -> FloatArray:
        """Finite population correction ``(N - n) / N`` per stratum (1 without fpc)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            fpc = (self.population_size - self.sample_size) / self.population_size
        return np.where(np.isinf(self.population_size), 1.0, fpc)

    @property
    def sampling_fraction(self) -> FloatArray:
        """``n / N`` per stratum (0 without fpc)."""
        return self.sample_size / self.population_size


@dataclass(frozen=True)
class UnitCells:
    """Sparse values over units × cells: only the (unit, cell) pairs with sample rows.

    A cell is a domain (or domain × level, or domain × variable); a pair absent from
    the rows has the value zero. Each (unit, cell) pair appears at most once.

    Attributes
    ----------
    unit
        Shape (r,): finest-unit index of each row.
    cell
        Shape (r,): cell index of each row.
    n_cells
        Number of cells.
    """

    unit: IntArray
    cell: IntArray
    n_cells: int

    def dense(self, z: FloatArray, n_units: int) -> FloatArray:
        """``z`` (one value per pair) as an array of shape (units, cells), zero elsewhere."""
        values = np.zeros((n_units, self.n_cells))
        values[self.unit, self.cell] = z
        return values

    @staticmethod
    def flatten(dense: FloatArray) -> tuple[FloatArray, UnitCells]:
        """An array of shape (units, cells) as values over every (unit, cell) pair."""
        n_units, k = dense.shape
        every = UnitCells(
            unit=np.repeat(np.arange(n_units, dtype=np.int64), k),
            cell=np.tile(np.arange(k, dtype=np.int64), n_units),
            n_cells=k,
        )
        return dense.reshape(-1), every


def design_variance(
    z: FloatArray, cells: UnitCells, stages: tuple[Stage, ...], lonely_psu: LonelyPSU
) -> FloatArray:
    """Variance of the total, in each cell, of the values ``z``.

    Parameters
    ----------
    z
        Shape (r,): weighted linearised values of each (unit, cell) row of ``cells``.
    cells
        Where each value lies.
    stages
        The stages whose variance is added (one when no fpc is given).
    lonely_psu
        What a stratum with a single sampled cluster contributes: ``"remove"`` and
        ``"certainty"`` nothing; ``"adjust"`` its cluster total deviated from zero (the
        population mean of linearised values); ``"average"`` the average of the other
        strata of its group, counting (as R does over a subset) only strata with rows
        in the cell. ``"fail"`` is checked when the design is built.

    Returns
    -------
    numpy.ndarray
        Shape (n_cells,): variance of each cell total, in squared units of ``z``.
    """
    total = np.zeros(cells.n_cells)
    # weight of each finest unit's contribution at the current stage: the product of
    # the sampling fractions of the clusters above it
    unit_weight = np.ones(stages[0].cluster.shape[0])
    for depth, stage in enumerate(stages):
        total += _stage_variance(z, cells, stage, lonely_psu, unit_weight)
        if depth + 1 < len(stages):
            fraction = stage.sampling_fraction[stage.cluster_stratum[stage.cluster]]
            unit_weight = unit_weight * fraction
    return total


def _stage_variance(
    z: FloatArray,
    cells: UnitCells,
    stage: Stage,
    lonely_psu: LonelyPSU,
    unit_weight: FloatArray,
) -> FloatArray:
    k = cells.n_cells
    cluster = stage.cluster[cells.unit]
    key = cluster * k + cells.cell
    if stage.n_clusters == stage.cluster.shape[0]:
        # the units are this stage's clusters: pairs are already unique
        cluster_z, cluster_key = z, key
    else:
        cluster_key, inverse = np.unique(key, return_inverse=True)
        cluster_z = np.bincount(
            inverse.reshape(-1), weights=z, minlength=cluster_key.shape[0]
        ).astype(float)
    stratum = stage.cluster_stratum[cluster_key // k]
    stratum_cell = stratum * k + cluster_key % k
    size = stage.n_strata * k
    n_h = stage.sample_size
    sums = np.bincount(stratum_cell, weights=cluster_z, minlength=size).astype(float)
    sums = sums.reshape(-1, k)
    present = np.bincount(stratum_cell, minlength=size).reshape(-1, k)
    means = sums / n_h[:, None]
    lonely = n_h <= 1
    if lonely_psu == "adjust":
        # a lonely cluster is compared with zero, the mean of the linearised values
        means[lonely] = 0.0
    deviations = cluster_z - means.reshape(-1)[stratum_cell]
    squares: FloatArray = np.bincount(stratum_cell, weights=deviations**2, minlength=size).astype(
        float
    )
    squares = squares.reshape(-1, k)
    # clusters without rows in the cell have value zero and deviate by the mean
    squares += (n_h[:, None] - present) * means**2
    f = stage.correction
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(lonely, f, f * n_h / (n_h - 1))
    per_stratum: FloatArray = scale[:, None] * squares
    census = f < CENSUS_TOLERANCE
    per_stratum[census] = 0.0
    stratum_weight = np.zeros(stage.n_strata)
    stratum_weight[stage.cluster_stratum[stage.cluster]] = unit_weight
    per_stratum *= stratum_weight[:, None]
    if lonely_psu != "average":
        return np.asarray(per_stratum.sum(axis=0), dtype=np.float64)
    # "average": lonely strata are left out and the others scaled up, separately within
    # each cluster of the previous stage, counting only strata with rows in the cell
    # (R scales by nstrat / nokstrat in each call, over the rows of the subset)
    has_rows = present > 0
    missing = (lonely & ~census)[:, None] & has_rows
    n_groups = int(stage.stratum_parent.max()) + 1
    strata_in_group = np.zeros((n_groups, k))
    np.add.at(strata_in_group, stage.stratum_parent, has_rows.astype(float))
    ok_in_group = np.zeros((n_groups, k))
    np.add.at(ok_in_group, stage.stratum_parent, (has_rows & ~missing).astype(float))
    per_stratum = np.where(missing, 0.0, per_stratum)
    group_sums = np.zeros((n_groups, k))
    np.add.at(group_sums, stage.stratum_parent, per_stratum)
    with np.errstate(invalid="ignore", divide="ignore"):
        # no strata with rows: nothing to add; all lonely: R's 0 * n / 0 = NaN
        factor = np.where(strata_in_group == 0, 0.0, strata_in_group / ok_in_group)
    return np.asarray((group_sums * factor).sum(axis=0), dtype=np.float64)
