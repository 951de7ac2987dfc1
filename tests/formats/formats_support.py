"""Cubes that every format test writes and reads back with the real client.

(A module with a name of its own, not conftest: the suite has several conftest modules
and ``from conftest import`` would find whichever was imported first.)

Persian labels, a hierarchy, a suppressed (confidential) cell, a provisional cell, an
unreliable cell, a cell with no observation at all, and SE/CI/CV/quality attributes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from amargah.formats import (
    Code,
    Contact,
    Cube,
    Dimension,
    Flag,
    Measure,
    Observation,
    Role,
    Text,
)

AREA = Dimension(
    "REF_AREA",
    Text("شهرستان", "County"),
    (
        Code("S20", Text("استان سمنان", "Semnan Province")),
        Code("S2001", Text("سمنان", "Semnan"), parent="S20"),
        Code("S2002", Text("شاهرود", "Shahrud"), parent="S20"),
    ),
    role=Role.GEO,
)
SEX = Dimension(
    "SEX",
    Text("جنس", "Sex"),
    (
        Code("T", Text("کل", "Total")),
        Code("M", Text("مرد", "Male")),
        Code("F", Text("زن", "Female")),
    ),
)
YEAR = Dimension(
    "TIME_PERIOD",
    Text("سال", "Year"),
    (
        Code("1400", Text("۱۴۰۰", "1400")),
        Code("1401", Text("۱۴۰۱", "1401")),
        Code("1402", Text("۱۴۰۲", "1402")),
    ),
    role=Role.TIME,
)
UNEMP = Measure(
    "UNEMP_RATE", Text("نرخ بیکاری", "Unemployment rate"), "PC", Text("درصد", "percent"), 1
)
ACT = Measure(
    "ACT_RATE",
    Text("نرخ مشارکت اقتصادی", "Activity rate"),
    "PC",
    Text("درصد", "percent"),
    1,
)
POP = Measure("POP", Text("جمعیت", "Population"), "PERS", Text("نفر", "persons"), 0)

UPDATED = datetime(2026, 3, 20, 6, 30, tzinfo=UTC)
SOURCE = Text("دفتر آمار استان سمنان", "Semnan Province statistics office")
CONTACT = Contact(Text("واحد انتشار", "Dissemination unit"), email="amar@example.ir")

# The cells that the tests look at by name.
SUPPRESSED = ("S2002", "F", "1400")
MISSING = ("S2002", "F", "1401")  # no observation at all
PROVISIONAL_YEAR = "1402"
UNRELIABLE = ("S2002", "M", "1401")


def _rate_observations() -> dict[tuple[str, ...], Observation]:
    observations: dict[tuple[str, ...], Observation] = {}
    for a_i, area in enumerate(AREA.code_ids):
        for s_i, sex in enumerate(SEX.code_ids):
            for y_i, year in enumerate(YEAR.code_ids):
                key = (area, sex, year)
                if key == MISSING:
                    continue
                if key == SUPPRESSED:
                    observations[key] = Observation(None, status=Flag.CONFIDENTIAL)
                    continue
                value = 8.0 + a_i * 1.25 + s_i * 2.5 + y_i * 0.35 + 0.04
                se = 0.3 + 0.05 * (a_i + s_i)
                cv = se / value
                status = None
                quality = "A" if cv < 0.05 else "B"
                if year == PROVISIONAL_YEAR:
                    status = Flag.PROVISIONAL
                if key == UNRELIABLE:
                    status, quality, se = Flag.UNRELIABLE, "C", 4.1
                    cv = se / value
                observations[key] = Observation(
                    value,
                    status=status,
                    se=se,
                    ci_lower=value - 1.96 * se,
                    ci_upper=value + 1.96 * se,
                    cv=cv,
                    quality=quality,
                    note=Text("برآورد با احتیاط", "Use with caution") if quality == "B" else None,
                )
    return observations


def rate_cube() -> Cube:
    """Unemployment rate by county × sex × year: an estimate cube with SE attributes."""
    return Cube(
        id="LFS_UNEMP",
        version="1.0",
        title=Text(
            "نرخ بیکاری بر حسب شهرستان، جنس و سال", "Unemployment rate by county, sex and year"
        ),
        description=Text("برآورد طرح نیروی کار", "Labour force survey estimate"),
        dimensions=(AREA, SEX, YEAR),
        measures=(UNEMP,),
        observations=_rate_observations(),
        notes=(Text("ارقام ۱۴۰۲ موقت است.", "Figures for 1402 are provisional."),),
        source=SOURCE,
        updated=UPDATED,
        contact=CONTACT,
    )


def multi_measure_cube() -> Cube:
    """Activity and unemployment rates: two measures on a metric dimension."""
    contents = Dimension(
        "INDICATOR",
        Text("شاخص", "Indicator"),
        (Code(ACT.id, ACT.label), Code(UNEMP.id, UNEMP.label)),
        role=Role.METRIC,
    )
    observations: dict[tuple[str, ...], Observation] = {}
    for i, area in enumerate(AREA.code_ids):
        for j, year in enumerate(YEAR.code_ids):
            observations[(area, ACT.id, year)] = Observation(40.0 + i + j * 0.5, se=0.8)
            observations[(area, UNEMP.id, year)] = Observation(9.0 + i * 0.7 - j * 0.2, se=0.4)
    return Cube(
        id="LFS_MAIN",
        version="1.0",
        title=Text("شاخص‌های نیروی کار", "Labour force indicators"),
        dimensions=(AREA, contents, YEAR),
        measures=(ACT, UNEMP),
        observations=observations,
        source=SOURCE,
        updated=UPDATED,
    )


def population_cube() -> Cube:
    """Population counts by county and sex (integers, a hierarchy, no time dimension)."""
    values = {"S2001": (95000, 96100), "S2002": (120300, 119900)}
    observations: dict[tuple[str, ...], Observation] = {}
    for area, (m, f) in values.items():
        observations[(area, "M")] = Observation(float(m))
        observations[(area, "F")] = Observation(float(f))
        observations[(area, "T")] = Observation(float(m + f))
    for sex_i, sex in enumerate(("M", "F")):
        total = sum(v[sex_i] for v in values.values())
        observations[("S20", sex)] = Observation(float(total))
    observations[("S20", "T")] = Observation(float(sum(sum(v) for v in values.values())))
    return Cube(
        id="CEN_POP",
        version="1.0",
        title=Text("جمعیت بر حسب شهرستان و جنس", "Population by county and sex"),
        dimensions=(AREA, SEX),
        measures=(POP,),
        observations=observations,
        source=SOURCE,
        updated=UPDATED,
    )
