"""Allocation of a total sample size to strata: proportional, Neyman and optimal.

The continuous allocation is ``n_h = clip(λ · a_h, lower_h, N_h)`` with ``λ`` chosen so
that the allocations sum to ``n`` (``a_h = N_h`` proportional, ``N_h S_h`` Neyman,
``N_h S_h / √c_h`` optimal); the bounds are the per-stratum minimum and the stratum
size. Capping a stratum at ``N_h`` and sharing its excess among the others in
proportion to ``a_h`` (the usual remedy when Neyman's ``n_h`` exceeds ``N_h``, Cochran
1977, ch. 5) is exactly this clip. The result is rounded to integers by the
largest-remainder method, which keeps the sum at ``n`` and every stratum within its
bounds.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal, TypeVar, overload

import numpy as np
import numpy.typing as npt

from amargah.stats.sampling._frame import describe_rows

__all__ = ["AllocationMethod", "allocate", "allocate_continuous"]

AllocationMethod = Literal["proportional", "neyman", "optimal"]
_METHODS = ("proportional", "neyman", "optimal")

Values = Mapping[Any, float] | Sequence[float] | npt.NDArray[np.number]
Label = TypeVar("Label", bound=Hashable)


@overload
def allocate(
    stratum_sizes: Mapping[Label, int],
    n: int,
    *,
    method: AllocationMethod = ...,
    sd: Values | None = ...,
    cost: Values | None = ...,
    minimum: int = ...,
) -> dict[Label, int]: ...


@overload
def allocate(
    stratum_sizes: Sequence[int] | npt.NDArray[np.integer],
    n: int,
    *,
    method: AllocationMethod = ...,
    sd: Values | None = ...,
    cost: Values | None = ...,
    minimum: int = ...,
) -> npt.NDArray[np.int64]: ...


def allocate(
    stratum_sizes: Mapping[Label, int] | Sequence[int] | npt.NDArray[np.integer],
    n: int,
    *,
    method: AllocationMethod = "proportional",
    sd: Values | None = None,
    cost: Values | None = None,
    minimum: int = 1,
) -> dict[Label, int] | npt.NDArray[np.int64]:
    """Allocate a total sample of ``n`` units to strata, as integers summing to ``n``.

    Parameters
    ----------
    stratum_sizes
        Number of units ``N_h`` in each stratum: a mapping stratum → size, or a
        sequence (then ``sd`` and ``cost`` are sequences in the same order).
    n
        Total sample size, in units.
    method
        ``"proportional"`` (n_h ∝ N_h), ``"neyman"`` (n_h ∝ N_h S_h) or ``"optimal"``
        (n_h ∝ N_h S_h / √c_h, the allocation minimising the variance for a fixed
        ``n`` when a unit costs c_h in stratum h).
    sd
        Standard deviation S_h of the study variable in each stratum (its units);
        required by ``"neyman"`` and ``"optimal"``.
    cost
        Cost c_h of interviewing one unit in each stratum (any currency, > 0);
        required by ``"optimal"``.
    minimum
        Smallest sample in any stratum (2 lets every stratum contribute to a variance
        estimate); a stratum with fewer units than this is taken whole.

    Returns
    -------
    dict or numpy.ndarray
        The integer allocation, keyed (or ordered) like ``stratum_sizes``; it sums to
        ``n`` and satisfies ``min(minimum, N_h) ≤ n_h ≤ N_h``.

    Notes
    -----
    When the strata left free by the bounds all have ``S_h = 0`` the remaining units
    are shared among them in proportion to ``N_h``, since any allocation is then
    equally good for the variance. Ties in the rounding go to the earlier stratum.

    Examples
    --------
    >>> allocate({"urban": 800, "rural": 200}, 50)
    {'urban': 40, 'rural': 10}
    >>> allocate([3000, 4000, 5000, 2000], 190, method="neyman", sd=[48, 79, 76, 16]).tolist()
    [31, 69, 83, 7]
    """
    labels, sizes = _as_vector(stratum_sizes, name="stratum_sizes")
    continuous = _continuous(labels, sizes, n, method=method, sd=sd, cost=cost, minimum=minimum)
    lower = np.minimum(minimum, sizes)
    integers = _largest_remainder(continuous, n, lower=lower, upper=sizes)
    if not isinstance(stratum_sizes, Mapping):
        return integers
    return {label: int(value) for label, value in zip(stratum_sizes, integers, strict=True)}


def allocate_continuous(
    stratum_sizes: Mapping[Any, int] | Sequence[int] | npt.NDArray[np.integer],
    n: int,
    *,
    method: AllocationMethod = "proportional",
    sd: Values | None = None,
    cost: Values | None = None,
    minimum: int = 1,
) -> npt.NDArray[np.float64]:
    """The allocation of :func:`allocate` before rounding, as floats in stratum order.

    Useful to compare with published allocations, which are usually given unrounded.

    Examples
    --------
    >>> allocate_continuous([200, 800], 50).tolist()
    [10.0, 40.0]
    """
    labels, sizes = _as_vector(stratum_sizes, name="stratum_sizes")
    return _continuous(labels, sizes, n, method=method, sd=sd, cost=cost, minimum=minimum)


def _continuous(
    labels: list[Hashable] | None,
    sizes: np.ndarray,
    n: int,
    *,
    method: str,
    sd: Values | None,
    cost: Values | None,
    minimum: int,
) -> np.ndarray:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, not {method!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer, not {n!r}")
    if isinstance(minimum, bool) or not isinstance(minimum, int | np.integer) or minimum < 0:
        raise ValueError(f"minimum must be a non-negative integer, not {minimum!r}")
    lower = np.minimum(minimum, sizes).astype(np.float64)
    upper = sizes.astype(np.float64)
    if n > upper.sum():
        raise ValueError(f"n={n} is larger than the {int(upper.sum())} units in all strata")
    if n < lower.sum():
        raise ValueError(
            f"n={n} cannot give each of the {sizes.size} strata its minimum of {minimum} "
            f"(that needs {int(lower.sum())} units)"
        )
    score = upper.copy()
    if method in ("neyman", "optimal"):
        if sd is None:
            raise ValueError(f"method={method!r} needs sd= (the standard deviation per stratum)")
        score = score * _aligned(sd, labels, sizes.size, name="sd", strictly_positive=False)
    if method == "optimal":
        if cost is None:
            raise ValueError("method='optimal' needs cost= (the cost of one unit per stratum)")
        score = score / np.sqrt(
            _aligned(cost, labels, sizes.size, name="cost", strictly_positive=True)
        )
    return _water_fill(score, lower, upper, float(n), fallback=upper)


def _water_fill(
    score: np.ndarray, lower: np.ndarray, upper: np.ndarray, n: float, *, fallback: np.ndarray
) -> np.ndarray:
    """Solve sum(clip(λ·score, lower, upper)) = n for λ and return the clipped values."""
    active = (score > 0) & (upper > lower)
    reachable = upper[active].sum() + lower[~active].sum()
    if reachable < n:
        # The strata with a positive score are all full; share the rest among the
        # strata whose score is zero, in proportion to their size.
        floor = np.where(active, upper, lower)
        rest = np.where(active, 0.0, fallback)
        return _water_fill(rest, floor, upper, n, fallback=fallback)
    if not active.any():
        return lower.copy()
    breaks = np.unique(
        np.concatenate([lower[active] / score[active], upper[active] / score[active]])
    )
    totals = np.array([np.clip(b * score, lower, upper).sum() for b in breaks])
    k = int(np.searchsorted(totals, n - 1e-9 * max(n, 1.0)))
    if k == 0:
        lam = breaks[0]
    else:
        k = min(k, breaks.size - 1)
        # The total is linear in λ between two consecutive break points.
        lam = breaks[k - 1] + (n - totals[k - 1]) * (breaks[k] - breaks[k - 1]) / (
            totals[k] - totals[k - 1]
        )
    return np.clip(lam * score, lower, upper)


def _largest_remainder(
    values: np.ndarray, n: int, *, lower: np.ndarray, upper: np.ndarray
) -> npt.NDArray[np.int64]:
    """Round to integers summing to n, giving the spare units to the largest fractions."""
    # A tolerance keeps 6.9999999999 (a float sum's rounding) from becoming 6.
    base = np.clip(np.floor(values + 1e-9), lower, upper).astype(np.int64)
    spare = int(n - base.sum())
    fraction = values - base
    if spare > 0:
        room = np.flatnonzero(base < upper)
        chosen = room[np.argsort(-fraction[room], kind="stable")[:spare]]
        base[chosen] += 1
    elif spare < 0:
        room = np.flatnonzero(base > lower)
        chosen = room[np.argsort(fraction[room], kind="stable")[:-spare]]
        base[chosen] -= 1
    return base


def _as_vector(
    values: Mapping[Any, int] | Sequence[int] | npt.NDArray[np.integer], *, name: str
) -> tuple[list[Hashable] | None, np.ndarray]:
    labels: list[Hashable] | None
    if isinstance(values, Mapping):
        labels = list(values.keys())
        raw = np.asarray([values[label] for label in labels])
    else:
        labels = None
        raw = np.asarray(values)
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(f"{name} must list at least one stratum")
    if not np.issubdtype(raw.dtype, np.number) or np.any(raw != np.round(raw)):
        raise ValueError(f"{name} must be whole numbers of units")
    bad = np.flatnonzero(raw < 0)
    if bad.size:
        where = [labels[i] for i in bad] if labels is not None else bad.tolist()
        raise ValueError(f"{name} must not be negative; strata {where} are")
    return labels, raw.astype(np.int64)


def _aligned(
    values: Values,
    labels: list[Hashable] | None,
    count: int,
    *,
    name: str,
    strictly_positive: bool,
) -> np.ndarray:
    if isinstance(values, Mapping):
        if labels is None:
            raise ValueError(f"{name} is a mapping but the stratum sizes are a sequence")
        missing = [label for label in labels if label not in values]
        if missing:
            raise ValueError(f"{name} has no value for strata {missing}")
        array = np.asarray([values[label] for label in labels], dtype=np.float64)
    else:
        array = np.asarray(values, dtype=np.float64)
        if array.shape != (count,):
            raise ValueError(f"{name} has {array.size} values for {count} strata")
    bad = np.flatnonzero(~np.isfinite(array) | ((array <= 0) if strictly_positive else (array < 0)))
    if bad.size:
        rule = "positive" if strictly_positive else "non-negative"
        where = [labels[i] for i in bad] if labels is not None else describe_rows(bad, array[bad])
        raise ValueError(f"{name} must be finite and {rule}; strata {where} are not")
    return array
