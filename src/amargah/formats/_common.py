"""Small helpers shared by the writers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from amargah.formats.cube import Cube, Lang


def check_lang(lang: str) -> Lang:
    """`lang` if it is ``"fa"`` or ``"en"``; `ValueError` naming it otherwise."""
    if lang == "fa":
        return "fa"
    if lang == "en":
        return "en"
    raise ValueError(f"unknown language {lang!r}: use 'fa' or 'en'")


def check_absolute_url(name: str, url: str) -> str:
    """`url` if it is absolute (scheme and host); JSON-stat validators refuse relative ones."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL, not {url!r}")
    return url


def check_unique_labels(cube: Cube, lang: Lang) -> None:
    """Refuse two dimensions with the same label in `lang`.

    pyjstat names DataFrame columns by label and pxwebpy keys rows by label: two equal
    labels give duplicate columns and silently merged rows.
    """
    seen: dict[str, str] = {}
    for d in cube.dimensions:
        label = d.label.get(lang)
        if label in seen:
            raise ValueError(
                f"dimensions {seen[label]!r} and {d.id!r} have the same {lang} label "
                f"{label!r}; clients key columns by label, so labels must differ"
            )
        seen[label] = d.id


def dumps(doc: Any) -> bytes:
    """Compact UTF-8 JSON with Persian letters as they are (not ``\\u`` escapes)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def number(value: float) -> str:
    """A float attribute (SE, CI bound, CV) as the shortest text that reads back equal."""
    return repr(float(value))


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (JSON-stat ``updated``, PxWeb ``updated``)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_unique_code_labels(cube: Cube, lang: Lang) -> None:
    """Refuse two codes of one dimension with the same label in `lang`.

    PC-Axis readers (pyaxis) and PxWeb clients showing values (pxwebpy) identify a
    code by its label: two equal labels make the cells indistinguishable.
    """
    for d in cube.dimensions:
        seen: dict[str, str] = {}
        for c in d.codes:
            label = c.label.get(lang)
            if label in seen:
                raise ValueError(
                    f"codes {seen[label]!r} and {c.id!r} of dimension {d.id!r} have the same "
                    f"{lang} label {label!r}; PX and PxWeb clients tell codes apart by label"
                )
            seen[label] = c.id
