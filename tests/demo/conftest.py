"""Demo worlds built once per test session: the full province and a small one."""

from __future__ import annotations

from pathlib import Path

import pytest

from amargah.demo import WorldManifest, build_world


@pytest.fixture(scope="session")
def full_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WorldManifest]:
    """The full demo world (scale 1.0, seed 1405), as ``make demo`` builds it."""
    out = tmp_path_factory.mktemp("world-full")
    return out, build_world(out)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WorldManifest]:
    """A quick world at 2% scale."""
    out = tmp_path_factory.mktemp("world-small")
    return out, build_world(out, seed=7, scale=0.02)
