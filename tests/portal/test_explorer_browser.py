"""The table explorer in Debian's Chromium, in Persian and English: find the unemployment
table, choose two counties, see the chart, download CSV, get the API's numbers."""

from __future__ import annotations

import csv
import io
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from amargah.demo import WorldManifest
from amargah.portal.demo import publish_demo

pytestmark = [pytest.mark.browser]

TABLE_TITLE = {
    "fa": "شاخص‌های نیروی کار بر حسب شهرستان و جنس",
    "en": "Labour force indicators by county and sex",
}
UNEMPLOYMENT = {"fa": "نرخ بیکاری", "en": "Unemployment rate"}


@pytest.fixture
def live_portal(
    transactional_db: None, small_world: tuple[Path, WorldManifest], live_server: LiveServer
) -> str:
    publish_demo(small_world[0])
    return live_server.url


def api_rows(base: str) -> dict[tuple[str, str, str], str]:
    url = (
        f"{base}/api/v2/tables/LFS_RATES/data?outputFormat=csv&lang=en"
        "&valueCodes[COUNTY]=1,2&valueCodes[INDICATOR]=UNEMP_RATE"
    )
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the test's own server
        text = response.read().decode("utf-8-sig")
    return {
        (row["COUNTY"], row["SEX"], row["INDICATOR"]): row["OBS_VALUE"]
        for row in csv.DictReader(io.StringIO(text))
    }


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_find_choose_chart_download(browser: Browser, live_portal: str, lang: str) -> None:
    context = browser.new_context(accept_downloads=True)
    context.add_cookies([{"name": "amargah_language", "value": lang, "url": live_portal}])
    page = context.new_page()
    page.goto(f"{live_portal}/data/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    page.get_by_role("link", name=TABLE_TITLE[lang]).click()
    expect(page.locator("#table-title")).to_have_text(TABLE_TITLE[lang])

    # Two counties, one indicator; each change redraws the result through htmx.
    county = page.locator('fieldset[data-dimension="COUNTY"]')
    for checkbox in county.locator("input[type=checkbox]").all():
        if checkbox.get_attribute("value") not in ("1", "2") and checkbox.is_checked():
            checkbox.uncheck()
    indicator = page.locator('fieldset[data-dimension="INDICATOR"]')
    for checkbox in indicator.locator("input[type=checkbox]").all():
        if checkbox.get_attribute("value") != "UNEMP_RATE" and checkbox.is_checked():
            checkbox.uncheck()
    expect(page.locator("#data-table td.num")).to_have_count(2 * 3)  # 2 counties × 3 sexes
    expect(page.locator("#fixed")).to_contain_text(UNEMPLOYMENT[lang])
    expect(page).to_have_url(re.compile(r"COUNTY=1&COUNTY=2"))

    # The chart is drawn by vega-embed from the site's own files.
    expect(page.locator("#chart[data-rendered=true] svg")).to_be_visible()
    marks = page.locator("#chart svg .mark-rect path")
    assert marks.count() >= 4

    with page.expect_download() as download_info:
        page.locator('a.download[data-format="csv"]').click()
    download = download_info.value
    assert download.suggested_filename == "LFS_RATES-v1.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    downloaded = {
        (row["COUNTY"], row["SEX"], row["INDICATOR"]): row["OBS_VALUE"]
        for row in csv.DictReader(io.StringIO(text))
    }
    assert downloaded == api_rows(live_portal)
    assert set(downloaded) == {(c, s, "UNEMP_RATE") for c in "12" for s in ("_T", "1", "2")}
    context.close()
