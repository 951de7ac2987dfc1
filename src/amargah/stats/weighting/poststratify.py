"""Post-stratification: weights scaled to known population sizes of post-strata.

The factor of a post-stratum is its population size over the sum of the sample weights
in it. The variance of an estimator on the post-stratified design is computed, as R's
``survey`` (4.x) does, from the linearised values with their post-stratum means
removed: each value becomes ``z_i - w_i * Z_ps / N_ps`` with ``w`` the post-stratified
weight, ``Z_ps`` the post-stratum's total of the linearised values and ``N_ps`` its
population size (the weighted mean of ``z / w``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.engine import fresh_name, release_with
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import FloatArray, IntArray, UnitCells
from amargah.stats.expressions import parse_terms
from amargah.stats.unit_query import aggregate_per_unit
from amargah.stats.weighting.chain import StepKind, WeightingStep, with_step

if TYPE_CHECKING:
    from amargah.stats.design import Design

FREQ_COLUMN = "Freq"


@dataclass(frozen=True)
class PostStrata:
    """The post-strata of a design and what its variance needs of them.

    Attributes
    ----------
    columns
        Post-stratum columns.
    relation
        Engine table ``amargah_pk0.., amargah_ps, amargah_g``: levels, post-stratum
        index, weight factor.
    labels
        Levels of each post-stratum (a tuple of values).
    factor
        Shape (P,): population size over the sample weight sum.
    rows
        Shape (P,): sample rows in each post-stratum.
    population
        Shape (P,): population size of each post-stratum (persons).
    unit, stratum, weight
        Per (finest unit, post-stratum) pair with rows: the post-stratified weight
        sum (persons).
    pair_square
        Per pair: the sum of its rows' squared post-stratified weights (R's replicate
        weight matrix has a row per data row, its weight times the pair's replicate
        factors); None where the pairs are not kept.
    centred
        Whether estimators centre linearised values within these groups. Weight
        trimming reuses this structure (groups of equal weights, a factor each) but,
        as R's ``trimWeights``, treats the new weights as design weights: not centred.
    """

    columns: tuple[str, ...]
    relation: str
    labels: tuple[tuple[Any, ...], ...]
    factor: FloatArray
    rows: FloatArray
    population: FloatArray
    unit: IntArray
    stratum: IntArray
    weight: FloatArray
    centred: bool = True
    pair_square: FloatArray | None = None

    @property
    def count(self) -> int:
        """Number of post-strata."""
        return len(self.labels)


@dataclass(frozen=True)
class CellSums:
    """A design's weights summed per (finest unit, cell) pair, from one pass.

    A cell is a combination of the values of some columns (a post-stratum, a raking
    cell); cells are numbered in the sorted order of their values.

    Attributes
    ----------
    unit, cell
        Per (unit, cell) pair with rows: the unit index and the cell index.
    weight
        Per pair: the sum of the design's weights (persons).
    square
        Per pair: the sum of the squared weights (persons squared).
    rows
        Per pair: the number of data rows.
    labels
        Per cell: the columns' values, in the columns' order.
    types
        Arrow type of each column.
    """

    unit: IntArray
    cell: IntArray
    weight: FloatArray
    square: FloatArray
    rows: FloatArray
    labels: tuple[tuple[Any, ...], ...]
    types: tuple[pa.DataType, ...]

    @property
    def count(self) -> int:
        """Number of cells."""
        return len(self.labels)

    def totals(self) -> tuple[FloatArray, FloatArray]:
        """Per cell: the sum of weights (persons) and the number of rows."""
        weight = np.bincount(self.cell, weights=self.weight, minlength=self.count)
        rows = np.bincount(self.cell, weights=self.rows, minlength=self.count)
        return weight.astype(float), rows.astype(float)

    def by_pair(self, values: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
        """``values`` (one per pair) summed per distinct (unit, cell), in that order."""
        pairs, inverse = np.unique(self.unit * self.count + self.cell, return_inverse=True)
        sums = np.bincount(inverse.reshape(-1), weights=values).astype(float)
        return pairs // self.count, pairs % self.count, sums

    def register(self, design: Design, factor: FloatArray, *, prefix: str) -> str:
        """Register the cells' relation (``amargah_pk0.., amargah_ps, amargah_g``).

        Its rows are the cells' values, index and weight ``factor``; the returned name
        is what `WeightingStep` joins on every row.
        """
        levels = [
            pa.array([label[j] for label in self.labels], type=data_type)
            for j, data_type in enumerate(self.types)
        ]
        return register_groups(design, levels, factor, prefix=prefix)


def register_groups(
    design: Design,
    levels: Sequence[pa.Array | pa.ChunkedArray],
    factor: FloatArray,
    *,
    prefix: str,
) -> str:
    """Register a weighting step's groups (``amargah_pk0.., amargah_ps, amargah_g``).

    One row per group: its level of each grouping column (``levels``), its index and its
    weight ``factor``. Every row of the data is joined to it, so it is a lookup table.
    Returns the relation's name.
    """
    table: dict[str, Any] = {f"amargah_pk{j}": values for j, values in enumerate(levels)}
    table["amargah_ps"] = pa.array(np.arange(len(factor), dtype=np.int64))
    table["amargah_g"] = pa.array(factor)
    relation = fresh_name(prefix)
    design.engine.register_arrow(relation, pa.table(table), lookup=True)
    return relation


def cell_sums(design: Design, columns: Sequence[str], *, missing: str) -> CellSums:
    """One pass: the weights and rows of ``design`` per finest unit and cell of ``columns``.

    ``missing`` is the message of the error raised when a column has missing values.
    """
    groups = [design.column(c) for c in columns]
    names = [f"p{j}" for j in range(len(columns))]
    inner = design.select_from(
        *(g.copy().as_(name) for g, name in zip(groups, names, strict=True)),
        exp.func("sum", design.weight_expression()).as_("w"),
        exp.func(
            "sum", exp.Mul(this=design.weight_expression(), expression=design.weight_expression())
        ).as_("w2"),
        exp.func("count", exp.Star()).as_("n"),
    ).group_by(*(g.copy() for g in groups))
    result = aggregate_per_unit(design, inner, [*names, "w", "w2", "n"])
    for name, column in zip(names, columns, strict=True):
        if result.column(name).null_count:
            raise SurveyInputError(
                missing,
                column=column,
                rows=design.first_rows(design.column(column).is_(exp.Null())),
            )
    unit = np.asarray(result.column("unit").to_numpy(), dtype=np.int64)
    weight = np.asarray(result.column("w").to_numpy(zero_copy_only=False), dtype=float)
    coded = [sorted_codes(result.column(name)) for name in names]
    cell, members = dense_combination([c for c, _ in coded], [len(v) for _, v in coded])
    return CellSums(
        unit=unit,
        cell=cell,
        weight=weight * design.units.weight_factor[unit],
        square=np.nan_to_num(
            np.asarray(result.column("w2").to_numpy(zero_copy_only=False), dtype=float)
        )
        * design.units.weight_factor[unit] ** 2,
        rows=np.asarray(result.column("n").to_numpy(), dtype=float),
        labels=tuple(tuple(v[int(m[j])] for j, (_, v) in enumerate(coded)) for m in members),
        types=tuple(result.column(name).type for name in names),
    )


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _population(
    population: pa.Table | Mapping[Any, float], columns: Sequence[str]
) -> dict[tuple[str, ...], float]:
    sizes: dict[tuple[str, ...], float] = {}
    if isinstance(population, pa.Table):
        missing = [c for c in [*columns, FREQ_COLUMN] if c not in population.column_names]
        if missing:
            raise SurveyInputError(
                f"the population table needs the columns {', '.join([*columns, FREQ_COLUMN])}",
                column=missing[0],
            )
        for number, row in enumerate(population.to_pylist(), start=1):
            _add_size(sizes, tuple(_label(row[c]) for c in columns), row[FREQ_COLUMN], number)
    else:
        for number, (key, size) in enumerate(population.items(), start=1):
            levels = key if isinstance(key, tuple) else (key,)
            if len(levels) != len(columns):
                raise SurveyInputError(f"population key {key!r} does not match {columns}")
            _add_size(sizes, tuple(_label(v) for v in levels), size, number)
    return sizes


def match_levels(
    sizes: Mapping[tuple[str, ...], float],
    sample_levels: Sequence[tuple[str, ...]],
    columns: Sequence[str],
    *,
    noun: str,
    partial: bool | None = None,
) -> None:
    """Refuse a level of the sample missing from the population table, and a level of
    the population without sample rows (as R's ``postStratify`` does unless
    ``partial=TRUE``; ``partial=None``: the step has no such option, as R's ``rake``)."""
    absent = [level for level in sample_levels if level not in sizes]
    if absent:
        raise SurveyInputError(
            f"{noun} {'/'.join(absent[0])} of the sample is not in the population table",
            column="+".join(columns),
        )
    unused = sorted(set(sizes) - set(sample_levels))
    if unused and not partial:
        hint = "; use partial to ignore such levels" if partial is not None else ""
        raise SurveyInputError(
            f"{noun} {'/'.join(unused[0])} of the population has no sample rows{hint}",
            column="+".join(columns),
        )


def _add_size(
    sizes: dict[tuple[str, ...], float], level: tuple[str, ...], size: Any, row: int
) -> None:
    """Record a level's population size (persons), refusing what no population can be:
    a size that is not a number, a negative one, a level given twice (``row``: its
    number in the population table, from 1)."""
    try:
        value = float(size)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise SurveyInputError(
            f"population size of {'/'.join(level)} is not a number of persons (0 or more): "
            f"{size!r}",
            column=FREQ_COLUMN,
            rows=[row],
        )
    if level in sizes:
        raise SurveyInputError(
            f"level {'/'.join(level)} is given twice in the population table",
            column=FREQ_COLUMN,
            rows=[row],
        )
    sizes[level] = value


def poststratify(
    design: Design,
    strata: str | Sequence[str],
    population: pa.Table | Mapping[Any, float],
    *,
    partial: bool,
    kind: StepKind = "poststratify",
) -> Design:
    """See `Design.poststratify`.

    The post-strata are sized on the weights of ``design`` (after any earlier step).
    """
    columns = parse_terms(strata)
    if not columns:
        raise SurveyInputError("give the post-stratum column(s)")
    for column in columns:
        design.require_column(column)
    sums = cell_sums(design, columns, missing="missing post-stratum values")
    labels = sums.labels
    sample_total, sample_rows = sums.totals()
    sizes = _population(population, columns)
    sample_keys = [tuple(_label(v) for v in label) for label in labels]
    match_levels(sizes, sample_keys, columns, noun="post-stratum", partial=partial)
    population_size = np.array([sizes[k] for k in sample_keys])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = population_size / sample_total
    if not np.all(np.isfinite(factor)):
        bad = sample_keys[int(np.flatnonzero(~np.isfinite(factor))[0])]
        raise SurveyInputError(
            f"post-stratum {'/'.join(bad)} has zero sample weight", column="+".join(columns)
        )
    relation = sums.register(design, factor, prefix="poststrata")
    unit, stratum, pair_weight = sums.by_pair(sums.weight * factor[sums.cell])
    pair_square = sums.by_pair(sums.square * factor[sums.cell] ** 2)[2]
    strata_info = PostStrata(
        columns=tuple(columns),
        relation=relation,
        labels=labels,
        factor=factor,
        rows=sample_rows,
        population=population_size,
        unit=unit,
        stratum=stratum,
        weight=pair_weight,
        pair_square=pair_square,
    )
    # the relation lives as long as the steps (of any design) that join on it
    release_with(strata_info, design.engine, [relation])
    return with_step(design, WeightingStep(kind, groups=strata_info))


def residualize(
    z: FloatArray, cells: UnitCells, means: FloatArray, strata: PostStrata, n_units: int
) -> tuple[FloatArray, UnitCells]:
    """Remove post-stratum means from linearised unit totals.

    Parameters
    ----------
    z
        Sparse values over ``cells``.
    means
        Shape (P, k): for each post-stratum and cell, the weighted mean of ``z / w``.
    strata
        The post-strata (for the per-unit post-stratified weight sums).
    n_units
        Number of finest units.

    Returns
    -------
    values, cells
        Dense values over every unit × cell (a unit without rows in a domain still
        carries the centring term).
    """
    dense = cells.dense(z, n_units)
    np.add.at(dense, strata.unit, -strata.weight[:, None] * means[strata.stratum])
    return UnitCells.flatten(dense)
