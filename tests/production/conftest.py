"""Seeded people of statistical production, a project with its team, plan submission."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from production_support import PLAN_POST, VALID_FORM, YES_NO, People, build_xlsform, make_user

from amargah.production import services
from amargah.production.choices import ProjectKind, TeamRole
from amargah.production.models import Agency, AgencyAccount, AgencyPlan, Project


@pytest.fixture
def valid_xlsform() -> bytes:
    return build_xlsform(VALID_FORM, choices=YES_NO)


@pytest.fixture
def invalid_xlsform() -> bytes:
    # "integre" is a typing error pyxform refuses as an unknown question type.
    return build_xlsform([("integre", "hh_size", "تعداد اعضای خانوار")])


@pytest.fixture
def people(db: None) -> People:
    health = Agency.objects.create(
        code="health-university",
        name_fa="دانشگاه علوم پزشکی سمنان",
        name_en="Semnan University of Medical Sciences",
    )
    roads = Agency.objects.create(
        code="roads", name_fa="ادارهٔ کل راه و شهرسازی", name_en="Roads and Urban Development"
    )
    agency_user = make_user("health", email="health@example.invalid")
    AgencyAccount.objects.create(user=agency_user, agency=health)
    other = make_user("roads")
    AgencyAccount.objects.create(user=other, agency=roads)
    return People(
        officer=make_user("officer", "review_plan", "work_in_office", email="officer@x.invalid"),
        manager=make_user("manager", "work_in_office"),
        methodologist=make_user("methodologist", "work_in_office"),
        field_manager=make_user("field", "work_in_office"),
        processor=make_user("processor", "work_in_office"),
        disseminator=make_user("disseminator", "work_in_office"),
        agency_user=User.objects.get(pk=agency_user.pk),
        other_agency_user=User.objects.get(pk=other.pk),
        citizen=make_user("citizen"),
        agency=health,
        other_agency=roads,
    )


@pytest.fixture
def project(people: People) -> Project:
    """An office survey with its whole team, in phase 1."""
    return services.project_create(
        code="lfs-test",
        title_fa="آمارگیری نیروی کار (آزمایشی)",
        title_en="Labour force survey (test)",
        kind=ProjectKind.SAMPLE_SURVEY,
        owner=people.manager,
        starts_on=dt.date(2026, 3, 21),
        ends_on=dt.date(2027, 3, 20),
        results_expected_on=dt.date(2027, 3, 1),
        user=people.manager,
        team=[
            (people.manager, TeamRole.PROJECT_MANAGER),
            (people.methodologist, TeamRole.METHODOLOGIST),
            (people.field_manager, TeamRole.FIELD_MANAGER),
            (people.processor, TeamRole.DATA_PROCESSOR),
            (people.disseminator, TeamRole.DISSEMINATOR),
            (people.officer, TeamRole.SUPERVISOR),
        ],
    )


@pytest.fixture
def submit_plan(people: People, valid_xlsform: bytes) -> Callable[..., AgencyPlan]:
    def submit(user: User | None = None, title: str = PLAN_POST["title"]) -> AgencyPlan:
        content = services.PlanContent(
            title=title,
            objectives=PLAN_POST["objectives"],
            variables=PLAN_POST["variables"],
            population=PLAN_POST["population"],
            sample_design=PLAN_POST["sample_design"],
            timetable=PLAN_POST["timetable"],
            dissemination_plan=PLAN_POST["dissemination_plan"],
            starts_on=dt.date(2026, 11, 22),
            ends_on=dt.date(2027, 9, 22),
        )
        return services.plan_submit(
            user=user or people.agency_user,
            content=content,
            questionnaire=ContentFile(valid_xlsform, name="health.xlsx"),
        )

    return submit


@pytest.fixture(autouse=True)
def gsbpm_template(db: None) -> None:
    """The template the data migration installs, back if a transactional test flushed it."""
    from django.apps import apps

    from amargah.production.models import ChecklistTemplate

    if not ChecklistTemplate.objects.exists():
        migration = importlib.import_module(
            "amargah.production.migrations.0002_load_gsbpm_template_v1"
        )
        migration.load(apps, None)
