"""Quantiles with Woodruff intervals, and proportions with logit intervals, as R does.

A quantile needs the weighted distribution of the variable in each domain: one
aggregation of the weights by domain and distinct value (the "window" pass), then
cumulative sums in numpy. Its interval is Woodruff's: the Taylor interval of the
estimated share of the population at or below the quantile (a second, ordinary pass
with the domain's quantile joined to the rows), mapped back through the distribution;
the standard error is the interval's width over ``2 t``, with ``t`` on the degrees of
freedom of the domain, exactly as R's ``svyquantile`` (survey 4.x) reports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.distributions import glm_wald_multiplier, t_quantile
from amargah.stats.engine import fresh_name
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.taylor import (
    Aggregate,
    adjust_pair,
    by_columns,
    check_level,
    domain_pass,
    level_label,
    linear_rows,
)
from amargah.stats.estimation.variance import FloatArray, IntArray
from amargah.stats.expressions import Condition
from amargah.stats.results import Estimate, Estimates
from amargah.stats.unit_query import per_unit

if TYPE_CHECKING:
    from amargah.stats.design import Design

QuantileRule = Literal["math", "school"]
QUANTILE_RULES: tuple[QuantileRule, ...] = ("math", "school")
_ONE = exp.Literal.number(1)
_ZERO = exp.Literal.number(0)


@dataclass(frozen=True)
class Distribution:
    """Weighted distribution of a variable in each domain, sorted by value.

    Attributes
    ----------
    keys
        Domain key tuple (the ``by`` values) → domain index.
    domains
        ``{column: level}`` of each domain.
    values
        Distinct values, domain after domain, ascending within a domain.
    cumulative
        Cumulative weight within the domain at each value (population units).
    start, stop
        Slice of ``values`` of each domain.
    first_rows
        Sample rows holding each domain's smallest value.
    """

    keys: dict[tuple[Any, ...], int]
    domains: list[dict[str, Any]]
    values: FloatArray
    cumulative: FloatArray
    start: IntArray
    stop: IntArray
    first_rows: IntArray

    def total(self, domain: int) -> float:
        """Weighted number of population units in a domain."""
        return float(self.cumulative[self.stop[domain] - 1])

    def prepare(self, requests: Sequence[tuple[int, float]], rule: QuantileRule) -> None:
        """Nothing to do: the whole distribution is at hand."""

    def quantile(self, domain: int, p: float, rule: QuantileRule) -> float:
        """The ``p`` quantile in a domain by R's ``qrule_math`` or ``qrule_school``."""
        if math.isnan(p):
            return math.nan
        low, high = int(self.start[domain]), int(self.stop[domain])
        cumulative = self.cumulative[low:high]
        values = self.values[low:high]
        total = cumulative[-1]
        # the last value whose cumulative weight is at most p * total (the first when
        # none is), then the next one
        below = np.flatnonzero(cumulative <= p * total)
        if not below.size:
            # R's rule works row by row: when no row's cumulative weight is within
            # p * total it takes the second row, the smallest value again when two
            # rows or more hold it
            if self.first_rows[domain] > 1 or values.shape[0] == 1:
                return float(values[0])
            return float(values[1])
        position = int(below[-1])
        following = min(position + 1, values.shape[0] - 1)
        exact = (p - cumulative[position] / total) == 0
        if rule == "school" and exact:
            return float((values[position] + values[following]) / 2)
        return float(values[position] if exact else values[following])


# above this many rows, quantiles are found by narrowing histograms instead of reading
# every value (memory stays small); below, the whole distribution is read once
LARGE_ROWS = 2_000_000
# histogram buckets per narrowing pass, and rows read at most per quantile at the end
_BUCKETS = 4096
_FETCH_ROWS = 200_000


@dataclass
class _Search:
    """Where the quantile of one (domain, probability) request is being looked for."""

    domain: int
    target: float
    low: float
    high: float
    prefix: float = 0.0  # weight of the domain's rows below ``low``
    before: int = 0  # rows below ``low``
    following: float | None = None  # smallest value above ``high``, if known
    fetch: bool = False

    @property
    def window(self) -> _Window:
        return (self.domain, self.low, self.high)


_Window = tuple[int, float, float]  # a domain and a range of values in it, ends included


