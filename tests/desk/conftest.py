"""Fixtures of the service-desk tests: an SMS outbox in memory, form filling, seeded staff."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from desk_support import VALID_COMPLAINT, form_fields, make_user, tracking_code_in
from django.contrib.auth.models import User
from django.test import Client

from amargah.desk.notifications import LocmemSmsBackend


@pytest.fixture(autouse=True)
def desk_settings(settings: Any) -> Iterator[None]:
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.LocmemSmsBackend"
    settings.DESK_FORM_MIN_SECONDS = 0
    settings.DESK_PUBLIC_URL = "http://testserver"
    LocmemSmsBackend.outbox.clear()
    yield
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def fill() -> Callable[..., dict[str, str]]:
    return form_fields


@pytest.fixture
def submit_complaint(client: Client) -> Callable[..., str]:
    """Submit the valid complaint through HTTP; return the tracking code shown."""

    def run(**overrides: str) -> str:
        data = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT, **overrides}
        response = client.post("/desk/complaint/", data)
        assert response.status_code == 200
        return tracking_code_in(response.content.decode())

    return run


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
