"""The site shell through HTTP: Persian first, English on request, every asset our own."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from django.conf import settings
from django.test import Client

from amargah.core.context_processors import navigation, navigation_entries

URL_ATTRIBUTE = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"']+)["']""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
ABSOLUTE_URL = re.compile(r"""https?://[^\s"'<>)]+""")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_home_is_persian_and_right_to_left_by_default(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    assert "خدمات" in html or "آمار" in html
    assert response["Content-Language"] == "fa"


@pytest.mark.django_db
def test_language_switch_remembers_english(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "bootstrap.min.css" in html
    assert "Free statistics" in html
    # and back to Persian
    client.post("/i18n/setlang/", {"language": "fa", "next": "/"})
    assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_persian(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert '<html lang="fa" dir="rtl">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_navigation_links_only_to_pages_that_exist(client: Client) -> None:
    for place in ("navigation", "footer_navigation"):
        items = navigation("/", place=place)
        assert len(items) == len(navigation_entries(place=place)) >= 1
        for item in items:
            assert client.get(str(item["url"])).status_code == 200, item["url"]
    # The header menu stays short enough for a phone.
    assert len(navigation("/")) <= 7


def local_urls(client: Client, page: str) -> tuple[list[str], list[str]]:
    """Every URL a page and its stylesheets refer to, split into external and local."""
    html = client.get(page).content.decode()
    external = [url for url in ABSOLUTE_URL.findall(html) if urlparse(url).hostname != "testserver"]
    local = [url for url in URL_ATTRIBUTE.findall(html) if not url.startswith(("#", "mailto:"))]
    for stylesheet in [url for url in local if url.endswith(".css")]:
        response = client.get(stylesheet)
        assert response.status_code == 200, stylesheet
        css = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        response.close()
        # Comments (licence headers) are never fetched; everything else may be.
        css = CSS_COMMENT.sub("", css)
        # SVG namespace identifiers in data: URIs are names, not requests.
        external += [url for url in ABSOLUTE_URL.findall(css) if "www.w3.org/2000/svg" not in url]
        local += [
            urljoin(stylesheet, url) for url in CSS_URL.findall(css) if not url.startswith("data:")
        ]
    return external, local


@pytest.mark.django_db
@pytest.mark.parametrize("make_client", [Client, english_client], ids=["fa", "en"])
def test_every_asset_is_served_by_the_site(make_client: type[Client]) -> None:
    client = make_client()
    external, local = local_urls(client, "/")
    assert external == []
    assert any("Vazirmatn" in url for url in local)
    for url in local:
        if url.startswith("/static/"):
            response = client.get(url)
            response.close()  # WhiteNoise streams the file; close it
            assert response.status_code == 200, url


@pytest.mark.django_db
def test_persian_page_has_no_english_text(client: Client) -> None:
    html = client.get("/").content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", body)
    latin_words = set(re.findall(r"[A-Za-z]{3,}", text))
    # The switch names the other language in that language.
    assert latin_words <= {"English"}, latin_words


@pytest.mark.django_db
def test_today_is_shown_in_jalali_with_persian_digits(client: Client) -> None:
    html = client.get("/").content.decode()
    today = re.search(r'id="today">([^<]+)<', html)
    assert today is not None
    assert re.search(r"[۰-۹]{4}$", today.group(1).strip())
    assert re.search(
        r"(فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند)", today.group(1)
    )


@pytest.mark.django_db
def test_home_shows_studies_from_the_loaded_demo_world(
    client: Client, settings: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from amargah.demo.world import build_world

    manifest = build_world(tmp_path, seed=7, scale=0.01)
    settings.DEMO_WORLD_DIR = tmp_path  # type: ignore[attr-defined]
    html = client.get("/").content.decode()
    assert 'id="study-census"' in html
    persons = f"{manifest.rows['census_persons']:,}".replace(",", "٬")
    assert persons.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in html


@pytest.mark.django_db
def test_home_says_when_no_study_is_loaded(
    client: Client, settings: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings.DEMO_WORLD_DIR = tmp_path / "empty"  # type: ignore[attr-defined]
    assert 'id="no-studies"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_our_catalog_wins_over_djangos(client: Client) -> None:
    # Django's admin catalog translates "Home" as "شروع"; the site says "خانه".
    html = client.get("/").content.decode()
    assert ">خانه</a>" in html
