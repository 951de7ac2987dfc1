"""The examples in the docstrings of the formats package run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "amargah.formats.cube",
    "amargah.formats.examples",
    "amargah.formats.jsonstat",
    "amargah.formats.px",
    "amargah.formats.query",
    "amargah.formats.sdmx",
    "amargah.formats.tabular",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
