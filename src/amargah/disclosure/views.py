"""Public pages: the census table builder, the quality report of a release, and the
public-use microdata files of a study (with the staff pages that build and publish them)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from amargah.core import store
from amargah.disclosure import builder, selectors, services
from amargah.disclosure.forms import PublicUseFileForm
from amargah.formats.cube import FLAG_LABELS, Lang
from amargah.portal import explorer
from amargah.portal import selectors as portal_selectors
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


def _staff(request: HttpRequest) -> tuple[bool, bool]:
    """(may build, may publish) public-use files."""
    user = request.user
    return (
        user.has_perm("disclosure.build_publicusefile"),
        user.has_perm("disclosure.publish_publicusefile"),
    )


def _microdata_page(
    request: HttpRequest, code: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    study = portal_selectors.study_by_code(code)
    can_build, can_publish = _staff(request)
    lang = _lang(request)
    files = selectors.public_use_files(study, drafts=can_build or can_publish)
    return render(
        request,
        "disclosure/microdata.html",
        {
            "study": study,
            "files": [(puf, selectors.public_use_file_variables(puf, lang=lang)) for puf in files],
            "can_build": can_build,
            "can_publish": can_publish,
            "error": error,
        },
        status=status,
    )


def microdata_files(request: HttpRequest, code: str) -> HttpResponse:
    """A study's published public-use files: documentation, risk report, downloads."""
    return _microdata_page(request, code)


_MICRODATA_FORMATS = {"csv": ("text/csv; charset=utf-8", ".csv"), "parquet": (
    "application/vnd.apache.parquet", ".parquet")}  # fmt: skip


def microdata_download(request: HttpRequest, code: str, version: int, fmt: str) -> FileResponse:
    """A published public-use file (staff may also fetch drafts, to review them)."""
    if fmt not in _MICRODATA_FORMATS:
        raise Http404
    study = portal_selectors.study_by_code(code)
    can_build, can_publish = _staff(request)
    puf = selectors.public_use_file(study, version, drafts=can_build or can_publish)
    media_type, suffix = _MICRODATA_FORMATS[fmt]
    sha256 = puf.csv_sha256 if fmt == "csv" else puf.parquet_sha256
    # Streamed from the store (a census-sized file is not read into memory); its
    # checksum was verified when the file was published.
    return FileResponse(
        store.path_for(sha256, suffix=suffix).open("rb"),
        as_attachment=True,
        filename=f"{study.code}-puf-v{puf.version}{suffix}",
        content_type=media_type,
    )


@login_required
def microdata_new(request: HttpRequest, code: str) -> HttpResponse:
    """Staff: build a draft public-use file from the study's microdata."""
    if not request.user.has_perm("disclosure.build_publicusefile"):
        raise PermissionDenied
    study = portal_selectors.study_by_code(code)
    columns = selectors.microdata_columns(study)
    if not columns:
        raise Http404
    form = PublicUseFileForm(request.POST or None, columns=columns)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.public_use_file_build(
                    study=study,
                    keys=data["keys"],
                    k=data["k"],
                    recodes=data["recodes"],
                    top_codes=data["top_codes"],
                    drop=data["drop"],
                    local_suppression=data["local_suppression"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("disclosure:microdata", code=study.code)
        status = 400
    return render(
        request, "disclosure/microdata_new.html", {"study": study, "form": form}, status=status
    )


@login_required
@require_POST
def microdata_publish(request: HttpRequest, code: str, version: int) -> HttpResponse:
    """Staff: publish a draft; refused (with the reason) unless it passes the checks."""
    if not request.user.has_perm("disclosure.publish_publicusefile"):
        raise PermissionDenied
    study = portal_selectors.study_by_code(code)
    puf = selectors.public_use_file(study, version, drafts=True)
    try:
        services.public_use_file_publish(puf=puf, by=request.user)
    except services.PublicUseFileRefused as refused:
        return _microdata_page(request, code, error=" ".join(refused.messages), status=400)
    return redirect("disclosure:microdata", code=study.code)
