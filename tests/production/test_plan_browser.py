"""An agency's plan from submission to project, in Persian, in Debian's headless Chromium.

The agency submits a plan with its XLSForm, an officer asks for a change on one
criterion, the agency resubmits, the officer approves, and the new project shows in
the portfolio.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from production_support import PASSWORD, PLAN_POST, VALID_FORM, YES_NO, build_xlsform, make_user
from pytest_django.live_server_helper import LiveServer

from amargah.production.models import Agency, AgencyAccount, AgencyPlan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(
    browser: Browser, live_server: LiveServer, username: str
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="fa-IR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/production/")
    # Not signed in: the production sign-in page, in Persian.
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="ورود به سامانهٔ تولید آمار")).to_be_visible()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("heading", name="کارپوشهٔ تولید آمار")).to_be_visible()
    return context, page


def test_agency_plan_from_submission_to_project(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    health = Agency.objects.create(
        code="health-university",
        name_fa="دانشگاه علوم پزشکی سمنان",
        name_en="Semnan University of Medical Sciences",
    )
    AgencyAccount.objects.create(user=make_user("health"), agency=health)
    make_user("officer", "review_plan", "work_in_office")
    form = tmp_path / "health.xlsx"
    form.write_bytes(build_xlsform(VALID_FORM, choices=YES_NO))

    external: list[str] = []

    def watch(page: Page) -> None:
        page.on(
            "request",
            lambda request: (
                external.append(request.url)
                if not request.url.startswith(live_server.url)
                else None
            ),
        )

    # The agency submits its plan with the questionnaire.
    agency, agency_page = sign_in(browser, live_server, "health")
    watch(agency_page)
    agency_page.get_by_role("link", name="ارسال طرح آماری").click()
    for name in (
        "title",
        "objectives",
        "variables",
        "population",
        "sample_design",
        "timetable",
        "dissemination_plan",
        "starts_on",
        "ends_on",
    ):
        agency_page.fill(f"#id_{name}", PLAN_POST[name])
    agency_page.set_input_files("#id_questionnaire", str(form))
    agency_page.get_by_role("button", name="ارسال", exact=True).click()
    expect(agency_page.locator("#plan-status")).to_have_text("ارسال‌شده")
    expect(agency_page.locator("#questionnaires")).to_contain_text("health_spending")
    plan_url = agency_page.url
    plan = AgencyPlan.objects.get()

    # The officer takes it into review and asks for a change on one criterion.
    office, office_page = sign_in(browser, live_server, "officer")
    watch(office_page)
    expect(office_page.locator(f'tr[data-plan="{plan.pk}"]')).to_contain_text("ارسال‌شده")
    office_page.locator(f'tr[data-plan="{plan.pk}"] a').click()
    office_page.get_by_role("button", name="آغاز بررسی").click()
    expect(office_page.locator("#plan-status")).to_have_text("در حال بررسی")
    row = office_page.locator('#review-form tr[data-criterion="P4"]')
    row.get_by_label("نیاز به اصلاح دارد").check()
    row.locator("textarea").fill("حجم نمونه برای برآورد در سطح شهرستان کافی نیست.")
    office_page.select_option("#id_decision", "changes_requested")
    office_page.get_by_role("button", name="ثبت تصمیم").click()
    expect(office_page.locator("#plan-status")).to_have_text("نیازمند اصلاح")

    # The agency reads the comment and resubmits.
    agency_page.goto(plan_url)
    expect(agency_page.locator("#plan-status")).to_have_text("نیازمند اصلاح")
    agency_page.locator("#resubmit-link").click()
    expect(agency_page.locator("#requested-changes")).to_contain_text(
        "حجم نمونه برای برآورد در سطح شهرستان کافی نیست."
    )
    agency_page.fill("#id_sample_design", "دومرحله‌ای طبقه‌بندی‌شده، ۲۴۰۰ خانوار")
    agency_page.fill("#id_response", "حجم نمونه دو برابر شد تا برآورد شهرستانی ممکن شود.")
    agency_page.get_by_role("button", name="ارسال دوباره").click()
    expect(agency_page.locator("#plan-status")).to_have_text("دوباره ارسال‌شده")

    # The officer reviews again and approves; the plan becomes a project.
    office_page.goto(plan_url)
    office_page.get_by_role("button", name="آغاز بررسی").click()
    office_page.select_option("#id_decision", "approved")
    office_page.get_by_role("button", name="ثبت تصمیم").click()
    expect(office_page.locator("#plan-status")).to_have_text("تأییدشده")
    expect(office_page.locator("#plan-project")).to_be_visible()
    office_page.get_by_role("link", name="کارپوشهٔ تولید آمار").first.click()
    project_row = office_page.locator(f'tr[data-project="plan-{plan.pk}"]')
    expect(project_row).to_contain_text(PLAN_POST["title"])
    expect(project_row).to_contain_text("طراحی")  # phase 1 signed off with the approval

    # The agency sees its new project too, and its stages on the project page.
    agency_page.goto(live_server.url + "/production/")
    agency_page.locator(f'tr[data-project="plan-{plan.pk}"] a').click()
    expect(agency_page.locator("#phase-1")).to_have_attribute("data-state", "signed_off")
    expect(agency_page.locator("#phase-2")).to_have_attribute("data-state", "open")
    expect(agency_page.locator("#phase-2 .artefacts")).to_contain_text("questionnaire")
    agency.close()
    office.close()
    assert external == []
