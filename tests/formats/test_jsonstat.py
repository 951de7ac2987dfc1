"""JSON-stat 2.0 read back with pyjstat, the client the portal promises."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from formats_support import MISSING, SUPPRESSED
from jsonstat_validator import JSONStatValidationError, validate_jsonstat
from pyjstat import pyjstat

from amargah.formats import Cube, Lang
from amargah.formats.jsonstat import jsonstat_collection, jsonstat_dataset, write_jsonstat

SAMPLES = Path(__file__).parent / "samples"  # copies of the office's samples (see README)
HREF = "http://127.0.0.1:8000/api/v2/tables/LFS_UNEMP/data?outputFormat=json-stat2"


def _read(text: str) -> dict:
    # pyjstat 2.4's Dataset.write() calls its own deprecated from_json_stat() and warns;
    # nothing in our code triggers it, so the warning is silenced here only.
    with pytest.warns(DeprecationWarning, match="Shouldn't use this function anymore"):
        df = pyjstat.Dataset.read(text).write("dataframe", naming="id")
    return {tuple(row[:-1]): row[-1] for row in df.itertuples(index=False)}


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_pyjstat_reads_every_value(cube: Cube, lang: Lang) -> None:
    cells = _read(write_jsonstat(cube, lang=lang, href=HREF).decode())
    assert set(cells) == set(cube.cell_keys())  # dense: every cell, with NaN where no value
    for key, obs in cube.cells():
        if obs is None or obs.value is None:
            assert math.isnan(cells[key]), key
        else:
            assert cells[key] == round(obs.value, 1), key


def test_flags_and_attributes_agree_with_the_cube(cube: Cube) -> None:
    doc = json.loads(write_jsonstat(cube, lang="fa", href=HREF))
    keys = list(cube.cell_keys())
    status = {keys[int(i)]: flag for i, flag in doc["status"].items()}
    assert status == {k: o.status.value for k, o in cube.observations.items() if o.status}
    assert status[SUPPRESSED] == "C"
    assert doc["value"][keys.index(SUPPRESSED)] is None
    assert doc["value"][keys.index(MISSING)] is None
    se = {keys[int(i)]: v for i, v in doc["extension"]["amargah"]["se"].items()}
    assert se == {k: o.se for k, o in cube.observations.items() if o.se is not None}
    assert doc["extension"]["status"]["label"]["C"] == "محرمانه (حذف‌شده)"
    assert doc["dimension"]["REF_AREA"]["category"]["label"]["S2002"] == "شاهرود"
    assert doc["dimension"]["REF_AREA"]["category"]["child"] == {"S20": ["S2001", "S2002"]}
    assert doc["role"] == {"geo": ["REF_AREA"], "time": ["TIME_PERIOD"]}


def test_metric_dimension_carries_units(multi_cube: Cube) -> None:
    doc = jsonstat_dataset(multi_cube, lang="en", href=HREF)
    assert doc["dimension"]["INDICATOR"]["category"]["unit"]["ACT_RATE"] == {
        "label": "percent",
        "decimals": 1,
    }
    cells = _read(json.dumps(doc))
    assert cells[("S2002", "UNEMP_RATE", "1402")] == round(9.0 + 2 * 0.7 - 2 * 0.2, 1)


def test_has_the_keys_of_the_sample(cube: Cube) -> None:
    """Same top-level keys as the verified sample (jsonstat_dataset.json, ours)."""
    sample = json.loads((SAMPLES / "jsonstat_dataset.json").read_text(encoding="utf-8"))
    doc = jsonstat_dataset(cube, lang="en", href=HREF)
    assert set(sample) <= set(doc)
    assert doc["class"] == "dataset" and doc["version"] == "2.0"


def test_relative_href_and_duplicate_labels_are_refused(cube: Cube) -> None:
    with pytest.raises(ValueError, match="absolute"):
        write_jsonstat(cube, lang="en", href="/api/v2/x")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        write_jsonstat(cube, lang="de")  # type: ignore[arg-type]


def test_collection_reads_with_pyjstat(cube: Cube, multi_cube: Cube) -> None:
    doc = jsonstat_collection(
        [(cube, HREF), (multi_cube, "http://127.0.0.1:8000/jsonstat/LFS_MAIN.json")],
        lang="fa",
        href="http://127.0.0.1:8000/jsonstat/collection.json",
        label="جدول‌ها",
        embed=True,
    )
    col = pyjstat.Collection.read(json.dumps(doc))
    assert col["class"] == "collection"
    items = col["link"]["item"]
    assert [i["href"] for i in items] == [HREF, "http://127.0.0.1:8000/jsonstat/LFS_MAIN.json"]
    # The embedded dataset reads like a stand-alone one.
    value = cube.observations[("S20", "T", "1400")].value
    assert value is not None
    assert _read(json.dumps(items[0]))[("S20", "T", "1400")] == round(value, 1)


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_valid_for_jsonstat_validator(
    cube: Cube, multi_cube: Cube, pop_cube: Cube, lang: Lang
) -> None:
    """jsonstat-validator checks the 2.0 spec strictly (absolute href, sizes, indices)."""
    for c in (cube, multi_cube, pop_cube):
        assert validate_jsonstat(jsonstat_dataset(c, lang=lang, href=HREF))
    collection = jsonstat_collection(
        [(cube, HREF)], lang=lang, href="http://127.0.0.1:8000/jsonstat/", label="x", embed=True
    )
    assert validate_jsonstat(collection)
    broken = jsonstat_dataset(cube, lang=lang, href=HREF)
    broken["size"] = [3, 3, 2]  # the validator does check: sizes must match the categories
    with pytest.raises(JSONStatValidationError):
        validate_jsonstat(broken)
