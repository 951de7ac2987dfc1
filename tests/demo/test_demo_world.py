"""The full demo world: plausible marginals, a sound survey design, a truthful truth.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from amargah.demo import WorldManifest

World = tuple[Path, WorldManifest]


def _query(out: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run SQL where ``{dir}`` stands for the world's directory."""
    return duckdb.connect().sql(sql.replace("{dir}", str(out))).fetchall()


def _truth(out: Path) -> dict[str, Any]:
    return json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_built_quickly_with_about_seven_hundred_thousand_persons(full_world: World) -> None:
    _, manifest = full_world
    assert 650_000 <= manifest.rows["census_persons"] <= 750_000
    assert manifest.build_seconds < 60


def test_sex_ratio_household_size_and_urban_share(full_world: World) -> None:
    out, _ = full_world
    [(males, females, persons)] = _query(
        out,
        "select count(*) filter (sex = 1), count(*) filter (sex = 2), count(*) "
        "from '{dir}/census_persons.parquet'",
    )
    assert 1.00 <= males / females <= 1.06
    [(mean_size, households)] = _query(
        out, "select avg(size), count(*) from '{dir}/census_households.parquet'"
    )
    assert 3.1 <= mean_size <= 3.5
    assert households * mean_size == pytest.approx(persons)
    [(urban,)] = _query(out, "select avg((area = 1)::int) from '{dir}/census_persons.parquet'")
    assert 0.75 <= urban <= 0.85


def test_age_pyramid_is_plausible(full_world: World) -> None:
    out, _ = full_world
    ages = pq.read_table(out / "census_persons.parquet", columns=["age"])["age"].to_numpy()
    counts = np.bincount(ages.astype(np.int64), minlength=100)
    assert 0.20 <= np.mean(ages < 15) <= 0.28
    assert 0.05 <= np.mean(ages >= 65) <= 0.11
    # The 1980s baby boom: more persons per single year at 30–44 than at 0–14.
    assert counts[30:45].mean() > counts[0:15].mean()
    # Recent fertility decline: fewer infants than children of 10–14.
    assert counts[0:5].sum() < counts[10:15].sum()
    assert counts[95:].sum() < counts[85:90].sum()


def test_counties_have_plausible_sizes(full_world: World) -> None:
    out, _ = full_world
    rows = _query(
        out,
        "select county, count(*) n from '{dir}/census_persons.parquet' group by 1 order by n desc",
    )
    assert len(rows) == 8
    assert {rows[0][0], rows[1][0]} == {1, 2}  # Semnan and Shahrud are the largest
    assert rows[-1][1] > 10_000


def test_enumeration_areas_have_150_to_250_households(full_world: World) -> None:
    out, _ = full_world
    frame = pq.read_table(out / "frame_ea.parquet").to_pydict()
    households = np.array(frame["households"])
    urban = np.array(frame["area"]) == 1
    assert np.mean((households >= 150) & (households <= 250)) >= 0.8
    assert households.min() >= 100 and households.max() <= 300
    assert households[urban].mean() > households[~urban].mean()
    [(census_households,)] = _query(out, "select count(*) from '{dir}/census_households.parquet'")
    assert households.sum() == census_households


def test_labour_market_is_plausible(full_world: World) -> None:
    labour = _truth(full_world[0])["labour"]
    overall, men, women = labour["overall"], labour["by_sex"]["1"], labour["by_sex"]["2"]
    assert 0.36 <= overall["participation_rate"] <= 0.45
    assert 0.08 <= overall["unemployment_rate"] <= 0.10
    assert women["participation_rate"] < 0.4 * men["participation_rate"]
    assert women["unemployment_rate"] > men["unemployment_rate"]
    assert labour["by_age_group"]["15-24"]["unemployment_rate"] > 2 * overall["unemployment_rate"]


def test_every_stratum_has_at_least_two_psus_and_the_design_is_consistent(
    full_world: World,
) -> None:
    out, _ = full_world
    rows = _query(
        out,
        """
        select s.stratum, count(distinct s.psu), min(s.fpc1), max(s.fpc1), f.eas,
               sum(s.base_weight), h.households
        from '{dir}/lfs_households.parquet' s
        join (select stratum, count(*) eas from '{dir}/frame_ea.parquet' group by 1) f
          using (stratum)
        join (select stratum, count(*) households from '{dir}/census_households.parquet'
              group by 1) h using (stratum)
        group by s.stratum, f.eas, h.households order by 1
        """,
    )
    assert len(rows) == 16
    for stratum, psus, fpc_low, fpc_high, eas, base_total, households in rows:
        assert psus >= 2, stratum
        assert fpc_low == fpc_high == eas
        # PPS on households with a fixed take per PSU: design weights add up exactly to
        # the stratum's households.
        assert base_total == pytest.approx(households, rel=1e-9)
    [(mismatched,)] = _query(
        out,
        "select count(*) from '{dir}/lfs_households.parquet' s "
        "join '{dir}/frame_ea.parquet' f on s.psu = f.ea_id "
        "where s.fpc2 <> f.households or s.stratum <> f.stratum "
        "or abs(s.base_weight * s.prob1 * s.prob2 - 1) > 1e-9",
    )
    assert mismatched == 0


