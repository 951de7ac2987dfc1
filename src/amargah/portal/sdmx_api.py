"""SDMX REST 2.1 at ``/sdmx/rest``: dataflows, structures, code lists and data.

The shapes follow SDMX-REST 1.5 (the 2.1 API) as the ``sdmx1`` client calls it: exact
vendor media types, ``Vary: Accept``, the whole structure in a single dataflow's
``references=all`` answer, and 404 with an SDMX error message when a query matches
nothing. Only published releases are ever served, always the latest version.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from amargah.core.persian import to_persian_digits
from amargah.formats.cube import Cube, Role, Text
from amargah.formats.query import sdmx_key_selection, sdmx_period_selection
from amargah.formats.sdmx import (
    ERROR_MEDIA_TYPE,
    GENERIC_DATA_MEDIA_TYPE,
    JSON_DATA_MEDIA_TYPE,
    STRUCTURE_MEDIA_TYPE,
    STRUCTURE_SPECIFIC_DATA_MEDIA_TYPE,
    ErrorCode,
    codelist_ids,
    conceptscheme_id,
    dataflow_id,
    datastructure_id,
    write_sdmx_codelist,
    write_sdmx_conceptscheme,
    write_sdmx_dataflows,
    write_sdmx_error,
    write_sdmx_generic,
    write_sdmx_json,
    write_sdmx_structure,
    write_sdmx_structure_specific,
)
from amargah.portal import selectors
from amargah.portal.rendered import rendered
from amargah.portal.throttle import RETRY_AFTER_SECONDS, api_rate, over_limit

STATUS = {
    ErrorCode.NO_RESULTS: 404,
    ErrorCode.SYNTAX_ERROR: 400,
    ErrorCode.SEMANTIC_ERROR: 400,
    ErrorCode.NOT_IMPLEMENTED: 501,
}


class SdmxError(Exception):
    """A request that gets an SDMX error message instead of data."""

    def __init__(self, code: ErrorCode, fa: str, en: str, *, status: int | None = None) -> None:
        super().__init__(en)
        self.code = code
        self.text = Text(fa=fa, en=en)
        self.status = status or STATUS.get(code, 500)


def _error_response(error: SdmxError) -> HttpResponse:
    return HttpResponse(
        write_sdmx_error(error.code, error.text), status=error.status, content_type=ERROR_MEDIA_TYPE
    )


def _sdmx_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: str, **kwargs: str) -> HttpResponse:
        try:
            if over_limit(request):
                raise SdmxError(
                    ErrorCode.INTERNAL_SERVER_ERROR,
                    f"درخواست‌ها بیش از حد مجاز ({api_rate()}) است؛ یک دقیقهٔ دیگر دوباره بکوشید.",
                    f"Too many requests: at most {api_rate()} per address; retry in a minute.",
                    status=429,
                )
            response = view(request, *args, **kwargs)
        except SdmxError as error:
            response = _error_response(error)
            if error.status == 429:
                response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        patch_vary_headers(response, ["Accept"])
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


def published_cubes() -> list[Cube]:
    """The latest published cube of every table."""
    return [selectors.release_cube(release) for release in selectors.latest_releases()]


def _check_agency(agency: str, cubes: list[Cube]) -> list[Cube]:
    if agency in ("all", "*"):
        return cubes
    return [cube for cube in cubes if cube.agency == agency]


def _no_results(kind: str, identifier: str) -> SdmxError:
    return SdmxError(
        ErrorCode.NO_RESULTS,
        f"{kind} «{identifier}» یافت نشد.",
        f"No {kind} {identifier!r} was found.",
    )


def _structure(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type=STRUCTURE_MEDIA_TYPE)


def _references_all(request: HttpRequest) -> bool:
    return request.GET.get("references", "none") in ("all", "descendants", "children")


@_sdmx_view
def dataflow(request: HttpRequest, agency: str, resource: str, version: str) -> HttpResponse:
    """``/dataflow/{agency}/{id|all}/{version}``: one dataflow, with its structure on request."""
    cubes = _check_agency(agency, published_cubes())
    if resource in ("all", "*"):
        if not cubes:
            raise _no_results("dataflow", resource)
        return _structure(write_sdmx_dataflows(cubes))
    matching = [cube for cube in cubes if dataflow_id(cube) == resource]
    if not matching:
        raise _no_results("dataflow", resource)
    if _references_all(request):
        return _structure(write_sdmx_structure(matching[0]))
    return _structure(write_sdmx_dataflows(matching))


@_sdmx_view
def datastructure(request: HttpRequest, agency: str, resource: str, version: str) -> HttpResponse:
    """``/datastructure/{agency}/{id}/{version}``: a data structure with its children."""
    cubes = _check_agency(agency, published_cubes())
    matching = [cube for cube in cubes if datastructure_id(cube) == resource]
    if not matching:
        raise _no_results("datastructure", resource)
    return _structure(write_sdmx_structure(matching[0], dataflow=False))


@_sdmx_view
def codelist(request: HttpRequest, agency: str, resource: str, version: str) -> HttpResponse:
    """``/codelist/{agency}/{id}/{version}``: one code list."""
    for cube in _check_agency(agency, published_cubes()):
        if resource in codelist_ids(cube):
            return _structure(write_sdmx_codelist(cube, codelist=resource))
    raise _no_results("codelist", resource)


@_sdmx_view
def conceptscheme(request: HttpRequest, agency: str, resource: str, version: str) -> HttpResponse:
    """``/conceptscheme/{agency}/{id}/{version}``: the concepts of one data structure."""
    for cube in _check_agency(agency, published_cubes()):
        if conceptscheme_id(cube) == resource:
            return _structure(write_sdmx_conceptscheme(cube))
    raise _no_results("conceptscheme", resource)


def _flow(flow_ref: str) -> tuple[str, Cube]:
    parts = flow_ref.split(",")
    if len(parts) not in (1, 3):
        raise SdmxError(
            ErrorCode.SYNTAX_ERROR,
            f"مرجع جریان داده «{flow_ref}» نادرست است؛ به شکل FLOW یا AGENCY,FLOW,VERSION بنویسید.",
            f"The flow reference {flow_ref!r} is malformed; use FLOW or AGENCY,FLOW,VERSION.",
        )
    agency, flow = (parts[0], parts[1]) if len(parts) == 3 else ("all", parts[0])
    # A dataflow's id is its table's code (formats.sdmx.dataflow_id).
    release = selectors.latest_release_of(flow)
    cube = selectors.release_cube(release) if release is not None else None
    if release is None or cube is None or not _check_agency(agency, [cube]):
        raise _no_results("dataflow", flow)
    return release.cube_sha256, cube


def _select(cube: Cube, key: str, start: str | None, end: str | None) -> Cube:
    """The cube restricted by an SDMX key (``A+B..C``) and a period range."""
    series = [d for d in cube.dimensions if d.role is not Role.TIME]
    if key not in ("", "all") and len(key.split(".")) != len(series):
        raise SdmxError(
            ErrorCode.SYNTAX_ERROR,
            f"کلید «{key}» باید {to_persian_digits(str(len(series)))} بخش"
            " جداشده با نقطه داشته باشد.",
            f"The key {key!r} must have {len(series)} parts separated by dots "
            f"({'.'.join(d.id for d in series)}).",
        )
    try:
        selection = sdmx_key_selection(cube, key)
        selection.update(sdmx_period_selection(cube, start_period=start, end_period=end))
    except ValueError:
        # A code or a period the dataflow does not have: the query matches nothing.
        raise _no_results("data", key) from None
    return cube.select(selection) if selection else cube


DATA_FORMATS: dict[str, tuple[str, Callable[[Cube, str | None], bytes]]] = {
    "generic": (
        GENERIC_DATA_MEDIA_TYPE,
        lambda cube, at: write_sdmx_generic(cube, dimension_at_observation=at),
    ),
    "structurespecific": (
        STRUCTURE_SPECIFIC_DATA_MEDIA_TYPE,
        lambda cube, at: write_sdmx_structure_specific(cube, dimension_at_observation=at),
    ),
    "json": (
        JSON_DATA_MEDIA_TYPE,
        lambda cube, at: write_sdmx_json(cube, dimension_at_observation=at),
    ),
}


def _negotiate(accept: str) -> str:
    """The data format the ``Accept`` header asks for; generic SDMX-ML by default."""
    for part in (item.split(";")[0].strip().lower() for item in accept.split(",")):
        if "structurespecificdata" in part:
            return "structurespecific"
        if "genericdata" in part:
            return "generic"
        if part in ("application/vnd.sdmx.data+json", "application/json"):
            return "json"
        if part in ("*/*", "application/*", "application/xml", "text/xml", ""):
            return "generic"
    raise SdmxError(
        ErrorCode.NOT_IMPLEMENTED,
        "این قالب پشتیبانی نمی‌شود؛ SDMX-ML (generic یا structure-specific) یا SDMX-JSON بخواهید.",
        "This format is not offered; ask for SDMX-ML (generic or structure-specific) or SDMX-JSON.",
        status=406,
    )


@_sdmx_view
def data(request: HttpRequest, flow_ref: str, key: str = "", provider: str = "") -> HttpResponse:
    """``/data/{flowRef}/{key}/{provider}``: observations, in the format ``Accept`` names."""
    fmt = _negotiate(request.headers.get("Accept", "*/*"))
    checksum, cube = _flow(flow_ref)
    start, end = request.GET.get("startPeriod"), request.GET.get("endPeriod")
    selected = _select(cube, key, start, end)
    at = request.GET.get("dimensionAtObservation")
    if (
        at is not None
        and at != "AllDimensions"
        and at not in {"TIME_PERIOD" if d.role is Role.TIME else d.id for d in cube.dimensions}
    ):
        raise SdmxError(
            ErrorCode.SEMANTIC_ERROR,
            f"بعد «{at}» در این جریان داده نیست.",
            f"dimensionAtObservation {at!r} is not a dimension of this dataflow.",
        )
    media_type, render = DATA_FORMATS[fmt]
    document = rendered(
        ("sdmx", checksum, key, start or "", end or "", at or "", fmt),
        lambda: render(selected, at),
    )
    return HttpResponse(document, content_type=media_type)
