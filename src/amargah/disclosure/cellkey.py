"""Cell-key perturbation of published census tables, with the table builder's keys.

A study whose rules choose cell-key perturbation publishes its census frequency tables
perturbed exactly as the table builder perturbs them: the same record keys, the same
ptable, so a cell shows the same number in a release and on the builder's page (and
comparing the two reveals nothing). A table is matched to the census through its
dimensions: each names a builder variable (``COUNTY`` is ``county``; ``AGE`` is the
five-year ``age_group``), or has a single code (the reference year), which does not
split the count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from amargah.disclosure import builder
from amargah.formats.cube import Cube, Flag, ObservationKey

# Dimension ids of published census tables that name a builder variable differently.
DIMENSION_ALIASES = {"AGE": builder.AGE_GROUP}
# The unit of the census person counts the builder's microdata can perturb.
PERSONS = "PERSONS"


class NotPerturbable(ValueError):
    """The table cannot be matched to the census microdata; the message says why."""


@dataclass(frozen=True)
class CellKeyCell:
    """One cell of a table: its count in the census microdata and its perturbed count."""

    original: int
    published: int


def census_variables(cube: Cube) -> list[str | None]:
    """The builder variable of each of the cube's dimensions (``None``: a single code).

    Raises `NotPerturbable` when the cube does not count census persons or a dimension
    is not a builder variable.
    """
    if len(cube.measures) != 1 or cube.measures[0].unit_id != PERSONS:
        raise NotPerturbable(
            _(
                "this table does not count persons; cell-key perturbation is applied to "
                "counts of persons from the census microdata only"
            )
        )
    offered = builder.variables()
    names: list[str | None] = []
    for dimension in cube.dimensions:
        name = DIMENSION_ALIASES.get(dimension.id, dimension.id.lower())
        if name in offered:
            names.append(name)
        elif len(dimension.codes) == 1 and dimension.codes[0].id != builder.TOTAL:
            names.append(None)
        else:
            raise NotPerturbable(
                _(
                    "dimension %(dimension)s is not a census variable of the table builder, "
                    "so its cells have no cell key"
                )
                % {"dimension": dimension.id}
            )
    return names


def cells(cube: Cube) -> dict[ObservationKey, CellKeyCell]:
    """Every cell of ``cube`` with its true and its perturbed census count (persons).

    A code the census has no person in (or a code the builder does not know) is a
    true zero, which perturbation leaves at zero.
    """
    names = census_variables(cube)
    used = [name for name in names if name is not None]
    # a table of constant dimensions only is the grand total: any variable's margin
    census = builder.perturbed_cells(used or ["county"])
    out: dict[ObservationKey, CellKeyCell] = {}
    for key in cube.observations:
        census_key = tuple(code for code, name in zip(key, names, strict=True) if name is not None)
        census_key = census_key or (builder.TOTAL,)
        out[key] = CellKeyCell(
            original=census.original.get(census_key, 0),
            published=census.published.get(census_key, 0),
        )
    return out


def perturb_cube(cube: Cube) -> Cube:
    """The cube with every count replaced by its cell-key perturbed count.

    Small published counts are flagged unreliable (``U``), as on the builder's page, and
    the cube carries the builder's note on the noise. A cell whose value is not its
    census count is left as it is, so that the publication gate names it.
    """
    known = cells(cube)
    observations = dict(cube.observations)
    for key, obs in cube.observations.items():
        cell = known.get(key)
        if cell is None or obs.value is None or round(obs.value) != cell.original:
            continue
        perturbed = builder.flagged(cell.published)
        status = perturbed.status or (obs.status if obs.status is not Flag.UNRELIABLE else None)
        observations[key] = replace(obs, value=perturbed.value, status=status)
    note = builder.noise_note()
    notes = cube.notes if note in cube.notes else (*cube.notes, note)
    return replace(cube, observations=observations, notes=notes)


def mismatches(cube: Cube) -> list[tuple[ObservationKey, float, int]]:
    """Published cells whose value is not their perturbed count: (key, value, expected)."""
    known = cells(cube)
    return [
        (key, obs.value, known[key].published)
        for key, obs in cube.observations.items()
        if obs.value is not None and key in known and round(obs.value) != known[key].published
    ]
