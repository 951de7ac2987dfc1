"""Reads, already restricted to what the user may see.

Access is decided in one place: ``projects_for`` and ``plans_for`` say which projects
and plans a user may read, and ``access_project`` / ``access_plan`` fetch one of them
through those querysets or answer 404 (never 403, so identifiers cannot be probed).
Every view and API goes through them. The office sees everything; an agency account
sees its own agency's plans and projects only; anyone else sees nothing here (the
public study pages show public stages through ``public_studies``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from amargah.production.choices import (
    PLAN_WAITING_FOR_OFFICE,
    ArtefactKind,
    ItemState,
    PhaseState,
    PlanStatus,
    TeamRole,
)
from amargah.production.models import (
    Agency,
    AgencyPlan,
    Artefact,
    AuditEvent,
    ChecklistTemplate,
    Notification,
    PlanReview,
    Project,
    ProjectPhase,
)

UserLike = User | AbstractBaseUser | AnonymousUser


def agency_of(user: UserLike) -> Agency | None:
    """The agency whose account this is, or None for everyone else."""
    if not user.is_authenticated or not user.is_active:
        return None
    account = getattr(user, "agency_account", None)
    return account.agency if account is not None else None


def _perm(user: UserLike, permission: str) -> bool:
    return bool(cast(User, user).has_perm(permission))


def is_office(user: UserLike) -> bool:
    """A member of the statistics office's staff (never an agency account)."""
    if not user.is_authenticated or not user.is_active or agency_of(user) is not None:
        return False
    return _perm(user, "production.work_in_office") or _perm(user, "production.review_plan")


def can_review(user: UserLike) -> bool:
    return is_office(user) and _perm(user, "production.review_plan")


def has_role(*, user: UserLike, project: Project, role: TeamRole) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return project.members.filter(user_id=user.pk, role=role).exists()


def can_manage(*, user: UserLike, project: Project) -> bool:
    """Whether the user may change the team and the timetable: the project manager, or a
    supervisor of the office (one who may review plans)."""
    return can_review(user) or has_role(user=user, project=project, role=TeamRole.PROJECT_MANAGER)


def can_work_on(*, user: UserLike, project: Project) -> bool:
    """Whether the user may tick checklists and add artefacts: the team or the office."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_office(user) or project.members.filter(user_id=user.pk).exists()


# ---------------------------------------------------------------------------
# The access rule


def projects_for(user: UserLike) -> QuerySet[Project]:
    """Projects the user may read."""
    projects = Project.objects.all()
    if is_office(user):
        return projects
    agency = agency_of(user)
    if agency is not None:
        return projects.filter(agency=agency)
    return projects.none()


def plans_for(user: UserLike) -> QuerySet[AgencyPlan]:
    """Agency plans the user may read."""
    plans = AgencyPlan.objects.select_related("agency", "project")
    if is_office(user):
        return plans
    agency = agency_of(user)
    if agency is not None:
        return plans.filter(agency=agency)
    return plans.none()


def access_project(user: UserLike, code: str) -> Project:
    """The project ``code`` if the user may read it; 404 otherwise."""
    project = projects_for(user).select_related("agency", "template").filter(code=code).first()
    if project is None:
        raise Http404
    return project


def access_plan(user: UserLike, plan_id: int) -> AgencyPlan:
    """The plan ``plan_id`` if the user may read it; 404 otherwise."""
    plan = plans_for(user).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


# ---------------------------------------------------------------------------
# Templates, phases, artefacts


def template_current() -> ChecklistTemplate | None:
    """The newest published checklist template."""
    return ChecklistTemplate.objects.filter(published_at__isnull=False).order_by("-version").first()


def plan_reviewers() -> QuerySet[User]:
    """Active office users allowed to review plans."""
    users = User.objects.filter(is_active=True, agency_account__isnull=True)
    return users.filter(
        Q(is_superuser=True)
        | Q(
            user_permissions__codename="review_plan",
            user_permissions__content_type__app_label="production",
        )
        | Q(
            groups__permissions__codename="review_plan",
            groups__permissions__content_type__app_label="production",
        )
    ).distinct()


def latest_artefacts(*, phase: ProjectPhase) -> list[Artefact]:
    """The newest version of each artefact of a phase."""
    newest: dict[str, Artefact] = {}
    for artefact in phase.artefacts.order_by("name", "-version"):
        newest.setdefault(artefact.name, artefact)
    return list(newest.values())


def project_phases(project: Project) -> list[ProjectPhase]:
    """The project's phases in order, with checklists, artefacts and sign-offs."""
    return list(
        project.phases.order_by("number").prefetch_related(
            "entries__item",
            "entries__updated_by",
            Prefetch(
                "artefacts",
                queryset=Artefact.objects.order_by("name", "-version").prefetch_related("inputs"),
            ),
            "artefacts__produced_by",
            "signoffs__signed_by",
            "signoffs__artefacts",
        )
    )


def current_phase(project: Project) -> ProjectPhase | None:
    """The open phase, or the last one when every phase is signed off."""
    phases = list(project.phases.order_by("number"))
    for phase in phases:
        if phase.state == PhaseState.OPEN:
            return phase
    return phases[-1] if phases and phases[-1].state == PhaseState.SIGNED_OFF else None


