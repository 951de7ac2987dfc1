"""Requests received by telephone, in person or by letter, registered by an officer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from desk_support import STAMP, make_user
from django.contrib.auth.models import User
from django.test import Client

from amargah.desk import selectors, tracking
from amargah.desk.choices import Channel, EventAction, NotificationChannel, TicketKind
from amargah.desk.models import Event, Notification, Ticket
from amargah.desk.notifications import LocmemSmsBackend

pytestmark = pytest.mark.django_db

PHONE_REQUEST = {
    "ticket_kind": "info_request",
    "channel": "phone",
    "requester_kind": "citizen",
    "full_name": "زهرا رحيمی",
    "mobile": "۰۹۱۳۷۶۵۴۳۲۱",
    "subject": "جمعیت شهرستان گرمسار",
    "body": "جمعیت شهرستان به تفکیک سن در سرشماری ۱۳۹۵.",
    "period": "۱۳۹۵",
    "area": "گرمسار",
    "preferred_format": "table",
}


def entry_form(client: Client) -> dict[str, str]:
    html = client.get("/desk/staff/new/").content.decode()
    stamp = STAMP.search(html)
    assert stamp is not None
    assert 'name="website"' not in html and 'name="captcha_0"' not in html
    return {"stamp": stamp.group(1)}


def test_a_phone_request_gets_a_code_by_sms_and_the_same_clock(
    staff_client: Client, officer: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    assert 'id="new-ticket"' in staff_client.get("/desk/staff/").content.decode()
    data = {**entry_form(staff_client), **PHONE_REQUEST}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/desk/staff/new/", data, follow=True)
    html = response.content.decode()
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == f"/desk/staff/{ticket.pk}/"
    assert ticket.channel == Channel.PHONE and ticket.entered_by == officer
    assert ticket.kind == TicketKind.INFO_REQUEST and ticket.mobile == "09137654321"
    assert ticket.full_name == "زهرا رحیمی" and ticket.preferred_format == "table"
    assert tracking.is_valid(ticket.tracking_code)
    # The officer sees the code to read out.
    shown = re.sub(r"\D", "", tracking.grouped(ticket.tracking_code))
    assert tracking.grouped(ticket.tracking_code) in html and shown == ticket.tracking_code
    assert "تلفن" in html and "ثبت‌کننده: officer1" in html
    # The same SMS as a web request, with the code.
    sms = Notification.objects.get(ticket=ticket, channel=NotificationChannel.SMS)
    assert "کد رهگیری" in sms.body and sms.recipient == "09137654321"
    assert [message.to for message in LocmemSmsBackend.outbox] == ["09137654321"]
    # The same SLA policy and clock: ten working days from receipt.
    calendar = selectors.sla_calendar(ticket.policy.clock)
    assert ticket.due_resolution == calendar.add(
        ticket.received_at, ticket.policy.resolution_minutes
    )
    created = Event.objects.get(ticket=ticket, action=EventAction.CREATED)
    assert created.actor == officer and created.new_value == "phone"
    # The requester follows it up like any other request.
    lookup = client.post(
        "/desk/track/", {"code": ticket.tracking_code, "mobile": "09137654321"}, follow=True
    )
    assert "جمعیت شهرستان گرمسار" in lookup.content.decode()


def test_a_second_click_registers_nothing_new(staff_client: Client) -> None:
    data = {**entry_form(staff_client), **PHONE_REQUEST, "channel": "letter"}
    first = staff_client.post("/desk/staff/new/", data)
    second = staff_client.post("/desk/staff/new/", data)
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1 and Ticket.objects.get().channel == Channel.LETTER
    assert Notification.objects.filter(channel=NotificationChannel.SMS).count() == 1


def test_bad_entries_are_named_and_store_nothing(staff_client: Client) -> None:
    data = {**entry_form(staff_client), **PHONE_REQUEST, "mobile": "0913765", "channel": "web"}
    response = staff_client.post("/desk/staff/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "شماره همراه باید ۱۱ رقم" in html
    assert re.search(r'id="field-channel".*?invalid-feedback', html, flags=re.DOTALL)
    assert Ticket.objects.count() == 0


def test_only_officers_may_register_requests(client: Client) -> None:
    response = client.get("/desk/staff/new/")
    assert response.status_code == 302 and "/desk/staff/login/" in response["Location"]
    nobody = Client()
    nobody.force_login(make_user("visitor", None))
    assert nobody.get("/desk/staff/new/").status_code == 403
    assert nobody.post("/desk/staff/new/", PHONE_REQUEST).status_code == 403
    assert Ticket.objects.count() == 0
