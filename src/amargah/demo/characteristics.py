"""Education, literacy, activity, occupation, industry and income of persons.

Each characteristic is drawn from a few interpretable effects (birth cohort, sex,
urban or rural, the county, the socio-economic level of the enumeration area and of
the household) so that the survey sees realistic clustering: persons of one EA or one
household resemble each other more than persons drawn at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amargah.demo.population import (
    FEMALE,
    MALE,
    MARRIED,
    REFERENCE_YEAR,
    Households,
    Persons,
)

__all__ = ["Characteristics", "build_characteristics"]

EMPLOYED, UNEMPLOYED, INACTIVE = 1, 2, 3

# Ordered-probit cut points between education levels 0|1|2|3|5|6|7|8 for the youngest
# urban cohort (latent level standard normal): 2% no schooling, 8% primary, 15% lower
# secondary, 35% upper secondary, 10% short-cycle, 22% bachelor, 7% master, 1% doctorate.
_EDUCATION_CUTS = np.array([-2.05, -1.28, -0.67, 0.25, 0.52, 1.41, 2.33])
_EDUCATION_LEVELS = np.array([0, 1, 2, 3, 5, 6, 7, 8])
# The highest level a person can have completed at each age.
_MAX_LEVEL_AGES = ((12, 0), (15, 1), (18, 2), (20, 3), (22, 5), (24, 6), (28, 7))

# County effects on the latent education level and on unemployment (relative risk).
_COUNTY_EDUCATION = {1: 0.30, 2: 0.15, 3: 0.0, 4: -0.10, 5: 0.10, 6: -0.15, 7: -0.10, 8: -0.30}
_COUNTY_UNEMPLOYMENT = {1: 0.90, 2: 1.00, 3: 1.10, 4: 1.25, 5: 0.90, 6: 1.10, 7: 1.05, 8: 1.20}

# Labour force participation by age group (lower bounds of 15, 20, …, 65+), men and women.
_AGE_GROUPS = np.array([15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70])
_PARTICIPATION = {
    MALE: np.array([0.18, 0.58, 0.84, 0.92, 0.93, 0.93, 0.91, 0.84, 0.66, 0.42, 0.20, 0.07]),
    FEMALE: np.array([0.03, 0.14, 0.22, 0.21, 0.19, 0.17, 0.15, 0.11, 0.07, 0.04, 0.02, 0.01]),
}
# Probability of being unemployed when in the labour force.
_UNEMPLOYMENT = {
    MALE: np.array([0.26, 0.21, 0.13, 0.07, 0.05, 0.04, 0.035, 0.035, 0.03, 0.03, 0.02, 0.02]),
    FEMALE: np.array([0.42, 0.36, 0.27, 0.16, 0.10, 0.07, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02]),
}

# ISCO-08 major groups 0..9 by education (low ≤ lower secondary, middle, tertiary).
_ISCO = {
    (MALE, 0): [0.01, 0.02, 0.00, 0.02, 0.01, 0.17, 0.14, 0.27, 0.18, 0.18],
    (MALE, 1): [0.03, 0.04, 0.02, 0.07, 0.05, 0.25, 0.08, 0.23, 0.15, 0.08],
    (MALE, 2): [0.04, 0.10, 0.30, 0.17, 0.08, 0.13, 0.03, 0.07, 0.05, 0.03],
    (FEMALE, 0): [0.00, 0.01, 0.00, 0.02, 0.02, 0.20, 0.22, 0.35, 0.03, 0.15],
    (FEMALE, 1): [0.00, 0.02, 0.05, 0.10, 0.15, 0.30, 0.10, 0.18, 0.02, 0.08],
    (FEMALE, 2): [0.00, 0.04, 0.55, 0.15, 0.10, 0.10, 0.01, 0.03, 0.01, 0.01],
}
# ISIC Rev.4 sections (1 = A … 21 = U) given the ISCO major group.
_ISIC: dict[int, dict[int, float]] = {
    0: {15: 1.0},
    1: {7: 25, 3: 15, 15: 15, 6: 10, 11: 5, 16: 5, 17: 5, 8: 5, 9: 5, 13: 5, 10: 5},
    2: {16: 40, 17: 25, 15: 10, 13: 8, 10: 5, 11: 4, 3: 5, 6: 3},
    3: {3: 20, 17: 15, 15: 10, 6: 10, 11: 8, 10: 7, 13: 10, 7: 10, 4: 5, 8: 5},
    4: {15: 30, 11: 15, 7: 15, 8: 10, 16: 10, 17: 10, 3: 10},
    5: {7: 55, 9: 15, 19: 10, 15: 5, 17: 5, 14: 5, 8: 5},
    6: {1: 1.0},
    7: {3: 45, 6: 40, 7: 10, 19: 5},
    8: {8: 45, 3: 40, 6: 10, 2: 5},
    9: {1: 25, 6: 25, 3: 15, 7: 10, 14: 10, 20: 5, 9: 5, 8: 5},
}
# Log-income premium of each ISCO major group over elementary occupations.
_ISCO_PREMIUM = np.array([0.40, 0.90, 0.60, 0.45, 0.30, 0.20, 0.10, 0.20, 0.25, 0.0])
_MEDIAN_ELEMENTARY = 1.0e9  # rials a year, a little under the minimum wage of 1404
_MEDIAN_PENSION = 0.9e9  # rials a year


@dataclass(frozen=True)
class Characteristics:
    """Per-person characteristics; -1 marks "not in the universe" (written as null)."""

    education: np.ndarray
    literacy: np.ndarray
    activity: np.ndarray
    isco: np.ndarray
    isic: np.ndarray
    income: np.ndarray  # rials a year, int64
    record_key: np.ndarray  # uniform on [0, 1)


def build_characteristics(
    rng: np.random.Generator, households: Households, persons: Persons
) -> Characteristics:
    """Draw every characteristic of every person (vectorised over the whole census)."""
    hh = persons.hh_index
    age = persons.age.astype(np.int64)
    sex = persons.sex.astype(np.int64)
    county = households.county[hh].astype(np.int64)
    urban = households.area[hh] == 1
    level = households.ea_effect[hh]
    n = age.size
    family = rng.normal(0.0, 0.45, size=households.size.size)[hh]

    education = _education(rng, age, sex, county, urban, level, family)
    literate = np.where(
        age < 6,
        -1,
        np.where((education >= 1) | (rng.random(n) < np.where(age < 10, 0.85, 0.30)), 1, 2),
    )

    # Activity by the ILO definitions, from age 15.
    group = np.searchsorted(_AGE_GROUPS, age, side="right") - 1
    safe_group = np.clip(group, 0, _AGE_GROUPS.size - 1)
    participation = np.where(
        sex == MALE, _PARTICIPATION[MALE][safe_group], _PARTICIPATION[FEMALE][safe_group]
    )
    tertiary = education >= 5
    women = sex == FEMALE
    # Educated women work much more often; married women and students less often.
    participation = participation * np.where(women & tertiary, 1.8, 1.0)
    participation = participation * np.where(women & (education <= 1), 0.75, 1.0)
    participation = participation * np.where(women & (persons.marital == MARRIED), 0.85, 1.0)
    participation = participation * np.where(~urban & women, 1.25, 1.0)
    studying = (age <= 24) & (education == _max_level(age))
    participation = participation * np.where(studying, 0.35, 1.0)
    participation = np.clip(participation * np.exp(0.10 * level), 0.0, 0.98)
    active = (age >= 15) & (rng.random(n) < participation)
    unemployment = np.where(
        sex == MALE, _UNEMPLOYMENT[MALE][safe_group], _UNEMPLOYMENT[FEMALE][safe_group]
    )
    county_risk = np.array([0.0, *(_COUNTY_UNEMPLOYMENT[c] for c in range(1, 9))])[county]
    unemployment = unemployment * county_risk * np.exp(-0.20 * level)
    unemployment = unemployment * np.where(women & tertiary, 1.25, 1.0)
    unemployed = active & (rng.random(n) < np.clip(unemployment, 0.0, 0.9))
    activity = np.select([age < 15, unemployed, active], [-1, UNEMPLOYED, EMPLOYED], INACTIVE)
    employed = activity == EMPLOYED

    isco, isic = _occupation_and_industry(rng, sex, education, urban, employed)
    income = _income(
        rng,
        age=age,
        sex=sex,
        education=education,
        urban=urban,
        level=level,
        activity=activity,
        isco=isco,
        widowed=persons.marital == 2,
    )
    return Characteristics(
        education=education,
        literacy=literate,
        activity=activity,
        isco=isco,
        isic=isic,
        income=income,
        record_key=rng.random(n),
    )


def _max_level(age: np.ndarray) -> np.ndarray:
    top = np.full(age.size, 8)
    for limit, level in reversed(_MAX_LEVEL_AGES):
        top = np.where(age < limit, level, top)
    return top


def _education(
    rng: np.random.Generator,
    age: np.ndarray,
    sex: np.ndarray,
    county: np.ndarray,
    urban: np.ndarray,
    level: np.ndarray,
    family: np.ndarray,
) -> np.ndarray:
    birth_year = REFERENCE_YEAR - age
    # Schooling spread fast after the 1960s; women caught up and now overtake men at
    # university.
    cohort = np.interp(
        birth_year, [1930, 1950, 1965, 1975, 1985, 1995], [-2.6, -1.9, -1.2, -0.6, -0.2, 0.0]
    )
    women = np.interp(birth_year, [1940, 1960, 1980, 1990, 2000], [-0.9, -0.6, -0.15, 0.05, 0.10])
    county_effect = np.array([0.0, *(_COUNTY_EDUCATION[c] for c in range(1, 9))])[county]
    latent = (
        cohort
        + np.where(sex == FEMALE, women, 0.0)
        + np.where(urban, 0.15, -0.45)
        + county_effect
        + 0.30 * level
        + family
        + rng.normal(0.0, 0.85, size=age.size)
    )
    attained = _EDUCATION_LEVELS[np.searchsorted(_EDUCATION_CUTS, latent)]
    # A child cannot have completed more than its age allows.
    attained = np.minimum(attained, _max_level(age))
    attained = np.where(attained == 4, 3, attained)  # level 4 is not used in Iran
    return np.where(age < 6, -1, attained)


def _occupation_and_industry(
    rng: np.random.Generator,
    sex: np.ndarray,
    education: np.ndarray,
    urban: np.ndarray,
    employed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    band = np.select([education >= 5, education == 3], [2, 1], 0)
    # Rows of the probability table: (sex, band, urban) → 2 × 3 × 2 = 12 rows.
    table = np.zeros((12, 10))
    for (s, b), probs in _ISCO.items():
        for u in (0, 1):
            row = np.array(probs, dtype=np.float64)
            if not u:
                row[6] *= 5.0  # farming dominates rural work
            table[((s - 1) * 3 + b) * 2 + u] = row / row.sum()
    row_of = ((sex - 1) * 3 + band) * 2 + urban.astype(np.int64)
    isco = np.where(employed, _categorical(rng, table, row_of), -1)

    sections = np.zeros((10, 21))
    for group, weights in _ISIC.items():
        for section, weight in weights.items():
            sections[group, section - 1] = weight
    sections /= sections.sum(axis=1, keepdims=True)
    isic = np.where(employed, _categorical(rng, sections, np.maximum(isco, 0)) + 1, -1)
    return isco, isic


def _categorical(rng: np.random.Generator, table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element from the categorical distribution ``table[rows[i]]``."""
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(rows.size)
    out = np.empty(rows.size, np.int64)
    for row in range(table.shape[0]):
        members = np.flatnonzero(rows == row)
        out[members] = np.searchsorted(cumulative[row], u[members], side="right")
    return np.minimum(out, table.shape[1] - 1)


