"""Rejection on a legal ground and referral to another body: staff action, follow-up, SLA page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from desk_support import VALID_COMPLAINT, form_fields, tracking_code_in
from django.contrib.auth.models import User
from django.test import Client

from amargah.desk import selectors
from amargah.desk.choices import EventAction, NotificationChannel, Outcome, TicketStatus
from amargah.desk.models import Event, Message, Notification, Ticket

pytestmark = pytest.mark.django_db

INFO_REQUEST = {"period": "۱۴۰۰ تا ۱۴۰۴", "area": "استان سمنان", "preferred_format": "table"}


@pytest.fixture
def info_request(client: Client) -> Ticket:
    data = {**form_fields(client, "/desk/request/"), **VALID_COMPLAINT, **INFO_REQUEST}
    code = tracking_code_in(client.post("/desk/request/", data).content.decode())
    return Ticket.objects.get(tracking_code=code)


@pytest.fixture
def complaint(submit_complaint: Callable[..., str]) -> Ticket:
    return Ticket.objects.get(tracking_code=submit_complaint())


def follow_up(ticket: Ticket) -> str:
    """The requester's follow-up page of ``ticket``, opened with code and mobile."""
    requester = Client(REMOTE_ADDR="10.8.0.1")
    response = requester.post(
        "/desk/track/", {"code": ticket.tracking_code, "mobile": ticket.mobile}, follow=True
    )
    return response.content.decode()


def test_a_rejection_states_its_legal_ground_to_the_requester(
    staff_client: Client, officer: User, info_request: Ticket
) -> None:
    page = staff_client.get(f"/desk/staff/{info_request.pk}/").content.decode()
    assert 'id="reject-form"' in page and 'id="refer-form"' in page
    response = staff_client.post(
        f"/desk/staff/{info_request.pk}/reject/",
        {
            "reject-legal_basis": "law_14",
            "reject-explanation": "این داده‌ها اطلاعات شخصی افراد است.",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=info_request.pk)
    assert ticket.status == TicketStatus.REJECTED and ticket.outcome == Outcome.REJECTED
    assert ticket.legal_basis == "law_14" and ticket.assigned_to == officer
    # The decision is the response and the resolution, for the SLA clock.
    assert ticket.first_response_at == ticket.answered_at is not None
    message = Message.objects.get(ticket=ticket)
    assert message.visibility == "public" and "ماده ۱۴" in message.body
    assert "اطلاعات شخصی افراد" in message.body
    sms = Notification.objects.filter(ticket=ticket, channel=NotificationChannel.SMS)
    assert sms.filter(body__contains="پاسخ داده شد").count() == 1
    # The requester sees the status, the ground and the explanation.
    html = follow_up(ticket)
    assert "ردشده با استناد قانونی" in html
    assert re.search(r'id="legal-basis">[^<]*ماده ۱۴', html)
    assert "اطلاعات شخصی افراد" in html
    # The audit trail names who decided and on which ground.
    event = Event.objects.get(ticket=ticket, action=EventAction.REJECTED)
    assert event.actor == officer and event.new_value == "law_14"
    audit = staff_client.get(f"/desk/staff/{ticket.pk}/").content.decode()
    assert "قانون انتشار و دسترسی آزاد به اطلاعات، ماده ۱۴" in audit
    # Concluded: no second decision.
    again = staff_client.post(
        f"/desk/staff/{ticket.pk}/reject/",
        {"reject-legal_basis": "law_13", "reject-explanation": "x"},
    )
    assert again.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).legal_basis == "law_14"


@pytest.mark.parametrize(
    "data",
    [
        {"reject-legal_basis": "", "reject-explanation": "بدون مستند"},
        {"reject-legal_basis": "law_13", "reject-explanation": ""},
        {"reject-legal_basis": "because-i-say-so", "reject-explanation": "x"},
    ],
)
def test_a_rejection_without_ground_or_explanation_changes_nothing(
    staff_client: Client, info_request: Ticket, data: dict[str, str]
) -> None:
    response = staff_client.post(f"/desk/staff/{info_request.pk}/reject/", data)
    assert response.status_code == 400
    assert 'id="reject"' in response.content.decode()
    ticket = Ticket.objects.get(pk=info_request.pk)
    assert ticket.status == TicketStatus.NEW and ticket.answered_at is None
    assert not Message.objects.filter(ticket=ticket).exists()