class LazyDistribution:
    """Weighted distribution of a variable per domain, read only where it is needed.

    Per-domain totals, minimum and maximum come from one pass; each batch of requested
    quantiles (`prepare`) is then found by histograms over a narrowing value range,
    until few enough rows remain to be read and ordered exactly. The rules are those
    of `Distribution.quantile`.
    """

    def __init__(
        self,
        design: Design,
        variable: str,
        filters: list[exp.Expr],
        by: Sequence[str],
        domains: list[dict[str, Any]],
        keys: dict[tuple[Any, ...], int],
        totals: FloatArray,
        lows: FloatArray,
        highs: FloatArray,
    ) -> None:
        self.design = design
        self.variable = variable
        self.filters = filters
        self.by = list(by)
        self.domains = domains
        self.keys = keys
        self.totals = totals
        self.lows = lows
        self.highs = highs
        self._cache: dict[tuple[int, float, str], float] = {}
        # histograms already made, by (domain, low, high): their buckets' weights, rows,
        # lowest and highest values. The buckets of a range do not depend on the
        # probability looked for, so the searches for an interval's ends start from
        # the estimate's histograms instead of a pass over every row again.
        self._histograms: dict[_Window, tuple[FloatArray, IntArray, FloatArray, FloatArray]] = {}
        self._fetched: dict[_Window, tuple[FloatArray, FloatArray, IntArray]] = {}

    @classmethod
    def build(
        cls,
        design: Design,
        variable: str,
        *,
        by: Sequence[str],
        where: Condition | None,
        na_rm: bool,
    ) -> LazyDistribution:
        weight = design.weight_expression()
        filters = _filters(design, by, where)
        x = design.number(variable)
        if na_rm:
            filters.append(exp.Not(this=design.column(variable).is_(exp.Null())))
        filters.append(exp.NEQ(this=weight.copy(), expression=_ZERO.copy()))
        groups = [design.column(c) for c in by]
        query = design.select_from(
            *(g.copy().as_(f"g{i}") for i, g in enumerate(groups)),
            exp.func("sum", weight.copy()).as_("amargah_w"),
            exp.func("min", x.copy()).as_("amargah_low"),
            exp.func("max", x.copy()).as_("amargah_high"),
            exp.func("count", exp.Star()).as_("amargah_n"),
            exp.func("count", design.column(variable)).as_("amargah_nn"),
        ).where(exp.and_(*filters))
        if groups:
            query = query.group_by(*(g.copy() for g in groups))
        result = design.engine.execute(query)
        n = np.asarray(result.column("amargah_n").to_numpy(), dtype=np.int64)
        if np.any(np.asarray(result.column("amargah_nn").to_numpy(), dtype=np.int64) < n):
            raise SurveyInputError(
                "missing values in the domain; use na_rm to treat them as outside it",
                column=variable,
                rows=design.first_rows(
                    exp.and_(*filters[:-1], design.column(variable).is_(exp.Null()))
                ),
            )
        result = result.filter(pa.array(n > 0))
        domain, domains, keys = _domains(result, by)
        size = len(domains)

        def spread(name: str) -> FloatArray:
            values = np.asarray(result.column(name).to_numpy(zero_copy_only=False), dtype=float)
            out = np.zeros(size)
            out[domain] = values
            return out

        return cls(
            design,
            variable,
            filters,
            by,
            domains,
            keys,
            spread("amargah_w"),
            spread("amargah_low"),
            spread("amargah_high"),
        )

    def total(self, domain: int) -> float:
        """Weighted number of population units in a domain."""
        return float(self.totals[domain])

    def quantile(self, domain: int, p: float, rule: QuantileRule) -> float:
        """The ``p`` quantile in a domain (found now unless `prepare` found it)."""
        if math.isnan(p):
            return math.nan
        key = (domain, p, rule)
        if key not in self._cache:
            self.prepare([(domain, p)], rule)
        return self._cache[key]

    def prepare(self, requests: Sequence[tuple[int, float]], rule: QuantileRule) -> None:
        """Find the quantiles of several (domain, probability) pairs together."""
        wanted = [
            (d, p)
            for d, p in dict.fromkeys(requests)
            if not math.isnan(p) and (d, p, rule) not in self._cache
        ]
        if not wanted:
            return
        searches = [
            _Search(d, p * self.totals[d], float(self.lows[d]), float(self.highs[d]))
            for d, p in wanted
        ]
        for _ in range(64):
            open_ = [i for i, s in enumerate(searches) if not s.fetch]
            if not open_:
                break
            for i in open_:
                if searches[i].low == searches[i].high:
                    searches[i].fetch = True
            narrowing = [i for i in open_ if not searches[i].fetch]
            if narrowing:
                self._narrow(searches, narrowing)
        values = self._fetch(searches)
        for (d, p), search, (x, w, n) in zip(wanted, searches, values, strict=True):
            self._cache[(d, p, rule)] = self._pick(search, p, x, w, n, rule)

    def _requests(self, windows: Sequence[_Window]) -> str:
        table: dict[str, Any] = {
            f"amargah_g{j}": [self.domains[domain][c] for domain, _, _ in windows]
            for j, c in enumerate(self.by)
        }
        table["amargah_req"] = list(range(len(windows)))
        table["amargah_low"] = [low for _, low, _ in windows]
        table["amargah_high"] = [high for _, _, high in windows]
        relation = fresh_name("quantile_search")
        self.design.engine.register_arrow(relation, pa.table(table), lookup=True)
        return relation

    def _joined(self, relation: str, *selections: exp.Expr) -> exp.Select:
        x = self.design.number(self.variable)
        conditions: list[exp.Expr] = [
            exp.EQ(this=self.design.column(c), expression=exp.column(f"amargah_g{j}", table="t"))
            for j, c in enumerate(self.by)
        ]
        conditions += [
            exp.GTE(this=x.copy(), expression=exp.column("amargah_low", table="t")),
            exp.LTE(this=x.copy(), expression=exp.column("amargah_high", table="t")),
        ]
        return (
            self.design.select_from(*selections)
            .join(exp.to_table(relation).as_("t"), on=exp.and_(*conditions))
            .where(exp.and_(*self.filters))
        )

    def _narrow(self, searches: list[_Search], which: list[int]) -> None:
        windows = list(dict.fromkeys(searches[i].window for i in which))
        windows = [window for window in windows if window not in self._histograms]
        if windows:
            self._histogram(windows)
        for i in which:
            self._narrow_one(searches[i])

    def _histogram(self, windows: list[_Window]) -> None:
        """One pass: a histogram of the rows in each window, stored by window."""
        x = self.design.number(self.variable)
        low, high = exp.column("amargah_low", table="t"), exp.column("amargah_high", table="t")
        top = exp.Literal.number(_BUCKETS - 1)
        # built trees are rendered as they are: the differences need their parentheses
        position = exp.Floor(
            this=exp.Mul(
                this=exp.Paren(
                    this=exp.Div(
                        this=exp.Paren(this=exp.Sub(this=x.copy(), expression=low.copy())),
                        expression=exp.Paren(this=exp.Sub(this=high.copy(), expression=low.copy())),
                    )
                ),
                expression=exp.Literal.number(_BUCKETS),
            )
        )
        bucket = exp.cast(
            exp.Case().when(exp.GTE(this=x.copy(), expression=high.copy()), top).else_(position),
            exp.DataType.build("bigint"),
        )
        relation = self._requests(windows)
        try:
            query = self._joined(
                relation,
                exp.column("amargah_req", table="t").as_("req"),
                bucket.as_("bucket"),
                exp.func("sum", self.design.weight_expression()).as_("w"),
                exp.func("count", exp.Star()).as_("n"),
                exp.func("min", x.copy()).as_("low"),
                exp.func("max", x.copy()).as_("high"),
            ).group_by(exp.column("amargah_req", table="t"), bucket.copy())
            result = self.design.engine.execute(query).sort_by(
                [("req", "ascending"), ("bucket", "ascending")]
            )
        finally:
            self.design.engine.unregister(relation)
        req = np.asarray(result.column("req").to_numpy(), dtype=np.int64)
        w = np.asarray(result.column("w").to_numpy(zero_copy_only=False), dtype=float)
        n = np.asarray(result.column("n").to_numpy(), dtype=np.int64)
        lows = np.asarray(result.column("low").to_numpy(zero_copy_only=False), dtype=float)
        highs = np.asarray(result.column("high").to_numpy(zero_copy_only=False), dtype=float)
        for r, window in enumerate(windows):
            rows = np.flatnonzero(req == r)
            self._histograms[window] = (w[rows], n[rows], lows[rows], highs[rows])

    def _narrow_one(self, search: _Search) -> None:
        """Narrow a search to the bucket of its range's histogram where it ends."""
        w, n, lows, highs = self._histograms[search.window]
        cumulative = search.prefix + np.cumsum(w)
        reached = np.flatnonzero(cumulative >= search.target - _tie(self.totals[search.domain]))
        # rounding can leave the last cumulative weight just below p * total at p=1
        b = int(reached[0]) if reached.size else w.shape[0] - 1
        if b + 1 < w.shape[0]:
            search.following = float(lows[b + 1])
        search.prefix += float(w[:b].sum())
        search.before += int(n[:b].sum())
        search.low, search.high = float(lows[b]), float(highs[b])
        search.fetch = bool(n[b] <= _FETCH_ROWS or search.low == search.high)

    def _fetch(self, searches: list[_Search]) -> list[tuple[FloatArray, FloatArray, IntArray]]:
        """The distinct values in each search's window: values, weights and rows each."""
        windows = [w for w in dict.fromkeys(s.window for s in searches) if w not in self._fetched]
        if windows:
            x = self.design.number(self.variable)
            relation = self._requests(windows)
            try:
                query = self._joined(
                    relation,
                    exp.column("amargah_req", table="t").as_("req"),
                    x.copy().as_("x"),
                    self.design.weight_expression().as_("w"),
                )
                result = self.design.engine.execute(query)
            finally:
                self.design.engine.unregister(relation)
            req = np.asarray(result.column("req").to_numpy(), dtype=np.int64)
            xs = np.asarray(result.column("x").to_numpy(zero_copy_only=False), dtype=float)
            ws = np.asarray(result.column("w").to_numpy(zero_copy_only=False), dtype=float)
            for r, window in enumerate(windows):
                rows = np.flatnonzero(req == r)
                order = np.argsort(xs[rows], kind="stable")
                values, weights = xs[rows][order], ws[rows][order]
                new = np.ones(values.shape[0], dtype=bool)
                new[1:] = values[1:] != values[:-1]
                starts = np.flatnonzero(new)
                rows_per_value = np.diff(np.append(starts, values.shape[0]))
                self._fetched[window] = (
                    values[starts],
                    np.add.reduceat(weights, starts),
                    rows_per_value,
                )
        return [self._fetched[search.window] for search in searches]

    def _pick(
        self,
        search: _Search,
        p: float,
        values: FloatArray,
        weights: FloatArray,
        rows: IntArray,
        rule: QuantileRule,
    ) -> float:
        total = float(self.totals[search.domain])
        cumulative = search.prefix + np.cumsum(weights)
        below = np.flatnonzero(cumulative <= p * total + _tie(total))
        if not below.size:
            # the last value at or below p lies before the range, or the domain's
            # smallest value is held by two rows or more: the answer is the first value
            if search.before or rows[0] > 1:
                return float(values[0])
            # R's row rule takes the second row (see `Distribution.quantile`)
            if values.shape[0] > 1:
                return float(values[1])
            return search.following if search.following is not None else float(values[0])
        position = int(below[-1])
        if position + 1 < values.shape[0]:
            following = float(values[position + 1])
        else:
            following = (
                search.following if search.following is not None else float(values[position])
            )
        exact = abs(p * total - cumulative[position]) <= _tie(total)
        if rule == "school" and exact:
            return float((values[position] + following) / 2)
        return float(values[position] if exact else following)


