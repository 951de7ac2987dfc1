"""An agency's plan through the office's review, over HTTP, until it becomes a project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from production_support import PLAN_POST, People, build_xlsform

from amargah.production import services
from amargah.production.choices import (
    ArtefactKind,
    AuditAction,
    CriterionVerdict,
    PhaseState,
    PlanStatus,
    ReviewDecision,
    TeamRole,
)
from amargah.production.models import (
    AgencyPlan,
    AuditEvent,
    Notification,
    PlanCriterion,
    PlanReview,
)


def verdicts(plan: AgencyPlan, **changes: str) -> dict[str, str]:
    """POST data of a review: every criterion meets the standard but those in ``changes``."""
    data: dict[str, str] = {}
    for criterion in PlanCriterion.objects.filter(template=plan.template):
        comment = changes.get(criterion.code, "")
        data[f"verdict_{criterion.pk}"] = (
            CriterionVerdict.CHANGE if comment else CriterionVerdict.MEETS
        )
        data[f"comment_{criterion.pk}"] = comment
    return data


def test_the_whole_review_workflow_over_http(
    people: People, valid_xlsform: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    agency, office = Client(), Client()
    agency.force_login(people.agency_user)
    office.force_login(people.officer)

    # E-mails leave only once the submission is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = agency.post(
            "/production/plans/new/",
            {**PLAN_POST, "questionnaire": ContentFile(valid_xlsform, name="health.xlsx")},
        )
    assert response.status_code == 302
    plan = AgencyPlan.objects.get()
    assert response["Location"] == f"/production/plans/{plan.pk}/"
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.agency == people.agency
    # Jalali dates typed in Persian digits.
    assert plan.starts_on.isoformat() == "2026-11-22"
    questionnaire = plan.questionnaires.get()
    assert questionnaire.details["form_id"] == "health_spending"
    assert plan.deadline is not None
    assert Notification.objects.filter(recipient=people.officer).count() == 1
    assert [message.to for message in mail.outbox] == [["officer@x.invalid"]]

    # Deciding before the review starts is refused.
    response = office.post(
        f"/production/plans/{plan.pk}/decide/", {**verdicts(plan), "decision": "approved"}
    )
    assert response.status_code == 400
    assert office.post(f"/production/plans/{plan.pk}/review/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.UNDER_REVIEW

    # Requesting changes needs a reasoned comment on a criterion.
    response = office.post(
        f"/production/plans/{plan.pk}/decide/",
        {**verdicts(plan), "decision": "changes_requested"},
    )
    assert response.status_code == 400
    assert AgencyPlan.objects.get().status == PlanStatus.UNDER_REVIEW
    response = office.post(
        f"/production/plans/{plan.pk}/decide/",
        {
            **verdicts(plan, P4="حجم نمونه برای برآورد در سطح شهرستان کافی نیست."),
            "decision": "changes_requested",
            "summary": "یک مورد نیاز به اصلاح دارد.",
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED
    review = PlanReview.objects.get(plan=plan)
    comment = review.comments.get(verdict=CriterionVerdict.CHANGE)
    assert comment.criterion.code == "P4"
    assert review.comments.count() == PlanCriterion.objects.filter(template=plan.template).count()

    # The agency sees the comment and resubmits with a new questionnaire.
    page = agency.get(f"/production/plans/{plan.pk}/resubmit/").content.decode()
    assert "حجم نمونه برای برآورد در سطح شهرستان کافی نیست." in page
    response = agency.post(
        f"/production/plans/{plan.pk}/resubmit/",
        {
            **PLAN_POST,
            "sample_design": "دومرحله‌ای طبقه‌بندی‌شده، ۲۴۰۰ خانوار",
            "response": "حجم نمونه دو برابر شد.",
            "questionnaire": ContentFile(valid_xlsform, name="health-v2.xlsx"),
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RESUBMITTED
    assert plan.sample_design == "دومرحله‌ای طبقه‌بندی‌شده، 2400 خانوار"
    assert plan.questionnaires.count() == 2
    resubmitted = AuditEvent.objects.get(action=AuditAction.PLAN_RESUBMITTED)
    assert resubmitted.changes["sample_design"] == [
        "دومرحله‌ای طبقه‌بندی‌شده، 1200 خانوار",
        "دومرحله‌ای طبقه‌بندی‌شده، 2400 خانوار",
    ]
    assert resubmitted.reason == "حجم نمونه دو برابر شد."

    # Second round: approved; the plan becomes a project the office supervises.
    assert office.post(f"/production/plans/{plan.pk}/review/").status_code == 302
    response = office.post(
        f"/production/plans/{plan.pk}/decide/", {**verdicts(plan), "decision": "approved"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    project = plan.project
    assert project is not None and project.agency == people.agency
    phases = list(project.phases.order_by("number"))
    assert {phase.signoff_role for phase in phases} == {TeamRole.SUPERVISOR}
    assert phases[0].state == PhaseState.SIGNED_OFF
    assert phases[1].state == PhaseState.OPEN
    questionnaire_artefact = phases[1].artefacts.get()
    assert questionnaire_artefact.kind == ArtefactKind.QUESTIONNAIRE
    assert questionnaire_artefact.sha256 == plan.questionnaires.get(version=2).sha256
    assert [a.name for a in questionnaire_artefact.inputs.all()] == ["approved-plan"]

    portfolio = agency.get("/production/").content.decode()
    assert f'data-project="{project.code}"' in portfolio
    assert Notification.objects.filter(recipient=people.agency_user).count() == 4


def test_a_rejection_needs_a_reason_and_is_final(
    people: People, submit_plan: Callable[..., AgencyPlan]
) -> None:
    plan = submit_plan()
    services.plan_review_start(plan=plan, user=people.officer)
    all_meet = {
        criterion.pk: (CriterionVerdict.MEETS, "")
        for criterion in PlanCriterion.objects.filter(template=plan.template)
    }
    with pytest.raises(ValidationError):
        services.plan_decide(
            plan=plan, user=people.officer, decision=ReviewDecision.REJECTED, verdicts=all_meet
        )
    services.plan_decide(
        plan=plan,
        user=people.officer,
        decision=ReviewDecision.REJECTED,
        verdicts=all_meet,
        summary="این آمار را مرکز آمار ایران هر سال منتشر می‌کند.",
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REJECTED and plan.project is None
    with pytest.raises(ValidationError):
        services.plan_review_start(plan=plan, user=people.officer)


def test_a_plan_with_open_changes_cannot_be_approved(
    people: People, submit_plan: Callable[..., AgencyPlan]
) -> None:
    plan = submit_plan()
    services.plan_review_start(plan=plan, user=people.officer)
    criteria = list(PlanCriterion.objects.filter(template=plan.template))
    mixed = {criterion.pk: (CriterionVerdict.MEETS, "") for criterion in criteria}
    mixed[criteria[0].pk] = (CriterionVerdict.CHANGE, "هدف روشن نیست")
    with pytest.raises(ValidationError):
        services.plan_decide(
            plan=plan, user=people.officer, decision=ReviewDecision.APPROVED, verdicts=mixed
        )
    assert AgencyPlan.objects.get(pk=plan.pk).status == PlanStatus.UNDER_REVIEW


def test_only_reviewers_review_and_only_the_agency_resubmits(
    client: Client, people: People, submit_plan: Callable[..., AgencyPlan]
) -> None:
    plan = submit_plan()
    client.force_login(people.agency_user)
    assert client.post(f"/production/plans/{plan.pk}/review/").status_code == 403
    client.force_login(people.manager)  # office staff without the review permission
    assert client.post(f"/production/plans/{plan.pk}/review/").status_code == 403
    assert AgencyPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED
    client.force_login(people.officer)
    assert client.get(f"/production/plans/{plan.pk}/resubmit/").status_code == 403
    # An office user cannot submit a plan: plans come from agencies.
    assert client.get("/production/plans/new/").status_code == 403


def test_an_invalid_questionnaire_on_resubmission_keeps_the_plan_as_it_was(
    client: Client, people: People, submit_plan: Callable[..., AgencyPlan]
) -> None:
    plan = submit_plan()
    services.plan_review_start(plan=plan, user=people.officer)
    criteria = list(PlanCriterion.objects.filter(template=plan.template))
    found = {criterion.pk: (CriterionVerdict.MEETS, "") for criterion in criteria}
    found[criteria[4].pk] = (CriterionVerdict.CHANGE, "پرسش بیمه گزینه ندارد")
    services.plan_decide(
        plan=plan, user=people.officer, decision=ReviewDecision.CHANGES_REQUESTED, verdicts=found
    )
    broken = build_xlsform([("select_one missing", "insured", "بیمه")])
    client.force_login(people.agency_user)
    response = client.post(
        f"/production/plans/{plan.pk}/resubmit/",
        {
            **PLAN_POST,
            "title": "عنوان تازه",
            "response": "گزینه‌ها افزوده شد",
            "questionnaire": ContentFile(broken, name="broken.xlsx"),
        },
    )
    assert response.status_code == 400
    assert "choices" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED
    assert plan.title == PLAN_POST["title"]
    assert plan.questionnaires.count() == 1
