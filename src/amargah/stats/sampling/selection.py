"""One-stage selection from a frame: simple random, systematic, and systematic PPS.

Each function returns the selected rows of the frame, in frame order, with design
columns appended, so that the sample feeds straight into a survey design:

``prob``
    the inclusion probability of the unit at this stage (R ``survey``'s ``probs=``);
``weight``
    the design weight ``1 / prob`` (``weights=``);
``fpc``
    the number of units in the frame this stage drew from (``fpc=`` as a population
    size).

Pass ``suffix="1"`` (or ``"2"``) to name the columns of one stage of a multi-stage
design ``prob1``, ``weight1``, ``fpc1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from amargah.stats.sampling._frame import (
    Seed,
    as_rng,
    assemble,
    check_frame,
    check_sample_size,
    describe_rows,
    positive_sizes,
    sort_order,
)

__all__ = ["inclusion_probabilities", "pps_systematic", "srs", "systematic"]


def srs(frame: pa.Table, n: int, *, seed: Seed, suffix: str = "") -> pa.Table:
    """Draw a simple random sample without replacement of ``n`` rows.

    Parameters
    ----------
    frame
        The sampling frame, one row per unit.
    n
        Number of units to select (0 ≤ n ≤ number of rows).
    seed
        Integer seed or NumPy ``Generator``; the same seed gives the same sample.
    suffix
        Appended to the design column names (``prob`` → ``prob1``).

    Returns
    -------
    pyarrow.Table
        The ``n`` selected rows in frame order, plus ``prob`` (= n/N), ``weight``
        (= N/n) and ``fpc`` (= N, the number of rows in the frame).

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = pa.table({"id": list(range(10))})
    >>> sample = srs(frame, 3, seed=1)
    >>> sample.num_rows, sample["weight"][0].as_py()
    (3, 3.3333333333333335)
    """
    frame = check_frame(frame)
    population = frame.num_rows
    n = check_sample_size(n, population)
    rows = srs_positions(population, n, as_rng(seed))
    return _equal_probability_sample(frame, rows, n, suffix=suffix)


def systematic(
    frame: pa.Table,
    n: int,
    *,
    seed: Seed,
    sort_by: str | Sequence[str] | None = None,
    suffix: str = "",
) -> pa.Table:
    """Draw a systematic sample of exactly ``n`` rows with a fractional interval.

    The frame (sorted by ``sort_by`` when given, which stratifies implicitly) is read
    with the interval ``k = N / n`` from a random start in ``[0, k)``; a fractional
    interval gives every row the same probability ``n / N`` and exactly ``n`` rows.

    Parameters
    ----------
    frame
        The sampling frame, one row per unit.
    n
        Number of units to select (0 ≤ n ≤ number of rows).
    seed
        Integer seed or NumPy ``Generator``.
    sort_by
        Column name(s) to order the frame by before reading it; ``None`` keeps the
        frame order.
    suffix
        Appended to the design column names.

    Returns
    -------
    pyarrow.Table
        The selected rows in frame order, plus ``prob``, ``weight`` and ``fpc``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = pa.table({"id": list(range(100))})
    >>> systematic(frame, 4, seed=7)["id"].to_pylist()
    [15, 40, 65, 90]
    """
    frame = check_frame(frame)
    population = frame.num_rows
    n = check_sample_size(n, population)
    order = sort_order(frame, sort_by)
    if order is None:
        order = np.arange(population, dtype=np.int64)
    rows = systematic_positions(order, n, as_rng(seed))
    return _equal_probability_sample(frame, rows, n, suffix=suffix)


def inclusion_probabilities(size: npt.ArrayLike, n: int) -> np.ndarray:
    """First-order inclusion probabilities proportional to size, with certainty units.

    A unit whose size is at least the total size divided by ``n`` would get a
    probability of one or more; it is taken with certainty (probability 1) and the
    rest of the sample is spread over the other units, repeating until no probability
    exceeds one (as R ``sampling::inclusionprobabilities`` does).

    Parameters
    ----------
    size
        Positive size measures, one per unit (any unit: households, persons, m²).
    n
        Sample size; the probabilities sum to ``n``.

    Returns
    -------
    numpy.ndarray
        Probabilities in (0, 1], summing to ``n``.

    Examples
    --------
    >>> inclusion_probabilities([10, 1, 1, 1, 1], 2).tolist()
    [1.0, 0.25, 0.25, 0.25, 0.25]
    """
    sizes = np.asarray(size, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(sizes) | (sizes <= 0))
    if bad.size:
        raise ValueError(
            f"sizes must be positive and finite; rows {describe_rows(bad, sizes[bad])}"
        )
    n = check_sample_size(n, sizes.size, what="the list of sizes")
    probs = np.zeros_like(sizes)
    certain = np.zeros(sizes.size, dtype=bool)
    while True:
        rest = ~certain
        remaining = n - int(certain.sum())
        total = sizes[rest].sum()
        probs[rest] = remaining * sizes[rest] / total if total > 0 else 0.0
        newly_certain = rest & (probs >= 1.0)
        if not newly_certain.any():
            break
        certain |= newly_certain
        probs[certain] = 1.0
    return probs


def pps_systematic(
    frame: pa.Table,
    n: int,
    *,
    size: str,
    seed: Seed,
    sort_by: str | Sequence[str] | None = None,
    suffix: str = "",
) -> pa.Table:
    """Draw ``n`` units with probability proportional to size, systematically.

    Units large enough to have a probability of one are taken with certainty (see
    :func:`inclusion_probabilities`); the others are laid end to end, each occupying a
    length equal to its probability, in frame order (or ``sort_by`` order, which
    stratifies implicitly), and selected by the points ``u, u + 1, u + 2, …`` from one
    random start ``u`` in ``[0, 1)`` (Madow's method).

    Parameters
    ----------
    frame
        The sampling frame, one row per unit.
    n
        Number of units to select (0 ≤ n ≤ number of rows).
    size
        Column holding the size measure (positive, for example households per EA).
    seed
        Integer seed or NumPy ``Generator``.
    sort_by
        Column name(s) to order the frame by before laying the units out.
    suffix
        Appended to the design column names.

    Returns
    -------
    pyarrow.Table
        The selected rows in frame order, plus ``prob`` (the inclusion probability,
        1 for certainty units), ``weight`` (1/prob) and ``fpc`` (number of rows in the
        frame; a PPS design's variance is usually approximated without it).

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = pa.table({"ea": [1, 2, 3, 4, 5], "households": [900, 100, 100, 100, 100]})
    >>> sample = pps_systematic(frame, 2, size="households", seed=3)
    >>> sample["ea"].to_pylist(), sample["prob"].to_pylist()
    ([1, 2], [1.0, 0.25])
    """
    frame = check_frame(frame)
    sizes = positive_sizes(frame, size)
    n = check_sample_size(n, frame.num_rows)
    probs = inclusion_probabilities(sizes, n)
    order = sort_order(frame, sort_by)
    if order is None:
        order = np.arange(frame.num_rows, dtype=np.int64)
    rows = pps_positions(order, probs[order], as_rng(seed))
    return assemble(
        frame,
        rows,
        {
            "prob": probs[rows],
            "weight": 1.0 / probs[rows],
            "fpc": np.full(rows.size, frame.num_rows, dtype=np.int64),
        },
        suffix=suffix,
    )


def srs_positions(population: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions (0-based) of a simple random sample of n out of population, sorted."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(rng.choice(population, size=n, replace=False)).astype(np.int64)


def systematic_positions(order: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Rows chosen by an equal-probability systematic read of ``order`` (row positions)."""
    probs = np.full(order.size, n / order.size if order.size else 0.0)
    return np.sort(order[_systematic_hits(probs, rng)])


def pps_positions(order: np.ndarray, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows chosen by systematic PPS over ``order`` given the rows' probabilities in it.

    Certainty units (probability 1) are taken first; the others are laid end to end.
    """
    certain = probs >= 1.0
    drawn = np.flatnonzero(~certain)[_systematic_hits(probs[~certain], rng)]
    return np.sort(order[np.concatenate([np.flatnonzero(certain), drawn])])


def _systematic_hits(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions hit by the points u, u+1, … laid over consecutive lengths ``probs``.

    Unit i occupies ``[C(i-1), C(i))`` where C is the cumulative sum; with every
    probability ≤ 1 no unit is hit twice, and unit i is hit with probability probs[i].
    The number of points is the (integer) sum of the probabilities.
    """
    if probs.size == 0:
        return np.empty(0, dtype=np.int64)
    cumulative = np.cumsum(probs)
    count = round(float(cumulative[-1]))
    if count == 0:
        return np.empty(0, dtype=np.int64)
    points = rng.random() + np.arange(count)
    hits = np.searchsorted(cumulative, points, side="right")
    # Rounding can leave the last cumulative sum a hair below the last point.
    return np.minimum(hits, probs.size - 1).astype(np.int64)


def _equal_probability_sample(
    frame: pa.Table, rows: np.ndarray, n: int, *, suffix: str
) -> pa.Table:
    population = frame.num_rows
    prob = n / population if population else 0.0
    return assemble(
        frame,
        rows,
        {
            "prob": np.full(rows.size, prob),
            "weight": np.full(rows.size, 1.0 / prob if prob else np.inf),
            "fpc": np.full(rows.size, population, dtype=np.int64),
        },
        suffix=suffix,
    )
