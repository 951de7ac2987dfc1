"""The download formats of a table selection, each rendered by `amargah.formats`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amargah.formats.cube import Cube, Lang
from amargah.formats.jsonstat import write_jsonstat
from amargah.formats.px import write_px
from amargah.formats.sdmx import write_sdmx_json, write_sdmx_structure_specific
from amargah.formats.tabular import write_csv, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class DownloadFormat:
    key: str
    label: Promise
    extension: str
    media_type: str
    render: Callable[[Cube, Lang], bytes]


FORMATS: dict[str, DownloadFormat] = {
    item.key: item
    for item in (
        DownloadFormat(
            "csv",
            _("CSV"),
            "csv",
            "text/csv; charset=utf-8",
            # A byte-order mark lets spreadsheet programs read Persian text as UTF-8.
            lambda cube, lang: ("\ufeff" + write_csv(cube, lang=lang)).encode("utf-8"),
        ),
        DownloadFormat(
            "xlsx", _("Excel (XLSX)"), "xlsx", XLSX, lambda cube, lang: write_xlsx(cube, lang=lang)
        ),
        DownloadFormat(
            "px",
            _("PC-Axis"),
            "px",
            "application/octet-stream; charset=utf-8",
            lambda cube, lang: write_px(cube, lang=lang),
        ),
        DownloadFormat(
            "jsonstat",
            _("JSON-stat 2.0"),
            "json",
            "application/json; charset=utf-8",
            lambda cube, lang: write_jsonstat(cube, lang=lang),
        ),
        DownloadFormat(
            "sdmx",
            _("SDMX-ML 2.1"),
            "xml",
            "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
            lambda cube, lang: write_sdmx_structure_specific(cube),
        ),
        DownloadFormat(
            "sdmx-json",
            _("SDMX-JSON"),
            "json",
            "application/vnd.sdmx.data+json;version=1.0.0",
            lambda cube, lang: write_sdmx_json(cube, lang=lang),
        ),
    )
}
