"""Stratified allocation: proportional, Neyman and optimal, with bounds and rounding."""

from __future__ import annotations

import numpy as np
import pytest

from amargah.stats.sampling import allocate, allocate_continuous

# Reference allocations published with the R package `stratallo` (Wójciak, CRAN),
# README "Examples": N = (3000, 4000, 5000, 2000), S = (48, 79, 76, 16), n = 190.
# opt(n, A = N*S) gives 31.376147 68.853211 82.798165 6.972477 (Tschuprow-Neyman), and
# with upper bounds M = (100, 90, 70, 80) it gives 35.121951 77.073171 70.000000 7.804878.
STRATALLO_N = [3000, 4000, 5000, 2000]
STRATALLO_S = [48, 79, 76, 16]


def test_neyman_matches_the_published_unconstrained_allocation() -> None:
    continuous = allocate_continuous(STRATALLO_N, 190, method="neyman", sd=STRATALLO_S)
    np.testing.assert_allclose(continuous, [31.376147, 68.853211, 82.798165, 6.972477], rtol=1e-6)
    # Largest remainders .972, .853, .798 get the three spare units.
    assert allocate(STRATALLO_N, 190, method="neyman", sd=STRATALLO_S).tolist() == [31, 69, 83, 7]


def test_neyman_with_caps_matches_the_published_upper_bounded_allocation() -> None:
    # Our upper bound is the stratum size, so express stratallo's bounds M as stratum
    # sizes and keep A_h = N_h S_h unchanged by scaling the standard deviations.
    caps = [100, 90, 70, 80]
    sd = [n * s / m for n, s, m in zip(STRATALLO_N, STRATALLO_S, caps, strict=True)]
    continuous = allocate_continuous(caps, 190, method="neyman", sd=sd)
    np.testing.assert_allclose(continuous, [35.121951, 77.073171, 70.0, 7.804878], rtol=1e-6)
    assert allocate(caps, 190, method="neyman", sd=sd).tolist() == [35, 77, 70, 8]


def test_neyman_textbook_formula_when_no_bound_binds() -> None:
    # Neyman's allocation as in Cochran (1977), Sampling Techniques, 3rd ed., ch. 5:
    # n_h = n N_h S_h / Σ N_h S_h, on a small illustrative population.
    sizes = {"A": 155, "B": 62, "C": 93}
    sd = {"A": 5.0, "B": 15.0, "C": 10.0}
    expected = {k: 60 * sizes[k] * sd[k] / sum(sizes[j] * sd[j] for j in sizes) for k in sizes}
    continuous = allocate_continuous(sizes, 60, method="neyman", sd=sd)
    np.testing.assert_allclose(continuous, [expected[k] for k in sizes])
    result = allocate(sizes, 60, method="neyman", sd=sd)
    assert sum(result.values()) == 60
    assert all(abs(result[k] - expected[k]) < 1 for k in sizes)


def test_optimal_allocation_divides_by_the_root_of_the_cost() -> None:
    sizes = [400, 300, 200, 100]
    sd = [10.0, 15.0, 20.0, 30.0]
    cost = [1.0, 4.0, 9.0, 16.0]
    score = np.array(sizes) * np.array(sd) / np.sqrt(cost)
    continuous = allocate_continuous(sizes, 100, method="optimal", sd=sd, cost=cost)
    np.testing.assert_allclose(continuous, 100 * score / score.sum())
    neyman = allocate(sizes, 100, method="neyman", sd=sd)
    optimal = allocate(sizes, 100, method="optimal", sd=sd, cost=cost)
    # Expensive strata get fewer units than under Neyman allocation.
    assert optimal[3] < neyman[3]
    assert optimal[0] > neyman[0]


def test_proportional_allocation_keeps_labels_and_sums_to_n() -> None:
    sizes = {"urban": 7001, "rural": 1999, "nomad": 1000}
    result = allocate(sizes, 101)
    assert list(result) == ["urban", "rural", "nomad"]
    assert result == {"urban": 71, "rural": 20, "nomad": 10}


def test_minimum_per_stratum_and_caps_are_respected() -> None:
    sizes = [10_000, 5_000, 40, 3]
    result = allocate(sizes, 200, minimum=5)
    assert result.sum() == 200
    assert result[3] == 3  # a stratum smaller than the minimum is taken whole
    assert result[2] == 5  # proportional share 0.5 is lifted to the minimum
    assert result[0] > result[1] > result[2]

    capped = allocate([10, 1000], 500, method="neyman", sd=[1000.0, 1.0])
    assert capped.tolist() == [10, 490]


def test_zero_sd_strata_still_receive_units_when_the_others_are_full() -> None:
    result = allocate([5, 100, 300], 50, method="neyman", sd=[3.0, 0.0, 0.0], minimum=0)
    assert result.tolist() == [5, 11, 34]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stratum_sizes": [10, 20], "n": 31}, "larger than the 30 units"),
        ({"stratum_sizes": [10, 20, 30], "n": 5, "minimum": 2}, "minimum of 2"),
        ({"stratum_sizes": [10, -2], "n": 5}, "must not be negative"),
        ({"stratum_sizes": [10, 20], "n": 5, "method": "neyman"}, "needs sd="),
        ({"stratum_sizes": [10, 20], "n": 5, "method": "optimal", "sd": [1, 2]}, "needs cost="),
        (
            {"stratum_sizes": {"a": 10, "b": 20}, "n": 5, "method": "neyman", "sd": {"a": 1}},
            "no value for strata ['b']",
        ),
        (
            {"stratum_sizes": [10, 20], "n": 5, "method": "optimal", "sd": [1, 2], "cost": [1, 0]},
            "cost must be finite and positive",
        ),
        ({"stratum_sizes": [10, 20], "n": 5, "method": "equal"}, "method must be one of"),
    ],
)
def test_bad_allocation_input_is_refused_with_a_clear_message(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        allocate(**kwargs)
