"""The demo office's published tables, computed from the demo world's microdata.

Each function reads the Parquet files that `amargah.demo.world.build_world` wrote and
returns a `amargah.formats.Cube`: census counts come from `amargah.stats.tabulation.cross_tabulate`
(one grouping-sets pass, all margins), survey indicators from `amargah.stats.Design`
(Taylor-linearised ratios with their standard errors). Nothing here knows Django; the
portal stores the cubes as releases.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from amargah.formats.cube import (
    Code,
    Contact,
    Cube,
    Dimension,
    Flag,
    Measure,
    Observation,
    ObservationKey,
    Role,
    Text,
)
from amargah.stats import Design, Estimates
from amargah.stats.quality import QualityGrade, grade
from amargah.stats.tabulation import cross_tabulate

TOTAL = "_T"
REFERENCE_YEAR = "1405"  # the demo census and survey are of the Jalali year 1405
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    *((low, low + 4) for low in range(0, 80, 5)),
    (80, None),
)
HOUSEHOLD_SIZES = ("1", "2", "3", "4", "5", "6", "7", "8P")

SOURCE_CENSUS = Text(
    fa="سرشماری عمومی نفوس و مسکن ۱۴۰۵ استان سمنان (داده‌های نمایشی)",
    en="Population and Housing Census 1405, Semnan Province (demo data)",
)
SOURCE_LFS = Text(
    fa="آمارگیری نیروی کار ۱۴۰۵ استان سمنان (داده‌های نمایشی)",
    en="Labour Force Survey 1405, Semnan Province (demo data)",
)
# Persons counted by the census: the measure of every census population table.
POPULATION = Measure(
    id="POP",
    label=Text(fa="جمعیت", en="Population"),
    unit_id="PERSONS",
    unit=Text(fa="نفر", en="persons"),
)
CONTACT = Contact(
    name=Text(fa="معاونت آمار و اطلاعات استان سمنان", en="Semnan Province Statistics Office"),
    email="amar@example.ir",
)


def _codebook(world: Path) -> Mapping[str, Any]:
    variables: Mapping[str, Any] = json.loads(
        (world / "codebook.json").read_text(encoding="utf-8")
    )["variables"]
    return variables


def _total_code(label_fa: str, label_en: str) -> Code:
    return Code(id=TOTAL, label=Text(fa=label_fa, en=label_en))


def _coded_dimension(
    codebook: Mapping[str, Any],
    variable: str,
    *,
    dimension_id: str,
    total: tuple[str, str],
    role: Role = Role.OTHER,
) -> Dimension:
    """A dimension from a codebook variable, with the total first as parent of all."""
    entry = codebook[variable]
    codes = [_total_code(*total)]
    codes += [
        Code(id=code, label=Text(fa=label["fa"], en=label["en"]), parent=TOTAL)
        for code, label in entry["codes"].items()
    ]
    return Dimension(
        id=dimension_id,
        label=Text(fa=entry["label"]["fa"], en=entry["label"]["en"]),
        codes=tuple(codes),
        role=role,
    )


def _time_dimension() -> Dimension:
    return Dimension(
        id="TIME_PERIOD",
        label=Text(fa="سال", en="Year"),
        codes=(Code(id=REFERENCE_YEAR, label=Text(fa="۱۴۰۵", en="1405")),),
        role=Role.TIME,
    )


def _county_dimension(codebook: Mapping[str, Any]) -> Dimension:
    return _coded_dimension(
        codebook,
        "county",
        dimension_id="COUNTY",
        total=("استان سمنان", "Semnan Province"),
        role=Role.GEO,
    )


def _sex_dimension(codebook: Mapping[str, Any]) -> Dimension:
    return _coded_dimension(codebook, "sex", dimension_id="SEX", total=("کل", "Total"))


def _age_band_code(low: int, high: int | None) -> Code:
    if high is None:
        return Code(
            id=f"Y_GE{low}",
            label=Text(fa=f"{low} ساله و بیشتر", en=f"{low} years and over"),
            parent=TOTAL,
        )
    return Code(
        id=f"Y{low}T{high}",
        label=Text(fa=f"{low} تا {high} ساله", en=f"{low}–{high} years"),
        parent=TOTAL,
    )


def _margin_code(row: Mapping[str, Any], column: str) -> str:
    """The row's code for ``column``: the total where the row sums over it."""
    return TOTAL if column in row["margin"].split(",") else str(row[column])


