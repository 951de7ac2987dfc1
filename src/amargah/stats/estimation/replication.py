"""Replicate-weight variance: jackknife (JK1, JKn), BRR and Fay, bootstrap, user weights.

A replicate design made from a design keeps its rows and its single aggregation pass:
replicate weights that are multiples of the full weights, constant within a PSU (all
the schemes R's ``as.svrepdesign`` creates), turn PSU-level totals into replicate totals
by arithmetic: a jackknife replicate drops one PSU and inflates the rest of its stratum,
a half-sample or bootstrap replicate is a PSU-by-replicate matrix product. Replicate
weights supplied as columns are summed in the pass, one sum per replicate.

The variance is R's ``svrVar``: ``scale * sum_r rscales_r (theta_r - centre)^2`` with
the centre the mean of the replicates, or the full-sample estimate with ``mse``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.distributions import normal_quantile
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.hadamard import brr_hadamard
from amargah.stats.estimation.taylor import (
    Aggregate,
    by_columns,
    check_level,
    domain_pass,
    is_categorical,
    level_label,
)
from amargah.stats.estimation.variance import FloatArray, IntArray
from amargah.stats.expressions import Condition
from amargah.stats.results import Estimate, Estimates
from amargah.stats.weighting.chain import (
    key_expressions,
    refuse_empty_replicate_group,
    solve_calibration,
)

BoolArray = npt.NDArray[np.bool_]

if TYPE_CHECKING:
    from amargah.stats.design import Design

ReplicateMethod = Literal["jk1", "jkn", "brr", "fay", "bootstrap"]
REPLICATE_METHODS: tuple[ReplicateMethod, ...] = ("jk1", "jkn", "brr", "fay", "bootstrap")
SuppliedMethod = Literal["jk1", "jkn", "brr", "fay", "bootstrap", "other"]
_ONE = exp.Literal.number(1)


@dataclass(frozen=True)
class Jackknife:
    """Delete-one-PSU replicates: replicate r drops PSU ``psu[r]`` of stratum
    ``stratum[r]`` and multiplies the other PSUs of that stratum by ``inflation[r]``.

    ``adjust`` replicates (R's lonely-PSU "adjust") instead drop a whole lonely stratum
    and multiply every other PSU by ``inflation[r]``; their ``psu`` is -1.
    """

    psu: IntArray
    stratum: IntArray
    inflation: FloatArray


@dataclass(frozen=True)
class ReplicateScheme:
    """How replicate estimates are formed and combined.

    Attributes
    ----------
    method
        ``"jk1"``, ``"jkn"``, ``"brr"``, ``"fay"``, ``"bootstrap"`` or ``"other"``.
    scale, rscales
        R's ``scale`` and per-replicate ``rscales`` of ``svrVar``.
    mse
        Centre the replicates on the full-sample estimate rather than their mean.
    multipliers
        Shape (replicates, PSUs): replicate weight over full weight of each PSU.
    jackknife
        The delete-one structure, instead of ``multipliers``.
    columns
        Replicate weight columns supplied with the data (full weights, R's
        ``combined.weights=TRUE``), instead of either.
    poststratum_ratio
        Shape (replicates, post-strata), for a post-stratified replicate design: each
        replicate's own post-stratification factor over the full sample's (R's
        ``postStratify`` of a replicate design rescales every replicate).
    calibration_coefficients
        Shape (replicates, p), for a linearly calibrated replicate design: each
        replicate's own ``lambda`` (R's ``calibrate`` of a replicate design calibrates
        every replicate to the totals).
    degrees
        For a re-weighted replicate design or replicate weight columns, the degrees of
        freedom: the rank of the replicate weights minus one (R's ``degf``).
    kept_degrees
        After a raking calibration, the degrees of freedom from before it: R's
        ``calibrate`` keeps them on the whole design, while a subset of it (a domain)
        gets the rank of its replicate weights (`subset_df`).
    supplied_factors
        Shape (replicates, weighting cells), for replicate weight columns re-weighted
        by weighting steps: each column's factor in every weighting cell of the chain.
    """

    method: str
    scale: float
    rscales: FloatArray
    mse: bool
    multipliers: FloatArray | None = None
    jackknife: Jackknife | None = None
    columns: tuple[str, ...] = field(default=())
    poststratum_ratio: FloatArray | None = None
    calibration_coefficients: FloatArray | None = None
    degrees: float | None = None
    supplied_factors: FloatArray | None = None
    kept_degrees: float | None = None

    @property
    def count(self) -> int:
        """Number of replicates."""
        return int(self.rscales.shape[0])

    @property
    def df(self) -> float:
        """Degrees of freedom of the whole design (R's ``degf``); see `subset_df`."""
        if self.kept_degrees is not None:
            return self.kept_degrees
        return self.subset_df

    @property
    def subset_df(self) -> float:
        """Degrees of freedom: the rank of the replicate weights minus one (R's ``degf``).

        A jackknife's replicates of one stratum add up to the full sample, so its rank
        is the replicates less the strata plus one; half-sample and bootstrap
        multipliers are small matrices whose rank is computed, as is that of replicate
        weight columns given with the data. After weighting steps, the rank of the
        re-weighted replicate weights.
        """
        if self.degrees is not None:
            return self.degrees
        if self.jackknife is not None:
            strata = np.unique(self.jackknife.stratum[self.jackknife.psu >= 0]).shape[0]
            return float(self.count - strata)
        if self.multipliers is not None:
            return float(np.linalg.matrix_rank(self.multipliers) - 1)
        return float(self.count - 1)


def make_scheme(
    design: Design,
    method: ReplicateMethod,
    *,
    replicates: int | None,
    seed: int | None,
    fay_rho: float,
    mse: bool,
) -> ReplicateScheme:
    """Replicate scheme for a design, as R's ``as.svrepdesign(design, type=...)``."""
    # trimmed weights are design weights (R's trimWeights); other steps are not
    if any(step.projects for step in design.steps):
        raise SurveyInputError(
            "replicate weights of a post-stratified or calibrated design are not available yet"
        )
    if method not in REPLICATE_METHODS:
        raise SurveyInputError(
            f"replicate method must be one of {', '.join(REPLICATE_METHODS)}, not {method!r}"
        )
    stage = design.units.stages[0]
    psu_stratum = stage.cluster_stratum
    n_h = stage.sample_size
    has_strata = design.stratified
    fpc = stage.correction if design.has_fpc else np.ones(stage.n_strata)
    if method == "jk1":
        if has_strata:
            raise SurveyInputError("JK1 is for unstratified designs; use jkn")
        n = stage.n_clusters
        psus = np.arange(n)
        jack = Jackknife(psus, np.zeros(n, dtype=np.int64), np.full(n, n / (n - 1)))
        return ReplicateScheme("jk1", float(fpc[0] * (n - 1) / n), np.ones(n), mse, jackknife=jack)
    if method == "jkn":
        if not has_strata:
            raise SurveyInputError("JKn is for stratified designs; use jk1 or bootstrap")
        return _jkn(design, fpc, mse=mse)
    if method in ("brr", "fay"):
        if not has_strata:
            raise SurveyInputError(
                "BRR pairs the PSUs within strata: it needs a stratified design (R's "
                "as.svrepdesign too); use jk1 or bootstrap"
            )
        rho = fay_rho if method == "fay" else 0.0
        if method == "fay" and not 0 < rho < 1:
            raise SurveyInputError(f"Fay's rho must be between 0 and 1, not {fay_rho}")
        # within a stratum, the PSU appearing first in the data is R's "first" PSU
        # (units are numbered in order of appearance)
        appearance = np.full(stage.n_clusters, stage.cluster.shape[0])
        np.minimum.at(appearance, stage.cluster, np.arange(stage.cluster.shape[0]))
        half, is_first = _brr_half_strata(design, appearance)
        # R's choice of matrix: another of the same order changes the SEs of means
        hadamard = brr_hadamard(int(half.max()) + 1)
        order = hadamard.shape[1]
        rows = hadamard[1 + half]  # (PSUs, replicates)
        # H = 0: the first PSU of a pair is out of the half-sample (weight rho), the other in
        in_half = np.where(is_first[:, None], rows == 1, rows == 0)
        multipliers = np.where(in_half, 2 - rho, rho).T
        return ReplicateScheme(
            method,
            1.0 / (order * (1 - rho) ** 2),
            np.ones(order),
            mse,
            multipliers=multipliers,
        )
    count = 50 if replicates is None else int(replicates)
    if count < 2:
        raise SurveyInputError(f"need at least 2 bootstrap replicates, not {count}")
    if np.any(n_h < 2):
        raise SurveyInputError("the bootstrap needs at least two PSUs in every stratum")
    rng = np.random.default_rng(seed)
    multipliers = np.zeros((count, stage.n_clusters))
    for h in range(stage.n_strata):
        members = np.flatnonzero(psu_stratum == h)
        n = members.shape[0]
        # Rao-Wu rescaling bootstrap with n - 1 draws with replacement per stratum
        draws = rng.integers(0, n, size=(count, n - 1))
        counts = np.zeros((count, n))
        np.add.at(counts, (np.repeat(np.arange(count), n - 1), draws.reshape(-1)), 1.0)
        multipliers[:, members] = counts * n / (n - 1)
    return ReplicateScheme(
        "bootstrap", 1.0 / (count - 1), np.ones(count), mse, multipliers=multipliers
    )


def _brr_half_strata(design: Design, appearance: IntArray) -> tuple[IntArray, BoolArray]:
    """Each PSU's BRR stratum (a pair of PSUs, numbered from 0) and whether it is the
    pair's first PSU, as R's ``brrweights`` with its defaults forms them.

    A stratum of two PSUs is one pair. A larger stratum with an even number of PSUs is
    split into pairs in the order the PSUs first appear in the data (``appearance``:
    the first data row of each PSU), as R's ``large = "split"``; one with an odd number,
    or with one PSU, is refused, as R refuses it. R numbers the pairs of the split
    strata first, then the strata of two, each group in the sorted order of the
    stratum labels; the numbering decides each pair's row of the Hadamard matrix.
    """
    stage = design.units.stages[0]
    psu_stratum = stage.cluster_stratum
    n_h = stage.sample_size
    column = design.stratum_columns[0]
    if np.any(n_h < 2):
        raise SurveyInputError("BRR needs at least two PSUs in every stratum", column=column)
    if np.any(n_h % 2 == 1):
        h = int(np.flatnonzero(n_h % 2 == 1)[0])
        raise SurveyInputError(
            f"BRR pairs the PSUs of a stratum; a stratum has an odd number ({n_h[h]:g}), "
            "which R's brrweights cannot split either",
            column=column,
        )
    rank = _strata_in_sorted_order(design)
    by_label = np.argsort(rank)
    # the split strata's pairs first, then the strata of two
    strata = [h for h in by_label if n_h[h] > 2] + [h for h in by_label if n_h[h] == 2]
    half = np.empty(stage.n_clusters, dtype=np.int64)
    is_first = np.empty(stage.n_clusters, dtype=bool)
    upto = 0
    for h in strata:
        members = np.flatnonzero(psu_stratum == h)
        members = members[np.argsort(appearance[members], kind="stable")]
        pair = np.arange(members.shape[0]) // 2
        half[members] = upto + pair
        is_first[members] = np.arange(members.shape[0]) % 2 == 0
        upto += members.shape[0] // 2
    return half, is_first


def _strata_in_sorted_order(design: Design) -> IntArray:
    """Rank of each first-stage stratum when its labels are sorted as text (R's order)."""
    labels = design.stratum_labels()
    order = sorted(range(len(labels)), key=lambda i: str(labels[i]))
    ranks = np.empty(len(labels), dtype=np.int64)
    ranks[order] = np.arange(len(labels))
    return ranks


def _jkn(design: Design, fpc: FloatArray, *, mse: bool) -> ReplicateScheme:
    stage = design.units.stages[0]
    lonely_rule = design.lonely_psu
    psus: list[int] = []
    strata: list[int] = []
    inflation: list[float] = []
    rscales: list[float] = []
    n_strata = stage.n_strata
    for h in range(n_strata):
        members = np.flatnonzero(stage.cluster_stratum == h)
        n = members.shape[0]
        if fpc[h] == 0:  # a census stratum has no sampling variance (R drops it)
            continue
        if n == 1:
            if lonely_rule == "adjust":
                psus.append(-1)
                strata.append(h)
                inflation.append(n_strata / (n_strata - 1))
                rscales.append((n_strata - 1) / n_strata)
            continue
        for psu in members:
            psus.append(int(psu))
            strata.append(h)
            inflation.append(n / (n - 1))
            rscales.append(float(fpc[h] * (n - 1) / n))
    if not psus:
        raise SurveyInputError("every stratum is a census: there is no sampling variance")
    scale = 1.0
    if lonely_rule == "average" and len(psus) < stage.n_clusters:
        scale = stage.n_clusters / len(psus)
    jack = Jackknife(
        np.array(psus, dtype=np.int64), np.array(strata, dtype=np.int64), np.array(inflation)
    )
    return ReplicateScheme("jkn", scale, np.array(rscales), mse, jackknife=jack)


def supplied_scheme(
    design: Design,
    columns: str | Sequence[str],
    *,
    method: SuppliedMethod,
    scale: float | None,
    rscales: Sequence[float] | None,
    fay_rho: float | None,
    mse: bool,
) -> ReplicateScheme:
    """Scheme for replicate weight columns given with the data (R's ``svrepdesign``)."""
    if isinstance(columns, str):
        pattern = re.compile(columns)
        names = tuple(sorted((c for c in design.columns if pattern.search(c)), key=_natural))
    else:
        names = tuple(columns)
    if len(names) < 2:
        raise SurveyInputError(f"need at least two replicate weight columns, found {names}")
    for name in names:
        design.require_numeric(name)
    count = len(names)
    factors = np.ones(count) if rscales is None else np.asarray(rscales, dtype=float)
    if factors.shape[0] != count:
        raise SurveyInputError(f"rscales has {factors.shape[0]} values for {count} replicates")
    if method == "brr":
        default = 1.0 / count
    elif method == "fay":
        if fay_rho is None or not 0 < fay_rho < 1:
            raise SurveyInputError("Fay replicate weights need fay_rho between 0 and 1")
        default = 1.0 / (count * (1 - fay_rho) ** 2)
    elif method == "jk1":
        default = (count - 1) / count
    elif method == "bootstrap":
        default = 1.0 / (count - 1)
    elif method == "jkn":
        if rscales is None:
            raise SurveyInputError("JKn replicate weights need rscales, (n_h - 1) / n_h")
        default = 1.0
    else:
        default = 1.0
    scheme = ReplicateScheme(
        method, default if scale is None else float(scale), factors, mse, columns=names
    )
    # R's degf: the rank of the columns less one (bootstrap columns are often of lower
    # rank than their number)
    return replace(scheme, degrees=supplied_df(design, scheme))


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class CellTotals:
    """Full-sample and replicate totals of some terms in each cell.

    ``full[name]`` has shape (cells,), ``replicates[name]`` (replicates, cells).
    """

    full: dict[str, FloatArray]
    replicates: dict[str, FloatArray]
    count: FloatArray
    weighted_count: FloatArray
    domains: list[dict[str, Any]]
    levels: list[Any]
    df: FloatArray | None = None

    def cell_df(self) -> FloatArray:
        """Shape (cells,): each cell's degrees of freedom (made with ``domain_df``)."""
        if self.df is None:
            raise AssertionError("cell totals made without domain_df have no df")
        return self.df


def cell_totals(
    design: Design,
    scheme: ReplicateScheme,
    *,
    terms: dict[str, exp.Expr],
    by: Sequence[str],
    where: Condition | None,
    variables: Sequence[str],
    level_column: str | None,
    na_rm: bool,
    thresholds: str | None = None,
    domain_df: bool = False,
    rows_subset: bool = False,
) -> CellTotals:
    """One pass: full-sample and replicate totals of the terms per cell.

    With ``domain_df`` (and a term ``"w"`` of ones among ``terms``), ``df`` holds each
    cell's degrees of freedom as R's ``degf`` of the design's subset to that cell:
    the rank of the replicate weights of its rows, minus one (the design's own where
    that rank is not computed: re-weighted replicate columns). The whole design, with
    neither domains nor a condition, has R's ``degf`` of the design itself, which a
    raking calibration leaves as it was; unless ``rows_subset``: the statistic takes a
    subset of the design to the rows it uses, as R's ``svyquantile(na.rm=TRUE)`` does
    (missing values or none), and a subset's ``degf`` is always its rank.
    """
    # supplied replicate columns are summed in the pass; made ones come from PSU totals
    pass_totals = _supplied_totals if scheme.columns else _cell_totals
    totals = pass_totals(
        design,
        scheme,
        terms=terms,
        by=by,
        where=where,
        variables=variables,
        level_column=level_column,
        na_rm=na_rm,
        thresholds=thresholds,
        domain_df=domain_df,
    )
    if not domain_df:
        return totals
    cells = len(totals.domains) * len(totals.levels)
    whole = not by and where is None and not rows_subset
    if totals.df is None or (whole and scheme.kept_degrees is not None):
        return replace(totals, df=np.full(cells, scheme.df))
    return totals


# the name of the pass's sum of squared weights, for the ranks of re-weighted replicates
_SQUARES = "amargah_square"


def _cell_totals(
    design: Design,
    scheme: ReplicateScheme,
    *,
    terms: dict[str, exp.Expr],
    by: Sequence[str],
    where: Condition | None,
    variables: Sequence[str],
    level_column: str | None,
    na_rm: bool,
    thresholds: str | None,
    domain_df: bool,
) -> CellTotals:
    ratio = scheme.poststratum_ratio
    lambdas = scheme.calibration_coefficients
    calibration = design.calibration
    model_terms: dict[str, exp.Expr] = {}
    # the pass multiplies a term by the row's weight: this one gives the squares that
    # weigh R's rows in each cell's rank (`_cell_dfs`)
    squares = {_SQUARES: design.weight_expression()} if domain_df and ratio is not None else {}
    if domain_df and lambdas is not None and calibration is not None:
        # each model column as a term: the pass's sums of w x_j times it are the
        # cells' moment matrices, whose replicate weights' rank is the cells' df
        model_terms = {f"amargah_x{a}": x.copy() for a, x in enumerate(calibration.columns)}
    agg = domain_pass(
        design,
        terms={**terms, **model_terms, **squares},
        by=by,
        where=where,
        variables=variables,
        level_column=level_column,
        na_rm=na_rm,
        thresholds=thresholds,
        split=ratio is not None,
    )
    stage = design.units.stages[0]
    psu_of_row = stage.cluster[agg.cells.unit]
    n_psu = stage.n_clusters
    k = agg.cells.n_cells
    full: dict[str, FloatArray] = {}
    replicates: dict[str, FloatArray] = {}
    if lambdas is not None and calibration is not None:
        # g = 1 + x'lambda: replicate r's total is sum w_r t + lambda_r' sum w_r x t,
        # where sum w t = sum w g t - lambda' sum w x t (the pass gives both sums)
        p = lambdas.shape[1]

        def psu_totals(values: FloatArray) -> FloatArray:
            return (
                np.bincount(psu_of_row * k + agg.cells.cell, weights=values, minlength=n_psu * k)
                .astype(float)
                .reshape(n_psu, k)
            )

        for name in terms:
            calibrated = psu_totals(agg.sums[name])
            cross = [psu_totals(agg.sums[f"{name}_c{j}"]) for j in range(p)]
            base = calibrated - sum(
                (calibration.coefficients[j] * cross[j] for j in range(p)),
                start=np.zeros_like(calibrated),
            )
            total = _replicate(scheme, design, base, base.sum(axis=0))
            for j in range(p):
                rep_cross = _replicate(scheme, design, cross[j], cross[j].sum(axis=0))
                total = total + lambdas[:, j, None] * rep_cross
            full[name] = calibrated.sum(axis=0)
            replicates[name] = total
        dfs = None
        if model_terms:
            # (PSUs, cells, p, p): sum of w x x' per PSU and cell, sampling weights
            moments = np.stack(
                [
                    np.stack([psu_totals(agg.sums[f"{a}_c{j}"]) for j in range(p)], axis=-1)
                    for a in model_terms
                ],
                axis=-1,
            )
            dfs = np.array(
                [calibrated_rank_df(design, scheme, moments[:, c], lambdas) for c in range(k)]
            )
        return CellTotals(
            full, replicates, agg.count, agg.weighted_count, agg.domains, agg.levels, dfs
        )
    if ratio is not None and agg.poststratum is not None:
        # replicate totals per cell x post-stratum, each rescaled by the replicate's
        # own post-stratification factor
        p = ratio.shape[1]
        column = agg.cells.cell * p + agg.poststratum
        for name in terms:
            per_psu = (
                np.bincount(
                    psu_of_row * k * p + column, weights=agg.sums[name], minlength=n_psu * k * p
                )
                .astype(float)
                .reshape(n_psu, k * p)
            )
            split_full = per_psu.sum(axis=0)
            split_replicates = _replicate(scheme, design, per_psu, split_full)
            full[name] = split_full.reshape(k, p).sum(axis=1)
            replicates[name] = (split_replicates.reshape(-1, k, p) * ratio[:, None, :]).sum(axis=2)
        dfs = _cell_dfs(design, scheme, psu_of_row, agg, ratio) if domain_df else None
        return CellTotals(
            full, replicates, agg.count, agg.weighted_count, agg.domains, agg.levels, dfs
        )
    for name in terms:
        per_psu = (
            np.bincount(
                psu_of_row * k + agg.cells.cell, weights=agg.sums[name], minlength=n_psu * k
            )
            .astype(float)
            .reshape(n_psu, k)
        )
        full[name] = per_psu.sum(axis=0)
        replicates[name] = _replicate(scheme, design, per_psu, full[name])
    dfs = _cell_dfs(design, scheme, psu_of_row, agg, None) if domain_df else None
    return CellTotals(full, replicates, agg.count, agg.weighted_count, agg.domains, agg.levels, dfs)


def _cell_dfs(
    design: Design,
    scheme: ReplicateScheme,
    psu_of_row: IntArray,
    agg: Aggregate,
    ratio: FloatArray | None,
) -> FloatArray:
    """Shape (cells,): R's ``degf`` of the design's subset to each cell.

    R's ``svyby`` and ``subset`` of a replicate design keep only the cell's rows and
    take the rank of their replicate weights, less one. A row's replicate weights are
    its weight times its PSU's multipliers (times its weighting cell's replicate
    factors after weighting), so the rank is that of the distinct (PSU, weighting
    cell) pairs of rows of positive weight, each weighed by its rows' squared weights
    (`grouped_df`). Without weighting steps the multipliers are exact (0, 1, 2 and
    the like) and the rank clear-cut, so each PSU counts once. A cell with every pair
    of the design has the design's degrees of freedom.
    """
    k = agg.cells.n_cells
    weight = agg.sums["w"]
    cell = agg.cells.cell
    keep = weight > 0
    dfs = np.full(k, scheme.subset_df)
    n_psu = design.units.stages[0].n_clusters
    if ratio is not None and agg.poststratum is not None:
        p = ratio.shape[1]
        pair = psu_of_row * p + agg.poststratum
        whole = np.unique(pair[keep]).size
        # the pass's sum of each unit and cell's squared weights (`_SQUARES`)
        squares = agg.sums[_SQUARES] * design.units.weight_factor[agg.cells.unit]
        for c in range(k):
            rows = keep & (cell == c)
            if np.unique(pair[rows]).size == whole:
                continue
            dfs[c] = grouped_df(
                design,
                scheme,
                psu_of_row[rows],
                agg.poststratum[rows],
                ratio,
                weight[rows],
                squares[rows],
            )
        return dfs
    present = np.zeros((n_psu, k), dtype=bool)
    present[psu_of_row[keep], cell[keep]] = True
    # a cell without some PSU (or whose rows there all weigh nothing) has a smaller rank
    partial = [c for c in range(k) if not present[:, c].all()]
    if not partial:
        return dfs
    blocks = _jackknife_blocks(scheme.jackknife, n_psu)
    if blocks is not None:
        # delete-one jackknife, in closed form: the multipliers of the PSUs a cell has
        # are independent but for one relation among the strata (replicate blocks)
        # whose every PSU it has; so the rank is the PSUs less (such strata - 1)
        block_of_psu, size = blocks
        for c in partial:
            have = np.bincount(block_of_psu[present[:, c]], minlength=size.shape[0])
            whole_blocks = int(np.count_nonzero(have == size))
            dfs[c] = float(have.sum() - max(whole_blocks - 1, 0) - 1)
        return dfs
    multipliers = psu_multipliers(design, scheme)
    for c in partial:
        columns = multipliers[:, present[:, c]]
        if columns.size * columns.shape[0] <= _EXACT_RANK_WORK:
            dfs[c] = rank_rows_df(columns.T)
        else:
            dfs[c] = rank_df(columns @ columns.T)
    return dfs


def _jackknife_blocks(jack: Jackknife | None, n_psu: int) -> tuple[IntArray, IntArray] | None:
    """Each PSU's replicate block and the PSUs per block of a plain delete-one jackknife.

    ``None`` unless every PSU has its own replicate, every block (stratum) has two
    PSUs or more, and there is no lonely-stratum replicate: only then does the closed
    form of `_cell_dfs` hold.
    """
    if jack is None or np.any(jack.psu < 0) or not np.all(np.isfinite(jack.inflation)):
        return None
    if jack.psu.shape[0] != n_psu or np.unique(jack.psu).size != n_psu:
        return None
    _, block_of_replicate = np.unique(jack.stratum, return_inverse=True)
    block_of_psu = np.empty(n_psu, dtype=np.int64)
    block_of_psu[jack.psu] = block_of_replicate
    size = np.bincount(block_of_psu)
    if np.any(size < 2):
        return None
    return block_of_psu, size


def _replicate(
    scheme: ReplicateScheme, design: Design, per_psu: FloatArray, full: FloatArray
) -> FloatArray:
    if scheme.multipliers is not None:
        return np.asarray(scheme.multipliers @ per_psu, dtype=float)
    jack = scheme.jackknife
    if jack is None:
        raise AssertionError("a replicate scheme without replicates")
    stage = design.units.stages[0]
    per_stratum = np.zeros((stage.n_strata, per_psu.shape[1]))
    np.add.at(per_stratum, stage.cluster_stratum, per_psu)
    stratum_total = per_stratum[jack.stratum]
    dropped = np.where((jack.psu >= 0)[:, None], per_psu[np.maximum(jack.psu, 0)], 0.0)
    k = jack.inflation[:, None]
    ordinary = full[None, :] - stratum_total + k * (stratum_total - dropped)
    adjusted = k * (full[None, :] - stratum_total)
    return np.asarray(np.where((jack.psu >= 0)[:, None], ordinary, adjusted), dtype=float)


def _supplied_totals(
    design: Design,
    scheme: ReplicateScheme,
    *,
    terms: dict[str, exp.Expr],
    by: Sequence[str],
    where: Condition | None,
    variables: Sequence[str],
    level_column: str | None,
    na_rm: bool,
    thresholds: str | None = None,
    domain_df: bool = False,
) -> CellTotals:
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
    # re-weighted replicate columns: their sums are split by weighting cell, whose
    # replicate factors then apply
    factors = scheme.supplied_factors
    chain = design.chain
    chain_keys = key_expressions(design) if factors is not None and chain is not None else []
    first_key = len(groups)
    groups += chain_keys
    selections: list[exp.Expr] = [g.copy().as_(f"g{i}") for i, g in enumerate(groups)]
    for name, term in terms.items():
        selections.append(exp.func("sum", exp.Mul(this=weight.copy(), expression=term)).as_(name))
        for r, column in enumerate(scheme.columns):
            product = exp.Mul(this=design.number(column), expression=term.copy())
            selections.append(exp.func("sum", product).as_(f"{name}_r{r}"))
    selections.append(exp.func("count", exp.Star()).as_("amargah_n"))
    nonzero = exp.NEQ(this=weight.copy(), expression=exp.Literal.number(0))
    selections.append(exp.func("count", exp.Case().when(nonzero, _ONE.copy())).as_("amargah_nobs"))
    nulls = [
        exp.cast(
            exp.func(
                "sum",
                exp.Case()
                .when(design.column(c).is_(exp.Null()), _ONE.copy())
                .else_(exp.Literal.number(0)),
            ),
            exp.DataType.build("bigint"),
        ).as_(f"amargah_na{i}")
        for i, c in enumerate([] if na_rm else checked)
    ]
    query = design.select_from(*selections, *nulls)
    if thresholds is not None:
        if by:
            on = exp.and_(
                *(
                    exp.EQ(this=design.column(c), expression=exp.column(f"amargah_g{i}", table="t"))
                    for i, c in enumerate(by)
                )
            )
            query = query.join(exp.to_table(thresholds).as_("t"), on=on)
        else:
            query = query.join(exp.to_table(thresholds).as_("t"), join_type="cross")
    if filters:
        query = query.where(exp.and_(*filters))
    if groups:
        query = query.group_by(*(g.copy() for g in groups))
    result = design.engine.execute(query)
    for i, column in enumerate([] if na_rm else checked):
        if any(result.column(f"amargah_na{i}").to_pylist()):
            raise SurveyInputError(
                "missing values in the domain; use na_rm to treat them as outside it",
                column=column,
                rows=design.first_rows(design.column(column).is_(exp.Null())),
            )
    n_by = len(by)
    if n_by:
        coded = [sorted_codes(result.column(f"g{i}")) for i in range(n_by)]
        domain, combos = dense_combination([c for c, _ in coded], [len(v) for _, v in coded])
        domains = [{c: coded[j][1][int(combo[j])] for j, c in enumerate(by)} for combo in combos]
    else:
        domain, domains = np.zeros(result.num_rows, dtype=np.int64), [{}]
    if level_column:
        level_codes, levels = sorted_codes(result.column(f"g{n_by}"))
    else:
        level_codes, levels = np.zeros(result.num_rows, dtype=np.int64), [None]
    cells = domain * len(levels) + level_codes
    n_cells = len(domains) * len(levels)

    row_factor = np.ones((len(scheme.columns), result.num_rows))
    if chain_keys and factors is not None and chain is not None:
        keys = [result.column(f"g{first_key + j}") for j in range(len(chain_keys))]
        row_factor = factors[:, chain.locate(keys, result.num_rows)]

    def spread(values: Any, factor: FloatArray | float = 1.0) -> FloatArray:
        array = np.nan_to_num(np.asarray(values.to_numpy(zero_copy_only=False), dtype=float))
        return np.bincount(cells, weights=array * factor, minlength=n_cells).astype(float)

    full = {name: spread(result.column(name)) for name in terms}
    replicates = {
        name: np.stack(
            [
                spread(result.column(f"{name}_r{r}"), row_factor[r])
                for r in range(len(scheme.columns))
            ]
        )
        for name in terms
    }
    count = spread(result.column("amargah_n"))
    weighted_count = spread(result.column("amargah_nobs"))
    dfs = None
    if domain_df:
        dfs = supplied_dfs(design, scheme, by, filters, domains)
    return CellTotals(full, replicates, count, weighted_count, domains, levels, dfs)


# replicate weights fetched or formed at a time (128 MB of floats)
_ROW_VALUES = 16_000_000


def supplied_df(design: Design, scheme: ReplicateScheme) -> float:
    """Rank less one of the whole design's replicate columns (R's ``degf``)."""
    return float(supplied_dfs(design, scheme, [], [], [{}])[0])


def supplied_dfs(
    design: Design,
    scheme: ReplicateScheme,
    by: Sequence[str],
    filters: list[exp.Expr],
    domains: list[dict[str, Any]],
) -> FloatArray:
    """Shape (domains,): rank less one of each domain's rows of the replicate columns.

    Re-weighted columns (``scheme.supplied_factors``) are taken times their weighting
    cell's factors, as R's re-weighted replicate weights are. The columns come from
    the engine in slices of rows (by row number); each domain's rows go into its
    `RowFactor` (R's rank), or beyond `_EXACT_RANK_WORK` into its cross-products
    (`rank_df`). Either is done in numpy: a wide aggregation of every pair of columns
    costs the engine far more.
    """
    from amargah.stats.design import ROW_COLUMN

    count = len(scheme.columns)
    exact = design.row_count * count**2 <= _EXACT_RANK_WORK
    row_factors = [RowFactor(count) for _ in domains] if exact else []
    grams = np.zeros((0 if exact else len(domains), count, count))
    index = {tuple(d[c] for c in by): i for i, d in enumerate(domains)}
    selections: list[exp.Expr] = [design.column(c).as_(f"g{i}") for i, c in enumerate(by)]
    selections += [design.number(c).as_(f"r{i}") for i, c in enumerate(scheme.columns)]
    # re-weighted columns: each row's are multiplied by its weighting cell's factors
    reweighting = None
    if scheme.supplied_factors is not None and design.chain is not None:
        reweighting = (scheme.supplied_factors, design.chain)
    chain_keys = key_expressions(design) if reweighting is not None else []
    selections += [k.copy().as_(f"c{j}") for j, k in enumerate(chain_keys)]
    row = exp.column(ROW_COLUMN, quoted=True)
    step = max(1, _ROW_VALUES // count)
    for start in range(0, design.row_count, step):
        within = exp.and_(
            exp.GTE(this=row.copy(), expression=exp.Literal.number(start)),
            exp.LT(this=row.copy(), expression=exp.Literal.number(start + step)),
        )
        query = design.select_from(*(s.copy() for s in selections)).where(
            exp.and_(within, *(f.copy() for f in filters))
        )
        result = design.engine.execute(query)
        if result.num_rows == 0:
            continue
        # one replicate per row of a C-ordered array: filled by contiguous copies, and
        # its product with its transpose is what BLAS does fastest
        values = np.empty((count, result.num_rows))
        for i in range(count):
            values[i] = result.column(f"r{i}").to_numpy(zero_copy_only=False)
        np.nan_to_num(values, copy=False)
        if reweighting is not None:
            factors, chain = reweighting
            codes = [result.column(f"c{j}") for j in range(len(chain_keys))]
            values *= factors[:, chain.locate(codes, result.num_rows)]
        if by:
            keys = zip(*(result.column(f"g{i}").to_pylist() for i in range(len(by))), strict=True)
            domain = np.array([index.get(tuple(k), -1) for k in keys], dtype=np.int64)
        else:
            domain = np.zeros(result.num_rows, dtype=np.int64)
        for d in np.unique(domain[domain >= 0]):
            part = values if not by else values[:, domain == d]
            if exact:
                row_factors[d].add(part.T)
            else:
                grams[d] += part @ part.T
    if exact:
        return np.array([factor.df() for factor in row_factors])
    return np.array([rank_df(gram) for gram in grams])


def poststratum_ratio(design: Design, scheme: ReplicateScheme) -> FloatArray:
    """Each replicate's post-stratification factor over the full sample's.

    ``design`` is the post-stratified design; the replicate weight sum of each
    post-stratum comes from the PSU x post-stratum sums of the sampling weights.
    """
    strata = design.poststrata
    if strata is None:
        raise AssertionError("the design is not post-stratified")
    stage = design.units.stages[0]
    p = strata.count
    raking = design.raking
    if raking is not None:
        # raking cells: rake every replicate's base weights per cell as the full sample
        per_psu = (
            np.bincount(
                stage.cluster[raking.unit] * p + raking.cell,
                weights=raking.base_weight,
                minlength=stage.n_clusters * p,
            )
            .astype(float)
            .reshape(stage.n_clusters, p)
        )
        cell_base = _replicate(scheme, design, per_psu, per_psu.sum(axis=0))
        factors = raking.replicate_factors(cell_base)
        return np.asarray(factors / strata.factor[None, :], dtype=float)
    sampling = strata.weight / strata.factor[strata.stratum]
    per_psu = (
        np.bincount(
            stage.cluster[strata.unit] * p + strata.stratum,
            weights=sampling,
            minlength=stage.n_clusters * p,
        )
        .astype(float)
        .reshape(stage.n_clusters, p)
    )
    replicate_sums = _replicate(scheme, design, per_psu, per_psu.sum(axis=0))
    # a first post-stratification only (`ReplicateDesign._reweighted`): any other step,
    # nonresponse included, re-weights the replicates through the chain
    refuse_empty_replicate_group(replicate_sums, strata, nonresponse=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = strata.population[None, :] / replicate_sums / strata.factor[None, :]
    # a post-stratum of population zero has nothing to rescale
    return np.asarray(np.where(replicate_sums > 0, ratio, 0.0), dtype=float)


def calibration_coefficients(
    design: Design, scheme: ReplicateScheme, first: FloatArray, second: FloatArray
) -> FloatArray:
    """Each replicate's linear calibration ``lambda``, shape (replicates, p).

    ``first`` and ``second`` are per finest unit ``sum w x`` (units, p) and
    ``sum w x x'`` (units, p, p) with the weights before calibration; ``design`` is
    the calibrated design.
    """
    calibration = design.calibration
    if calibration is None:
        raise AssertionError("the design is not calibrated")
    stage = design.units.stages[0]
    p = first.shape[1]
    moments = np.concatenate([first, second.reshape(first.shape[0], p * p)], axis=1)
    per_psu = np.zeros((stage.n_clusters, moments.shape[1]))
    np.add.at(per_psu, stage.cluster, moments)
    replicated = _replicate(scheme, design, per_psu, per_psu.sum(axis=0))
    sums = replicated[:, :p]
    information = replicated[:, p:].reshape(-1, p, p)
    target = first.sum(axis=0) + calibration.information @ calibration.coefficients
    right = (target[None, :] - sums)[:, :, None]
    return solve_calibration(information, right, calibration.names)[:, :, 0]


def calibration_df(
    design: Design, scheme: ReplicateScheme, second: FloatArray, lambdas: FloatArray
) -> float:
    """Degrees of freedom of linearly calibrated replicate weights (rank minus one).

    A row's replicate weight is ``w rho_r(psu) x'mu_r`` with ``mu_r`` the intercept's
    unit vector plus ``lambda_r``; scaled by ``1 / sqrt(w)``, the cross-products of
    the columns are sums over PSUs of ``rho_r rho_s mu_r' (sum w x x') mu_s``.
    ``second`` is the per-unit ``sum w x x'`` (units, p, p).
    """
    stage = design.units.stages[0]
    p = second.shape[1]
    per_psu = np.zeros((stage.n_clusters, p, p))
    np.add.at(per_psu, stage.cluster, second)
    return calibrated_rank_df(design, scheme, per_psu, lambdas)


def calibrated_rank_df(
    design: Design, scheme: ReplicateScheme, per_psu: FloatArray, lambdas: FloatArray
) -> float:
    """Rank less one of linearly calibrated replicate weights of some rows.

    ``per_psu`` (PSUs, p, p) is the sum of ``w x x'`` over the rows of each PSU (zero
    for PSUs without any); see `calibration_df`.
    """
    present = np.flatnonzero(np.abs(per_psu).reshape(per_psu.shape[0], -1).sum(axis=1) > 0)
    mu = lambdas.copy()
    mu[:, 0] += 1.0
    multipliers = psu_multipliers(design, scheme)[:, present]  # (replicates, PSUs)
    # (PSUs, replicates, p): each PSU's moment matrix applied to every replicate's mu
    applied = np.einsum("cij,rj->cri", per_psu[present], mu)
    gram = np.einsum("rc,sc,ri,csi->rs", multipliers, multipliers, mu, applied, optimize=True)
    return rank_df(gram)


def psu_multipliers(design: Design, scheme: ReplicateScheme) -> FloatArray:
    """Shape (replicates, PSUs): each replicate's weight over the full weight of a PSU."""
    n = design.units.stages[0].n_clusters
    return _replicate(scheme, design, np.eye(n), np.ones(n))


# R's degf takes the rank of the replicate weights as ``qr(..., tol = 1e-5)`` finds it
_QR_TOLERANCE = 1e-5
# columns decided one by one within a block; the blocks' projections are matrix products
_RANK_BLOCK = 64
# above this much work (rows x replicates squared), the rank is taken from the
# cross-products' eigenvalues instead of R's column-by-column rule (about 10 s here)
_EXACT_RANK_WORK = 2e11


def rank_df(gram: FloatArray) -> float:
    """Degrees of freedom (rank less one) of replicate weights known by their
    cross-products only: the eigenvalues above 1e-10 of the largest.

    ``gram`` is the (replicates, replicates) matrix of cross-products of the replicate
    weight columns (rows may be scaled by any positive number: the rank is the same).
    R's own rule (`rank_rows_df`) needs the rows: whether a column is within 1e-5 of
    the span of the columns before it cannot be told reliably from cross-products,
    whose rounding errors are as large as that where columns are nearly dependent.
    The two rules agree but where a column is nearly, not quite, a combination of
    others, as replicate weights raked short of convergence are.
    """
    values = np.linalg.eigvalsh((gram + gram.T) / 2)
    top = float(values.max()) if values.size else 0.0
    if top <= 0:
        return 0.0
    return float(np.count_nonzero(values > top * 1e-10) - 1)


def rank_rows_df(rows: FloatArray) -> float:
    """R's ``degf`` of the replicate weight matrix ``rows`` (rows, replicates): its rank
    as R's ``qr(tol = 1e-5)`` counts it, less one.

    ``rows`` may be any matrix whose columns have the same cross-products as R's (one
    row per data row), such as the triangular factor `RowFactor` keeps. R's QR
    (LINPACK ``dqrdc2``) takes the columns in order and sets aside for good each one
    whose part orthogonal to the columns kept before it has a norm below 1e-5 of the
    column's own; the rank is the columns kept (at most the rows). Here the kept
    columns' orthonormal basis is built block by block (Gram-Schmidt with every
    projection made twice, which keeps it orthonormal to rounding), and the parts'
    norms are the ones R's Householder steps give.
    """
    m, n = rows.shape
    norms = np.linalg.norm(rows, axis=0)
    if n == 0 or not np.any(norms > 0):
        return 0.0
    # a column of zeros is measured against 1, as dqrdc2 does
    threshold = _QR_TOLERANCE * np.where(norms > 0, norms, 1.0)
    basis = np.zeros((m, min(m, n)))
    kept = 0
    for start in range(0, n, _RANK_BLOCK):
        if kept == basis.shape[1]:
            break  # the kept columns span the rows: nothing is left of any other
        block = rows[:, start : start + _RANK_BLOCK].copy()
        for _ in range(2):
            done = basis[:, :kept]
            block -= done @ (done.T @ block)
        first = kept
        for j in range(block.shape[1]):
            part = block[:, j]
            for _ in range(2):
                new = basis[:, first:kept]
                part -= new @ (new.T @ part)
            norm = float(np.linalg.norm(part))
            if norm < threshold[start + j] or kept == basis.shape[1]:
                continue
            basis[:, kept] = part / norm
            kept += 1
    return float(kept - 1)


class RowFactor:
    """Rows of a replicate weight matrix taken in slices, kept as a triangular factor
    (replicates x replicates at most) with the same column cross-products and the same
    rank by R's rule: each slice is stacked under the factor and reduced by a
    Householder QR, whose rounding is that of the rows, not of their cross-products.
    """

    def __init__(self, replicates: int) -> None:
        self._factor = np.zeros((0, replicates))

    def add(self, rows: FloatArray) -> None:
        """Take ``rows`` (rows, replicates) into the factor."""
        stacked = np.concatenate([self._factor, rows])
        if stacked.shape[0] > stacked.shape[1]:
            stacked = np.asarray(np.linalg.qr(stacked, mode="r"), dtype=float)
        self._factor = stacked

    def df(self) -> float:
        """R's ``degf`` of the rows taken so far (`rank_rows_df`)."""
        return rank_rows_df(self._factor)


def grouped_df(
    design: Design,
    scheme: ReplicateScheme,
    psu: IntArray,
    group: IntArray,
    ratio: FloatArray,
    weight: FloatArray,
    squares: FloatArray | None = None,
) -> float:
    """Degrees of freedom of replicate weights ``w * rho_r(psu) * ratio_r(group)`` per row.

    ``psu``, ``group``, ``weight`` (their sum) and ``squares`` (the sum of their
    squares) describe groups of data rows of weights ``w`` (several groups may share a
    PSU and a group); ``ratio`` has shape (replicates, groups). R's matrix has a row per
    data row, its weight times the row's replicate factors, which are the same for the
    rows of a (PSU, group) pair: one row per pair of non-zero weight, scaled by the
    square root of the pair's ``squares`` (1 when not given), has the same
    cross-products, and so R's rank (`rank_rows_df`). Beyond `_EXACT_RANK_WORK`, the
    rank comes from the cross-products (`rank_df`).
    """
    multipliers = psu_multipliers(design, scheme)  # (replicates, PSUs)
    n_groups = ratio.shape[1]
    keep = weight > 0
    pairs, inverse = np.unique(psu[keep] * n_groups + group[keep], return_inverse=True)
    if squares is None:
        counts = np.ones(pairs.size)
    else:
        counts = np.asarray(
            np.bincount(inverse.reshape(-1), weights=squares[keep], minlength=pairs.size),
            dtype=float,
        )
    replicates = multipliers.shape[0]
    if pairs.size * replicates**2 > _EXACT_RANK_WORK:
        return rank_df(_pairs_gram(multipliers, ratio, pairs, counts))
    factor = RowFactor(replicates)
    step = max(1, _ROW_VALUES // max(replicates, 1))
    for start in range(0, pairs.size, step):
        chunk = pairs[start : start + step]
        columns = multipliers[:, chunk // n_groups] * ratio[:, chunk % n_groups]
        factor.add((columns * np.sqrt(counts[start : start + step])).T)
    return factor.df()


def _pairs_gram(
    multipliers: FloatArray, ratio: FloatArray, pairs: IntArray, counts: FloatArray
) -> FloatArray:
    """Cross-products of the rows of `grouped_df` (replicates, replicates).

    When every pair counts the same and most pairs are present, they are those of
    every pair, ``(P'P) * (Q'Q)`` elementwise, less the absent pairs'.
    """
    n_groups = ratio.shape[1]
    replicates = multipliers.shape[0]
    # a common count scales the cross-products, which leaves the rank as it is
    uniform = counts.size == 0 or bool(np.all(counts == counts[0]))
    used_psu, used_group = np.unique(pairs // n_groups), np.unique(pairs % n_groups)
    everything = (used_psu[:, None] * n_groups + used_group[None, :]).reshape(-1)
    absent = np.setdiff1d(everything, pairs, assume_unique=True)
    scale = np.sqrt(counts)
    if uniform and absent.size < pairs.size:
        p, q = multipliers[:, used_psu], ratio[:, used_group]
        gram = (p @ p.T) * (q @ q.T)
        listed, sign, scale = absent, -1.0, np.ones(absent.size)
    else:
        gram = np.zeros((replicates, replicates))
        listed, sign = pairs, 1.0
    step = max(1, _ROW_VALUES // max(replicates, 1))
    for start in range(0, listed.size, step):
        chunk = listed[start : start + step]
        columns = multipliers[:, chunk // n_groups] * ratio[:, chunk % n_groups]
        columns *= scale[start : start + step]
        gram += sign * (columns @ columns.T)
    return gram


def replicate_variance(scheme: ReplicateScheme, thetas: FloatArray, full: FloatArray) -> FloatArray:
    """R's ``svrVar``: shape (cells,) from replicate estimates (replicates, cells).

    A replicate whose estimate is undefined (NaN: a domain that the replicate leaves
    without weight, say) is left out of that cell's variance, as R's ``svrVar`` drops
    such replicates (``na.action``, with a warning) and keeps the others' scales. A
    cell with no defined replicate has no variance (NaN).
    """
    defined = ~np.isnan(thetas)
    if scheme.mse:
        centre = full
    else:
        counted = defined & (scheme.rscales > 0)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            n = counted.sum(axis=0)
            centre = np.where(counted, thetas, 0.0).sum(axis=0) / n
            # corrected by the mean residual, as R's mean(): equal replicates give
            # their value exactly, so that a variance of zero is exactly zero
            centre = centre + np.where(counted, thetas - centre[None, :], 0.0).sum(axis=0) / n
    deviations = np.where(defined, thetas - centre[None, :], 0.0)
    variance = scheme.scale * (scheme.rscales[:, None] * deviations**2).sum(axis=0)
    variance[~defined.any(axis=0)] = np.nan
    return np.asarray(variance, dtype=float)


def estimate_replicated(
    design: Design,
    scheme: ReplicateScheme,
    statistic: str,
    variables: Sequence[str],
    *,
    denominator: str | None = None,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> Estimates:
    """Totals, means, proportions or a ratio with replicate standard errors."""
    check_level(level)
    domain_by = by_columns(design, by)
    rows: list[Estimate] = []
    for variable in variables:
        design.require_column(variable)
        categorical = statistic == "proportion" or (
            statistic == "total" and is_categorical(design, variable)
        )
        if statistic in ("mean", "ratio"):
            design.require_numeric(variable)
        if categorical:
            totals = cell_totals(
                design,
                scheme,
                terms={"w": _ONE.copy()},
                by=domain_by,
                where=where,
                variables=[],
                level_column=variable,
                na_rm=na_rm,
            )
            if None in totals.levels:
                raise SurveyInputError(
                    "missing values in the domain; use na_rm to treat them as outside it",
                    column=variable,
                    rows=design.first_rows(design.column(variable).is_(exp.Null())),
                )
            rows += _categorical(design, scheme, totals, statistic, variable, level)
            continue
        y = design.number(variable)
        terms: dict[str, exp.Expr] = {
            "w": _ONE.copy(),
            "y": y,
            "yy": exp.Mul(this=y.copy(), expression=y.copy()),
        }
        checked = [variable]
        if denominator is not None:
            design.require_numeric(denominator)
            x = design.number(denominator)
            terms |= {
                "x": x,
                "xx": exp.Mul(this=x.copy(), expression=x.copy()),
                "xy": exp.Mul(this=x.copy(), expression=y.copy()),
            }
            checked.append(denominator)
        totals = cell_totals(
            design,
            scheme,
            terms=terms,
            by=domain_by,
            where=where,
            variables=checked,
            level_column=None,
            na_rm=na_rm,
        )
        rows += _numeric(design, scheme, totals, statistic, variable, denominator, level)
    return Estimates(tuple(rows))


def _numeric(
    design: Design,
    scheme: ReplicateScheme,
    totals: CellTotals,
    statistic: str,
    variable: str,
    denominator: str | None,
    level: float,
) -> list[Estimate]:
    f, r = totals.full, totals.replicates
    # R's design effect on a replicate design counts every row of the domain, zero
    # weights included (its svyvar and length(pweights)), unlike Taylor's
    nobs = totals.count
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = f["y"] / f["w"]
        s2 = (f["yy"] - f["y"] * mean) / f["w"] * nobs / (nobs - 1)
        srs_mean = s2 * (f["w"] - nobs) / (f["w"] * nobs)
        if statistic == "total":
            estimate, thetas, srs = f["y"], r["y"], srs_mean * f["w"] ** 2
        elif statistic == "mean":
            estimate, thetas, srs = mean, r["y"] / r["w"], srs_mean
        else:
            ratio = f["y"] / f["x"]
            estimate, thetas = ratio, r["y"] / r["x"]
            residual = f["yy"] - 2 * ratio * f["xy"] + ratio**2 * f["xx"]
            s2r = residual / f["x"] ** 2 / f["w"] * nobs / (nobs - 1)
            srs = s2r * f["w"] ** 2 * (f["w"] - nobs) / (f["w"] * nobs)
    variance = replicate_variance(scheme, thetas, estimate)
    name = f"{variable}/{denominator}" if statistic == "ratio" else variable
    return _rows(
        design,
        scheme,
        totals,
        statistic,
        name,
        estimate,
        variance,
        srs,
        f["w"],
        totals.weighted_count,
        level=level,
    )


def _categorical(
    design: Design,
    scheme: ReplicateScheme,
    totals: CellTotals,
    statistic: str,
    variable: str,
    level: float,
) -> list[Estimate]:
    n_levels = len(totals.levels)
    n_domains = len(totals.domains)
    domain_of_cell = np.repeat(np.arange(n_domains), n_levels)
    y, y_rep = totals.full["w"], totals.replicates["w"]
    w = y.reshape(n_domains, n_levels).sum(axis=1)[domain_of_cell]
    w_rep = y_rep.reshape(-1, n_domains, n_levels).sum(axis=2)[:, domain_of_cell]
    count = totals.weighted_count.reshape(n_domains, n_levels).sum(axis=1)[domain_of_cell]
    # every row of the domain, as R's replicate design effect counts them
    nobs = totals.count.reshape(n_domains, n_levels).sum(axis=1)[domain_of_cell]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = y / w
        s2 = (y - y * share) / w * nobs / (nobs - 1)
        srs_mean = s2 * (w - nobs) / (w * nobs)
        if statistic == "total":
            estimate, thetas, srs = y, y_rep, srs_mean * w**2
        else:
            estimate, thetas, srs = share, y_rep / w_rep, srs_mean
    variance = replicate_variance(scheme, thetas, estimate)
    labels: list[str | None] = [level_label(v) for v in totals.levels]
    return _rows(
        design,
        scheme,
        totals,
        statistic,
        variable,
        estimate,
        variance,
        srs,
        w,
        count,
        level=level,
        term=labels * n_domains,
        domain_of_cell=domain_of_cell,
    )


def _rows(
    design: Design,
    scheme: ReplicateScheme,
    totals: CellTotals,
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
    z = normal_quantile((1 + level) / 2)
    se = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(estimate != 0, se / estimate, np.nan)
        deff = variance / srs_variance
    df = scheme.df
    rows = []
    for cell in range(estimate.shape[0]):
        d = cell if domain_of_cell is None else int(domain_of_cell[cell])
        rows.append(
            Estimate(
                statistic=statistic,
                variable=variable,
                term=None if term is None else term[cell],
                domain=totals.domains[d] or None,
                estimate=float(estimate[cell]),
                se=float(se[cell]),
                ci_lower=float(estimate[cell] - z * se[cell]),
                ci_upper=float(estimate[cell] + z * se[cell]),
                cv=float(cv[cell]),
                deff=float(deff[cell]),
                df=df,
                n=int(count[cell]),
                population=float(population[cell]),
            )
        )
    return rows


def estimate_replicated_quantiles(
    design: Design,
    scheme: ReplicateScheme,
    variable: str,
    probabilities: Sequence[float],
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
    qrule: str,
) -> Estimates:
    """Quantiles with Woodruff intervals from replicate weights (R's default for svrep).

    The share of each domain at or below its quantile gets its standard error from the
    replicates; the interval on it uses t with the domain's replicate degrees of
    freedom (R's ``degf`` of the domain's rows that are used; with ``na_rm`` the whole
    design's too, as R's ``svyquantile`` takes a subset then) and is mapped back
    through the full-sample distribution, as R's ``svyquantile`` under ``svyby`` does.
    """
    from amargah.stats.estimation.quantiles import quantile_thresholds, woodruff_rows

    with quantile_thresholds(
        design, variable, probabilities, by=by, where=where, na_rm=na_rm, level=level, qrule=qrule
    ) as thresholds:
        totals = cell_totals(
            design,
            scheme,
            terms=thresholds.terms,
            by=thresholds.by,
            where=where,
            variables=[variable],
            level_column=None,
            na_rm=na_rm,
            thresholds=thresholds.relation,
            domain_df=True,
            rows_subset=na_rm,
        )
    shares, share_se = [], []
    for j in range(len(thresholds.probabilities)):
        with np.errstate(invalid="ignore", divide="ignore"):
            share = totals.full[f"i{j}"] / totals.full["w"]
            thetas = totals.replicates[f"i{j}"] / totals.replicates["w"]
        shares.append(share)
        share_se.append(np.sqrt(replicate_variance(scheme, thetas, share)))
    # R's svyquantile drops the rows it does not use and takes degf of what is left
    rows = woodruff_rows(
        thresholds,
        variable,
        order=thresholds.order(totals.domains),
        shares=np.array(shares),
        share_se=np.array(share_se),
        dfs=np.asarray(totals.cell_df(), dtype=float),
        counts=[int(n) for n in totals.weighted_count],
        level=level,
    )
    return Estimates(tuple(rows))


def estimate_replicated_ciprop(
    design: Design,
    scheme: ReplicateScheme,
    variable: str,
    category: Any,
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> Estimates:
    """Share at a level with a logit interval from replicates (R's svyciprop on svrep).

    R fits the intercept-only logistic model on every replicate, so the interval uses
    the replicate variance of the logit of the share (with t on the domain's replicate
    degrees of freedom, counted before rows with a missing value are dropped, as R's
    ``svyciprop`` under ``svyby`` takes them); the standard error reported is the share's.
    """
    from amargah.stats.distributions import glm_wald_multiplier
    from amargah.stats.estimation.quantiles import _category, logit_interval

    check_level(level)
    domain_by = by_columns(design, by)
    design.require_column(variable)
    indicator = exp.EQ(
        this=design.column(variable), expression=_category(design, variable, category)
    )
    terms: dict[str, exp.Expr] = {
        "w": _ONE.copy(),
        "i": exp.Case().when(indicator, _ONE.copy()).else_(exp.Literal.number(0)),
    }
    totals = cell_totals(
        design,
        scheme,
        terms=terms,
        by=domain_by,
        where=where,
        variables=[variable],
        level_column=None,
        na_rm=na_rm,
        domain_df=not na_rm,
    )
    if not na_rm:
        dfs = totals.cell_df()
    else:
        # R's svyciprop takes degf of the domain before the model drops missing rows
        whole = cell_totals(
            design,
            scheme,
            terms={"w": _ONE.copy()},
            by=domain_by,
            where=where,
            variables=[],
            level_column=None,
            na_rm=False,
            domain_df=True,
        )
        counted = zip(whole.domains, whole.cell_df(), strict=True)
        df_of = {tuple(sorted(d.items())): df for d, df in counted}
        dfs = np.array([df_of[tuple(sorted(d.items()))] for d in totals.domains])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = totals.full["i"] / totals.full["w"]
        shares = totals.replicates["i"] / totals.replicates["w"]
        logit = np.log(share / (1 - share))
        logits = np.log(shares / (1 - shares))
        se_share = np.sqrt(replicate_variance(scheme, shares, share))
        # a share of 0 or 1 has no finite logit (its interval is the share itself)
        se_logit = np.sqrt(replicate_variance(scheme, logits, logit))
    # a replicate without the level (or with nothing else) in the domain has an infinite
    # logit: the logit's variance is infinite and the interval the whole of [0, 1], with
    # or without mse (R's model fitted on that replicate stops short of infinity instead,
    # so that its interval is just inside [0, 1])
    se_logit[np.isfinite(logit) & np.isinf(logits).any(axis=0)] = np.inf
    rows = []
    for cell in range(share.shape[0]):
        df = float(dfs[cell])
        p = float(share[cell])
        multiplier = glm_wald_multiplier(level, df)
        lower, upper = logit_interval(p, float(logit[cell]), float(se_logit[cell]), multiplier)
        rows.append(
            Estimate(
                statistic="ciprop",
                variable=variable,
                term=level_label(category),
                domain=totals.domains[cell] or None,
                estimate=p,
                se=float(se_share[cell]),
                ci_lower=lower,
                ci_upper=upper,
                cv=float(se_share[cell] / p) if p != 0 else math.nan,
                deff=math.nan,
                df=df,
                n=int(totals.weighted_count[cell]),
                population=float(totals.full["w"][cell]),
            )
        )
    return Estimates(tuple(rows))
