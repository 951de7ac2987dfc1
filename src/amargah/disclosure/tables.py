"""Published cubes as linear tables: what the gate and the protection need of a cube."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from amargah.formats.cube import Cube, Flag, Observation, ObservationKey
from amargah.stats.disclosure.linear import (
    LinearTable,
    controlled_rounding,
    link,
    recoverable,
    secondary_suppression,
)
from amargah.stats.disclosure.rules import threshold_rule


def is_frequency(cube: Cube) -> bool:
    """Whether the cube holds counts (one whole-number measure, no sampling error)."""
    return (
        len(cube.measures) == 1
        and cube.measures[0].decimals == 0
        and all(o.se is None and o.cv is None for o in cube.observations.values())
    )


# The office's code for "all categories" in every code list.
TOTAL = "_T"


def linear_table(cube: Cube) -> tuple[LinearTable, list[ObservationKey]]:
    """The cube's cells and the additive relations its code hierarchies imply.

    Withheld cells enter with a placeholder zero: the attacker's problem never reads
    the value of a withheld cell.
    """
    keys = list(cube.observations)
    values = {
        key: (obs.value if obs.value is not None else 0.0) for key, obs in cube.observations.items()
    }
    hierarchies = [{code.id: code.parent for code in d.codes} for d in cube.dimensions]
    return LinearTable.from_hierarchies(values, hierarchies), keys


def describe(cube: Cube, key: ObservationKey) -> str:
    """A cell named by its codes: ``COUNTY=1, SEX=_T``."""
    return ", ".join(f"{d.id}={code}" for d, code in zip(cube.dimensions, key, strict=True))


def withheld(cube: Cube) -> list[ObservationKey]:
    """Keys of the suppressed (confidential) cells."""
    return [k for k, o in cube.observations.items() if o.status is Flag.CONFIDENTIAL]


def recoverable_cells(cube: Cube) -> list[ObservationKey]:
    """Suppressed cells whose value follows exactly from the published ones."""
    hidden = withheld(cube)
    if not hidden:
        return []
    table, keys = linear_table(cube)
    position = {key: i for i, key in enumerate(keys)}
    return [keys[i] for i in recoverable(table, [position[k] for k in hidden])]


def below_threshold(cube: Cube, *, threshold: int) -> list[ObservationKey]:
    """Published cells of a frequency cube with fewer than ``threshold`` contributors."""
    return [
        key
        for key, obs in cube.observations.items()
        if obs.value is not None and threshold_rule(round(obs.value), threshold=threshold)
    ]


def suppress(cube: Cube, *, threshold: int, others: Sequence[Cube] = ()) -> Cube:
    """The frequency cube with its small cells and enough others withheld.

    Primary suppression by the threshold rule, secondary suppression so that none of
    them can be recovered from the margins (cost: the cells' values), protected
    together with the ``others`` tables already published beside it: their cells stay
    as published, and shared margins tie the tables together.
    """
    sensitive = set(below_threshold(cube, threshold=threshold)) | set(withheld(cube))
    linked_others = [other for other in others if linkable(cube, other)]
    cubes = [cube, *linked_others]
    named = _linked_tables(cubes)
    table = link(*named)
    own = [table.index[identity] for identity in named[0].cells]
    keys = list(cube.observations)
    primary = [own[i] for i, key in enumerate(keys) if key in sensitive]
    mine = set(own)
    shown_elsewhere = {
        table.index[identity]
        for c, t in zip(linked_others, named[1:], strict=True)
        for identity, obs in zip(t.cells, c.observations.values(), strict=True)
        if obs.value is not None
    }
    fixed = [i for i in range(len(table.cells)) if i not in mine] + sorted(shown_elsewhere)
    chosen = secondary_suppression(table, primary, published=fixed)
    position = dict(zip(own, keys, strict=True))
    observations = dict(cube.observations)
    for i in chosen:
        observations[position[i]] = Observation(value=None, status=Flag.CONFIDENTIAL)
    return replace(cube, observations=observations)


def _published(
    cubes: Sequence[Cube],
) -> tuple[list[tuple[object, ...]], dict[object, tuple[float, str]]]:
    """Each cube's cell identities, and the value and table of every identity published."""
    identities = [tuple(_named_table(c, dict.fromkeys(c.observations, 0.0)).cells) for c in cubes]
    published: dict[object, tuple[float, str]] = {}
    for c, cells in zip(cubes, identities, strict=True):
        for identity, obs in zip(cells, c.observations.values(), strict=True):
            if obs.value is not None:
                published.setdefault(identity, (obs.value, c.id))
    return identities, published


def _linked_tables(cubes: Sequence[Cube]) -> list[LinearTable]:
    """The cubes as named linear tables, ready to `link`.

    A withheld cell enters with the value another table publishes, else a placeholder
    that the attacker's problem never reads.
    """
    identities, published = _published(cubes)
    return [
        _named_table(
            c,
            {
                key: obs.value if obs.value is not None else published.get(identity, (0.0, ""))[0]
                for (key, obs), identity in zip(c.observations.items(), cells, strict=True)
            },
        )
        for c, cells in zip(cubes, identities, strict=True)
    ]


def _named_table(cube: Cube, values: dict[ObservationKey, float]) -> LinearTable:
    hierarchies = [{code.id: code.parent for code in d.codes} for d in cube.dimensions]
    return LinearTable.from_hierarchies(
        values, hierarchies, dimensions=[d.id for d in cube.dimensions], totals=(TOTAL,)
    )


def linkable(cube: Cube, other: Cube) -> bool:
    """Whether ``other`` counts the same thing as ``cube`` (so shared margins are equal)."""
    return (
        other.id != cube.id
        and is_frequency(other)
        and [m.id for m in other.measures] == [m.id for m in cube.measures]
    )


def linked_check(
    cube: Cube, others: Sequence[Cube]
) -> tuple[list[tuple[ObservationKey, str]], list[ObservationKey]]:
    """Check ``cube``'s withheld cells against the tables published beside it.

    Returns the withheld cells that another table publishes (with that table's id), and
    the withheld cells that the published cells of all the tables together, with every
    table's margins, determine exactly. A cell is identified across tables by its
    codes other than the totals, so ``(COUNTY=1, SEX=_T, AGE=_T)`` in one table is
    ``(COUNTY=1, SEX=_T)`` in another.
    """
    cubes = [cube, *(other for other in others if linkable(cube, other))]
    identities, published = _published(cubes)
    own = dict(zip(identities[0], cube.observations, strict=True))
    leaks = [
        (own[identity], published[identity][1])
        for identity, obs in zip(identities[0], cube.observations.values(), strict=True)
        if obs.status is Flag.CONFIDENTIAL and identity in published
    ]
    linked = link(*_linked_tables(cubes))
    hidden = [
        linked.index[identity]
        for identity, obs in zip(identities[0], cube.observations.values(), strict=True)
        if obs.status is Flag.CONFIDENTIAL and identity not in published
    ]
    found = recoverable(linked, hidden) if hidden else []
    return leaks, [own[linked.cells[i]] for i in found]


def round_cube(cube: Cube, *, base: int) -> Cube:
    """The frequency cube with every count rounded to a multiple of ``base`` so that
    the totals still add up (controlled rounding)."""
    table, keys = linear_table(cube)
    rounded = controlled_rounding(table, base=base)
    observations = dict(cube.observations)
    for key, value in zip(keys, rounded, strict=True):
        if observations[key].value is not None:
            observations[key] = replace(observations[key], value=float(value))
    return replace(cube, observations=observations)


def not_rounded(cube: Cube, *, base: int) -> list[ObservationKey]:
    """Published counts that are not multiples of ``base``."""
    return [
        key
        for key, obs in cube.observations.items()
        if obs.value is not None and round(obs.value) % base != 0
    ]
