"""Releases' cubes in the store: Parquet with the cube's metadata in its schema."""

from __future__ import annotations

import functools

import pyarrow as pa
import pyarrow.parquet as pq

from amargah.core import store
from amargah.formats.cube import Cube, cube_from_arrow

SUFFIX = ".cube.parquet"


def cube_put(cube: Cube) -> str:
    """Store a cube and return its SHA-256."""
    sink = pa.BufferOutputStream()
    pq.write_table(cube.to_arrow(), sink, compression="zstd")
    return store.put(sink.getvalue().to_pybytes(), suffix=SUFFIX)


@functools.lru_cache(maxsize=64)
def cube_get(sha256: str) -> Cube:
    """The cube stored under ``sha256`` (cached: a stored cube never changes)."""
    content = store.get(sha256, suffix=SUFFIX)
    return cube_from_arrow(pq.read_table(pa.BufferReader(content)))
