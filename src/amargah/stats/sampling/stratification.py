"""Stratified selection: allocate a sample to strata and select within each."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from amargah.stats.sampling._frame import (
    Seed,
    as_rng,
    assemble,
    check_frame,
    positive_sizes,
    require_column,
    sort_order,
)
from amargah.stats.sampling.allocation import AllocationMethod, Values, allocate
from amargah.stats.sampling.selection import (
    inclusion_probabilities,
    pps_positions,
    srs_positions,
    systematic_positions,
)

__all__ = ["SelectionMethod", "stratified"]

SelectionMethod = Literal["srs", "systematic", "pps"]
_SELECTION_METHODS = ("srs", "systematic", "pps")


def stratified(
    frame: pa.Table,
    n: int | Mapping[Any, int],
    *,
    strata: str,
    seed: Seed,
    method: SelectionMethod = "srs",
    allocation: AllocationMethod = "proportional",
    sd: Values | None = None,
    cost: Values | None = None,
    minimum: int = 1,
    size: str | None = None,
    sort_by: str | Sequence[str] | None = None,
    suffix: str = "",
) -> pa.Table:
    """Draw a stratified sample: independent selections within each stratum.

    Parameters
    ----------
    frame
        The sampling frame, one row per unit.
    n
        Either the total sample size, allocated with :func:`allocate` by
        ``allocation``, or a mapping stratum → sample size that gives every stratum its
        own size.
    strata
        Column identifying the stratum of each row (no missing values).
    seed
        Integer seed or NumPy ``Generator``; strata are drawn in sorted order from one
        generator, so the same seed gives the same sample.
    method
        Selection within strata: ``"srs"`` (simple random), ``"systematic"`` (equal
        probability, in ``sort_by`` order) or ``"pps"`` (systematic PPS on ``size``).
    allocation
        ``"proportional"``, ``"neyman"`` or ``"optimal"`` when ``n`` is a total.
    sd, cost
        Standard deviation and unit cost per stratum (mappings keyed by stratum), for
        Neyman and optimal allocation.
    minimum
        Smallest allocation per stratum when ``n`` is a total.
    size
        Size column for ``method="pps"``.
    sort_by
        Column name(s) ordering each stratum for systematic selection.
    suffix
        Appended to the design column names.

    Returns
    -------
    pyarrow.Table
        The selected rows in frame order, plus ``stratum`` (the stratum value; not
        repeated when the strata column is already called ``stratum`` or
        ``stratum{suffix}``), ``prob``,
        ``weight`` and ``fpc`` (the number of frame rows in the row's stratum).

    Examples
    --------
    >>> import pyarrow as pa
    >>> frame = pa.table({"id": list(range(10)), "area": ["u"] * 8 + ["r"] * 2})
    >>> sample = stratified(frame, 5, strata="area", seed=1, minimum=1)
    >>> sorted(sample["fpc"].to_pylist())
    [2, 8, 8, 8, 8]
    """
    frame = check_frame(frame)
    if method not in _SELECTION_METHODS:
        raise ValueError(f"method must be one of {_SELECTION_METHODS}, not {method!r}")
    labels_column = require_column(frame, strata, role="strata")
    encoded = labels_column.combine_chunks().dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    dictionary = encoded.dictionary.to_pylist()
    counts = np.bincount(codes, minlength=len(dictionary))
    # Sorted stratum order makes the draw independent of the frame's row order of strata.
    by_label = sorted(range(len(dictionary)), key=lambda code: dictionary[code])
    stratum_sizes = {dictionary[code]: int(counts[code]) for code in by_label}

    sample_sizes = _sample_sizes(
        n, stratum_sizes, strata=strata, allocation=allocation, sd=sd, cost=cost, minimum=minimum
    )
    sizes = positive_sizes(frame, size) if method == "pps" and size is not None else None
    if method == "pps" and sizes is None:
        raise ValueError("method='pps' needs size= (the column holding the size measure)")
    order = sort_order(frame, sort_by)
    rank = np.empty(frame.num_rows, dtype=np.int64)
    rank[order if order is not None else np.arange(frame.num_rows)] = np.arange(frame.num_rows)

    rng = as_rng(seed)
    grouping = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    chosen: list[np.ndarray] = []
    probs: list[np.ndarray] = []
    for code in by_label:
        members = grouping[starts[code] : starts[code + 1]]
        members = members[np.argsort(rank[members], kind="stable")]
        take = sample_sizes[dictionary[code]]
        if method == "srs":
            picked = members[srs_positions(members.size, take, rng)]
            prob = np.full(picked.size, take / members.size)
        elif method == "systematic":
            picked = systematic_positions(members, take, rng)
            prob = np.full(picked.size, take / members.size)
        else:
            if sizes is None:  # checked above; this narrows the type
                raise ValueError("method='pps' needs size=")
            within = inclusion_probabilities(sizes[members], take)
            picked = pps_positions(members, within, rng)
            prob = np.zeros(frame.num_rows)
            prob[members] = within
            prob = prob[picked]
        chosen.append(picked)
        probs.append(prob)

    rows = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
    prob_all = np.concatenate(probs) if probs else np.empty(0)
    columns: dict[str, np.ndarray | pa.Array] = {}
    if strata not in ("stratum", f"stratum{suffix}"):
        columns["stratum"] = labels_column.combine_chunks().take(pa.array(rows, type=pa.int64()))
    columns["prob"] = prob_all
    columns["weight"] = 1.0 / prob_all
    columns["fpc"] = counts[codes[rows]].astype(np.int64)
    return assemble(frame, rows, columns, suffix=suffix)


def _sample_sizes(
    n: int | Mapping[Any, int],
    stratum_sizes: dict[Hashable, int],
    *,
    strata: str,
    allocation: AllocationMethod,
    sd: Values | None,
    cost: Values | None,
    minimum: int,
) -> dict[Hashable, int]:
    if not isinstance(n, Mapping):
        return allocate(stratum_sizes, n, method=allocation, sd=sd, cost=cost, minimum=minimum)
    unknown = [label for label in n if label not in stratum_sizes]
    if unknown:
        raise ValueError(
            f"sample sizes are given for strata {unknown} that are not in column {strata!r}"
        )
    missing = [label for label in stratum_sizes if label not in n]
    if missing:
        raise ValueError(f"no sample size is given for strata {missing} of column {strata!r}")
    too_large = {
        label: (n[label], size) for label, size in stratum_sizes.items() if n[label] > size
    }
    if too_large:
        detail = ", ".join(f"{label!r}: n={k} > N={N}" for label, (k, N) in too_large.items())
        raise ValueError(f"sample sizes exceed the stratum sizes in column {strata!r}: {detail}")
    negative = [label for label, k in n.items() if k < 0]
    if negative:
        raise ValueError(f"sample sizes must not be negative; strata {negative} are")
    return {label: int(n[label]) for label in stratum_sizes}