def project_artefacts(project: Project) -> QuerySet[Artefact]:
    """Every version of every artefact of the project, in phase order, with provenance."""
    return (
        project.artefacts.select_related("project_phase", "produced_by")
        .prefetch_related("inputs")
        .order_by("project_phase__number", "name", "version")
    )


def frames(*, project: Project, up_to: int) -> QuerySet[Artefact]:
    """Sampling frame artefacts of the project from phases up to ``up_to``."""
    return project.artefacts.filter(
        kind=ArtefactKind.SAMPLING_FRAME, project_phase__number__lte=up_to
    ).order_by("name", "-version")


def approved_artefact_ids(project: Project) -> set[int]:
    """Artefact versions covered by a sign-off that still stands."""
    return set(
        Artefact.objects.filter(
            project=project, signoffs__superseded_at__isnull=True, signoffs__isnull=False
        ).values_list("pk", flat=True)
    )


def project_artefact(*, project: Project, artefact_id: int) -> Artefact:
    artefact = project.artefacts.filter(pk=artefact_id).first()
    if artefact is None:
        raise Http404
    return artefact


# ---------------------------------------------------------------------------
# The portfolio


@dataclass(frozen=True)
class PortfolioRow:
    """A project with what the head of office needs at a glance."""

    project: Project
    phase: ProjectPhase | None
    signed_off: int
    next_deadline: dt.date | None
    overdue: bool
    blocked: int
    risks: list[str]


def portfolio(user: UserLike, *, today: dt.date | None = None) -> list[PortfolioRow]:
    """Every project the user may read, with its phase, next deadline and risks."""
    today = today or timezone.localdate()
    rows: list[PortfolioRow] = []
    projects = projects_for(user).select_related("agency").prefetch_related("phases__entries")
    for project in projects:
        phases = sorted(project.phases.all(), key=lambda phase: phase.number)
        open_phase = next((phase for phase in phases if phase.state == PhaseState.OPEN), None)
        signed = sum(phase.state == PhaseState.SIGNED_OFF for phase in phases)
        blocked = (
            sum(entry.state == ItemState.BLOCKED for entry in open_phase.entries.all())
            if open_phase
            else 0
        )
        deadline = open_phase.planned_end if open_phase else None
        overdue = deadline is not None and deadline < today
        risks = []
        if overdue:
            risks.append("overdue")
        if blocked:
            risks.append("blocked")
        if any(phase.reopen_count for phase in phases):
            risks.append("reopened")
        rows.append(
            PortfolioRow(
                project=project,
                phase=open_phase or (phases[-1] if signed == len(phases) and phases else None),
                signed_off=signed,
                next_deadline=deadline,
                overdue=overdue,
                blocked=blocked,
                risks=risks,
            )
        )
    return rows


def plan_rows(user: UserLike) -> QuerySet[AgencyPlan]:
    """Plans the user may read, the ones waiting longest first."""
    return plans_for(user).order_by("deadline", "-submitted_at")


def plan_is_overdue(plan: AgencyPlan, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    waiting = plan.status in PLAN_WAITING_FOR_OFFICE or plan.status == PlanStatus.CHANGES_REQUESTED
    return waiting and plan.deadline is not None and plan.deadline < today


def plan_reviews(plan: AgencyPlan) -> QuerySet[PlanReview]:
    return plan.reviews.order_by("-round").prefetch_related("comments__criterion")


def plan_criteria_comments(plan: AgencyPlan) -> dict[int, tuple[str, str]]:
    """The latest decided round's verdict and comment per criterion id."""
    review = plan.reviews.filter(decided_at__isnull=False).order_by("-round").first()
    if review is None:
        return {}
    return {
        comment.criterion_id: (comment.verdict, comment.comment)
        for comment in review.comments.all()
    }


# ---------------------------------------------------------------------------
# Public pages, audit, notifications


def public_studies() -> QuerySet[Project]:
    """Projects shown to everyone (their stages and expected results only)."""
    return (
        Project.objects.filter(is_public=True)
        .select_related("agency")
        .order_by("results_expected_on", "code")
    )


def public_study(code: str) -> Project:
    project = public_studies().filter(code=code).first()
    if project is None:
        raise Http404
    return project


def audit_events(
    user: UserLike, *, project: Project | None = None, plan: AgencyPlan | None = None
) -> QuerySet[AuditEvent]:
    """Audit events the user may read: a project's or plan's, or (office) all of them."""
    events = AuditEvent.objects.select_related("actor").order_by("at", "id")
    if project is not None:
        return events.filter(project=project)
    if plan is not None:
        return events.filter(Q(plan=plan) | Q(project__plan=plan))
    if is_office(user):
        return events
    return events.filter(Q(project__in=projects_for(user)) | Q(plan__in=plans_for(user)))


def notifications_for(user: UserLike, *, limit: int = 20) -> Iterable[Notification]:
    if not user.is_authenticated:
        return []
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")[:limit]
