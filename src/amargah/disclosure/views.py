"""Public pages: the census table builder and the quality report of a release."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from amargah.disclosure import builder, selectors
from amargah.formats.cube import FLAG_LABELS, Lang
from amargah.portal import explorer
from amargah.portal.downloads import FORMATS


def _lang(request: HttpRequest) -> Lang:
    return "en" if getattr(request, "LANGUAGE_CODE", "fa") == "en" else "fa"


def _builder_context(request: HttpRequest) -> tuple[dict[str, object], int]:
    lang = _lang(request)
    chosen = [name for name in request.GET.getlist("var") if name]
    context: dict[str, object] = {
        "variables": builder.variables().values(),
        "chosen": chosen,
        "max_variables": builder.MAX_VARIABLES,
        "formats": FORMATS.values(),
        "flag_labels": [(flag.value, text.get(lang)) for flag, text in FLAG_LABELS.items()],
    }
    if not chosen:
        return context, 200
    try:
        cube = builder.build(chosen)
    except builder.BuilderError as error:
        context["error"] = " ".join(error.messages)
        return context, 400
    names = [d.id for d in cube.dimensions]
    # Rows down, the last variable across (the explorer's layout), every code shown.
    selection = explorer.Selection(
        codes={d.id: d.code_ids for d in cube.dimensions},
        rows=tuple(names[:-1]) if len(names) > 1 else tuple(names),
        cols=(names[-1],) if len(names) > 1 else (),
    )
    context.update(
        cube=cube,
        grid=explorer.grid(cube, selection, lang=lang),
        chart=explorer.chart_spec(cube, selection, lang=lang),
        query="&".join(f"var={name}" for name in chosen),
        small=builder.small_count(),
        noise=builder.builder_ptable().D,
    )
    return context, 200


def _over_limit(request: HttpRequest) -> HttpResponse | None:
    """A 429 answer when this address asks for more tables than the builder's rate."""
    if not request.GET.getlist("var") or not is_ratelimited(
        request, group="disclosure-builder", key="ip", rate=builder.rate(), increment=True
    ):
        return None
    response = HttpResponse(
        _("Too many tables asked for from your address; wait a minute and try again."),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "60"
    return response


def table_builder(request: HttpRequest) -> HttpResponse:
    """Pick up to four census variables and get their perturbed cross-table."""
    if (refused := _over_limit(request)) is not None:
        return refused
    context, status = _builder_context(request)
    return render(request, "disclosure/builder.html", context, status=status)


def builder_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The built table in a download format: the same numbers as on the page."""
    download = FORMATS.get(fmt)
    if download is None:
        raise Http404
    if (refused := _over_limit(request)) is not None:
        return refused
    context, status = _builder_context(request)
    if "cube" not in context:
        message = str(context.get("error", "")) or _("Choose at least one variable.")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        download.render(context["cube"], _lang(request)),  # type: ignore[arg-type]
        content_type=download.media_type,
        status=status,
    )
    response["Content-Disposition"] = f'attachment; filename="census-table.{download.extension}"'
    return response


def quality_report(request: HttpRequest, code: str) -> HttpResponse:
    """The quality report of a table's release, along the ESS quality dimensions."""
    version = request.GET.get("v")
    if version is not None and not version.isdigit():
        raise Http404
    report = selectors.quality_report(code, version=int(version) if version else None)
    return render(request, "disclosure/quality.html", {"report": report})
