"""The census table builder in Debian's Chromium: build county × sex × age group, see the
flagged cells and the chart, download the CSV, and find the page's numbers in it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from amargah.demo import WorldManifest

pytestmark = [pytest.mark.browser]

VARIABLES = {
    "fa": ("شهرستان", "جنس", "گروه سنی"),
    "en": ("County", "Sex", "Age group"),
}


@pytest.fixture
def live_builder(
    transactional_db: None,
    small_world: tuple[Path, WorldManifest],
    live_server: LiveServer,
    settings: Any,
) -> str:
    settings.DEMO_WORLD_DIR = small_world[0]
    return live_server.url


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_build_see_flags_download(browser: Browser, live_builder: str, lang: str) -> None:
    context = browser.new_context(accept_downloads=True)
    context.add_cookies([{"name": "amargah_language", "value": lang, "url": live_builder}])
    page = context.new_page()
    page.goto(f"{live_builder}/data/builder/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    for label in VARIABLES[lang]:
        page.get_by_label(label, exact=True).check()
    page.locator("#build").click()

    table = page.locator("#data-table")
    expect(table).to_be_visible()
    expect(page.locator("#perturbation-note")).to_be_visible()
    flagged = page.locator('#data-table td[data-flag="U"]')
    expect(flagged.first).to_be_visible()
    assert flagged.count() > 0
    expect(page.locator("#chart")).to_have_attribute("data-rendered", "true", timeout=20_000)

    shown: dict[str, tuple[str | None, str | None]] = {}
    for cell in table.locator("td.num").all():
        shown[cell.get_attribute("data-key") or ""] = (
            cell.get_attribute("data-value"),
            cell.get_attribute("data-flag"),
        )
    assert len(shown) == 9 * 3 * 18

    with page.expect_download() as info:
        page.locator('#downloads a[data-format="csv"]').click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(shown)
    for row in rows:
        value, flag = shown[f"{row['COUNTY']}.{row['SEX']}.{row['AGE_GROUP']}"]
        assert float(row["OBS_VALUE"]) == float(value or "nan")
        assert (row["OBS_STATUS"] or None) == flag
    context.close()
