"""The dissemination APIs read by the real clients against the running app.

sdmx1 reads the dataflows, a structure and data in all three SDMX formats; pyjstat
reads JSON-stat, pyaxis the .px, openpyxl the .xlsx and pxwebpy queries the PxWeb
API; every cell of the same selection agrees across all of them and the cube.
"""

from __future__ import annotations

import io
import math
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sdmx
from pxweb import PxApi
from pyaxis import pyaxis
from pyjstat import pyjstat
from pytest_django.live_server_helper import LiveServer

from amargah.demo import WorldManifest
from amargah.formats.cube import Cube
from amargah.portal import selectors
from amargah.portal.demo import publish_demo
from amargah.portal.models import StatTable

COUNTIES = ("1", "2")
SELECTED = {"COUNTY": list(COUNTIES), "SEX": ["_T", "1", "2"]}


@pytest.fixture
def live_portal(
    transactional_db: None, small_world: tuple[Path, WorldManifest], live_server: LiveServer
) -> str:
    publish_demo(small_world[0])
    return live_server.url


def lfs_cube() -> Cube:
    table = StatTable.objects.get(code="LFS_RATES")
    return selectors.release_cube(selectors.table_release(table))


def expected(cube: Cube) -> dict[tuple[str, str, str], float | None]:
    """The selection's cells as published (rounded to the measure's decimals)."""
    result: dict[tuple[str, str, str], float | None] = {}
    for key, observation in cube.select(SELECTED).cells():
        value = observation.value if observation else None
        result[key[:3]] = None if value is None else float(cube.format_value(key, value))
    return result


def fetch(url: str, accept: str = "*/*") -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - the test's own server
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return bytes(response.read())


def same(
    got: dict[tuple[str, str, str], Any], want: dict[tuple[str, str, str], float | None]
) -> None:
    assert set(got) == set(want)
    for key, value in want.items():
        if value is None:
            assert got[key] is None or (isinstance(got[key], float) and math.isnan(got[key])), key
        else:
            assert float(got[key]) == pytest.approx(value, abs=1e-9), key


def test_sdmx1_reads_dataflows_structure_and_data_in_three_formats(live_portal: str) -> None:
    sdmx.add_source(
        {
            "id": "AMARGAH_TEST",
            "url": f"{live_portal}/sdmx/rest",
            "name": "Amargah",
            "supports": {"structure-specific data": True},
        },
        override=True,
    )
    client = sdmx.Client("AMARGAH_TEST")
    flows = client.dataflow(agency_id="PSO")
    assert {"POP_CENSUS", "LFS_RATES"} <= set(flows.dataflow)
    assert "LIT_CENSUS" not in flows.dataflow  # scheduled, not yet published
    structure = client.dataflow("LFS_RATES", agency_id="PSO")
    dsd = structure.structure["DSD_LFS_RATES"]
    assert [d.id for d in dsd.dimensions][:3] == ["COUNTY", "SEX", "INDICATOR"]
    want = expected(lfs_cube())

    # structure-specific (what sdmx1 asks for when it has the DSD)
    message = client.data("LFS_RATES", key={"COUNTY": list(COUNTIES)}, dsd=dsd)
    same(_sdmx_cells(message), want)
    # generic and SDMX-JSON, by Accept
    url = f"{live_portal}/sdmx/rest/data/LFS_RATES/{'+'.join(COUNTIES)}.."
    for accept in (
        "application/vnd.sdmx.genericdata+xml;version=2.1",
        "application/vnd.sdmx.data+json;version=1.0.0",
    ):
        message = sdmx.read_sdmx(io.BytesIO(fetch(url, accept)), structure=dsd)
        same(_sdmx_cells(message), want)


def _sdmx_cells(message: Any) -> dict[tuple[str, str, str], Any]:
    series = sdmx.to_pandas(message.data[0])
    cells: dict[tuple[str, str, str], Any] = {}
    for index, value in series.items():
        labels = dict(zip(series.index.names, index, strict=True))
        cells[(labels["COUNTY"], labels["SEX"], labels["INDICATOR"])] = value
    return {k: v for k, v in cells.items() if k[1] in SELECTED["SEX"]}


