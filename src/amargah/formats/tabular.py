"""CSV and XLSX downloads: one row per observation, flags in their own column.

Columns: for each dimension its code (``REF_AREA``) and its label in the chosen
language (``REF_AREA_LABEL``), then ``OBS_VALUE`` (with the measure's decimals; empty
when there is no value), ``UNIT``, ``OBS_STATUS`` (the flag letter), ``SE``,
``CI_LOWER``, ``CI_UPPER``, ``CV``, ``QUALITY`` and ``NOTE``. Headers are ids, the same
in both languages, so that scripts need not care which one was downloaded; codes and
labels are separate columns and numbers are numbers (``shared/brief/standards/
dissemination.md`` §6). JSON-stat readers drop ``status``, so this is where a
spreadsheet user sees the flags.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from amargah.formats._common import check_lang, number
from amargah.formats.cube import FLAG_LABELS, Cube, Flag, Lang

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The creation time written when a cube has no ``updated``.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

ATTRIBUTE_COLUMNS = (
    "OBS_VALUE",
    "UNIT",
    "OBS_STATUS",
    "SE",
    "CI_LOWER",
    "CI_UPPER",
    "CV",
    "QUALITY",
    "NOTE",
)


def header(cube: Cube) -> list[str]:
    """The column names of the CSV and of the XLSX ``data`` sheet."""
    columns: list[str] = []
    for d in cube.dimensions:
        columns += [d.id, f"{d.id}_LABEL"]
    return columns + list(ATTRIBUTE_COLUMNS)


def _rows(cube: Cube, lang: Lang, *, as_text: bool) -> Iterator[list[Any]]:
    labels = [d.labels(lang) for d in cube.dimensions]
    for key, obs in cube.cells():
        if obs is None:
            continue
        row: list[Any] = []
        for label_of, code in zip(labels, key, strict=True):
            row += [code, label_of[code]]
        value: Any = None
        if obs.value is not None:
            value = cube.format_value(key, obs.value) if as_text else cube.rounded(key, obs.value)
        row += [value, cube.measure_of(key).unit.get(lang), obs.status]
        for attribute in (obs.se, obs.ci_lower, obs.ci_upper, obs.cv):
            row.append(None if attribute is None else (number(attribute) if as_text else attribute))
        row += [obs.quality, None if obs.note is None else obs.note.get(lang)]
        yield [None if v is None else (v.value if isinstance(v, Flag) else v) for v in row]


def write_csv(cube: Cube, *, lang: Lang, delimiter: str = ",") -> str:
    """The cube's observations as CSV text (RFC 4180, ``\\r\\n`` line ends).

    Parameters
    ----------
    cube
        The (selected) table.
    lang
        Language of the label and unit columns.
    delimiter
        ``","`` (default), ``";"`` or ``"\\t"``.

    Notes
    -----
    Encode as ``utf-8-sig`` for Excel (it needs the byte-order mark to read Persian),
    plain ``utf-8`` for everything else.

    Examples
    --------
    >>> from amargah.formats.examples import small_cube
    >>> print(write_csv(small_cube(), lang="en").splitlines()[3])
    S2002,Shahrud,1401,1401,,percent,C,,,,,,
    """
    lang = check_lang(lang)
    if delimiter not in (",", ";", "\t"):
        raise ValueError(f"CSV delimiter {delimiter!r} is not one of ',', ';', tab")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header(cube))
    for row in _rows(cube, lang, as_text=True):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def _cell(
    sheet: Any, value: Any, *, font: Font | None = None, number_format: str | None = None
) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    return cell


def write_xlsx(cube: Cube, *, lang: Lang) -> bytes:
    """The cube as an XLSX workbook: a ``data`` sheet and a ``metadata`` sheet.

    Values are numbers with the measure's decimals as their number format; sheets run
    right to left when `lang` is Persian.
    """
    lang = check_lang(lang)
    # Write-only mode streams rows: twice as fast as the normal mode on large tables.
    wb = Workbook(write_only=True)
    # The workbook's creation time is the table's (openpyxl stamps 'modified' on save).
    moment = (cube.updated or _EPOCH).astimezone(UTC).replace(tzinfo=None)
    wb.properties.created = moment
    wb.properties.title = cube.title.get(lang)
    data = wb.create_sheet("data")
    data.sheet_view.rightToLeft = lang == "fa"
    data.freeze_panes = "A2"
    bold = Font(bold=True)
    data.append([_cell(data, name, font=bold) for name in header(cube)])
    value_column = header(cube).index("OBS_VALUE")
    formats = {m.id: "0" if m.decimals == 0 else "0." + "0" * m.decimals for m in cube.measures}
    keys = (k for k, o in cube.cells() if o is not None)
    for row, key in zip(_rows(cube, lang, as_text=False), keys, strict=True):
        row[value_column] = _cell(
            data, row[value_column], number_format=formats[cube.measure_of(key).id]
        )
        data.append(row)

    meta = wb.create_sheet("metadata")
    meta.sheet_view.rightToLeft = lang == "fa"
    meta.append(["id", cube.id])
    meta.append(["version", cube.version])
    meta.append(["title", cube.title.get(lang)])
    if cube.description is not None:
        meta.append(["description", cube.description.get(lang)])
    for m in cube.measures:
        meta.append(["measure", m.label.get(lang), m.unit.get(lang), m.decimals])
    if cube.source is not None:
        meta.append(["source", cube.source.get(lang)])
    if cube.updated is not None:
        meta.append(["updated", cube.updated.isoformat()])
    if cube.contact is not None:
        meta.append(
            [
                "contact",
                cube.contact.name.get(lang),
                cube.contact.email or "",
                cube.contact.phone or "",
            ]
        )
    for note in cube.notes:
        meta.append(["note", note.get(lang)])
    for flag in Flag:
        meta.append(["flag", flag.value, FLAG_LABELS[flag].get(lang)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
