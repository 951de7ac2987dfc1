"""The staff back-office: templates edited as new versions, workflow records read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from amargah.production.models import ChecklistTemplate, Project


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
