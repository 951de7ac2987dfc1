"""Integer coding of key columns: values to dense codes, and combinations of codes.

Grouping in numpy is by integer codes. Combinations of several code arrays are numbered
by mixed-radix arithmetic and a presence table (linear time) rather than by sorting rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

IntArray = npt.NDArray[np.int64]

# combinations are counted in a presence table when it is at most this many times the
# number of rows; beyond, they are sorted
_TABLE_FACTOR = 8


def sorted_codes(column: pa.ChunkedArray | pa.Array) -> tuple[IntArray, list[Any]]:
    """Codes 0..k-1 of a column's values in sorted order, and the sorted values.

    Missing values get the code of a trailing ``None`` level.
    """
    unique = pc.unique(column)
    ordered = unique.take(pc.array_sort_indices(unique, null_placement="at_end"))
    codes = pc.index_in(column, value_set=ordered, skip_nulls=False)
    array = np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)
    return array, ordered.to_pylist()


def dense_combination(parts: Sequence[IntArray], sizes: Sequence[int]) -> tuple[IntArray, IntArray]:
    """Number the distinct combinations of several code arrays.

    Parameters
    ----------
    parts
        Code arrays of equal length; ``parts[j]`` takes values in ``0..sizes[j]-1``.
    sizes
        Number of codes of each part.

    Returns
    -------
    combination
        For each row, the index of its combination, in lexicographic order of the parts.
    members
        Shape (combinations, parts): the codes of each combination.
    """
    n = len(parts[0])
    if not parts:
        raise ValueError("no parts to combine")
    total = math.prod(max(s, 1) for s in sizes)
    if total >= 2**62:
        stacked = np.stack(parts, axis=1)
        members, inverse = np.unique(stacked, axis=0, return_inverse=True)
        return np.asarray(inverse, dtype=np.int64).reshape(-1), members
    flat = np.ravel_multi_index(tuple(parts), tuple(max(s, 1) for s in sizes))
    if total <= _TABLE_FACTOR * n + 1_000_000:
        present = np.zeros(total, dtype=bool)
        present[flat] = True
        rank = np.cumsum(present) - 1
        combination = rank[flat]
        keys = np.flatnonzero(present)
    else:
        keys, inverse = np.unique(flat, return_inverse=True)
        combination = inverse.reshape(-1)
    members = np.stack(np.unravel_index(keys, tuple(max(s, 1) for s in sizes)), axis=1)
    return np.asarray(combination, dtype=np.int64), np.asarray(members, dtype=np.int64)
