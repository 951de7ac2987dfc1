"""The adaptive CAPTCHA and the public forms' limits through HTTP, on either shared cache.

Every test runs twice: on the database cache (the default) and on Redis, where the
counters are kept by server-side scripts (``amargah.desk.abuse``).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from desk_support import VALID_COMPLAINT, form_fields, tracking_code_in
from django.core import signing
from django.core.cache import cache
from django.test import Client

from amargah.desk.forms import FORM_SALT
from amargah.desk.models import Ticket

pytestmark = pytest.mark.django_db

CAPTCHA = 'name="captcha_0"'
REDIS_URL = os.environ.get("AMARGAH_TEST_DESK_REDIS_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture(autouse=True, params=["database", "redis"])
def shared_cache(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """The shared cache the counters live in: the database's, or Redis as in production."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "amargah.core.cache.RedisCache",
                "LOCATION": REDIS_URL,
                # Counters of earlier runs (same addresses, same hour) must not count.
                "KEY_PREFIX": f"desk-test-{secrets.token_hex(4)}",
            }
        }
    yield request.param
    if request.param == "redis":
        cache.clear()


def shows_captcha(client: Client, url: str = "/desk/complaint/") -> bool:
    return CAPTCHA in client.get(url).content.decode()


def send(client: Client, index: int, **extra: str) -> str:
    """Send a valid complaint (solving the CAPTCHA when the form shows one)."""
    data = {
        **form_fields(client, "/desk/complaint/"),
        **VALID_COMPLAINT,
        "mobile": f"0912000{index:04d}",
        **extra,
    }
    return client.post("/desk/complaint/", data).content.decode()


