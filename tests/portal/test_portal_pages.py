"""The portal's pages over HTTP: catalog, search, study, explorer, downloads, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from amargah.portal import selectors
from amargah.portal.models import StatTable


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_catalog_lists_studies_and_published_tables(portal: Path, client: Client) -> None:
    html = client.get("/data/").content.decode()
    assert "سرشماری عمومی نفوس و مسکن ۱۴۰۵ استان سمنان" in html
    assert "/data/tables/POP_CENSUS/" in html and "/data/tables/LFS_RATES/" in html


@pytest.mark.django_db
def test_search_finds_persian_text_typed_with_arabic_letters(portal: Path, client: Client) -> None:
    # "بيكاري" is typed with Arabic yeh; the table title has Persian yeh.
    html = client.get("/data/", {"q": "نرخ بيكاري"}).content.decode()
    assert 'id="search-results"' in html
    assert "/data/tables/LFS_RATES/" in html.split('id="search-results"')[1]
    english_html = english().get("/data/", {"q": "population age"}).content.decode()
    assert "Population by county, sex and age group" in english_html.split('id="search-results"')[1]
    # A table not yet published is not found.
    scheduled = english().get("/data/", {"q": "literacy"}).content.decode()
    assert "/data/tables/LIT_CENSUS/" not in scheduled


@pytest.mark.django_db
def test_study_page_documents_variables(portal: Path, client: Client) -> None:
    html = client.get("/data/studies/lfs-1405/").content.decode()
    assert 'id="var-activity"' in html and "بیکار" in html
    assert 'id="response-rate"' in html
    assert "<strong>دومرحله‌ای طبقه‌بندی‌شده</strong>" in html  # methodology Markdown
    assert client.get("/data/studies/nothing/").status_code == 404


@pytest.mark.django_db
def test_explorer_selection_pivot_and_permalink(portal: Path, client: Client) -> None:
    response = client.get(
        "/data/tables/LFS_RATES/",
        {"COUNTY": "1,2", "SEX": "1,2", "INDICATOR": "UNEMP_RATE", "rows": "COUNTY", "cols": "SEX"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    cube = selectors.release_cube(selectors.table_release(StatTable.objects.get(code="LFS_RATES")))
    shown = dict(re.findall(r'data-key="([^"]+)"(?: data-value="([^"]+)")?', html))
    assert set(shown) == {f"{c}.{s}.UNEMP_RATE.1405" for c in "12" for s in "12"}
    for key, value in shown.items():
        observation = cube.get(tuple(key.split(".")))
        assert observation is not None
        if observation.value is None:
            assert value == ""
        else:
            assert float(value) == observation.value
    assert 'id="permalink"' in html
    assert "COUNTY=1,2" in html
    spec = json.loads(re.search(r'id="chart-spec"[^>]*>(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert {item["category"] for item in spec["data"]["values"]} <= {"سمنان", "شاهرود"}


@pytest.mark.django_db
def test_htmx_request_gets_only_the_result(portal: Path, client: Client) -> None:
    html = client.get(
        "/data/tables/POP_CENSUS/", {"COUNTY": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in html and 'id="data-table"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"COUNTY": "99"}, "«شهرستان» کد «99» ندارد"),
        ({"REGION": "1"}, "بعدی به نام «REGION» ندارد"),
        ({"latest": "zero"}, "latest"),
    ],
)
def test_bad_selection_is_explained_in_persian(
    portal: Path, client: Client, query: dict[str, str], message: str
) -> None:
    response = client.get("/data/tables/POP_CENSUS/", query)
    assert response.status_code == 400
    error = re.search(r'id="selection-error">([^<]+)<', response.content.decode())
    assert error is not None and message in error.group(1)


@pytest.mark.django_db
def test_too_large_a_selection_is_refused(
    portal: Path, client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.PORTAL_MAX_CELLS = 100  # type: ignore[attr-defined]
    # By default the page shrinks the largest dimension to its total...
    default = english().get("/data/tables/POP_CENSUS/")
    assert default.status_code == 200
    assert default.content.decode().count('data-key="') <= 100
    # ...but an explicit selection over the limit is refused with the reason.
    ages = ",".join(
        c.id
        for c in selectors.release_cube(
            selectors.table_release(StatTable.objects.get(code="POP_CENSUS"))
        )
        .dimension("AGE")
        .codes
    )
    response = english().get("/data/tables/POP_CENSUS/", {"AGE": ages, "COUNTY": "1,2,3"})
    assert response.status_code == 400
    assert "at most 100 can be shown" in response.content.decode()


@pytest.mark.django_db
def test_download_is_exactly_the_selection(portal: Path, client: Client) -> None:
    response = client.get(
        "/data/tables/POP_CENSUS/download/jsonstat", {"COUNTY": "1,2", "SEX": "_T", "AGE": "_T"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="POP_CENSUS-v1.json"'
    document = json.loads(response.content)
    assert document["size"] == [2, 1, 1, 1]
    cube = selectors.release_cube(selectors.table_release(StatTable.objects.get(code="POP_CENSUS")))
    values = [cube.get((c, "_T", "_T", "1405")).value for c in "12"]  # type: ignore[union-attr]
    assert document["value"] == values
    assert client.get("/data/tables/POP_CENSUS/download/pdf").status_code == 404


@pytest.mark.django_db
def test_unknown_table_and_version_are_not_found(portal: Path, client: Client) -> None:
    assert client.get("/data/tables/NOPE/").status_code == 404
    assert client.get("/data/tables/POP_CENSUS/", {"v": "7"}).status_code == 404
    assert client.get("/data/tables/POP_CENSUS/", {"v": "x"}).status_code == 404


@pytest.mark.django_db
def test_glossary_explains_estimates(portal: Path, client: Client) -> None:
    html = client.get("/data/glossary/").content.decode()
    assert 'id="reading-estimates"' in html and 'id="term-unemployment-rate"' in html


@pytest.mark.django_db
def test_rest_api_lists_studies_tables_and_releases(portal: Path, client: Client) -> None:
    studies = client.get("/api/v1/studies").json()
    assert {s["code"] for s in studies} == {"census-1405", "lfs-1405"}
    lfs = client.get("/api/v1/studies/lfs-1405").json()
    assert any(v["name"] == "activity" and v["categories"] for v in lfs["variables"])
    tables = client.get("/api/v1/tables").json()
    assert {t["code"] for t in tables} == {"POP_CENSUS", "LFS_RATES", "HH_SIZE_CENSUS"}
    table = client.get("/api/v1/tables/LFS_RATES").json()
    assert set(table["downloads"]) == {"csv", "xlsx", "px", "jsonstat", "sdmx", "sdmx-json"}
    releases = client.get("/api/v1/tables/LFS_RATES/releases").json()
    assert [r["version"] for r in releases] == [1]
    calendar = client.get("/api/v1/calendar").json()
    assert [r["table"] for r in calendar] == ["LIT_CENSUS"]
    missing = client.get("/api/v1/tables/LIT_CENSUS")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tables/{code}" in schema["paths"]


@pytest.mark.django_db
def test_api_docs_are_served_locally(portal: Path, client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html and "unpkg" not in html


@pytest.mark.django_db
def test_ddi_codebook_for_each_study(portal: Path, client: Client) -> None:
    from lxml import etree

    response = client.get("/data/studies/lfs-1405/ddi.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    ns = {"d": "ddi:codebook:2_5"}
    assert root.tag == "{ddi:codebook:2_5}codeBook"
    assert root.findtext("d:stdyDscr/d:citation/d:titlStmt/d:IDNo", namespaces=ns) == "PSO-LFS-1405"
    names = {var.get("name") for var in root.iterfind("d:dataDscr/d:var", namespaces=ns)}
    assert {"activity", "age", "county", "sex"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("/api/v1/tables", "application/problem+json"),
        ("/api/v2/tables", "application/problem+json"),
        ("/sdmx/rest/dataflow/PSO/all/latest", "application/xml"),
    ],
)
def test_apis_have_a_stated_rate_limit(
    portal: Path, client: Client, settings: pytest.FixtureRequest, url: str, media_type: str
) -> None:
    settings.PORTAL_API_RATE = "3/m"  # type: ignore[attr-defined]
    for _ in range(3):
        assert client.get(url).status_code == 200
    limited = client.get(url)
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    assert limited["Content-Type"].startswith(media_type)
    assert "3/m" in limited.content.decode()


@pytest.mark.django_db
def test_pxweb_data_errors_are_problem_documents(portal: Path, client: Client) -> None:
    unknown = client.get("/api/v2/tables/LFS_RATES/data", {"valueCodes[COUNTY]": "99"})
    assert unknown.status_code == 400
    assert unknown["Content-Type"] == "application/problem+json"
    assert "99" in unknown.json()["detail"]
    variable = client.get("/api/v2/tables/LFS_RATES/data", {"valueCodes[REGION]": "1"})
    assert variable.status_code == 400 and "REGION" in variable.json()["detail"]
    body = client.post(
        "/api/v2/tables/LFS_RATES/data", data="{not json", content_type="application/json"
    )
    assert body.status_code == 400 and body.json()["title"] == "Malformed request body"
    top = client.get(
        "/api/v2/tables/LFS_RATES/data",
        {"valueCodes[COUNTY]": "1", "valueCodes[SEX]": "_T", "valueCodes[TIME_PERIOD]": "top(1)"},
    )
    assert top.status_code == 200 and top.json()["size"][:2] == [1, 1]
    assert client.get("/api/v2/tables/NOPE/data").status_code == 404


@pytest.mark.django_db
def test_published_numbers_lead_back_to_their_production(
    portal: Path, client: Client, tmp_path: Path
) -> None:
    from amargah.production.demo import create_demo_projects
    from amargah.production.selectors import public_studies

    assert 'id="production-link"' not in client.get("/data/studies/lfs-1405/").content.decode()
    create_demo_projects(data_dir=tmp_path)
    study = client.get("/data/studies/lfs-1405/").content.decode()
    assert 'href="/production/studies/lfs-1405/"' in study
    table = client.get("/data/tables/LFS_RATES/").content.decode()
    assert 'id="production-link" href="/production/studies/lfs-1405/"' in table
    assert client.get("/production/studies/lfs-1405/").status_code == 200
    calendar = client.get("/data/calendar/").content.decode()
    expected = [p for p in public_studies() if p.results_expected_on]
    for project in expected:
        if project.results_expected_on >= timezone.localdate():
            assert f"/production/studies/{project.code}/" in calendar
