"""Idempotency under real concurrency: one form sent by many threads at once gives one ticket."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from amargah.desk import services
from amargah.desk.models import Notification, Ticket
from amargah.desk.services import Submission

SUBMISSION = Submission(
    kind="complaint",
    requester_kind="citizen",
    full_name="آزمون همزمانی",
    mobile="09121234567",
    subject="همزمانی",
    body="یک فرم، چند ارسال همزمان.",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_form_create_one_ticket() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with concurrent writers (DATABASE_URL=postgres://...)")
    codes: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        try:
            barrier.wait()
            ticket, _created = services.ticket_submit(form_token="same-form", submission=SUBMISSION)
            codes.append(ticket.tracking_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(codes) == 8 and len(set(codes)) == 1
    assert Ticket.objects.count() == 1
    assert Notification.objects.filter(channel="sms").count() == 1
