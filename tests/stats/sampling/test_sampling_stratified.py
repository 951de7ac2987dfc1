"""Stratified selection: allocation, selection within strata and design columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from amargah.stats.sampling import allocate, stratified


def _frame() -> pa.Table:
    rng = np.random.default_rng(5)
    county = np.repeat(["Semnan", "Shahrud", "Aradan"], [600, 300, 100])
    return pa.table(
        {
            "id": np.arange(1000),
            "county": county,
            "households": rng.integers(100, 300, size=1000),
        }
    )


def _per_stratum(sample: pa.Table, column: str) -> dict[str, float]:
    grouped = sample.group_by("stratum").aggregate([(column, "sum")])
    return dict(
        zip(grouped["stratum"].to_pylist(), grouped[f"{column}_sum"].to_pylist(), strict=True)
    )


def test_proportional_srs_within_strata() -> None:
    frame = _frame()
    sample = stratified(frame, 50, strata="county", seed=1)
    counts = dict(
        zip(
            *np.unique(sample["stratum"].to_numpy(zero_copy_only=False), return_counts=True),
            strict=True,
        )
    )
    assert counts == {"Aradan": 5, "Semnan": 30, "Shahrud": 15}
    # Weights add up to the stratum sizes, and fpc is the stratum size.
    assert _per_stratum(sample, "weight") == pytest.approx(
        {"Aradan": 100, "Semnan": 600, "Shahrud": 300}
    )
    fpc = dict(zip(sample["stratum"].to_pylist(), sample["fpc"].to_pylist(), strict=True))
    assert fpc == {"Aradan": 100, "Semnan": 600, "Shahrud": 300}
    assert sample["id"].to_pylist() == sorted(sample["id"].to_pylist())


def test_neyman_allocation_by_stratum_sd_is_used() -> None:
    frame = _frame()
    sd = {"Semnan": 1.0, "Shahrud": 1.0, "Aradan": 9.0}
    sample = stratified(frame, 60, strata="county", seed=2, allocation="neyman", sd=sd)
    expected = allocate({"Aradan": 100, "Semnan": 600, "Shahrud": 300}, 60, method="neyman", sd=sd)
    counts = pc.value_counts(sample["stratum"]).to_pylist()
    assert {c["values"]: c["counts"] for c in counts} == expected
    assert expected["Aradan"] == 30


def test_explicit_sizes_per_stratum_with_pps_selection() -> None:
    frame = _frame()
    sizes = {"Semnan": 10, "Shahrud": 6, "Aradan": 2}
    sample = stratified(frame, sizes, strata="county", seed=3, method="pps", size="households")
    assert sample.num_rows == 18
    # Within each stratum the probabilities are n_h M_i / M_h.
    for county, n_h in sizes.items():
        rows = sample.filter(pc.equal(sample["county"], county))
        total = pc.sum(frame.filter(pc.equal(frame["county"], county))["households"]).as_py()
        np.testing.assert_allclose(
            rows["prob"].to_numpy(), n_h * rows["households"].to_numpy() / total
        )


def test_systematic_selection_within_strata_and_determinism() -> None:
    frame = _frame()
    first = stratified(
        frame, 40, strata="county", seed=4, method="systematic", sort_by="households"
    )
    again = stratified(
        frame, 40, strata="county", seed=4, method="systematic", sort_by="households"
    )
    assert first.equals(again)
    other = stratified(
        frame, 40, strata="county", seed=5, method="systematic", sort_by="households"
    )
    assert not first.equals(other)
    assert first.num_rows == 40


def test_stratum_column_is_not_repeated_when_already_named_stratum() -> None:
    frame = _frame().rename_columns(["id", "stratum", "households"])
    sample = stratified(frame, 10, strata="stratum", seed=1)
    assert sample.column_names == ["id", "stratum", "households", "prob", "weight", "fpc"]


def test_missing_strata_column_and_bad_sizes_are_refused() -> None:
    frame = _frame()
    with pytest.raises(ValueError, match="no strata column 'province'"):
        stratified(frame, 10, strata="province", seed=1)
    with pytest.raises(ValueError, match=r"'Aradan': n=101 > N=100"):
        stratified(frame, {"Semnan": 1, "Shahrud": 1, "Aradan": 101}, strata="county", seed=1)
    with pytest.raises(ValueError, match=r"no sample size is given for strata \['Shahrud'\]"):
        stratified(frame, {"Semnan": 1, "Aradan": 1}, strata="county", seed=1)
    with pytest.raises(ValueError, match="needs size="):
        stratified(frame, 10, strata="county", seed=1, method="pps")
    nulls = frame.set_column(1, "county", pa.array([None, *frame["county"].to_pylist()[1:]]))
    with pytest.raises(ValueError, match="strata column 'county' has 1 missing values, at rows 0"):
        stratified(nulls, 10, strata="county", seed=1)
