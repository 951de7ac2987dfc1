"""The table explorer: a selection of codes and a pivot, applied to a published cube.

A selection travels in the query string, so every view of a table is a link that can
be kept and shared: ``?COUNTY=1,2&SEX=_T&rows=COUNTY&cols=SEX``; ``latest=N`` keeps
the newest N periods, so a link made today still shows the newest data next year.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from amargah.core.dates import format_number
from amargah.formats.cube import Code, Cube, Dimension, Flag, Lang, Observation

# Query parameters that are not dimensions.
RESERVED = frozenset({"rows", "cols", "latest", "v", "format", "lang"})


class SelectionError(ValidationError):
    """A selection names something the table does not have, or asks for too much."""


@dataclass(frozen=True)
class Selection:
    """Codes chosen per dimension (every dimension present), the pivot, ``latest``."""

    codes: Mapping[str, tuple[str, ...]]
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    latest: int | None = None

    def query(self) -> str:
        """The selection as a query string: the permanent link of this view."""
        params = QueryDict(mutable=True)
        for dimension, codes in self.codes.items():
            params[dimension] = ",".join(codes)
        params["rows"] = ",".join(self.rows)
        params["cols"] = ",".join(self.cols)
        if self.latest is not None:
            params["latest"] = str(self.latest)
        return params.urlencode(safe=",")


def max_cells() -> int:
    """The largest selection served at once (``PORTAL_MAX_CELLS``)."""
    return int(getattr(settings, "PORTAL_MAX_CELLS", 20_000))


def default_codes(cube: Cube) -> dict[str, tuple[str, ...]]:
    """The whole table, or, when that is over the cell limit, the largest dimensions
    reduced to their first code (the total, in the office's code lists)."""
    codes = {d.id: d.code_ids for d in cube.dimensions}
    while _cells(codes) > max_cells():
        largest = max(codes, key=lambda name: len(codes[name]))
        codes[largest] = codes[largest][:1]
    return codes


def _cells(codes: Mapping[str, Sequence[str]]) -> int:
    cells = 1
    for chosen in codes.values():
        cells *= len(chosen)
    return cells


def parse_selection(cube: Cube, params: Mapping[str, str], *, lang: Lang = "fa") -> Selection:
    """Read a selection from query parameters; defaults to the whole table.

    Raises `SelectionError` naming the unknown dimension or code, or the size of a
    selection over the cell limit.
    """
    known = set(cube.dimension_ids)
    for name in params:
        if name not in RESERVED and name not in known:
            raise SelectionError(
                _("The table has no dimension “%(dimension)s”."),
                code="unknown_dimension",
                params={"dimension": name},
            )
    latest = None
    if params.get("latest"):
        try:
            latest = int(params["latest"])
        except ValueError:
            latest = 0
        if latest < 1:
            raise SelectionError(
                _("“latest” must be a whole number of periods, 1 or more."), code="latest"
            )
    codes: dict[str, tuple[str, ...]] = {}
    defaults = default_codes(cube)
    time = cube.time_dimension
    for dimension in cube.dimensions:
        raw = params.get(dimension.id, "")
        chosen = tuple(code for code in raw.split(",") if code) if raw else defaults[dimension.id]
        for code in chosen:
            if code not in dimension.code_ids:
                raise SelectionError(
                    _("The dimension “%(dimension)s” has no code “%(code)s”."),
                    code="unknown_code",
                    params={"dimension": dimension.label.get(lang), "code": code},
                )
        if time is not None and dimension.id == time.id and latest is not None:
            chosen = tuple(code for code in dimension.code_ids if code in chosen)[-latest:]
        # Keep the code list's order whatever order the link gave.
        codes[dimension.id] = tuple(code for code in dimension.code_ids if code in chosen)
    cells = _cells(codes)
    if cells > max_cells():
        raise SelectionError(
            _("The selection has %(cells)s cells; at most %(limit)s can be shown at once."),
            code="too_many_cells",
            params={"cells": cells, "limit": max_cells()},
        )
    rows, cols = _pivot(cube, codes, params.get("rows", ""), params.get("cols", ""))
    return Selection(codes=codes, rows=rows, cols=cols, latest=latest)


def _pivot(
    cube: Cube, codes: Mapping[str, Sequence[str]], rows_param: str, cols_param: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Rows and columns: as asked, else varying dimensions split between them."""
    asked_rows = [d for d in rows_param.split(",") if d]
    asked_cols = [d for d in cols_param.split(",") if d]
    for name in (*asked_rows, *asked_cols):
        if name not in codes:
            raise SelectionError(
                _("The table has no dimension “%(dimension)s”."),
                code="unknown_dimension",
                params={"dimension": name},
            )
    varying = [d.id for d in cube.dimensions if len(codes[d.id]) > 1]
    placed = set(asked_rows) | set(asked_cols)
    rows = [d for d in asked_rows if d in varying]
    cols = [d for d in asked_cols if d in varying and d not in rows]
    rest = [d for d in varying if d not in placed]
    if not cols and rest and (rows or len(rest) > 1):
        cols.append(rest.pop())
    rows += rest
    return tuple(rows), tuple(cols)


@dataclass(frozen=True)
class Cell:
    """One shown cell: the value as text, with its flag and precision."""

    key: tuple[str, ...]
    observation: Observation | None
    text: str
    flag: Flag | None
    ci_text: str = ""


@dataclass(frozen=True)
class Grid:
    """A pivoted table, ready for a template."""

    title: str
    fixed: list[tuple[Dimension, Code]]
    row_dimensions: list[Dimension]
    column_headers: list[list[tuple[str, int]]]  # per column dimension: (label, span)
    rows: list[tuple[list[str], list[Cell]]] = field(default_factory=list)
    unit: str = ""

    @property
    def flags(self) -> set[Flag]:
        return {cell.flag for _labels, cells in self.rows for cell in cells if cell.flag}


def select(cube: Cube, selection: Selection) -> Cube:
    """The cube restricted to the selection (what downloads and APIs serve)."""
    return cube.select({name: list(codes) for name, codes in selection.codes.items()})


def grid(cube: Cube, selection: Selection, *, lang: Lang) -> Grid:
    """Lay out the selected cells with ``selection.rows`` down and ``selection.cols`` across."""
    dims = {d.id: d for d in cube.dimensions}
    fixed = [
        (dims[name], dims[name].code(codes[0]))
        for name, codes in selection.codes.items()
        if name not in selection.rows and name not in selection.cols
    ]
    row_combos = list(itertools.product(*(selection.codes[d] for d in selection.rows))) or [()]
    col_combos = list(itertools.product(*(selection.codes[d] for d in selection.cols))) or [()]
    headers: list[list[tuple[str, int]]] = []
    for level, name in enumerate(selection.cols):
        span = 1
        for later in selection.cols[level + 1 :]:
            span *= len(selection.codes[later])
        repeat = len(col_combos) // (span * len(selection.codes[name]))
        labels = [dims[name].code(code).label.get(lang) for code in selection.codes[name]]
        headers.append([(label, span) for _ in range(repeat) for label in labels])
    rows = []
    fixed_codes = {dimension.id: code.id for dimension, code in fixed}
    for row in row_combos:
        labels = [
            dims[d].code(code).label.get(lang) for d, code in zip(selection.rows, row, strict=True)
        ]
        cells = []
        for col in col_combos:
            chosen = {
                **fixed_codes,
                **dict(zip(selection.rows, row, strict=True)),
                **dict(zip(selection.cols, col, strict=True)),
            }
            key = tuple(chosen[d.id] for d in cube.dimensions)
            cells.append(_cell(cube, key, lang))
        rows.append((labels, cells))
    measures = {cube.measure_of(cell.key).unit.get(lang) for _l, cs in rows for cell in cs}
    return Grid(
        title=cube.title.get(lang),
        fixed=fixed,
        row_dimensions=[dims[d] for d in selection.rows],
        column_headers=headers,
        rows=rows,
        unit="، ".join(sorted(measures)) if lang == "fa" else ", ".join(sorted(measures)),
    )


def _cell(cube: Cube, key: tuple[str, ...], lang: Lang) -> Cell:
    observation = cube.get(key)
    if observation is None:
        return Cell(key=key, observation=None, text="", flag=None)
    if observation.value is None:
        return Cell(key=key, observation=observation, text="..", flag=observation.status)
    decimals = cube.measure_of(key).decimals
    text = format_number(observation.value, lang, decimals=decimals)
    ci_text = ""
    if observation.ci_lower is not None and observation.ci_upper is not None:
        low = format_number(observation.ci_lower, lang, decimals=decimals)
        high = format_number(observation.ci_upper, lang, decimals=decimals)
        ci_text = f"{low} – {high}"
    return Cell(
        key=key, observation=observation, text=text, flag=observation.status, ci_text=ci_text
    )


def chart_spec(cube: Cube, selection: Selection, *, lang: Lang) -> dict[str, object] | None:
    """A Vega-Lite bar chart of the selection (with 95% intervals when the cells have them).

    Bars go along the row dimensions, one colour per combination of column dimensions;
    ``None`` when nothing varies or nothing has a value.
    """
    if not selection.rows and not selection.cols:
        return None
    dims = {d.id: d for d in cube.dimensions}

    def labels(names: Sequence[str], codes: Sequence[str]) -> str:
        return " · ".join(
            dims[n].code(c).label.get(lang) for n, c in zip(names, codes, strict=True)
        )

    base = {name: codes[0] for name, codes in selection.codes.items()}
    values: list[dict[str, object]] = []
    for row in itertools.product(*(selection.codes[d] for d in selection.rows)):
        for col in itertools.product(*(selection.codes[d] for d in selection.cols)):
            chosen = {**base, **dict(zip(selection.rows, row, strict=True))}
            chosen.update(zip(selection.cols, col, strict=True))
            observation = cube.get(tuple(chosen[d.id] for d in cube.dimensions))
            if observation is None or observation.value is None:
                continue
            item: dict[str, object] = {
                "category": labels(selection.rows, row) or cube.title.get(lang),
                "series": labels(selection.cols, col),
                "value": round(observation.value, 6),
            }
            if observation.ci_lower is not None and observation.ci_upper is not None:
                item["low"] = round(observation.ci_lower, 6)
                item["high"] = round(observation.ci_upper, 6)
            values.append(item)
    if not values:
        return None
    unit = ", ".join(sorted({m.unit.get(lang) for m in cube.measures}))
    x_title = " · ".join(dims[d].label.get(lang) for d in selection.rows)
    encoding: dict[str, object] = {
        "x": {"field": "category", "type": "nominal", "sort": None, "title": x_title},
        "y": {"field": "value", "type": "quantitative", "title": unit},
    }
    if selection.cols:
        encoding["color"] = {
            "field": "series",
            "type": "nominal",
            "sort": None,
            "title": " · ".join(dims[d].label.get(lang) for d in selection.cols),
        }
        encoding["xOffset"] = {"field": "series", "sort": None}
    layers: list[dict[str, object]] = [
        {"mark": {"type": "bar", "tooltip": True}, "encoding": encoding}
    ]
    if any("low" in item for item in values):
        interval: dict[str, object] = {
            "x": encoding["x"],
            "y": {"field": "low", "type": "quantitative", "title": unit},
            "y2": {"field": "high"},
        }
        if selection.cols:
            interval["xOffset"] = encoding["xOffset"]
        layers.append({"mark": {"type": "errorbar", "ticks": True}, "encoding": interval})
    # No "$schema": vega-embed is told the mode, and the page must name no outside URL.
    return {
        "data": {"values": values},
        "width": "container",
        "height": 320,
        "layer": layers,
        "config": {"font": "Vazirmatn", "axisX": {"labelAngle": 0, "labelLimit": 120}},
    }