def _tie(total: float) -> float:
    """Weight within which a cumulative weight counts as exactly p times the total.

    On large data the weights are summed by the engine in bucket after bucket, in no
    fixed order; a cumulative weight that equals p times the total in exact arithmetic
    (equal weights, say) must still be seen as equal, as it is in R's row-by-row sum.
    """
    return 1e-12 * abs(total)


def _filters(design: Design, by: Sequence[str], where: Condition | None) -> list[exp.Expr]:
    filters: list[exp.Expr] = [exp.Not(this=design.column(c).is_(exp.Null())) for c in by]
    if where is not None:
        filters.append(exp.Paren(this=design.condition(where)))
    return filters


def distribution(
    design: Design,
    variable: str,
    *,
    by: Sequence[str],
    where: Condition | None,
    na_rm: bool,
) -> Distribution | LazyDistribution:
    """One pass: the weight of every distinct value of ``variable`` in every domain.

    Rows of zero weight are left out, as R's quantile rules drop them. The values are
    sorted and equal values merged in numpy. On more than `LARGE_ROWS` rows (with
    weights from a column), only per-domain totals are read here and each quantile
    is found later by narrowing histograms (`LazyDistribution`), so that no
    row-sized array is ever held.
    """
    if design.row_count > LARGE_ROWS and not design.units.has_derived_weights:
        return LazyDistribution.build(design, variable, by=by, where=where, na_rm=na_rm)
    weight = design.weight_expression()
    filters = _filters(design, by, where)
    x = design.number(variable)
    if na_rm:
        filters.append(exp.Not(this=design.column(variable).is_(exp.Null())))
    filters.append(exp.NEQ(this=weight.copy(), expression=_ZERO))
    derived = design.units.has_derived_weights
    groups = [design.column(c) for c in by]
    selections: list[exp.Expr] = [g.copy().as_(f"g{i}") for i, g in enumerate(groups)]
    if derived:
        # weights derived from the fpc are known per unit: sum per unit and value
        selections += [
            x.copy().as_("amargah_x"),
            exp.func("sum", weight.copy()).as_("amargah_w"),
            exp.Count(this=exp.Star()).as_("amargah_n"),
        ]
        inner = (
            design.select_from(*selections)
            .where(exp.and_(*filters))
            .group_by(*(g.copy() for g in groups), x.copy())
        )
        columns = [f"g{i}" for i in range(len(groups))] + ["amargah_x", "amargah_w", "amargah_n"]
        query = per_unit(design, inner, columns)
    else:
        # values are mostly distinct: a plain scan is cheaper than grouping, and ties
        # are merged after sorting
        selections += [x.copy().as_("amargah_x"), weight.copy().as_("amargah_w")]
        query = design.select_from(*selections).where(exp.and_(*filters))
        # the engine sorts in parallel; numpy then finds the rows already in order
        query = query.order_by(
            *(exp.column(f"g{i}") for i in range(len(groups))), exp.column("amargah_x")
        )
    result = design.engine.execute(query)
    x_values = np.asarray(result.column("amargah_x").to_numpy(zero_copy_only=False), dtype=float)
    if np.isnan(x_values).any():
        raise SurveyInputError(
            "missing values in the domain; use na_rm to treat them as outside it",
            column=variable,
            rows=design.first_rows(
                exp.and_(*filters[:-1], design.column(variable).is_(exp.Null()))
            ),
        )
    w = np.asarray(result.column("amargah_w").to_numpy(zero_copy_only=False), dtype=float)
    rows = np.ones(w.shape[0], dtype=np.int64)
    if derived:
        unit = np.asarray(result.column("unit").to_numpy(), dtype=np.int64)
        w = w * design.units.weight_factor[unit]
        rows = np.asarray(result.column("amargah_n").to_numpy(), dtype=np.int64)
    domain, domains, keys_of = _domains(result, by)
    # sort by value (an unstable sort is enough: equal values are merged), then
    # stably by domain (a radix sort of integers); rows sorted by the engine are
    # recognised in linear time
    if not (_ascending(x_values, domain)):
        order = np.argsort(x_values)
        if len(domains) > 1:
            order = order[np.argsort(domain[order], kind="stable")]
        domain, x_values, w, rows = domain[order], x_values[order], w[order], rows[order]
    n_domains = len(domains)
    # the cumulative weight row after row, in extended precision and from zero in each
    # domain, as R's cumsum makes it: a value whose cumulative weight is exactly
    # p times the total (equal weights, say) is then the quantile as it is in R
    cumulative = np.empty(w.shape[0])
    first_row = np.searchsorted(domain, np.arange(n_domains), side="left")
    end_row = np.searchsorted(domain, np.arange(n_domains), side="right")
    for a, b in zip(first_row.tolist(), end_row.tolist(), strict=True):
        cumulative[a:b] = np.cumsum(w[a:b].astype(np.longdouble))
    rows_per_value = rows
    if domain.size:
        # equal values (from several rows or units) are one step of the distribution,
        # at the cumulative weight of their last row
        last = np.ones(domain.shape[0], dtype=bool)
        last[:-1] = (domain[1:] != domain[:-1]) | (x_values[1:] != x_values[:-1])
        ends = np.flatnonzero(last)
        rows_per_value = np.diff(np.concatenate([[0], np.cumsum(rows)[ends]]))
        domain, x_values, cumulative = domain[ends], x_values[ends], cumulative[ends]
    start = np.searchsorted(domain, np.arange(n_domains), side="left")
    stop = np.searchsorted(domain, np.arange(n_domains), side="right")
    first_rows = np.zeros(n_domains, dtype=np.int64)
    present = stop > start
    first_rows[present] = rows_per_value[start[present]]
    return Distribution(keys_of, domains, x_values, cumulative, start, stop, first_rows)


