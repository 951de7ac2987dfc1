"""Census cross-tabulation with margins, checked against a direct count in numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amargah.stats import SurveyInputError
from amargah.stats.tabulation import crosstab


@pytest.fixture(scope="module")
def people() -> pa.Table:
    rng = np.random.default_rng(7)
    size = 5000
    sex = rng.integers(1, 3, size)
    county = rng.integers(1, 9, size)
    age_group = rng.integers(0, 5, size).astype(object)
    age_group[rng.random(size) < 0.02] = None  # genuinely missing, not a margin
    return pa.table(
        {
            "county": county,
            "sex": sex,
            "age_group": pa.array(age_group.tolist(), type=pa.int64()),
            "w": rng.uniform(5, 30, size),
            "income": rng.lognormal(10, 1, size),
        }
    )


def test_every_margin_matches_a_direct_count(people: pa.Table) -> None:
    table = crosstab(people, by=["county", "sex", "age_group"], weights="w", values=["income"])
    data = {name: np.array(people[name].to_pylist(), dtype=object) for name in people.column_names}
    # 8 counties × 2 sexes × 6 age groups (5 and missing) and all margins.
    assert table.table.num_rows == (8 + 1) * (2 + 1) * (6 + 1)
    for row in table.table.to_pylist():
        mask = np.ones(people.num_rows, dtype=bool)
        for column in ("county", "sex", "age_group"):
            if not row[f"total_{column}"]:
                mask &= np.array([v == row[column] for v in data[column]])
        assert row["n"] == mask.sum()
        weights = data["w"][mask].astype(float)
        assert row["weighted"] == pytest.approx(weights.sum())
        assert row["sum_income"] == pytest.approx(
            (weights * data["income"][mask].astype(float)).sum()
        )


def test_a_missing_value_is_not_a_margin(people: pa.Table) -> None:
    table = crosstab(people, by=["age_group"])
    rows = [r for r in table.table.to_pylist() if r["age_group"] is None]
    # One row for the missing age group, one for the grand total: told apart by the flag.
    assert sorted(r["total_age_group"] for r in rows) == [False, True]
    missing_count = sum(v is None for v in people["age_group"].to_pylist())
    assert [r["n"] for r in rows if not r["total_age_group"]] == [missing_count]
    assert table.cell()["n"] == people.num_rows


def test_without_margins_only_the_full_cross(people: pa.Table) -> None:
    table = crosstab(people, by=["county", "sex"], margins=False)
    assert table.table.num_rows == 16
    assert sum(table.table["n"].to_pylist()) == people.num_rows


def test_where_restricts_rows_and_reads_parquet(people: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    pq.write_table(people, path)
    table = crosstab(path, by=["sex"], where="county = 3")
    expected = sum(1 for c in people["county"].to_pylist() if c == 3)
    assert table.cell()["n"] == expected


def test_bad_input_names_the_column(people: pa.Table) -> None:
    with pytest.raises(SurveyInputError, match="'region'"):
        crosstab(people, by=["region"])
    with pytest.raises(SurveyInputError, match=r"'sex'.*numeric"):
        crosstab(
            people.set_column(1, "sex", pa.array(["m"] * people.num_rows)),
            by=["county"],
            values=["sex"],
        )
    negative = people.set_column(3, "w", pa.array([1.0, -2.0] + [1.0] * (people.num_rows - 2)))
    with pytest.raises(SurveyInputError, match=r"'w'.*first offending rows: 2\)"):
        crosstab(negative, by=["sex"], weights="w")
