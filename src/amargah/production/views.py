"""Pages of statistical production: portfolio, projects, plans, public study pages.

Every protected object comes through ``selectors.access_project`` or
``selectors.access_plan``; writes go through ``services``. A refused change renders
its page again with the reason and status 400, having changed nothing.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from amargah.production import selectors, services
from amargah.production.choices import (
    PHASE_ARTEFACTS,
    SLA_WORDING,
    ArtefactKind,
    ItemState,
    Phase,
    PhaseState,
    PlanStatus,
    ProjectKind,
    ReviewDecision,
    TeamRole,
)
from amargah.production.forms import (
    ArtefactForm,
    ChecklistForm,
    MemberForm,
    PlanForm,
    ProjectForm,
    ReopenForm,
    ResubmitForm,
    ReviewForm,
    SampleForm,
    ScheduleForm,
    SignOffForm,
)
from amargah.production.models import AgencyPlan, PlanCriterion, Project
from amargah.production.timeline import build_timeline

LOGIN_URL = reverse_lazy("production:login")
staff_only = login_required(login_url=LOGIN_URL)


def _user(request: HttpRequest) -> User:
    # Every caller sits behind login_required, so the user is a real account.
    return request.user  # type: ignore[return-value]


class LoginView(auth_views.LoginView):
    """Sign-in for office staff and agency accounts alike."""

    template_name = "production/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("production:portfolio")


@staff_only
def portfolio(request: HttpRequest) -> HttpResponse:
    """All projects and plans the user may see, with phase, next deadline and risks."""
    user = request.user
    plans = list(selectors.plan_rows(user))
    return render(
        request,
        "production/portfolio.html",
        {
            "rows": selectors.portfolio(user),
            "plans": [(plan, selectors.plan_is_overdue(plan)) for plan in plans],
            "is_office": selectors.is_office(user),
            "agency": selectors.agency_of(user),
            "notifications": selectors.notifications_for(user),
            "sla_wording": SLA_WORDING,
        },
    )


# ---------------------------------------------------------------------------
# Projects


def _project_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    user = request.user
    phases = selectors.project_phases(project)
    open_phase = next((phase for phase in phases if phase.state == PhaseState.OPEN), None)
    available = project.artefacts.order_by("project_phase__number", "name", "-version")
    if open_phase is not None:
        available = available.filter(project_phase__number__lte=open_phase.number)
    suggested = PHASE_ARTEFACTS[Phase(open_phase.phase)][0] if open_phase else ArtefactKind.OTHER
    context: dict[str, Any] = {
        "project": project,
        "phases": [
            (phase, SLA_WORDING[Phase(phase.phase)], Phase(phase.phase).label) for phase in phases
        ],
        "open_phase": open_phase,
        "members": project.members.select_related("user").order_by("role"),
        "can_work": selectors.can_work_on(user=user, project=project),
        "can_manage": selectors.can_manage(user=user, project=project),
        "item_states": ItemState.choices,
        "artefact_form": extra.pop("artefact_form", None)
        or ArtefactForm(available=available, initial={"kind": suggested}),
        "member_form": extra.pop("member_form", None) or MemberForm(),
        "sample_form": extra.pop("sample_form", None)
        or SampleForm(
            frames=selectors.frames(project=project, up_to=open_phase.number if open_phase else 0),
            initial={"strata": "stratum", "size": "households"},
        ),
        "has_frames": selectors.frames(
            project=project, up_to=open_phase.number if open_phase else 0
        ).exists(),
        "plan": getattr(project, "plan", None),
    }
    context.update(extra)
    return context


def _project_page(
    request: HttpRequest, project: Project, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "production/project.html",
        _project_context(request, project, **extra),
        status=status,
    )


def _refused(
    request: HttpRequest, project: Project, error: ValidationError, **extra: Any
) -> HttpResponse:
    return _project_page(request, project, status=400, errors=error.messages, **extra)


@staff_only
def project_new(request: HttpRequest) -> HttpResponse:
    """The office starts a project of its own."""
    if not selectors.is_office(request.user):
        raise PermissionDenied
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if Project.objects.filter(code=data["code"]).exists():
            form.add_error(
                "code", ValidationError(_("A project with this code already exists."), code="taken")
            )
        else:
            try:
                project = services.project_create(
                    code=data["code"],
                    title_fa=data["title_fa"],
                    title_en=data["title_en"],
                    kind=ProjectKind(data["kind"]),
                    owner=_user(request),
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    results_expected_on=data["results_expected_on"],
                    purpose=data["purpose"],
                    legal_basis=data["legal_basis"],
                    budget_line=data["budget_line"],
                    is_public=data["is_public"],
                    user=_user(request),
                    team=[(_user(request), TeamRole.PROJECT_MANAGER)],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("production:project", project.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "production/project_new.html", {"form": form}, status=status)


@staff_only
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    return _project_page(request, project)


@staff_only
@require_POST
def member_add(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    form = MemberForm(request.POST)
    if not form.is_valid():
        return _project_page(request, project, status=400, member_form=form)
    try:
        services.member_add(
            project=project,
            member=form.cleaned_data["username"],
            role=TeamRole(form.cleaned_data["role"]),
            actor=_user(request),
        )
    except ValidationError as error:
        return _refused(request, project, error)
    return redirect("production:project", project.code)


@staff_only
@require_POST
def checklist_mark(request: HttpRequest, code: str, entry_id: int) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    entry = project.phases.filter(entries__pk=entry_id).first()
    if entry is None:
        raise Http404
    checklist_entry = entry.entries.get(pk=entry_id)
    form = ChecklistForm(request.POST)
    if not form.is_valid():
        return _project_page(request, project, status=400, errors=_form_errors(form))
    try:
        services.checklist_mark(
            entry=checklist_entry,
            state=ItemState(form.cleaned_data["state"]),
            reason=form.cleaned_data["reason"],
            user=_user(request),
        )
    except ValidationError as error:
        return _refused(request, project, error)
    return redirect(reverse("production:project", args=[project.code]) + f"#item-{entry_id}")


def _form_errors(form: Any) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]


@staff_only
@require_POST
def artefact_add(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    phase = project.phases.filter(number=number).first()
    if phase is None:
        raise Http404
    available = project.artefacts.filter(project_phase__number__lte=number)
    form = ArtefactForm(request.POST, request.FILES, available=available)
    if not form.is_valid():
        return _project_page(request, project, status=400, artefact_form=form)
    upload = form.cleaned_data["file"]
    try:
        services.artefact_add(
            phase=phase,
            user=_user(request),
            kind=ArtefactKind(form.cleaned_data["kind"]),
            name=form.cleaned_data["name"],
            upload=upload,
            inputs=form.cleaned_data["inputs"],
            note=form.cleaned_data["note"],
            filename=upload.name,
        )
    except ValidationError as error:
        return _refused(request, project, error, artefact_form=form)
    return redirect(reverse("production:project", args=[project.code]) + f"#phase-{number}")


@staff_only
@require_POST
def sample_draw(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    phase = project.phases.filter(number=number).first()
    if phase is None:
        raise Http404
    form = SampleForm(request.POST, frames=selectors.frames(project=project, up_to=number))
    if not form.is_valid():
        return _project_page(request, project, status=400, sample_form=form)
    data = form.cleaned_data
    try:
        services.sample_draw(
            phase=phase,
            user=_user(request),
            frame=data["frame"],
            n=data["n"],
            strata=data["strata"],
            seed=data["seed"],
            method=data["method"],
            size=data["size"] or None,
            name=data["name"],
        )
    except ValidationError as error:
        return _refused(request, project, error, sample_form=form)
    return redirect(reverse("production:project", args=[project.code]) + f"#phase-{number}")


@staff_only
def artefact_download(request: HttpRequest, code: str, artefact_id: int) -> FileResponse:
    project = selectors.access_project(request.user, code)
    artefact = selectors.project_artefact(project=project, artefact_id=artefact_id)
    return FileResponse(
        artefact.file.open("rb"), as_attachment=True, filename=artefact.original_name
    )


@staff_only
@require_POST
def phase_sign_off(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    phase = project.phases.filter(number=number).first()
    if phase is None:
        raise Http404
    form = SignOffForm(request.POST)
    form.is_valid()
    try:
        services.phase_sign_off(
            phase=phase, user=_user(request), comment=form.cleaned_data.get("comment", "")
        )
    except ValidationError as error:
        return _refused(request, project, error)
    return redirect(reverse("production:project", args=[project.code]) + f"#phase-{number}")


@staff_only
@require_POST
def phase_reopen(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    phase = project.phases.filter(number=number).first()
    if phase is None:
        raise Http404
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _project_page(request, project, status=400, errors=_form_errors(form))
    try:
        services.phase_reopen(phase=phase, user=_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return _refused(request, project, error)
    return redirect(reverse("production:project", args=[project.code]) + f"#phase-{number}")


@staff_only
@require_POST
def phase_schedule(request: HttpRequest, code: str, number: int) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    phase = project.phases.filter(number=number).first()
    if phase is None:
        raise Http404
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _project_page(request, project, status=400, errors=_form_errors(form))
    try:
        services.phase_schedule(
            phase=phase,
            user=_user(request),
            planned_start=form.cleaned_data["planned_start"],
            planned_end=form.cleaned_data["planned_end"],
        )
    except ValidationError as error:
        return _refused(request, project, error)
    return redirect(reverse("production:project", args=[project.code]) + f"#phase-{number}")


@staff_only
def project_timeline(request: HttpRequest, code: str) -> HttpResponse:
    """The phases as a Gantt-style chart with Jalali months, planned against actual."""
    project = selectors.access_project(request.user, code)
    return render(
        request,
        "production/timeline.html",
        {"project": project, "timeline": build_timeline(project, today=timezone.localdate())},
    )


# ---------------------------------------------------------------------------
# Audit trail


AUDIT_COLUMNS = (
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "project",
    "plan",
    "field",
    "before",
    "after",
    "reason",
)


def _audit_csv(events: Any, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark lets spreadsheet programs read the Persian text as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(AUDIT_COLUMNS)
    for event in events.select_related("project", "plan"):
        base = [
            event.at.isoformat(),
            event.actor.get_username() if event.actor else "",
            event.action,
            event.object_type,
            event.object_id,
            event.object_label,
            event.project.code if event.project else "",
            event.plan_id or "",
        ]
        changes = sorted(event.changes.items()) or [("", ["", ""])]
        for field, (before, after) in changes:
            writer.writerow([*base, field, before, after, event.reason])
    return response


@staff_only
def project_audit(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors.access_project(request.user, code)
    events = selectors.audit_events(request.user, project=project)
    return _audit_csv(events, f"audit-{project.code}.csv")


@staff_only
def plan_audit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.access_plan(request.user, plan_id)
    events = selectors.audit_events(request.user, plan=plan)
    return _audit_csv(events, f"audit-plan-{plan.pk}.csv")


@staff_only
def audit_all(request: HttpRequest) -> HttpResponse:
    """Every change the user may see (the office: everything)."""
    return _audit_csv(selectors.audit_events(request.user), "audit-production.csv")


# ---------------------------------------------------------------------------
# Agency plans


def _criteria(plan: AgencyPlan) -> list[PlanCriterion]:
    return list(plan.template.criteria.order_by("order", "code"))


def _plan_page(
    request: HttpRequest, plan: AgencyPlan, *, status: int = 200, **extra: Any
) -> HttpResponse:
    user = request.user
    criteria = _criteria(plan)
    latest = selectors.plan_criteria_comments(plan)
    context: dict[str, Any] = {
        "plan": plan,
        "questionnaires": plan.questionnaires.order_by("-version"),
        "reviews": selectors.plan_reviews(plan),
        "criteria": [(criterion, latest.get(criterion.pk)) for criterion in criteria],
        "can_review": selectors.can_review(user),
        "is_agency": selectors.agency_of(user) == plan.agency,
        "overdue": selectors.plan_is_overdue(plan),
        "statuses": PlanStatus,
    }
    if context["can_review"] and plan.status == PlanStatus.UNDER_REVIEW:
        context["review_form"] = extra.pop("review_form", None) or ReviewForm(criteria=criteria)
    context.update(extra)
    return render(request, "production/plan.html", context, status=status)


@staff_only
def plan_new(request: HttpRequest) -> HttpResponse:
    """An agency account submits a plan with its XLSForm."""
    if selectors.agency_of(request.user) is None:
        raise PermissionDenied
    form = PlanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_submit(
                user=_user(request),
                content=form.content(),
                questionnaire=form.cleaned_data["questionnaire"],
            )
        except ValidationError as error:
            form.add_error("questionnaire" if error.code == "invalid_xlsform" else None, error)
        else:
            return redirect("production:plan", plan.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "production/plan_form.html", {"form": form}, status=status)


@staff_only
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.access_plan(request.user, plan_id)
    return _plan_page(request, plan)


@staff_only
@require_POST
def plan_review_start(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.access_plan(request.user, plan_id)
    try:
        services.plan_review_start(plan=plan, user=_user(request))
    except ValidationError as error:
        return _plan_page(request, plan, status=400, errors=error.messages)
    return redirect("production:plan", plan.pk)


@staff_only
@require_POST
def plan_decide(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.access_plan(request.user, plan_id)
    if not selectors.can_review(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST, criteria=_criteria(plan))
    if not form.is_valid():
        return _plan_page(request, plan, status=400, review_form=form)
    try:
        services.plan_decide(
            plan=plan,
            user=_user(request),
            decision=ReviewDecision(form.cleaned_data["decision"]),
            verdicts=form.verdicts(),
            summary=form.cleaned_data["summary"],
        )
    except ValidationError as error:
        return _plan_page(request, plan, status=400, review_form=form, errors=error.messages)
    return redirect("production:plan", plan.pk)


@staff_only
def plan_resubmit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.access_plan(request.user, plan_id)
    if selectors.agency_of(request.user) != plan.agency:
        raise PermissionDenied
    if request.method == "POST":
        form = ResubmitForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.plan_resubmit(
                    plan=plan,
                    user=_user(request),
                    content=form.content(),
                    response=form.cleaned_data["response"],
                    questionnaire=form.cleaned_data.get("questionnaire") or None,
                )
            except ValidationError as error:
                form.add_error("questionnaire" if error.code == "invalid_xlsform" else None, error)
            else:
                return redirect("production:plan", plan.pk)
        status = 400
    else:
        form = ResubmitForm(initial=ResubmitForm.initial_from(plan))
        status = 200
    comments = selectors.plan_criteria_comments(plan)
    return render(
        request,
        "production/plan_form.html",
        {
            "form": form,
            "plan": plan,
            "comments": [
                (criterion, comments[criterion.pk])
                for criterion in _criteria(plan)
                if criterion.pk in comments
            ],
        },
        status=status,
    )


@staff_only
def plan_questionnaire(request: HttpRequest, plan_id: int, version: int) -> FileResponse:
    plan = selectors.access_plan(request.user, plan_id)
    questionnaire = plan.questionnaires.filter(version=version).first()
    if questionnaire is None:
        raise Http404
    return FileResponse(
        questionnaire.file.open("rb"), as_attachment=True, filename=questionnaire.original_name
    )


# ---------------------------------------------------------------------------
# Public study pages


def studies(request: HttpRequest) -> HttpResponse:
    """Every public study with its current stage and when results are expected."""
    rows = [(project, selectors.current_phase(project)) for project in selectors.public_studies()]
    return render(request, "production/studies.html", {"rows": rows, "sla_wording": SLA_WORDING})


def study(request: HttpRequest, code: str) -> HttpResponse:
    """One study's public page: its stages in order, the current one, expected results."""
    project = selectors.public_study(code)
    phases = list(project.phases.order_by("number"))
    current = selectors.current_phase(project)
    return render(
        request,
        "production/study.html",
        {
            "project": project,
            "current": current,
            "phases": [(phase, SLA_WORDING[Phase(phase.phase)]) for phase in phases],
            "current_wording": SLA_WORDING[Phase(current.phase)] if current else None,
        },
    )
