"""Fixtures of the formats tests: the cubes of `formats_support`."""

from __future__ import annotations

import pytest
from formats_support import multi_measure_cube, population_cube, rate_cube

from amargah.formats import Cube


@pytest.fixture
def cube() -> Cube:
    return rate_cube()


@pytest.fixture
def multi_cube() -> Cube:
    return multi_measure_cube()


@pytest.fixture
def pop_cube() -> Cube:
    return population_cube()