def error_of(url: str) -> tuple[int, bytes]:
    """Status and body of a request that must fail (the response is closed after reading)."""
    with pytest.raises(urllib.error.HTTPError) as failure:
        fetch(url)
    with failure.value as response:
        return failure.value.code, response.read()


def test_sdmx_errors_are_sdmx_messages(live_portal: str) -> None:
    status, body = error_of(f"{live_portal}/sdmx/rest/data/LFS_RATES/99..")
    assert status == 404 and b'code="100"' in body
    status, body = error_of(f"{live_portal}/sdmx/rest/data/LFS_RATES/1")
    assert status == 400 and b'code="140"' in body
    status, _body = error_of(f"{live_portal}/sdmx/rest/dataflow/PSO/NOPE/latest")
    assert status == 404


def test_pyjstat_pyaxis_openpyxl_and_the_explorer_agree(live_portal: str) -> None:
    want = expected(lfs_cube())
    query = "COUNTY=1,2&SEX=_T,1,2"
    base = f"{live_portal}/data/tables/LFS_RATES/download"

    with pytest.warns(DeprecationWarning, match="Shouldn't use this function anymore"):
        # pyjstat 2.4 calls its own deprecated helper inside write(); not ours to fix.
        frame = pyjstat.Dataset.read(f"{base}/jsonstat?{query}").write("dataframe", naming="id")
    same(
        {
            (r.COUNTY, r.SEX, r.INDICATOR): (None if math.isnan(r.value) else r.value)
            for r in frame.itertuples()
        },
        want,
    )

    same(_px_cells(fetch(f"{base}/px?{query}")), want)

    workbook = openpyxl.load_workbook(io.BytesIO(fetch(f"{base}/xlsx?{query}")))
    rows = list(workbook["data"].iter_rows(values_only=True))
    header = list(rows[0])
    got = {}
    for row in rows[1:]:
        record = dict(zip(header, row, strict=True))
        got[(str(record["COUNTY"]), str(record["SEX"]), str(record["INDICATOR"]))] = record[
            "OBS_VALUE"
        ]
    same(got, want)


def _px_cells(document: bytes) -> dict[tuple[str, str, str], Any]:
    """pyaxis's rows keyed by codes: labels mapped back through CODES and VALUES."""
    with tempfile.NamedTemporaryFile(suffix=".px") as handle:
        handle.write(document)
        handle.flush()
        parsed = pyaxis.parse(handle.name, encoding="utf-8", lang="fa")
    meta = parsed["METADATA"]
    to_code = {}
    for name in ("COUNTY", "SEX", "INDICATOR"):
        label = next(key for key in meta if key.startswith("VARIABLE-CODE") and meta[key] == [name])
        variable = label[label.index("(") + 1 : label.rindex(")")] if "(" in label else name
        to_code[name] = (
            variable,
            dict(zip(meta[f"VALUES({variable})"], meta[f"CODES({variable})"], strict=True)),
        )
    cells = {}
    for row in parsed["DATA"].to_dict("records"):
        key = tuple(
            to_code[name][1][row[to_code[name][0]]] for name in ("COUNTY", "SEX", "INDICATOR")
        )
        value = row["DATA"]
        cells[key] = None if value in ("", None) or value != value else float(value)
    return cells


def test_pxwebpy_queries_the_table_api(live_portal: str) -> None:
    cube = lfs_cube()
    api = PxApi(f"{live_portal}/api/v2", language="en", disable_cache=True)
    assert api.number_of_tables == 3
    variables = api.get_table_variables("LFS_RATES")
    assert variables["COUNTY"]["label"] == "County"
    rows = api.get_table_data(
        "LFS_RATES",
        value_codes={
            "COUNTY": list(COUNTIES),
            "SEX": SELECTED["SEX"],
            "INDICATOR": "*",
            "TIME_PERIOD": "*",
        },
        show="code",
    )
    labels = [cube.dimension(d).label.en for d in ("COUNTY", "SEX", "INDICATOR")]
    same({tuple(r[label] for label in labels): r["value"] for r in rows}, expected(cube))
