"""Cell-key tables from a census aggregated once equal the tables from its records.

The builder (and the national bench) read the census once into its finest cells, each
with its number of records and its record keys' sum modulo 2**32; every table is then
derived from those cells. Counts and key sums add up, so every cell, margins included,
must get exactly the count and the noise the records give.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amargah.stats.disclosure.cellkey import (
    KEY_SUM,
    RECORDS,
    aggregate_keys,
    integer_keys,
    perturbed_crosstab,
    ptable,
)
from amargah.stats.engine import DuckDBEngine
from amargah.stats.errors import SurveyInputError

VARIABLES = ("county", "sex", "age_group", "education")


def census(n: int = 30_000, *, integer: bool = False) -> pa.Table:
    rng = np.random.default_rng(5)
    keys = rng.random(n)
    return pa.table(
        {
            "county": pa.array(rng.integers(1, 9, n), type=pa.int16()),
            "sex": pa.array(rng.integers(1, 3, n), type=pa.int8()),
            "age_group": pa.array(rng.integers(0, 18, n), type=pa.int8()),
            "education": pa.array(
                [None if v == 0 else int(v) for v in rng.integers(0, 8, n)], type=pa.int8()
            ),
            "activity": pa.array(rng.integers(1, 4, n), type=pa.int8()),
            "record_key": pa.array(integer_keys(keys)) if integer else pa.array(keys),
        }
    )


@pytest.mark.parametrize("integer", [False, True], ids=["keys in [0,1)", "integer keys"])
def test_every_table_from_the_aggregate_equals_the_table_from_the_records(
    tmp_path: Path, integer: bool
) -> None:
    data = census(integer=integer)
    path = tmp_path / "census.parquet"
    pq.write_table(data, path)
    engine = DuckDBEngine(threads=2)
    table = ptable(D=3, V=2.0, js=2)
    aggregate = aggregate_keys(path, [*VARIABLES, "activity"], record_key="record_key")
    assert aggregate.num_rows < data.num_rows
    assert sum(aggregate[RECORDS].to_pylist()) == data.num_rows
    moved = 0
    for size in (1, 2, 4):
        for variables in combinations(VARIABLES, size):
            from_records = perturbed_crosstab(
                path,
                list(variables),
                record_key="record_key",
                table=table,
                engine=engine,
                keep_original=True,
            )
            from_aggregate = perturbed_crosstab(
                aggregate,
                list(variables),
                record_key=KEY_SUM,
                count=RECORDS,
                table=table,
                engine=engine,
                keep_original=True,
            )
            assert from_aggregate.table.equals(from_records.table), variables
            rows = from_records.table.to_pylist()
            moved += sum(r["count"] != r["original"] for r in rows)
    assert moved > 0  # the tables compared are really perturbed


def test_aggregate_refuses_float_key_sums_and_reserved_names() -> None:
    data = census(200)
    aggregate = aggregate_keys(data, ["county"], record_key="record_key")
    floats = aggregate.set_column(
        aggregate.schema.get_field_index(KEY_SUM), KEY_SUM, aggregate[KEY_SUM].cast(pa.float64())
    )
    with pytest.raises(SurveyInputError, match="key sums of an aggregate must be integers"):
        perturbed_crosstab(
            floats, ["county"], record_key=KEY_SUM, count=RECORDS, table=ptable(D=1, V=0.5)
        )
    with pytest.raises(SurveyInputError, match="reserved"):
        aggregate_keys(data.append_column(RECORDS, data["sex"]), [RECORDS], record_key="record_key")
