"""A PxWeb-API-v2-style table API at ``/api/v2`` (what ``pxwebpy`` and R ``pxweb`` call).

Errors are RFC 7807 problem documents with a clear text; a selection over the cell
limit is refused before any work is done.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from amargah.formats.cube import Cube, Lang, Text
from amargah.formats.px import write_px
from amargah.formats.pxweb import (
    CONTENTS_CODE,
    pxweb_config,
    pxweb_data,
    pxweb_table,
    pxweb_tables,
    with_contents,
)
from amargah.formats.query import pxweb_selection
from amargah.formats.tabular import write_csv, write_xlsx
from amargah.portal import selectors
from amargah.portal.downloads import XLSX
from amargah.portal.explorer import max_cells
from amargah.portal.models import StatTable
from amargah.portal.rendered import rendered
from amargah.portal.throttle import (
    RETRY_AFTER_SECONDS,
    api_rate,
    calls_per_window,
    over_limit,
)

VALUE_CODES = re.compile(r"^valueCodes\[(?P<variable>[^\]]+)\]$")


class Problem(Exception):
    """An error answered as ``application/problem+json``."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


def _problem(error: Problem, request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "type": "about:blank",
            "title": error.title,
            "status": error.status,
            "detail": error.detail,
            "instance": request.path,
        },
        status=error.status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )


def _api(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: str, **kwargs: str) -> HttpResponse:
        try:
            if over_limit(request):
                raise Problem(
                    429,
                    "Too many requests",
                    f"At most {api_rate()} requests per address; try again in a minute.",
                )
            return view(request, *args, **kwargs)
        except Problem as error:
            response = _problem(error, request)
            if error.status == 429:
                response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _lang(request: HttpRequest) -> Lang:
    lang = request.GET.get("lang", "fa")
    if lang not in ("fa", "en"):
        raise Problem(400, "Unsupported language", f"lang={lang!r}: use fa or en.")
    return "fa" if lang == "fa" else "en"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/api/v2/")


