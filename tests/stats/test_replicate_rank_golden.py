"""Degrees of freedom of raked replicate designs: the rank R's ``qr(tol = 1e-5)`` finds.

Reference numbers: tests/golden/replicate_rank.json, written by
tests/golden/R/replicate_rank.R from synthetic data (160 units in three strata, each its
own PSU or PSUs of one to three rows) raked with R's default stopping rule, which
leaves some replicate weight columns nearly, not quite, combinations of others. The
rank rule is also checked against a plain Householder QR with R's pivoting (LINPACK
``dqrdc2``) written out here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pa_csv
import pytest

from amargah.stats import Design
from amargah.stats.estimation.replication import (
    RowFactor,
    _pairs_gram,
    grouped_df,
    psu_multipliers,
    rank_df,
    rank_rows_df,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REFERENCE = json.loads((GOLDEN / "replicate_rank.json").read_text())
DATA = GOLDEN / "data"
RELATIVE = 1e-6


def _close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=1e-12)


def _raked(data: str, ids: str, margins: list[str]) -> Design:
    design = Design(DATA / data, ids=ids, strata="h", weights="w")
    # a margin's file is rank_<name>.csv; its column, the name's last part
    tables = [(m.split("_")[-1], pa_csv.read_csv(DATA / f"rank_{m}.csv")) for m in margins]
    # R's default stopping rule (a change below one person) stops the replicates'
    # raking short of the margins' exact fit
    return design.replicate("jkn").rake(tables)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: "+".join(c["margins"]))
def test_raked_jackknife_has_rs_degrees_of_freedom(case: dict[str, Any]) -> None:
    # the case is one where a threshold on singular values would not give R's rank
    assert case["singular_value_df"] != case["df"]
    design = _raked(case["data"], case["ids"], case["margins"])
    (median,) = design.quantile("y", 0.5)
    assert median.df == case["df"]
    assert _close(median.estimate, case["median"]["estimate"])
    # the SE of a quantile comes from its interval's t quantile: it needs R's df
    assert _close(median.se, case["median"]["se"])
    assert _close(median.ci_lower, case["median"]["ci"][0])
    assert _close(median.ci_upper, case["median"]["ci"][1])
    (mean,) = design.mean("y")
    assert _close(mean.estimate, case["mean"]["estimate"])
    assert _close(mean.se, case["mean"]["se"])


def _assert_domain_medians(design: Design, by: str, reference: list[dict[str, Any]]) -> None:
    """Each domain's median of y, with its df, against R's ``svyby`` rows."""
    rows = {row.domain[by]: row for row in design.quantile("y", 0.5, by=by) if row.domain}
    assert len(rows) == len(reference)
    for expected in reference:
        row = rows[expected[by]]
        assert row.df == expected["df"]
        assert _close(row.estimate, expected["estimate"])
        assert _close(row.se, expected["se"])


def test_each_domain_has_the_rank_of_its_subset_as_in_r() -> None:
    design = _raked("rank_synthetic.csv", "1", ["h", "a"])
    _assert_domain_medians(design, "b", REFERENCE["domains"])


def test_a_domains_rank_weighs_rs_rows_by_their_weights() -> None:
    design = Design(DATA / "rank_weighted.csv", ids="psu", weights="w")
    margins = [(m, pa_csv.read_csv(DATA / f"rank_weighted_{m}.csv")) for m in ("a", "b", "c")]
    raked = design.replicate("jk1").rake(margins)
    (whole,) = raked.quantile("y", 0.5)
    assert whole.df == REFERENCE["weighted_df"]
    _assert_domain_medians(raked, "d", REFERENCE["weighted_domains"])


def test_raked_replicate_columns_have_the_rank_r_recomputes() -> None:
    design = Design(DATA / "rank_supplied.csv", ids="1", weights="w")
    columns = design.with_replicate_weights("rep[0-9]+", method="jk1")
    raked = columns.rake([(m, pa_csv.read_csv(DATA / f"rank_{m}.csv")) for m in ("h", "a")])
    expected = REFERENCE["supplied"]
    # not the full rank of the 160 columns: raking leaves them nearly dependent
    assert expected["df"] < 159
    assert raked.quantile("y", 0.5)[0].df == expected["df"]
    rows = {row.domain["b"]: row.df for row in raked.quantile("y", 0.5, by="b") if row.domain}
    assert rows == {d["b"]: d["df"] for d in expected["domains"]}


def _dqrdc2_rank(matrix: np.ndarray, tol: float = 1e-5) -> int:
    """Rank of ``matrix`` as R's LINPACK QR counts it: Householder steps column by
    column, a column whose remaining norm is below ``tol`` of its first norm moved to
    the end for good."""
    x = matrix.astype(float).copy()
    n, p = x.shape
    original = np.linalg.norm(x, axis=0)
    original[original == 0] = 1.0
    order = list(range(p))
    k = p
    row = 0
    position = 0
    while position < k and row < n:
        column = order[position]
        remaining = np.linalg.norm(x[row:, column])
        if remaining < tol * original[column]:
            order.append(order.pop(position))
            k -= 1
            continue
        v = x[row:, column].copy()
        v[0] += math.copysign(remaining, v[0] if v[0] != 0 else 1.0)
        v /= np.linalg.norm(v)
        rest = [order[i] for i in range(position, p)]
        x[row:, rest] -= 2 * np.outer(v, v @ x[row:, rest])
        row += 1
        position += 1
    return min(k, n)


def _near_dependent(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """Columns of which some are combinations of others plus noise of about 1e-7 to
    1e-3 of their norm: on both sides of R's tolerance."""
    base = rng.normal(size=(rows, columns))
    for j in range(3, columns, 7):
        mix = base[:, rng.integers(0, j, 3)] @ rng.normal(size=3)
        noise = 10.0 ** rng.uniform(-7, -3)
        base[:, j] = mix + noise * np.linalg.norm(mix) / math.sqrt(rows) * rng.normal(size=rows)
    base[:, columns // 2] = 0.0  # a column of zeros is never counted
    return base


@pytest.mark.parametrize(("rows", "columns"), [(120, 40), (300, 150), (90, 130)])
def test_rank_of_the_rows_is_rs_qr_rank(rows: int, columns: int) -> None:
    rng = np.random.default_rng(rows * 1000 + columns)
    matrix = _near_dependent(rng, rows, columns)
    expected = _dqrdc2_rank(matrix) - 1
    assert rank_rows_df(matrix) == expected
    # the rows taken in slices and kept as a triangular factor: the same rank
    factor = RowFactor(columns)
    for start in range(0, rows, 37):
        factor.add(matrix[start : start + 37])
    assert factor.df() == expected
    # rows scaled alike leave R's decisions as they were
    assert rank_rows_df(3.0 * matrix) == expected


def test_grouped_rows_weigh_as_the_data_rows_do() -> None:
    design = Design(DATA / "rank_synthetic.csv", ids="1", strata="h", weights="w")
    scheme = design.replicate("jkn")._replicates()
    multipliers = psu_multipliers(design, scheme)
    rng = np.random.default_rng(7)
    psus = multipliers.shape[1]
    groups = 4
    ratio = 1.0 + 0.01 * rng.normal(size=(multipliers.shape[0], groups))
    # groups of rows of (PSU, group), some pairs twice, with unequal weights; one of
    # zero weight
    psu = np.concatenate([np.arange(psus), rng.integers(0, psus, 60)])
    group = rng.integers(0, groups, psu.size)
    rows = rng.integers(1, 5, psu.size)
    weights = [rng.uniform(10, 40, n) for n in rows]
    weights[5] = np.zeros(rows[5])
    weight = np.array([w.sum() for w in weights])
    squares = np.array([(w**2).sum() for w in weights])
    # R's matrix: one row per data row, its weight times its replicate factors
    row_weight = np.concatenate(weights)
    of = np.repeat(np.arange(psu.size), rows)
    matrix = (multipliers[:, psu[of]] * ratio[:, group[of]] * row_weight).T[row_weight > 0]
    assert grouped_df(design, scheme, psu, group, ratio, weight, squares) == rank_rows_df(matrix)
    # the cross-products used beyond the exact rule's work: the same rows'
    keep = weight > 0
    pairs, inverse = np.unique(psu[keep] * groups + group[keep], return_inverse=True)
    counts = np.bincount(inverse, weights=squares[keep]).astype(float)
    gram = _pairs_gram(multipliers, ratio, pairs, counts)
    np.testing.assert_allclose(gram, matrix.T @ matrix, rtol=1e-12)
    assert rank_df(gram) == rank_df(matrix.T @ matrix)
    # nearly every pair present, each once: the cross-products of all pairs less the
    # absent ones'
    every = np.arange(psus * groups)
    present = np.delete(every, [3, 50, 77])
    gram = _pairs_gram(multipliers, ratio, present, np.ones(present.size, dtype=float))
    columns = multipliers[:, present // groups] * ratio[:, present % groups]
    np.testing.assert_allclose(gram, columns @ columns.T, rtol=1e-9)
