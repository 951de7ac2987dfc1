"""CSV (read with the standard csv module) and XLSX (read with openpyxl)."""

from __future__ import annotations

import csv
import io

import pytest
from formats_support import MISSING, SUPPRESSED
from openpyxl import load_workbook

from amargah.formats import Cube, Lang
from amargah.formats.tabular import header, write_csv, write_xlsx


def _by_key(cube: Cube, rows: list[dict]) -> dict[tuple[str, ...], dict]:
    return {tuple(str(r[d]) for d in cube.dimension_ids): r for r in rows}


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_csv_rows_agree_with_the_cube(cube: Cube, lang: Lang) -> None:
    text = write_csv(cube, lang=lang)
    rows = _by_key(cube, list(csv.DictReader(io.StringIO(text))))
    assert set(rows) == set(cube.observations)  # no row for a cell without observation
    assert MISSING not in rows
    for key, obs in cube.observations.items():
        row = rows[key]
        expected = "" if obs.value is None else cube.format_value(key, obs.value)
        assert row["OBS_VALUE"] == expected, key
        assert row["OBS_STATUS"] == ("" if obs.status is None else obs.status.value), key
        assert row["SE"] == ("" if obs.se is None else repr(obs.se)), key
        assert row["CV"] == ("" if obs.cv is None else repr(obs.cv)), key
        assert row["QUALITY"] == (obs.quality or ""), key
    assert rows[SUPPRESSED]["OBS_VALUE"] == "" and rows[SUPPRESSED]["OBS_STATUS"] == "C"
    assert rows[("S2002", "T", "1400")]["REF_AREA_LABEL"] == {"fa": "شاهرود", "en": "Shahrud"}[lang]


def test_csv_delimiters(cube: Cube) -> None:
    assert write_csv(cube, lang="en", delimiter=";").splitlines()[0] == ";".join(header(cube))
    with pytest.raises(ValueError, match="delimiter"):
        write_csv(cube, lang="en", delimiter="|")


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_xlsx_reads_with_openpyxl(cube: Cube, lang: Lang) -> None:
    wb = load_workbook(io.BytesIO(write_xlsx(cube, lang=lang)))
    sheet = wb["data"]
    assert sheet.sheet_view.rightToLeft is (lang == "fa")
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header(cube)
    rows = _by_key(cube, [dict(zip(values[0], v, strict=True)) for v in values[1:]])
    assert set(rows) == set(cube.observations)
    for key, obs in cube.observations.items():
        row = rows[key]
        if obs.value is None:
            assert row["OBS_VALUE"] is None
        else:
            # Stored as a number, rounded to the measure's decimals.
            assert row["OBS_VALUE"] == float(cube.format_value(key, obs.value)), key
        assert row["OBS_STATUS"] == (None if obs.status is None else obs.status.value)
        assert row["SE"] == obs.se
    assert rows[SUPPRESSED]["OBS_STATUS"] == "C"
    meta = {r[0]: r[1:] for r in wb["metadata"].iter_rows(values_only=True)}
    assert meta["title"][0] == cube.title.get(lang)


def test_xlsx_counts_are_integers(pop_cube: Cube) -> None:
    document = write_xlsx(pop_cube, lang="fa")
    sheet = load_workbook(io.BytesIO(document))["data"]
    value = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "S20" and r[2] == "T")
    assert value[header(pop_cube).index("OBS_VALUE")] == 431300