def test_sample_size_and_nonresponse(full_world: World) -> None:
    out, _ = full_world
    [(selected, households)] = _query(
        out,
        "select count(*), (select count(*) from '{dir}/census_households.parquet') "
        "from '{dir}/lfs_households.parquet'",
    )
    assert 0.04 <= selected / households <= 0.06
    rates = dict(
        _query(
            out,
            "select stratum % 10, avg((disposition <> 1)::int) "
            "from '{dir}/lfs_households.parquet' group by 1",
        )
    )
    assert 0.02 <= rates[2] < rates[1] <= 0.12
    # Weights adjusted for nonresponse within strata carry each stratum's whole weight.
    rows = _query(
        out,
        "select stratum, sum(base_weight), sum(weight) filter (disposition = 1), "
        "count(*) filter (disposition <> 1 and weight is not null) "
        "from '{dir}/lfs_households.parquet' group by 1",
    )
    for _, base_total, adjusted_total, weighted_nonrespondents in rows:
        assert adjusted_total == pytest.approx(base_total, rel=1e-9)
        assert weighted_nonrespondents == 0


def test_survey_persons_are_the_responding_households(full_world: World) -> None:
    out, _ = full_world
    [(missing, extra)] = _query(
        out,
        """
        with responding as (
            select hh_id from '{dir}/lfs_households.parquet' where disposition = 1),
        expected as (
            select p.person_id from '{dir}/census_persons.parquet' p join responding using (hh_id))
        select (select count(*) from expected
                where person_id not in (select person_id from '{dir}/lfs_persons.parquet')),
               (select count(*) from '{dir}/lfs_persons.parquet'
                where person_id not in (select person_id from expected))
        """,
    )
    assert (missing, extra) == (0, 0)


def test_survey_weights_sum_to_the_census_population(full_world: World) -> None:
    out, _ = full_world
    [(weighted, census)] = _query(
        out,
        "select sum(weight), (select count(*) from '{dir}/census_persons.parquet') "
        "from '{dir}/lfs_persons.parquet'",
    )
    assert weighted == pytest.approx(census, rel=0.02)


def test_survey_estimates_are_close_to_the_truth(full_world: World) -> None:
    out, _ = full_world
    truth = _truth(out)
    [(unemployment, participation, income)] = _query(
        out,
        "select sum(weight) filter (activity = 2) / sum(weight) filter (activity in (1, 2)), "
        "sum(weight) filter (activity in (1, 2)) / sum(weight) filter (age >= 15), "
        "sum(weight * income) / sum(weight) from '{dir}/lfs_persons.parquet'",
    )
    assert unemployment == pytest.approx(truth["labour"]["overall"]["unemployment_rate"], abs=0.015)
    assert participation == pytest.approx(
        truth["labour"]["overall"]["participation_rate"], abs=0.02
    )
    assert income == pytest.approx(truth["income_rials"]["overall"]["mean"], rel=0.06)


def test_truth_agrees_with_the_census_files(full_world: World) -> None:
    out, _ = full_world
    truth = _truth(out)
    by_county_sex = _query(
        out, "select county, sex, count(*) from '{dir}/census_persons.parquet' group by 1, 2"
    )
    assert len(by_county_sex) == 16
    for county, sex, count in by_county_sex:
        assert truth["population"]["by_county_sex"][str(county)][str(sex)] == count

    labour = _query(
        out,
        "select county, sex, count(*) filter (activity = 1), count(*) filter (activity = 2), "
        "count(*) filter (age >= 15) from '{dir}/census_persons.parquet' group by 1, 2",
    )
    for county, sex, employed, unemployed, adults in labour:
        cell = truth["labour"]["by_county_sex"][str(county)][str(sex)]
        assert (cell["employed"], cell["unemployed"], cell["population_15_plus"]) == (
            employed,
            unemployed,
            adults,
        )
        assert cell["unemployment_rate"] == pytest.approx(unemployed / (employed + unemployed))
    [(employed, unemployed, adults, mean_income, persons)] = _query(
        out,
        "select count(*) filter (activity = 1), count(*) filter (activity = 2), "
        "count(*) filter (age >= 15), avg(income), count(*) from '{dir}/census_persons.parquet'",
    )
    overall = truth["labour"]["overall"]
    assert overall["participation_rate"] == pytest.approx((employed + unemployed) / adults)
    assert overall["unemployment_rate"] == pytest.approx(unemployed / (employed + unemployed))
    assert truth["income_rials"]["overall"]["mean"] == pytest.approx(mean_income)
    assert truth["population"]["persons"] == persons
    [(mean_size,)] = _query(out, "select avg(size) from '{dir}/census_households.parquet'")
    assert truth["population"]["mean_household_size"] == pytest.approx(mean_size)
