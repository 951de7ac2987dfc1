"""Follow-up through HTTP: code + mobile, uniform refusals, rate limits, SMS code, replies."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from amargah.desk import services
from amargah.desk.choices import TicketStatus
from amargah.desk.models import Message, Notification, OneTimeCode, Ticket
from amargah.desk.notifications import LocmemSmsBackend

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">')
VALUE = re.compile(r' value="[^"]*"')


def look_up(client: Client, code: str, mobile: str = "09121234567") -> tuple[int, str]:
    response = client.post("/desk/track/", {"code": code, "mobile": mobile})
    # The form echoes what was typed; everything else must be identical.
    html = VALUE.sub("", CSRF.sub("", response.content.decode()))
    return response.status_code, html


def test_code_and_mobile_open_the_ticket(
    client: Client, submit_complaint: Callable[..., str]
) -> None:
    code = submit_complaint()
    # Persian digits and the grouping hyphens are accepted.
    persian = "-".join(code[i : i + 4] for i in (0, 4, 8)).translate(
        str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    )
    response = client.post("/desk/track/", {"code": persian, "mobile": "+98 912 123 4567"})
    assert response.status_code == 302 and response["Location"] == "/desk/track/ticket/"
    html = client.get("/desk/track/ticket/").content.decode()
    assert 'id="status"' in html and "جدید" in html
    assert 'id="no-replies"' in html
    assert 'id="clock-first_response"' in html


def test_wrong_code_and_wrong_mobile_get_the_same_answer(
    client: Client, submit_complaint: Callable[..., str]
) -> None:
    code = submit_complaint()
    other = submit_complaint(mobile="09351112233")
    digits = code[:10]
    unknown = next(
        candidate
        for candidate in (f"{(int(digits) + step) % 10**10:010d}" for step in range(1, 50))
        if not Ticket.objects.filter(tracking_code__startswith=candidate).exists()
    )
    from amargah.desk.tracking import check_digits

    wrong_code = look_up(client, unknown + check_digits(unknown))
    wrong_mobile = look_up(Client(), code, "09130000000")
    others_mobile = look_up(Client(), other, "09121234567")
    assert wrong_code == wrong_mobile == others_mobile
    assert wrong_code[0] == 200 and 'id="lookup-failed"' in wrong_code[1]
    assert client.get("/desk/track/ticket/").status_code == 302  # nothing was opened


def test_a_mistyped_code_is_told_apart_without_a_query(client: Client) -> None:
    status, html = look_up(client, "123456789012")
    assert status == 200 and "اشتباه تایپی" in html and 'id="lookup-failed"' not in html


def test_the_sixth_lookup_in_a_minute_gets_429(client: Client) -> None:
    statuses = [look_up(client, "123456789012")[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_one_code_may_be_tried_ten_times_a_day_from_anywhere(
    client: Client, settings: object
) -> None:
    statuses = [look_up(Client(REMOTE_ADDR=f"10.1.0.{n}"), "123456789012")[0] for n in range(11)]
    assert statuses == [200] * 10 + [429]


def open_ticket(client: Client, code: str) -> Ticket:
    assert client.post("/desk/track/", {"code": code, "mobile": "09121234567"}).status_code == 302
    return Ticket.objects.get(tracking_code=code)


def sms_code(django_capture_on_commit_callbacks: object, client: Client) -> str:
    LocmemSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert client.post("/desk/track/code/").status_code == 302
    match = re.search(r"[۰-۹]{6}", LocmemSmsBackend.outbox[-1].body)
    assert match is not None
    return match.group(0)


def test_replying_needs_the_sms_code(
    client: Client, submit_complaint: Callable[..., str], django_capture_on_commit_callbacks: object
) -> None:
    ticket = open_ticket(client, submit_complaint())
    # Without the code nothing is added.
    client.post("/desk/track/reply/", {"body": "سلام"})
    assert not Message.objects.filter(ticket=ticket).exists()
    code = sms_code(django_capture_on_commit_callbacks, client)
    assert OneTimeCode.objects.get(ticket=ticket).code_hash != code  # only a hash is stored
    html = client.get("/desk/track/ticket/").content.decode()
    assert 'id="otp-verify"' in html and 'id="reply-submit"' not in html
    client.post("/desk/track/confirm/", {"otp": code})  # Persian digits, as the SMS shows them
    assert 'id="reply-submit"' in client.get("/desk/track/ticket/").content.decode()
    upload = SimpleUploadedFile("نامه.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post("/desk/track/reply/", {"body": "این هم مدرک.", "files": [upload]})
    message = Message.objects.get(ticket=ticket)
    assert message.from_requester and message.attachments.count() == 1
    attachment = message.attachments.get()
    assert attachment.original_name == "نامه.pdf" and "نامه" not in attachment.file.name
    response = client.get(f"/desk/track/file/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    # Another visitor who never confirmed cannot fetch it.
    stranger = Client()
    open_ticket(stranger, ticket.tracking_code)
    assert stranger.get(f"/desk/track/file/{attachment.pk}/").status_code == 404


def test_a_wrong_sms_code_fails_and_three_tries_spend_it(
    client: Client, submit_complaint: Callable[..., str], django_capture_on_commit_callbacks: object
) -> None:
    ticket = open_ticket(client, submit_complaint())
    code = sms_code(django_capture_on_commit_callbacks, client)
    wrong = "000000" if code != "۰۰۰۰۰۰" else "111111"
    for _ in range(3):
        client.post("/desk/track/confirm/", {"otp": wrong})
    client.post("/desk/track/confirm/", {"otp": code})
    assert 'id="reply-submit"' not in client.get("/desk/track/ticket/").content.decode()
    assert not services.otp_verify(ticket=ticket, code="123456")


def test_a_requester_reply_resumes_a_paused_clock(
    client: Client,
    submit_complaint: Callable[..., str],
    officer: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    ticket = open_ticket(client, submit_complaint())
    services.ticket_set_status(actor=officer, ticket=ticket, status=TicketStatus.WAITING)  # type: ignore[arg-type]
    ticket.refresh_from_db()
    assert ticket.due_resolution is None and ticket.paused_since is not None
    code = sms_code(django_capture_on_commit_callbacks, client)
    client.post("/desk/track/confirm/", {"otp": code})
    client.post("/desk/track/reply/", {"body": "پاسخ پرسش شما"})
    ticket.refresh_from_db()
    assert (
        ticket.status == TicketStatus.NEW
        and ticket.paused_since is None
        and ticket.due_resolution is not None
    )


def test_a_bad_file_is_refused_with_its_name(
    client: Client, submit_complaint: Callable[..., str], django_capture_on_commit_callbacks: object
) -> None:
    ticket = open_ticket(client, submit_complaint())
    client.post(
        "/desk/track/confirm/", {"otp": sms_code(django_capture_on_commit_callbacks, client)}
    )
    exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    client.post("/desk/track/reply/", {"body": "x", "files": [exe]})
    fake = SimpleUploadedFile("fake.pdf", b"MZ\x90\x00", content_type="application/pdf")
    response = client.post("/desk/track/reply/", {"body": "x", "files": [fake]}, follow=True)
    assert "fake.pdf" in response.content.decode()
    assert not Message.objects.filter(ticket=ticket).exists()
    assert Notification.objects.filter(ticket=ticket).exists()