def test_only_information_requests_can_be_rejected(staff_client: Client, complaint: Ticket) -> None:
    assert (
        'id="reject-form"' not in staff_client.get(f"/desk/staff/{complaint.pk}/").content.decode()
    )
    response = staff_client.post(
        f"/desk/staff/{complaint.pk}/reject/",
        {"reject-legal_basis": "law_13", "reject-explanation": "x"},
    )
    assert response.status_code == 400
    assert Ticket.objects.get(pk=complaint.pk).status == TicketStatus.NEW


def test_a_referral_names_the_body_and_a_reply_reopens_it(
    staff_client: Client, info_request: Ticket
) -> None:
    assert (
        staff_client.post(
            f"/desk/staff/{info_request.pk}/refer/", {"refer-referred_to": ""}
        ).status_code
        == 400
    )
    response = staff_client.post(
        f"/desk/staff/{info_request.pk}/refer/",
        {"refer-referred_to": "مركز آمار ايران", "refer-explanation": ""},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(pk=info_request.pk)
    assert ticket.status == TicketStatus.REFERRED and ticket.referred_to == "مرکز آمار ایران"
    assert ticket.answered_at is not None and ticket.legal_basis == ""
    html = follow_up(ticket)
    assert re.search(r'id="referred-to">مرکز آمار ایران<', html)
    assert "در اختیار مرکز آمار ایران است" in html
    assert Event.objects.filter(ticket=ticket, action=EventAction.REFERRED).count() == 1
    # The requester may still reply: the ticket is reopened for the office.
    from amargah.desk import services

    services.requester_reply(ticket=ticket, body="این دستگاه پاسخ نداد.")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.REOPENED


def test_the_performance_page_counts_decisions_as_answers(
    client: Client, staff_client: Client, info_request: Ticket, complaint: Ticket
) -> None:
    staff_client.post(
        f"/desk/staff/{info_request.pk}/reject/",
        {"reject-legal_basis": "regulation_13", "reject-explanation": "درخواست روشن نیست."},
    )
    staff_client.post(f"/desk/staff/{complaint.pk}/refer/", {"refer-referred_to": "شهرداری سمنان"})
    ticket = Ticket.objects.get(pk=info_request.pk)
    month = selectors.JalaliMonth.of(ticket.received_at)
    # Both targets fall due later; count them as met by moving the month to their deadlines.
    figures = selectors.month_performance(month)
    assert (figures.rejected, figures.referred) == (1, 1)
    for target in (ticket.due_first_response, ticket.due_resolution):
        assert target is not None
        due_month = selectors.month_performance(selectors.JalaliMonth.of(target), now=target)
        assert due_month.resolution.missed == 0 and due_month.first_response.missed == 0
    later = selectors.JalaliMonth.of(ticket.due_resolution)  # type: ignore[arg-type]
    assert selectors.month_performance(later, now=ticket.due_resolution).resolution.met >= 1
    page = client.get("/desk/performance/").content.decode()
    cell = re.search(r'id="rejected-referred">([^<]+)<', page)
    assert cell is not None and cell.group(1) == "۱ / ۱"
    rows = list(csv.DictReader(io.StringIO(client.get("/desk/performance.csv").content.decode())))
    this_month = next(row for row in rows if row["month"] == month.key)
    assert (this_month["rejected_legal_ground"], this_month["referred"]) == ("1", "1")
    # Not in the backlog: the office owes nothing more.
    assert sum(figures.backlog.values()) == 0


def test_the_demo_traffic_has_reasoned_rejections_and_referrals() -> None:
    from amargah.desk.demo import create_demo_traffic

    create_demo_traffic(months=6)
    rejected = Ticket.objects.filter(outcome=Outcome.REJECTED)
    referred = Ticket.objects.filter(outcome=Outcome.REFERRED)
    assert rejected.exists() and referred.exists()
    assert all(ticket.kind == "info_request" for ticket in [*rejected, *referred])
    assert not rejected.filter(legal_basis="").exists()
    assert not referred.filter(referred_to="").exists()
    assert all(ticket.answered_at is not None for ticket in [*rejected, *referred])
    sample = rejected.first()
    assert sample is not None
    assert "مستند قانونی" in sample.messages.last().body  # type: ignore[union-attr]
    months = selectors.recent_months(count=7)
    figures = [selectors.month_performance(month) for month in months]
    assert sum(f.rejected for f in figures) == rejected.count()
    assert sum(f.referred for f in figures) == referred.count()
