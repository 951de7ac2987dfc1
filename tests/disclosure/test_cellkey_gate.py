"""Releases of a study protected by cell-key perturbation: perturbed like the builder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from django.utils import translation

from amargah.demo.tables import households_by_size, population_by_county_sex_age
from amargah.disclosure import builder, services, tables
from amargah.disclosure.choices import ProtectionMethod
from amargah.formats.cube import Flag
from amargah.portal import selectors as portal_selectors
from amargah.portal.models import StatTable, Study
from amargah.portal.services import PublicationRefused, release_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def cell_key_census(portal: Path) -> Path:
    services.study_rules_set(
        study=Study.objects.get(code="census-1405"), method=ProtectionMethod.CELL_KEY
    )
    return portal


def test_published_cells_equal_the_builders_cells(cell_key_census: Path) -> None:
    cube = population_by_county_sex_age(cell_key_census)
    protected = services.protect_cube(cube)
    assert services.publication_problems(protected) == []
    release = release_create(table=StatTable.objects.get(code="POP_CENSUS"), cube=protected)
    stored = portal_selectors.release_cube(release)
    # The same cells asked in the builder (county x sex x age group) show the same numbers.
    built = builder.build(["county", "sex", "age_group"])
    changed = 0
    for key, obs in stored.observations.items():
        same = built.observations[key[:3]]
        assert obs.value == same.value, key
        assert obs.status == same.status, key
        changed += obs.value != cube.observations[key].value
    # and they really are perturbed: many cells moved, none by more than the ptable's D
    assert changed > len(stored.observations) // 4
    d = builder.builder_ptable().D
    assert all(
        abs((obs.value or 0) - (cube.observations[key].value or 0)) <= d
        for key, obs in stored.observations.items()
    )
    # small counts carry the builder's flag, and the note says why numbers move
    small = [o for o in stored.observations.values() if 0 < (o.value or 0) < 10]
    assert small and all(o.status is Flag.UNRELIABLE for o in small)
    assert builder.noise_note() in stored.notes
    # protecting twice changes nothing
    assert services.protect_cube(protected).observations == protected.observations


def test_unperturbed_table_is_refused_naming_its_cells(cell_key_census: Path) -> None:
    cube = population_by_county_sex_age(cell_key_census)
    with pytest.raises(PublicationRefused) as refused:
        release_create(table=StatTable.objects.get(code="POP_CENSUS"), cube=cube)
    problems = refused.value.problems
    assert problems[-1].startswith("and ") and "more" in problems[-1]
    first = problems[0]
    assert "cell-key perturbed count" in first and first.startswith("cell COUNTY=")


def test_a_single_tampered_cell_is_named(cell_key_census: Path) -> None:
    protected = services.protect_cube(population_by_county_sex_age(cell_key_census))
    key, obs = next((k, o) for k, o in protected.observations.items() if (o.value or 0) > 20)
    tampered = replace(
        protected, observations={**protected.observations, key: replace(obs, value=obs.value + 1)}
    )
    assert services.publication_problems(tampered) == [
        f"cell {tables.describe(tampered, key)}: published as {round(obs.value + 1)}, but its "
        f"cell-key perturbed count is {round(obs.value)}; protect the table with the study's "
        "cell-key perturbation"
    ]


def test_a_table_that_is_not_of_census_persons_is_refused(cell_key_census: Path) -> None:
    cube = households_by_size(cell_key_census)
    protected = services.protect_cube(cube)
    assert protected == cube  # nothing to perturb it with
    problems = services.publication_problems(protected)
    assert problems == [
        "the study protects its tables by cell-key perturbation, but this table does not "
        "count persons; cell-key perturbation is applied to counts of persons from the "
        "census microdata only"
    ]


def test_refusal_in_persian(cell_key_census: Path) -> None:
    cube = households_by_size(cell_key_census)
    with translation.override("fa"):
        problems = services.publication_problems(cube)
    assert problems and "کلید" in problems[0]
