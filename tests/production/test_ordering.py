"""The ordering rule: phases open one after the other; reopening is reasoned and audited."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from production_support import People

from amargah.production import services
from amargah.production.choices import ArtefactKind, AuditAction, ItemState, PhaseState
from amargah.production.models import Artefact, AuditEvent, Project, ProjectPhase, SignOff


def phase(project: Project, number: int) -> ProjectPhase:
    return project.phases.get(number=number)


def complete_checklist(project: Project, number: int, people: People) -> None:
    for entry in phase(project, number).entries.all():
        services.checklist_mark(entry=entry, state=ItemState.DONE, user=people.manager)


def test_a_new_project_has_the_eight_phases_with_only_the_first_open(project: Project) -> None:
    phases = list(project.phases.order_by("number"))
    assert [p.phase for p in phases] == [
        "specify_needs",
        "design",
        "build",
        "collect",
        "process",
        "analyse",
        "disseminate",
        "evaluate",
    ]
    assert [p.state for p in phases] == [PhaseState.OPEN] + [PhaseState.LOCKED] * 7
    # GSBPM 5.1 sub-processes 1.1–8.3 as the checklist.
    codes = [entry.item.code for p in phases for entry in p.entries.order_by("item__order")]
    assert codes[0] == "1.1" and codes[-1] == "8.3" and len(codes) == 44
    assert phases[1].planned_start > phases[0].planned_end


def test_a_locked_phase_takes_no_artefact_through_http(
    client: Client, project: Project, people: People
) -> None:
    client.force_login(people.methodologist)
    response = client.post(
        f"/production/projects/{project.code}/phases/2/artefacts/",
        {
            "kind": ArtefactKind.SAMPLE_DESIGN,
            "name": "sample-design",
            "file": ContentFile(b"strata: county x area", name="design.txt"),
        },
    )
    assert response.status_code == 400
    assert "این مرحله باز نیست" in response.content.decode()
    assert not Artefact.objects.exists()


def test_a_locked_phase_cannot_be_signed_off_or_ticked(project: Project, people: People) -> None:
    design = phase(project, 2)
    with pytest.raises(ValidationError) as refused:
        services.phase_sign_off(phase=design, user=people.methodologist)
    assert refused.value.code == "phase_not_open"
    with pytest.raises(ValidationError):
        services.checklist_mark(
            entry=design.entries.first(), state=ItemState.DONE, user=people.methodologist
        )
    assert phase(project, 2).state == PhaseState.LOCKED


def test_sign_off_needs_the_named_role_and_a_resolved_checklist(
    client: Client, project: Project, people: People
) -> None:
    needs = phase(project, 1)
    # The template names the project manager for phase 1; the methodologist may not.
    complete_checklist(project, 1, people)
    with pytest.raises(PermissionDenied):
        services.phase_sign_off(phase=needs, user=people.methodologist)

    blocked = needs.entries.order_by("item__order").first()
    assert blocked is not None
    services.checklist_mark(
        entry=blocked, state=ItemState.BLOCKED, user=people.manager, reason="منتظر نامهٔ وزارت"
    )
    client.force_login(people.manager)
    response = client.post(f"/production/projects/{project.code}/phases/1/sign-off/")
    assert response.status_code == 400
    assert "1.1" in response.content.decode()
    assert phase(project, 1).state == PhaseState.OPEN
    assert phase(project, 2).state == PhaseState.LOCKED

    # Not applicable needs a reason, and then counts as resolved.
    with pytest.raises(ValidationError):
        services.checklist_mark(entry=blocked, state=ItemState.NOT_APPLICABLE, user=people.manager)
    services.checklist_mark(
        entry=blocked,
        state=ItemState.NOT_APPLICABLE,
        user=people.manager,
        reason="نیاز در طرح پیشین تأیید شده است",
    )
    response = client.post(
        f"/production/projects/{project.code}/phases/1/sign-off/", {"comment": "تأیید شد"}
    )
    assert response.status_code == 302
    assert phase(project, 1).state == PhaseState.SIGNED_OFF
    assert phase(project, 2).state == PhaseState.OPEN
    signoff = SignOff.objects.get(project_phase=phase(project, 1))
    assert signoff.comment == "تأیید شد"
    assert {
        "code": "1.1",
        "state": "not_applicable",
        "reason": "نیاز در طرح پیشین تأیید شده است",
    } in (signoff.checklist)


def test_sign_off_records_the_artefact_versions_it_approved(
    project: Project, people: People
) -> None:
    needs = phase(project, 1)
    first = services.artefact_add(
        phase=needs,
        user=people.manager,
        kind=ArtefactKind.NEEDS_ASSESSMENT,
        name="needs",
        upload=ContentFile(b"draft", name="needs.md"),
    )
    second = services.artefact_add(
        phase=needs,
        user=people.manager,
        kind=ArtefactKind.NEEDS_ASSESSMENT,
        name="needs",
        upload=ContentFile(b"final", name="needs.md"),
        inputs=[first],
    )
    assert (first.version, second.version) == (1, 2)
    assert second.sha256 == hashlib.sha256(b"final").hexdigest()
    assert list(second.inputs.all()) == [first]
    with second.file.open("rb") as handle:
        assert handle.read() == b"final"
    complete_checklist(project, 1, people)
    signoff = services.phase_sign_off(phase=needs, user=people.manager)
    assert list(signoff.artefacts.all()) == [second]
    # Once signed off, the phase takes no new version.
    with pytest.raises(ValidationError):
        services.artefact_add(
            phase=needs,
            user=people.manager,
            kind=ArtefactKind.NEEDS_ASSESSMENT,
            name="needs",
            upload=ContentFile(b"late", name="needs.md"),
        )


def test_an_input_must_come_from_this_or_an_earlier_phase(project: Project, people: People) -> None:
    complete_checklist(project, 1, people)
    services.phase_sign_off(phase=phase(project, 1), user=people.manager)
    design = services.artefact_add(
        phase=phase(project, 2),
        user=people.methodologist,
        kind=ArtefactKind.SAMPLE_DESIGN,
        name="sample-design",
        upload=ContentFile(b"design", name="design.txt"),
    )
    with pytest.raises(ValidationError):
        services.artefact_add(
            phase=phase(project, 1),
            user=people.manager,
            kind=ArtefactKind.OTHER,
            name="x",
            upload=ContentFile(b"x", name="x.txt"),
            inputs=[design],
        )


def test_reopening_needs_a_reason_locks_later_phases_and_is_audited(
    client: Client, project: Project, people: People
) -> None:
    complete_checklist(project, 1, people)
    services.phase_sign_off(phase=phase(project, 1), user=people.manager)
    for entry in phase(project, 2).entries.all():
        services.checklist_mark(entry=entry, state=ItemState.DONE, user=people.methodologist)
    services.phase_sign_off(phase=phase(project, 2), user=people.methodologist)
    assert phase(project, 3).state == PhaseState.OPEN

    client.force_login(people.manager)
    url = f"/production/projects/{project.code}/phases/1/reopen/"
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert phase(project, 1).state == PhaseState.SIGNED_OFF

    response = client.post(url, {"reason": "نیاز تازهٔ وزارت کار"})
    assert response.status_code == 302
    states = [p.state for p in project.phases.order_by("number")]
    assert states == [PhaseState.OPEN] + [PhaseState.LOCKED] * 7
    assert phase(project, 1).reopen_count == 1
    # The earlier approvals stay in the history, superseded.
    assert SignOff.objects.filter(superseded_at__isnull=True).count() == 0
    assert SignOff.objects.count() == 2
    reopened = AuditEvent.objects.get(action=AuditAction.PHASE_REOPENED)
    assert reopened.actor == people.manager
    assert reopened.reason == "نیاز تازهٔ وزارت کار"
    assert reopened.changes == {"state": ["signed_off", "open"]}
    assert AuditEvent.objects.filter(action=AuditAction.PHASE_LOCKED).count() == 2

    # The phase after a reopened one does not open until it is signed off again.
    with pytest.raises(ValidationError):
        services.phase_sign_off(phase=phase(project, 2), user=people.methodologist)

    export = client.get(f"/production/projects/{project.code}/audit.csv")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    reopen_rows = [row for row in rows if row["action"] == "phase_reopened"]
    assert reopen_rows == [
        {
            **reopen_rows[0],
            "actor": "manager",
            "field": "state",
            "before": "signed_off",
            "after": "open",
            "reason": "نیاز تازهٔ وزارت کار",
        }
    ]
    assert {row["action"] for row in rows} >= {
        "project_created",
        "member_added",
        "item_changed",
        "phase_signed_off",
        "phase_opened",
        "phase_locked",
    }


def test_only_a_signed_off_phase_can_be_reopened(project: Project, people: People) -> None:
    with pytest.raises(ValidationError) as refused:
        services.phase_reopen(phase=phase(project, 1), user=people.manager, reason="چرا؟")
    assert refused.value.code == "not_signed_off"


def test_the_manager_moves_a_phases_dates_in_jalali_and_it_is_audited(
    client: Client, project: Project, people: People
) -> None:
    url = f"/production/projects/{project.code}/phases/3/schedule/"
    client.force_login(people.field_manager)
    data = {"planned_start": "۱۴۰۵/۰۴/۰۱", "planned_end": "۱۴۰۵/۰۵/۱۵"}
    assert client.post(url, data).status_code == 403
    client.force_login(people.manager)
    page = client.get(f"/production/projects/{project.code}/").content.decode()
    assert 'value="۱۴۰۵/۰۱/۰۱"' in page  # phase 1 starts on the project's first day
    assert client.post(url, {**data, "planned_end": "۱۴۰۵/۰۳/۰۱"}).status_code == 400
    assert client.post(url, data).status_code == 302
    build = phase(project, 3)
    assert build.planned_start.isoformat() == "2026-06-22"
    assert build.planned_end.isoformat() == "2026-08-06"
    event = AuditEvent.objects.get(action=AuditAction.PHASE_RESCHEDULED)
    assert event.changes["planned_end"][1] == "2026-08-06"
