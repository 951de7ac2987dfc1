"""Kinds, phases, roles, states and error codes of statistical production."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectKind(models.TextChoices):
    CENSUS = "census", _("Census")
    SAMPLE_SURVEY = "sample_survey", _("Sample survey")
    ADMINISTRATIVE = "administrative", _("Statistic from administrative data")


class Phase(models.TextChoices):
    """The eight phases of UNECE GSBPM 5.1, in the standard's order."""

    SPECIFY_NEEDS = "specify_needs", _("Specify needs")
    DESIGN = "design", _("Design")
    BUILD = "build", _("Build")
    COLLECT = "collect", _("Collect")
    PROCESS = "process", _("Process")
    ANALYSE = "analyse", _("Analyse")
    DISSEMINATE = "disseminate", _("Disseminate")
    EVALUATE = "evaluate", _("Evaluate")


#: Phase number (GSBPM numbering, 1–8) by phase.
PHASE_NUMBER = {phase: number for number, phase in enumerate(Phase, start=1)}

#: How the office's service level agreement names each phase (its first paragraph).
SLA_WORDING = {
    Phase.SPECIFY_NEEDS: _("Necessity review and planning"),
    Phase.DESIGN: _("Design"),
    Phase.BUILD: _("Preparation"),
    Phase.COLLECT: _("Data collection"),
    Phase.PROCESS: _("Data processing and extraction of results"),
    Phase.ANALYSE: _("Quality evaluation of the results"),
    Phase.DISSEMINATE: _("Publication and dissemination"),
    Phase.EVALUATE: _("Documentation and evaluation"),
}


class PhaseState(models.TextChoices):
    LOCKED = "locked", _("Not yet open")
    OPEN = "open", _("In progress")
    SIGNED_OFF = "signed_off", _("Signed off")


class ItemState(models.TextChoices):
    """A checklist item's state; only done and not applicable let a phase be signed off."""

    PENDING = "pending", _("To do")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    BLOCKED = "blocked", _("Blocked")


#: States that need a written reason.
REASONED_ITEM_STATES = {ItemState.NOT_APPLICABLE, ItemState.BLOCKED}
#: States a phase may be signed off with.
RESOLVED_ITEM_STATES = {ItemState.DONE, ItemState.NOT_APPLICABLE}


class TeamRole(models.TextChoices):
    PROJECT_MANAGER = "project_manager", _("Project manager")
    METHODOLOGIST = "methodologist", _("Methodologist")
    FIELD_MANAGER = "field_manager", _("Field manager")
    DATA_PROCESSOR = "data_processor", _("Data processor")
    DISSEMINATOR = "disseminator", _("Disseminator")
    SUPERVISOR = "supervisor", _("Supervisor (statistics office)")


class ArtefactKind(models.TextChoices):
    NEEDS_ASSESSMENT = "needs_assessment", _("Needs assessment and necessity review")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire (XLSForm)")
    SAMPLE_DESIGN = "sample_design", _("Sample design")
    SAMPLING_FRAME = "sampling_frame", _("Sampling frame")
    SAMPLE = "sample", _("Drawn sample")
    DATASET = "dataset", _("Collected dataset")
    MICRODATA = "microdata", _("Processed microdata with weights")
    ESTIMATES = "estimates", _("Estimates and tables with quality indicators")
    RELEASE = "release", _("Release")
    QUALITY_REPORT = "quality_report", _("Quality report")
    LESSONS_LEARNED = "lessons_learned", _("Lessons learned")
    OTHER = "other", _("Other document")


