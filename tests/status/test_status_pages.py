"""The status page, the banner on every page, status.json, health and metrics, over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amargah.status import services, tasks
from amargah.status.choices import Impact, IncidentStatus
from amargah.status.models import Component, Incident, Maintenance, ProbeResult
from amargah.status.selectors import BANNER_CACHE_KEY


def open_incident(component: Component, impact: Impact = Impact.PARTIAL_OUTAGE) -> Incident:
    return services.incident_open(
        title_fa="کندی ثبت درخواست",
        title_en="Slow request submission",
        impact=impact,
        components=[component],
        message_fa="در حال بررسی هستیم.",
        message_en="We are investigating.",
        user=None,
    )


@pytest.mark.django_db
def test_status_page_shows_components_operational(client: Client) -> None:
    html = client.get("/status/").content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    for code in ("website", "service-desk", "data-portal", "api"):
        assert f'data-component="{code}" data-status="operational"' in html
    assert "۱۰۰٫۰۰۰٪" in html  # availability in Persian digits
    assert 'id="announcements"' not in html


@pytest.mark.django_db
def test_incident_changes_status_and_banner_until_resolved(
    client: Client, components: dict[str, Component]
) -> None:
    incident = open_incident(components["service-desk"])
    html = client.get("/").content.decode()
    assert 'id="announcements"' in html
    assert "کندی ثبت درخواست" in html
    status_html = client.get("/status/").content.decode()
    assert 'data-component="service-desk" data-status="partial_outage"' in status_html
    assert 'data-component="website" data-status="operational"' in status_html
    assert "در حال بررسی هستیم." in status_html

    services.incident_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message_fa="مشکل رفع شد.",
        message_en="Fixed.",
        user=None,
    )
    assert 'id="announcements"' not in client.get("/").content.decode()
    status_html = client.get("/status/").content.decode()
    assert 'data-component="service-desk" data-status="operational"' in status_html
    assert "مشکل رفع شد." in status_html  # kept in the history


@pytest.mark.django_db
def test_the_cached_banner_follows_every_change(
    client: Client, components: dict[str, Component], settings: Any
) -> None:
    """With the banner cached, a page costs fewer queries and still shows every change."""
    settings.STATUS_BANNER_CACHE_SECONDS = 600
    cache.delete(BANNER_CACHE_KEY)
    assert 'id="announcements"' not in client.get("/").content.decode()  # now cached
    incident = open_incident(components["service-desk"])
    assert "کندی ثبت درخواست" in client.get("/").content.decode()
    with CaptureQueriesContext(connection) as cached:
        client.get("/")
    settings.STATUS_BANNER_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as fresh:
        client.get("/")
    assert len(cached.captured_queries) < len(fresh.captured_queries)
    settings.STATUS_BANNER_CACHE_SECONDS = 600
    services.incident_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message_fa="مشکل رفع شد.",
        message_en="Fixed.",
        user=None,
    )
    assert 'id="announcements"' not in client.get("/").content.decode()
    Maintenance.objects.create(
        title_fa="جابه‌جایی کارساز",
        title_en="Server move",
        starts_at=timezone.now() + dt.timedelta(hours=2),
        ends_at=timezone.now() + dt.timedelta(hours=3),
        announced_at=timezone.now(),
    )
    assert "جابه‌جایی کارساز" in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_resolved_incident_cannot_be_updated(components: dict[str, Component]) -> None:
    incident = open_incident(components["api"])
    services.incident_update(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message_fa="رفع شد",
        message_en="Fixed",
        user=None,
    )
    with pytest.raises(ValidationError):
        services.incident_update(
            incident=incident,
            status=IncidentStatus.MONITORING,
            message_fa="x",
            message_en="x",
            user=None,
        )


@pytest.mark.django_db
def test_maintenance_is_announced_from_48_hours_before(
    client: Client, components: dict[str, Component]
) -> None:
    now = timezone.now()
    soon = services.maintenance_schedule(
        title_fa="به‌روزرسانی پایگاه داده",
        title_en="Database upgrade",
        starts_at=now + dt.timedelta(hours=30),
        ends_at=now + dt.timedelta(hours=32),
        components=[components["data-portal"]],
        user=None,
    )
    services.maintenance_schedule(
        title_fa="جابه‌جایی سرور",
        title_en="Server move",
        starts_at=now + dt.timedelta(days=5),
        ends_at=now + dt.timedelta(days=5, hours=1),
        components=[components["website"]],
        user=None,
    )
    client.cookies["amargah_language"] = "en"
    html = client.get("/").content.decode()
    assert "Database upgrade" in html
    assert "Server move" not in html  # too far ahead for the banner
    status_html = client.get("/status/").content.decode()
    assert "Server move" in status_html  # but listed on the status page
    assert status_html.count('data-phase="upcoming"') == 2
    Maintenance.objects.filter(pk=soon.pk).update(
        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=1)
    )
    status_html = client.get("/status/").content.decode()
    assert 'data-component="data-portal" data-status="maintenance"' in status_html


@pytest.mark.django_db
def test_maintenance_must_end_after_it_starts(components: dict[str, Component]) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError):
        services.maintenance_schedule(
            title_fa="x", title_en="x", starts_at=now, ends_at=now, components=[], user=None
        )


@pytest.mark.django_db
def test_status_json(client: Client, components: dict[str, Component]) -> None:
    open_incident(components["api"], Impact.MAJOR_OUTAGE)
    data = client.get("/status.json").json()
    assert data["status"] == "major_outage"
    statuses = {item["code"]: item["status"] for item in data["components"]}
    assert statuses == {
        "website": "operational",
        "service-desk": "operational",
        "data-portal": "operational",
        "api": "major_outage",
    }
    assert data["incidents"][0]["title"]["fa"] == "کندی ثبت درخواست"


@pytest.mark.django_db
def test_persian_status_page_has_no_english_words(
    client: Client, components: dict[str, Component]
) -> None:
    open_incident(components["website"])
    html = client.get("/status/").content.decode()
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S))
    assert set(re.findall(r"[A-Za-z]{3,}", text)) <= {"English", "API"}


@pytest.mark.django_db
def test_staff_post_an_incident_in_the_back_office(
    client: Client, components: dict[str, Component]
) -> None:
    staff = User.objects.create_superuser("officer", password="x")
    client.force_login(staff)
    form = {
        "title_fa": "قطعی پیامک",
        "title_en": "SMS outage",
        "impact": "partial_outage",
        "components": [components["service-desk"].pk],
        "started_at_0": "2026-11-27",
        "started_at_1": "10:00:00",
        "updates-TOTAL_FORMS": "1",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
        "updates-0-status": "identified",
        "updates-0-message_fa": "علت پیدا شد.",
        "updates-0-message_en": "Cause found.",
    }
    response = client.post("/staff/status/incident/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(title_en="SMS outage")
    assert incident.created_by == staff
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.updates.get().posted_by == staff


# The checks run in worker threads with their own connections: commit for real.
@pytest.mark.django_db(transaction=True)
def test_health_ready_needs_a_recent_probe_from_the_worker(client: Client) -> None:
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert "background worker has not run its probe yet" in str(response.json())
    result = tasks.probe.enqueue()  # the test backend runs it at once, without recursing
    assert result.return_value is True
    assert ProbeResult.objects.count() == 1
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    checks = response.json()
    assert {"Database", "Cache", "DataStore", "Worker"} <= {name.split("(")[0] for name in checks}
    assert set(checks.values()) == {"OK"}


# The checks run in worker threads with their own connections: commit for real.
@pytest.mark.django_db(transaction=True)
def test_health_ready_fails_when_the_worker_fell_silent(client: Client) -> None:
    services.probe_run()
    ProbeResult.objects.update(checked_at=timezone.now() - dt.timedelta(minutes=4))
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert "no probe from the background worker in 3 minutes" in str(response.json())


# The checks run in worker threads with their own connections: commit for real.
@pytest.mark.django_db(transaction=True)
def test_health_ready_fails_when_the_store_is_not_writable(
    client: Client, settings: pytest.FixtureRequest, tmp_path: pytest.TempPathFactory
) -> None:
    services.probe_run()
    blocker = tmp_path / "file"  # type: ignore[operator]
    blocker.write_text("not a directory")
    settings.STORE_DIR = blocker / "store"  # type: ignore[attr-defined]
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert "not writable" in str(response.json())
    assert services.probe_run().detail == "store"


@pytest.mark.django_db
def test_health_live_answers_in_every_format(client: Client) -> None:
    assert client.get("/health/live", HTTP_ACCEPT="application/json").status_code == 200
    # What a load balancer or curl sends: */* gets the HTML page.
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/live", HTTP_ACCEPT="text/plain").status_code == 200


@pytest.mark.django_db
def test_metrics_only_for_the_monitoring_host(client: Client) -> None:
    client.get("/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
