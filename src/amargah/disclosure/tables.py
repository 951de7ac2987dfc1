"""Published cubes as linear tables: what the gate and the protection need of a cube."""

from __future__ import annotations

from dataclasses import replace

from amargah.formats.cube import Cube, Flag, Observation, ObservationKey
from amargah.stats.disclosure.linear import LinearTable, recoverable, secondary_suppression
from amargah.stats.disclosure.rules import threshold_rule


def is_frequency(cube: Cube) -> bool:
    """Whether the cube holds counts (one whole-number measure, no sampling error)."""
    return (
        len(cube.measures) == 1
        and cube.measures[0].decimals == 0
        and all(o.se is None and o.cv is None for o in cube.observations.values())
    )


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


def suppress(cube: Cube, *, threshold: int) -> Cube:
    """The frequency cube with its small cells and enough others withheld.

    Primary suppression by the threshold rule, secondary suppression so that none of
    them can be recovered from the margins (cost: the cells' values).
    """
    table, keys = linear_table(cube)
    sensitive = set(below_threshold(cube, threshold=threshold)) | set(withheld(cube))
    primary = [i for i, key in enumerate(keys) if key in sensitive]
    chosen = secondary_suppression(table, primary)
    observations = dict(cube.observations)
    for i in chosen:
        observations[keys[i]] = Observation(value=None, status=Flag.CONFIDENTIAL)
    return replace(cube, observations=observations)
