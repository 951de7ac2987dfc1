"""The examples in the docstrings of the sampling and quality modules and the
demo world run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "amargah.stats.sampling.allocation",
    "amargah.stats.sampling.selection",
    "amargah.stats.sampling.stratification",
    "amargah.demo.world",
    "amargah.stats.quality",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