def _income(
    rng: np.random.Generator,
    *,
    age: np.ndarray,
    sex: np.ndarray,
    education: np.ndarray,
    urban: np.ndarray,
    level: np.ndarray,
    activity: np.ndarray,
    isco: np.ndarray,
    widowed: np.ndarray,
) -> np.ndarray:
    """Annual income in rials: earnings, pensions and a little unemployment benefit."""
    n = age.size
    experience = np.clip(age - 18, 0, 45)
    log_wage = (
        np.log(_MEDIAN_ELEMENTARY)
        + _ISCO_PREMIUM[np.maximum(isco, 0)]
        + 0.06 * np.maximum(education, 0)
        + 0.035 * experience
        - 0.0006 * experience**2
        - np.where(sex == FEMALE, 0.25, 0.0)
        + np.where(urban, 0.10, -0.05)
        + 0.15 * level
        + rng.normal(0.0, 0.55, size=n)
    )
    employed = activity == EMPLOYED
    # Contributing family workers (mostly women on family farms) are not paid.
    unpaid = employed & (rng.random(n) < np.where((sex == FEMALE) & (isco == 6), 0.35, 0.03))
    earnings = np.where(employed & ~unpaid, np.exp(log_wage), 0.0)

    retired = (activity == INACTIVE) & (age >= 55)
    pension_odds = np.where(sex == MALE, 0.60, np.where(widowed, 0.45, 0.15))
    pensioned = retired & (rng.random(n) < pension_odds)
    pension = np.exp(np.log(_MEDIAN_PENSION) + 0.10 * level + rng.normal(0.0, 0.45, size=n))
    benefit = (activity == UNEMPLOYED) & (rng.random(n) < 0.10)
    other_inactive = (activity == INACTIVE) & ~pensioned & (rng.random(n) < 0.02)
    other = np.exp(np.log(0.5e9) + rng.normal(0.0, 0.8, size=n))
    income = (
        earnings
        + np.where(pensioned, pension, 0.0)
        + np.where(benefit, 0.55 * _MEDIAN_ELEMENTARY, 0.0)
        + np.where(other_inactive, other, 0.0)
    )
    return (np.round(income / 1000.0) * 1000.0).astype(np.int64)
