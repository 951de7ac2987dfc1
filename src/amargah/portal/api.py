"""The portal's REST API (OpenAPI at ``/api/v1/openapi.json``): catalog, studies,
variables, tables and releases. Public and read-only; the data itself is served by the
SDMX and PxWeb APIs and the downloads, whose links each table carries."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from ninja import NinjaAPI, Schema
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

from amargah.portal import selectors
from amargah.portal.downloads import FORMATS
from amargah.portal.models import Release, StatTable, Study
from amargah.portal.throttle import RETRY_AFTER_SECONDS, api_rate, over_limit


class ApiRateLimit(BaseThrottle):
    """The portal's one API limit, shared with the SDMX and PxWeb APIs."""

    def allow_request(self, request: HttpRequest) -> bool:
        return not over_limit(request)


api = NinjaAPI(
    title="Amargah data portal API",
    version="1",
    description=(
        "The published statistics of the Semnan Province statistics office: free, open, "
        "no key needed. Rate limit: 600 requests a minute per address (HTTP 429 beyond)."
    ),
    # Nested in the portal app's URL namespace, where urls.py mounts it.
    urls_namespace="portal:api",
    throttle=[ApiRateLimit()],
)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> JsonResponse:
    response = JsonResponse(
        {
            "type": "about:blank",
            "title": "Too many requests",
            "status": 429,
            "detail": f"At most {api_rate()} requests per address; try again in a minute.",
            "instance": request.path,
        },
        status=429,
        content_type="application/problem+json",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> JsonResponse:
    # RFC 7807 problem document, like the PxWeb API's errors.
    return JsonResponse(
        {
            "type": "about:blank",
            "title": "Not found",
            "status": 404,
            "detail": str(exc) or "No such resource is published.",
            "instance": request.path,
        },
        status=404,
        content_type="application/problem+json",
    )


class Texts(Schema):
    fa: str
    en: str


class TableSummary(Schema):
    code: str
    title: Texts
    subject: Texts
    study: str
    version: int
    published_at: dt.datetime
    explorer: str
    downloads: dict[str, str]
    sdmx_dataflow: str
    pxweb: str


class StudySummary(Schema):
    code: str
    kind: str
    title: Texts
    period_start: dt.date
    period_end: dt.date
    tables: list[str]
    ddi: str


class VariableOut(Schema):
    name: str
    kind: str
    label: Texts
    question: Texts
    categories: list[dict[str, object]]
    summary: dict[str, object]


class StudyOut(StudySummary):
    abstract: Texts
    coverage: Texts
    universe: Texts
    methodology: Texts
    sampling: Texts
    response_rate: float | None
    cases: int
    variables: list[VariableOut]


class ReleaseOut(Schema):
    table: str
    version: int
    status: str
    scheduled_for: dt.datetime
    published_at: dt.datetime | None
    change: Texts
    cells: int
    checksum: str


def _texts(record: object, field: str) -> Texts:
    return Texts(fa=getattr(record, f"{field}_fa"), en=getattr(record, f"{field}_en"))


def _table(request: HttpRequest, table: StatTable) -> TableSummary:
    release = selectors.table_release(table)
    downloads = {
        key: request.build_absolute_uri(reverse("portal:download", args=[table.code, key]))
        for key in FORMATS
    }
    return TableSummary(
        code=table.code,
        title=_texts(table, "title"),
        subject=_texts(table, "subject"),
        study=table.study.code,
        version=release.version,
        published_at=release.published_at,  # type: ignore[arg-type]
        explorer=request.build_absolute_uri(reverse("portal:table", args=[table.code])),
        downloads=downloads,
        sdmx_dataflow=request.build_absolute_uri(f"/sdmx/rest/dataflow/PSO/{table.code}/latest"),
        pxweb=request.build_absolute_uri(f"/api/v2/tables/{table.code}"),
    )


def _study_summary(request: HttpRequest, study: Study) -> dict[str, object]:
    return {
        "code": study.code,
        "kind": study.kind,
        "title": _texts(study, "title"),
        "period_start": study.period_start,
        "period_end": study.period_end,
        "tables": [table.code for table in study.tables.all()],
        "ddi": request.build_absolute_uri(reverse("portal:ddi", args=[study.code])),
    }


@api.get("/studies", response=list[StudySummary], summary="Every study")
def studies(request: HttpRequest) -> list[dict[str, object]]:
    return [_study_summary(request, study) for study in selectors.studies()]


@api.get("/studies/{code}", response=StudyOut, summary="A study with its variables")
def study(request: HttpRequest, code: str) -> dict[str, object]:
    found = selectors.study_by_code(code)
    return {
        **_study_summary(request, found),
        "abstract": _texts(found, "abstract"),
        "coverage": _texts(found, "coverage"),
        "universe": _texts(found, "universe"),
        "methodology": _texts(found, "methodology"),
        "sampling": _texts(found, "sampling"),
        "response_rate": found.response_rate,
        "cases": found.cases,
        "variables": [
            {
                "name": variable.name,
                "kind": variable.kind,
                "label": _texts(variable, "label"),
                "question": _texts(variable, "question"),
                "categories": variable.categories,
                "summary": variable.summary,
            }
            for variable in found.variables.all()
        ],
    }


@api.get("/tables", response=list[TableSummary], summary="Every published table")
def tables(request: HttpRequest, q: str = "") -> list[TableSummary]:
    found = selectors.search(q).tables if q.strip() else selectors.published_tables()
    return [_table(request, table) for table in found]


@api.get("/tables/{code}", response=TableSummary, summary="A published table")
def table(request: HttpRequest, code: str) -> TableSummary:
    return _table(request, selectors.table_by_code(code))


def _release(release: Release) -> dict[str, object]:
    return {
        "table": release.table.code,
        "version": release.version,
        "status": release.status,
        "scheduled_for": release.scheduled_for,
        "published_at": release.published_at,
        "change": _texts(release, "change"),
        "cells": release.cells,
        "checksum": release.cube_sha256,
    }


@api.get("/tables/{code}/releases", response=list[ReleaseOut], summary="A table's versions")
def releases(request: HttpRequest, code: str) -> list[dict[str, object]]:
    return [_release(r) for r in selectors.table_versions(selectors.table_by_code(code))]


@api.get("/calendar", response=list[ReleaseOut], summary="Releases announced ahead")
def calendar(request: HttpRequest) -> list[dict[str, object]]:
    return [_release(r) for r in selectors.release_calendar()["upcoming"]]
