"""Reads: the rules of a study, and the quality report of a release."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from amargah.core.dates import format_number
from amargah.disclosure import tables
from amargah.disclosure.choices import PublicUseFileStatus
from amargah.disclosure.models import PublicUseFile, StudyRules
from amargah.formats.cube import Cube
from amargah.portal import selectors as portal_selectors
from amargah.portal.choices import ReleaseStatus
from amargah.portal.downloads import FORMATS
from amargah.portal.models import Release, StatTable, Study
from amargah.stats.quality import Dispositions, ResponseRates, grade, response_rates

# The demo survey's disposition codes (codebook ``disposition``) in AAPOR's groups.
_DISPOSITION_GROUPS = {1: "complete", 2: "refusal", 3: "non_contact", 4: "not_eligible"}


def cv_thresholds(rules: StudyRules | None) -> tuple[float, float]:
    """(reliable below, publishable below) for a study: its rules, else the office's.

    The office's defaults are ``QUALITY_CV_THRESHOLDS`` (fractions), else 15% and 30%.
    """
    if rules is not None:
        return rules.cv_reliable, rules.cv_publishable
    reliable, publishable = getattr(settings, "QUALITY_CV_THRESHOLDS", (0.15, 0.30))
    return float(reliable), float(publishable)


def rules_for_study(study: Study) -> StudyRules | None:
    """The study's disclosure rules, or ``None`` when none are configured."""
    return StudyRules.objects.filter(study=study).first()


def rules_for_cube(cube: Cube) -> StudyRules | None:
    """The rules of the study that the cube's table belongs to (``None`` if unknown)."""
    return StudyRules.objects.select_related("study").filter(study__tables__code=cube.id).first()


def linked_cubes(cube: Cube) -> list[Cube]:
    """The latest published data of the other tables of the cube's study."""
    table = StatTable.objects.filter(code=cube.id).select_related("study").first()
    if table is None:
        return []
    cubes = []
    for other in StatTable.objects.filter(study=table.study).exclude(pk=table.pk):
        release = other.releases.filter(status=ReleaseStatus.PUBLISHED).order_by("-version").first()
        if release is not None:
            cubes.append(portal_selectors.release_cube(release))
    return cubes


def _study_dispositions(study: Study) -> Dispositions | None:
    """Final dispositions of a survey's sample, read from its household file.

    ``DISCLOSURE_DISPOSITIONS`` maps a study code to the Parquet file (relative to the
    demo world) whose ``disposition`` column holds the demo codebook's codes.
    """
    files = getattr(settings, "DISCLOSURE_DISPOSITIONS", {"lfs-1405": "lfs_households.parquet"})
    name = files.get(study.code)
    if name is None:
        return None
    path = Path(settings.DEMO_WORLD_DIR) / name
    if not path.exists():
        return None
    codes = Counter(pq.read_table(path, columns=["disposition"])["disposition"].to_pylist())
    counts = dict.fromkeys(_DISPOSITION_GROUPS.values(), 0)
    for code, n in codes.items():
        group = _DISPOSITION_GROUPS.get(int(code)) if code is not None else None
        if group is not None:
            counts[group] += n
    return Dispositions(**counts)


@dataclass
class QualityReport:
    """A release's quality along the ESS dimensions, computed from its data and records.

    Rates are fractions; durations are days.
    """

    table: StatTable
    release: Release
    cube: Cube
    rules: StudyRules | None
    cells: int
    frequency: bool
    grades: dict[str, int] = field(default_factory=dict)
    median_cv: float | None = None
    max_cv: float | None = None
    flagged: dict[str, int] = field(default_factory=dict)
    rates: ResponseRates | None = None
    days_after_period: int | None = None
    days_late: int | None = None
    versions: int = 1
    formats: list[str] = field(default_factory=list)
    additive: tuple[int, int] | None = None


