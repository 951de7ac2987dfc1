"""PxWeb API v2 response bodies (PxTools ``PxAPI-2.yml``; shapes as PxWebApi and SSB
send them, which is what pxwebpy and R ``pxweb`` read).

Plain ``dict`` builders; the portal's views add the HTTP around them. A cube without a
metric dimension gets a one-category ``ContentsCode`` dimension here, placed before
time, as every PxWeb table has one (PxWeb clients select it by that id); its only
category is the measure, with the unit. Per dimension the JSON-stat ``extension``
carries ``elimination`` (true when one code is the parent of all others, which is then
the ``eliminationValueCode``), ``show`` (``code`` for time, ``value`` otherwise: pxwebpy
refuses anything but ``value``, ``code`` and ``code_value``) and ``codeLists`` (so
spelled: PxWebApi and pxwebpy use it, not the YAML's ``codelists``). Category indices are
objects (``{"S20": 0, ...}``): pxwebpy 0.6 fails on the array form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from amargah.formats._common import (
    check_absolute_url,
    check_lang,
    check_unique_code_labels,
    iso_timestamp,
)
from amargah.formats.cube import Code, Cube, Dimension, Lang, Role, Text
from amargah.formats.jsonstat import jsonstat_dataset

API_VERSION = "2.0.0"
CONTENTS_CODE = "ContentsCode"
CONTENTS_LABEL = Text("محتوا", "contents")
DATA_FORMATS = ("json-stat2", "csv", "xlsx", "px")
LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}


def pxweb_config(
    *,
    app_version: str,
    default_language: Lang = "fa",
    max_data_cells: int = 100_000,
    max_calls_per_time_window: int = 30,
    time_window: int = 10,
    license_url: str = "https://creativecommons.org/licenses/by/4.0/",
    source_reference: Text | None = None,
    data_formats: Sequence[str] = DATA_FORMATS,
) -> dict[str, Any]:
    """The ``/api/v2/config`` body.

    Parameters
    ----------
    app_version
        Amargah's version.
    default_language
        The language answered when a request names none.
    max_data_cells
        Most cells one data request may select (larger ones get 400 problem+json).
    max_calls_per_time_window, time_window
        The rate limit: calls per window of `time_window` seconds (pxwebpy paces
        itself by these, and refuses to start without them).
    license_url
        The licence of the published data.
    source_reference
        How to cite the office, in both languages.
    data_formats
        ``outputFormat`` values served; the first is the default.
    """
    check_lang(default_language)
    if not data_formats:
        raise ValueError("data_formats is empty: the API serves at least json-stat2")
    config: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "appVersion": app_version,
        "languages": [{"id": lang, "label": name} for lang, name in LANGUAGE_NAMES.items()],
        "defaultLanguage": default_language,
        "maxDataCells": max_data_cells,
        "maxCallsPerTimeWindow": max_calls_per_time_window,
        "timeWindow": time_window,
        "license": license_url,
    }
    if source_reference is not None:
        config["sourceReferences"] = [
            {"language": lang, "text": source_reference.get(lang)} for lang in ("fa", "en")
        ]
    config["defaultDataFormat"] = data_formats[0]
    config["dataFormats"] = list(data_formats)
    config["features"] = []
    return config


def _time_unit(cube: Cube) -> str:
    time = cube.time_dimension
    if time is None:
        return "Other"
    for pattern, unit in (
        (r"[0-9]{4}", "Annual"),
        (r"[0-9]{4}-?Q[1-4]", "Quarterly"),
        (r"[0-9]{4}-?M?(0[1-9]|1[0-2])", "Monthly"),
        (r"[0-9]{4}-?W[0-5][0-9]", "Weekly"),
    ):
        if all(re.fullmatch(pattern, c) for c in time.code_ids):
            return unit
    return "Other"


def _link(rel: str, lang: Lang, href: str) -> dict[str, str]:
    return {"rel": rel, "hreflang": lang, "href": href}


def _table_url(base_url: str, cube: Cube) -> str:
    return f"{base_url.rstrip('/')}/tables/{cube.id}"


def with_contents(cube: Cube) -> Cube:
    """The cube as PxWeb shows it: with a ``ContentsCode`` dimension when it has no metric.

    The new dimension has one category, the measure, and is placed before time (last
    when there is no time); values do not change order, since it has one category.
    """
    if cube.metric_dimension is not None:
        return cube
    if CONTENTS_CODE in cube.dimension_ids:
        raise ValueError(f"cube {cube.id!r} has a dimension called {CONTENTS_CODE!r}")
    measure = cube.measures[0]
    contents = Dimension(
        CONTENTS_CODE, CONTENTS_LABEL, (Code(measure.id, measure.label),), role=Role.METRIC
    )
    time = cube.time_dimension
    at = cube.position(time.id) if time is not None else len(cube.dimensions)
    dims = (*cube.dimensions[:at], contents, *cube.dimensions[at:])
    observations = {(*k[:at], measure.id, *k[at:]): o for k, o in cube.observations.items()}
    return replace(cube, dimensions=dims, observations=observations)


def pxweb_table(
    cube: Cube,
    *,
    lang: Lang,
    base_url: str,
    subject_code: str = "STAT",
    paths: Sequence[Sequence[tuple[str, Text]]] = (),
    sort_code: str | None = None,
    discontinued: bool = False,
) -> dict[str, Any]:
    """One table as ``/api/v2/tables/{id}`` answers it (and, less ``language``, as an
    entry of ``/api/v2/tables``).

    Parameters
    ----------
    cube
        The whole table (not a selection).
    lang
        Language of the labels.
    base_url
        Absolute URL of the API root, e.g. ``https://amar.example.ir/api/v2``.
    subject_code
        The subject the table is filed under.
    paths
        Each path is a sequence of ``(id, label)`` folders from the top of the subject
        tree down to the table.
    sort_code
        Sort key among tables; the cube id by default.
    discontinued
        The table is no longer updated.
    """
    lang = check_lang(lang)
    check_absolute_url("base_url", base_url)
    table = with_contents(cube)
    url = _table_url(base_url, cube)
    time = cube.time_dimension
    entry: dict[str, Any] = {
        "type": "Table",
        "id": cube.id,
        "label": f"{cube.id}: {cube.title.get(lang)}",
        "description": "" if cube.description is None else cube.description.get(lang),
        "sortCode": sort_code or cube.id,
        "updated": None if cube.updated is None else iso_timestamp(cube.updated),
        "firstPeriod": None if time is None else time.code_ids[0],
        "lastPeriod": None if time is None else time.code_ids[-1],
        "category": "public",
        "variableNames": [d.label.get(lang) for d in table.dimensions],
        "discontinued": discontinued,
        "source": "" if cube.source is None else cube.source.get(lang),
        "subjectCode": subject_code,
        "timeUnit": _time_unit(cube),
        "paths": [[{"id": pid, "label": label.get(lang)} for pid, label in path] for path in paths],
        "links": [
            _link("self", lang, f"{url}?lang={lang}"),
            _link("metadata", lang, f"{url}/metadata?lang={lang}"),
            _link("data", lang, f"{url}/data?lang={lang}&outputFormat=json-stat2"),
        ],
        "language": lang,
    }
    return entry


def pxweb_tables(
    tables: Sequence[dict[str, Any]],
    *,
    lang: Lang,
    base_url: str,
    page_number: int,
    page_size: int,
    total_elements: int,
) -> dict[str, Any]:
    """The ``/api/v2/tables`` body: one page of `pxweb_table` entries.

    Parameters
    ----------
    tables
        The entries of this page (``pxweb_table`` results).
    page_number, page_size
        Which page (from 1) and how many entries a page has.
    total_elements
        Number of tables matching the query across all pages (pxwebpy reads it).
    """
    lang = check_lang(lang)
    check_absolute_url("base_url", base_url)
    if page_number < 1 or page_size < 1:
        raise ValueError("page_number and page_size start at 1")
    total_pages = max(1, math.ceil(total_elements / page_size))
    url = f"{base_url.rstrip('/')}/tables?lang={lang}&pageSize={page_size}"
    page_links = []
    if page_number < total_pages:
        page_links.append(_link("next", lang, f"{url}&pageNumber={page_number + 1}"))
    if page_number > 1:
        page_links.append(_link("previous", lang, f"{url}&pageNumber={page_number - 1}"))
    page_links.append(_link("last", lang, f"{url}&pageNumber={total_pages}"))
    return {
        "language": lang,
        "tables": [{k: v for k, v in t.items() if k != "language"} for t in tables],
        "page": {
            "pageNumber": page_number,
            "pageSize": page_size,
            "totalElements": total_elements,
            "totalPages": total_pages,
            "links": page_links,
        },
        "links": [_link("self", lang, f"{url}&pageNumber={page_number}")],
    }


def _elimination(dim: Dimension) -> dict[str, Any]:
    if dim.role in (Role.TIME, Role.METRIC):
        return {"elimination": False}
    roots = [c for c in dim.codes if c.parent is None]
    if len(roots) == 1 and len(dim.codes) > 1:
        return {"elimination": True, "eliminationValueCode": roots[0].id}
    return {"elimination": False}


def pxweb_data(
    cube: Cube,
    *,
    lang: Lang,
    base_url: str,
    subject_code: str = "STAT",
    official: bool = True,
    values: bool = True,
) -> dict[str, Any]:
    """The table (or a selection of it) as PxWeb's JSON-stat 2.0 dataset.

    With ``values=False`` this is the ``/api/v2/tables/{id}/metadata`` body
    (``value: []``, no status), otherwise the ``/data?outputFormat=json-stat2`` body.

    Parameters
    ----------
    cube
        The table, or the selection the request asked for.
    lang, base_url
        As `pxweb_table`.
    subject_code
        As `pxweb_table`.
    official
        The table is official statistics (``extension.px.official-statistics``).
    values
        Include the values and flags.
    """
    lang = check_lang(lang)
    check_absolute_url("base_url", base_url)
    check_unique_code_labels(cube, lang)
    table = with_contents(cube)
    url = _table_url(base_url, cube)
    doc = jsonstat_dataset(
        table,
        lang=lang,
        href=f"{url}/data?lang={lang}&outputFormat=json-stat2",
        values=values,
    )
    metric = table.metric_dimension
    for d in table.dimensions:
        dim = doc["dimension"][d.id]
        if d is metric:
            for m in table.measures:
                # PxWebApi writes the unit text as "base"; "label" is JSON-stat's name for it.
                dim["category"]["unit"][m.id]["base"] = m.unit.get(lang)
        dim["extension"] = {
            **_elimination(d),
            "show": "code" if d.role is Role.TIME else "value",
            "codeLists": [],
        }
    time = table.time_dimension
    heading = [time.id] if time is not None else [table.dimension_ids[-1]]
    extension = doc.setdefault("extension", {})
    extension["px"] = {
        "tableid": cube.id,
        "decimals": max(m.decimals for m in table.measures),
        "official-statistics": official,
        "language": lang,
        "contents": (table.measures[0].label if len(table.measures) == 1 else table.title).get(
            lang
        ),
        "heading": heading,
        "stub": [i for i in table.dimension_ids if i not in heading],
        "matrix": cube.id,
        "subject-code": subject_code,
        "subject-area": cube.title.get(lang),
    }
    if not values:
        doc.pop("status", None)
    return doc
