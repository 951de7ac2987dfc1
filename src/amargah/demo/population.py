"""Households, enumeration areas and the demography of persons (age, sex, relation).

Households are built from their members' roles rather than by drawing ages from a
target pyramid, so that every household is coherent (a mother is 17 to 47 years older
than her children, a spouse is of the other sex and of a plausible age). The pyramid
then follows from three inputs: the relative size of each birth cohort (the 1980s boom,
the 1990s decline, the 2010s echo and today's low fertility), survival, and how long
children stay in their parents' home.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amargah.demo.codebook import COUNTIES

__all__ = ["REFERENCE_YEAR", "Households", "Persons", "build_households", "build_persons"]

#: Gregorian year of the census (Iranian year 1405 begins in March 2026).
REFERENCE_YEAR = 2026
MAX_AGE = 99

# Relative number of births per calendar year (knots, linearly interpolated).
_BIRTH_KNOTS = (
    (1925, 0.30),
    (1950, 0.50),
    (1960, 0.68),
    (1975, 0.92),
    (1980, 1.22),
    (1986, 1.50),
    (1990, 1.32),
    (1995, 0.98),
    (2000, 0.82),
    (2006, 0.84),
    (2011, 0.94),
    (2015, 0.98),
    (2018, 0.86),
    (2022, 0.70),
    (2026, 0.62),
)

# Household size distribution (sizes 1..9) by area; means about 3.28 (urban), 3.34 (rural).
_SIZE_PROBS = {
    1: np.array([0.095, 0.210, 0.265, 0.270, 0.105, 0.035, 0.012, 0.005, 0.003]),
    2: np.array([0.100, 0.210, 0.240, 0.260, 0.120, 0.045, 0.015, 0.006, 0.004]),
}
# EA sizes in households (inclusive ranges); urban EAs are larger.
_EA_SIZE = {1: (180, 250), 2: (140, 200)}

ROLE_HEAD, ROLE_SPOUSE, ROLE_CHILD, ROLE_PARENT, ROLE_OTHER, ROLE_NONRELATIVE = 1, 2, 3, 6, 8, 9
MALE, FEMALE = 1, 2
MARRIED, WIDOWED, DIVORCED, NEVER_MARRIED = 1, 2, 3, 4


def cohort_weights() -> np.ndarray:
    """Relative number of persons of each age 0..MAX_AGE alive today (births × survival)."""
    ages = np.arange(MAX_AGE + 1)
    years, values = zip(*_BIRTH_KNOTS, strict=True)
    births = np.interp(REFERENCE_YEAR - ages, years, values)
    # Gompertz mortality, a life expectancy at birth in the high seventies.
    survival = np.exp(-(7e-5 / 0.094) * (np.exp(0.094 * ages) - 1.0))
    return births * survival


@dataclass(frozen=True)
class Households:
    """One entry per household, in household-id order (arrays of equal length)."""

    hh_id: np.ndarray
    county: np.ndarray
    area: np.ndarray
    ea_id: np.ndarray
    size: np.ndarray
    ea_effect: np.ndarray  # the EA's socio-economic level (standard normal scale)


@dataclass(frozen=True)
class Persons:
    """One entry per person, ordered by household and line number."""

    hh_index: np.ndarray  # position of the person's household in Households
    line: np.ndarray
    relation: np.ndarray
    sex: np.ndarray
    age: np.ndarray
    marital: np.ndarray  # 0 where not applicable (under 10)


def build_households(rng: np.random.Generator, *, scale: float) -> Households:
    """Draw household sizes per county × area and group households into EAs."""
    parts: list[tuple[np.ndarray, ...]] = []
    for county in COUNTIES:
        for area, share in ((1, county.urban_share), (2, 1.0 - county.urban_share)):
            probs = _SIZE_PROBS[area]
            mean_size = float(np.dot(np.arange(1, probs.size + 1), probs))
            count = max(1, round(county.population * share * scale / mean_size))
            sizes = rng.choice(np.arange(1, probs.size + 1), size=count, p=probs)
            ea_index = _enumeration_areas(rng, count, _EA_SIZE[area])
            # EA ids read county, area and a serial number: 2 1 0042 → 2_1_0042.
            ea_id = county.code * 100_000 + area * 10_000 + ea_index + 1
            parts.append(
                (
                    np.full(count, county.code, np.int8),
                    np.full(count, area, np.int8),
                    ea_id.astype(np.int32),
                    sizes.astype(np.int8),
                )
            )
    county_arr, area_arr, ea_arr, size_arr = (np.concatenate(p) for p in zip(*parts, strict=True))
    unique_eas, ea_pos = np.unique(ea_arr, return_inverse=True)
    level = rng.normal(0.0, 1.0, size=unique_eas.size)
    return Households(
        hh_id=np.arange(1, county_arr.size + 1, dtype=np.int64),
        county=county_arr,
        area=area_arr,
        ea_id=ea_arr,
        size=size_arr,
        ea_effect=level[ea_pos],
    )


def _enumeration_areas(rng: np.random.Generator, count: int, bounds: tuple[int, int]) -> np.ndarray:
    """EA index (0-based) of each of ``count`` consecutive households.

    EA sizes are drawn uniformly within ``bounds`` and then scaled to add up to
    ``count``, so that no leftover EA is much smaller than the others.
    """
    low, high = bounds
    eas = max(1, round(2 * count / (low + high)))
    drawn = rng.integers(low, high + 1, size=eas).astype(np.float64)
    target = drawn * count / drawn.sum()
    sizes = np.floor(target).astype(np.int64)
    short = count - int(sizes.sum())
    sizes[np.argsort(sizes - target, kind="stable")[:short]] += 1
    return np.repeat(np.arange(eas), sizes)


def build_persons(rng: np.random.Generator, households: Households) -> Persons:
    """Give every household its members with relation, sex, age and marital status."""
    size = households.size.astype(np.int64)
    count = size.size
    weights = cohort_weights()

    # Household type: single person, couple (with or without children), lone parent.
    couple = (size >= 2) & (rng.random(count) < np.where(size == 2, 0.78, 0.93))
    lone = (size >= 2) & ~couple
    # Some larger households include a parent of the head or another relative.
    # A lone parent keeps at least one child, so extra members need room beyond it.
    room = size - 1 - couple - lone
    has_parent = (size >= 3) & (rng.random(count) < 0.06) & (room >= 1)
    room = room - has_parent
    has_other = (size >= 3) & (rng.random(count) < 0.04) & (room >= 1)
    room = room - has_other
    # A few households lodge an unrelated worker, nearly always a young man.
    has_lodger = (size >= 3) & (rng.random(count) < 0.015) & (room >= 1)
    children = room - has_lodger + lone

    # Ages of the children: the youngest first, then older siblings 2–10 years apart.
    ages = np.arange(MAX_AGE + 1)
    # Daughters leave home two or three years earlier than sons (they marry younger).
    son_at_home = 0.512 / (1.0 + np.exp((ages - 26.0) / 2.4))
    daughter_at_home = 0.488 / (1.0 + np.exp((ages - 24.0) / 2.4))
    at_home = son_at_home + daughter_at_home
    # A household's youngest child is more often a small one: most families with
    # children are still growing, and the older siblings are then counted above it.
    youngest_weight = weights * at_home * (1.0 + 1.6 * np.exp(-ages / 5.0))
    youngest = _draw_ages(rng, youngest_weight, children > 0)
    child_hh = np.repeat(np.arange(count), children)
    gaps = 2 + np.minimum(rng.gamma(2.0, 1.3, size=child_hh.size).round().astype(np.int64), 8)
    first = np.r_[0, np.cumsum(children)[:-1]]
    gaps[first[children > 0]] = 0
    cumulative = np.cumsum(gaps)
    offset = cumulative - np.repeat(cumulative[first[children > 0]], children[children > 0])
    child_age = np.minimum(youngest[child_hh] + offset, MAX_AGE)
    eldest = np.zeros(count, np.int64)
    np.maximum.at(eldest, child_hh, child_age)

    # The mother's age follows from her children's; the father is usually a little older.
    at_birth = np.clip(np.rint(rng.normal(25.0, 4.5, size=count)), 17, 40).astype(np.int64)
    mother = np.minimum(eldest + at_birth, youngest + 46)
    mother = np.maximum(mother, eldest + 17)
    husband_gap = np.clip(np.rint(rng.normal(5.0, 3.5, size=count)), -3, 18).astype(np.int64)

    # Couples without children are either young or past child-rearing.
    childless_couple = couple & (children == 0)
    young = rng.random(count) < 0.35
    young_wife = _draw_ages(rng, weights * _window(ages, 19, 34), childless_couple & young)
    old_wife = _draw_ages(rng, weights * _window(ages, 48, 92), childless_couple & ~young)
    wife = np.where(children > 0, mother, np.where(young, young_wife, old_wife))
    wife = np.clip(wife, 16, MAX_AGE)
    husband = np.clip(wife + husband_gap, 18, MAX_AGE)

    # Single-person households: the elderly (mostly widows) and young adults (mostly men).
    single = size == 1
    elderly = single & (rng.random(count) < 0.55)
    single_age = np.where(
        elderly,
        _draw_ages(rng, weights * _window(ages, 60, MAX_AGE), elderly),
        _draw_ages(rng, weights * _window(ages, 20, 59), single & ~elderly),
    )
    single_female = np.where(elderly, rng.random(count) < 0.70, rng.random(count) < 0.32)

    # Lone parents are mostly mothers.
    lone_female = rng.random(count) < 0.85
    lone_age = np.where(lone_female, mother, np.minimum(mother + husband_gap, MAX_AGE))
    lone_age = np.maximum(lone_age, 18)

    head_sex = np.where(
        couple,
        np.where(rng.random(count) < 0.985, MALE, FEMALE),
        np.where(
            single, np.where(single_female, FEMALE, MALE), np.where(lone_female, FEMALE, MALE)
        ),
    )
    head_age = np.where(
        couple, np.where(head_sex == MALE, husband, wife), np.where(single, single_age, lone_age)
    )
    spouse_age = np.where(head_sex == MALE, wife, husband)
    draw = rng.random(count)
    head_marital = np.select(
        [
            couple,
            lone & (draw < 0.62),
            lone,
            elderly & (draw < 0.84),
            elderly & (draw < 0.92),
            elderly,
            draw < 0.62,
            draw < 0.85,
        ],
        [MARRIED, WIDOWED, DIVORCED, WIDOWED, DIVORCED, NEVER_MARRIED, NEVER_MARRIED, DIVORCED],
        default=MARRIED,
    )

    # Assemble persons block by block, then order by household and line.
    blocks: list[dict[str, np.ndarray]] = []
    idx = np.arange(count)
    blocks.append(
        _block(idx, ROLE_HEAD, head_sex, head_age, head_marital, line=np.ones(count, np.int64))
    )
    sp = idx[couple]
    blocks.append(
        _block(
            sp,
            ROLE_SPOUSE,
            np.where(head_sex[sp] == MALE, FEMALE, MALE),
            spouse_age[sp],
            np.full(sp.size, MARRIED),
            line=np.full(sp.size, 2),
        )
    )
    son_share = son_at_home / np.maximum(at_home, 1e-12)
    child_sex = np.where(rng.random(child_hh.size) < son_share[child_age], MALE, FEMALE)
    child_line = 1 + couple[child_hh] + 1 + np.arange(child_hh.size) - np.repeat(first, children)
    blocks.append(
        _block(
            child_hh,
            ROLE_CHILD,
            child_sex,
            child_age,
            np.full(child_hh.size, NEVER_MARRIED),
            line=child_line,
        )
    )
    next_line = 2 + couple + children
    pa_hh = idx[has_parent]
    # Parents of older heads are themselves very old; a soft ceiling avoids a pile at 99.
    ceiling = 80 + rng.integers(0, MAX_AGE - 80, size=pa_hh.size)
    parent_age = np.minimum(head_age[pa_hh] + rng.integers(22, 36, size=pa_hh.size), ceiling)
    parent_sex = np.where(rng.random(pa_hh.size) < 0.72, FEMALE, MALE)
    blocks.append(
        _block(
            pa_hh,
            ROLE_PARENT,
            parent_sex,
            parent_age,
            np.where(rng.random(pa_hh.size) < 0.78, WIDOWED, MARRIED),
            line=next_line[pa_hh],
        )
    )
    next_line = next_line + has_parent
    ot_hh = idx[has_other]
    other_age = _draw_ages(rng, weights * _window(ages, 15, 45), np.ones(ot_hh.size, bool))
    blocks.append(
        _block(
            ot_hh,
            ROLE_OTHER,
            np.where(rng.random(ot_hh.size) < 0.55, MALE, FEMALE),
            other_age,
            np.where(rng.random(ot_hh.size) < 0.85, NEVER_MARRIED, DIVORCED),
            line=next_line[ot_hh],
        )
    )
    next_line = next_line + has_other
    lo_hh = idx[has_lodger]
    lodger_age = _draw_ages(rng, weights * _window(ages, 18, 45), np.ones(lo_hh.size, bool))
    blocks.append(
        _block(
            lo_hh,
            ROLE_NONRELATIVE,
            np.where(rng.random(lo_hh.size) < 0.9, MALE, FEMALE),
            lodger_age,
            np.where(rng.random(lo_hh.size) < 0.7, NEVER_MARRIED, MARRIED),
            line=next_line[lo_hh],
        )
    )

    hh_index = np.concatenate([b["hh"] for b in blocks])
    line = np.concatenate([b["line"] for b in blocks])
    order = np.lexsort((line, hh_index))
    age = np.concatenate([b["age"] for b in blocks])[order]
    marital = np.concatenate([b["marital"] for b in blocks])[order]
    # Marital status is asked from age 10; children under 10 have none.
    marital = np.where(age < 10, 0, marital)
    return Persons(
        hh_index=hh_index[order],
        line=line[order].astype(np.int8),
        relation=np.concatenate([b["relation"] for b in blocks])[order].astype(np.int8),
        sex=np.concatenate([b["sex"] for b in blocks])[order].astype(np.int8),
        age=np.clip(age, 0, MAX_AGE).astype(np.int8),
        marital=marital.astype(np.int8),
    )


def _window(ages: np.ndarray, low: int, high: int) -> np.ndarray:
    return ((ages >= low) & (ages <= high)).astype(np.float64)


def _draw_ages(rng: np.random.Generator, weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Ages drawn from ``weights`` (over 0..MAX_AGE) where mask is true, 0 elsewhere."""
    out = np.zeros(mask.size, np.int64)
    wanted = int(mask.sum())
    if wanted:
        cumulative = np.cumsum(weights) / weights.sum()
        out[mask] = np.minimum(np.searchsorted(cumulative, rng.random(wanted)), MAX_AGE)
    return out


def _block(
    hh: np.ndarray,
    relation: int,
    sex: np.ndarray,
    age: np.ndarray,
    marital: np.ndarray,
    *,
    line: np.ndarray,
) -> dict[str, np.ndarray]:
    return {
        "hh": hh.astype(np.int64),
        "relation": np.full(hh.size, relation, np.int64),
        "sex": np.asarray(sex, np.int64),
        "age": np.asarray(age, np.int64),
        "marital": np.asarray(marital, np.int64),
        "line": np.asarray(line, np.int64),
    }
