"""Read-only REST API of projects and plans, scoped by the same access rule as the pages.

Mounted at ``/production/api/`` (OpenAPI at ``/production/api/openapi.json``). It uses
the browser's session; a user sees through it exactly what the pages show.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from amargah.production import selectors
from amargah.production.choices import Phase
from amargah.production.models import AgencyPlan, Project

api = NinjaAPI(
    title="Amargah production API",
    version="1",
    # Nested in the app's URL namespace, where urls.py mounts it.
    urls_namespace="production:api",
    auth=django_auth,
    docs_url=None,
)


class PhaseOut(Schema):
    number: int
    phase: str
    state: str
    signoff_role: str
    planned_start: dt.date
    planned_end: dt.date
    opened_at: dt.datetime | None
    signed_off_at: dt.datetime | None


class ProjectOut(Schema):
    code: str
    title_fa: str
    title_en: str
    kind: str
    agency: str | None
    starts_on: dt.date
    ends_on: dt.date
    results_expected_on: dt.date | None
    current_phase: str | None
    phases: list[PhaseOut]


class ArtefactOut(Schema):
    id: int
    name: str
    version: int
    kind: str
    phase: str
    sha256: str
    size: int
    original_name: str
    produced_by: str
    produced_at: dt.datetime
    inputs: list[int]
    approved: bool


class PlanOut(Schema):
    id: int
    agency: str
    title: str
    status: str
    submitted_at: dt.datetime
    deadline: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    project: str | None


def _project(project: Project) -> ProjectOut:
    current = selectors.current_phase(project)
    return ProjectOut(
        code=project.code,
        title_fa=project.title_fa,
        title_en=project.title_en,
        kind=project.kind,
        agency=project.agency.code if project.agency else None,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        results_expected_on=project.results_expected_on,
        current_phase=Phase(current.phase).value if current else None,
        phases=[
            PhaseOut(
                number=phase.number,
                phase=phase.phase,
                state=phase.state,
                signoff_role=phase.signoff_role,
                planned_start=phase.planned_start,
                planned_end=phase.planned_end,
                opened_at=phase.opened_at,
                signed_off_at=phase.signed_off_at,
            )
            for phase in project.phases.order_by("number")
        ],
    )


def _plan(plan: AgencyPlan) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        agency=plan.agency.code,
        title=plan.title,
        status=plan.status,
        submitted_at=plan.submitted_at,
        deadline=plan.deadline,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        project=plan.project.code if plan.project else None,
    )


@api.get("/projects", response=list[ProjectOut])
def project_list(request: HttpRequest) -> list[ProjectOut]:
    """Projects the signed-in user may read."""
    projects = selectors.projects_for(request.user).select_related("agency").order_by("code")
    return [_project(project) for project in projects]


@api.get("/projects/{code}", response=ProjectOut)
def project_detail(request: HttpRequest, code: str) -> ProjectOut:
    return _project(selectors.access_project(request.user, code))


@api.get("/projects/{code}/artefacts", response=list[ArtefactOut])
def artefact_list(request: HttpRequest, code: str) -> list[ArtefactOut]:
    """A project's artefacts with their provenance: what each was made from, by whom, when.

    ``inputs`` are artefact ids, so a published number can be followed back to the
    questionnaire, the sample and the weights; ``approved`` tells whether a standing
    sign-off covers the version.
    """
    project = selectors.access_project(request.user, code)
    return [
        ArtefactOut(
            id=artefact.pk,
            name=artefact.name,
            version=artefact.version,
            kind=artefact.kind,
            phase=artefact.project_phase.phase,
            sha256=artefact.sha256,
            size=artefact.size,
            original_name=artefact.original_name,
            produced_by=artefact.produced_by.get_username(),
            produced_at=artefact.produced_at,
            inputs=[source.pk for source in artefact.inputs.all()],
            approved=artefact.pk in approved,
        )
        for approved in [selectors.approved_artefact_ids(project)]
        for artefact in selectors.project_artefacts(project)
    ]


@api.get("/plans", response=list[PlanOut])
def plan_list(request: HttpRequest) -> list[PlanOut]:
    """Agency plans the signed-in user may read."""
    return [_plan(plan) for plan in selectors.plans_for(request.user).order_by("pk")]


@api.get("/plans/{plan_id}", response=PlanOut)
def plan_detail(request: HttpRequest, plan_id: int) -> PlanOut:
    return _plan(selectors.access_plan(request.user, plan_id))
