"""PC-Axis files read back with pyaxis, in both languages of one multilingual file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from formats_support import MISSING, SUPPRESSED
from pyaxis import pyaxis

from amargah.formats import Cube, Lang, Text
from amargah.formats.px import write_px


def _parse(tmp_path: Path, document: bytes, lang: Lang) -> dict:
    path = tmp_path / "table.px"
    path.write_bytes(document)
    # pyaxis takes the encoding from the caller, not from CODEPAGE; its other defaults
    # are what a user gets ('".."' becomes NaN).
    return pyaxis.parse(str(path), encoding="utf-8", lang=lang)


def _cells(cube: Cube, parsed: dict) -> dict[tuple[str, ...], Any]:
    """DATA rows keyed by cube key: labels mapped back to codes through CODES and VALUES."""
    meta = parsed["METADATA"]
    data = parsed["DATA"]
    variables = list(data.columns[:-1])
    code_of = {
        v: dict(zip(meta[f"VALUES({v})"], meta[f"CODES({v})"], strict=True)) for v in variables
    }
    dim_of = {v: meta[f"VARIABLE-CODE({v})"][0] for v in variables}
    out = {}
    for row in data.itertuples(index=False):
        codes = {dim_of[v]: code_of[v][label] for v, label in zip(variables, row[:-1], strict=True)}
        out[tuple(codes[d] for d in cube.dimension_ids)] = row[-1]
    return out


def _flags(cube: Cube, parsed: dict, lang: Lang) -> dict[tuple[str, ...], str]:
    """DATANOTECELL symbols keyed by cube key."""
    meta = parsed["METADATA"]
    label_to_key = {}
    for key in cube.cell_keys():
        labels = [
            cube.dimension(d).code(c).label.get(lang)
            for d, c in zip(cube.dimension_ids, key, strict=True)
        ]
        label_to_key[",".join(labels)] = key
    return {
        label_to_key[k[len("DATANOTECELL(") : -1]]: v[0]
        for k, v in meta.items()
        if k.startswith("DATANOTECELL(")
    }


def _check(cube: Cube, cells: dict) -> None:
    assert set(cells) == set(cube.cell_keys())
    for key, obs in cube.cells():
        if obs is None or obs.value is None:
            # Missing and suppressed alike: NaN, so the column stays numeric.
            assert isinstance(cells[key], float) and math.isnan(cells[key]), key
        else:
            assert cells[key] == cube.format_value(key, obs.value), key


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_pyaxis_reads_every_cell_and_flag(cube: Cube, tmp_path: Path, lang: Lang) -> None:
    parsed = _parse(tmp_path, write_px(cube, lang="fa"), lang)
    cells = _cells(cube, parsed)
    _check(cube, cells)
    assert math.isnan(cells[MISSING]) and math.isnan(cells[SUPPRESSED])
    expected_flags = {k: o.status.value for k, o in cube.observations.items() if o.status}
    assert expected_flags[SUPPRESSED] == "C"  # what tells suppressed from missing
    assert _flags(cube, parsed, lang) == expected_flags
    meta = parsed["METADATA"]
    assert meta["TITLE"] == [cube.title.get(lang)]
    assert meta["LANGUAGE"] == [lang]


def test_english_default_and_monolingual(cube: Cube, tmp_path: Path) -> None:
    parsed = _parse(tmp_path, write_px(cube, lang="en", multilingual=False), "en")
    assert "LANGUAGES" not in parsed["METADATA"]
    assert list(parsed["DATA"].columns) == ["County", "Sex", "Year", "DATA"]
    _check(cube, _cells(cube, parsed))


def test_several_measures_and_no_time(multi_cube: Cube, pop_cube: Cube, tmp_path: Path) -> None:
    for c in (multi_cube, pop_cube):
        parsed = _parse(tmp_path, write_px(c), "fa")
        _check(c, _cells(c, parsed))
    parsed = _parse(tmp_path, write_px(multi_cube), "en")
    assert parsed["METADATA"]["UNITS(Unemployment rate)"] == ["percent"]
    # Counts are written without decimals.
    assert _cells(pop_cube, _parse(tmp_path, write_px(pop_cube), "en"))[("S20", "T")] == "431300"


def test_text_that_would_break_readers_is_refused(cube: Cube) -> None:
    from dataclasses import replace

    bad = replace(cube, title=Text("جدول DATA=1", "table DATA=1"))
    with pytest.raises(ValueError, match="DATA="):
        write_px(bad)


def test_sample_shape(cube: Cube) -> None:
    """The keywords of our verified sample (samples/dissemination/table.px) are all present."""
    text = write_px(cube, lang="en", multilingual=False).decode()
    for keyword in (
        'CHARSET="ANSI";',
        'AXIS-VERSION="2013";',
        'CODEPAGE="utf-8";',
        "MATRIX=",
        "SUBJECT-CODE=",
        "SUBJECT-AREA=",
        "CONTENTS=",
        "UNITS=",
        "DECIMALS=",
        "TITLE=",
        "STUB=",
        "HEADING=",
        "TIMEVAL(",
        "VARIABLE-CODE(",
    ):
        assert keyword in text
    assert text.count("DATA=") == 1 and text.rstrip().endswith(";")


def test_equal_labels_are_refused(cube: Cube) -> None:
    from dataclasses import replace

    from amargah.formats import Code, Text

    sex = cube.dimension("SEX")
    twin = replace(
        sex, codes=(*sex.codes[:2], Code("F", Text("زن", "Male")))
    )  # en label collides with M
    bad = replace(cube, dimensions=(cube.dimensions[0], twin, cube.dimensions[2]))
    with pytest.raises(ValueError, match=r"codes 'M' and 'F' of dimension 'SEX'.*'Male'"):
        write_px(bad)
