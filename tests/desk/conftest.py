"""Fixtures of the service-desk tests: an SMS outbox in memory, form filling, seeded staff."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.models import Group, User
from django.test import Client

from amargah.core.persian import to_persian_digits
from amargah.desk.notifications import LocmemSmsBackend

STAMP = re.compile(r'name="stamp" value="([^"]+)"')
CAPTCHA_KEY = re.compile(r'name="captcha_0" value="([^"]+)"')

VALID_COMPLAINT = {
    "requester_kind": "citizen",
    "full_name": "علي كريمي",
    "mobile": "۰۹۱۲۱۲۳۴۵۶۷",
    "email": "",
    "national_id": "۰۴۹۹۳۷۰۸۹۹",
    "subject": "تأخیر در پاسخ",
    "body": "پاسخ درخواست قبلی من نرسید.",
}


@pytest.fixture(autouse=True)
def desk_settings(settings: Any) -> Iterator[None]:
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.LocmemSmsBackend"
    settings.DESK_FORM_MIN_SECONDS = 0
    settings.DESK_PUBLIC_URL = "http://testserver"
    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


def form_fields(client: Client, url: str, *, persian_answer: bool = True) -> dict[str, str]:
    """GET a public form and return its signed stamp and the solved CAPTCHA."""
    html = client.get(url).content.decode()
    stamp = STAMP.search(html)
    assert stamp is not None, html[:500]
    fields = {"stamp": stamp.group(1), "website": ""}
    key = CAPTCHA_KEY.search(html)
    if key is not None:
        answer = CaptchaStore.objects.get(hashkey=key.group(1)).response
        fields["captcha_0"] = key.group(1)
        # People on Persian keyboards type Persian digits; they must be accepted.
        fields["captcha_1"] = to_persian_digits(answer) if persian_answer else answer
    return fields


@pytest.fixture
def fill() -> Callable[..., dict[str, str]]:
    return form_fields


def tracking_code_in(html: str) -> str:
    """The tracking code shown on a success page, in ASCII digits."""
    match = re.search(r'id="tracking-code">([^<]+)<', html)
    assert match is not None, html[:2000]
    persian = match.group(1)
    return re.sub(r"\D", "", persian.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))


@pytest.fixture
def submit_complaint(client: Client) -> Callable[..., str]:
    """Submit the valid complaint through HTTP; return the tracking code shown."""

    def run(**overrides: str) -> str:
        data = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT, **overrides}
        response = client.post("/desk/complaint/", data)
        assert response.status_code == 200
        return tracking_code_in(response.content.decode())

    return run


def make_user(username: str, role: str | None, *, email: str = "") -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, email=email)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def officer(db: None) -> User:
    return make_user("officer1", "officer")


@pytest.fixture
def other_officer(db: None) -> User:
    return make_user("officer2", "officer")


@pytest.fixture
def supervisor(db: None) -> User:
    return make_user("super1", "supervisor", email="super1@example.org")


@pytest.fixture
def staff_client(officer: User) -> Client:
    client = Client()
    client.force_login(officer)
    return client


@pytest.fixture
def supervisor_client(supervisor: User) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client
