"""Design-based variance of linearised totals, from sums over the sampling units.

The input is a matrix ``z`` whose rows are the finest sampling units of the design (the
last-stage clusters, or the rows when every row is its own unit) and whose columns are
the totals, within each unit, of the linearised variables already multiplied by the
weights. Stage by stage, unit sums are rolled up to that stage's clusters and the usual
between-cluster variance within strata is formed, with the finite population correction
of the stage; later stages are added with the sampling fraction of the earlier ones, as
R `survey`'s default multistage computation does. Without a finite population
correction only the first stage is used (the with-replacement approximation).
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


def design_variance(
    z: FloatArray,
    stages: tuple[Stage, ...],
    lonely_psu: LonelyPSU,
    presence: npt.NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Variance of the column totals of ``z`` under the design.

    Parameters
    ----------
    z
        Array of shape (units, k): weighted linearised values summed within each unit.
    stages
        The stages whose variance is added (one when no fpc is given).
    lonely_psu
        What a stratum with a single sampled cluster contributes: ``"remove"`` and
        ``"certainty"`` nothing; ``"adjust"`` its cluster total deviated from zero (the
        population mean of linearised values); ``"average"`` the average of the other
        strata of its group. ``"fail"`` is checked when the design is built.
    presence
        Shape (units, k): whether the unit has any row in the domain of each column.
        Only ``"average"`` uses it: as in R, the strata it averages over are those
        with rows in the domain.

    Returns
    -------
    numpy.ndarray
        Shape (k,): the variance of each column total, in squared units of ``z``.
    """
    total = np.zeros(z.shape[1])
    # weight of each finest unit's contribution at the current stage: the product of
    # the sampling fractions of the clusters above it
    unit_weight = np.ones(z.shape[0])
    for depth, stage in enumerate(stages):
        contribution = _stage_variance(z, stage, lonely_psu, unit_weight, presence)
        total += contribution
        if depth + 1 < len(stages):
            fraction = stage.sampling_fraction[stage.cluster_stratum[stage.cluster]]
            unit_weight = unit_weight * fraction
    return total


def _stage_variance(
    z: FloatArray,
    stage: Stage,
    lonely_psu: LonelyPSU,
    unit_weight: FloatArray,
    presence: npt.NDArray[np.bool_] | None,
) -> FloatArray:
    k = z.shape[1]
    clusters = np.zeros((stage.n_clusters, k))
    np.add.at(clusters, stage.cluster, z)
    # all units of a cluster share the weight of the clusters above it
    cluster_weight = np.zeros(stage.n_clusters)
    cluster_weight[stage.cluster] = unit_weight
    n_h = stage.sample_size
    stratum_sums = np.zeros((stage.n_strata, k))
    np.add.at(stratum_sums, stage.cluster_stratum, clusters)
    means = stratum_sums / n_h[:, None]
    lonely = n_h <= 1
    deviations = clusters - means[stage.cluster_stratum]
    if lonely_psu == "adjust":
        # a lonely cluster is compared with zero, the mean of the linearised values
        lonely_cluster = lonely[stage.cluster_stratum]
        deviations[lonely_cluster] = clusters[lonely_cluster]
    f = stage.correction
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(lonely, f, f * n_h / (n_h - 1))
    squares = np.zeros((stage.n_strata, k))
    np.add.at(squares, stage.cluster_stratum, deviations**2)
    per_stratum = scale[:, None] * squares
    census = f < CENSUS_TOLERANCE
    per_stratum[census] = 0.0
    stratum_weight = np.zeros(stage.n_strata)
    stratum_weight[stage.cluster_stratum] = cluster_weight
    per_stratum *= stratum_weight[:, None]
    if lonely_psu != "average":
        return per_stratum.sum(axis=0)
    # "average": lonely strata are left out and the others scaled up, separately within
    # each cluster of the previous stage, counting only strata with rows in the domain
    # (R scales by nstrat / nokstrat in each call, over the rows of the subset)
    if presence is None:
        present = np.ones((stage.n_strata, k), dtype=bool)
    else:
        present_units = np.zeros((stage.n_strata, k))
        np.add.at(present_units, stage.cluster_stratum[stage.cluster], presence.astype(float))
        present = present_units > 0
    missing = (lonely & ~census)[:, None] & present
    n_groups = int(stage.stratum_parent.max()) + 1 if stage.n_strata else 0
    strata_in_group = np.zeros((n_groups, k))
    np.add.at(strata_in_group, stage.stratum_parent, present.astype(float))
    ok_in_group = np.zeros((n_groups, k))
    np.add.at(ok_in_group, stage.stratum_parent, (present & ~missing).astype(float))
    per_stratum = np.where(missing, 0.0, per_stratum)
    group_sums = np.zeros((n_groups, k))
    np.add.at(group_sums, stage.stratum_parent, per_stratum)
    with np.errstate(invalid="ignore", divide="ignore"):
        # no strata with rows: nothing to add; all lonely: R's 0 * n / 0 = NaN
        factor = np.where(strata_in_group == 0, 0.0, strata_in_group / ok_in_group)
    return (group_sums * factor).sum(axis=0)
