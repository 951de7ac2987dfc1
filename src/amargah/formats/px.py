"""PC-Axis ``.px`` files (PX file format, 2013 revision, Statistics Sweden).

Written in UTF-8 with ``CODEPAGE="utf-8"`` (the only code page with Persian letters
that readers agree on), in Persian and English in one file (``LANGUAGES``; every
translated keyword follows its default one at once, as PX-Win and pyaxis expect).

Cells: a value with the measure's decimals, or ``".."`` (``DATASYMBOL2``) when there
is none, suppressed cells included: pyaxis turns ``".."`` into NaN by default but leaves
``"..."`` and the other PX symbols as strings in the numeric column, which breaks every
reader that does not pass its own patterns. Flags are ``DATANOTECELL`` symbols shown
next to the cell (``C`` on a suppressed one; estimated, provisional, unreliable),
explained in ``NOTE``. Standard errors have no place in PX and are
not written (JSON-stat, SDMX, CSV and XLSX carry them).

pyaxis quirks handled here (``shared/brief/standards/dissemination.md`` §6): no empty
value text, the text ``DATA=`` never before the data, ``CODES`` and
``VARIABLE-CODE`` always written since pyaxis returns labels, not codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import product

from amargah.formats._common import check_lang, check_unique_code_labels, check_unique_labels
from amargah.formats.cube import FLAG_LABELS, LANGS, Cube, Dimension, Flag, Lang, Role, Text

PX_MEDIA_TYPE = "application/octet-stream; charset=utf-8"  # what PxWebApi sends for px

MISSING_SYMBOL = '".."'


def _q(text: str) -> str:
    """One PX string: quoted, on one line, with no double quote inside (PX has no escape)."""
    clean = " ".join(text.replace('"', "'").split())
    if "DATA=" in clean:
        # pyaxis splits the whole file on the first "DATA=".
        raise ValueError(f"the text {text!r} contains 'DATA=', which PX readers cannot take")
    return f'"{clean}"'


def _qs(texts: list[str]) -> str:
    return ",".join(_q(t) for t in texts)


def _layout(cube: Cube) -> tuple[list[Dimension], list[Dimension]]:
    """(STUB, HEADING): time in the heading, or the last dimension when there is none."""
    time = cube.time_dimension
    if time is not None:
        return [d for d in cube.dimensions if d is not time], [time]
    return list(cube.dimensions[:-1]), [cube.dimensions[-1]]


def _data_keys(cube: Cube, order: list[Dimension]) -> Iterator[tuple[str, ...]]:
    """Cube keys in PX order: STUB outer, HEADING inner, last variable fastest."""
    positions = [cube.position(d.id) for d in order]
    for codes in product(*(d.code_ids for d in order)):
        key = [""] * len(positions)
        for p, c in zip(positions, codes, strict=True):
            key[p] = c
        yield tuple(key)


def write_px(
    cube: Cube,
    *,
    lang: Lang = "fa",
    multilingual: bool = True,
    subject_code: str = "STAT",
    subject_area: Text | None = None,
    created: datetime | None = None,
) -> bytes:
    """The cube as a PC-Axis file (UTF-8 bytes).

    Parameters
    ----------
    cube
        The (selected) table.
    lang
        The file's default language (``LANGUAGE``).
    multilingual
        Also write the other language (``LANGUAGES="fa","en"`` and ``KEYWORD[en]``).
    subject_code, subject_area
        PX ``SUBJECT-CODE`` and ``SUBJECT-AREA`` (default: the cube's title).
    created
        ``CREATION-DATE`` (timezone-aware); the cube's ``updated``, or now, by default.

    Raises
    ------
    ValueError
        On an unknown language, or a text that PX cannot carry.

    Examples
    --------
    >>> from amargah.formats.examples import small_cube
    >>> write_px(small_cube(), lang="en").decode().split("DATA=")[1].split()
    ['9.0', '8.7', '".."', '10.2;']
    """
    lang = check_lang(lang)
    langs: list[Lang] = [lang] + ([o for o in LANGS if o != lang] if multilingual else [])
    for lg in langs:
        check_unique_labels(cube, lg)
        check_unique_code_labels(cube, lg)
    stub, heading = _layout(cube)
    order = stub + heading
    lines: list[str] = []

    def put(keyword: str, value: str) -> None:
        lines.append(f"{keyword}={value};")

    def put_text(keyword: str, text: Text) -> None:
        for i, lg in enumerate(langs):
            put(keyword if i == 0 else f"{keyword}[{lg}]", _q(text.get(lg)))

    def put_per_variable(keyword: str, dim: Dimension, value_of: dict[Lang, str]) -> None:
        # The variable is named by its label in each language; a translated keyword
        # must come right after the default one.
        for i, lg in enumerate(langs):
            suffix = "" if i == 0 else f"[{lg}]"
            put(f"{keyword}{suffix}({_q(dim.label.get(lg))})", value_of[lg])

    moment = created or cube.updated or datetime.now(UTC)
    max_decimals = max(m.decimals for m in cube.measures)
    put("CHARSET", '"ANSI"')  # PX 2013: "ANSI" is the only value; CODEPAGE gives the encoding
    put("AXIS-VERSION", '"2013"')
    put("CODEPAGE", '"utf-8"')
    put("LANGUAGE", _q(lang))
    if multilingual:
        put("LANGUAGES", _qs(list(langs)))
    put("CREATION-DATE", _q(moment.astimezone(UTC).strftime("%Y%m%d %H:%M")))
    put("DECIMALS", str(max_decimals))
    put("SHOWDECIMALS", str(max_decimals))
    put("MATRIX", _q(cube.id))
    put("SUBJECT-CODE", _q(subject_code))
    put_text("SUBJECT-AREA", subject_area or cube.title)
    put_text("DESCRIPTION", cube.title)
    put_text("TITLE", cube.title)
    metric = cube.metric_dimension
    if metric is None:
        put_text("CONTENTS", cube.measures[0].label)
        put_text("UNITS", cube.measures[0].unit)
    else:
        put_text("CONTENTS", cube.title)
        put_text("UNITS", cube.measures[0].unit)
        for i, lg in enumerate(langs):
            suffix = "" if i == 0 else f"[{lg}]"
            put(f"CONTVARIABLE{suffix}", _q(metric.label.get(lg)))
    for keyword, dims in (("STUB", stub), ("HEADING", heading)):
        if dims:
            for i, lg in enumerate(langs):
                suffix = "" if i == 0 else f"[{lg}]"
                put(f"{keyword}{suffix}", _qs([d.label.get(lg) for d in dims]))
    for d in order:
        put_per_variable("VALUES", d, {lg: _qs([c.label.get(lg) for c in d.codes]) for lg in langs})
        if d.role is Role.TIME and all(re.fullmatch(r"[0-9]{4}", c) for c in d.code_ids):
            tlist = "TLIST(A1)," + _qs(list(d.code_ids))
            put_per_variable("TIMEVAL", d, dict.fromkeys(langs, tlist))
    if metric is not None:
        for m in cube.measures:
            for i, lg in enumerate(langs):
                suffix = "" if i == 0 else f"[{lg}]"
                value = _q(metric.code(m.id).label.get(lg))
                put(f"UNITS{suffix}({value})", _q(m.unit.get(lg)))
    for d in order:
        put_per_variable("CODES", d, dict.fromkeys(langs, _qs(list(d.code_ids))))
    for d in order:
        put_per_variable("VARIABLE-CODE", d, dict.fromkeys(langs, _q(d.id)))
    if cube.updated is not None:
        put("LAST-UPDATED", _q(cube.updated.astimezone(UTC).strftime("%Y%m%d %H:%M")))
    if cube.source is not None:
        put_text("SOURCE", cube.source)
    if cube.contact is not None:
        contact = cube.contact
        for i, lg in enumerate(langs):
            suffix = "" if i == 0 else f"[{lg}]"
            parts = [contact.name.get(lg)] + [p for p in (contact.email, contact.phone) if p]
            put(f"CONTACT{suffix}", _q(", ".join(parts)))
    legend = Text(
        fa=" ".join(f"{f.value}: {FLAG_LABELS[f].fa}." for f in Flag),
        en=" ".join(f"{f.value}: {FLAG_LABELS[f].en}." for f in Flag),
    )
    notes = [*cube.notes, legend]
    for i, lg in enumerate(langs):
        suffix = "" if i == 0 else f"[{lg}]"
        put(f"NOTE{suffix}", _qs([n.get(lg) for n in notes]))
    put("DATASYMBOL2", _q(".."))

    labels = {lg: [d.labels(lg) for d in order] for lg in langs}
    positions = [cube.position(d.id) for d in order]
    cells: list[str] = []
    for key in _data_keys(cube, order):
        obs = cube.observations.get(key)
        if obs is None or obs.value is None:
            cells.append(MISSING_SYMBOL)
        else:
            cells.append(cube.format_value(key, obs.value))
        if obs is not None and obs.status is not None:
            for i, lg in enumerate(langs):
                suffix = "" if i == 0 else f"[{lg}]"
                where = _qs([m[key[p]] for m, p in zip(labels[lg], positions, strict=True)])
                put(f"DATANOTECELL{suffix}({where})", _q(obs.status.value))

    # One row of the heading's width per line, as PX writers do.
    width = 1
    for d in heading:
        width *= len(d.codes)
    rows = [" ".join(cells[i : i + width]) for i in range(0, len(cells), width)]
    lines.append("DATA=")
    lines += rows
    lines[-1] += ";"
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
