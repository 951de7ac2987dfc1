"""Primary suppression rules: which cells of a table are sensitive on their own.

A cell is described by its contributors: how many units (persons, enterprises) add
to it and, for magnitude tables (turnover, income), their individual contributions.
The three rules are those of tau-Argus and R sdcTable:

* the threshold (minimum frequency) rule: a cell with fewer than ``threshold``
  contributors (but at least one) is sensitive;
* the (n, k) dominance rule: a cell whose ``n`` largest contributions add to more
  than ``k`` per cent of its total is sensitive;
* the p% rule: a cell is sensitive when the second-largest contributor, subtracting
  its own value from the published total, could estimate the largest contribution
  to within ``p`` per cent, i.e. when ``total - x1 - x2 < p/100 * x1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Reason(StrEnum):
    """Why a cell is withheld."""

    THRESHOLD = "threshold"
    DOMINANCE = "dominance"
    P_PERCENT = "p_percent"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class CellContributions:
    """What a rule needs to know of one cell.

    Attributes
    ----------
    count
        Number of contributing units (unweighted).
    total
        The cell's value: the sum of the contributions (for a frequency table, the count).
    top
        The largest contributions in decreasing order (as many as the rules need: ``n``
        for the dominance rule, two for the p% rule); empty for frequency tables.
    """

    count: int
    total: float
    top: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class PrimaryRules:
    """The primary rules to apply; a rule left at ``None`` is not applied.

    Attributes
    ----------
    threshold
        Minimum number of contributors for a non-empty cell (e.g. 3 or 5).
    dominance_n, dominance_k
        The (n, k) rule: sensitive when the ``n`` largest contributions exceed ``k``
        per cent of the total (k in 0..100).
    p_percent
        The p% rule's p, in per cent.
    """

    threshold: int | None = 3
    dominance_n: int | None = None
    dominance_k: float | None = None
    p_percent: float | None = None

    def __post_init__(self) -> None:
        if self.threshold is not None and self.threshold < 1:
            raise ValueError("threshold must be at least 1 contributor")
        if (self.dominance_n is None) != (self.dominance_k is None):
            raise ValueError("give both dominance_n and dominance_k, or neither")
        if self.dominance_n is not None and self.dominance_n < 1:
            raise ValueError("dominance_n must be at least 1")
        if self.dominance_k is not None and not 0 < self.dominance_k <= 100:
            raise ValueError("dominance_k is a percentage in (0, 100]")
        if self.p_percent is not None and not 0 < self.p_percent <= 100:
            raise ValueError("p_percent is a percentage in (0, 100]")

    @property
    def top_needed(self) -> int:
        """How many largest contributions per cell the rules look at."""
        needed = 0
        if self.dominance_n is not None:
            needed = self.dominance_n
        if self.p_percent is not None:
            needed = max(needed, 2)
        return needed


def threshold_rule(count: int, *, threshold: int) -> bool:
    """Whether a cell with ``count`` contributors is sensitive (``0 < count < threshold``).

    >>> threshold_rule(2, threshold=3), threshold_rule(0, threshold=3)
    (True, False)
    """
    return 0 < count < threshold


def dominance_rule(total: float, top: Sequence[float], *, n: int, k: float) -> bool:
    """Whether the ``n`` largest contributions exceed ``k`` per cent of ``total``.

    Contributions are magnitudes (non-negative, in the table's unit).

    >>> dominance_rule(100.0, [85.0, 10.0], n=1, k=80)
    True
    """
    if total <= 0:
        return False
    return float(sum(sorted(top, reverse=True)[:n])) > k / 100.0 * total


def p_percent_rule(total: float, top: Sequence[float], *, p: float) -> bool:
    """Whether the second contributor could estimate the first within ``p`` per cent.

    The second-largest contributor knows ``x2`` and the published ``total``; its
    estimate of ``x1`` is ``total - x2``, wrong by the rest ``total - x1 - x2``.

    >>> p_percent_rule(117.0, [100.0, 10.0], p=10)  # rest 7 < 10% of 100
    True
    """
    ordered = sorted(top, reverse=True)
    if not ordered or total <= 0:
        return False
    x1 = ordered[0]
    x2 = ordered[1] if len(ordered) > 1 else 0.0
    return total - x1 - x2 < p / 100.0 * x1


def sensitive(cell: CellContributions, rules: PrimaryRules) -> Reason | None:
    """The first rule that makes ``cell`` sensitive, or ``None`` when it is safe."""
    if cell.count == 0:
        return None
    if rules.threshold is not None and threshold_rule(cell.count, threshold=rules.threshold):
        return Reason.THRESHOLD
    if (
        rules.dominance_n is not None
        and rules.dominance_k is not None
        and dominance_rule(cell.total, cell.top, n=rules.dominance_n, k=rules.dominance_k)
    ):
        return Reason.DOMINANCE
    if rules.p_percent is not None and p_percent_rule(cell.total, cell.top, p=rules.p_percent):
        return Reason.P_PERCENT
    return None


def contributions(
    groups: np.ndarray, values: np.ndarray, *, top: int
) -> dict[int, CellContributions]:
    """Count, total and ``top`` largest contributions of each group of units.

    Parameters
    ----------
    groups
        Integer cell index of each unit.
    values
        Each unit's contribution (same length), in the table's unit.
    top
        How many largest contributions to keep per cell.
    """
    groups = np.asarray(groups, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    order = np.lexsort((-values, groups))
    g, v = groups[order], values[order]
    result: dict[int, CellContributions] = {}
    if g.size == 0:
        return result
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], g.size]
    sums = np.add.reduceat(v, starts)
    for s, e, total in zip(starts, ends, sums, strict=True):
        result[int(g[s])] = CellContributions(
            count=int(e - s),
            total=float(total),
            top=tuple(float(x) for x in v[s : min(e, s + top)]),
        )
    return result