def _ascending(values: FloatArray, domain: IntArray) -> bool:
    """Whether rows are ordered by domain, then by value within a domain."""
    if values.shape[0] < 2:
        return True
    same = domain[1:] == domain[:-1]
    return bool(np.all(domain[1:] >= domain[:-1]) and np.all(~same | (values[1:] >= values[:-1])))


def _domains(
    result: pa.Table, by: Sequence[str]
) -> tuple[IntArray, list[dict[str, Any]], dict[tuple[Any, ...], int]]:
    if not by:
        return np.zeros(result.num_rows, dtype=np.int64), [{}], {(): 0}
    coded = [sorted_codes(result.column(f"g{i}")) for i in range(len(by))]
    domain, combos = dense_combination([c for c, _ in coded], [len(v) for _, v in coded])
    domains = [{col: coded[j][1][int(combo[j])] for j, col in enumerate(by)} for combo in combos]
    keys = {tuple(d[c] for c in by): i for i, d in enumerate(domains)}
    return domain, domains, keys


def domain_df(design: Design, agg: Aggregate, n_domains: int, cells_per_domain: int) -> FloatArray:
    """Degrees of freedom of each domain: its PSUs minus its strata (R's ``degf``).

    R computes ``degf`` on the subset of rows in the domain, and counts only PSUs and
    strata with rows of non-zero weight there (``agg`` has the weight sums as ``"w"``).
    """
    stage = design.units.stages[0]
    weighted = agg.sums["w"] > 0
    cluster = stage.cluster[agg.cells.unit[weighted]]
    domain = agg.cells.cell[weighted] // cells_per_domain
    psus = np.unique(cluster * n_domains + domain) % n_domains
    strata = np.unique(stage.cluster_stratum[cluster] * n_domains + domain) % n_domains
    return (
        np.bincount(psus, minlength=n_domains) - np.bincount(strata, minlength=n_domains)
    ).astype(float)


