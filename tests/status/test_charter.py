"""The service charter: versioned, dated, free of charge, ended only with notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from amargah.status import services
from amargah.status.models import CharterVersion


@pytest.mark.django_db
def test_version_one_is_the_offices_agreement(client: Client) -> None:
    html = client.get("/charter/").content.decode()
    assert "تأمین آمار و اطلاعات تولیدی" in html
    assert "۷ روز هفته و ۲۴ ساعت شبانه‌روز" in html
    assert 'id="free-of-charge"' in html
    assert 'id="not-current"' not in html
    client.cookies["amargah_language"] = "en"
    html = client.get("/charter/").content.decode()
    assert "Free of charge." in html
    assert "<h2>Purpose</h2>" in html  # Markdown is rendered


@pytest.mark.django_db
def test_an_amendment_is_a_new_version_and_the_old_stays_readable(client: Client) -> None:
    version = CharterVersion.objects.create(
        number=2,
        title_fa="بیانیهٔ اصلاح‌شده",
        title_en="Amended agreement",
        body_fa="## هدف\n\nمتن تازه <script>alert(1)</script>",
        body_en="## Purpose\n\nNew text",
        amendment_fa="مهلت پاسخ کوتاه‌تر شد.",
        amendment_en="Shorter answer times.",
        effective_from=timezone.localdate(),
    )
    # Not published yet: version 1 is still in force.
    assert "بیانیهٔ اصلاح‌شده" not in client.get("/charter/").content.decode()
    assert client.get("/charter/v2/").status_code == 404
    services.charter_publish(version=version)
    html = client.get("/charter/").content.decode()
    assert "بیانیهٔ اصلاح‌شده" in html and "مهلت پاسخ کوتاه‌تر شد." in html
    assert "<script>" not in html  # staff Markdown cannot inject markup
    old = client.get("/charter/v1/").content.decode()
    assert 'id="not-current"' in old and "تأمین آمار و اطلاعات تولیدی" in old


@pytest.mark.django_db
def test_a_published_version_cannot_change() -> None:
    version = CharterVersion.objects.get(number=1)
    version.body_fa = "متن دیگر"
    with pytest.raises(ValidationError):
        version.save()


@pytest.mark.django_db
def test_termination_needs_advance_notice_and_is_announced(client: Client) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.charter_termination_announce(
            effective_on=today + dt.timedelta(days=10), notice_fa="x", notice_en="x"
        )
    services.charter_termination_announce(
        effective_on=today + dt.timedelta(days=45),
        notice_fa="این توافق‌نامه با توافق‌نامهٔ تازه جایگزین می‌شود.",
        notice_en="This agreement is replaced by a new one.",
    )
    html = client.get("/").content.decode()
    assert 'id="announcements"' in html
    assert "این توافق‌نامه با توافق‌نامهٔ تازه جایگزین می‌شود." in html