def _json(body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _release(table_id: str) -> tuple[str, Cube]:
    """The checksum and cube of the table's latest published release."""
    release = selectors.latest_release_of(table_id)
    if release is None:
        raise Problem(404, "Table not found", f"There is no published table {table_id!r}.")
    return release.cube_sha256, selectors.release_cube(release)


def _cube(table_id: str) -> Cube:
    return _release(table_id)[1]


def _table_entry(cube: Cube, table: StatTable, *, lang: Lang, base_url: str) -> dict[str, Any]:
    subject = re.sub(r"[^A-Z0-9]", "", table.subject_en.upper()) or "STAT"
    return pxweb_table(
        cube,
        lang=lang,
        base_url=base_url,
        subject_code=subject,
        paths=[[(subject, Text(fa=table.subject_fa, en=table.subject_en))]],
    )


@require_GET
@_api
def config(request: HttpRequest) -> JsonResponse:
    """The API's limits and formats; pxwebpy reads it first."""
    return _json(
        pxweb_config(
            app_version=getattr(settings, "AMARGAH_VERSION", "0.1.0"),
            max_data_cells=max_cells(),
            max_calls_per_time_window=calls_per_window(window_seconds=10),
            time_window=10,
        )
    )


@require_GET
@_api
def tables(request: HttpRequest) -> JsonResponse:
    """Published tables, searchable with ``query=``, one page at a time."""
    lang = _lang(request)
    try:
        page_number = max(1, int(request.GET.get("pageNumber", "1")))
        page_size = min(1000, max(1, int(request.GET.get("pageSize", "20"))))
    except ValueError:
        raise Problem(400, "Bad paging", "pageNumber and pageSize must be whole numbers.") from None
    query = request.GET.get("query", "").strip()
    found = selectors.search(query).tables if query else list(selectors.published_tables())
    base_url = _base_url(request)
    start = (page_number - 1) * page_size
    entries = [
        _table_entry(
            selectors.release_cube(selectors.table_release(table)),
            table,
            lang=lang,
            base_url=base_url,
        )
        for table in found[start : start + page_size]
    ]
    return _json(
        pxweb_tables(
            entries,
            lang=lang,
            base_url=base_url,
            page_number=page_number,
            page_size=page_size,
            total_elements=len(found),
        )
    )


@require_GET
@_api
def table(request: HttpRequest, table_id: str) -> JsonResponse:
    """One table's description."""
    cube = _cube(table_id)
    stored = selectors.table_by_code(table_id)
    return _json(_table_entry(cube, stored, lang=_lang(request), base_url=_base_url(request)))


@require_GET
@_api
def metadata(request: HttpRequest, table_id: str) -> JsonResponse:
    """The table's variables and values as JSON-stat 2.0 without values."""
    cube = _cube(table_id)
    return _json(pxweb_data(cube, lang=_lang(request), base_url=_base_url(request), values=False))


def _selection_from_get(request: HttpRequest) -> dict[str, list[str]]:
    selection: dict[str, list[str]] = {}
    for name in request.GET:
        match = VALUE_CODES.match(name)
        if match:
            codes = [c for value in request.GET.getlist(name) for c in value.split(",") if c]
            selection[match["variable"]] = codes
    return selection


def _selection_from_body(request: HttpRequest) -> tuple[dict[str, list[str]], str | None]:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Problem(400, "Malformed request body", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Problem(400, "Malformed request body", "The body must be a JSON object.")
    selection: dict[str, list[str]] = {}
    for index, item in enumerate(body.get("selection") or []):
        if not isinstance(item, dict) or "variableCode" not in item:
            raise Problem(400, "Malformed selection", f"selection[{index}] needs a variableCode.")
        codes = item.get("valueCodes") or []
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise Problem(
                400,
                "Malformed selection",
                f"selection[{index}].valueCodes must be a list of codes.",
            )
        selection[str(item["variableCode"])] = codes
    output = body.get("outputFormat")
    return selection, output if isinstance(output, str) else None


def _apply(cube: Cube, value_codes: dict[str, list[str]]) -> Cube:
    """The cube restricted by PxWeb value codes (lists, ``*``, ``top(n)``, ranges …)."""
    try:
        selection = pxweb_selection(cube, value_codes, contents_code=CONTENTS_CODE)
    except (KeyError, ValueError) as error:
        raise Problem(400, "Bad selection", str(error).strip("'\"")) from None
    cells = 1
    for dimension in cube.dimensions:
        cells *= len(selection.get(dimension.id, dimension.code_ids))
    if cells > max_cells():
        raise Problem(
            403,
            "Too many cells",
            f"The selection has {cells} cells; at most {max_cells()} can be fetched at once.",
        )
    return cube.select(selection) if selection else cube


OUTPUTS: dict[str, tuple[str, Callable[[Cube, Lang, str], bytes]]] = {
    "json-stat2": (
        "application/json; charset=UTF-8",
        lambda cube, lang, base: json.dumps(
            pxweb_data(cube, lang=lang, base_url=base), ensure_ascii=False
        ).encode("utf-8"),
    ),
    "csv": (
        "text/csv; charset=UTF-8",
        lambda cube, lang, base: write_csv(cube, lang=lang).encode("utf-8"),
    ),
    "xlsx": (XLSX, lambda cube, lang, base: write_xlsx(cube, lang=lang)),
    "px": (
        "application/octet-stream; charset=UTF-8",
        lambda cube, lang, base: write_px(cube, lang=lang),
    ),
}


@csrf_exempt  # a public, read-only API: POST carries a selection, not a change
@require_http_methods(["GET", "POST"])
@_api
def data(request: HttpRequest, table_id: str) -> HttpResponse:
    """The table or the selection the request names, in ``outputFormat`` (default JSON-stat)."""
    lang = _lang(request)
    if request.method == "POST":
        selection, body_format = _selection_from_body(request)
    else:
        selection, body_format = _selection_from_get(request), None
    output = request.GET.get("outputFormat") or body_format or "json-stat2"
    if output not in OUTPUTS:
        raise Problem(
            400,
            "Unsupported output format",
            f"outputFormat={output!r}: use one of {', '.join(OUTPUTS)}.",
        )
    checksum, cube = _release(table_id)
    selected = with_contents(_apply(cube, selection))
    media_type, render = OUTPUTS[output]
    base_url = _base_url(request)
    key = ("pxweb", checksum, repr(sorted(selection.items())), output, lang, base_url)
    document = rendered(key, lambda: render(selected, lang, base_url))
    response = HttpResponse(document, content_type=media_type)
    if output in ("xlsx", "px", "csv"):
        extension = "xlsx" if output == "xlsx" else output
        response["Content-Disposition"] = f'attachment; filename="{table_id}.{extension}"'
    return response