@dataclass(frozen=True)
class Thresholds:
    """The first pass of a quantile estimate, ready for the second.

    Attributes
    ----------
    distribution
        The variable's weighted distribution in each domain.
    by
        The domain columns.
    probabilities
        The probabilities asked for, in order.
    rule
        The quantile rule (checked).
    estimates
        Shape (domains, probabilities): each domain's quantiles.
    relation
        Engine table of the quantiles (``amargah_g{i}``: the domain's level of each
        ``by`` column, ``amargah_q{j}``: its quantile j), which the second pass joins
        to the rows as ``t``.
    terms
        What the second pass sums per unit: ``w`` (the weight) and ``i{j}`` (the
        weight of rows at or below quantile j).
    """

    distribution: Distribution | LazyDistribution
    by: list[str]
    probabilities: list[float]
    rule: QuantileRule
    estimates: FloatArray
    relation: str
    terms: dict[str, exp.Expr]

    def order(self, domains: Sequence[dict[str, Any]]) -> list[int]:
        """The distribution's index of each domain of a second pass (numbered its own way)."""
        return [self.distribution.keys[tuple(d[c] for c in self.by)] for d in domains]


@contextmanager
def quantile_thresholds(
    design: Design,
    variable: str,
    probabilities: Sequence[float],
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
    qrule: str,
) -> Iterator[Thresholds]:
    """Check a quantile request, find each domain's quantiles and register them.

    The relation lives until the ``with`` block ends.
    """
    check_level(level)
    if qrule not in QUANTILE_RULES:
        raise SurveyInputError(f"qrule must be one of {', '.join(QUANTILE_RULES)}, not {qrule!r}")
    rule: QuantileRule = qrule
    probs = [float(p) for p in probabilities]
    if not probs or any(not 0 <= p <= 1 for p in probs):
        raise SurveyInputError(f"quantile probabilities must be in [0, 1], not {probs}")
    columns = by_columns(design, by)
    design.require_numeric(variable)
    dist = distribution(design, variable, by=columns, where=where, na_rm=na_rm)
    n_domains = len(dist.domains)
    dist.prepare([(d, p) for d in range(n_domains) for p in probs], rule)
    estimates = np.array(
        [[dist.quantile(d, p, rule) for p in probs] for d in range(n_domains)]
    ).reshape(n_domains, len(probs))
    table: dict[str, Any] = {
        f"amargah_g{i}": [d[c] for d in dist.domains] for i, c in enumerate(columns)
    }
    for j in range(len(probs)):
        table[f"amargah_q{j}"] = estimates[:, j]
    relation = fresh_name("quantiles")
    design.engine.register_arrow(relation, pa.table(table), lookup=True)
    x = design.number(variable)
    terms: dict[str, exp.Expr] = {"w": _ONE.copy()}
    for j in range(len(probs)):
        below = exp.LTE(this=x.copy(), expression=exp.column(f"amargah_q{j}", table="t"))
        terms[f"i{j}"] = exp.Case().when(below, _ONE.copy()).else_(_ZERO.copy())
    try:
        yield Thresholds(dist, columns, probs, rule, estimates, relation, terms)
    finally:
        design.engine.unregister(relation)