def population_by_county_sex_age(world: Path) -> Cube:
    """Census population by county × sex × five-year age group (persons), all margins."""
    codebook = _codebook(world)
    persons = pq.read_table(world / "census_persons.parquet", columns=["county", "sex", "age"])
    ages = persons["age"].to_numpy()
    band = np.minimum(ages // 5, len(AGE_BANDS) - 1)
    band_codes = np.array([_age_band_code(*bounds).id for bounds in AGE_BANDS])
    table = pa.table(
        {
            "county": persons["county"],
            "sex": persons["sex"],
            "age_band": pa.array(band_codes[band]),
        }
    )
    counts = cross_tabulate(table, ["county", "sex", "age_band"])
    observations: dict[ObservationKey, Observation] = {}
    for row in counts.table.to_pylist():
        key = (
            _margin_code(row, "county"),
            _margin_code(row, "sex"),
            _margin_code(row, "age_band"),
            REFERENCE_YEAR,
        )
        observations[key] = Observation(value=float(row["count"]))
    age = Dimension(
        id="AGE",
        label=Text(fa="گروه سنی", en="Age group"),
        codes=(_total_code("همهٔ سنین", "All ages"), *(_age_band_code(*b) for b in AGE_BANDS)),
    )
    return Cube(
        id="POP_CENSUS",
        version="1.0",
        title=Text(
            fa="جمعیت بر حسب شهرستان، جنس و گروه سنی",
            en="Population by county, sex and age group",
        ),
        description=Text(
            fa="شمار افراد ساکن در خانوارهای معمولی، بر پایهٔ سرشماری.",
            en="Persons usually resident in households, from the census.",
        ),
        dimensions=(_county_dimension(codebook), _sex_dimension(codebook), age, _time_dimension()),
        measures=(POPULATION,),
        observations=observations,
        source=SOURCE_CENSUS,
        contact=CONTACT,
        updated=_updated(world),
    )


def households_by_size(world: Path) -> Cube:
    """Census households by county × urban/rural × household size (households)."""
    codebook = _codebook(world)
    households = pq.read_table(
        world / "census_households.parquet", columns=["county", "area", "size"]
    )
    size = households["size"].to_numpy()
    size_codes = np.array(HOUSEHOLD_SIZES)[np.minimum(size, 8) - 1]
    table = pa.table(
        {"county": households["county"], "area": households["area"], "size": pa.array(size_codes)}
    )
    counts = cross_tabulate(table, ["county", "area", "size"])
    observations: dict[ObservationKey, Observation] = {
        (
            _margin_code(row, "county"),
            _margin_code(row, "area"),
            _margin_code(row, "size"),
            REFERENCE_YEAR,
        ): Observation(value=float(row["count"]))
        for row in counts.table.to_pylist()
    }
    sizes = Dimension(
        id="HH_SIZE",
        label=Text(fa="بُعد خانوار", en="Household size"),
        codes=(
            _total_code("همهٔ خانوارها", "All households"),
            *(
                Code(id=code, label=Text(fa=f"{code} نفر", en=f"{code} persons"), parent=TOTAL)
                for code in HOUSEHOLD_SIZES[:-1]
            ),
            Code(id="8P", label=Text(fa="۸ نفر و بیشتر", en="8 persons or more"), parent=TOTAL),
        ),
    )
    area = _coded_dimension(
        codebook, "area", dimension_id="AREA", total=("شهری و روستایی", "Urban and rural")
    )
    return Cube(
        id="HH_SIZE_CENSUS",
        version="1.0",
        title=Text(
            fa="خانوارها بر حسب بُعد خانوار، شهرستان و نقطهٔ شهری و روستایی",
            en="Households by size, county and urban/rural area",
        ),
        dimensions=(_county_dimension(codebook), area, sizes, _time_dimension()),
        measures=(
            Measure(
                id="HH",
                label=Text(fa="خانوار", en="Households"),
                unit_id="HOUSEHOLDS",
                unit=Text(fa="خانوار", en="households"),
            ),
        ),
        observations=observations,
        source=SOURCE_CENSUS,
        contact=CONTACT,
        updated=_updated(world),
    )


def literacy_by_county_sex(world: Path) -> Cube:
    """Census literacy rate of persons aged 6 and over by county × sex (percent)."""
    codebook = _codebook(world)
    persons = pq.read_table(
        world / "census_persons.parquet", columns=["county", "sex", "literacy", "age"]
    )
    persons = persons.filter(pc.greater_equal(persons["age"], 6))
    counts = cross_tabulate(persons, ["county", "sex", "literacy"])
    totals: dict[tuple[str, str], int] = {}
    literate: dict[tuple[str, str], int] = {}
    for row in counts.table.to_pylist():
        key = (_margin_code(row, "county"), _margin_code(row, "sex"))
        if "literacy" in row["margin"].split(","):
            totals[key] = row["count"]
        elif row["literacy"] == 1:
            literate[key] = row["count"]
    observations: dict[ObservationKey, Observation] = {
        (county, sex, REFERENCE_YEAR): Observation(
            value=100 * literate.get((county, sex), 0) / total
        )
        for (county, sex), total in totals.items()
        if total
    }
    return Cube(
        id="LIT_CENSUS",
        version="1.0",
        title=Text(
            fa="نرخ باسوادی جمعیت ۶ ساله و بیشتر بر حسب شهرستان و جنس",
            en="Literacy rate of the population aged 6 and over by county and sex",
        ),
        dimensions=(_county_dimension(codebook), _sex_dimension(codebook), _time_dimension()),
        measures=(
            Measure(
                id="LIT_RATE",
                label=Text(fa="نرخ باسوادی", en="Literacy rate"),
                unit_id="PC",
                unit=Text(fa="درصد", en="percent"),
                decimals=1,
            ),
        ),
        observations=observations,
        source=SOURCE_CENSUS,
        contact=CONTACT,
        updated=_updated(world),
    )


# (code, Persian label, English label, numerator, denominator): ILO definitions for the
# population aged 15 and over, as the Iranian LFS publishes them.
LABOUR_INDICATORS = (
    ("ACT_RATE", "نرخ مشارکت اقتصادی", "Activity rate", "labour_force", "aged15"),
    ("EMP_RATE", "نسبت اشتغال", "Employment rate", "employed", "aged15"),
    ("UNEMP_RATE", "نرخ بیکاری", "Unemployment rate", "unemployed", "labour_force"),
)


def labour_force_indicators(
    world: Path, *, grade_of: Callable[[float], QualityGrade] = grade
) -> Cube:
    """Activity, employment and unemployment rates (percent) by county × sex, with precision.

    Each cell carries its standard error, 95% confidence interval and CV from the
    survey's stratified two-stage design (Taylor linearisation, with-replacement
    approximation at the first stage), and the quality grade of its CV; a cell too
    unreliable to publish is flagged and left without a value.
    """
    codebook = _codebook(world)
    persons = pq.read_table(
        world / "lfs_persons.parquet",
        columns=["psu", "stratum", "weight", "county", "sex", "age", "activity"],
    )
    activity = pc.fill_null(persons["activity"], 0)
    aged15 = pc.greater_equal(persons["age"], 15)
    indicators = {
        "aged15": aged15,
        "employed": pc.equal(activity, 1),
        "unemployed": pc.equal(activity, 2),
        "labour_force": pc.or_(pc.equal(activity, 1), pc.equal(activity, 2)),
    }
    for name, flags in indicators.items():
        persons = persons.append_column(name, pc.cast(flags, pa.float64()))
    # A stratum with a single responding PSU (possible in a small world) is centred at
    # the grand mean, as R's survey.lonely.psu = "adjust" does.
    design = Design(persons, ids="psu", strata="stratum", weights="weight", lonely_psu="adjust")
    observations: dict[ObservationKey, Observation] = {}
    for code, _fa, _en, numerator, denominator in LABOUR_INDICATORS:
        for by in ((), ("county",), ("sex",), ("county", "sex")):
            estimates = design.ratio(numerator, denominator, by=list(by) or None)
            _put_rates(observations, estimates, code, by, grade_of)
    indicator = Dimension(
        id="INDICATOR",
        label=Text(fa="شاخص", en="Indicator"),
        codes=tuple(
            Code(id=code, label=Text(fa=fa, en=en)) for code, fa, en, *_ in LABOUR_INDICATORS
        ),
        role=Role.METRIC,
    )
    return Cube(
        id="LFS_RATES",
        version="1.0",
        title=Text(
            fa="شاخص‌های نیروی کار بر حسب شهرستان و جنس",
            en="Labour force indicators by county and sex",
        ),
        description=Text(
            fa=(
                "نرخ مشارکت اقتصادی، نسبت اشتغال و نرخ بیکاری جمعیت ۱۵ ساله و بیشتر،"
                " با خطای معیار و بازهٔ اطمینان ۹۵ درصد."
            ),
            en=(
                "Activity rate, employment rate and unemployment rate of the population aged"
                " 15 and over, with standard errors and 95% confidence intervals."
            ),
        ),
        notes=(
            Text(
                fa=(
                    "برآوردها از نمونه‌اند: هر خانه خطای معیار، بازهٔ اطمینان"
                    " و ضریب تغییرات خود را دارد."
                ),
                en=(
                    "Estimates come from a sample: each cell carries its standard error,"
                    " confidence interval and coefficient of variation."
                ),
            ),
        ),
        dimensions=(
            _county_dimension(codebook),
            _sex_dimension(codebook),
            indicator,
            _time_dimension(),
        ),
        measures=tuple(
            Measure(
                id=code,
                label=Text(fa=fa, en=en),
                unit_id="PC",
                unit=Text(fa="درصد", en="percent"),
                decimals=1,
            )
            for code, fa, en, *_ in LABOUR_INDICATORS
        ),
        observations=observations,
        source=SOURCE_LFS,
        contact=CONTACT,
        updated=_updated(world),
    )


def _put_rates(
    observations: dict[ObservationKey, Observation],
    estimates: Estimates,
    indicator: str,
    by: Sequence[str],
    grade_of: Callable[[float], QualityGrade],
) -> None:
    for estimate in estimates:
        domain = dict(estimate.domain or {})
        county = str(domain["county"]) if "county" in by else TOTAL
        sex = str(domain["sex"]) if "sex" in by else TOTAL
        quality = grade_of(estimate.cv)
        key = (county, sex, indicator, REFERENCE_YEAR)
        if quality.publishable:
            observations[key] = Observation(
                value=100 * estimate.estimate,
                se=100 * estimate.se,
                ci_lower=100 * estimate.ci_lower,
                ci_upper=100 * estimate.ci_upper,
                cv=estimate.cv,
                quality=quality.code,
            )
        else:
            # An undefined CV (no sample, or a zero estimate) is not a number to publish.
            cv = estimate.cv if math.isfinite(estimate.cv) else None
            observations[key] = Observation(
                value=None, status=Flag.UNRELIABLE, cv=cv, quality=quality.code
            )


def _updated(world: Path) -> datetime:
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(manifest["built_at"]).astimezone(UTC)


DEMO_TABLES: Mapping[str, Callable[[Path], Cube]] = {
    "POP_CENSUS": population_by_county_sex_age,
    "HH_SIZE_CENSUS": households_by_size,
    "LFS_RATES": labour_force_indicators,
    "LIT_CENSUS": literacy_by_county_sex,
}