def quality_report(code: str, *, version: int | None = None) -> QualityReport:
    """The quality report of a published release of table ``code`` (404 otherwise)."""
    table = portal_selectors.table_by_code(code)
    release = portal_selectors.table_release(table, version=version)
    cube = portal_selectors.release_cube(release)
    study = table.study
    rules = rules_for_study(study)
    reliable, publishable = cv_thresholds(rules)
    observations = list(cube.observations.values())
    cvs = [o.cv for o in observations if o.cv is not None]
    grades = Counter(
        grade(cv, reliable_below=reliable, publishable_below=publishable).code for cv in cvs
    )
    flagged = Counter(o.status.value for o in observations if o.status is not None)
    frequency = tables.is_frequency(cube)
    additive = None
    if frequency:
        linear, _keys = tables.linear_table(cube)
        checked = [
            (total, parts)
            for total, parts in linear.relations
            if all(cube.observations[_keys[i]].value is not None for i in (total, *parts))
        ]
        holds = sum(
            abs(linear.values[total] - linear.values[list(parts)].sum()) < 1e-6
            for total, parts in checked
        )
        additive = (holds, len(checked))
    published_at = release.published_at or timezone.now()
    period_end = study.period_end
    days_after = (timezone.localdate(published_at) - period_end).days
    days_late = max(0, (published_at - release.scheduled_for).days)
    dispositions = _study_dispositions(study)
    return QualityReport(
        table=table,
        release=release,
        cube=cube,
        rules=rules,
        cells=len(observations),
        frequency=frequency,
        grades=dict(sorted(grades.items())),
        median_cv=statistics.median(cvs) if cvs else None,
        max_cv=max(cvs) if cvs else None,
        flagged=dict(sorted(flagged.items())),
        rates=response_rates(dispositions) if dispositions else None,
        days_after_period=days_after,
        days_late=days_late,
        versions=len(portal_selectors.table_versions(table)),
        formats=[str(f.label) for f in FORMATS.values()],
        additive=additive,
    )


def microdata_path(study: Study) -> Path | None:
    """The study's microdata file, from which public-use files are built.

    ``DISCLOSURE_MICRODATA`` maps a study code to a Parquet file (relative to the demo
    world); ``None`` when the study has none or the file is missing.
    """
    files = getattr(
        settings,
        "DISCLOSURE_MICRODATA",
        {"lfs-1405": "lfs_persons.parquet", "census-1405": "census_persons.parquet"},
    )
    name = files.get(study.code)
    if name is None:
        return None
    path = Path(settings.DEMO_WORLD_DIR) / name
    return path if path.exists() else None


def microdata_columns(study: Study) -> list[str]:
    """The variables of the study's microdata file (empty when it has none)."""
    path = microdata_path(study)
    return pq.read_schema(path).names if path is not None else []


def public_use_files(study: Study, *, drafts: bool = False) -> list[PublicUseFile]:
    """The study's public-use files, newest first: the published ones, and with
    ``drafts`` (for staff) the drafts too."""
    files = PublicUseFile.objects.filter(study=study)
    if not drafts:
        files = files.filter(status=PublicUseFileStatus.PUBLISHED)
    return list(files.order_by("-version"))


def public_use_file(study: Study, version: int, *, drafts: bool = False) -> PublicUseFile:
    """One public-use file of the study (404 unless published, or ``drafts``)."""
    files = PublicUseFile.objects.filter(study=study, version=version)
    if not drafts:
        files = files.filter(status=PublicUseFileStatus.PUBLISHED)
    puf = files.first()
    if puf is None:
        raise Http404
    return puf


@dataclass(frozen=True)
class FileVariable:
    """One variable of a public-use file as its documentation shows it."""

    name: str
    label: str
    treatment: list[str]


def public_use_file_variables(puf: PublicUseFile, *, lang: str) -> list[FileVariable]:
    """The file's variables with their labels and what was done to each (its documentation)."""
    labels = {
        v.name: (v.label_en if lang == "en" else v.label_fa) for v in puf.study.variables.all()
    }
    suppressed = puf.risk.get("after", {}).get("suppressed", {})

    def n(value: float) -> str:
        return format_number(value, "en" if lang == "en" else "fa")

    out = []
    for name in puf.columns:
        treatment: list[str] = []
        if name in puf.keys:
            treatment.append(_("key variable"))
        spec = puf.recodes.get(name)
        if spec and "map" in spec:
            pairs = ", ".join(f"{old} → {new}" for old, new in spec["map"].items())
            treatment.append(_("recoded: %(pairs)s") % {"pairs": pairs})
        elif spec:
            width, top = spec["width"], spec.get("top")
            text = _("in bands of %(width)s, each named by its lower bound") % {"width": n(width)}
            if top is not None:
                text += _("; %(top)s and over as %(top)s") % {"top": n(top)}
            treatment.append(text)
        if name in puf.top_codes:
            treatment.append(_("top-coded at %(cap)s") % {"cap": n(puf.top_codes[name])})
        if suppressed.get(name):
            treatment.append(
                _("%(count)s values blanked by local suppression") % {"count": n(suppressed[name])}
            )
        out.append(FileVariable(name=name, label=labels.get(name, ""), treatment=treatment))
    return out
