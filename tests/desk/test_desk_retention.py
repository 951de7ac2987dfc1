"""Retention: personal data of long-concluded tickets is erased, the published figures are not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from amargah.desk import selectors, services, tasks
from amargah.desk.choices import EventAction, TicketStatus
from amargah.desk.models import Attachment, Event, Notification, SurveyResponse, Ticket
from amargah.desk.views import performance_row

pytestmark = pytest.mark.django_db


def figures_of(months: list[selectors.JalaliMonth], now: dt.datetime) -> list[list[str]]:
    return [performance_row(selectors.month_performance(month, now=now)) for month in months]


@pytest.fixture
def concluded(submit_complaint: Callable[..., str], officer: User) -> list[Ticket]:
    """Three tickets through HTTP: closed with a file and a rating, answered, and still open."""
    closed = Ticket.objects.get(tracking_code=submit_complaint(email="a@example.org"))
    services.ticket_reply(
        actor=officer,
        ticket=closed,
        body="پاسخ با پیوست",
        public=True,
        status=TicketStatus.ANSWERED,
        files=[SimpleUploadedFile("table.csv", b"a,b\n1,2\n", content_type="text/csv")],
    )
    services.survey_submit(ticket=closed, score=5, comment="از آقای کریمی ممنونم")
    services.ticket_set_status(actor=officer, ticket=closed, status=TicketStatus.CLOSED)
    answered = Ticket.objects.get(tracking_code=submit_complaint(mobile="09121112233"))
    services.ticket_reply(
        actor=officer, ticket=answered, body="پاسخ", public=True, status=TicketStatus.ANSWERED
    )
    still_open = Ticket.objects.get(tracking_code=submit_complaint(mobile="09124445566"))
    return [closed, answered, still_open]


def test_expired_tickets_lose_personal_data_and_the_figures_stay(
    concluded: list[Ticket], settings: Any, client: Client
) -> None:
    settings.DESK_RETENTION_DAYS = 30
    closed, answered, still_open = concluded
    stored = Path(Attachment.objects.get().file.path)
    assert stored.exists()
    later = timezone.now() + dt.timedelta(days=31)
    months = selectors.recent_months(count=3, now=later)
    before = figures_of(months, later)
    assert any(row[1] != "0" for row in before)  # something to compare

    assert sorted(services.tickets_due_for_anonymisation(now=later)) == sorted(
        [closed.pk, answered.pk]
    )
    assert services.tickets_anonymise_expired(now=later) == 2
    assert services.tickets_anonymise_expired(now=later) == 0  # once only

    assert figures_of(months, later) == before
    for ticket in (closed, answered):
        ticket.refresh_from_db()
        assert ticket.anonymised_at == later
        assert (ticket.full_name, ticket.mobile, ticket.email, ticket.national_id) == ("",) * 4
        assert "تأخیر" not in ticket.subject and "پاسخ درخواست" not in ticket.body
        assert all(message.body == services.REMOVED for message in ticket.messages.all())
        assert not Notification.objects.filter(ticket=ticket, recipient__startswith="09").exists()
        assert Event.objects.filter(ticket=ticket, action=EventAction.ANONYMISED).count() == 1
        # What the figures need stays.
        assert ticket.answered_at is not None and ticket.first_response_at is not None
    assert not Attachment.objects.exists()
    rating = SurveyResponse.objects.get(ticket=closed)
    assert rating.score == 5 and rating.comment == ""
    # The open ticket keeps everything.
    still_open.refresh_from_db()
    assert still_open.mobile == "09124445566" and still_open.anonymised_at is None
    # Nobody can follow up an anonymised ticket with its old mobile any more.
    response = client.post("/desk/track/", {"code": closed.tracking_code, "mobile": "09121234567"})
    assert "ticket" not in response.get("Location", "")


def test_the_files_are_deleted_once_the_erasure_commits(
    concluded: list[Ticket], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DESK_RETENTION_DAYS = 30
    stored = Path(Attachment.objects.get().file.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_anonymise(
            ticket_id=concluded[0].pk, now=timezone.now() + dt.timedelta(days=31)
        )
    assert not stored.exists()


def test_nothing_is_erased_within_the_retention_period(
    concluded: list[Ticket], settings: Any
) -> None:
    settings.DESK_RETENTION_DAYS = 30
    assert services.tickets_anonymise_expired(now=timezone.now() + dt.timedelta(days=29)) == 0
    assert not Ticket.objects.filter(anonymised_at__isnull=False).exists()


def test_the_command_and_the_daily_task(concluded: list[Ticket], settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.DESK_RETENTION_DAYS = 0
    out = __import__("io").StringIO()
    call_command("desk_anonymise", stdout=out)
    assert "tickets anonymised: 2" in out.getvalue()
    # With a queue that can defer, the task re-arms itself once a day, never twice.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert tasks.retention_schedule() is True
    assert tasks.retention_schedule() is False
    row = DBTaskResult.objects.get(task_path__endswith="anonymise_expired")
    assert row.run_after > timezone.now() + dt.timedelta(hours=23)
