"""Writes: projects through the phases in order, artefacts, sign-offs, agency plans.

The ordering rule lives here and nowhere else: a phase is worked on only while it is
open; it opens when the previous phase is signed off (or when it is explicitly
reopened, with a reason); reopening locks every later phase again. Every function
records what it changed in the audit trail inside its own transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amargah.core.dates import format_date
from amargah.production import selectors
from amargah.production.choices import (
    PHASE_NUMBER,
    PLAN_WAITING_FOR_OFFICE,
    REASONED_ITEM_STATES,
    RESOLVED_ITEM_STATES,
    SLA_WORDING,
    ArtefactKind,
    AuditAction,
    CriterionVerdict,
    ItemState,
    Phase,
    PhaseState,
    PlanStatus,
    ProductionErrorCode,
    ProjectKind,
    ReviewDecision,
    TeamRole,
)
from amargah.production.models import (
    Agency,
    AgencyPlan,
    Artefact,
    AuditEvent,
    ChecklistEntry,
    ChecklistTemplate,
    DeadlineReminder,
    PlanCriterion,
    PlanQuestionnaire,
    PlanReview,
    PlanReviewComment,
    Project,
    ProjectMember,
    ProjectPhase,
    SignOff,
)
from amargah.production.notifications import notify
from amargah.production.xlsform import XlsformError, XlsformInfo, check_xlsform

UserLike = User | AbstractBaseUser | AnonymousUser

#: The fields an agency writes in its plan (and may change when it resubmits).
PLAN_FIELDS = (
    "title",
    "objectives",
    "variables",
    "population",
    "sample_design",
    "timetable",
    "dissemination_plan",
    "starts_on",
    "ends_on",
)


def review_days() -> int:
    """Days the office has to decide on a (re)submitted plan."""
    return int(getattr(settings, "PRODUCTION_REVIEW_DAYS", 14))


def revision_days() -> int:
    """Days an agency has to answer a request for changes."""
    return int(getattr(settings, "PRODUCTION_REVISION_DAYS", 30))


# ---------------------------------------------------------------------------
# Audit trail and notifications


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def _audit(
    *,
    actor: UserLike | None,
    action: AuditAction,
    obj: models.Model,
    project: Project | None = None,
    plan: AgencyPlan | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_label=str(obj)[:300],
        project=project,
        plan=plan,
        changes={
            name: [_text(before), _text(after)] for name, (before, after) in (changes or {}).items()
        },
        reason=reason,
    )


def record_values(obj: models.Model) -> dict[str, str]:
    """A record's own field values as text, to compare before and after a change."""
    return {
        field.attname: _text(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if not field.primary_key
    }


@transaction.atomic
def record_audit(
    *,
    actor: User | None,
    obj: models.Model,
    before: Mapping[str, str] | None,
    deleted: bool = False,
) -> AuditEvent | None:
    """Audit a change made in the back-office (agencies, accounts, template drafts).

    ``before`` is ``record_values`` taken before the change, None for a new record.
    Nothing is recorded when nothing changed.
    """
    after = {} if deleted else record_values(obj)
    fields = sorted(set(before or {}) | set(after))
    changes = {
        name: ((before or {}).get(name, ""), after.get(name, ""))
        for name in fields
        if (before or {}).get(name, "") != after.get(name, "")
    }
    if not changes and not deleted:
        return None
    if deleted:
        action = AuditAction.RECORD_DELETED
    elif before is None:
        action = AuditAction.RECORD_ADDED
    else:
        action = AuditAction.RECORD_CHANGED
    return _audit(actor=actor, action=action, obj=obj, changes=changes)


# ---------------------------------------------------------------------------
# Checklist templates


@transaction.atomic
def template_new_version(*, base: ChecklistTemplate, user: User, note: str) -> ChecklistTemplate:
    """Copy a template into a new, unpublished version that the office may edit."""
    number = (ChecklistTemplate.objects.aggregate(top=Max("version"))["top"] or 0) + 1
    template = ChecklistTemplate.objects.create(
        version=number, title_fa=base.title_fa, title_en=base.title_en, note=note
    )
    for old_phase in base.phases.prefetch_related("items"):
        new_phase = template.phases.create(
            phase=old_phase.phase, signoff_role=old_phase.signoff_role
        )
        for item in old_phase.items.all():
            new_phase.items.create(
                code=item.code, title_fa=item.title_fa, title_en=item.title_en, order=item.order
            )
    for criterion in base.criteria.all():
        template.criteria.create(
            code=criterion.code,
            title_fa=criterion.title_fa,
            title_en=criterion.title_en,
            order=criterion.order,
        )
    _audit(
        actor=user,
        action=AuditAction.TEMPLATE_DRAFTED,
        obj=template,
        reason=note,
        changes={"state": ("", "draft")},
    )
    return template


@transaction.atomic
def template_publish(*, template: ChecklistTemplate, user: User | None) -> ChecklistTemplate:
    """Publish a template version: new projects and plans use it; it never changes again."""
    template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if template.published_at is not None:
        return template
    phases = {phase.phase for phase in template.phases.all()}
    if phases != set(Phase.values):
        raise ValidationError(
            _("A template must define all eight phases before it is published."),
            code=ProductionErrorCode.INVALID_TRANSITION,
        )
    template.published_at = timezone.now()
    template.save(update_fields=["published_at"])
    _audit(
        actor=user,
        action=AuditAction.TEMPLATE_PUBLISHED,
        obj=template,
        changes={"published_at": (None, template.published_at)},
    )
    return template


# ---------------------------------------------------------------------------
# Projects and phases


def _phase_dates(starts_on: dt.date, ends_on: dt.date) -> list[tuple[dt.date, dt.date]]:
    # A first timetable: the span cut into eight equal parts; the team moves the dates.
    days = max((ends_on - starts_on).days + 1, len(Phase))
    edges = [starts_on + dt.timedelta(days=round(days * index / len(Phase))) for index in range(9)]
    return [
        (edges[index], max(edges[index], edges[index + 1] - dt.timedelta(days=1)))
        for index in range(len(Phase))
    ]


@transaction.atomic
def project_create(
    *,
    code: str,
    title_fa: str,
    title_en: str,
    kind: ProjectKind,
    owner: User,
    starts_on: dt.date,
    ends_on: dt.date,
    user: User,
    agency: Agency | None = None,
    purpose: str = "",
    legal_basis: str = "",
    budget_line: str = "",
    results_expected_on: dt.date | None = None,
    is_public: bool = True,
    template: ChecklistTemplate | None = None,
    team: Iterable[tuple[User, TeamRole]] = (),
) -> Project:
    """Create a project on the current template; its first phase opens at once."""
    if ends_on < starts_on:
        raise ValidationError(_("A project must end after it starts."), code="dates")
    template = template or selectors.template_current()
    if template is None or template.published_at is None:
        raise ValidationError(_("No published checklist template."), code="no_template")
    project = Project.objects.create(
        code=code,
        title_fa=title_fa,
        title_en=title_en,
        kind=kind,
        owner=owner,
        agency=agency,
        purpose=purpose,
        legal_basis=legal_basis,
        budget_line=budget_line,
        starts_on=starts_on,
        ends_on=ends_on,
        results_expected_on=results_expected_on,
        is_public=is_public,
        template=template,
    )
    template_phases = {phase.phase: phase for phase in template.phases.prefetch_related("items")}
    now = timezone.now()
    for phase, (start, end) in zip(Phase, _phase_dates(starts_on, ends_on), strict=True):
        template_phase = template_phases[phase]
        # An agency runs its own plan, and the office supervises: the office's
        # supervisor signs off every phase, whatever the template names.
        role = TeamRole.SUPERVISOR if agency is not None else template_phase.signoff_role
        first = PHASE_NUMBER[phase] == 1
        project_phase = ProjectPhase.objects.create(
            project=project,
            phase=phase,
            number=PHASE_NUMBER[phase],
            state=PhaseState.OPEN if first else PhaseState.LOCKED,
            signoff_role=role,
            planned_start=start,
            planned_end=end,
            opened_at=now if first else None,
        )
        ChecklistEntry.objects.bulk_create(
            ChecklistEntry(project_phase=project_phase, item=item)
            for item in template_phase.items.all()
        )
    _audit(
        actor=user,
        action=AuditAction.PROJECT_CREATED,
        obj=project,
        project=project,
        changes={
            "title_fa": ("", title_fa),
            "title_en": ("", title_en),
            "kind": ("", kind),
            "template": ("", template.version),
            "starts_on": ("", starts_on),
            "ends_on": ("", ends_on),
        },
    )
    for member, role in team:
        _member_add(project=project, member=member, role=role, actor=user)
    return project


def _member_add(*, project: Project, member: User, role: TeamRole, actor: User) -> ProjectMember:
    if role == TeamRole.SUPERVISOR and not selectors.is_office(member):
        raise ValidationError(
            _("The supervisor must be a member of the statistics office."), code="supervisor"
        )
    entry, created = ProjectMember.objects.get_or_create(project=project, user=member, role=role)
    if created:
        _audit(
            actor=actor,
            action=AuditAction.MEMBER_ADDED,
            obj=entry,
            project=project,
            changes={"user": ("", member.get_username()), "role": ("", role)},
        )
    return entry


@transaction.atomic
def member_add(*, project: Project, member: User, role: TeamRole, actor: User) -> ProjectMember:
    """Give a person a role in a project's team."""
    _require_manager(project=project, user=actor)
    return _member_add(project=project, member=member, role=role, actor=actor)


def _require_manager(*, project: Project, user: UserLike) -> None:
    if not selectors.can_manage(user=user, project=project):
        raise PermissionDenied(_("Only the project manager or the office can do this."))


def _require_worker(*, project: Project, user: UserLike) -> None:
    if not selectors.can_work_on(user=user, project=project):
        raise PermissionDenied(_("Only the project's team can change it."))


def _require_open(phase: ProjectPhase) -> None:
    if phase.state != PhaseState.OPEN:
        raise ValidationError(
            _("This phase is not open: it opens when the previous phase is signed off."),
            code=ProductionErrorCode.PHASE_NOT_OPEN,
        )


def _locked_phase(phase: ProjectPhase) -> ProjectPhase:
    return ProjectPhase.objects.select_for_update().select_related("project").get(pk=phase.pk)


@transaction.atomic
def phase_schedule(
    *, phase: ProjectPhase, user: User, planned_start: dt.date, planned_end: dt.date
) -> ProjectPhase:
    """Move a phase's planned dates (the manager re-plans; the change is audited)."""
    phase = _locked_phase(phase)
    _require_manager(project=phase.project, user=user)
    if planned_end < planned_start:
        raise ValidationError(_("A stage must end after it starts."), code="dates")
    before = (phase.planned_start, phase.planned_end)
    phase.planned_start, phase.planned_end = planned_start, planned_end
    phase.save(update_fields=["planned_start", "planned_end"])
    _audit(
        actor=user,
        action=AuditAction.PHASE_RESCHEDULED,
        obj=phase,
        project=phase.project,
        changes={
            "planned_start": (before[0], planned_start),
            "planned_end": (before[1], planned_end),
        },
    )
    return phase


@transaction.atomic
def checklist_mark(
    *, entry: ChecklistEntry, state: ItemState, user: User, reason: str = ""
) -> ChecklistEntry:
    """Mark a checklist item done, not applicable or blocked (the last two with a reason)."""
    phase = _locked_phase(entry.project_phase)
    _require_worker(project=phase.project, user=user)
    _require_open(phase)
    reason = reason.strip()
    if state in REASONED_ITEM_STATES and not reason:
        raise ValidationError(
            _("Say why the item is not applicable or blocked."),
            code=ProductionErrorCode.REASON_REQUIRED,
        )
    entry = ChecklistEntry.objects.select_related("item").get(pk=entry.pk)
    before = (entry.state, entry.reason)
    entry.state = state
    entry.reason = reason if state in REASONED_ITEM_STATES else ""
    entry.updated_by = user
    entry.updated_at = timezone.now()
    entry.save(update_fields=["state", "reason", "updated_by", "updated_at"])
    _audit(
        actor=user,
        action=AuditAction.ITEM_CHANGED,
        obj=entry,
        project=phase.project,
        changes={"state": (before[0], entry.state), "reason": (before[1], entry.reason)},
        reason=f"{entry.item.code}",
    )
    return entry


def _sha256(upload: File) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _read(upload: File) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data if isinstance(data, bytes) else data.encode()


def _check_questionnaire(upload: File) -> XlsformInfo:
    try:
        return check_xlsform(_read(upload))
    except XlsformError as error:
        raise ValidationError(
            _("The XLSForm was refused: %(explanation)s (pyxform: %(message)s)"),
            code=ProductionErrorCode.INVALID_XLSFORM,
            params={"explanation": error.explanation(), "message": error.pyxform_message},
        ) from error


@transaction.atomic
def artefact_add(
    *,
    phase: ProjectPhase,
    user: User,
    kind: ArtefactKind,
    name: str,
    upload: File,
    inputs: Iterable[Artefact] = (),
    note: str = "",
    filename: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Artefact:
    """Store a new version of an artefact in an open phase, with its provenance.

    A questionnaire must be an XLSForm that pyxform accepts; otherwise nothing is
    stored and the error carries pyxform's message.
    """
    phase = _locked_phase(phase)
    project = phase.project
    _require_worker(project=project, user=user)
    _require_open(phase)
    inputs = list(inputs)
    for source in inputs:
        if source.project_id != project.pk or source.project_phase.number > phase.number:
            raise ValidationError(
                _("An input must be an artefact of this project from this or an earlier phase."),
                code=ProductionErrorCode.INVALID_INPUT,
            )
    details = dict(details or {})
    if kind == ArtefactKind.QUESTIONNAIRE:
        details.update(_check_questionnaire(upload).to_json())
    sha256, size = _sha256(upload)
    version = (
        Artefact.objects.filter(project=project, name=name).aggregate(top=Max("version"))["top"]
        or 0
    ) + 1
    original = filename or upload.name or name
    artefact = Artefact(
        project=project,
        project_phase=phase,
        kind=kind,
        name=name,
        version=version,
        original_name=original.rsplit("/", 1)[-1][:255],
        size=size,
        sha256=sha256,
        produced_by=user,
        produced_at=timezone.now(),
        note=note,
        details=details,
    )
    artefact.file.save(original, upload, save=False)
    artefact.save()
    artefact.inputs.set(inputs)
    _audit(
        actor=user,
        action=AuditAction.ARTEFACT_ADDED,
        obj=artefact,
        project=project,
        changes={
            "version": ("", version),
            "sha256": ("", sha256),
            "inputs": ("", ", ".join(str(source) for source in inputs)),
            **({"details": ("", json.dumps(details, ensure_ascii=False))} if details else {}),
        },
    )
    return artefact


@transaction.atomic
def sample_draw(
    *,
    phase: ProjectPhase,
    user: User,
    frame: Artefact,
    n: int,
    strata: str,
    seed: int,
    method: str = "srs",
    size: str | None = None,
    name: str = "sample",
) -> Artefact:
    """Draw a stratified sample from a frame artefact with ``amargah.stats.sampling``.

    The sample (a Parquet file with the design columns prob, weight and fpc) is a new
    artefact whose input is the frame, and its details record how it was drawn, so
    the draw can be repeated exactly.
    """
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from amargah.stats.sampling import stratified

    if frame.kind != ArtefactKind.SAMPLING_FRAME:
        raise ValidationError(
            _("Draw the sample from a sampling frame artefact."),
            code=ProductionErrorCode.INVALID_INPUT,
        )
    try:
        with frame.file.open("rb") as handle:
            table = pq.read_table(io.BytesIO(handle.read()))
        sample = stratified(
            table,
            n,
            strata=strata,
            seed=seed,
            method=method,  # type: ignore[arg-type]
            size=size or None,
        )
    except (ValueError, KeyError, TypeError, pa.ArrowException) as error:
        raise ValidationError(
            _("The sample could not be drawn: %(error)s"),
            code=ProductionErrorCode.INVALID_INPUT,
            params={"error": str(error).strip("'\"")},
        ) from error
    buffer = io.BytesIO()
    pq.write_table(sample, buffer, compression="zstd")
    return artefact_add(
        phase=phase,
        user=user,
        kind=ArtefactKind.SAMPLE,
        name=name,
        upload=ContentFile(buffer.getvalue(), name=f"{name}.parquet"),
        inputs=[frame],
        note=str(_("Drawn with amargah.stats.sampling.stratified.")),
        details={
            "drawn_with": "amargah.stats.sampling.stratified",
            "frame_sha256": frame.sha256,
            "n": n,
            "strata": strata,
            "seed": seed,
            "method": method,
            "size": size or None,
            "rows": sample.num_rows,
            "frame_rows": table.num_rows,
        },
    )


def _open_next(*, phase: ProjectPhase, user: User | None) -> ProjectPhase | None:
    following = (
        ProjectPhase.objects.select_for_update()
        .filter(project=phase.project, number=phase.number + 1)
        .first()
    )
    if following is None:
        return None
    if following.state != PhaseState.LOCKED:
        return following
    following.state = PhaseState.OPEN
    following.opened_at = timezone.now()
    following.save(update_fields=["state", "opened_at"])
    _audit(
        actor=user,
        action=AuditAction.PHASE_OPENED,
        obj=following,
        project=phase.project,
        changes={"state": (PhaseState.LOCKED, PhaseState.OPEN)},
    )
    return following


def _sign_off(*, phase: ProjectPhase, user: User, comment: str) -> SignOff:
    _require_open(phase)
    if not selectors.has_role(user=user, project=phase.project, role=TeamRole(phase.signoff_role)):
        raise PermissionDenied(
            _("Only the project's %(role)s may sign off this phase.")
            % {"role": TeamRole(phase.signoff_role).label}
        )
    entries = list(phase.entries.select_related("item"))
    unresolved = [entry.item.code for entry in entries if entry.state not in RESOLVED_ITEM_STATES]
    if unresolved:
        raise ValidationError(
            _("These checklist items are neither done nor marked not applicable: %(items)s"),
            code=ProductionErrorCode.CHECKLIST_UNRESOLVED,
            params={"items": "، ".join(unresolved)},
        )
    now = timezone.now()
    signoff = SignOff.objects.create(
        project_phase=phase,
        signed_by=user,
        role=phase.signoff_role,
        signed_at=now,
        comment=comment,
        checklist=[
            {"code": entry.item.code, "state": entry.state, "reason": entry.reason}
            for entry in entries
        ],
    )
    # The approval covers the newest version of each artefact of the phase.
    signoff.artefacts.set(selectors.latest_artefacts(phase=phase))
    phase.state = PhaseState.SIGNED_OFF
    phase.signed_off_at = now
    phase.save(update_fields=["state", "signed_off_at"])
    _audit(
        actor=user,
        action=AuditAction.PHASE_SIGNED_OFF,
        obj=phase,
        project=phase.project,
        changes={
            "state": (PhaseState.OPEN, PhaseState.SIGNED_OFF),
            "artefacts": ("", ", ".join(str(a) for a in signoff.artefacts.all())),
        },
        reason=comment,
    )
    _open_next(phase=phase, user=user)
    return signoff


@transaction.atomic
def phase_sign_off(*, phase: ProjectPhase, user: User, comment: str = "") -> SignOff:
    """Close an open phase by the role its template names; the next phase opens.

    Refused while a checklist item is to do or blocked. The sign-off keeps the
    checklist as it stood and the artefact versions it approved.
    """
    phase = _locked_phase(phase)
    signoff = _sign_off(phase=phase, user=user, comment=comment.strip())
    members = [member.user for member in phase.project.members.select_related("user")]
    notify(
        recipients=members,
        subject=_("A phase was signed off: %(project)s"),
        body=_("%(phase)s was signed off; the next phase is open."),
        sms=_("%(project)s: stage “%(phase)s” signed off."),
        params={"project": phase.project.code, "phase": SLA_WORDING[Phase(phase.phase)]},
        link=reverse("production:project", args=[phase.project.code]),
    )
    return signoff


@transaction.atomic
def phase_reopen(*, phase: ProjectPhase, user: User, reason: str) -> ProjectPhase:
    """Reopen a signed-off phase, for a stated reason; every later phase locks again.

    The earlier sign-off is kept in the history, marked superseded.
    """
    phase = _locked_phase(phase)
    project = phase.project
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            _("Say why the phase is reopened."), code=ProductionErrorCode.REASON_REQUIRED
        )
    if phase.state != PhaseState.SIGNED_OFF:
        raise ValidationError(
            _("Only a signed-off phase can be reopened."), code=ProductionErrorCode.NOT_SIGNED_OFF
        )
    if not (
        selectors.has_role(user=user, project=project, role=TeamRole(phase.signoff_role))
        or selectors.has_role(user=user, project=project, role=TeamRole.PROJECT_MANAGER)
        or selectors.is_office(user)
    ):
        raise PermissionDenied(
            _("Only the signing role, the project manager or the office can reopen.")
        )
    now = timezone.now()
    later = list(
        ProjectPhase.objects.select_for_update()
        .filter(project=project, number__gt=phase.number)
        .exclude(state=PhaseState.LOCKED)
    )
    for other in later:
        before = other.state
        other.state = PhaseState.LOCKED
        other.signed_off_at = None
        other.save(update_fields=["state", "signed_off_at"])
        SignOff.objects.filter(project_phase=other, superseded_at__isnull=True).update(
            superseded_at=now
        )
        _audit(
            actor=user,
            action=AuditAction.PHASE_LOCKED,
            obj=other,
            project=project,
            changes={"state": (before, PhaseState.LOCKED)},
            reason=reason,
        )
    SignOff.objects.filter(project_phase=phase, superseded_at__isnull=True).update(
        superseded_at=now
    )
    phase.state = PhaseState.OPEN
    phase.signed_off_at = None
    phase.reopen_count += 1
    phase.save(update_fields=["state", "signed_off_at", "reopen_count"])
    _audit(
        actor=user,
        action=AuditAction.PHASE_REOPENED,
        obj=phase,
        project=project,
        changes={"state": (PhaseState.SIGNED_OFF, PhaseState.OPEN)},
        reason=reason,
    )
    return phase


# ---------------------------------------------------------------------------
# Agency plans


@dataclass(frozen=True)
class PlanContent:
    """What an agency writes in its plan."""

    title: str
    objectives: str
    variables: str
    population: str
    sample_design: str
    timetable: str
    dissemination_plan: str
    starts_on: dt.date
    ends_on: dt.date


def _store_questionnaire(
    *, plan: AgencyPlan, upload: File, user: User, info: XlsformInfo
) -> PlanQuestionnaire:
    sha256, size = _sha256(upload)
    version = (plan.questionnaires.aggregate(top=Max("version"))["top"] or 0) + 1
    questionnaire = PlanQuestionnaire(
        plan=plan,
        version=version,
        original_name=(upload.name or "questionnaire.xlsx").rsplit("/", 1)[-1][:255],
        size=size,
        sha256=sha256,
        details=info.to_json(),
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    questionnaire.file.save("questionnaire.xlsx", upload, save=False)
    questionnaire.save()
    return questionnaire


def _reviewers() -> list[User]:
    return list(selectors.plan_reviewers())


def _agency_users(plan: AgencyPlan) -> list[User]:
    return [account.user for account in plan.agency.accounts.select_related("user")]


@transaction.atomic
def plan_submit(*, user: User, content: PlanContent, questionnaire: File) -> AgencyPlan:
    """An agency account submits a plan with its XLSForm questionnaire.

    An XLSForm that pyxform refuses stops the submission: nothing is stored.
    """
    agency = selectors.agency_of(user)
    if agency is None:
        raise PermissionDenied(_("Only an agency's account can submit a plan."))
    if content.ends_on < content.starts_on:
        raise ValidationError(_("A plan must end after it starts."), code="dates")
    info = _check_questionnaire(questionnaire)
    template = selectors.template_current()
    if template is None:
        raise ValidationError(_("No published checklist template."), code="no_template")
    now = timezone.now()
    plan = AgencyPlan.objects.create(
        agency=agency,
        submitted_by=user,
        submitted_at=now,
        status=PlanStatus.SUBMITTED,
        template=template,
        deadline=timezone.localdate(now) + dt.timedelta(days=review_days()),
        **{name: getattr(content, name) for name in PLAN_FIELDS},
    )
    stored = _store_questionnaire(plan=plan, upload=questionnaire, user=user, info=info)
    _audit(
        actor=user,
        action=AuditAction.PLAN_SUBMITTED,
        obj=plan,
        plan=plan,
        changes={
            **{name: ("", getattr(content, name)) for name in PLAN_FIELDS},
            "status": ("", plan.status),
            "questionnaire": ("", f"v{stored.version} {stored.sha256}"),
        },
    )
    notify(
        recipients=_reviewers(),
        subject=_("New statistical plan to review: %(title)s"),
        body=_("%(agency)s submitted a plan. Please decide by %(deadline)s."),
        sms=_("New plan to review: %(title)s"),
        params={
            "title": plan.title,
            "agency": agency.name_fa,
            "deadline": format_date(plan.deadline, settings.LANGUAGE_CODE) if plan.deadline else "",
        },
        link=reverse("production:plan", args=[plan.pk]),
    )
    return plan


def _locked_plan(plan: AgencyPlan) -> AgencyPlan:
    return AgencyPlan.objects.select_for_update().select_related("agency").get(pk=plan.pk)


def _require_reviewer(user: UserLike) -> None:
    if not selectors.can_review(user):
        raise PermissionDenied(_("Only the office's reviewers can do this."))


@transaction.atomic
def plan_review_start(*, plan: AgencyPlan, user: User) -> PlanReview:
    """An officer takes a submitted or resubmitted plan into review."""
    plan = _locked_plan(plan)
    _require_reviewer(user)
    if plan.status not in (PlanStatus.SUBMITTED, PlanStatus.RESUBMITTED):
        raise ValidationError(
            _("Only a submitted or resubmitted plan can be taken into review."),
            code=ProductionErrorCode.INVALID_TRANSITION,
        )
    before = plan.status
    plan.status = PlanStatus.UNDER_REVIEW
    plan.reviewer = user
    plan.save(update_fields=["status", "reviewer", "updated_at"])
    review = PlanReview.objects.create(
        plan=plan,
        round=plan.reviews.count() + 1,
        reviewer=user,
        started_at=timezone.now(),
        questionnaire=plan.questionnaires.order_by("-version").first(),
    )
    _audit(
        actor=user,
        action=AuditAction.PLAN_REVIEW_STARTED,
        obj=plan,
        plan=plan,
        changes={"status": (before, plan.status), "reviewer": ("", user.get_username())},
    )
    notify(
        recipients=_agency_users(plan),
        subject=_("Your plan is under review: %(title)s"),
        body=_("The statistics office has started reviewing your plan."),
        sms=_("Your plan is under review: %(title)s"),
        params={"title": plan.title},
        link=reverse("production:plan", args=[plan.pk]),
    )
    return review


@transaction.atomic
def plan_decide(
    *,
    plan: AgencyPlan,
    user: User,
    decision: ReviewDecision,
    verdicts: Mapping[int, tuple[CriterionVerdict, str]],
    summary: str = "",
) -> PlanReview:
    """Decide a review round with a verdict and reasoning on each criterion.

    Every criterion needs a verdict; a "change needed" verdict needs a comment;
    changes may be requested only with at least one such verdict, and approval only
    when none remains. An approved plan becomes a project at once.
    """
    plan = _locked_plan(plan)
    _require_reviewer(user)
    if plan.status != PlanStatus.UNDER_REVIEW:
        raise ValidationError(
            _("Take the plan into review before deciding."),
            code=ProductionErrorCode.INVALID_TRANSITION,
        )
    review = plan.reviews.filter(decided_at__isnull=True).order_by("-round").first()
    if review is None:
        raise ValidationError(_("There is no open review round."), code="no_round")
    criteria = list(PlanCriterion.objects.filter(template=plan.template))
    missing = [criterion.code for criterion in criteria if criterion.pk not in verdicts]
    if missing:
        raise ValidationError(
            _("Give a verdict on every criterion (missing: %(items)s)."),
            code=ProductionErrorCode.COMMENT_REQUIRED,
            params={"items": "، ".join(missing)},
        )
    changes_needed = False
    for criterion in criteria:
        verdict, comment = verdicts[criterion.pk]
        if verdict == CriterionVerdict.CHANGE:
            changes_needed = True
            if not comment.strip():
                raise ValidationError(
                    _("Explain the change needed on criterion %(code)s."),
                    code=ProductionErrorCode.COMMENT_REQUIRED,
                    params={"code": criterion.code},
                )
    if decision == ReviewDecision.CHANGES_REQUESTED and not changes_needed:
        raise ValidationError(
            _("To request changes, mark at least one criterion as needing a change."),
            code=ProductionErrorCode.COMMENT_REQUIRED,
        )
    if decision == ReviewDecision.APPROVED and changes_needed:
        raise ValidationError(
            _("A plan with criteria that still need changes cannot be approved."),
            code=ProductionErrorCode.INVALID_TRANSITION,
        )
    if decision == ReviewDecision.REJECTED and not summary.strip():
        raise ValidationError(
            _("Give the reason for rejecting the plan."), code=ProductionErrorCode.REASON_REQUIRED
        )
    PlanReviewComment.objects.bulk_create(
        PlanReviewComment(
            review=review,
            criterion=criterion,
            verdict=verdicts[criterion.pk][0],
            comment=verdicts[criterion.pk][1].strip(),
        )
        for criterion in criteria
    )
    now = timezone.now()
    review.decision = decision
    review.decided_at = now
    review.summary = summary.strip()
    review.save(update_fields=["decision", "decided_at", "summary"])
    before = (plan.status, plan.deadline)
    plan.status = PlanStatus(decision.value)
    plan.deadline = (
        timezone.localdate(now) + dt.timedelta(days=revision_days())
        if decision == ReviewDecision.CHANGES_REQUESTED
        else None
    )
    plan.save(update_fields=["status", "deadline", "updated_at"])
    _audit(
        actor=user,
        action=AuditAction.PLAN_DECIDED,
        obj=plan,
        plan=plan,
        changes={
            "status": (before[0], plan.status),
            "deadline": (before[1], plan.deadline),
            **{
                f"criterion {criterion.code}": (
                    "",
                    f"{verdicts[criterion.pk][0]}: {verdicts[criterion.pk][1].strip()}",
                )
                for criterion in criteria
            },
        },
        reason=review.summary,
    )
    messages = {
        ReviewDecision.CHANGES_REQUESTED: _(
            "The office asks for changes to your plan; see the comments and resubmit."
        ),
        ReviewDecision.APPROVED: _("Your plan is approved and is now a project."),
        ReviewDecision.REJECTED: _("Your plan was rejected; see the reasons."),
    }
    short_messages = {
        ReviewDecision.CHANGES_REQUESTED: _("Changes requested to your plan: %(title)s"),
        ReviewDecision.APPROVED: _("Your plan is approved: %(title)s"),
        ReviewDecision.REJECTED: _("Your plan was rejected: %(title)s"),
    }
    if decision == ReviewDecision.APPROVED:
        _plan_to_project(plan=plan, user=user)
    notify(
        recipients=_agency_users(plan),
        subject=_("Decision on your plan: %(title)s"),
        body=messages[decision],
        sms=short_messages[decision],
        params={"title": plan.title},
        link=reverse("production:plan", args=[plan.pk]),
    )
    return review


@transaction.atomic
def plan_resubmit(
    *,
    plan: AgencyPlan,
    user: User,
    content: PlanContent,
    response: str,
    questionnaire: File | None = None,
) -> AgencyPlan:
    """The agency answers a request for changes with a revised plan (and questionnaire)."""
    plan = _locked_plan(plan)
    if selectors.agency_of(user) != plan.agency:
        raise PermissionDenied(_("Only the plan's agency can resubmit it."))
    if plan.status != PlanStatus.CHANGES_REQUESTED:
        raise ValidationError(
            _("Only a plan with requested changes can be resubmitted."),
            code=ProductionErrorCode.INVALID_TRANSITION,
        )
    if not response.strip():
        raise ValidationError(
            _("Say what you changed in answer to the comments."),
            code=ProductionErrorCode.COMMENT_REQUIRED,
        )
    if content.ends_on < content.starts_on:
        raise ValidationError(_("A plan must end after it starts."), code="dates")
    info = _check_questionnaire(questionnaire) if questionnaire is not None else None
    changes: dict[str, tuple[Any, Any]] = {}
    for name in PLAN_FIELDS:
        old, new = getattr(plan, name), getattr(content, name)
        if old != new:
            changes[name] = (old, new)
            setattr(plan, name, new)
    if questionnaire is not None and info is not None:
        previous = plan.questionnaires.order_by("-version").first()
        stored = _store_questionnaire(plan=plan, upload=questionnaire, user=user, info=info)
        changes["questionnaire"] = (
            f"v{previous.version} {previous.sha256}" if previous else "",
            f"v{stored.version} {stored.sha256}",
        )
    changes["status"] = (plan.status, PlanStatus.RESUBMITTED)
    plan.status = PlanStatus.RESUBMITTED
    plan.deadline = timezone.localdate() + dt.timedelta(days=review_days())
    plan.save()
    _audit(
        actor=user,
        action=AuditAction.PLAN_RESUBMITTED,
        obj=plan,
        plan=plan,
        changes=changes,
        reason=response.strip(),
    )
    recipients = [plan.reviewer] if plan.reviewer is not None else _reviewers()
    notify(
        recipients=recipients,
        subject=_("A plan was resubmitted: %(title)s"),
        body=_("The agency answered: %(response)s"),
        sms=_("A plan was resubmitted: %(title)s"),
        params={"title": plan.title, "response": response.strip()},
        link=reverse("production:plan", args=[plan.pk]),
    )
    return plan


def _plan_document(plan: AgencyPlan) -> bytes:
    labels = [
        (name, str(getattr(AgencyPlan._meta.get_field(name), "verbose_name", name)))
        for name in PLAN_FIELDS
    ]
    lines = [f"# {plan.title}", ""]
    for name, label in labels:
        lines += [f"## {label}", "", _text(getattr(plan, name)), ""]
    return "\n".join(lines).encode("utf-8")


def _plan_to_project(*, plan: AgencyPlan, user: User) -> Project:
    """The approved plan becomes a project the agency runs and the office supervises.

    The office's approval is the necessity review: the plan document is phase 1's
    artefact and the approving reviewer signs phase 1 off; the questionnaire the
    office approved becomes the design phase's first artefact.
    """
    project = project_create(
        code=f"plan-{plan.pk}",
        title_fa=plan.title,
        title_en=plan.title,
        kind=ProjectKind.SAMPLE_SURVEY,
        owner=plan.submitted_by,
        agency=plan.agency,
        purpose=plan.objectives,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        template=plan.template,
        user=user,
        team=[(plan.submitted_by, TeamRole.PROJECT_MANAGER), (user, TeamRole.SUPERVISOR)],
    )
    plan.project = project
    plan.save(update_fields=["project", "updated_at"])
    needs = project.phases.get(number=1)
    document = artefact_add(
        phase=needs,
        user=user,
        kind=ArtefactKind.NEEDS_ASSESSMENT,
        name="approved-plan",
        upload=ContentFile(_plan_document(plan), name="plan.md"),
        note=str(_("The plan as the office approved it.")),
    )
    for entry in needs.entries.all():
        checklist_mark(entry=entry, state=ItemState.DONE, user=user)
    _sign_off(phase=needs, user=user, comment=str(_("Approved in the office's plan review.")))
    approved = plan.questionnaires.order_by("-version").first()
    if approved is not None:
        with approved.file.open("rb") as handle:
            artefact_add(
                phase=project.phases.get(number=2),
                user=user,
                kind=ArtefactKind.QUESTIONNAIRE,
                name="questionnaire",
                upload=ContentFile(handle.read(), name=approved.original_name),
                inputs=[document],
                note=str(_("The questionnaire approved with the plan.")),
            )
    _audit(
        actor=user,
        action=AuditAction.PLAN_BECAME_PROJECT,
        obj=plan,
        plan=plan,
        project=project,
        changes={"project": ("", project.code)},
    )
    return project


# ---------------------------------------------------------------------------
# Deadlines


def remind_days_ahead() -> int:
    """Days before a deadline from which whoever must act is reminded, once a day."""
    return int(getattr(settings, "PRODUCTION_REMIND_DAYS_AHEAD", 3))


def _claim_reminder(
    *,
    day: dt.date,
    deadline: dt.date,
    phase: ProjectPhase | None = None,
    plan: AgencyPlan | None = None,
) -> DeadlineReminder | None:
    """Record today's reminder of one item, or None when it was already reminded today.

    The unique constraint decides, so two overlapping runs cannot both remind.
    """
    try:
        with transaction.atomic():
            return DeadlineReminder.objects.create(
                day=day, deadline=deadline, phase=phase, plan=plan
            )
    except IntegrityError:
        return None


def deadline_reminders(*, today: dt.date | None = None) -> int:
    """Remind whoever must act of a near or passed deadline, once per item per day.

    "Near" is within ``remind_days_ahead()`` days. A plan waiting for the office
    reminds its reviewer (or every reviewer); a plan waiting for the agency's revision
    reminds the agency's accounts; an open phase near or past its planned end reminds
    the project's manager and the role that signs it off. Each item is reminded in its
    own transaction with its notifications. Returns how many people were reminded.
    """
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=remind_days_ahead())
    sent = 0
    waiting = [*PLAN_WAITING_FOR_OFFICE, PlanStatus.CHANGES_REQUESTED]
    plans = (
        AgencyPlan.objects.filter(status__in=waiting, deadline__lte=horizon)
        .select_related("agency", "reviewer")
        .order_by("deadline", "pk")
    )
    for plan in plans:
        deadline = plan.deadline or today  # the filter leaves no plan without one
        with transaction.atomic():
            reminder = _claim_reminder(day=today, deadline=deadline, plan=plan)
            if reminder is None:
                continue
            if plan.status == PlanStatus.CHANGES_REQUESTED:
                recipients = _agency_users(plan)
            else:
                recipients = [plan.reviewer] if plan.reviewer is not None else _reviewers()
            passed = deadline < today
            reminder.recipients = notify(
                recipients=recipients,
                subject=_("Deadline passed: %(title)s")
                if passed
                else _("Deadline near: %(title)s"),
                body=_("The deadline of %(deadline)s has passed and the plan is still %(status)s.")
                if passed
                else _("The deadline of %(deadline)s is near and the plan is still %(status)s."),
                sms=_("Deadline passed: %(title)s")
                if passed
                else _("Deadline %(deadline)s: %(title)s"),
                params={
                    "title": plan.title,
                    "deadline": format_date(deadline, settings.LANGUAGE_CODE),
                    "status": PlanStatus(plan.status).label,
                },
                link=reverse("production:plan", args=[plan.pk]),
            )
            reminder.save(update_fields=["recipients"])
            sent += reminder.recipients
    phases = (
        ProjectPhase.objects.filter(state=PhaseState.OPEN, planned_end__lte=horizon)
        .select_related("project")
        .order_by("planned_end", "pk")
    )
    for phase in phases:
        with transaction.atomic():
            reminder = _claim_reminder(day=today, deadline=phase.planned_end, phase=phase)
            if reminder is None:
                continue
            members = phase.project.members.filter(
                role__in=[TeamRole.PROJECT_MANAGER, phase.signoff_role]
            ).select_related("user")
            passed = phase.planned_end < today
            reminder.recipients = notify(
                recipients=[member.user for member in members],
                subject=_("Stage overdue: %(project)s")
                if passed
                else _("Stage due soon: %(project)s"),
                body=_("%(phase)s was planned to end on %(deadline)s and is not signed off yet.")
                if passed
                else _("%(phase)s is planned to end on %(deadline)s and is not signed off yet."),
                sms=_("Stage overdue: %(project)s, %(phase)s")
                if passed
                else _("Stage due %(deadline)s: %(project)s, %(phase)s"),
                params={
                    "project": phase.project.code,
                    "phase": SLA_WORDING[Phase(phase.phase)],
                    "deadline": format_date(phase.planned_end, settings.LANGUAGE_CODE),
                },
                link=reverse("production:project", args=[phase.project.code]),
            )
            reminder.save(update_fields=["recipients"])
            sent += reminder.recipients
    return sent
