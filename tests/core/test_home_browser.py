"""The home page in Debian's headless Chromium: direction, language switch, Jalali date."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JALALI_MONTH = re.compile("فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند")


def test_persian_first_then_english_remembered(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            external.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    page.goto(live_server.url + "/")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fa")
    expect(html).to_have_attribute("dir", "rtl")
    today = page.locator("#today")
    expect(today).to_have_text(JALALI_MONTH)
    assert re.search("[۰-۹]{4}", today.inner_text())
    # Right to left: the brand sits at the right edge of the header.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand is not None and brand["x"] > 390 / 2
    # The self-hosted font is loaded and used.
    page.wait_for_function("document.fonts.status === 'loaded'")
    assert page.evaluate("document.fonts.check('16px Vazirmatn')")
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font.startswith('"Vazirmatn"') or font.startswith("Vazirmatn")

    # On a phone the menu is collapsed behind the toggler.
    page.locator(".navbar-toggler").click()
    # Bootstrap marks the menu "show" once it has finished opening: click the switch
    # then, as a person would, not while the menu is still sliding open
    expect(page.locator("#site-menu")).to_have_class(re.compile(r"\bshow\b"))
    page.locator("#language-switch").click()
    # the switch posts a form and the answer is a new page: wait for its language,
    # however slow a busy machine makes it, rather than for the five seconds of an
    # expect (nor for every font and script of the new page to load)
    expect(html).to_have_attribute("lang", "en", timeout=30_000)
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.locator("#today")).to_have_text(re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}$"))
    expect(page.get_by_role("heading", name="Free statistics")).to_be_visible()

    # A new page in the same browser remembers the choice.
    again = context.new_page()
    again.goto(live_server.url + "/")
    expect(again.locator("html")).to_have_attribute("lang", "en")
    context.close()
    assert external == []
