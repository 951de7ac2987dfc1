"""A small cube for the docstring examples (and for trying the writers out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

from amargah.formats.cube import Code, Cube, Dimension, Flag, Measure, Observation, Role, Text


def small_cube() -> Cube:
    """Unemployment rate in two counties by year; one cell suppressed, one provisional.

    Examples
    --------
    >>> small_cube().shape
    (2, 2)
    """
    county = Dimension(
        "REF_AREA",
        Text("شهرستان", "County"),
        (Code("S2001", Text("سمنان", "Semnan")), Code("S2002", Text("شاهرود", "Shahrud"))),
        role=Role.GEO,
    )
    year = Dimension(
        "TIME_PERIOD",
        Text("سال", "Year"),
        (Code("1401", Text("۱۴۰۱", "1401")), Code("1402", Text("۱۴۰۲", "1402"))),
        role=Role.TIME,
    )
    rate = Measure(
        "UNEMP_RATE", Text("نرخ بیکاری", "Unemployment rate"), "PC", Text("درصد", "percent"), 1
    )
    return Cube(
        id="LFS_UNEMP",
        version="1.0",
        title=Text("نرخ بیکاری", "Unemployment rate"),
        dimensions=(county, year),
        measures=(rate,),
        observations={
            ("S2001", "1401"): Observation(9.04, se=0.41, cv=0.045, quality="A"),
            ("S2001", "1402"): Observation(8.66, status=Flag.PROVISIONAL, se=0.43),
            ("S2002", "1401"): Observation(None, status=Flag.CONFIDENTIAL),
            ("S2002", "1402"): Observation(10.2, se=0.9, cv=0.088, quality="B"),
        },
        updated=datetime(2026, 3, 20, 6, 30, tzinfo=UTC),
    )
