"""The true population values of the demo world, for tests of estimates and intervals.

Rates follow the ILO definitions used by the Iranian LFS, for persons aged 15 and over:
participation = (employed + unemployed) / population 15+; employment rate = employed /
population 15+; unemployment rate = unemployed / (employed + unemployed). Counts are
given with every rate so that a test can rebuild any ratio.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["compute_truth"]


def compute_truth(
    persons: pa.Table, households: pa.Table, *, seed: int, scale: float
) -> dict[str, Any]:
    """Population totals, rates and means computed from the census tables."""
    county = np.asarray(persons["county"])
    sex = np.asarray(persons["sex"])
    area = np.asarray(persons["area"])
    age = np.asarray(persons["age"]).astype(np.int64)
    activity = persons["activity"].fill_null(0).to_numpy()
    income = np.asarray(persons["income"]).astype(np.float64)
    literacy = persons["literacy"].fill_null(0).to_numpy()
    everyone = np.ones(age.size, dtype=bool)

    def labour(mask: np.ndarray) -> dict[str, float | int | None]:
        adults = mask & (age >= 15)
        employed = int(np.sum(adults & (activity == 1)))
        unemployed = int(np.sum(adults & (activity == 2)))
        population = int(adults.sum())
        labour_force = employed + unemployed
        return {
            "population_15_plus": population,
            "employed": employed,
            "unemployed": unemployed,
            "inactive": population - labour_force,
            "participation_rate": _ratio(labour_force, population),
            "employment_rate": _ratio(employed, population),
            "unemployment_rate": _ratio(unemployed, labour_force),
        }

    def money(mask: np.ndarray) -> dict[str, float | None]:
        adults = mask & (age >= 15)
        employed = mask & (activity == 1)
        return {
            "total": float(income[mask].sum()),
            "mean": _ratio(income[mask].sum(), mask.sum()),
            "mean_15_plus": _ratio(income[adults].sum(), adults.sum()),
            "mean_employed": _ratio(income[employed].sum(), employed.sum()),
        }

    counties = [int(c) for c in np.unique(county)]
    sexes = (1, 2)
    population_by_county_sex = {
        str(c): {str(s): int(np.sum((county == c) & (sex == s))) for s in sexes} for c in counties
    }
    size = np.asarray(households["size"]).astype(np.int64)
    six_plus = literacy > 0
    employed = activity == 1
    return {
        "seed": seed,
        "scale": scale,
        "reference_year": {"gregorian": 2026, "iranian": 1405},
        "definitions": __doc__.strip() if __doc__ else "",
        "population": {
            "persons": int(age.size),
            "households": int(size.size),
            "mean_household_size": float(size.mean()),
            "urban_share": float(np.mean(area == 1)),
            "sex_ratio": float(np.sum(sex == 1) / np.sum(sex == 2)),
            "share_under_15": float(np.mean(age < 15)),
            "share_15_64": float(np.mean((age >= 15) & (age < 65))),
            "share_65_plus": float(np.mean(age >= 65)),
            "mean_age": float(age.mean()),
            "by_sex": {str(s): int(np.sum(sex == s)) for s in sexes},
            "by_county": {str(c): int(np.sum(county == c)) for c in counties},
            "by_county_sex": population_by_county_sex,
            "by_stratum": {
                str(s): int(n)
                for s, n in zip(
                    *np.unique(np.asarray(persons["stratum"]), return_counts=True), strict=True
                )
            },
            "by_age_group": {
                f"{low}-{low + 4}": int(np.sum((age >= low) & (age <= low + 4)))
                for low in range(0, 100, 5)
            },
        },
        "literacy_rate_6_plus": float(np.mean(literacy[six_plus] == 1)),
        "labour": {
            "overall": labour(everyone),
            "by_sex": {str(s): labour(sex == s) for s in sexes},
            "by_area": {str(a): labour(area == a) for a in (1, 2)},
            "by_county": {str(c): labour(county == c) for c in counties},
            "by_county_sex": {
                str(c): {str(s): labour((county == c) & (sex == s)) for s in sexes}
                for c in counties
            },
            "by_age_group": {
                label: labour((age >= low) & (age <= high))
                for label, low, high in (
                    ("15-24", 15, 24),
                    ("25-34", 25, 34),
                    ("35-44", 35, 44),
                    ("45-54", 45, 54),
                    ("55-64", 55, 64),
                    ("65+", 65, 200),
                )
            },
        },
        "income_rials": {
            "overall": money(everyone),
            "median_employed": float(np.median(income[employed])) if employed.any() else None,
            "by_sex": {str(s): money(sex == s) for s in sexes},
            "by_county": {str(c): money(county == c) for c in counties},
        },
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (JSON null) for an empty domain."""
    return float(numerator) / float(denominator) if denominator else None
