"""Checks on sampling frames and the assembly of a selected sample.

Every selection function validates its frame here, so that bad input gets the same
kind of message everywhere: the column, the rule broken, and the first offending rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Seed = int | np.random.Generator

#: How many offending rows an error message lists before it says "…".
_SHOWN_ROWS = 5


def as_rng(seed: Seed) -> np.random.Generator:
    """Return a NumPy generator for an integer seed, or the generator itself."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer or a numpy Generator, not {seed!r}")
    return np.random.default_rng(int(seed))


def check_frame(frame: object) -> pa.Table:
    """Return the frame as a pyarrow Table, or raise TypeError."""
    if not isinstance(frame, pa.Table):
        raise TypeError(f"the frame must be a pyarrow Table, not {type(frame).__name__}")
    return frame


def check_sample_size(n: object, population: int, *, what: str = "the frame") -> int:
    """Return n as an int after checking 0 <= n <= population."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer, not {n!r}")
    if n < 0:
        raise ValueError(f"n must not be negative, got n={n}")
    if n > population:
        raise ValueError(
            f"n={n} is larger than {what}, which has {population} units; "
            "sampling without replacement cannot take more units than there are"
        )
    return int(n)


def describe_rows(rows: np.ndarray, values: np.ndarray | None = None) -> str:
    """Name the first offending rows (0-based positions), with their values if given."""
    shown = rows[:_SHOWN_ROWS]
    if values is None:
        parts = [str(int(r)) for r in shown]
    else:
        # .item() turns NumPy scalars into Python ones, which print without their type.
        parts = [f"{int(r)} ({values[k].item()!r})" for k, r in enumerate(shown)]
    more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
    return ", ".join(parts) + more


def require_column(frame: pa.Table, column: str, *, role: str) -> pa.ChunkedArray:
    """Return a frame column, or raise a ValueError naming it and what it was for."""
    if column not in frame.column_names:
        raise ValueError(
            f"the frame has no {role} column {column!r}; its columns are {frame.column_names}"
        )
    values = frame.column(column)
    if values.null_count:
        rows = np.flatnonzero(pc.is_null(values).to_numpy(zero_copy_only=False))
        raise ValueError(
            f"{role} column {column!r} has {values.null_count} missing values, "
            f"at rows {describe_rows(rows)}"
        )
    return values


def positive_sizes(frame: pa.Table, column: str) -> np.ndarray:
    """Return a size measure as float64 after checking it is finite and > 0."""
    values = require_column(frame, column, role="size")
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise ValueError(f"size column {column!r} must be numeric, not {values.type}")
    raw = values.to_numpy()
    sizes = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(sizes) | (sizes <= 0))
    if bad.size:
        raise ValueError(
            f"size column {column!r} must be positive and finite; "
            f"{bad.size} rows are not: rows {describe_rows(bad, raw[bad])}"
        )
    return sizes


def sort_order(frame: pa.Table, sort_by: str | Sequence[str] | None) -> np.ndarray | None:
    """Row positions that put the frame in sort_by order (stable), or None for frame order."""
    if sort_by is None:
        return None
    keys = [sort_by] if isinstance(sort_by, str) else list(sort_by)
    for key in keys:
        require_column(frame, key, role="sort")
    order = pc.sort_indices(frame, sort_keys=[(key, "ascending") for key in keys])
    return np.asarray(order.to_numpy(), dtype=np.int64)


def assemble(
    frame: pa.Table,
    rows: np.ndarray,
    columns: Mapping[str, np.ndarray | pa.Array],
    *,
    suffix: str,
) -> pa.Table:
    """Take the selected rows in frame order and append the design columns.

    Parameters
    ----------
    frame
        The sampling frame.
    rows
        0-based positions of the selected rows, in any order.
    columns
        Design columns (``prob``, ``weight``, …) aligned with ``rows``.
    suffix
        Appended to each design column name, so that the columns of several stages can
        live side by side (``prob1``, ``prob2``).
    """
    order = np.argsort(rows, kind="stable")
    out = frame.take(pa.array(rows[order], type=pa.int64()))
    for name, values in columns.items():
        column = f"{name}{suffix}"
        if column in out.column_names:
            raise ValueError(
                f"the frame already has a column {column!r}; pass suffix= (--suffix) to "
                "give this stage's design columns other names"
            )
        array = values if isinstance(values, pa.Array) else pa.array(np.asarray(values))
        out = out.append_column(column, array.take(pa.array(order)))
    return out
