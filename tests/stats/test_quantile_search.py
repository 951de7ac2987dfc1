"""Quantiles on large data are found by narrowing histograms (`LazyDistribution`).

The search must give exactly what reading the whole distribution gives, for both
rules, at exact splits (ties, integer weights) and at the interval's ends; the row
threshold is lowered so that small data takes the large-data path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from amargah.stats import Design
from amargah.stats.estimation import quantiles


def _sample(rows: int, *, seed: int, ties: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 8, rows)
    psu = stratum * 10 + rng.integers(0, 5, rows)
    y = rng.integers(0, 40, rows).astype(float) if ties else rng.gamma(2.0, 3.0, rows)
    weights = rng.integers(1, 4, rows).astype(float) if ties else rng.uniform(1, 3, rows)
    return pa.table(
        {
            "stratum": stratum,
            "psu": psu,
            "w": weights,
            "y": y,
            "region": rng.choice(["north", "south", "east"], rows),
        }
    )


def _compare(data: pa.Table, monkeypatch: pytest.MonkeyPatch, **options: object) -> None:
    design = Design(data, ids="psu", strata="stratum", weights="w")
    eager = design.quantile("y", [0.1, 0.25, 0.5, 0.9, 1.0], **options)  # type: ignore[arg-type]
    monkeypatch.setattr(quantiles, "LARGE_ROWS", 10)
    monkeypatch.setattr(quantiles, "_BUCKETS", 4)
    monkeypatch.setattr(quantiles, "_FETCH_ROWS", 25)
    lazy = Design(data, ids="psu", strata="stratum", weights="w").quantile(
        "y",
        [0.1, 0.25, 0.5, 0.9, 1.0],
        **options,  # type: ignore[arg-type]
    )
    assert len(lazy) == len(eager) > 0
    for a, b in zip(eager, lazy, strict=True):
        assert (a.domain, a.term) == (b.domain, b.term)
        for field in ("estimate", "ci_lower", "ci_upper", "se", "population"):
            x, y = getattr(a, field), getattr(b, field)
            assert (np.isnan(x) and np.isnan(y)) or x == pytest.approx(y, rel=1e-12), field


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("qrule", ["math", "school"])
def test_search_agrees_with_the_whole_distribution(
    monkeypatch: pytest.MonkeyPatch, ties: bool, qrule: str
) -> None:
    _compare(_sample(3000, seed=7, ties=ties), monkeypatch, qrule=qrule)


def test_search_by_domains(monkeypatch: pytest.MonkeyPatch) -> None:
    _compare(_sample(3000, seed=11, ties=True), monkeypatch, by="region", qrule="school")


def test_search_reports_missing_values(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _sample(200, seed=3, ties=False)
    y = data.column("y").to_pylist()
    y[17] = None
    data = data.set_column(3, "y", pa.array(y, type=pa.float64()))
    monkeypatch.setattr(quantiles, "LARGE_ROWS", 10)
    design = Design(data, ids="psu", strata="stratum", weights="w")
    with pytest.raises(Exception, match="missing values") as error:
        design.quantile("y", 0.5)
    assert "18" in str(error.value)
    assert design.quantile("y", 0.5, na_rm=True)[0].estimate > 0


@pytest.mark.parametrize("qrule", ["math", "school"])
def test_search_sees_exact_splits_of_weights_that_are_not_whole(
    monkeypatch: pytest.MonkeyPatch, qrule: str
) -> None:
    # equal weights of 33.847 and domains of 400, 240 and 560 rows: in exact arithmetic
    # the cumulative weight is a tenth, a quarter, ... of the total at some row, though
    # the engine's bucket sums round differently from a row-by-row sum. On large data
    # such a split counts as exact (R's own rounding may see it or miss it; reading
    # every row, the small-data path does as R does, see the golden tests)
    rng = np.random.default_rng(5)
    domain = rng.permutation(np.repeat(["a", "b", "c"], [400, 240, 560]))
    y = rng.integers(0, 60, 1200).astype(float)
    data = pa.table(
        {
            "stratum": np.repeat(np.arange(4), 300),
            "psu": np.repeat(np.arange(40), 30),
            "w": np.full(1200, 33.847),
            "y": y,
            "region": domain,
        }
    )
    monkeypatch.setattr(quantiles, "LARGE_ROWS", 10)
    monkeypatch.setattr(quantiles, "_BUCKETS", 4)
    monkeypatch.setattr(quantiles, "_FETCH_ROWS", 25)
    probabilities = [0.1, 0.25, 0.5, 0.9]
    design = Design(data, ids="psu", strata="stratum", weights="w")
    estimates = design.quantile("y", probabilities, by="region", qrule=qrule)  # type: ignore[arg-type]
    for row in estimates:
        values = np.sort(y[domain == row.domain["region"]])
        # p n rows lie at or below the quantile, a whole number for these sizes
        k = round(float(row.term) * values.shape[0])
        assert abs(float(row.term) * values.shape[0] - k) < 1e-9
        expected = values[k - 1] if qrule == "math" else (values[k - 1] + values[k]) / 2
        assert row.estimate == expected, (row.domain, row.term)


@pytest.mark.parametrize("qrule", ["math", "school"])
@pytest.mark.parametrize("heavy_row", [False, True])
def test_search_follows_rs_row_rule_below_the_first_value(
    monkeypatch: pytest.MonkeyPatch, qrule: str, heavy_row: bool
) -> None:
    # the smallest value holds a fifth of the weight, in many rows or in one heavy row:
    # for p = 0.1 R's rule gives the smallest value, or (one row) the next one
    data = _sample(1000, seed=13, ties=False)
    y = np.asarray(data.column("y")) + 1.0
    w = np.asarray(data.column("w")).copy()
    if heavy_row:
        y[0], w[0] = 0.0, w.sum() / 4
    else:
        y[:200] = 0.0
    data = data.set_column(3, "y", pa.array(y)).set_column(2, "w", pa.array(w))
    _compare(data, monkeypatch, qrule=qrule)


def test_replicate_quantiles_search_every_interval_end_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _sample(3000, seed=11, ties=False)
    rng = np.random.default_rng(3)
    data = data.append_column("area", pa.array(rng.integers(0, 12, data.num_rows)))
    replicated = Design(data, ids="psu", strata="stratum", weights="w").replicate("jkn")
    eager = replicated.quantile("y", [0.25, 0.5], by="area")
    monkeypatch.setattr(quantiles, "LARGE_ROWS", 10)
    monkeypatch.setattr(quantiles, "_BUCKETS", 4)
    monkeypatch.setattr(quantiles, "_FETCH_ROWS", 25)
    engine = replicated.engine
    queries = []
    execute = type(engine).execute

    def counted(self: object, query: object, **options: object) -> object:
        queries.append(query)
        return execute(self, query, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(type(engine), "execute", counted)
    lazy = replicated.quantile("y", [0.25, 0.5], by="area")
    assert len(lazy) == len(eager) == 24
    for a, b in zip(eager, lazy, strict=True):
        assert (a.domain, a.term) == (b.domain, b.term)
        for field in ("estimate", "ci_lower", "ci_upper", "se"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-12), field
    # the 48 interval ends are narrowed in the same queries, not one search each
    assert len(queries) < 24


def test_no_range_is_read_twice_for_a_quantile_and_its_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _sample(3000, seed=5, ties=False)
    design = Design(data, ids="psu", strata="stratum", weights="w")
    eager = design.quantile("y", [0.5, 0.9], by="region")
    monkeypatch.setattr(quantiles, "LARGE_ROWS", 10)
    monkeypatch.setattr(quantiles, "_BUCKETS", 4)
    monkeypatch.setattr(quantiles, "_FETCH_ROWS", 25)
    histogram, fetch = quantiles.LazyDistribution._histogram, quantiles.LazyDistribution._fetch
    read: list[tuple[int, float, float]] = []
    fetched: list[tuple[int, float, float]] = []
    whole: set[tuple[int, float, float]] = set()

    def histogram_once(
        self: quantiles.LazyDistribution, windows: list[tuple[int, float, float]]
    ) -> None:
        whole.update((d, float(self.lows[d]), float(self.highs[d])) for d in range(3))
        read.extend(windows)
        histogram(self, windows)

    def fetch_once(self: quantiles.LazyDistribution, searches: list[Any]) -> list[Any]:
        fetched.extend(dict.fromkeys(s.window for s in searches if s.window not in self._fetched))
        return fetch(self, searches)

    monkeypatch.setattr(quantiles.LazyDistribution, "_histogram", histogram_once)
    monkeypatch.setattr(quantiles.LazyDistribution, "_fetch", fetch_once)
    lazy = Design(data, ids="psu", strata="stratum", weights="w").quantile(
        "y", [0.5, 0.9], by="region"
    )
    for a, b in zip(eager, lazy, strict=True):
        for field in ("estimate", "ci_lower", "ci_upper", "se"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-12), field
    # the interval's ends start from the histograms the estimates made: each domain's
    # whole range is read once, not once per estimate and once per end
    assert len(read) == len(set(read)) > 0
    assert len(fetched) == len(set(fetched)) > 0
    assert sorted(w for w in read if w in whole) == sorted(whole)
