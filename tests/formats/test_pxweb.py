"""PxWeb API v2 bodies: shaped like the verified samples, and read by pxwebpy.

pxwebpy only talks HTTP, so a stub server on loopback (standard library) serves our
builders at the v2 paths; the portal's real endpoints are tested by the portal's tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from formats_support import SUPPRESSED, multi_measure_cube, rate_cube
from jsonstat_validator import validate_jsonstat
from pxweb import PxApi

from amargah.formats import Cube, Lang, Text
from amargah.formats.pxweb import (
    CONTENTS_CODE,
    pxweb_config,
    pxweb_data,
    pxweb_table,
    pxweb_tables,
)

SAMPLES = Path(__file__).parent / "samples"  # copies of the office's samples (see README)
BASE = "http://127.0.0.1:8000/api/v2"


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_config_has_the_sample_keys() -> None:
    config = pxweb_config(app_version="0.1.0", source_reference=Text("آمارگاه", "Amargah"))
    assert set(config) == set(_sample("pxweb_v2_config.json"))
    assert config["apiVersion"] == "2.0.0"


def test_table_and_tables_have_the_sample_keys(cube: Cube) -> None:
    table = pxweb_table(cube, lang="en", base_url=BASE, paths=[[("LAB", Text("کار", "Labour"))]])
    assert set(table) == set(_sample("pxweb_v2_table.json"))
    assert table["variableNames"] == ["County", "Sex", "contents", "Year"]
    assert table["timeUnit"] == "Annual"
    assert (table["firstPeriod"], table["lastPeriod"]) == ("1400", "1402")
    tables = pxweb_tables(
        [table], lang="en", base_url=BASE, page_number=1, page_size=20, total_elements=1
    )
    sample = _sample("pxweb_v2_tables.json")
    assert set(tables) == set(sample)
    assert set(tables["page"]) == set(sample["page"])
    assert set(tables["tables"][0]) == set(sample["tables"][0])


def test_metadata_has_the_sample_keys(cube: Cube) -> None:
    meta = pxweb_data(cube, lang="en", base_url=BASE, values=False)
    sample = _sample("pxweb_v2_metadata.json")
    assert set(sample) <= set(meta)
    assert meta["value"] == [] and "status" not in meta
    assert set(sample["extension"]["px"]) == set(meta["extension"]["px"])
    assert meta["id"] == ["REF_AREA", "SEX", CONTENTS_CODE, "TIME_PERIOD"]
    for dim_id in meta["id"]:
        assert set(meta["dimension"][dim_id]["extension"]) >= {"elimination", "show", "codeLists"}
    assert meta["dimension"]["REF_AREA"]["extension"]["eliminationValueCode"] == "S20"
    assert validate_jsonstat(meta)
    assert validate_jsonstat(pxweb_data(cube, lang="fa", base_url=BASE))


class _Handler(BaseHTTPRequestHandler):
    cubes: dict[str, Cube] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output quiet

    def _send(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, body: dict | None) -> None:
        url = urlsplit(self.path)
        lang: Lang = "en" if parse_qs(url.query).get("lang") == ["en"] else "fa"
        parts = url.path.removeprefix("/api/v2/").split("/")
        base = f"http://{self.headers['Host']}/api/v2"
        if parts == ["config"]:
            return self._send(pxweb_config(app_version="0.1.0", max_data_cells=20))
        if parts == ["tables"]:
            entries = [pxweb_table(c, lang=lang, base_url=base) for c in self.cubes.values()]
            return self._send(
                pxweb_tables(
                    entries,
                    lang=lang,
                    base_url=base,
                    page_number=1,
                    page_size=20,
                    total_elements=len(entries),
                )
            )
        cube = self.cubes[parts[1]]
        if parts[2:] == ["metadata"]:
            return self._send(pxweb_data(cube, lang=lang, base_url=base, values=False))
        if parts[2:] == ["data"]:
            if body is not None:
                selection = {
                    s["variableCode"]: s["valueCodes"]
                    for s in body["selection"]
                    if s["variableCode"] != CONTENTS_CODE
                }
                cube = cube.select(selection)
            return self._send(pxweb_data(cube, lang=lang, base_url=base))
        return self._send({"title": "not found"}, status=404)

    def do_GET(self) -> None:
        self._route(None)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self._route(json.loads(self.rfile.read(length)))


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    _Handler.cubes = {c.id: c for c in (rate_cube(), multi_measure_cube())}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_pxwebpy_reads_a_selection(api_url: str, cube: Cube, lang: Lang) -> None:
    api = PxApi(api_url, language=lang, disable_cache=True)
    assert api.number_of_tables == 2
    variables = api.get_table_variables(cube.id)
    assert variables["SEX"]["label"] == cube.dimension("SEX").label.get(lang)
    # 2 × 3 × 1 × 3 = 18 cells, under the stub's maxDataCells of 20: one POST. pxwebpy
    # expands the wildcards itself from the metadata's category labels.
    rows = api.get_table_data(
        cube.id,
        value_codes={
            "REF_AREA": ["S2001", "S2002"],
            "SEX": "*",
            CONTENTS_CODE: "*",
            "TIME_PERIOD": ["1400", "1401", "1402"],
        },
        show="code",
    )
    labels = [cube.dimension(d).label.get(lang) for d in cube.dimension_ids]
    got = {tuple(r[label] for label in labels): r["value"] for r in rows}
    expected = {
        key: None if obs is None or obs.value is None else float(cube.format_value(key, obs.value))
        for key, obs in cube.cells()
        if key[0] in ("S2001", "S2002")
    }
    assert got == expected
    assert got[SUPPRESSED] is None


def test_pxwebpy_splits_a_large_selection(api_url: str, multi_cube: Cube) -> None:
    """27 cells > maxDataCells 20: pxwebpy splits the query; the numbers still agree."""
    api = PxApi(api_url, language="en", disable_cache=True)
    rows = api.get_table_data(
        multi_cube.id,
        value_codes={"REF_AREA": "*", "INDICATOR": "*", "TIME_PERIOD": "*"},
        show="code",
    )
    labels = [multi_cube.dimension(d).label.en for d in multi_cube.dimension_ids]
    got = {tuple(r[label] for label in labels): r["value"] for r in rows}
    assert got == {
        key: float(multi_cube.format_value(key, obs.value))
        for key, obs in multi_cube.observations.items()
        if obs.value is not None
    }
