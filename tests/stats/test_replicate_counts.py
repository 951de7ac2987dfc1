"""``n`` of a replicate design's estimates counts rows of non-zero weight, as Taylor's."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from amargah.stats import Design


def _sample() -> pa.Table:
    rng = np.random.default_rng(8)
    rows = 240
    weight = rng.uniform(1, 3, rows)
    weight[::7] = 0.0  # nonrespondents kept with weight zero
    return pa.table(
        {
            "stratum": np.repeat(np.arange(6), 40),
            "psu": np.repeat(np.arange(12), 20),
            "w": weight,
            "y": rng.normal(10, 2, rows),
            "g": rng.choice(["a", "b", "c"], rows),
            "rw1": weight * rng.uniform(0.5, 1.5, rows),
            "rw2": weight * rng.uniform(0.5, 1.5, rows),
            "rw3": weight * rng.uniform(0.5, 1.5, rows),
        }
    )


@pytest.mark.parametrize("variance", ["jkn", "brr", "bootstrap", "columns"])
def test_n_counts_rows_of_non_zero_weight(variance: str) -> None:
    data = _sample()
    taylor = Design(data, ids="psu", strata="stratum", weights="w")
    if variance == "columns":
        design = taylor.with_replicate_weights(["rw1", "rw2", "rw3"], method="bootstrap")
    else:
        design = taylor.replicate(variance)  # type: ignore[arg-type]
    positive = int(np.count_nonzero(np.asarray(data.column("w")) > 0))
    assert positive < data.num_rows
    for estimates, expected in (
        (design.mean("y"), taylor.mean("y")),
        (design.total("y", by="g"), taylor.total("y", by="g")),
        (design.proportion("g"), taylor.proportion("g")),
    ):
        assert [row.n for row in estimates] == [row.n for row in expected]
    assert design.mean("y").rows[0].n == positive
