"""Releases: published at their time, immutable, versioned, gated by publication checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from amargah.formats.cube import Cube
from amargah.portal import selectors, services
from amargah.portal.choices import ReleaseStatus
from amargah.portal.models import Release, StatTable


def refuse_everything(cube: Cube) -> list[str]:
    return [f"{cube.id}: cell (1, 2) has 2 contributors, fewer than 3"]


@pytest.mark.django_db
def test_scheduled_release_is_invisible_until_its_time(portal: Path, client: Client) -> None:
    release = Release.objects.get(table__code="LIT_CENSUS")
    assert release.status == ReleaseStatus.SCHEDULED
    assert client.get("/data/tables/LIT_CENSUS/").status_code == 404
    assert "LIT_CENSUS" not in client.get("/data/").content.decode()
    calendar = client.get("/data/calendar/").content.decode()
    assert "نرخ باسوادی" in calendar  # announced in advance
    with pytest.raises(ValidationError):
        services.release_publish(release=release)  # not before its time
    assert services.releases_publish_due(now=timezone.now()) == []
    published = services.releases_publish_due(now=release.scheduled_for + dt.timedelta(seconds=1))
    assert [r.pk for r in published] == [release.pk]
    assert client.get("/data/tables/LIT_CENSUS/").status_code == 200


@pytest.mark.django_db
def test_a_correction_is_a_new_version_and_the_old_stays(portal: Path, client: Client) -> None:
    table = StatTable.objects.get(code="POP_CENSUS")
    first = selectors.table_release(table)
    cube = selectors.release_cube(first)
    key = ("1", "1", "_T", "1405")
    corrected = replace(
        cube,
        observations={**cube.observations, key: replace(cube.observations[key], value=1000.0)},
    )
    second = services.release_create(
        table=table, cube=corrected, change_fa="اصلاح یک خانه", change_en="One cell corrected"
    )
    assert second.version == 2 and second.status == ReleaseStatus.PUBLISHED
    latest = client.get("/data/tables/POP_CENSUS/?COUNTY=1&SEX=1&AGE=_T").content.decode()
    assert 'data-value="1000.0"' in latest and "اصلاح یک خانه" in latest
    old = client.get("/data/tables/POP_CENSUS/?COUNTY=1&SEX=1&AGE=_T&v=1").content.decode()
    assert 'id="not-latest"' in old
    assert f'data-value="{cube.observations[key].value}"' in old


@pytest.mark.django_db
def test_a_published_release_cannot_change(portal: Path) -> None:
    release = Release.objects.get(table__code="POP_CENSUS")
    release.cube_sha256 = "0" * 64
    with pytest.raises(ValidationError):
        release.save()


@pytest.mark.django_db
def test_publication_checks_refuse_and_store_nothing(
    portal: Path, settings: pytest.FixtureRequest
) -> None:
    settings.PORTAL_PUBLICATION_CHECKS = [f"{__name__}.refuse_everything"]  # type: ignore[attr-defined]
    table = StatTable.objects.get(code="POP_CENSUS")
    cube = selectors.release_cube(selectors.table_release(table))
    with pytest.raises(services.PublicationRefused) as refused:
        services.release_create(table=table, cube=cube)
    assert "fewer than 3" in refused.value.problems[0]
    assert table.releases.count() == 1


@pytest.mark.django_db
def test_data_must_match_its_table(portal: Path) -> None:
    table = StatTable.objects.get(code="POP_CENSUS")
    other = selectors.release_cube(selectors.table_release(StatTable.objects.get(code="LFS_RATES")))
    with pytest.raises(ValidationError):
        services.release_create(table=table, cube=other)


@pytest.mark.django_db
def test_apis_serve_a_correction_at_once(portal: Path, client: Client) -> None:
    """Documents are kept per release checksum, so a new version is never served stale."""
    table = StatTable.objects.get(code="POP_CENSUS")
    cube = selectors.release_cube(selectors.table_release(table))
    key = ("1", "_T", "_T", "1405")
    query = {"valueCodes[COUNTY]": "1", "valueCodes[SEX]": "_T", "valueCodes[AGE]": "_T"}
    before = client.get("/api/v2/tables/POP_CENSUS/data", query).json()["value"]
    sdmx_before = client.get("/sdmx/rest/data/POP_CENSUS/1._T._T").content
    assert before == [cube.observations[key].value]
    corrected = replace(
        cube, observations={**cube.observations, key: replace(cube.observations[key], value=7.0)}
    )
    services.release_create(table=table, cube=corrected, change_fa="اصلاح", change_en="Fix")
    assert client.get("/api/v2/tables/POP_CENSUS/data", query).json()["value"] == [7.0]
    sdmx_after = client.get("/sdmx/rest/data/POP_CENSUS/1._T._T").content
    assert sdmx_after != sdmx_before and b'value="7"' in sdmx_after
