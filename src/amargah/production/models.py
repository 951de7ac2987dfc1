"""Statistical production: projects through the GSBPM phases, and agencies' plans.

A project follows a pinned version of the office's checklist template; its phases open
one after the other (the rule lives in ``services``), each with its checklist, its
versioned artefacts and its sign-offs. Agencies submit plans that the office reviews;
an approved plan becomes a project. Every change is an ``AuditEvent``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from amargah.production.choices import (
    PHASE_NUMBER,
    SLA_WORDING,
    ArtefactKind,
    AuditAction,
    CriterionVerdict,
    DeliveryChannel,
    DeliveryStatus,
    ItemState,
    Phase,
    PhaseState,
    PlanStatus,
    ProjectKind,
    ReviewDecision,
    TeamRole,
)


def artefact_storage() -> Storage:
    """Where artefact files live: ``STORE_DIR/production`` when a store is configured.

    A callable, so migrations do not freeze a deployment's path.
    """
    store = getattr(settings, "STORE_DIR", None)
    if store is None:
        return default_storage
    return FileSystemStorage(location=Path(store) / "production")


def artefact_path(instance: Artefact, filename: str) -> str:
    # One folder per project and artefact name; the version and checksum prefix keep
    # every version's file apart, so a new version never overwrites an old one.
    return (
        f"{instance.project.code}/{instance.name}/"
        f"v{instance.version}-{instance.sha256[:12]}{Path(filename).suffix.lower()}"
    )


def questionnaire_path(instance: PlanQuestionnaire, filename: str) -> str:
    return f"plans/{instance.plan_id}/v{instance.version}-{instance.sha256[:12]}.xlsx"


class Agency(models.Model):
    """An executive (government) agency that runs statistical plans of its own."""

    code = models.SlugField(_("code"), unique=True)
    name_fa = models.CharField(_("name (Persian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name_en


class AgencyAccount(models.Model):
    """Makes a user an account of one agency: it sees that agency's plans and no other."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_account"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="accounts")

    class Meta:
        verbose_name = _("agency account")
        verbose_name_plural = _("agency accounts")

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency}"


class ChecklistTemplate(models.Model):
    """A version of the office's standard: phase checklists and plan review criteria.

    A published version never changes; the office edits by publishing a new version,
    and each project keeps the version it started with.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    note = models.TextField(_("what changed"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return f"{self.title_en} v{self.version}"


class TemplatePhase(models.Model):
    """A phase of a template and the team role that signs it off."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="phases")
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    signoff_role = models.CharField(_("signed off by"), max_length=20, choices=TeamRole.choices)

    class Meta:
        ordering = ["template", "id"]
        verbose_name = _("template phase")
        verbose_name_plural = _("template phases")
        constraints = [
            models.UniqueConstraint(fields=["template", "phase"], name="template_phase_once")
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.phase}"


