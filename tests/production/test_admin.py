"""The staff back-office: templates edited as new versions, workflow records read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from amargah.production.models import (
    Agency,
    AgencyAccount,
    AuditEvent,
    ChecklistTemplate,
    Project,
)


@pytest.fixture
def admin_client_fa(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x-long-password-1"))
    return client


def test_admin_lists_open_and_templates_copy_into_a_new_version(
    admin_client_fa: Client, project: Project
) -> None:
    for model in (
        "agency",
        "checklisttemplate",
        "templatephase",
        "project",
        "artefact",
        "signoff",
        "agencyplan",
        "notification",
        "auditevent",
    ):
        assert admin_client_fa.get(f"/staff/production/{model}/").status_code == 200, model
    first = ChecklistTemplate.objects.get(version=1)
    # A published version is read-only; the office copies it into a new draft.
    assert (
        admin_client_fa.post(
            f"/staff/production/checklisttemplate/{first.pk}/change/", {"title_fa": "x"}
        ).status_code
        == 403
    )
    response = admin_client_fa.post(
        "/staff/production/checklisttemplate/",
        {"action": "new_version", "_selected_action": [first.pk]},
    )
    assert response.status_code == 302
    draft = ChecklistTemplate.objects.get(version=2)
    assert draft.published_at is None
    assert draft.phases.count() == 8 and draft.criteria.count() == 7
    assert (
        admin_client_fa.get(f"/staff/production/checklisttemplate/{draft.pk}/change/").status_code
        == 200
    )
    response = admin_client_fa.post(
        "/staff/production/checklisttemplate/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.published_at is not None
    # Workflow records change only through the services.
    assert admin_client_fa.get(f"/staff/production/project/{project.pk}/change/").status_code == 200
    assert (
        admin_client_fa.post(
            f"/staff/production/project/{project.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


def test_back_office_changes_are_in_the_audit_trail(admin_client_fa: Client, people: Any) -> None:
    management = {
        "accounts-TOTAL_FORMS": "1",
        "accounts-INITIAL_FORMS": "0",
        "accounts-MIN_NUM_FORMS": "0",
        "accounts-MAX_NUM_FORMS": "1000",
    }
    response = admin_client_fa.post(
        "/staff/production/agency/add/",
        {
            "code": "stats-center",
            "name_fa": "ادارهٔ آمار",
            "name_en": "Statistics bureau",
            **management,
            "accounts-0-user": people.citizen.pk,
        },
    )
    assert response.status_code == 302
    agency = Agency.objects.get(code="stats-center")
    assert AgencyAccount.objects.get(agency=agency).user == people.citizen
    added = AuditEvent.objects.filter(action="record_added")
    assert {event.object_type for event in added} == {"agency", "agencyaccount"}
    response = admin_client_fa.post(
        f"/staff/production/agency/{agency.pk}/change/",
        {
            "code": "stats-center",
            "name_fa": "ادارهٔ کل آمار",
            "name_en": "Statistics bureau",
            **management,
            "accounts-INITIAL_FORMS": "1",
            "accounts-0-id": AgencyAccount.objects.get(agency=agency).pk,
            "accounts-0-agency": agency.pk,
            "accounts-0-user": people.citizen.pk,
        },
    )
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="record_changed")
    assert changed.actor is not None and changed.actor.username == "root"
    assert changed.changes == {"name_fa": ["ادارهٔ آمار", "ادارهٔ کل آمار"]}
