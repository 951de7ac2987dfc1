"""Reads for the site's own pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Figure:
    label: Promise
    value: int


@dataclass(frozen=True)
class StudySummary:
    code: str
    title: Promise
    description: Promise
    figures: tuple[Figure, ...]


def study_summaries() -> list[StudySummary]:
    """The office's studies with their headline counts, from the loaded data.

    Empty until the demo world (or real data) is loaded: the page then says so
    rather than showing invented numbers.
    """
    from amargah.demo.world import load_manifest

    manifest = load_manifest(settings.DEMO_WORLD_DIR)
    if manifest is None:
        return []
    rows = manifest.rows
    return [
        StudySummary(
            code="census",
            title=_("Population and Housing Census"),
            description=_("Every person and household in the province's eight counties."),
            figures=(
                Figure(_("Persons"), rows["census_persons"]),
                Figure(_("Households"), rows["census_households"]),
                Figure(_("Enumeration areas"), rows["frame_ea"]),
            ),
        ),
        StudySummary(
            code="lfs",
            title=_("Labour Force Survey"),
            description=_(
                "A stratified two-stage sample of households: employment, unemployment and income."
            ),
            figures=(
                Figure(_("Sampled households"), rows["lfs_households"]),
                Figure(_("Persons interviewed"), rows["lfs_persons"]),
            ),
        ),
    ]
