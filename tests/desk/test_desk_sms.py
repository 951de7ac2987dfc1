"""Every SMS text of the desk fits the segments allowed, with the longest realistic values."""

from __future__ import annotations

import datetime as dt
import inspect
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from amargah.core.dates import format_date
from amargah.core.persian import to_ascii_digits
from amargah.desk import texts, tracking
from amargah.desk.choices import NotificationChannel, TicketStatus
from amargah.desk.models import Notification, Ticket
from amargah.desk.texts import sms_segments

# The longest tracking code (always 12 digits), the longest Jalali date (a 30th of
# Ordibehesht, the longest month name), a six-digit code, and the survey link as a
# real deployment prints it (a 16-character token).
CODE = tracking.new_code()
LONGEST_DATE = dt.date(2026, 5, 20)  # 30 Ordibehesht 1405
PUBLIC_URL = "https://amar.mpo-semnan.ir"
SURVEY_LINK = f"{PUBLIC_URL}/desk/survey/{secrets.token_urlsafe(12)}/"

# name -> (the text in a language, whether it carries a link)
CASES: dict[str, tuple[Callable[[str], str], bool]] = {
    "sms_registered": (
        lambda language: texts.sms_registered(
            code=CODE, due=format_date(LONGEST_DATE, language), language=language
        ),
        False,
    ),
    "sms_reply": (lambda language: texts.sms_reply(code=CODE, language=language), False),
    "sms_otp": (lambda language: texts.sms_otp(otp="987654", language=language), False),
    "sms_survey": (lambda language: texts.sms_survey(link=SURVEY_LINK, language=language), True),
}


def test_segments_are_counted_as_operators_bill_them() -> None:
    assert sms_segments("") == 0
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("a" * 306) == 2 and sms_segments("a" * 307) == 3
    # Extension characters take two septets.
    assert sms_segments("€" * 80) == 1 and sms_segments("€" * 81) == 2
    # One Persian letter makes the whole message UCS-2.
    assert sms_segments("س" * 70) == 1 and sms_segments("س" * 71) == 2
    assert sms_segments("a" * 69 + "س") == 1 and sms_segments("a" * 70 + "س") == 2
    assert sms_segments("س" * 134) == 2 and sms_segments("س" * 135) == 3
    # Outside the basic plane a character is two UTF-16 units.
    assert sms_segments("😀" * 35) == 1 and sms_segments("😀" * 36) == 2


def test_every_sms_text_is_tested() -> None:
    functions = {
        name
        for name, value in inspect.getmembers(texts, inspect.isfunction)
        if name.startswith("sms_") and name != "sms_segments" and value.__module__ == texts.__name__
    }
    assert functions == set(CASES)


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_text_fits_its_segments(name: str, language: str) -> None:
    render, has_link = CASES[name]
    text = render(language)
    assert "%(" not in text
    if name in ("sms_registered", "sms_reply"):
        assert CODE in to_ascii_digits(text)  # the whole code, not cut
    allowed = settings.DESK_SMS_MAX_SEGMENTS if has_link else 1
    assert sms_segments(text) <= allowed, (name, language, len(text), text)


def test_the_texts_actually_sent_fit(
    submit_complaint: Callable[..., str], officer: Any, settings: Any, client: Client
) -> None:
    settings.DESK_PUBLIC_URL = PUBLIC_URL
    from amargah.desk import services

    ticket = Ticket.objects.get(tracking_code=submit_complaint())
    services.ticket_reply(
        actor=officer, ticket=ticket, body="پاسخ", public=True, status=TicketStatus.ANSWERED
    )
    services.otp_send(ticket=ticket)
    bodies = list(
        Notification.objects.filter(ticket=ticket, channel=NotificationChannel.SMS).values_list(
            "body", flat=True
        )
    )
    assert len(bodies) == 4  # registered, reply, survey link, confirmation code
    for body in bodies:
        allowed = settings.DESK_SMS_MAX_SEGMENTS if "https://" in body else 1
        assert sms_segments(body) <= allowed, body
