"""One selection, every format, every client: the numbers are the same everywhere.

Issue 5 asks that numbers be identical across formats for the same selection. Each
document is read by its own client and turned into {cube key: value or None}.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sdmx
from formats_support import SUPPRESSED
from openpyxl import load_workbook
from pyaxis import pyaxis
from pyjstat import pyjstat

from amargah.formats import Cube, Dimension
from amargah.formats.jsonstat import write_jsonstat
from amargah.formats.px import write_px
from amargah.formats.sdmx import (
    datastructure_id,
    write_sdmx_csv,
    write_sdmx_generic,
    write_sdmx_json,
    write_sdmx_structure,
    write_sdmx_structure_specific,
)
from amargah.formats.tabular import write_csv, write_xlsx

Cells = dict[tuple[str, ...], float | None]


def _via_pyjstat(cube: Cube) -> Cells:
    # pyjstat 2.4 warns from inside its own Dataset.write(); not ours to fix.
    with pytest.warns(DeprecationWarning):
        df = pyjstat.Dataset.read(write_jsonstat(cube, lang="fa").decode()).write(
            "dataframe", naming="id"
        )
    return {
        tuple(row[:-1]): None if math.isnan(row[-1]) else float(row[-1])
        for row in df.itertuples(index=False)
    }


def _via_sdmx1(cube: Cube, document: bytes, **kwargs: Any) -> Cells:
    structure: Any = sdmx.read_sdmx(io.BytesIO(write_sdmx_structure(cube)))
    dsd = structure.structure[datastructure_id(cube)]
    message: Any = sdmx.read_sdmx(io.BytesIO(document), structure=dsd, **kwargs)
    time = cube.time_dimension
    out: Cells = {}
    for o in message.data[0].obs:
        by_id = {k: str(v.value) for k, v in o.key.values.items()}
        if time is not None:
            by_id[time.id] = by_id.pop("TIME_PERIOD")
        out[tuple(by_id[d] for d in cube.dimension_ids)] = (
            None if o.value in (None, "") else float(o.value)
        )
    return out


def _via_pyaxis(cube: Cube, tmp_path: Path) -> Cells:
    path = tmp_path / "t.px"
    path.write_bytes(write_px(cube))
    parsed = pyaxis.parse(str(path), encoding="utf-8", lang="en")
    meta, data = parsed["METADATA"], parsed["DATA"]
    names = list(data.columns[:-1])
    code = {n: dict(zip(meta[f"VALUES({n})"], meta[f"CODES({n})"], strict=True)) for n in names}
    out: Cells = {}
    for row in data.itertuples(index=False):
        key = tuple(code[n][v] for n, v in zip(names, row[:-1], strict=True))
        value = row[-1]
        out[key] = (
            None
            if value == "" or (isinstance(value, float) and math.isnan(value))
            else float(value)
        )
    return out


def _via_csv(cube: Cube) -> Cells:
    rows = csv.DictReader(io.StringIO(write_csv(cube, lang="en")))
    return {
        tuple(r[d] for d in cube.dimension_ids): float(r["OBS_VALUE"]) if r["OBS_VALUE"] else None
        for r in rows
    }


def _via_openpyxl(cube: Cube) -> Cells:
    sheet = load_workbook(io.BytesIO(write_xlsx(cube, lang="fa")))["data"]
    values = list(sheet.iter_rows(values_only=True))
    head = values[0]
    out: Cells = {}
    for v in values[1:]:
        row = dict(zip(head, v, strict=True))
        value = row["OBS_VALUE"]
        out[tuple(row[d] for d in cube.dimension_ids)] = None if value is None else float(value)
    return out


def _published(cube: Cube) -> Cells:
    return {
        key: None if obs.value is None else float(cube.format_value(key, obs.value))
        for key, obs in cube.observations.items()
    }


def _present(cells: Cells, cube: Cube) -> Cells:
    """Only the cells that have an observation (dense formats also list empty cells)."""
    return {k: v for k, v in cells.items() if k in cube.observations}


@pytest.mark.parametrize("time_id", ["TIME_PERIOD", "YEAR"])
def test_every_client_reads_the_same_numbers(cube: Cube, tmp_path: Path, time_id: str) -> None:
    selection = cube.select({"REF_AREA": ["S2001", "S2002"]}).latest(3)
    if time_id != "TIME_PERIOD":
        # SDMX fixes the time dimension's id; a cube may call it anything.
        time = selection.time_dimension
        assert time is not None
        renamed: Dimension = replace(time, id=time_id)
        selection = replace(
            selection,
            dimensions=tuple(renamed if d is time else d for d in selection.dimensions),
        )
    expected = _published(selection)
    readings = {
        "pyjstat": _present(_via_pyjstat(selection), selection),
        "sdmx1 generic": _via_sdmx1(selection, write_sdmx_generic(selection)),
        "sdmx1 structure-specific": _via_sdmx1(selection, write_sdmx_structure_specific(selection)),
        "sdmx1 json": _via_sdmx1(selection, write_sdmx_json(selection)),
        "sdmx1 csv": _via_sdmx1(selection, write_sdmx_csv(selection).encode(), format="CSV"),
        "pyaxis": _present(_via_pyaxis(selection, tmp_path), selection),
        "csv": _via_csv(selection),
        "openpyxl": _via_openpyxl(selection),
    }
    for client, cells in readings.items():
        assert cells == expected, client
    assert len(expected) == 2 * 3 * 3 - 1  # one cell has no observation
    assert expected[SUPPRESSED] is None  # and one is suppressed
    assert json.loads(write_jsonstat(selection, lang="en"))["size"] == [2, 3, 3]