#: The artefacts each phase is expected to produce (the page suggests these first).
PHASE_ARTEFACTS = {
    Phase.SPECIFY_NEEDS: (ArtefactKind.NEEDS_ASSESSMENT,),
    Phase.DESIGN: (ArtefactKind.QUESTIONNAIRE, ArtefactKind.SAMPLE_DESIGN),
    Phase.BUILD: (ArtefactKind.SAMPLING_FRAME, ArtefactKind.SAMPLE),
    Phase.COLLECT: (ArtefactKind.DATASET,),
    Phase.PROCESS: (ArtefactKind.MICRODATA,),
    Phase.ANALYSE: (ArtefactKind.ESTIMATES,),
    Phase.DISSEMINATE: (ArtefactKind.RELEASE,),
    Phase.EVALUATE: (ArtefactKind.QUALITY_REPORT, ArtefactKind.LESSONS_LEARNED),
}


class PlanStatus(models.TextChoices):
    """An agency plan's place in the office's review."""

    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


#: Statuses in which the office owes the next step (review deadline runs).
PLAN_WAITING_FOR_OFFICE = {PlanStatus.SUBMITTED, PlanStatus.UNDER_REVIEW, PlanStatus.RESUBMITTED}


class ReviewDecision(models.TextChoices):
    CHANGES_REQUESTED = "changes_requested", _("Request changes")
    APPROVED = "approved", _("Approve")
    REJECTED = "rejected", _("Reject")


class CriterionVerdict(models.TextChoices):
    MEETS = "meets", _("Meets the standard")
    CHANGE = "change", _("Change needed")


class AuditAction(models.TextChoices):
    PROJECT_CREATED = "project_created", _("Project created")
    PROJECT_CHANGED = "project_changed", _("Project changed")
    MEMBER_ADDED = "member_added", _("Team member added")
    MEMBER_REMOVED = "member_removed", _("Team member removed")
    ITEM_CHANGED = "item_changed", _("Checklist item changed")
    ARTEFACT_ADDED = "artefact_added", _("Artefact added")
    PHASE_SIGNED_OFF = "phase_signed_off", _("Phase signed off")
    PHASE_OPENED = "phase_opened", _("Phase opened")
    PHASE_REOPENED = "phase_reopened", _("Phase reopened")
    PHASE_LOCKED = "phase_locked", _("Phase locked again")
    PHASE_RESCHEDULED = "phase_rescheduled", _("Phase dates changed")
    TEMPLATE_DRAFTED = "template_drafted", _("Checklist template version drafted")
    TEMPLATE_PUBLISHED = "template_published", _("Checklist template published")
    PLAN_SUBMITTED = "plan_submitted", _("Plan submitted")
    PLAN_REVIEW_STARTED = "plan_review_started", _("Review started")
    PLAN_DECIDED = "plan_decided", _("Review decided")
    PLAN_RESUBMITTED = "plan_resubmitted", _("Plan resubmitted")
    PLAN_BECAME_PROJECT = "plan_became_project", _("Plan became a project")
    RECORD_ADDED = "record_added", _("Record added in the back-office")
    RECORD_CHANGED = "record_changed", _("Record changed in the back-office")
    RECORD_DELETED = "record_deleted", _("Record deleted in the back-office")


class ProductionErrorCode(models.TextChoices):
    """Machine-readable reasons a production rule refused a change."""

    PHASE_NOT_OPEN = "phase_not_open", _("The phase is not open")
    PREVIOUS_NOT_SIGNED_OFF = "previous_not_signed_off", _("The previous phase is not signed off")
    CHECKLIST_UNRESOLVED = "checklist_unresolved", _("Checklist items are unresolved")
    WRONG_ROLE = "wrong_role", _("Wrong role")
    REASON_REQUIRED = "reason_required", _("A reason is required")
    NOT_SIGNED_OFF = "not_signed_off", _("The phase is not signed off")
    INVALID_XLSFORM = "invalid_xlsform", _("Invalid XLSForm")
    INVALID_TRANSITION = "invalid_transition", _("Not allowed in this status")
    COMMENT_REQUIRED = "comment_required", _("A comment is required")
    INVALID_INPUT = "invalid_input", _("Invalid provenance input")


class DeliveryChannel(models.TextChoices):
    """Where a notification goes besides the site's own inbox."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed after every retry")
