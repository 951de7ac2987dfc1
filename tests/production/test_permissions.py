"""Who sees what: an agency only its own plans and projects, by URL and by the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from production_support import People

from amargah.production import services
from amargah.production.choices import CriterionVerdict, ReviewDecision
from amargah.production.models import AgencyPlan, PlanCriterion, Project


@pytest.fixture
def approved(people: People, submit_plan: Callable[..., AgencyPlan]) -> AgencyPlan:
    """A plan of the health university, approved, so it is also a project."""
    plan = submit_plan()
    services.plan_review_start(plan=plan, user=people.officer)
    services.plan_decide(
        plan=plan,
        user=people.officer,
        decision=ReviewDecision.APPROVED,
        verdicts={
            criterion.pk: (CriterionVerdict.MEETS, "")
            for criterion in PlanCriterion.objects.filter(template=plan.template)
        },
    )
    plan.refresh_from_db()
    return plan


def test_another_agency_cannot_read_the_plan_by_url(
    client: Client, people: People, approved: AgencyPlan
) -> None:
    assert approved.project is not None
    code = approved.project.code
    client.force_login(people.other_agency_user)
    for url in (
        f"/production/plans/{approved.pk}/",
        f"/production/plans/{approved.pk}/resubmit/",
        f"/production/plans/{approved.pk}/audit.csv",
        f"/production/plans/{approved.pk}/questionnaire/v1/",
        f"/production/projects/{code}/",
        f"/production/projects/{code}/timeline/",
        f"/production/projects/{code}/audit.csv",
        f"/production/projects/{code}/artefacts/{approved.project.artefacts.first().pk}/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/production/projects/{code}/phases/2/sign-off/")
    assert response.status_code == 404
    portfolio = client.get("/production/").content.decode()
    assert approved.title not in portfolio
    assert f'data-project="{code}"' not in portfolio
    # The same URLs answer the plan's own agency.
    client.force_login(people.agency_user)
    assert client.get(f"/production/plans/{approved.pk}/").status_code == 200
    assert client.get(f"/production/projects/{code}/").status_code == 200


def test_another_agency_cannot_read_the_plan_by_the_api(
    client: Client, people: People, approved: AgencyPlan
) -> None:
    assert approved.project is not None
    client.force_login(people.other_agency_user)
    assert client.get(f"/production/api/plans/{approved.pk}").status_code == 404
    assert client.get(f"/production/api/projects/{approved.project.code}").status_code == 404
    assert client.get("/production/api/plans").json() == []
    assert client.get("/production/api/projects").json() == []

    client.force_login(people.agency_user)
    plans = client.get("/production/api/plans").json()
    assert [plan["id"] for plan in plans] == [approved.pk]
    assert plans[0]["status"] == "approved"
    detail = client.get(f"/production/api/projects/{approved.project.code}").json()
    assert detail["current_phase"] == "design"
    assert [phase["state"] for phase in detail["phases"]][:3] == ["signed_off", "open", "locked"]


def test_an_agency_does_not_see_the_offices_projects(
    client: Client, people: People, project: Project, approved: AgencyPlan
) -> None:
    client.force_login(people.agency_user)
    assert client.get(f"/production/projects/{project.code}/").status_code == 404
    assert client.get(f"/production/api/projects/{project.code}").status_code == 404
    codes = [row["code"] for row in client.get("/production/api/projects").json()]
    assert codes == [approved.project.code]  # type: ignore[union-attr]
    # The office sees everything.
    client.force_login(people.officer)
    codes = [row["code"] for row in client.get("/production/api/projects").json()]
    assert sorted(codes) == sorted([project.code, approved.project.code])  # type: ignore[union-attr]


def test_strangers_get_the_login_page_or_401_and_citizens_nothing(
    client: Client, people: People, approved: AgencyPlan
) -> None:
    response = client.get(f"/production/plans/{approved.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/production/login/")
    assert client.get("/production/api/plans").status_code == 401
    client.force_login(people.citizen)
    assert client.get(f"/production/plans/{approved.pk}/").status_code == 404
    assert client.get("/production/api/plans").json() == []
    assert client.get("/production/audit.csv").content.decode("utf-8-sig").count("\n") == 1


def test_agency_accounts_sign_in_on_the_production_login(client: Client, people: People) -> None:
    page = client.get("/production/login/")
    assert page.status_code == 200
    response = client.post(
        "/production/login/", {"username": "health", "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/production/"
    assert client.get("/production/").status_code == 200


def test_public_pages_show_only_stages(client: Client, people: People, project: Project) -> None:
    services.artefact_add(
        phase=project.phases.get(number=1),
        user=people.manager,
        kind="needs_assessment",  # type: ignore[arg-type]
        name="secret-needs",
        upload=ContentFile(b"internal", name="needs.md"),
    )
    html = client.get(f"/production/studies/{project.code}/").content.decode()
    assert "بررسی ضرورت اجرا و برنامه‌ریزی" in html
    assert "secret-needs" not in html and "1.1" not in html
    assert (
        f'href="/production/studies/{project.code}/"'
        in client.get("/production/studies/").content.decode()
    )
    Project.objects.filter(pk=project.pk).update(is_public=False)
    assert client.get(f"/production/studies/{project.code}/").status_code == 404
    assert project.code not in client.get("/production/studies/").content.decode()


def test_the_agency_runs_its_project_and_only_the_office_signs_off(
    client: Client, people: People, approved: AgencyPlan
) -> None:
    project = approved.project
    assert project is not None
    design = project.phases.get(number=2)
    client.force_login(people.agency_user)
    # The agency's manager works on the phase …
    for entry in design.entries.all():
        response = client.post(
            f"/production/projects/{project.code}/items/{entry.pk}/", {"state": "done"}
        )
        assert response.status_code == 302
    # … but the office's supervisor signs it off.
    response = client.post(f"/production/projects/{project.code}/phases/2/sign-off/")
    assert response.status_code == 403
    client.force_login(people.officer)
    response = client.post(
        f"/production/projects/{project.code}/phases/2/sign-off/", {"comment": "نظارت شد"}
    )
    assert response.status_code == 302
    assert project.phases.get(number=2).state == "signed_off"
    assert project.phases.get(number=3).state == "open"
    # Another agency cannot even tick an item there.
    client.force_login(people.other_agency_user)
    entry = project.phases.get(number=3).entries.first()
    assert entry is not None
    response = client.post(
        f"/production/projects/{project.code}/items/{entry.pk}/", {"state": "done"}
    )
    assert response.status_code == 404
