"""Reads for pages and APIs: only what is published is ever returned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from amargah.core.persian import normalize
from amargah.formats.cube import Cube
from amargah.portal.choices import ReleaseStatus
from amargah.portal.cubes import cube_get
from amargah.portal.models import GlossaryTerm, Release, StatTable, Study, Variable


def published_releases() -> QuerySet[Release]:
    return Release.objects.filter(status=ReleaseStatus.PUBLISHED)


def published_tables() -> QuerySet[StatTable]:
    """Tables with at least one published release, with their study."""
    return (
        StatTable.objects.filter(releases__status=ReleaseStatus.PUBLISHED)
        .distinct()
        .select_related("study")
        .order_by("order", "code")
    )


def studies() -> QuerySet[Study]:
    return Study.objects.prefetch_related(Prefetch("tables", queryset=published_tables())).order_by(
        "-period_end", "code"
    )


def study_by_code(code: str) -> Study:
    study = studies().filter(code=code).first()
    if study is None:
        raise Http404
    return study


def table_by_code(code: str) -> StatTable:
    """A published table, or 404 (an unpublished table does not exist for the public)."""
    table = published_tables().filter(code=code).first()
    if table is None:
        raise Http404
    return table


def table_release(table: StatTable, *, version: int | None = None) -> Release:
    """The table's latest published release, or the published ``version``; else 404."""
    releases = published_releases().filter(table=table).order_by("-version")
    if version is not None:
        releases = releases.filter(version=version)
    release = releases.first()
    if release is None:
        raise Http404
    return release


def latest_releases() -> list[Release]:
    """The latest published release of every table, in the tables' order (one query)."""
    releases = (
        published_releases()
        .select_related("table")
        .order_by("table__order", "table__code", "-version")
    )
    latest: dict[int, Release] = {}
    for release in releases:
        latest.setdefault(release.table_id, release)
    return list(latest.values())


def latest_release_of(code: str) -> Release | None:
    """The latest published release of the table ``code``, or ``None`` (one query)."""
    return (
        published_releases()
        .select_related("table")
        .filter(table__code=code)
        .order_by("-version")
        .first()
    )


def table_versions(table: StatTable) -> QuerySet[Release]:
    return published_releases().filter(table=table).order_by("-version")


def release_cube(release: Release) -> Cube:
    """The data of a published release."""
    if release.status != ReleaseStatus.PUBLISHED:
        raise Http404
    return cube_get(release.cube_sha256)


@dataclass(frozen=True)
class SearchResults:
    studies: list[Study]
    tables: list[StatTable]
    variables: list[Variable]

    def __bool__(self) -> bool:
        return bool(self.studies or self.tables or self.variables)


def search(query: str) -> SearchResults:
    """Studies, published tables and variables whose texts contain every word of ``query``.

    The query is normalised (Persian ی/ک for Arabic ي/ك, ASCII digits), so a search
    typed on an Arabic keyboard finds Persian text.
    """
    words = normalize(query).split()
    if not words:
        return SearchResults([], [], [])
    study_filter, table_filter, variable_filter = Q(), Q(), Q()
    for word in words:
        study_filter &= (
            Q(title_fa__icontains=word)
            | Q(title_en__icontains=word)
            | Q(abstract_fa__icontains=word)
            | Q(abstract_en__icontains=word)
        )
        table_filter &= (
            Q(title_fa__icontains=word)
            | Q(title_en__icontains=word)
            | Q(subject_fa__icontains=word)
            | Q(subject_en__icontains=word)
            | Q(code__iexact=word)
        )
        variable_filter &= (
            Q(label_fa__icontains=word)
            | Q(label_en__icontains=word)
            | Q(question_fa__icontains=word)
            | Q(question_en__icontains=word)
            | Q(name__iexact=word)
        )
    return SearchResults(
        studies=list(Study.objects.filter(study_filter)[:20]),
        tables=list(published_tables().filter(table_filter)[:20]),
        variables=list(Variable.objects.filter(variable_filter).select_related("study")[:30]),
    )


def release_calendar(
    *, now: dt.datetime | None = None, past_days: int = 90
) -> dict[str, list[Release]]:
    """Announced releases ahead, and those published in the last ``past_days`` days."""
    now = now or timezone.now()
    upcoming = (
        Release.objects.filter(status=ReleaseStatus.SCHEDULED, scheduled_for__gt=now)
        .select_related("table", "table__study")
        .order_by("scheduled_for")
    )
    recent = (
        published_releases()
        .filter(published_at__gte=now - dt.timedelta(days=past_days))
        .select_related("table", "table__study")
        .order_by("-published_at")
    )
    return {"upcoming": list(upcoming), "recent": list(recent)}


def glossary() -> QuerySet[GlossaryTerm]:
    return GlossaryTerm.objects.all()


def production_stages_of(code: str) -> str | None:
    """The code of the public production record of study ``code``, if the office shows one.

    The portal's numbers lead back through it to the phases, artefacts and sign-offs
    that produced them.
    """
    from amargah.production.selectors import public_studies

    return code if public_studies().filter(code=code).exists() else None


def results_expected(*, today: dt.date | None = None) -> list[object]:
    """Studies in production whose results are announced for a coming date."""
    from amargah.production.selectors import public_studies

    today = today or timezone.localdate()
    return list(public_studies().filter(results_expected_on__gte=today))
