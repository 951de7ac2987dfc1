"""The response cache serves published tables and API documents exactly as rendered."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from amargah.portal import response_cache, selectors, services
from amargah.portal.choices import ReleaseStatus
from amargah.portal.models import Release, StatTable

EXPLORER = "/data/tables/LFS_RATES/?COUNTY=1,2&SEX=1,2&INDICATOR=UNEMP_RATE&rows=COUNTY&cols=SEX"
PXWEB = "/api/v2/tables/POP_CENSUS/data?valueCodes[COUNTY]=1&valueCodes[SEX]=1&outputFormat=csv"
SDMX = "/sdmx/rest/data/LFS_RATES/1+2.."
GENERIC = "application/vnd.sdmx.genericdata+xml;version=2.1"
SDMX_JSON = "application/vnd.sdmx.data+json;version=1.0.0"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
DOCUMENT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Content-Length",
    "Vary",
    "Cache-Control",
    "ETag",
)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    response_cache.clear()
    yield
    response_cache.clear()


@pytest.fixture
def other_worker(settings: Any) -> Iterator[None]:
    """Changes made elsewhere: this process hears no save signal, only the database."""
    settings.PORTAL_RESPONSE_CACHE_STATE_SECONDS = 0  # no wait for the next reading
    post_save.disconnect(dispatch_uid="portal-response-cache-save")
    post_delete.disconnect(dispatch_uid="portal-response-cache-delete")
    try:
        yield
    finally:
        post_save.connect(response_cache._on_change, dispatch_uid="portal-response-cache-save")
        post_delete.connect(response_cache._on_change, dispatch_uid="portal-response-cache-delete")


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "accept"), [(PXWEB, "*/*"), (SDMX, GENERIC), (SDMX, SDMX_JSON)])
def test_cached_document_is_byte_identical_to_rendered(
    portal: Path, client: Client, url: str, accept: str
) -> None:
    with override_settings(PORTAL_RESPONSE_CACHE=False):
        rendered = client.get(url, HTTP_ACCEPT=accept)
    assert rendered.status_code == 200 and "X-Cache" not in rendered
    first = client.get(url, HTTP_ACCEPT=accept)
    second = client.get(url, HTTP_ACCEPT=accept)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert first.content == second.content == rendered.content
    for header in DOCUMENT_HEADERS:
        assert first[header] == second[header], header
    assert second["Cache-Control"] == "public, max-age=60"
    assert "Accept" in second["Vary"] and "Cookie" in second["Vary"]
    # A client that has it already is told so, without the document.
    again = client.get(url, HTTP_ACCEPT=accept, HTTP_IF_NONE_MATCH=second["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, HTTP_ACCEPT=accept, HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.django_db
def test_cached_page_differs_only_by_a_working_csrf_token(portal: Path) -> None:
    with override_settings(PORTAL_RESPONSE_CACHE=False):
        rendered = Client().get(EXPLORER)
    visitor = Client(enforce_csrf_checks=True)
    first = visitor.get(EXPLORER)
    second = visitor.get(EXPLORER)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in second["Vary"]
    pages = [TOKEN.sub(b"TOKEN", page.content) for page in (rendered, first, second)]
    assert pages[0] == pages[1] == pages[2]
    assert b'data-value="' in second.content
    # The token put into the stored page is the visitor's own: the language switch
    # (a POST checked for CSRF) works from the cached page.
    token = TOKEN.search(second.content)
    assert token is not None
    switched = visitor.post(
        "/i18n/setlang/",
        {"language": "en", "next": EXPLORER, "csrfmiddlewaretoken": token.group(1).decode()},
    )
    assert switched.status_code == 302
    english_page = visitor.get(EXPLORER)
    assert english_page["Content-Language"] == "en" and english_page["X-Cache"] == "miss"
    # A new visitor without a CSRF cookie gets one with the cached page.
    newcomer = Client(enforce_csrf_checks=True).get(EXPLORER)
    assert newcomer["X-Cache"] == "hit" and settings.CSRF_COOKIE_NAME in newcomer.cookies
    # Its ETag is bound to the visitor's cookie: a 304 only to the same cookie.
    etag = second["ETag"]
    assert visitor.get(EXPLORER, HTTP_IF_NONE_MATCH=etag).status_code == 200  # now English
    assert Client().get(EXPLORER, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_language_cookie_accept_and_htmx_are_separate_entries(portal: Path, client: Client) -> None:
    persian = client.get(EXPLORER)
    in_english = english().get(EXPLORER)
    assert (persian["X-Cache"], in_english["X-Cache"]) == ("miss", "miss")
    assert persian["Content-Language"] == "fa" and in_english["Content-Language"] == "en"
    assert client.get(EXPLORER)["Content-Language"] == "fa"
    assert english().get(EXPLORER)["Content-Language"] == "en"
    partial = client.get(EXPLORER, HTTP_HX_REQUEST="true")
    assert partial["X-Cache"] == "miss" and b"<html" not in partial.content
    assert client.get(EXPLORER, HTTP_HX_REQUEST="true").content == partial.content
    generic = client.get(SDMX, HTTP_ACCEPT=GENERIC)
    as_json = client.get(SDMX, HTTP_ACCEPT=SDMX_JSON)
    assert (generic["X-Cache"], as_json["X-Cache"]) == ("miss", "miss")
    assert generic["Content-Type"].startswith("application/vnd.sdmx.genericdata+xml")
    assert as_json["Content-Type"].startswith("application/vnd.sdmx.data+json")
    assert client.get(SDMX, HTTP_ACCEPT=SDMX_JSON).content == as_json.content
    assert len(response_cache.store) == 5


@pytest.mark.django_db
def test_personal_staff_and_error_responses_are_never_cached(
    portal: Path, client: Client, admin_client: Client
) -> None:
    # Signed in (a session cookie): rendered each time, never stored.
    for _ in range(2):
        staff_view = admin_client.get(EXPLORER)
        assert staff_view.status_code == 200 and "X-Cache" not in staff_view
    assert len(response_cache.store) == 0
    # Any other cookie (a session, pending messages) also passes the cache by.
    with_session = Client()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "anonymous-session"
    assert "X-Cache" not in with_session.get(EXPLORER)
    # Errors: an unknown table, a bad selection, a malformed key, an unpublished table.
    for url in (
        "/data/tables/NOTHING/",
        "/data/tables/LFS_RATES/?COUNTY=99",
        "/sdmx/rest/data/LFS_RATES/1.2.3.4.5",
        "/api/v2/tables/NOTHING/data",
        "/data/tables/LIT_CENSUS/",
    ):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code >= 400 and "X-Cache" not in response, url
    # Pages outside the published tables and APIs: staff, calendar, catalog.
    for url in ("/admin/", "/data/calendar/", "/data/"):
        assert "X-Cache" not in client.get(url)
    assert len(response_cache.store) == 0


@pytest.mark.django_db
def test_rate_limit_still_counts_cached_api_answers(portal: Path, client: Client) -> None:
    with override_settings(PORTAL_API_RATE="3/m"):
        statuses = [client.get(PXWEB).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def _corrected(table: StatTable, value: float) -> Release:
    cube = selectors.release_cube(selectors.table_release(table))
    key = ("1", "1", "_T", "1405")
    observations = {**cube.observations, key: replace(cube.observations[key], value=value)}
    return services.release_create(
        table=table,
        cube=replace(cube, observations=observations),
        scheduled_for=timezone.now() + dt.timedelta(hours=1),
        change_fa="اصلاح یک خانه",
        change_en="One cell corrected",
    )


POP_CELL = "/data/tables/POP_CENSUS/?COUNTY=1&SEX=1&AGE=_T"
POP_CSV = "/api/v2/tables/POP_CENSUS/data?valueCodes[COUNTY]=1&valueCodes[SEX]=1&outputFormat=csv"


@pytest.mark.django_db
def test_a_scheduled_version_is_never_served_and_a_published_one_is_at_once(
    portal: Path, client: Client, other_worker: None
) -> None:
    table = StatTable.objects.get(code="POP_CENSUS")
    before_page, before_csv = client.get(POP_CELL), client.get(POP_CSV)
    assert b'data-value="123456.0"' not in before_page.content
    release = _corrected(table, 123456.0)
    assert release.status == ReleaseStatus.SCHEDULED
    # Announced, not published: what is served is still version 1, from the cache or not.
    for _ in range(2):
        page, csv = client.get(POP_CELL), client.get(POP_CSV)
        assert b"123456" not in page.content and b"123456" not in csv.content
        assert TOKEN.sub(b"", page.content) == TOKEN.sub(b"", before_page.content)
        assert csv.content == before_csv.content
    # Published (by another worker: no signal here): the next request has version 2.
    services.release_publish(release=release, now=release.scheduled_for)
    page, csv = client.get(POP_CELL), client.get(POP_CSV)
    assert (page["X-Cache"], csv["X-Cache"]) == ("miss", "miss")
    assert b'data-value="123456.0"' in page.content and b"123456" in csv.content
    assert client.get(POP_CSV)["X-Cache"] == "hit"
    # The old version stays readable under its own link.
    old = client.get(POP_CELL + "&v=1")
    assert b"123456" not in old.content and b'id="not-latest"' in old.content


@pytest.mark.django_db
def test_a_table_before_its_first_release_is_never_cached(
    portal: Path, client: Client, other_worker: None
) -> None:
    release = Release.objects.get(table__code="LIT_CENSUS")
    for _ in range(2):
        assert client.get("/data/tables/LIT_CENSUS/").status_code == 404
        assert client.get("/api/v2/tables/LIT_CENSUS/data").status_code == 404
    services.releases_publish_due(now=release.scheduled_for + dt.timedelta(seconds=1))
    assert client.get("/data/tables/LIT_CENSUS/").status_code == 200
    assert client.get("/api/v2/tables/LIT_CENSUS/data").status_code == 200


@pytest.mark.django_db
def test_the_store_is_bounded_in_bytes(portal: Path, client: Client) -> None:
    with override_settings(PORTAL_RESPONSE_CACHE_BYTES=1):
        client.get(PXWEB)
        assert len(response_cache.store) == 0
    client.get(PXWEB)
    assert len(response_cache.store) == 1