def woodruff_rows(
    thresholds: Thresholds,
    variable: str,
    *,
    order: Sequence[int],
    shares: FloatArray,
    share_se: FloatArray,
    dfs: FloatArray,
    counts: Sequence[int],
    level: float,
) -> list[Estimate]:
    """Quantile rows with Woodruff intervals.

    ``shares`` and ``share_se`` (shape (probabilities, cells)) are each cell's estimated
    share at or below its quantile and that share's standard error; ``order`` maps a
    cell to its domain in the distribution, ``dfs`` and ``counts`` are the cell's
    degrees of freedom and rows. The share's interval (t on ``dfs``) is mapped back
    through the distribution (every end found in one go), and the standard error is
    the width over ``2 t``, as R's ``svyquantile`` reports it.
    """
    rule, dist = thresholds.rule, thresholds.distribution
    ts = np.array([t_quantile(1 - (1 - level) / 2, float(df)) for df in dfs])
    low, high = shares - ts * share_se, shares + ts * share_se
    dist.prepare(
        [
            (order[cell], float(end[j, cell]))
            for j, cell in np.ndindex(shares.shape)
            for end in (low, high)
            if 0 <= end[j, cell] <= 1
        ],
        rule,
    )
    rows: list[Estimate] = []
    for j, p in enumerate(thresholds.probabilities):
        for cell in range(shares.shape[1]):
            d, t = order[cell], float(ts[cell])
            p_low, p_high = float(low[j, cell]), float(high[j, cell])
            lower = math.nan if math.isnan(p_low) or p_low < 0 else dist.quantile(d, p_low, rule)
            upper = math.nan if math.isnan(p_high) or p_high > 1 else dist.quantile(d, p_high, rule)
            value = float(thresholds.estimates[d, j])
            se = (upper - lower) / (2 * t)
            rows.append(
                Estimate(
                    statistic="quantile",
                    variable=variable,
                    term=level_label(p),
                    domain=dist.domains[d] or None,
                    estimate=value,
                    se=se,
                    ci_lower=lower,
                    ci_upper=upper,
                    cv=se / value if value != 0 else math.nan,
                    deff=math.nan,
                    df=float(dfs[cell]),
                    n=int(counts[cell]),
                    population=dist.total(d),
                )
            )
    return rows


