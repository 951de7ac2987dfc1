"""Degrees of freedom of domains of jackknife designs: the rank of their replicate weights.

R's ``svyby`` over a replicate design takes each domain's subset and its ``degf``: the
rank of the replicate weights of the subset's rows, less one. Amargah computes it in
closed form for delete-one jackknives; here it is checked against the rank of the
replicate weight matrix built row by row from the jackknife's definition.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from amargah.stats import Design


def _sample(seed: int) -> tuple[pa.Table, list[tuple[int, int]]]:
    """Rows of 6 strata with 2-4 PSUs; the domain of each row is drawn per PSU."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[object]] = {"stratum": [], "psu": [], "w": [], "y": [], "d": []}
    psus: list[tuple[int, int]] = []
    for h in range(6):
        for j in range(int(rng.integers(2, 5))):
            psus.append((h, j))
            # some PSUs hold one domain only, others several
            levels = rng.choice(["a", "b", "c"], size=int(rng.integers(1, 4)), replace=False)
            for _ in range(5):
                rows["stratum"].append(h)
                rows["psu"].append(h * 10 + j)
                rows["w"].append(float(rng.uniform(1, 3)))
                rows["y"].append(float(rng.normal(10, 2)))
                rows["d"].append(str(rng.choice(levels)))
    return pa.table(rows), psus


def _jackknife_rank_df(
    table: pa.Table, psus: list[tuple[int, int]], rows: np.ndarray, *, stratified: bool
) -> float:
    """Rank minus one of the replicate weights of ``rows``, from the jackknife's definition."""
    stratum = np.asarray(table.column("stratum"))
    psu = np.asarray(table.column("psu"))
    weight = np.asarray(table.column("w"))
    size: dict[int, int] = {}
    for h, _ in psus:
        size[h] = size.get(h, 0) + 1
    matrix = np.zeros((int(rows.sum()), len(psus)))
    for r, (h, j) in enumerate(psus):
        dropped = h * 10 + j
        if stratified:
            same = stratum[rows] == h
            factor = np.where(same, size[h] / (size[h] - 1), 1.0)
        else:
            factor = np.full(int(rows.sum()), len(psus) / (len(psus) - 1))
        factor = np.where(psu[rows] == dropped, 0.0, factor)
        matrix[:, r] = weight[rows] * factor
    return float(np.linalg.matrix_rank(matrix, tol=1e-9 * np.abs(matrix).max()) - 1)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("method", ["jkn", "jk1"])
def test_domain_df_is_the_rank_of_its_replicate_weights(seed: int, method: str) -> None:
    table, psus = _sample(seed)
    if method == "jkn":
        design = Design(table, ids="psu", strata="stratum", weights="w").replicate("jkn")
    else:
        design = Design(table, ids="psu", weights="w").replicate("jk1")
    estimates = design.quantile("y", [0.5], by="d")
    domain = np.asarray(table.column("d"))
    seen = 0
    for level in np.unique(domain):
        row = estimates.find(domain={"d": str(level)})
        expected = _jackknife_rank_df(table, psus, domain == level, stratified=method == "jkn")
        assert row.df == expected, (level, row.df, expected)
        seen += 1
    assert seen == 3
    whole = design.quantile("y", [0.5])
    assert whole.rows[0].df == _jackknife_rank_df(
        table, psus, np.ones(table.num_rows, dtype=bool), stratified=method == "jkn"
    )


def test_domain_df_of_half_samples_is_the_rank_of_its_psus_multipliers() -> None:
    # 4 strata of 2 PSUs; domain x in one PSU, y in one PSU of each of two strata,
    # z in every PSU
    table = pa.table(
        {
            "stratum": [h for h in range(4) for _ in range(4)],
            "psu": [h * 10 + j for h in range(4) for j in (0, 0, 1, 1)],
            "w": [1.0 + (i % 3) for i in range(16)],
            "y": [float(i) for i in range(16)],
            "d": ["x", "z", "z", "z", "y", "z", "z", "z", "z", "y", "z", "z"] + ["z"] * 4,
        }
    )
    design = Design(table, ids="psu", strata="stratum", weights="w").replicate("brr")
    estimates = design.quantile("y", [0.5], by="d")
    # one PSU: one distinct replicate weight vector, rank 1
    assert estimates.find(domain={"d": "x"}).df == 0
    # two PSUs of different strata: their half-sample columns are independent
    assert estimates.find(domain={"d": "y"}).df == 1
    assert estimates.find(domain={"d": "z"}).df == design.quantile("y", [0.5]).rows[0].df
