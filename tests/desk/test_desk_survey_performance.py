"""Satisfaction survey, the public SLA performance page, its CSV and command, Persian-only pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from desk_support import VALID_COMPLAINT
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from amargah.core.dates import JALALI_MONTHS
from amargah.desk import selectors, services
from amargah.desk.choices import NotificationChannel, SurveySource, TicketStatus
from amargah.desk.demo import create_demo_traffic
from amargah.desk.models import Notification, SlaPolicy, SurveyInvitation, SurveyResponse, Ticket
from amargah.desk.services import Submission

pytestmark = pytest.mark.django_db


def survey_link(ticket: Ticket) -> str:
    body = (
        Notification.objects.filter(
            ticket=ticket, channel=NotificationChannel.SMS, body__contains="/desk/survey/"
        )
        .get()
        .body
    )
    match = re.search(r"http://testserver(/desk/survey/[^/\s]+/)", body)
    assert match is not None
    return match.group(1)


@pytest.fixture
def answered(submit_complaint: Callable[..., str], officer: User) -> Ticket:
    ticket = Ticket.objects.get(tracking_code=submit_complaint())
    services.ticket_reply(
        actor=officer, ticket=ticket, body="پاسخ", public=True, status=TicketStatus.ANSWERED
    )
    return ticket


def test_the_rating_link_works_once(client: Client, answered: Ticket) -> None:
    link = survey_link(answered)
    token = link.rstrip("/").rsplit("/", 1)[1]
    # Only a hash of the token is kept.
    assert not SurveyInvitation.objects.filter(token_hash=token).exists()
    assert token not in str(list(SurveyInvitation.objects.values_list("token_hash", flat=True)))
    page = client.get(link).content.decode()
    assert "از خدمت ما چقدر راضی هستید" in page
    assert client.post(link, {"score": "4", "comment": "خوب بود"}).status_code == 200
    rating = SurveyResponse.objects.get()
    assert (rating.ticket, rating.score, rating.source) == (answered, 4, SurveySource.TICKET)
    assert client.get(link).status_code == 410
    assert client.post(link, {"score": "1"}).status_code == 410
    assert SurveyResponse.objects.count() == 1


def test_an_expired_or_unknown_link_is_refused(client: Client, answered: Ticket) -> None:
    link = survey_link(answered)
    SurveyInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(link).status_code == 410
    assert client.get("/desk/survey/not-a-token/").status_code == 410


def test_the_requester_can_rate_from_the_follow_up_page(client: Client, answered: Ticket) -> None:
    client.post("/desk/track/", {"code": answered.tracking_code, "mobile": "09121234567"})
    assert 'id="rate"' in client.get("/desk/track/ticket/").content.decode()
    client.post("/desk/track/rate/", {"score": "5"})
    assert 'id="rated"' in client.get("/desk/track/ticket/").content.decode()
    client.post("/desk/track/rate/", {"score": "1"})
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [5]
    # The emailed link is spent too.
    assert client.get(survey_link(answered)).status_code == 410


def test_standalone_survey(client: Client, fill: Any) -> None:
    data = {**fill(client, "/desk/survey/"), "score": "3", "comment": ""}
    response = client.post("/desk/survey/", data)
    assert 'id="survey-thanks"' in response.content.decode()
    assert SurveyResponse.objects.get().source == SurveySource.STANDALONE
    bad = {**fill(client, "/desk/survey/"), "score": "9"}
    assert 'id="survey-thanks"' not in client.post("/desk/survey/", bad).content.decode()


def make_ticket(
    received: dt.datetime, *, first_hours: float | None, answer_hours: float | None, token: str
) -> Ticket:
    submission = Submission(
        kind="complaint",
        requester_kind="citizen",
        full_name="آزمون",
        mobile="09120000000",
        subject="س",
        body="ب",
    )
    ticket, _new = services.ticket_submit(
        form_token=token, submission=submission, received_at=received
    )
    if first_hours is not None:
        ticket.first_response_at = received + dt.timedelta(hours=first_hours)
    if answer_hours is not None:
        ticket.answered_at = received + dt.timedelta(hours=answer_hours)
        ticket.status = TicketStatus.ANSWERED
    ticket.save()
    return ticket


def test_performance_figures_are_computed_from_the_tickets() -> None:
    # A complaint on the 24/7 clock: first response due in 24 h, resolution in 7 days.
    policy = SlaPolicy.objects.get(kind="complaint")
    assert (policy.first_response_minutes, policy.resolution_minutes) == (24 * 60, 7 * 24 * 60)
    month = selectors.JalaliMonth(1405, 7)
    start = month.start + dt.timedelta(days=2, hours=10)  # Mehr 3rd, well inside the month
    hours = [0.5, 1, 2, 3, 3, 4, 6, 7, 30, 40]  # two first responses late
    for index, first in enumerate(hours):
        make_ticket(
            start + dt.timedelta(hours=index),
            first_hours=first,
            answer_hours=first + 24,
            token=f"t{index}",
        )
    make_ticket(start, first_hours=None, answer_hours=None, token="open")  # still open, past due
    ratings = [5, 5, 4, 2]
    for score in ratings:
        SurveyResponse.objects.create(source=SurveySource.STANDALONE, score=score, created_at=start)
    figures = selectors.month_performance(month, now=month.end + dt.timedelta(days=60))
    assert figures.received["complaint"] == 11
    assert (figures.first_response.met, figures.first_response.missed) == (8, 3)
    assert figures.first_response.share == pytest.approx(800 / 11)
    assert (figures.resolution.met, figures.resolution.missed) == (10, 1)
    assert (figures.csat_share, figures.csat_n) == (75.0, 4)
    assert figures.scores == {1: 0, 2: 1, 3: 0, 4: 1, 5: 2}
    assert sum(figures.backlog.values()) == 1
    assert (
        figures.first_response.median_hours is not None
        and figures.first_response.p90_hours is not None
    )
    assert figures.first_response.p90_hours > figures.first_response.median_hours


def test_quantiles_match_the_standards_toy_example() -> None:
    # FRT hours [0.5,1,2,3,3,4,6,7,9,30]: median 3.5 h, p90 11.1 h.
    median, p90 = selectors._quantiles([0.5, 1, 2, 3, 3, 4, 6, 7, 9, 30])
    assert median == pytest.approx(3.5)
    assert p90 == pytest.approx(11.1)


def test_performance_page_csv_and_command_agree(client: Client) -> None:
    created = create_demo_traffic(seed=7, months=3)
    assert created > 0
    html = client.get("/desk/performance/").content.decode()
    assert '<svg viewBox="0 0 640 240"' in html and "<rect" in html
    assert re.search(r'id="first-share">[۰-۹]+٫[۰-۹]٪', html)
    assert "بیش از ۱۰" in html  # backlog buckets named in words
    # On a Persian page time runs from right to left: the current month is leftmost.
    labels = re.findall(
        r'<text x="([0-9.]+)" y="[0-9.]+" text-anchor="middle"[^>]*>([^<]+)</text>', html
    )
    assert len(labels) == 6
    current = selectors.recent_months(count=1)[0]
    assert min(labels, key=lambda label: float(label[0]))[1].startswith(
        JALALI_MONTHS[current.month - 1]
    )
    response = client.get("/desk/performance.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 12 and sum(int(row["received"]) for row in rows) == created
    out = io.StringIO()
    call_command("desk_performance", stdout=out)
    printed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert printed == rows[-6:]
    month = printed[-2]["month"]
    selected = client.get(f"/desk/performance/?month={month}").content.decode()
    assert 'id="month-title"' in selected
    with pytest.raises(Exception, match="not a Jalali month"):
        call_command("desk_performance", "--month", "13-99", stdout=io.StringIO())


def test_demo_traffic_is_idempotent_and_fills_the_queue(
    client: Client, supervisor_client: Client
) -> None:
    first = create_demo_traffic(seed=1405, months=2)
    assert first == 90
    assert create_demo_traffic(seed=1405, months=2) == 0
    assert Ticket.objects.filter(is_demo=True).count() == 90
    assert Ticket.objects.filter(is_demo=True, answered_at__isnull=False).exists()
    assert Ticket.objects.filter(is_demo=True, status__in=["new", "assigned", "waiting"]).exists()
    assert SurveyResponse.objects.exists()
    html = supervisor_client.get("/desk/staff/?status=").content.decode()
    assert html.count("/desk/staff/") > 40


PUBLIC_PAGES = [
    "/desk/",
    "/desk/request/",
    "/desk/complaint/",
    "/desk/suggestion/",
    "/desk/survey/",
    "/desk/track/",
    "/desk/performance/",
]


def main_content(html: str) -> str:
    """The page's own content: the site shell (menu, footer) is the core app's to test."""
    match = re.search(r'<main id="content".*?</main>', html, flags=re.DOTALL)
    assert match is not None
    return match.group(0)


def visible_latin_words(html: str) -> set[str]:
    body = re.sub(r"<(script|style|svg)[^>]*>.*?</\1>", "", main_content(html), flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", body)
    return set(re.findall(r"[A-Za-z]{3,}", text))


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_persian_public_pages_have_no_english_text(client: Client, page: str) -> None:
    create_demo_traffic(seed=3, months=1)
    response = client.get(page)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert visible_latin_words(html) == set(), visible_latin_words(html)
    assert not re.search(r"https?://(?!testserver)", html)


def test_persian_result_pages_have_no_english_text(
    client: Client, fill: Any, answered: Ticket
) -> None:
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT, "national_id": "123"}
    assert visible_latin_words(client.post("/desk/complaint/", data).content.decode()) == set()
    data = {**fill(client, "/desk/complaint/"), **VALID_COMPLAINT}
    assert visible_latin_words(client.post("/desk/complaint/", data).content.decode()) == set()
    client.post("/desk/track/", {"code": answered.tracking_code, "mobile": "09121234567"})
    assert visible_latin_words(client.get("/desk/track/ticket/").content.decode()) == set()
    assert visible_latin_words(client.get(survey_link(answered)).content.decode()) == set()


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_english_public_pages(page: str) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(page).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert not re.search(r"[\u0600-\u06ff]{3,}", main_content(html))