def estimate_quantiles(
    design: Design,
    variable: str,
    probabilities: Sequence[float],
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
    qrule: QuantileRule,
) -> Estimates:
    """Quantiles with Woodruff intervals by domain; see `Design.quantile`."""
    with quantile_thresholds(
        design, variable, probabilities, by=by, where=where, na_rm=na_rm, level=level, qrule=qrule
    ) as thresholds:
        # second pass: share of each domain at or below its quantile, per unit
        agg = domain_pass(
            design,
            terms=thresholds.terms,
            by=thresholds.by,
            where=where,
            variables=[variable],
            na_rm=na_rm,
            thresholds=thresholds.relation,
        )
    share_rows = [
        linear_rows(
            design,
            agg,
            agg.cells,
            "mean",
            variable,
            y=agg.sums[f"i{j}"],
            w=agg.sums["w"],
            totals=(agg.totals(f"i{j}"), agg.totals("w"), agg.totals(f"i{j}")),
            count=agg.count,
            nobs=agg.weighted_count,
            level=level,
            ps=adjust_pair(agg, f"i{j}", "w"),
        )
        for j in range(len(thresholds.probabilities))
    ]
    rows = woodruff_rows(
        thresholds,
        variable,
        order=thresholds.order(agg.domains),
        shares=np.array([[share.estimate for share in shares] for shares in share_rows]),
        share_se=np.array([[share.se for share in shares] for shares in share_rows]),
        dfs=domain_df(design, agg, len(agg.domains), 1),
        counts=[share.n for share in share_rows[0]],
        level=level,
    )
    return Estimates(tuple(rows))