class TemplateItem(models.Model):
    """A sub-process of a phase (GSBPM 1.1–8.3) as a checklist item."""

    template_phase = models.ForeignKey(
        TemplatePhase, on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("code"), max_length=10)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["template_phase", "order", "code"]
        verbose_name = _("template checklist item")
        verbose_name_plural = _("template checklist items")
        constraints = [
            models.UniqueConstraint(fields=["template_phase", "code"], name="template_item_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title_en}"


class PlanCriterion(models.Model):
    """A point of the standard that the office checks in an agency's plan."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("code"), max_length=10)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["template", "order", "code"]
        verbose_name = _("plan review criterion")
        verbose_name_plural = _("plan review criteria")
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="plan_criterion_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title_en}"


class Project(models.Model):
    """A census, survey or administrative statistic run through the phases in order."""

    code = models.SlugField(_("code"), unique=True)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ProjectKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_production_projects",
        verbose_name=_("owner"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("agency"),
        help_text=_("Empty for the office's own projects."),
    )
    purpose = models.TextField(_("purpose"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    budget_line = models.CharField(_("budget line"), max_length=100, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    results_expected_on = models.DateField(_("results expected on"), null=True, blank=True)
    is_public = models.BooleanField(_("shown on the public study page"), default=True)
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="projects"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "code"]
        verbose_name = _("statistical project")
        verbose_name_plural = _("statistical projects")
        permissions = [("work_in_office", _("Can work on the office's statistical projects"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="project_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.code


class ProjectMember(models.Model):
    """A person in a project's team, in one role (a person may hold several)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="production_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)

    class Meta:
        ordering = ["project", "role", "user"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["project", "user", "role"], name="member_role_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role}"


class ProjectPhase(models.Model):
    """One phase of one project: its state and timetable."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phases")
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    number = models.PositiveSmallIntegerField(_("number"))
    state = models.CharField(
        _("state"), max_length=20, choices=PhaseState.choices, default=PhaseState.LOCKED
    )
    signoff_role = models.CharField(_("signed off by"), max_length=20, choices=TeamRole.choices)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("project phase")
        verbose_name_plural = _("project phases")
        constraints = [
            models.UniqueConstraint(fields=["project", "phase"], name="project_phase_once"),
            models.UniqueConstraint(fields=["project", "number"], name="project_phase_number"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="phase_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(state=PhaseState.SIGNED_OFF) | Q(signed_off_at__isnull=False),
                name="phase_signed_off_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.number} {self.phase}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.number = PHASE_NUMBER[Phase(self.phase)]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def sla_wording(self) -> str:
        """The phase as the office's service level agreement names it."""
        return str(SLA_WORDING[Phase(self.phase)])


class ChecklistEntry(models.Model):
    """A project's state of one checklist item of its template."""

    project_phase = models.ForeignKey(
        ProjectPhase, on_delete=models.CASCADE, related_name="entries"
    )
    item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=20, choices=ItemState.choices, default=ItemState.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        ordering = ["project_phase", "item__order", "item__code"]
        verbose_name = _("checklist entry")
        verbose_name_plural = _("checklist entries")
        constraints = [
            models.UniqueConstraint(fields=["project_phase", "item"], name="checklist_item_once"),
            models.CheckConstraint(
                condition=~Q(state__in=[ItemState.NOT_APPLICABLE, ItemState.BLOCKED])
                | ~Q(reason=""),
                name="checklist_reason_when_needed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} {self.state}"


class Artefact(models.Model):
    """One version of a phase's product, with its provenance and checksum."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="artefacts")
    project_phase = models.ForeignKey(
        ProjectPhase, on_delete=models.PROTECT, related_name="artefacts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ArtefactKind.choices)
    name = models.SlugField(_("name"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("file"), storage=artefact_storage, upload_to=artefact_path, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    inputs = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="outputs", verbose_name=_("inputs")
    )
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    produced_at = models.DateTimeField(_("produced at"))
    note = models.TextField(_("note"), blank=True)
    # What a checker found (pyxform's form id, title, version and warnings, for example).
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["project", "name", "-version"]
        verbose_name = _("artefact")
        verbose_name_plural = _("artefacts")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name", "version"], name="artefact_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code}/{self.name} v{self.version}"


class SignOff(models.Model):
    """A phase's closing approval: who, in which role, and exactly what they approved."""

    project_phase = models.ForeignKey(
        ProjectPhase, on_delete=models.PROTECT, related_name="signoffs"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=TeamRole.choices)
    signed_at = models.DateTimeField(_("signed at"))
    comment = models.TextField(_("comment"), blank=True)
    # [{"code": "2.3", "state": "done", "reason": ""}, …] as it stood at sign-off.
    checklist = models.JSONField(_("checklist state"), default=list)
    artefacts = models.ManyToManyField(Artefact, related_name="signoffs", blank=True)
    # Set when the phase is reopened: this approval no longer stands.
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        ordering = ["project_phase", "-signed_at"]
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")

    def __str__(self) -> str:
        return f"{self.project_phase} signed by {self.signed_by}"


class AgencyPlan(models.Model):
    """An agency's own statistical plan, submitted for the office's review."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="plans")
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("objectives"))
    variables = models.TextField(_("main variables"))
    population = models.TextField(_("target population"))
    sample_design = models.TextField(_("sample design"))
    timetable = models.TextField(_("timetable"))
    dissemination_plan = models.TextField(_("dissemination plan"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="+")
    # Whoever must act next has until then: the office while it reviews, the agency
    # while it revises.
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    project = models.OneToOneField(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="plan"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("agency plan")
        verbose_name_plural = _("agency plans")
        permissions = [("review_plan", _("Can review agencies' statistical plans"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="plan_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PlanQuestionnaire(models.Model):
    """A version of a plan's questionnaire: an XLSForm that pyxform accepted."""

    plan = models.ForeignKey(AgencyPlan, on_delete=models.CASCADE, related_name="questionnaires")
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("file"), storage=artefact_storage, upload_to=questionnaire_path, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    details = models.JSONField(_("details"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["plan", "-version"]
        verbose_name = _("plan questionnaire")
        verbose_name_plural = _("plan questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="plan_questionnaire_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan} questionnaire v{self.version}"


class PlanReview(models.Model):
    """One round of the office's review of a plan, with its decision."""

    plan = models.ForeignKey(AgencyPlan, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveSmallIntegerField(_("round"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=20, choices=ReviewDecision.choices, blank=True
    )
    summary = models.TextField(_("summary"), blank=True)
    questionnaire = models.ForeignKey(
        PlanQuestionnaire, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "round"]
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        constraints = [
            models.UniqueConstraint(fields=["plan", "round"], name="plan_review_round_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan} review {self.round}"


class PlanReviewComment(models.Model):
    """The reviewer's verdict and reasoning on one criterion in one round."""

    review = models.ForeignKey(PlanReview, on_delete=models.CASCADE, related_name="comments")
    criterion = models.ForeignKey(PlanCriterion, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=10, choices=CriterionVerdict.choices)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["review", "criterion__order"]
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_comment_once")
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code} {self.verdict}"


class Notification(models.Model):
    """A message to a user, kept in the app's own outbox (and e-mailed when possible)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="production_notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject


class Contact(models.Model):
    """How the office reaches a user outside the site: the mobile number for short SMS notices.

    E-mail goes to the account's own address; a user without a contact (or with an
    empty mobile) gets no SMS.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="production_contact"
    )
    mobile = models.CharField(
        _("mobile"),
        max_length=11,
        blank=True,
        help_text=_("Like 09121234567; short notices of production work are sent here by SMS."),
    )

    class Meta:
        verbose_name = _("contact details")
        verbose_name_plural = _("contact details")

    def __str__(self) -> str:
        return f"{self.user} {self.mobile}"

    def clean_fields(self, exclude: Any = None) -> None:
        # Normalised before the length check: people type Persian digits, spaces, +98.
        from amargah.core import iranian

        if self.mobile:
            try:
                self.mobile = iranian.clean_mobile(self.mobile)
            except iranian.IdentifierError as error:
                raise ValidationError(
                    {"mobile": _("Enter a mobile number with 11 digits that starts with 09.")},
                    code=str(error.reason),
                ) from error
        super().clean_fields(exclude=exclude)


class Delivery(models.Model):
    """One notification on one outside channel (SMS or e-mail): sent, retried or failed.

    Written in the same transaction as the notification, so an acknowledged change
    never loses its message; the worker sends it after the commit.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=5, choices=DeliveryChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-next_attempt_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="production_delivery_due")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class DeadlineReminder(models.Model):
    """That one phase or plan was reminded of its deadline on one day (at most once)."""

    day = models.DateField(_("day"))
    deadline = models.DateField(_("deadline"))
    phase = models.ForeignKey(
        ProjectPhase, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    plan = models.ForeignKey(
        AgencyPlan, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-day", "id"]
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            # The database, not the caller, guarantees one reminder per item per day,
            # even when two runs of the task overlap.
            models.UniqueConstraint(fields=["phase", "day"], name="reminder_phase_once_a_day"),
            models.UniqueConstraint(fields=["plan", "day"], name="reminder_plan_once_a_day"),
            models.CheckConstraint(
                condition=Q(phase__isnull=True, plan__isnull=False)
                | Q(phase__isnull=False, plan__isnull=True),
                name="reminder_of_phase_or_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.phase_id or ''}{self.plan_id or ''}"


class AuditEvent(models.Model):
    """One change: who, when, what, and each changed field before and after."""

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=50)
    object_label = models.CharField(_("object"), max_length=300)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    plan = models.ForeignKey(
        AgencyPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    # {"field": [before, after], …}; values as text so the export needs no model.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_label}"
