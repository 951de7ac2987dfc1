"""Helpers shared by the production tests: people, XLSForms built with openpyxl, plan data."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import openpyxl
from django.contrib.auth.models import Permission, User

from amargah.production.models import Agency

PASSWORD = "a-long-test-password"


def build_xlsform(
    rows: Sequence[Sequence[str]],
    *,
    choices: Sequence[Sequence[str]] = (),
    form_id: str = "health_spending",
    title: str = "هزینه‌های سلامت خانوار",
) -> bytes:
    """An XLSForm workbook: a survey sheet, an optional choices sheet and settings."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    for row in rows:
        survey.append(list(row))
    if choices:
        sheet = book.create_sheet("choices")
        sheet.append(["list_name", "name", "label"])
        for row in choices:
            sheet.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_id", "form_title", "version"])
    settings.append([form_id, title, "2026112701"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


VALID_FORM = [
    ("integer", "hh_size", "تعداد اعضای خانوار"),
    ("select_one yn", "insured", "آیا خانوار بیمهٔ درمانی دارد؟"),
    ("decimal", "spending", "هزینهٔ درمان در ماه گذشته (ریال)"),
]
YES_NO = [("yn", "yes", "بله"), ("yn", "no", "خیر")]


def make_user(username: str, *permissions: str, email: str = "") -> User:
    user = User.objects.create_user(username, email=email, password=PASSWORD)
    for codename in permissions:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="production")
        )
    return User.objects.get(pk=user.pk)  # fresh permission cache


@dataclass
class People:
    officer: User  # reviews plans and supervises
    manager: User
    methodologist: User
    field_manager: User
    processor: User
    disseminator: User
    agency_user: User
    other_agency_user: User
    citizen: User
    agency: Agency
    other_agency: Agency


PLAN_POST = {
    "title": "آمارگیری هزینه‌های سلامت خانوار",
    "objectives": "برآورد سهم هزینه‌های سلامت از هزینهٔ خانوار در استان",
    "variables": "هزینهٔ درمان، بیمه، بُعد خانوار",
    "population": "خانوارهای معمولی ساکن استان سمنان",
    "sample_design": "دومرحله‌ای طبقه‌بندی‌شده، ۱۲۰۰ خانوار",
    "timetable": "گردآوری در پاییز ۱۴۰۵",
    "dissemination_plan": "گزارش و جدول‌ها در درگاه آمار استان",
    "starts_on": "۱۴۰۵/۰۹/۰۱",
    "ends_on": "۱۴۰۶/۰۶/۳۱",
}
