"""Cell-key perturbation.

Golden values: for ``D = 1, V = 0.5`` the perturbation table has a single solution,
worked by hand: the noise takes -1, 0, +1; zero mean makes p(-1) = p(+1) = q and the
variance 2q = 0.5 gives q = 0.25, p(0) = 0.5 (for count 1 too: targets 0, 1, 2). The
lookup follows R cellKey/ptable's convention: row ``i``'s cumulative probabilities
split [0, 1) into intervals in the order of the noise, and the cell key picks one. The
constraints checked on larger tables are those ptable's ``pt_check`` verifies
(ptable 1.0 documentation, ``create_cnt_ptable``): maximum noise ``D``, unbiased, fixed
variance ``V`` where reachable, no published count in ``1..js``, rows summing to one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from amargah.stats.disclosure.cellkey import (
    cell_keys,
    integer_keys,
    perturbed_crosstab,
    ptable,
)
from amargah.stats.errors import SurveyInputError


def test_hand_worked_ptable_and_lookup() -> None:
    table = ptable(D=1, V=0.5)
    for count in (1, 2, 50):
        assert table.row(count) == pytest.approx([0.25, 0.5, 0.25], abs=1e-6)
    assert list(table.row(0)) == [0.0, 1.0, 0.0]
    keys = np.array([0.1, 0.2499, 0.25, 0.6, 0.75, 0.99])
    counts = np.full(keys.size, 40)
    assert list(table.perturb(counts, keys)) == [39, 39, 40, 40, 41, 41]
    # empty cells stay empty whatever their key
    assert list(table.perturb(np.array([0, 0]), np.array([0.01, 0.99]))) == [0, 0]


@pytest.mark.parametrize(("D", "V", "js"), [(2, 1.0, 0), (3, 2.0, 2), (4, 3.0, 1)])
def test_ptable_constraints(D: int, V: float, js: int) -> None:
    table = ptable(D=D, V=V, js=js)
    noise = np.arange(-D, D + 1)
    for i in range(table.rows):
        row = table.row(i)
        assert row.sum() == pytest.approx(1.0)
        assert row @ noise == pytest.approx(0.0, abs=1e-6)  # unbiased
        published = i + noise[row > 1e-9]
        assert np.all(published >= 0)
        assert not np.any((published >= 1) & (published <= js))
        if i > D + js:
            assert row @ (noise * noise) == pytest.approx(V, abs=1e-6)


def test_cell_key_is_the_fractional_part_of_the_key_sum() -> None:
    keys = np.array([0.75, 0.5, 0.125])
    assert cell_keys(np.array([integer_keys(keys).sum()]))[0] == pytest.approx(0.375)


def test_same_cell_same_noise_in_every_table() -> None:
    rng = np.random.default_rng(1)
    n = 5000
    data = pa.table(
        {
            "county": rng.integers(1, 5, n),
            "sex": rng.integers(1, 3, n),
            "age": rng.integers(0, 6, n),
            "record_key": rng.random(n),
        }
    )
    table = ptable(D=3, V=2.0, js=2)
    by_sex = perturbed_crosstab(data, ["county", "sex"], record_key="record_key", table=table)
    by_age = perturbed_crosstab(data, ["county", "age"], record_key="record_key", table=table)
    again = perturbed_crosstab(data, ["county", "sex"], record_key="record_key", table=table)
    assert by_sex.table.equals(again.table)

    def county_totals(result: pa.Table, other: str) -> dict[int, tuple[int, float]]:
        rows = [r for r in result.to_pylist() if r["margin"] == other]
        return {r["county"]: (r["count"], r["cell_key"]) for r in rows}

    assert county_totals(by_sex.table, "sex") == county_totals(by_age.table, "age")
    # the perturbation really moves some cells, never by more than D, and no published
    # count falls in 1..js
    original = {(r["county"], r["sex"]): 0 for r in by_sex.table.to_pylist()}
    for c, s in zip(data["county"].to_pylist(), data["sex"].to_pylist(), strict=True):
        original[(c, s)] += 1
    inner = [r for r in by_sex.table.to_pylist() if r["margin"] == ""]
    moved = [r["count"] - original[(r["county"], r["sex"])] for r in inner]
    assert any(moved)
    assert all(abs(m) <= 3 for m in moved)
    assert all(r["count"] == 0 or r["count"] > 2 for r in by_sex.table.to_pylist())


def test_cell_key_of_a_cell_matches_its_records() -> None:
    data = pa.table({"g": [1, 1, 2], "record_key": [0.75, 0.5, 0.2]})
    result = perturbed_crosstab(data, "g", record_key="record_key", table=ptable(D=1, V=0.5))
    keys = {r["g"]: r["cell_key"] for r in result.table.to_pylist()}
    assert keys[1] == pytest.approx(0.25)
    assert keys[2] == pytest.approx(0.2)
    assert keys[None] == pytest.approx(0.45)


def test_integer_record_keys_give_the_same_table() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    groups = rng.integers(1, 6, n)
    keys = rng.random(n)
    table = ptable(D=2, V=1.0, js=1)
    as_float = perturbed_crosstab(
        pa.table({"g": groups, "record_key": keys}), "g", record_key="record_key", table=table
    )
    as_int = perturbed_crosstab(
        pa.table({"g": groups, "record_key": integer_keys(keys)}),
        "g",
        record_key="record_key",
        table=table,
    )
    assert as_float.table.equals(as_int.table)
    with pytest.raises(SurveyInputError, match="record keys"):
        perturbed_crosstab(
            pa.table({"g": groups, "record_key": ["x"] * n}),
            "g",
            record_key="record_key",
            table=table,
        )
