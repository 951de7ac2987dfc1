"""Helpers for tables with margins in the disclosure tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np

TOTAL = "_T"


def flat_hierarchy(codes: Sequence[str]) -> dict[str, str | None]:
    """``{total: None, code: total, ...}``."""
    return {TOTAL: None, **dict.fromkeys(codes, TOTAL)}


def with_margins(inner: Mapping[tuple[str, ...], float], dims: Sequence[Sequence[str]]) -> dict:
    """Every cell and every margin of an inner table (the totals coded ``_T``)."""
    out: dict[tuple[str, ...], float] = {}
    for key in product(*[[*codes, TOTAL] for codes in dims]):
        value = 0.0
        for inner_key in product(
            *[codes if k == TOTAL else [k] for k, codes in zip(key, dims, strict=True)]
        ):
            value += inner.get(inner_key, 0.0)
        out[key] = value
    return out


def lp_interval(
    values: Mapping[tuple[str, ...], float],
    dims: Sequence[Sequence[str]],
    suppressed: set[tuple[str, ...]],
    cell: tuple[str, ...],
) -> tuple[float, float]:
    """An attacker's interval for ``cell``, written independently of the library.

    Every cell is a variable; published cells are fixed by their bounds, withheld ones
    are free and non-negative; every total equals the sum of its row of components.
    """
    from scipy.optimize import linprog

    keys = list(values)
    pos = {k: i for i, k in enumerate(keys)}
    rows = []
    for key in keys:
        for d, code in enumerate(key):
            if code != TOTAL:
                continue
            row = np.zeros(len(keys))
            row[pos[key]] = -1.0
            for c in dims[d]:
                row[pos[(*key[:d], c, *key[d + 1 :])]] += 1.0
            rows.append(row)
    bounds = [(0, None) if k in suppressed else (values[k], values[k]) for k in keys]
    c = np.zeros(len(keys))
    c[pos[cell]] = 1.0
    a = np.array(rows)
    b = np.zeros(len(rows))
    low = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    high = linprog(-c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
    assert low.status == 0
    return float(low.fun), (float("inf") if high.status == 3 else -float(high.fun))
