"""The demo office's published tables agree with the census and cover the truth."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from amargah.demo import WorldManifest
from amargah.demo.tables import (
    REFERENCE_YEAR,
    TOTAL,
    households_by_size,
    labour_force_indicators,
    population_by_county_sex_age,
)
from amargah.formats.cube import Flag
from amargah.stats.quality import QualityGrade


def test_population_margins_add_up(full_world: tuple[Path, WorldManifest]) -> None:
    world, manifest = full_world
    cube = population_by_county_sex_age(world)
    total = cube.get((TOTAL, TOTAL, TOTAL, REFERENCE_YEAR))
    assert total is not None and total.value == manifest.rows["census_persons"]
    counties = [c.id for c in cube.dimension("COUNTY").codes if c.id != TOTAL]
    ages = [c.id for c in cube.dimension("AGE").codes if c.id != TOTAL]
    by_county = [cube.get((c, TOTAL, TOTAL, REFERENCE_YEAR)) for c in counties]
    assert sum(o.value for o in by_county if o and o.value) == total.value
    for county in counties:
        for sex in ("1", "2"):
            cells = [cube.get((county, sex, a, REFERENCE_YEAR)) for a in ages]
            margin = cube.get((county, sex, TOTAL, REFERENCE_YEAR))
            assert margin is not None
            assert sum(o.value for o in cells if o and o.value) == margin.value


def test_households_total_and_sizes(full_world: tuple[Path, WorldManifest]) -> None:
    world, manifest = full_world
    cube = households_by_size(world)
    total = cube.get((TOTAL, TOTAL, TOTAL, REFERENCE_YEAR))
    assert total is not None and total.value == manifest.rows["census_households"]
    sizes = pq.read_table(world / "census_households.parquet", columns=["size"])["size"]
    single = cube.get((TOTAL, TOTAL, "1", REFERENCE_YEAR))
    assert single is not None
    assert single.value == sum(1 for s in sizes.to_pylist() if s == 1)


def test_labour_force_intervals_cover_the_truth(full_world: tuple[Path, WorldManifest]) -> None:
    world, _manifest = full_world
    cube = labour_force_indicators(world)
    truth = json.loads((world / "truth.json").read_text(encoding="utf-8"))["labour"]
    names = {
        "ACT_RATE": "participation_rate",
        "EMP_RATE": "employment_rate",
        "UNEMP_RATE": "unemployment_rate",
    }
    covered = checked = 0
    for (county, sex, indicator, _year), observation in cube.cells():
        assert observation is not None
        if county == TOTAL and sex == TOTAL:
            true = truth["overall"][names[indicator]]
        elif sex == TOTAL:
            true = truth["by_county"][county][names[indicator]]
        elif county == TOTAL:
            true = truth["by_sex"][sex][names[indicator]]
        else:
            true = truth["by_county_sex"][county][sex][names[indicator]]
        if observation.value is None:
            assert observation.status is Flag.UNRELIABLE
            continue
        checked += 1
        assert observation.ci_lower is not None and observation.ci_upper is not None
        covered += observation.ci_lower <= 100 * true <= observation.ci_upper
    # 95% intervals: with ~80 cells, fewer than 85% covering would signal a bias.
    assert checked >= 60
    assert covered / checked >= 0.85
    province = cube.get((TOTAL, TOTAL, "UNEMP_RATE", REFERENCE_YEAR))
    assert province is not None and province.quality == "A"


def test_unreliable_cells_are_flagged_without_a_value(
    full_world: tuple[Path, WorldManifest],
) -> None:
    world, _manifest = full_world
    strict = labour_force_indicators(
        world, grade_of=lambda cv: QualityGrade("C", publishable=cv < 0.05)
    )
    flagged = [o for _k, o in strict.cells() if o is not None and o.status is Flag.UNRELIABLE]
    assert flagged
    assert all(o.value is None and o.se is None for o in flagged)
