"""Plain helpers of the service-desk tests, imported by name.

They live here, not in conftest.py: several test folders have a conftest, and
``from conftest import`` would find whichever was imported first.
"""

from __future__ import annotations

import re

from captcha.models import CaptchaStore
from django.contrib.auth.models import Group, User
from django.test import Client

from amargah.core.persian import to_persian_digits

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


def tracking_code_in(html: str) -> str:
    """The tracking code shown on a success page, in ASCII digits."""
    match = re.search(r'id="tracking-code">([^<]+)<', html)
    assert match is not None, html[:2000]
    persian = match.group(1)
    return re.sub(r"\D", "", persian.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))


def make_user(username: str, role: str | None, *, email: str = "") -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, email=email)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user
