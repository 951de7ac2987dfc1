"""Public pages of the data portal: catalog, studies, the table explorer, downloads."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from amargah.core.markdown import render_markdown
from amargah.formats.cube import FLAG_LABELS, Lang
from amargah.formats.ddi import write_ddi_codebook
from amargah.portal import explorer, selectors
from amargah.portal.ddi import codebook_study
from amargah.portal.downloads import FORMATS


def _lang(request: HttpRequest) -> Lang:
    return "en" if getattr(request, "LANGUAGE_CODE", "fa") == "en" else "fa"


def catalog(request: HttpRequest) -> HttpResponse:
    """Every study and published table, and search across studies, tables and variables."""
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "portal/catalog.html",
        {
            "query": query,
            "results": selectors.search(query) if query else None,
            "studies": selectors.studies(),
        },
    )


def study_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A study's documentation: abstract, methodology, variables, tables."""
    study = selectors.study_by_code(code)
    methodology = study.methodology_en if _lang(request) == "en" else study.methodology_fa
    return render(
        request,
        "portal/study.html",
        {
            "study": study,
            "methodology": render_markdown(methodology),
            "variables": study.variables.all(),
            "tables": study.tables.all(),
            "production_code": selectors.production_stages_of(study.code),
        },
    )


def _params(request: HttpRequest) -> dict[str, str]:
    # Checkboxes send a parameter once per ticked code; links use commas. Accept both.
    return {name: ",".join(request.GET.getlist(name)) for name in request.GET}


def _selection_context(request: HttpRequest, code: str) -> tuple[dict[str, object], int]:
    table = selectors.table_by_code(code)
    version = request.GET.get("v")
    if version is not None and not version.isdigit():
        raise Http404
    release = selectors.table_release(table, version=int(version) if version else None)
    cube = selectors.release_cube(release)
    latest = selectors.table_release(table)
    lang = _lang(request)
    context: dict[str, object] = {
        "table": table,
        "release": release,
        "is_latest": release.pk == latest.pk,
        "versions": selectors.table_versions(table),
        "cube": cube,
        "formats": FORMATS.values(),
        "flag_labels": [(flag.value, text.get(lang)) for flag, text in FLAG_LABELS.items()],
        "production_code": selectors.production_stages_of(table.study.code),
    }
    try:
        selection = explorer.parse_selection(cube, _params(request), lang=lang)
    except explorer.SelectionError as error:
        context["error"] = " ".join(error.messages)
        context["selection"] = explorer.parse_selection(cube, {}, lang=lang)
        return context, 400
    context["selection"] = selection
    context["grid"] = explorer.grid(cube, selection, lang=lang)
    context["chart"] = explorer.chart_spec(cube, selection, lang=lang)
    version_param = f"&v={release.version}" if version else ""
    context["query"] = selection.query() + version_param
    return context, 200


def table_explorer(request: HttpRequest, code: str) -> HttpResponse:
    """Pick codes of each dimension, pivot, see the table and its chart, download it."""
    context, status = _selection_context(request, code)
    template = (
        "portal/explorer_result.html"
        if request.headers.get("HX-Request")
        else "portal/explorer.html"
    )
    return render(request, template, context, status=status)


def table_download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """Exactly the selection on screen, in one of the download formats."""
    download = FORMATS.get(fmt)
    if download is None:
        raise Http404
    context, status = _selection_context(request, code)
    if status != 200:
        return HttpResponse(
            str(context["error"]), status=status, content_type="text/plain; charset=utf-8"
        )
    cube = explorer.select(context["cube"], context["selection"])  # type: ignore[arg-type]
    response = HttpResponse(download.render(cube, _lang(request)), content_type=download.media_type)
    release = context["release"]
    filename = f"{code}-v{release.version}.{download.extension}"  # type: ignore[attr-defined]
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def study_ddi(request: HttpRequest, code: str) -> HttpResponse:
    """The study's DDI-Codebook 2.5 XML, in the page's language."""
    document = write_ddi_codebook(
        codebook_study(selectors.study_by_code(code)), lang=_lang(request)
    )
    response = HttpResponse(document, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{code}-ddi.xml"'
    return response


def release_calendar(request: HttpRequest) -> HttpResponse:
    """Releases announced ahead, and those just published."""
    return render(
        request,
        "portal/calendar.html",
        {**selectors.release_calendar(), "expected": selectors.results_expected()},
    )


def glossary(request: HttpRequest) -> HttpResponse:
    """Statistical terms explained, and how to read an estimate."""
    return render(request, "portal/glossary.html", {"terms": selectors.glossary()})
