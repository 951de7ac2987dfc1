"""One-stage selection: SRS, systematic and systematic PPS."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from amargah.stats.sampling import inclusion_probabilities, pps_systematic, srs, systematic


def _frame(rows: int = 50) -> pa.Table:
    rng = np.random.default_rng(11)
    return pa.table(
        {
            "unit": np.arange(rows),
            "size": rng.integers(50, 400, size=rows),
            "region": rng.integers(1, 4, size=rows),
        }
    )


def test_srs_takes_n_distinct_rows_with_design_columns() -> None:
    frame = _frame()
    sample = srs(frame, 12, seed=3)
    units = sample["unit"].to_pylist()
    assert len(set(units)) == 12
    assert units == sorted(units)  # frame order
    assert sample["prob"].to_pylist() == [12 / 50] * 12
    assert sample["weight"].to_numpy().sum() == pytest.approx(50)
    assert sample["fpc"].to_pylist() == [50] * 12


def test_srs_gives_every_unit_probability_n_over_n() -> None:
    frame = _frame(20)
    rng = np.random.default_rng(2024)
    hits = np.zeros(20)
    draws = 4000
    for _ in range(draws):
        hits[srs(frame, 5, seed=rng)["unit"].to_numpy()] += 1
    # Binomial SE of a frequency near 0.25 over 4000 draws is 0.0068; allow 4.5 SE.
    np.testing.assert_allclose(hits / draws, 0.25, atol=0.031)


def test_selection_is_deterministic_under_a_seed() -> None:
    frame = _frame()
    assert srs(frame, 10, seed=7).equals(srs(frame, 10, seed=7))
    assert not srs(frame, 10, seed=7).equals(srs(frame, 10, seed=8))
    assert systematic(frame, 10, seed=7).equals(systematic(frame, 10, seed=7))
    first = pps_systematic(frame, 10, size="size", seed=7)
    assert first.equals(pps_systematic(frame, 10, size="size", seed=7))
    assert not first.equals(pps_systematic(frame, 10, size="size", seed=9))


def test_systematic_reads_the_frame_at_a_fixed_interval() -> None:
    frame = _frame(100)
    sample = systematic(frame, 8, seed=5)
    gaps = np.diff(sample["unit"].to_numpy())
    assert sample.num_rows == 8
    assert set(gaps.tolist()) <= {12, 13}  # interval 100/8 = 12.5
    assert sample["prob"].to_pylist() == [0.08] * 8


def test_systematic_with_sort_by_spreads_the_sample_over_the_sort_key() -> None:
    frame = _frame(90)
    sample = systematic(frame, 9, seed=1, sort_by="region")
    counts = np.bincount(sample["region"].to_numpy(), minlength=4)[1:]
    expected = np.bincount(frame["region"].to_numpy(), minlength=4)[1:] * 9 / 90
    assert np.all(np.abs(counts - expected) < 1)  # implicit stratification


def test_inclusion_probabilities_sum_to_n_and_take_large_units_with_certainty() -> None:
    sizes = np.array([5000, 2600, 40, 80, 120, 60, 90, 300, 50, 70])
    probs = inclusion_probabilities(sizes, 4)
    assert probs.sum() == pytest.approx(4)
    assert probs[0] == 1.0 and probs[1] == 1.0  # 5000 ≥ 8470/4, then 2600 ≥ 3470/3
    rest = sizes[2:]
    np.testing.assert_allclose(probs[2:], 2 * rest / rest.sum())
    assert np.all(probs <= 1)


def test_pps_systematic_hits_the_inclusion_probabilities_in_repeated_draws() -> None:
    frame = _frame(30)
    sizes = frame["size"].to_numpy().astype(float)
    sizes[4] = sizes.sum()  # a certainty unit
    frame = frame.set_column(1, "size", pa.array(sizes))
    expected = inclusion_probabilities(sizes, 6)
    assert expected[4] == 1.0
    rng = np.random.default_rng(1405)
    hits = np.zeros(30)
    draws = 5000
    for _ in range(draws):
        sample = pps_systematic(frame, 6, size="size", seed=rng)
        assert sample.num_rows == 6
        hits[sample["unit"].to_numpy()] += 1
        np.testing.assert_allclose(sample["prob"].to_numpy(), expected[sample["unit"].to_numpy()])
    # The largest binomial SE over 5000 draws is 0.0071; allow 4.5 SE.
    np.testing.assert_allclose(hits / draws, expected, atol=0.032)
    assert hits[4] == draws


def test_pps_design_weights_estimate_the_frame_total_without_bias() -> None:
    frame = _frame(40)
    sizes = frame["size"].to_numpy().astype(float)
    y = 3.0 * sizes + np.arange(40)  # a variable roughly proportional to size
    frame = frame.append_column("y", pa.array(y))
    rng = np.random.default_rng(99)
    totals = [
        float(np.sum(s["y"].to_numpy() * s["weight"].to_numpy()))
        for s in (pps_systematic(frame, 8, size="size", seed=rng) for _ in range(3000))
    ]
    assert np.mean(totals) == pytest.approx(y.sum(), rel=0.01)


def test_suffix_names_the_design_columns_of_a_stage() -> None:
    frame = _frame()
    first = pps_systematic(frame, 5, size="size", seed=1, suffix="1")
    assert {"prob1", "weight1", "fpc1"} <= set(first.column_names)
    second = srs(first, 2, seed=1, suffix="2")
    assert {"prob1", "prob2", "fpc2"} <= set(second.column_names)
    with pytest.raises(ValueError, match="already has a column 'prob1'"):
        srs(first, 2, seed=1, suffix="1")


def test_n_larger_than_the_frame_is_refused() -> None:
    with pytest.raises(ValueError, match=r"n=51 is larger than the frame, which has 50 units"):
        srs(_frame(), 51, seed=1)
    with pytest.raises(ValueError, match="n=51"):
        systematic(_frame(), 51, seed=1)


def test_non_positive_sizes_are_refused_naming_the_column_and_rows() -> None:
    frame = _frame(10)
    sizes = frame["size"].to_numpy().copy()
    sizes[[3, 7]] = [0, -5]
    bad = frame.set_column(1, "size", pa.array(sizes))
    with pytest.raises(ValueError, match=r"size column 'size' .* rows 3 \(0\), 7 \(-5\)"):
        pps_systematic(bad, 2, size="size", seed=1)


def test_missing_or_null_size_column_is_refused() -> None:
    frame = _frame(10)
    with pytest.raises(ValueError, match="no size column 'households'"):
        pps_systematic(frame, 2, size="households", seed=1)
    nulls = frame.set_column(1, "size", pa.array([1, None, 3, 4, 5, 6, 7, None, 9, 10]))
    with pytest.raises(ValueError, match="'size' has 2 missing values, at rows 1, 7"):
        pps_systematic(nulls, 2, size="size", seed=1)


def test_a_frame_that_is_not_an_arrow_table_is_refused() -> None:
    with pytest.raises(TypeError, match="pyarrow Table"):
        srs({"unit": [1, 2, 3]}, 1, seed=1)
