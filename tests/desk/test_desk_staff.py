"""The officers' back-office through HTTP: roles, queue, assignment, replies, notes, audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from desk_support import make_user
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from amargah.desk import services, tasks
from amargah.desk.choices import EventAction, NotificationChannel, TicketStatus
from amargah.desk.models import CannedResponse, Event, Message, Notification, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(submit_complaint: Callable[..., str]) -> Ticket:
    return Ticket.objects.get(tracking_code=submit_complaint())


def test_the_queue_is_linked_for_officers_only(staff_client: Client, client: Client) -> None:
    assert 'id="go-queue"' in staff_client.get("/desk/").content.decode()
    assert 'id="go-queue"' not in client.get("/desk/").content.decode()


def test_staff_sign_in_and_its_rate_limit(officer: User) -> None:
    client = Client()
    response = client.post(
        "/desk/staff/login/", {"username": "officer1", "password": "pw-officer1"}
    )
    assert response.status_code == 302 and response["Location"] == "/desk/staff/"
    guesser = Client(REMOTE_ADDR="10.9.9.9")
    statuses = [
        guesser.post(
            "/desk/staff/login/", {"username": "officer1", "password": f"guess{n}"}
        ).status_code
        for n in range(11)
    ]
    assert statuses == [200] * 10 + [429]


def test_rate_limits_can_key_on_the_proxy_header(
    client: Client, settings: object, fill: object
) -> None:
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"  # type: ignore[attr-defined]
    for _ in range(11):
        client.post(
            "/desk/staff/login/", {"username": "x", "password": "y"}, HTTP_X_REAL_IP="10.0.0.1"
        )
    # Another visitor behind the same proxy is not blocked by the first one's guesses.
    other = client.post(
        "/desk/staff/login/", {"username": "x", "password": "y"}, HTTP_X_REAL_IP="10.0.0.2"
    )
    assert other.status_code == 200


def test_staff_pages_need_login_and_a_role(ticket: Ticket) -> None:
    anonymous = Client()
    response = anonymous.get("/desk/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/desk/staff/login/")
    citizen = Client()
    citizen.force_login(make_user("plain", None))
    assert citizen.get("/desk/staff/").status_code == 403
    assert citizen.get(f"/desk/staff/{ticket.pk}/").status_code == 404


def test_queue_lists_the_ticket_with_masked_mobile_and_deadline(
    staff_client: Client, ticket: Ticket
) -> None:
    html = staff_client.get("/desk/staff/").content.decode()
    assert f"/desk/staff/{ticket.pk}/" in html
    assert "۰۹۱۲***۴۵۶۷" in html and "۰۹۱۲۱۲۳۴۵۶۷" not in html
    assert "مانده" in html  # time left on the deadline


def test_queue_filters(staff_client: Client, ticket: Ticket, officer: User) -> None:
    assert (
        f"/desk/staff/{ticket.pk}/" in staff_client.get("/desk/staff/?status=new").content.decode()
    )
    assert (
        f"/desk/staff/{ticket.pk}/"
        not in staff_client.get("/desk/staff/?status=closed").content.decode()
    )
    assert (
        f"/desk/staff/{ticket.pk}/"
        not in staff_client.get("/desk/staff/?kind=info_request").content.decode()
    )
    assert (
        f"/desk/staff/{ticket.pk}/"
        not in staff_client.get("/desk/staff/?assigned=me").content.decode()
    )
    assert (
        f"/desk/staff/{ticket.pk}/"
        in staff_client.get("/desk/staff/?assigned=none").content.decode()
    )
    assert (
        f"/desk/staff/{ticket.pk}/"
        not in staff_client.get("/desk/staff/?overdue=on").content.decode()
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        due_first_response=timezone.now() - dt.timedelta(hours=1)
    )
    assert (
        f"/desk/staff/{ticket.pk}/" in staff_client.get("/desk/staff/?overdue=on").content.decode()
    )
    assert (
        f"/desk/staff/{ticket.pk}/"
        in staff_client.get(f"/desk/staff/?q={ticket.tracking_code}").content.decode()
    )


def test_opening_a_ticket_is_logged_once_per_half_hour(
    staff_client: Client, ticket: Ticket, officer: User
) -> None:
    staff_client.get(f"/desk/staff/{ticket.pk}/")
    staff_client.get(f"/desk/staff/{ticket.pk}/")
    views = Event.objects.filter(ticket=ticket, action=EventAction.VIEWED)
    assert [event.actor for event in views] == [officer]
    views.update(at=timezone.now() - dt.timedelta(minutes=31))
    staff_client.get(f"/desk/staff/{ticket.pk}/")
    assert Event.objects.filter(ticket=ticket, action=EventAction.VIEWED).count() == 2


def test_an_officer_sees_only_the_open_queue_and_their_own(
    staff_client: Client, ticket: Ticket, other_officer: User, supervisor_client: Client
) -> None:
    assert staff_client.get(f"/desk/staff/{ticket.pk}/").status_code == 200
    assert (
        supervisor_client.post(
            f"/desk/staff/{ticket.pk}/assign/", {"assignee": other_officer.pk}
        ).status_code
        == 302
    )
    assert staff_client.get(f"/desk/staff/{ticket.pk}/").status_code == 404
    assert (
        f"/desk/staff/{ticket.pk}/" not in staff_client.get("/desk/staff/?status=").content.decode()
    )
    assert supervisor_client.get(f"/desk/staff/{ticket.pk}/").status_code == 200


def test_an_officer_may_take_a_ticket_but_not_hand_it_to_another(
    staff_client: Client, ticket: Ticket, officer: User, other_officer: User
) -> None:
    assert (
        staff_client.post(
            f"/desk/staff/{ticket.pk}/assign/", {"assignee": other_officer.pk}
        ).status_code
        == 403
    )
    assert (
        staff_client.post(f"/desk/staff/{ticket.pk}/assign/", {"assignee": officer.pk}).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.assigned_to == officer and ticket.status == TicketStatus.ASSIGNED
    event = Event.objects.get(ticket=ticket, action=EventAction.ASSIGNED)
    assert event.actor == officer and event.new_value == "officer1"


def test_public_reply_is_the_first_response_and_is_sent_to_the_requester(
    staff_client: Client, ticket: Ticket, officer: User, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = staff_client.post(
            f"/desk/staff/{ticket.pk}/reply/",
            {"body": "بررسی شد.", "visibility": "public", "status": "answered"},
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.answered_at is not None
    assert ticket.status == TicketStatus.ANSWERED and ticket.assigned_to == officer
    bodies = list(
        Notification.objects.filter(ticket=ticket, channel=NotificationChannel.SMS).values_list(
            "body", flat=True
        )
    )
    assert any("پاسخ داده شد" in body for body in bodies)
    assert any("/desk/survey/" in body for body in bodies)  # the rating link
    actions = set(Event.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert {EventAction.REPLIED, EventAction.STATUS_CHANGED} <= actions


def test_internal_notes_stay_internal(staff_client: Client, ticket: Ticket, client: Client) -> None:
    staff_client.post(
        f"/desk/staff/{ticket.pk}/reply/", {"body": "یادداشت محرمانه", "visibility": "internal"}
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert "یادداشت محرمانه" in staff_client.get(f"/desk/staff/{ticket.pk}/").content.decode()
    client.post("/desk/track/", {"code": ticket.tracking_code, "mobile": "09121234567"})
    assert "یادداشت محرمانه" not in client.get("/desk/track/ticket/").content.decode()
    assert Notification.objects.filter(ticket=ticket).count() == 1  # only the acknowledgement


def test_canned_response_fills_in_the_code_and_name(staff_client: Client, ticket: Ticket) -> None:
    canned = CannedResponse.objects.create(
        title="دریافت", body="{name} گرامی، درخواست {tracking_code} در {jalali_date} دریافت شد. {x}"
    )
    staff_client.post(
        f"/desk/staff/{ticket.pk}/reply/", {"canned": canned.pk, "visibility": "public", "body": ""}
    )
    code = ticket.tracking_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    body = Message.objects.get(ticket=ticket).body
    assert re.fullmatch(
        rf"علی کریمی گرامی، درخواست {code} در [۰-۹]+ [^ ]+ [۰-۹]{{4}} دریافت شد\. \{{x\}}", body
    ), body


def test_an_empty_reply_is_refused(staff_client: Client, ticket: Ticket) -> None:
    response = staff_client.post(
        f"/desk/staff/{ticket.pk}/reply/", {"body": "", "visibility": "public"}
    )
    assert response.status_code == 400 and "پاسخ آماده برگزینید" in response.content.decode()


def test_attachments_are_checked_and_served_only_to_staff(
    staff_client: Client, ticket: Ticket, settings: object
) -> None:
    png = SimpleUploadedFile("chart.png", b"\x89PNG\r\n\x1a\nrest", content_type="image/png")
    staff_client.post(
        f"/desk/staff/{ticket.pk}/reply/", {"body": "جدول", "visibility": "public", "files": [png]}
    )
    attachment = Message.objects.get(ticket=ticket).attachments.get()
    download = staff_client.get(f"/desk/staff/file/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert Client().get(f"/desk/staff/file/{attachment.pk}/").status_code == 302  # to sign-in
    settings.DESK_ATTACHMENT_MAX_BYTES = 10  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.csv", b"a,b\n" * 10, content_type="text/csv")
    response = staff_client.post(
        f"/desk/staff/{ticket.pk}/reply/", {"body": "x", "visibility": "public", "files": [big]}
    )
    assert response.status_code == 400 and "big.csv" in response.content.decode()
    many = [SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain") for i in range(4)]
    settings.DESK_ATTACHMENT_MAX_BYTES = 1000  # type: ignore[attr-defined]
    assert (
        staff_client.post(
            f"/desk/staff/{ticket.pk}/reply/", {"body": "x", "visibility": "public", "files": many}
        ).status_code
        == 400
    )


def test_waiting_pauses_the_clock_and_resuming_pushes_the_deadline(
    staff_client: Client, ticket: Ticket
) -> None:
    due = ticket.due_resolution
    assert due is not None
    staff_client.post(f"/desk/staff/{ticket.pk}/status/", {"status": "waiting"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.due_resolution is None
    Ticket.objects.filter(pk=ticket.pk).update(paused_since=timezone.now() - dt.timedelta(hours=5))
    staff_client.post(f"/desk/staff/{ticket.pk}/status/", {"status": "assigned"})
    ticket.refresh_from_db()
    # A complaint runs on the 24/7 clock: five hours of pause push the deadline five hours.
    assert ticket.paused_minutes == pytest.approx(300, abs=1)
    assert ticket.due_resolution is not None
    assert abs((ticket.due_resolution - due) - dt.timedelta(hours=5)) < dt.timedelta(minutes=1)
    actions = list(Event.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert EventAction.PAUSED in actions and EventAction.RESUMED in actions


def test_a_forbidden_status_change_is_refused(staff_client: Client, ticket: Ticket) -> None:
    assert (
        staff_client.post(f"/desk/staff/{ticket.pk}/status/", {"status": "reopened"}).status_code
        == 400
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_closing_and_reopening(staff_client: Client, ticket: Ticket) -> None:
    for status in ("answered", "closed", "reopened"):
        assert (
            staff_client.post(f"/desk/staff/{ticket.pk}/status/", {"status": status}).status_code
            == 302
        )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.REOPENED and ticket.closed_at is not None
    html = staff_client.get(f"/desk/staff/{ticket.pk}/").content.decode()
    audit = re.search(r'id="audit">(.*?)</ol>', html, flags=re.DOTALL)
    assert audit is not None
    # The audit trail lists each change, with the statuses in the reader's language.
    assert audit.group(1).count("تغییر وضعیت") == 3
    assert "بسته‌شده" in audit.group(1) and "closed" not in audit.group(1)


def test_breach_escalates_to_supervisors_once(
    ticket: Ticket, supervisor: User, django_capture_on_commit_callbacks: object
) -> None:
    late = timezone.now() - dt.timedelta(minutes=1)
    Ticket.objects.filter(pk=ticket.pk).update(due_first_response=late)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        first = tasks.escalate_ticket.enqueue(ticket.pk)
        second = tasks.escalate_ticket.enqueue(ticket.pk)
    assert first.return_value == ["first_response"] and second.return_value == []
    from django.core import mail

    escalations = [message for message in mail.outbox if message.to == [supervisor.email]]
    assert len(escalations) == 1 and ticket.tracking_code in escalations[0].subject
    assert Event.objects.filter(ticket=ticket, action=EventAction.ESCALATED).count() == 1
    # The sweep finds nothing more to do.
    assert services.escalate_breaches() == 0


def test_at_risk_warns_the_officer_once_then_the_deadline_escalates(
    ticket: Ticket, officer: User, supervisor: User, django_capture_on_commit_callbacks: object
) -> None:
    officer.email = "officer1@example.org"
    officer.save()
    services.ticket_assign(actor=supervisor, ticket=ticket, assignee=officer)
    # A complaint: first response within 24 hours on the 24/7 clock, at risk after 18.
    at_risk = ticket.received_at + dt.timedelta(hours=18, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert services.ticket_escalate_if_breached(ticket_id=ticket.pk, now=at_risk) == [
            "at_risk:first_response"
        ]
        assert services.ticket_escalate_if_breached(ticket_id=ticket.pk, now=at_risk) == []
        late = ticket.due_first_response + dt.timedelta(minutes=1)
        assert services.ticket_escalate_if_breached(ticket_id=ticket.pk, now=late) == [
            "first_response"
        ]
    from django.core import mail

    assert [message.to for message in mail.outbox] == [[officer.email], [supervisor.email]]
    assert "نزدیک" in mail.outbox[0].subject
    actions = list(Event.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions.count(EventAction.AT_RISK) == 1 and actions.count(EventAction.ESCALATED) == 1


def test_the_deferred_check_rearms_for_the_deadline(ticket: Ticket, settings: object) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # type: ignore[attr-defined]
    at_risk = ticket.received_at + dt.timedelta(hours=19)
    services.ticket_escalate_if_breached(ticket_id=ticket.pk, now=at_risk, reschedule=True)
    deadlines = {
        row.run_after for row in DBTaskResult.objects.filter(task_path__endswith="escalate_ticket")
    }
    assert deadlines == {ticket.due_first_response}


def test_a_ticket_not_yet_due_is_not_escalated(ticket: Ticket, supervisor: User) -> None:
    assert services.ticket_escalate_if_breached(ticket_id=ticket.pk) == []
    assert services.escalate_breaches(now=ticket.due_resolution + dt.timedelta(minutes=1)) == 2  # type: ignore[operator]


def test_sweep_command_and_admin_pages(ticket: Ticket, supervisor: User) -> None:
    from django.core.management import call_command

    call_command("desk_sweep")
    admin = User.objects.create_superuser("admin", password="pw")
    client = Client()
    client.force_login(admin)
    for model in (
        "ticket",
        "holiday",
        "slapolicy",
        "cannedresponse",
        "notification",
        "surveyresponse",
        "event",
    ):
        assert client.get(f"/staff/desk/{model}/").status_code == 200, model
    assert client.get(f"/staff/desk/ticket/{ticket.pk}/change/").status_code == 200
    response = client.post("/staff/desk/holiday/add/", {"jalali": "۱۴۰۵-۰۹-۱۵", "title": "تعطیل"})
    assert response.status_code == 302
    from amargah.desk.models import Holiday

    assert Holiday.objects.get().date == dt.date(2026, 12, 6)
