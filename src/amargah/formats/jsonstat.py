"""JSON-stat 2.0 datasets and collections (json-stat.org, "JSON-stat 2.0 full spec").

Read by pyjstat (``pyjstat.Dataset.read(text)``, which takes a JSON *string*, not a
dict), by jsonstat-validator and by PxWeb clients. Flags go into ``status`` (one letter
per cell, explained under ``extension.status``); per-cell quality attributes (standard
error, CI bounds, CV, quality grade) go into ``extension.amargah`` as sparse objects keyed
like ``status``, since JSON-stat has no place for them and pyjstat drops what it does not
know without failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from amargah.formats._common import (
    check_absolute_url,
    check_lang,
    check_unique_labels,
    dumps,
    iso_timestamp,
)
from amargah.formats.cube import FLAG_LABELS, Cube, Dimension, Flag, Lang, Role

JSONSTAT_MEDIA_TYPE = "application/json"  # what PxWebApi and Eurostat send for JSON-stat

# Per-cell attributes carried under extension.amargah, in this order.
CELL_ATTRIBUTES = ("se", "ci_lower", "ci_upper", "cv", "quality")


def _dimension(cube: Cube, dim: Dimension, lang: Lang) -> dict[str, Any]:
    category: dict[str, Any] = {
        # Object form {code: position}: the spec allows an array too, but pxwebpy 0.6
        # looks positions up by code (index[code]) and fails on an array.
        "index": {code: i for i, code in enumerate(dim.code_ids)},
        "label": {c.id: c.label.get(lang) for c in dim.codes},
    }
    children = dim.children()
    if children:
        category["child"] = children
    if dim.role is Role.METRIC:
        category["unit"] = {
            m.id: {"label": m.unit.get(lang), "decimals": m.decimals} for m in cube.measures
        }
    return {"label": dim.label.get(lang), "category": category}


def jsonstat_dataset(
    cube: Cube,
    *,
    lang: Lang,
    href: str | None = None,
    values: bool = True,
) -> dict[str, Any]:
    """The cube as a JSON-stat 2.0 dataset (a ``dict`` ready for ``json.dumps``).

    Parameters
    ----------
    cube
        The table.
    lang
        ``"fa"`` or ``"en"``: the language of every label.
    href
        Absolute URL of this document (validators refuse relative ones), or ``None``.
    values
        ``False`` gives the metadata-only form PxWeb's ``/metadata`` answers with
        (``value: []``, no ``status``).

    Returns
    -------
    dict
        Values dense in row-major order (last dimension fastest), ``null`` where a cell
        has no value, rounded to the measure's decimals.

    Raises
    ------
    ValueError
        On an unknown language, a relative `href` or two dimensions with one label.
    """
    lang = check_lang(lang)
    check_unique_labels(cube, lang)
    doc: dict[str, Any] = {"version": "2.0", "class": "dataset"}
    if href is not None:
        doc["href"] = check_absolute_url("href", href)
    doc["label"] = cube.title.get(lang)
    if cube.source is not None:
        doc["source"] = cube.source.get(lang)
    if cube.updated is not None:
        doc["updated"] = iso_timestamp(cube.updated)
    if cube.notes:
        doc["note"] = [n.get(lang) for n in cube.notes]
    role: dict[str, list[str]] = {}
    for d in cube.dimensions:
        if d.role is not Role.OTHER:
            role.setdefault(d.role.value, []).append(d.id)
    if role:
        doc["role"] = role
    doc["id"] = list(cube.dimension_ids)
    doc["size"] = list(cube.shape)
    doc["dimension"] = {d.id: _dimension(cube, d, lang) for d in cube.dimensions}

    value: list[float | int | None] = []
    status: dict[str, str] = {}
    attributes: dict[str, dict[str, Any]] = {name: {} for name in CELL_ATTRIBUTES}
    notes: dict[str, str] = {}
    if values:
        for i, (key, obs) in enumerate(cube.cells()):
            if obs is None or obs.value is None:
                value.append(None)
            else:
                value.append(cube.rounded(key, obs.value))
            if obs is None:
                continue
            if obs.status is not None:
                status[str(i)] = obs.status.value
            for name in CELL_ATTRIBUTES:
                if getattr(obs, name) is not None:
                    attributes[name][str(i)] = getattr(obs, name)
            if obs.note is not None:
                notes[str(i)] = obs.note.get(lang)
    doc["value"] = value
    if status:
        doc["status"] = status

    extension: dict[str, Any] = {
        "id": cube.id,
        "version": cube.version,
        "status": {"label": {f.value: FLAG_LABELS[f].get(lang) for f in Flag}},
    }
    if cube.metric_dimension is None:
        # JSON-stat puts units only on a metric dimension; a one-measure cube has none.
        m = cube.measures[0]
        extension["unit"] = {
            "id": m.unit_id,
            "label": m.unit.get(lang),
            "decimals": m.decimals,
            "measure": m.label.get(lang),
        }
    cell = {name: attrs for name, attrs in attributes.items() if attrs}
    if notes:
        cell["note"] = notes
    if cell:
        extension["amargah"] = cell
    if cube.contact is not None:
        contact: dict[str, str] = {"name": cube.contact.name.get(lang)}
        if cube.contact.email:
            contact["mail"] = cube.contact.email
        if cube.contact.phone:
            contact["phone"] = cube.contact.phone
        extension["contact"] = [contact]
    doc["extension"] = extension
    return doc


def write_jsonstat(cube: Cube, *, lang: Lang, href: str | None = None) -> bytes:
    """The cube as a JSON-stat 2.0 dataset document, UTF-8 JSON bytes.

    See `jsonstat_dataset` for the parameters.

    Examples
    --------
    >>> import json
    >>> from amargah.formats.examples import small_cube
    >>> doc = json.loads(write_jsonstat(small_cube(), lang="en"))
    >>> doc["value"], doc["status"]
    ([9.0, 8.7, None, 10.2], {'1': 'P', '2': 'C'})
    """
    return dumps(jsonstat_dataset(cube, lang=lang, href=href))


def jsonstat_collection(
    items: Sequence[tuple[Cube, str]],
    *,
    lang: Lang,
    href: str,
    label: str,
    updated: datetime | None = None,
    embed: bool = False,
) -> dict[str, Any]:
    """A JSON-stat 2.0 collection of datasets.

    Parameters
    ----------
    items
        ``(cube, absolute URL of its JSON-stat dataset)`` pairs, in the order to list them.
    lang
        Language of the labels.
    href
        Absolute URL of the collection itself.
    label
        The collection's title.
    updated
        When the collection last changed (timezone-aware).
    embed
        Also embed each full dataset in its item (the spec allows it; readers that do
        not follow links then have the numbers).
    """
    lang = check_lang(lang)
    doc: dict[str, Any] = {
        "version": "2.0",
        "class": "collection",
        "href": check_absolute_url("href", href),
        "label": label,
    }
    if updated is not None:
        doc["updated"] = iso_timestamp(updated)
    entries: list[dict[str, Any]] = []
    for cube, item_href in items:
        check_absolute_url(f"href of {cube.id!r}", item_href)
        if embed:
            entry = jsonstat_dataset(cube, lang=lang, href=item_href)
        else:
            entry = {"class": "dataset", "href": item_href, "label": cube.title.get(lang)}
            if cube.updated is not None:
                entry["updated"] = iso_timestamp(cube.updated)
        entries.append(entry)
    doc["link"] = {"item": entries}
    return doc
