"""Public forms through HTTP: every kind, the tracking code, idempotency, validation, abuse."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from desk_support import VALID_COMPLAINT, tracking_code_in
from django.conf import settings
from django.core import signing
from django.test import Client

from amargah.desk import services, tracking
from amargah.desk.choices import NotificationChannel, NotificationStatus, TicketKind
from amargah.desk.forms import FORM_SALT
from amargah.desk.models import Event, Notification, Ticket
from amargah.desk.notifications import LocmemSmsBackend
from amargah.desk.services import Submission

pytestmark = pytest.mark.django_db

FORMS = {
    "/desk/request/": {
        "period": "۱۴۰۰ تا ۱۴۰۴",
        "area": "شهرستان شاهرود",
        "preferred_format": "table",
    },
    "/desk/complaint/": {},
    "/desk/suggestion/": {},
}


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/desk/request/", TicketKind.INFO_REQUEST),
        ("/desk/complaint/", TicketKind.COMPLAINT),
        ("/desk/suggestion/", TicketKind.SUGGESTION),
    ],
)
def test_each_form_registers_a_ticket_and_shows_its_code(
    client: Client, fill: Any, url: str, kind: str
) -> None:
    data = {**fill(client, url), **VALID_COMPLAINT, **FORMS[url]}
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    code = tracking_code_in(html)
    assert tracking.is_valid(code)
    # Shown in Persian digits, grouped.
    assert re.search(r'id="tracking-code">[۰-۹]{4}-[۰-۹]{4}-[۰-۹]{4}<', html)
    ticket = Ticket.objects.get(tracking_code=code)
    assert ticket.kind == kind
    assert ticket.mobile == "09121234567"
    assert ticket.national_id == "0499370899"
    assert ticket.full_name == "علی کریمی"  # Arabic ي/ك normalised
    assert ticket.due_first_response > ticket.received_at
    assert Event.objects.filter(ticket=ticket, action="created").count() == 1
    # An SMS with the code is in the outbox, written in the same transaction.
    sms = Notification.objects.get(ticket=ticket, channel=NotificationChannel.SMS)
    assert tracking.grouped(code) not in sms.body and "کد رهگیری" in sms.body
    if kind == TicketKind.INFO_REQUEST:
        assert ticket.period == "1400 تا 1404" and ticket.preferred_format == "table"
        # Ten working days of office hours.
        assert ticket.policy.resolution_minutes == 10 * 7 * 60


def test_the_information_request_never_asks_why(client: Client) -> None:
    html = client.get("/desk/request/").content.decode()
    assert "چرا" not in re.sub(
        r"<p class=\"text-body-secondary\">.*?</p>", "", html, flags=re.DOTALL
    )
    assert 'name="reason"' not in html and 'name="purpose"' not in html
    assert "لازم نیست بگویید" in html


def test_sms_is_sent_after_commit(
    client: Client, fill: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "email": "citizen@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/desk/complaint/", data)
    code = tracking_code_in(response.content.decode())
    assert len(LocmemSmsBackend.outbox) == 1
    assert LocmemSmsBackend.outbox[0].to == "09121234567"
    assert (
        code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in LocmemSmsBackend.outbox[0].body
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    from django.core import mail

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["citizen@example.org"]


def test_a_failing_sms_provider_never_loses_the_ticket(
    client: Client, fill: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.FailingSmsBackend"
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/desk/complaint/", data)
    code = tracking_code_in(response.content.decode())
    assert Ticket.objects.filter(tracking_code=code).exists()
    sms = Notification.objects.get(channel=NotificationChannel.SMS)
    assert (
        sms.status == NotificationStatus.PENDING
        and sms.attempts == 1
        and "refused" in sms.last_error
    )
    # The retry sends it once the provider is back.
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.LocmemSmsBackend"
    from amargah.desk import services

    services.notifications_send_due(now=sms.next_attempt_at)
    sms.refresh_from_db()
    assert sms.status == NotificationStatus.SENT and len(LocmemSmsBackend.outbox) == 1


def test_a_resent_form_gives_the_same_code_and_one_record(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    first = tracking_code_in(client.post("/desk/complaint/", data).content.decode())
    # A double click sends the same stamp again (the CAPTCHA of the first send is spent).
    again = {
        **data,
        **{
            key: value
            for key, value in fill(client, "/desk/complaint/").items()
            if key.startswith("captcha")
        },
    }
    second = tracking_code_in(client.post("/desk/complaint/", again).content.decode())
    assert first == second
    assert Ticket.objects.count() == 1
    assert Notification.objects.filter(channel=NotificationChannel.SMS).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "persian", "english_text"),
    [
        ("national_id", "0499370898", "کد ملی", "national ID is not valid"),
        ("national_id", "۱۱۱۱۱۱۱۱۱۱", "کد ملی نمی‌تواند", "cannot be one digit repeated"),
        ("mobile", "0912123456", "شماره همراه باید ۱۱ رقم", "must have 11 digits"),
        ("mobile", "08121234567", "با ۰۹ شروع", "must start with 09"),
        ("company_id", "10380284792", "شناسه ملی شرکت", "company national ID is not valid"),
        ("postal_code", "12345", "کد پستی باید ۱۰ رقم", "postal code must have 10 digits"),
    ],
)
def test_invalid_identifiers_are_named_with_the_reason(
    client: Client, fill: Any, field: str, value: str, persian: str, english_text: str
) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, field: value}
    response = client.post("/desk/complaint/", data)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="tracking-code"' not in html
    errors = re.search(rf'id="field-{field}".*?</div>\s*</div>', html, flags=re.DOTALL)
    assert errors is not None and persian in errors.group(0)
    en = english()
    en_data = {**fill(en, "/desk/complaint/"), **VALID_COMPLAINT, field: value}
    assert english_text in en.post("/desk/complaint/", en_data).content.decode()
    assert Ticket.objects.count() == 0


def test_valid_company_id_in_persian_digits_is_stored_in_ascii(client: Client, fill: Any) -> None:
    data = {
        **fill(client, "/desk/suggestion/"),
        **VALID_COMPLAINT,
        "requester_kind": "business",
        "organisation": "شركت نمونه",
        "company_id": "۱۰۳۸۰۲۸۴۷۹۰",
        "postal_code": "۳۵۱۹۸-۷۶۵۴۳",
    }
    code = tracking_code_in(client.post("/desk/suggestion/", data).content.decode())
    ticket = Ticket.objects.get(tracking_code=code)
    assert (ticket.company_id, ticket.postal_code, ticket.organisation) == (
        "10380284790",
        "3519876543",
        "شرکت نمونه",
    )


def test_a_business_must_name_and_identify_itself(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "requester_kind": "business"}
    html = client.post("/desk/complaint/", data).content.decode()
    assert "نام شرکت یا دستگاه را بنویسید" in html
    assert "شناسه ملی شرکت را بنویسد" in html
    assert Ticket.objects.count() == 0


def test_mobile_is_required_and_email_optional(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "mobile": ""}
    assert 'id="tracking-code"' not in client.post("/desk/complaint/", data).content.decode()
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "email": "not-an-address"}
    assert 'id="tracking-code"' not in client.post("/desk/complaint/", data).content.decode()
    assert Ticket.objects.count() == 0


def test_honeypot_refuses_and_stores_nothing(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "website": "http://spam.example"}
    response = client.post("/desk/complaint/", data)
    assert response.status_code == 400
    assert "یک برنامه پر کرده" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_form_filled_too_fast_is_refused(client: Client, fill: Any, settings: Any) -> None:
    settings.DESK_FORM_MIN_SECONDS = 3
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    html = client.post("/desk/complaint/", data).content.decode()
    assert "خیلی سریع" in html and Ticket.objects.count() == 0
    # The same form, stamped four seconds earlier, passes.
    data["stamp"] = signing.dumps({"token": "a" * 32, "at": time.time() - 4}, salt=FORM_SALT)
    data.update(
        {k: v for k, v in fill(client, "/desk/complaint/").items() if k.startswith("captcha")}
    )
    assert 'id="tracking-code"' in client.post("/desk/complaint/", data).content.decode()


def test_a_stale_or_forged_stamp_is_refused(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    data["stamp"] = signing.dumps({"token": "b" * 32, "at": time.time() - 3 * 3600}, salt=FORM_SALT)
    assert 'id="tracking-code"' not in client.post("/desk/complaint/", data).content.decode()
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "stamp": "forged:value"}
    assert "صفحه را دوباره بارگذاری" in client.post("/desk/complaint/", data).content.decode()
    assert Ticket.objects.count() == 0


def test_captcha_accepts_persian_and_ascii_digits_and_refuses_a_wrong_answer(
    client: Client, fill: Any, settings: Any
) -> None:
    settings.DESK_CAPTCHA_AFTER = "0/h"  # asked of everyone
    persian = {**fill(client, "/desk/complaint/", persian_answer=True), **VALID_COMPLAINT}
    assert re.fullmatch(r"[۰-۹]+", persian["captcha_1"])
    assert 'id="tracking-code"' in client.post("/desk/complaint/", persian).content.decode()
    ascii_answer = {**fill(client, "/desk/complaint/", persian_answer=False), **VALID_COMPLAINT}
    assert 'id="tracking-code"' in client.post("/desk/complaint/", ascii_answer).content.decode()
    wrong = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    wrong["captcha_1"] = "999999"
    html = client.post("/desk/complaint/", wrong).content.decode()
    assert "پاسخ محاسبه درست نیست" in html
    assert Ticket.objects.count() == 2


def test_captcha_image_is_served_by_the_site(client: Client, settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "0/h"
    html = client.get("/desk/complaint/").content.decode()
    image = re.search(r'<img src="(/desk/captcha/[^"]+)"', html)
    assert image is not None
    response = client.get(image.group(1))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_the_eleventh_submission_in_an_hour_gets_a_clear_429(
    client: Client, fill: Any, settings: Any
) -> None:
    statuses = []
    for index in range(11):
        data = {
            **fill(client, "/desk/complaint/"),
            **VALID_COMPLAINT,
            "mobile": f"0912000{index:04d}",
        }
        statuses.append(client.post("/desk/complaint/", data).status_code)
    assert statuses == [200] * 10 + [429]
    response = client.post("/desk/complaint/", {})
    assert response.status_code == 429
    assert "درخواست‌های بیش از اندازه" in response.content.decode()
    assert english().get("/desk/complaint/").status_code == 200  # reading is never limited


def test_one_mobile_may_submit_five_times_a_day(client: Client, fill: Any) -> None:
    statuses = []
    for index in range(6):
        other = Client(REMOTE_ADDR=f"10.0.0.{index + 1}")
        data = {**fill(other, "/desk/complaint/"), **VALID_COMPLAINT}
        statuses.append(other.post("/desk/complaint/", data).status_code)
    assert statuses == [200] * 5 + [429]


def test_resending_one_form_does_not_use_up_the_mobile_limit(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    codes = set()
    for _ in range(7):
        captcha = {
            k: v for k, v in fill(client, "/desk/complaint/").items() if k.startswith("captcha")
        }
        response = client.post("/desk/complaint/", {**data, **captcha})
        assert response.status_code == 200
        codes.add(tracking_code_in(response.content.decode()))
    assert len(codes) == 1 and Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "backend",
    # The library's, and the subclass the settings name (its rows written by one INSERT).
    ["django_tasks_db.DatabaseBackend", "amargah.core.tasks.DatabaseBackend"],
)
def test_with_the_database_queue_tasks_commit_with_the_ticket(
    client: Client, fill: Any, settings: Any, backend: str
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": backend}}
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    code = tracking_code_in(client.post("/desk/complaint/", data).content.decode())
    ticket = Ticket.objects.get(tracking_code=code)
    notification = Notification.objects.get(ticket=ticket)
    # Written in the request's transaction: no on-commit hook is needed for it to exist.
    # One row a submission: it sends the acknowledgement and arms the deadline check.
    [row] = DBTaskResult.objects.all()
    assert row.task_path.endswith("ticket_registered")
    assert row.args_kwargs["args"] == [ticket.pk, notification.pk]
    assert row.task.call(*row.args_kwargs["args"]) == ["sent"]
    deferred = {
        row.run_after for row in DBTaskResult.objects.filter(task_path__endswith="escalate_ticket")
    }
    # One check, armed at 75% of the earlier target (a complaint's first response: 18 of
    # 24 hours on the 24/7 clock); it re-arms itself for the next moment when it runs.
    assert deferred == {ticket.received_at + dt.timedelta(hours=18)}


def test_an_edited_policy_applies_to_the_next_submission(submit_complaint: Any) -> None:
    from amargah.desk.models import SlaPolicy

    before = Ticket.objects.get(tracking_code=submit_complaint())
    policy = SlaPolicy.objects.get(kind=TicketKind.COMPLAINT)
    policy.first_response_minutes = 60
    policy.save()
    after = Ticket.objects.get(tracking_code=submit_complaint())
    assert before.due_first_response - before.received_at == dt.timedelta(hours=24)
    assert after.due_first_response - after.received_at == dt.timedelta(hours=1)


def test_a_form_sent_again_on_one_connection_gets_its_ticket_back() -> None:
    # The second sending's INSERT (a prepared statement on PostgreSQL) fails on the form's
    # token: the first ticket comes back, the connection stays usable, nothing is doubled.
    submission = Submission(
        kind=TicketKind.COMPLAINT,
        requester_kind="citizen",
        full_name="آزمون",
        mobile="09121234567",
        subject="دوباره",
        body="یک فرم، دو بار فرستاده شد.",
    )
    first, created = services.ticket_submit(form_token="one-form", submission=submission)
    again, created_again = services.ticket_submit(form_token="one-form", submission=submission)
    other, _created = services.ticket_submit(form_token="another-form", submission=submission)
    assert created and not created_again
    assert again.pk == first.pk and again.tracking_code == first.tracking_code
    assert other.pk != first.pk
    assert Event.objects.filter(ticket=first).count() == 1
    assert Notification.objects.filter(ticket=first).count() == 1
