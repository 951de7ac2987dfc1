"""The publication gate: releases that break their study's rules are refused, by cell."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from django.utils import timezone, translation

from amargah.demo.tables import population_by_county_sex_age
from amargah.disclosure import services, tables
from amargah.disclosure.choices import ProtectionMethod
from amargah.formats.cube import Flag, Observation
from amargah.portal import selectors as portal_selectors
from amargah.portal.models import StatTable, Study
from amargah.portal.services import PublicationRefused, release_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Problems are written in the active language; these tests read the English ones.
    with translation.override("en"):
        yield


def census_rules() -> None:
    services.study_rules_set(study=Study.objects.get(code="census-1405"), threshold=3)


def test_small_census_cells_are_refused_with_their_names(portal: Path) -> None:
    census_rules()
    cube = population_by_county_sex_age(portal)
    small = tables.below_threshold(cube, threshold=3)
    assert small, "the small demo world has cells under 3 persons"
    with pytest.raises(PublicationRefused) as refused:
        release_create(table=StatTable.objects.get(code="POP_CENSUS"), cube=cube)
    first = tables.describe(cube, small[0])
    assert any(
        first in problem and "fewer than the minimum 3" in problem
        for problem in refused.value.problems
    )


def test_protected_census_table_is_published_and_hides_its_small_cells(portal: Path) -> None:
    census_rules()
    cube = population_by_county_sex_age(portal)
    protected = services.protect_cube(cube)
    assert services.publication_problems(protected) == []
    hidden = tables.withheld(protected)
    assert set(tables.below_threshold(cube, threshold=3)) < set(hidden)
    release = release_create(
        table=StatTable.objects.get(code="POP_CENSUS"), cube=protected, change_en="protected"
    )
    stored = portal_selectors.release_cube(release)
    assert all(stored.get(key).value is None for key in hidden)
    assert all(stored.get(key).status is Flag.CONFIDENTIAL for key in hidden)
    # nothing published is small, and every published total still adds up exactly
    assert tables.below_threshold(stored, threshold=3) == []
    assert tables.recoverable_cells(stored) == []


def test_a_lone_suppressed_cell_is_refused_as_recoverable(portal: Path) -> None:
    # Start from the table as published (the demo census is released under the
    # threshold rule) and withhold one more cell, in a county with no small cells.
    cube = portal_selectors.release_cube(
        portal_selectors.table_release(StatTable.objects.get(code="POP_CENSUS"))
    )
    key = next(
        k
        for k, o in cube.observations.items()
        if k[0] == "1" and "_T" not in k[:3] and (o.value or 0) > 50
    )
    leaky = replace(
        cube, observations={**cube.observations, key: Observation(None, status=Flag.CONFIDENTIAL)}
    )
    problems = services.publication_problems(leaky)
    assert problems == [
        f"cell {tables.describe(cube, key)}: suppressed, but its value follows exactly "
        "from the published cells and margins"
    ]


def test_unreliable_estimate_with_a_value_is_refused(portal: Path) -> None:
    release = portal_selectors.table_release(StatTable.objects.get(code="LFS_RATES"))
    cube = portal_selectors.release_cube(release)
    assert services.publication_problems(cube) == []
    key, obs = next((k, o) for k, o in cube.observations.items() if o.cv is not None and o.value)
    bad = replace(cube, observations={**cube.observations, key: replace(obs, cv=0.45, quality="C")})
    problems = services.publication_problems(bad)
    assert len(problems) == 1 and "45.0%" in problems[0] and "30%" in problems[0]
    # a stricter study limit applies to the same cube
    services.study_rules_set(
        study=Study.objects.get(code="lfs-1405"), cv_reliable=0.01, cv_publishable=0.02
    )
    assert len(services.publication_problems(cube)) > 0
    assert services.publication_problems(services.protect_cube(cube)) == []


def test_rules_are_validated(portal: Path) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.study_rules_set(
            study=Study.objects.get(code="census-1405"), cv_reliable=0.4, cv_publishable=0.3
        )
    rules = services.study_rules_set(
        study=Study.objects.get(code="census-1405"), method=ProtectionMethod.CELL_KEY, threshold=5
    )
    assert rules.threshold == 5 and str(rules).startswith("census-1405")
    assert timezone.now() >= rules.updated_at


def test_a_cell_withheld_here_but_published_in_a_linked_table_is_refused(portal: Path) -> None:
    census_rules()
    census = Study.objects.get(code="census-1405")
    full = population_by_county_sex_age(portal)
    # A second table of the same study publishes population by county and sex alone.
    by_county_sex = replace(full.select({"AGE": ["_T"]}), id="POP_CS")
    release_create(
        table=StatTable.objects.create(
            code="POP_CS",
            study=census,
            title_fa="جمعیت",
            title_en="Population",
            subject_fa="جمعیت",
            subject_en="Population",
        ),
        cube=by_county_sex,
    )
    protected = services.protect_cube(full)
    assert services.publication_problems(protected) == []
    # Withholding a county x sex total here hides nothing: the other table shows it.
    key = next(k for k in full.observations if k[0] != "_T" and k[1] != "_T" and k[2] == "_T")
    leaky = replace(
        protected,
        observations={**protected.observations, key: Observation(None, status=Flag.CONFIDENTIAL)},
    )
    problems = services.publication_problems(leaky)
    assert (
        f"cell {tables.describe(full, key)}: suppressed here, but published in table POP_CS"
        in problems
    )


def test_controlled_rounding_option(portal: Path) -> None:
    services.study_rules_set(
        study=Study.objects.get(code="census-1405"),
        method=ProtectionMethod.ROUNDING,
        rounding_base=5,
    )
    cube = population_by_county_sex_age(portal)
    problems = services.publication_problems(cube)
    assert problems and "not a multiple of the rounding base 5" in problems[0]
    rounded = services.protect_cube(cube)
    assert services.publication_problems(rounded) == []
    table, keys = tables.linear_table(rounded)
    for total, parts in table.relations:
        assert table.values[total] == sum(table.values[list(parts)])
    for key in keys:
        assert abs(rounded.observations[key].value - cube.observations[key].value) < 5