def estimate_ciprop(
    design: Design,
    variable: str,
    category: Any,
    *,
    by: str | Sequence[str] | None,
    where: Condition | None,
    na_rm: bool,
    level: float,
) -> Estimates:
    """Share of the population with ``variable == category`` and its logit interval.

    As R's ``svyciprop(~I(variable == category), method="logit")``: the interval is
    the Wald interval of the logit of the share, on t with the domain's degrees of
    freedom, mapped back; the standard error is the share's (Taylor).
    """
    check_level(level)
    columns = by_columns(design, by)
    design.require_column(variable)
    indicator = exp.EQ(
        this=design.column(variable), expression=_category(design, variable, category)
    )
    terms: dict[str, exp.Expr] = {
        "w": _ONE.copy(),
        "i": exp.Case().when(indicator, _ONE.copy()).else_(_ZERO.copy()),
    }
    agg = domain_pass(
        design, terms=terms, by=columns, where=where, variables=[variable], na_rm=na_rm
    )
    shares = linear_rows(
        design,
        agg,
        agg.cells,
        "mean",
        variable,
        y=agg.sums["i"],
        w=agg.sums["w"],
        totals=(agg.totals("i"), agg.totals("w"), agg.totals("i")),
        count=agg.count,
        nobs=agg.weighted_count,
        level=level,
        ps=adjust_pair(agg, "i", "w"),
    )
    dfs = domain_df(design, agg, len(agg.domains), 1)
    if na_rm:
        dfs = _df_before_missing(design, agg, columns, where, dfs)
    rows = []
    for cell, share in enumerate(shares):
        p = share.estimate
        df = float(dfs[cell])
        with np.errstate(divide="ignore", invalid="ignore"):
            logit = math.log(p / (1 - p)) if 0 < p < 1 else math.nan
            se_logit = share.se / (p * (1 - p)) if 0 < p < 1 else math.nan
        lower, upper = logit_interval(p, logit, se_logit, glm_wald_multiplier(level, df))
        rows.append(
            Estimate(
                statistic="ciprop",
                variable=variable,
                term=level_label(category),
                domain=share.domain,
                estimate=p,
                se=share.se,
                ci_lower=lower,
                ci_upper=upper,
                cv=share.cv,
                deff=share.deff,
                df=df,
                n=share.n,
                population=share.population,
            )
        )
    return Estimates(tuple(rows))


def logit_interval(
    share: float, logit: float, se_logit: float, multiplier: float
) -> tuple[float, float]:
    """The interval of a share from the Wald interval of its logit, ``logit`` ±
    ``multiplier`` × ``se_logit`` (`glm_wald_multiplier`), mapped back as R's
    ``svyciprop(method="logit")`` does.

    Without degrees of freedom (``multiplier`` NaN) there is no interval. An infinite
    multiplier gives R's (0, NaN): its inverse logit of +Inf is Inf/Inf. A share of
    exactly 0 or 1 has no finite logit; R's logistic fit then gives an interval within
    about 1e-11 of the share itself, which is what is returned.
    """
    if math.isnan(multiplier):
        return math.nan, math.nan
    if math.isinf(multiplier):
        return (math.nan, math.nan) if se_logit == 0 else (0.0, math.nan)
    if share in (0.0, 1.0):
        return share, share
    half = multiplier * se_logit
    return _expit(logit - half), _expit(logit + half)


def _df_before_missing(
    design: Design,
    agg: Aggregate,
    by: Sequence[str],
    where: Condition | None,
    dfs: FloatArray,
) -> FloatArray:
    """Degrees of freedom of each domain counting the PSUs whose values are missing.

    R's ``svyciprop`` takes ``degf(design)`` on the domain before ``na.rm`` drops the
    missing rows (unlike ``svyquantile``, which drops them first), so a PSU whose rows
    in the domain are all missing still counts. One more pass, only when asked to
    remove missing values.
    """
    whole = domain_pass(
        design, terms={"w": _ONE.copy()}, by=by, where=where, variables=[], na_rm=False
    )
    counted = domain_df(design, whole, len(whole.domains), 1)
    position = {tuple(sorted(d.items())): i for i, d in enumerate(whole.domains)}
    return (
        np.array([counted[position[tuple(sorted(d.items()))]] for d in agg.domains], dtype=float)
        if len(agg.domains)
        else dfs
    )


def _expit(value: float) -> float:
    if math.isnan(value):
        return math.nan
    return 1.0 / (1.0 + math.exp(-value))


def _category(design: Design, variable: str, category: Any) -> exp.Expr:
    """The category as a literal of the variable's type (text given on a command line)."""
    from amargah.stats.design import is_numeric

    data_type = design.data_type(variable)
    if isinstance(category, bool) or pa.types.is_boolean(data_type):
        text = str(category).strip().lower()
        if text not in ("true", "false", "1", "0"):
            raise SurveyInputError(
                f"{category!r} is not a level of a true/false column", column=variable
            )
        return exp.Boolean(this=text in ("true", "1"))
    if is_numeric(data_type):
        try:
            return exp.Literal.number(float(category))
        except ValueError:
            raise SurveyInputError(f"{category!r} is not a number", column=variable) from None
    return exp.Literal.string(str(category))
