"""The whole desk journey in Debian's headless Chromium, in Persian.

A citizen submits a complaint and sees the code, looks it up with the mobile number,
an officer answers it from the back-office, the citizen rates the answer, and the
public performance page counts the rating.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.auth.models import Group, User
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from amargah.core.persian import to_persian_digits
from amargah.desk.models import SurveyResponse, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSIAN_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def solve_captcha(page: Page) -> None:
    key = page.locator('input[name="captcha_0"]').input_value()
    answer = CaptchaStore.objects.get(hashkey=key).response
    page.locator('input[name="captcha_1"]').fill(to_persian_digits(answer))


def test_complaint_lookup_answer_rating_and_report(
    browser: Browser, live_server: LiveServer, settings: object
) -> None:
    settings.DESK_FORM_MIN_SECONDS = 0  # type: ignore[attr-defined]
    # The CAPTCHA is adaptive; asked of everyone here so the journey types a Persian answer.
    settings.DESK_CAPTCHA_AFTER = "0/h"  # type: ignore[attr-defined]
    officer = User.objects.create_user("officer-b", password="secret-pass-123")
    officer.groups.add(Group.objects.get(name="officer"))
    external: list[str] = []
    context = browser.new_context(locale="fa-IR")
    page = context.new_page()
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else external.append(request.url)
        ),
    )

    # 1. A complaint in Persian, with Persian digits and Arabic letters.
    page.goto(live_server.url + "/desk/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#go-complaint").click()
    # Nothing pushes a right-to-left page wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("نام و نام خانوادگی").fill("مريم كاظمی")
    page.get_by_label("شماره همراه").fill("۰۹۱۲۱۲۳۴۵۶۷")
    page.get_by_label("موضوع").fill("خطا در جدول جمعیت")
    page.get_by_label("چه اتفاقی افتاده است؟").fill("ستون مجموع جدول درست نیست.")
    expect(page.locator("img.captcha")).to_be_visible()
    solve_captcha(page)
    page.locator("#submit").click()
    shown = page.locator("#tracking-code")
    expect(shown).to_have_text(re.compile(r"^[۰-۹]{4}-[۰-۹]{4}-[۰-۹]{4}$"))
    code = shown.inner_text().translate(PERSIAN_TO_ASCII).replace("-", "")
    ticket = Ticket.objects.get(tracking_code=code)
    assert ticket.full_name == "مریم کاظمی"

    # 2. Follow-up with the code and the mobile.
    page.goto(live_server.url + "/desk/track/")
    page.get_by_label("کد رهگیری").fill(to_persian_digits(code))
    page.get_by_label("شماره همراه").fill("09121234567")
    page.locator("#lookup").click()
    expect(page.locator("#status")).to_have_text("جدید")
    expect(page.locator("#no-replies")).to_be_visible()

    # 3. An officer signs in and answers from the back-office.
    staff = context.new_page()
    staff.goto(live_server.url + "/desk/staff/")
    staff.locator("#id_username").fill("officer-b")
    staff.locator("#id_password").fill("secret-pass-123")
    staff.locator("#sign-in").click()
    expect(staff.locator("#queue")).to_contain_text(to_persian_digits(code))
    staff.locator(f'a[href="/desk/staff/{ticket.pk}/"]').click()
    staff.locator("#id_body").fill("جدول اصلاح شد. از گزارش شما سپاسگزاریم.")
    staff.locator("#id_status").select_option("answered")
    staff.locator("#reply-submit").click()
    expect(staff.locator("#status")).to_have_text("پاسخ داده شده")
    expect(staff.locator("#audit")).to_contain_text("پاسخ عمومی")

    # 4. The requester sees the answer and rates it.
    page.reload()
    expect(page.locator("#status")).to_have_text("پاسخ داده شده")
    expect(page.locator(".desk-message")).to_contain_text("جدول اصلاح شد")
    page.locator("#rate").get_by_label("خیلی راضی").check()
    page.locator("#rate-submit").click()
    expect(page.locator("#rated")).to_be_visible()
    assert SurveyResponse.objects.get(ticket=ticket).score == 5

    # 5. The public performance page counts it.
    page.goto(live_server.url + "/desk/performance/")
    expect(page.locator("#received-total")).to_have_text("۱")
    expect(page.locator("#csat")).to_contain_text("۱۰۰٫۰٪")
    expect(page.locator("#chart")).to_be_visible()
    context.close()
    assert external == []


PUBLIC_PAGES = [
    "/desk/",
    "/desk/request/",
    "/desk/complaint/",
    "/desk/suggestion/",
    "/desk/survey/",
    "/desk/track/",
    "/desk/performance/",
]


def test_every_public_page_renders_right_to_left_on_a_phone(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(locale="fa-IR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else external.append(request.url)
        ),
    )
    for path in PUBLIC_PAGES:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        # Headings sit at the right edge, and nothing is wider than the phone.
        heading = page.locator("main h1").bounding_box()
        assert heading is not None and heading["x"] + heading["width"] > 390 * 0.8, path
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        page.screenshot(path=str(Path(settings.DATA_DIR) / f"desk{path.replace('/', '_')}.png"))
    context.close()
    assert external == []
