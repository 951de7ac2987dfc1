"""Status announcements by e-mail and SMS: double opt-in, notices, unsubscribing, over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from amargah.desk.notifications import LocmemSmsBackend
from amargah.status import services, subscriptions
from amargah.status.choices import (
    Impact,
    IncidentStatus,
    NoticeStatus,
    SubscriberChannel,
    SubscriberState,
)
from amargah.status.models import Component, Incident, Maintenance, Notice, Subscriber

LOCMEM = "amargah.desk.notifications.LocmemSmsBackend"
PUBLIC = "http://status.test"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def channels(settings: Any) -> Iterator[list[Any]]:
    settings.DESK_SMS_BACKEND = LOCMEM
    settings.DESK_PUBLIC_URL = PUBLIC
    LocmemSmsBackend.outbox.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()


def subscribe(client: Client, channel: str, address: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post("/status/subscribe/", {"channel": channel, "address": address})


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def active(channel: SubscriberChannel, address: str, language: str = "fa") -> Subscriber:
    return Subscriber.objects.create(
        channel=channel,
        address=address,
        language=language,
        state=SubscriberState.ACTIVE,
        confirm_token=f"c-{address}",
        unsubscribe_token=f"u{abs(hash(address))}",
        confirmed_at=timezone.now(),
    )


def open_incident(component: Component) -> Incident:
    return services.incident_open(
        title_fa="کندی ثبت درخواست",
        title_en="Slow request submission",
        impact=Impact.PARTIAL_OUTAGE,
        components=[component],
        message_fa="در حال بررسی هستیم.",
        message_en="We are investigating.",
        user=None,
    )


def test_the_form_in_persian_and_english(client: Client) -> None:
    html = client.get("/status/subscribe/").content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert "اطلاعیه‌های وضعیت خدمت" in html and 'name="address"' in html
    assert 'href="/status/subscribe/"' in client.get("/status/").content.decode()
    client.cookies["amargah_language"] = "en"
    english = client.get("/status/subscribe/").content.decode()
    assert "Status announcements by e-mail or SMS" in english


def test_email_double_opt_in(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    response = subscribe(
        client, "email", " Citizen@Example.ORG ", django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.address == "citizen@example.org"
    assert subscriber.state == SubscriberState.PENDING
    assert response["Location"] == f"/status/subscribe/{subscriber.confirm_token}/"
    assert [message.to for message in mail.outbox] == [["citizen@example.org"]]
    body = mail.outbox[0].body
    code = code_in(body)
    link = f"{PUBLIC}/status/subscribe/{subscriber.confirm_token}/?code={code}"
    assert link in body
    # The link shows the code in a form; only the button confirms (a link scanner cannot).
    page = client.get(link.removeprefix(PUBLIC)).content.decode()
    assert f'value="{code}"' in page
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.PENDING
    done = client.post(f"/status/subscribe/{subscriber.confirm_token}/", {"code": code})
    assert done.status_code == 200 and 'id="subscribed"' in done.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.ACTIVE
    # Confirming again with the same link is harmless (a second click, a mail preview).
    again = client.post(f"/status/subscribe/{subscriber.confirm_token}/", {"code": code})
    assert again.status_code == 200 and 'id="subscribed"' in again.content.decode()


def test_sms_double_opt_in_with_persian_digits(
    client: Client, channels: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    response = subscribe(client, "sms", "۰۹۱۲ ۱۲۳ ۴۵۶۷", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.address == "09121234567"
    assert [sms.to for sms in channels] == ["09121234567"]
    code = code_in(channels[0].body)
    page = client.get(response["Location"]).content.decode()
    assert "0912***4567" in page and code not in page
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(response["Location"], {"code": wrong})
    assert refused.status_code == 400
    assert "۴" in refused.content.decode()  # four tries left, in Persian digits
    subscriber.refresh_from_db()
    assert subscriber.code_tries == 1 and subscriber.state == SubscriberState.PENDING
    persian_code = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert client.post(response["Location"], {"code": persian_code}).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.ACTIVE


def test_too_many_wrong_codes_need_a_new_one(
    client: Client, channels: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    response = subscribe(client, "sms", "09121234567", django_capture_on_commit_callbacks)
    code = code_in(channels[0].body)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(subscriptions.CODE_TRIES):
        client.post(response["Location"], {"code": wrong})
    last = client.post(response["Location"], {"code": code})
    assert last.status_code == 400
    assert Subscriber.objects.get().state == SubscriberState.PENDING


@pytest.mark.parametrize(
    ("channel", "address", "message"),
    [
        ("sms", "0812345678", "۱۱ رقم"),
        ("sms", "08121234567", "۰۹"),
        ("sms", "0912abc4567", "فقط می‌تواند رقم"),
        ("email", "not-an-address", "نشانی رایانامه"),
    ],
)
def test_invalid_addresses_are_refused_by_name(
    client: Client, channel: str, address: str, message: str
) -> None:
    response = client.post("/status/subscribe/", {"channel": channel, "address": address})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-address"' in html and message in html
    assert not Subscriber.objects.exists() and not Notice.objects.exists()


def test_a_filled_honeypot_is_refused(client: Client) -> None:
    response = client.post(
        "/status/subscribe/",
        {"channel": "email", "address": "a@example.org", "website": "http://spam"},
    )
    assert response.status_code == 400 and not Subscriber.objects.exists()


def test_the_form_is_rate_limited(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.STATUS_RATE_SUBSCRIBE = "2/h"
    for number in range(2):
        ok = subscribe(
            client, "email", f"p{number}@example.org", django_capture_on_commit_callbacks
        )
        assert ok.status_code == 302
    blocked = subscribe(client, "email", "p9@example.org", django_capture_on_commit_callbacks)
    assert blocked.status_code == 429
    assert Subscriber.objects.count() == 2


def test_one_address_is_not_flooded_with_codes(
    channels: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    # From different visitors (addresses), the fourth request for one number is refused.
    statuses = []
    for number in range(4):
        visitor = Client(REMOTE_ADDR=f"10.0.0.{number + 1}")
        statuses.append(
            subscribe(visitor, "sms", "09121234567", django_capture_on_commit_callbacks).status_code
        )
    assert statuses == [302, 302, 302, 429]
    # And a repeated request within two minutes sends no second code.
    assert len(channels) == 1


def test_incident_update_and_maintenance_reach_subscribers_in_their_language(
    components: dict[str, Component],
    channels: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    by_mail = active(SubscriberChannel.EMAIL, "reader@example.org", language="en")
    by_sms = active(SubscriberChannel.SMS, "09121234567")
    Subscriber.objects.create(
        channel=SubscriberChannel.SMS,
        address="09129999999",
        confirm_token="pending",
        unsubscribe_token="pending-u",
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(components["service-desk"])
    assert [sms.to for sms in channels] == ["09121234567"]
    assert "کندی ثبت درخواست" in channels[0].body
    assert f"{PUBLIC}/status/u/{by_sms.unsubscribe_token}/" in channels[0].body
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]
    email = mail.outbox[0]
    assert "Slow request submission" in email.subject
    assert "We are investigating." in email.body and f"{PUBLIC}/status/" in email.body
    assert f"{PUBLIC}/status/u/{by_mail.unsubscribe_token}/" in email.body

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update(
            incident=incident,
            status=IncidentStatus.RESOLVED,
            message_fa="مشکل رفع شد.",
            message_en="Fixed.",
            user=None,
        )
    assert len(channels) == 2 and "رفع" in channels[1].body
    assert "Resolved" in mail.outbox[1].subject and "Fixed." in mail.outbox[1].body

    start = timezone.now() + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        services.maintenance_schedule(
            title_fa="به‌روزرسانی پایگاه داده",
            title_en="Database upgrade",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            components=[components["data-portal"]],
            user=None,
        )
    assert len(channels) == 3 and "به‌روزرسانی پایگاه داده" in channels[2].body
    assert "Database upgrade" in mail.outbox[2].subject
    assert Notice.objects.filter(status=NoticeStatus.SENT).count() == 6
    assert not Notice.objects.filter(subscriber__address="09129999999").exists()


def test_unsubscribe_stops_the_notices(
    client: Client,
    components: dict[str, Component],
    channels: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber = active(SubscriberChannel.SMS, "09121234567")
    link = f"/status/u/{subscriber.unsubscribe_token}/"
    page = client.get(link)
    assert page.status_code == 200 and 'id="unsubscribe-form"' in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.ACTIVE  # a GET changes nothing
    done = client.post(link)
    assert 'id="unsubscribed"' in done.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.state == SubscriberState.UNSUBSCRIBED
    with django_capture_on_commit_callbacks(execute=True):
        open_incident(components["website"])
    assert channels == []
    assert client.get("/status/u/not-a-token/").status_code == 404


def test_a_notice_waiting_for_a_retry_is_cancelled_by_unsubscribing(
    components: dict[str, Component], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = active(SubscriberChannel.SMS, "09121234567")
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.FailingSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        open_incident(components["website"])
    subscriptions.unsubscribe(unsubscribe_token=subscriber.unsubscribe_token)
    assert Notice.objects.get().status == NoticeStatus.CANCELLED


def test_a_failing_provider_loses_no_notice(
    components: dict[str, Component],
    channels: list[Any],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    active(SubscriberChannel.SMS, "09121234567")
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.FailingSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(components["website"])
    assert Incident.objects.filter(pk=incident.pk).exists()
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.PENDING and notice.attempts == 1
    assert "refused" in notice.last_error
    settings.DESK_SMS_BACKEND = LOCMEM
    assert subscriptions.notices_send_due() == 0  # not due yet
    assert subscriptions.notices_send_due(now=notice.next_attempt_at) == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and [sms.to for sms in channels] == ["09121234567"]


def test_staff_posting_in_the_back_office_announces_once(
    client: Client,
    components: dict[str, Component],
    channels: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    active(SubscriberChannel.SMS, "09121234567")
    staff = User.objects.create_superuser("ops", "ops@example.org", "a-long-test-password")
    client.force_login(staff)
    now = timezone.localtime()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/status/incident/add/",
            {
                "title_fa": "قطعی درگاه داده",
                "title_en": "Data portal down",
                "impact": Impact.MAJOR_OUTAGE,
                "components": [components["data-portal"].pk],
                "started_at_0": now.strftime("%Y-%m-%d"),
                "started_at_1": now.strftime("%H:%M:%S"),
                "updates-TOTAL_FORMS": "1",
                "updates-INITIAL_FORMS": "0",
                "updates-MIN_NUM_FORMS": "0",
                "updates-MAX_NUM_FORMS": "1000",
                "updates-0-status": IncidentStatus.INVESTIGATING,
                "updates-0-message_fa": "در حال بررسی.",
                "updates-0-message_en": "Investigating.",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Incident.objects.filter(title_en="Data portal down").exists()
    assert len(channels) == 1 and "قطعی درگاه داده" in channels[0].body
    window_start = now + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/status/maintenance/add/",
            {
                "title_fa": "نگهداری برنامه‌ریزی‌شده",
                "title_en": "Planned upkeep",
                "components": [components["website"].pk],
                "starts_at_0": window_start.strftime("%Y-%m-%d"),
                "starts_at_1": "02:00:00",
                "ends_at_0": window_start.strftime("%Y-%m-%d"),
                "ends_at_1": "04:00:00",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Maintenance.objects.filter(title_en="Planned upkeep").exists()
    assert len(channels) == 2 and "نگهداری" in channels[1].body


def test_the_probe_sends_notices_whose_retry_is_due(
    components: dict[str, Component],
    channels: list[Any],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from amargah.status import tasks

    active(SubscriberChannel.SMS, "09121234567")
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.FailingSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        open_incident(components["website"])
    settings.DESK_SMS_BACKEND = LOCMEM
    Notice.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    tasks.probe.enqueue()
    assert Notice.objects.get().status == NoticeStatus.SENT
    assert [sms.to for sms in channels] == ["09121234567"]


def test_the_pages_never_tell_whether_an_address_is_subscribed(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """An active subscriber's address gets the same page and the same wrong-code answer."""
    active(SubscriberChannel.SMS, "09121234567")
    capture = django_capture_on_commit_callbacks
    known = subscribe(client, "sms", "09121234567", capture)
    unknown = subscribe(client, "sms", "09127654321", capture)
    assert known.status_code == unknown.status_code == 302
    known_page = client.get(known["Location"]).content.decode()
    unknown_page = client.get(unknown["Location"]).content.decode()
    assert "code-sent" in known_page and "code-sent" in unknown_page
    wrong = {"code": "000000"}
    known_answer = client.post(known["Location"], wrong).content.decode()
    unknown_answer = client.post(unknown["Location"], wrong).content.decode()
    assert "۴" in known_answer and "۴" in unknown_answer  # four tries left, in Persian digits
    assert Subscriber.objects.get(address="09121234567").state == SubscriberState.ACTIVE