def test_the_captcha_is_asked_only_after_the_threshold(settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "2/h"
    client = Client(REMOTE_ADDR="10.1.0.1")
    assert not shows_captcha(client)
    assert 'id="tracking-code"' in send(client, 1)
    assert not shows_captcha(client)
    assert 'id="tracking-code"' in send(client, 2)
    # Two forms this hour: the third must carry the answer to the sum.
    assert shows_captcha(client)
    assert shows_captcha(client, "/desk/survey/")
    # A form served before the threshold and sent after it is refused and shown again
    # with the question; nothing is stored.
    stale = {
        "stamp": signing.dumps({"token": "c" * 32, "at": time.time() - 10}, salt=FORM_SALT),
        "website": "",
        **VALID_COMPLAINT,
        "mobile": "09120009999",
    }
    html = client.post("/desk/complaint/", stale).content.decode()
    assert 'id="tracking-code"' not in html and CAPTCHA in html
    assert Ticket.objects.count() == 2
    assert 'id="tracking-code"' in send(client, 3)
    # Another address is not affected.
    assert not shows_captcha(Client(REMOTE_ADDR="10.1.0.2"))


def test_a_filled_honeypot_makes_the_address_answer_the_captcha(settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "100/h"
    robot = Client(REMOTE_ADDR="10.2.0.1")
    data = {**form_fields(robot, "/desk/complaint/"), **VALID_COMPLAINT, "website": "x"}
    assert robot.post("/desk/complaint/", data).status_code == 400
    assert shows_captcha(robot)
    assert not shows_captcha(Client(REMOTE_ADDR="10.2.0.2"))


def test_a_form_sent_too_fast_is_shown_again_with_the_captcha(settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "100/h"
    settings.DESK_FORM_MIN_SECONDS = 3
    client = Client(REMOTE_ADDR="10.3.0.1")
    data = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT}
    html = client.post("/desk/complaint/", data).content.decode()
    assert "خیلی سریع" in html and CAPTCHA in html
    assert shows_captcha(client)
    assert Ticket.objects.count() == 0


def test_behind_a_proxy_each_real_address_counts_alone(settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "1/h"
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    first = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.4.0.1")
    assert 'id="tracking-code"' in send(first, 1)
    assert shows_captcha(first)
    # Same proxy, another visitor: counted on their own address.
    assert not shows_captcha(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="10.4.0.2"))


def test_the_captcha_can_be_switched_off(settings: Any) -> None:
    settings.DESK_CAPTCHA = False
    settings.DESK_CAPTCHA_AFTER = "0/h"
    assert not shows_captcha(Client())


def test_a_bad_threshold_names_the_setting(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.DESK_CAPTCHA_AFTER = "often"
    with pytest.raises(ImproperlyConfigured, match="DESK_CAPTCHA_AFTER"):
        Client().get("/desk/complaint/")


def test_a_form_refused_by_the_mobile_limit_stays_refused_when_resent() -> None:
    statuses = []
    for index in range(5):
        other = Client(REMOTE_ADDR=f"10.5.0.{index + 1}")
        data = {**form_fields(other, "/desk/complaint/"), **VALID_COMPLAINT}
        statuses.append(other.post("/desk/complaint/", data).status_code)
    sixth = Client(REMOTE_ADDR="10.5.0.9")
    data = {**form_fields(sixth, "/desk/complaint/"), **VALID_COMPLAINT}
    statuses += [sixth.post("/desk/complaint/", data).status_code for _ in range(2)]
    assert statuses == [200] * 5 + [429, 429]
    assert Ticket.objects.count() == 5


def test_the_address_limit_counts_every_sending(settings: Any) -> None:
    settings.DESK_RATE_SUBMIT = "3/h"
    client = Client(REMOTE_ADDR="10.6.0.1")
    statuses = [client.post("/desk/complaint/", {"website": ""}).status_code for _ in range(3)]
    assert statuses == [200] * 3  # refused forms, shown again: still counted
    data = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT}
    assert client.post("/desk/complaint/", data).status_code == 429
    assert client.get("/desk/complaint/").status_code == 200  # reading is never limited
    assert 'id="tracking-code"' in send(Client(REMOTE_ADDR="10.6.0.2"), 1)
    assert Ticket.objects.count() == 1


def test_a_resent_form_gets_its_ticket_back_without_counting_again(settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "100/h"
    client = Client(REMOTE_ADDR="10.7.0.1")
    data = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT}
    # Seven sendings of one form, more than the mobile number's five a day.
    pages = [client.post("/desk/complaint/", data).content.decode() for _ in range(7)]
    assert len({tracking_code_in(page) for page in pages}) == 1
    assert Ticket.objects.count() == 1


def test_an_ipv6_client_counts_by_its_network(settings: Any) -> None:
    settings.DESK_CAPTCHA_AFTER = "1/h"
    assert 'id="tracking-code"' in send(Client(REMOTE_ADDR="2001:db8:1:2::10"), 1)
    # Another address of the same /64 is the same client; another /64 is not.
    assert shows_captcha(Client(REMOTE_ADDR="2001:db8:1:2::99"))
    assert not shows_captcha(Client(REMOTE_ADDR="2001:db8:1:3::10"))


def test_a_form_owing_the_sum_counts_against_its_mobile_only_once_it_carries_it(
    settings: Any,
) -> None:
    settings.DESK_CAPTCHA_AFTER = "0/h"  # every form must carry the sum
    client = Client(REMOTE_ADDR="10.8.0.1")
    unanswered = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT}
    del unanswered["captcha_0"], unanswered["captcha_1"]
    for _ in range(3):
        html = client.post("/desk/complaint/", unanswered).content.decode()
        assert 'id="tracking-code"' not in html and CAPTCHA in html
    # The three unanswered sendings did not use any of the number's five a day.
    pages = [send(client, 1) for _ in range(5)]
    assert all('id="tracking-code"' in page for page in pages)
    assert Ticket.objects.count() == 5
    sixth = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT, "mobile": "09120000001"}
    assert client.post("/desk/complaint/", sixth).status_code == 429


def test_a_valid_form_costs_one_round_trip_to_redis(
    shared_cache: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shared_cache != "redis":
        pytest.skip("the round trips are Redis's")
    from amargah.core.cache import RedisCache

    settings.DESK_CAPTCHA_AFTER = "100/h"
    calls: list[int] = []
    run_script = RedisCache.run_script

    def counted(self: RedisCache, source: str, **kwargs: Any) -> Any:
        calls.append(len(kwargs["keys"]))
        return run_script(self, source, **kwargs)

    client = Client(REMOTE_ADDR="10.9.0.1")
    data = {**form_fields(client, "/desk/complaint/"), **VALID_COMPLAINT}
    monkeypatch.setattr(RedisCache, "run_script", counted)
    first = client.post("/desk/complaint/", data).content.decode()
    again = client.post("/desk/complaint/", data).content.decode()
    # One script each: the address's counters, the stamp and the mobile number's count.
    assert calls == [5, 5]
    assert tracking_code_in(first) == tracking_code_in(again)
    assert Ticket.objects.count() == 1
