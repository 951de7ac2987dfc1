"""Public pages: the service status and the service charter."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django_prometheus.exports import ExportToDjangoView

from amargah.core.markdown import render_markdown
from amargah.status import selectors


def status_page(request: HttpRequest) -> HttpResponse:
    """Components with their state and availability, open incidents, maintenance, history."""
    now = timezone.now()
    states = selectors.component_states(now)
    month = selectors.availability(start=now - dt.timedelta(days=30), end=now)
    return render(
        request,
        "status/status.html",
        {
            "states": states,
            "overall": selectors.overall_status(states),
            "open_incidents": selectors.open_incidents(),
            "maintenance": [
                (window, selectors.maintenance_phase(window, now))
                for window in selectors.maintenance_list(now=now)
            ],
            "history": selectors.incident_history(now=now),
            "availability_30d": month,
            "probe": selectors.probe_latest(),
        },
    )


def status_json(request: HttpRequest) -> JsonResponse:
    """The same state, machine-readable, for monitors and the off-site snapshot."""
    now = timezone.now()
    states = selectors.component_states(now)
    return JsonResponse(
        {
            "generated_at": now.isoformat(),
            "status": selectors.overall_status(states).value,
            "components": [
                {
                    "code": state.component.code,
                    "name": {"fa": state.component.name_fa, "en": state.component.name_en},
                    "status": state.status.value,
                    "availability_30d": round(state.availability_30d, 3),
                    "availability_90d": round(state.availability_90d, 3),
                }
                for state in states
            ],
            "incidents": [
                {
                    "title": {"fa": incident.title_fa, "en": incident.title_en},
                    "impact": incident.impact,
                    "status": incident.status,
                    "started_at": incident.started_at.isoformat(),
                }
                for incident in selectors.open_incidents()
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def charter_page(request: HttpRequest, number: int | None = None) -> HttpResponse:
    """The service charter in force, or an older published version."""
    current = selectors.charter_current()
    if number is None:
        version = current
        if version is None:
            raise Http404
    else:
        version = selectors.charter_versions().filter(number=number).first()
        if version is None:
            raise Http404
    language = getattr(request, "LANGUAGE_CODE", "fa")
    body = version.body_en if language == "en" else version.body_fa
    return render(
        request,
        "status/charter.html",
        {
            "version": version,
            "is_current": current is not None and version.pk == current.pk,
            "current": current,
            "body": render_markdown(body),
            "versions": selectors.charter_versions(),
        },
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the monitoring host only (others get 404)."""
    if request.META.get("REMOTE_ADDR") not in settings.METRICS_ALLOWED_IPS:
        raise Http404
    return ExportToDjangoView(request)
