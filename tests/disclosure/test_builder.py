"""The census table builder through HTTP: the table, its limits, its downloads."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.test import Client

from amargah.disclosure import builder

pytestmark = pytest.mark.django_db

QUERY = "/data/builder/?var=county&var=sex&var=age_group"


def page_cells(html: str) -> dict[str, tuple[str | None, str | None]]:
    cells = re.findall(r'<td class="num" data-key="([^"]+)"([^>]*)>', html)
    out = {}
    for key, attributes in cells:
        value = re.search(r'data-value="([^"]+)"', attributes)
        flag = re.search(r'data-flag="([^"]+)"', attributes)
        out[key] = (value.group(1) if value else None, flag.group(1) if flag else None)
    return out


def test_form_in_both_languages(portal: Path, client: Client) -> None:
    response = client.get("/data/builder/")
    assert response.status_code == 200
    assert "جدول‌ساز سرشماری" in response.content.decode()
    client.cookies["amargah_language"] = "en"
    assert "Census table builder" in client.get("/data/builder/").content.decode()


def test_perturbed_table_is_close_to_the_truth_and_stable(portal: Path, client: Client) -> None:
    started = time.perf_counter()
    response = client.get(QUERY)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 1.0
    html = response.content.decode()
    cells = page_cells(html)
    assert len(cells) == 9 * 3 * 18  # every county, sex, age group and their totals
    persons = pq.read_table(portal / "census_persons.parquet", columns=["county", "sex"])
    truth = Counter(zip(persons["county"].to_pylist(), persons["sex"].to_pylist(), strict=True))
    noise = builder.builder_ptable().D
    for (county, sex), count in truth.items():
        published = float(cells[f"{county}.{sex}._T"][0] or 0)
        assert abs(published - count) <= noise
    assert any(flag == "U" for _value, flag in cells.values())
    # no published count in 1..js: small counts never appear
    js = builder.builder_ptable().js
    assert not any(value and 0 < float(value) <= js for value, _flag in cells.values())
    # the same question, asked again or in another table, gets the same numbers
    assert page_cells(client.get(QUERY).content.decode()) == cells
    other = page_cells(client.get("/data/builder/?var=county&var=sex").content.decode())
    assert all(other[key] == cells[f"{key}._T"] for key in other)


def test_csv_download_agrees_with_the_page(portal: Path, client: Client) -> None:
    cells = page_cells(client.get(QUERY).content.decode())
    response = client.get(QUERY.replace("/data/builder/", "/data/builder/download/csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(cells)
    for row in rows:
        key = f"{row['COUNTY']}.{row['SEX']}.{row['AGE_GROUP']}"
        value, flag = cells[key]
        assert float(row["OBS_VALUE"]) == float(value or "nan")
        assert (row["OBS_STATUS"] or None) == flag


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("var=county&var=sex&var=age_group&var=education&var=activity", "at most 4 variables"),
        ("var=county&var=isco&var=age_group&var=education", "cells"),
        ("var=passport", "no census variable"),
    ],
)
def test_refusals_say_what_to_change(
    portal: Path, client: Client, query: str, message: str
) -> None:
    client.cookies["amargah_language"] = "en"
    response = client.get(f"/data/builder/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    download = client.get(f"/data/builder/download/csv?{query}")
    assert download.status_code == 400 and message in download.content.decode()


def test_unknown_format_is_404(portal: Path, client: Client) -> None:
    assert client.get("/data/builder/download/pdf?var=sex").status_code == 404


def test_rate_limit_per_address(portal: Path, client: Client, settings: Any) -> None:
    settings.DISCLOSURE_BUILDER_RATE = "2/m"
    assert client.get("/data/builder/?var=sex").status_code == 200
    assert client.get("/data/builder/download/csv?var=sex").status_code == 200
    refused = client.get("/data/builder/?var=county")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    # the empty form costs nothing and is always served
    assert client.get("/data/builder/").status_code == 200
