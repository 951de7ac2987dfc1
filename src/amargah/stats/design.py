"""The survey design: how the sample was drawn, built once and never changed.

A `Design` names the columns of the microdata that carry the sampling structure (the
clusters of each stage, the strata, the weights or selection probabilities and the
finite population corrections), checks them, and computes once the small table of
sampling units that every variance calculation reuses. Estimators are methods of the
design and return frozen `Estimates`; they never drop rows from the design: domains are
formed by zeroing rows outside them, so PSU counts stay those of the whole sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlglot import exp

from amargah.stats.coding import dense_combination, sorted_codes
from amargah.stats.engine import Engine, default_engine, fresh_name, release_with
from amargah.stats.errors import SurveyInputError
from amargah.stats.estimation.variance import FloatArray, IntArray, LonelyPSU, Stage
from amargah.stats.expressions import Condition, parse_condition, parse_terms, quoted_column
from amargah.stats.results import Estimates
from amargah.stats.unit_query import STRATUM_ORDER_COLUMN, UNIT_COLUMN, per_unit

if TYPE_CHECKING:
    from amargah.stats.estimation.quantiles import QuantileRule
    from amargah.stats.estimation.replication import (
        ReplicateMethod,
        ReplicateScheme,
        SuppliedMethod,
    )
    from amargah.stats.weighting.calibrate import Calibration, CalibrationFunction
    from amargah.stats.weighting.chain import Chain, WeightingStep
    from amargah.stats.weighting.poststratify import PostStrata
    from amargah.stats.weighting.rake import Raking

LONELY_PSU_OPTIONS: tuple[LonelyPSU, ...] = ("fail", "remove", "adjust", "average", "certainty")

# name of the column holding the position of each row in the data (0-based); used as
# the unit when every row is its own PSU and to report offending rows
ROW_COLUMN = "amargah_row"
_SHOWN_ROWS = 5
_MEMO_ROWS = 200_000


@runtime_checkable
class ArrowStreamable(Protocol):
    """Anything exporting the Arrow C stream interface (pandas, Polars, DuckDB, ...)."""

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...


DataSource: TypeAlias = str | Path | pa.Table | ArrowStreamable


class ColumnFacts(NamedTuple):
    """What a data source's metadata tells without reading values (see `Units`)."""

    complete: frozenset[str] = frozenset()
    positive: frozenset[str] = frozenset()
    integer_ranges: Mapping[str, tuple[int, int]] = MappingProxyType({})


def is_numeric(data_type: pa.DataType) -> bool:
    """Whether an Arrow type holds numbers an estimator can sum (booleans do not count)."""
    return bool(
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
    )


@dataclass(frozen=True)
class Units:
    """The finest sampling units of a design and their place in each stage.

    Attributes
    ----------
    relation
        Name, in the engine, of the table mapping key columns ``k0, k1, ...`` to the
        unit index column ``amargah_unit`` (units in the order of their first rows) and
        to ``amargah_unit_by_stratum`` (the same units numbered stratum by stratum).
    key_columns
        Data columns whose values identify a unit, in the order of ``k0, k1, ...``.
    stages
        Stage structure used for the variance (only the first without fpc).
    weight_factor
        Per unit, the weight derived from the fpc when neither weights nor
        probabilities are given; ones otherwise.
    count
        Number of units.
    nest
        Whether cluster identifiers are unique only within strata, so that a unit's
        stratum is part of its identity; without, the cluster columns identify it.
    complete, positive
        Data columns that the data's own metadata (Parquet statistics, Arrow null
        counts) shows to have no missing values, and only values above zero; others
        may or may not. Estimators skip counts and checks these answer.
    integer_ranges
        ``(lowest, highest)`` of the integer columns whose range the data's metadata
        (Parquet statistics) gives, as the engine sees it too.
    later_lonely
        Under ``lonely_psu="fail"``, the error owed for a stratum with a single cluster
        at stage 2 or below, raised by `check_later_stages` when a linearised variance
        needs those stages; replicate weights use the first stage only, as R's
        ``as.svrepdesign`` does, so they are made without it.
    """

    relation: str
    key_columns: tuple[str, ...]
    stages: tuple[Stage, ...]
    weight_factor: FloatArray
    count: int
    stratum_labels: tuple[Any, ...] = ()
    nest: bool = True
    complete: frozenset[str] = frozenset()
    positive: frozenset[str] = frozenset()
    integer_ranges: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    later_lonely: SurveyInputError | None = None

    def check_later_stages(self) -> None:
        """Raise the lonely-PSU error owed at a later stage, if any (see ``later_lonely``)."""
        if self.later_lonely is not None:
            owed = self.later_lonely
            raise SurveyInputError(owed.message, column=owed.column, rows=owed.rows)

    @property
    def has_derived_weights(self) -> bool:
        """Whether weights come from the fpc, per unit, rather than from a column."""
        return bool(np.any(self.weight_factor != 1.0))


class Design:
    """A survey design over microdata, in the terms of R's ``svydesign``.

    Parameters
    ----------
    data
        A Parquet or CSV path, a ``pyarrow.Table``, or any object with
        ``__arrow_c_stream__`` (for instance a pandas or Polars data frame).
    ids
        Cluster columns, one per stage, as ``"psu"`` or ``"dnum+snum"``; ``"1"`` (the
        default) when every row is its own PSU.
    strata
        Stratum column(s), one per stage as ``"s1+s2"``; ``None`` for no strata.
    weights
        Sampling weight column (inverse selection probability, persons per row).
    probs
        Selection probability column, instead of ``weights``.
    fpc
        Finite population correction per stage, ``"fpc1+fpc2"``: population sizes (all
        values ≥ 1) or sampling fractions (all ≤ 1). Without it, the variance uses the
        with-replacement approximation at the first stage; with it, every stage adds
        its variance. When neither weights nor probabilities are given, weights are
        derived from it (population size over sample size, multiplied over stages).
    nest
        Whether cluster identifiers are only unique within strata (R's ``nest=TRUE``).
    lonely_psu
        A stratum with a single PSU: ``"fail"`` (the default, an error), ``"remove"``,
        ``"adjust"``, ``"average"`` or ``"certainty"``, as R's ``survey.lonely.psu``.
    engine
        The engine that scans the data; the process-wide embedded DuckDB by default.

    Examples
    --------
    >>> import pyarrow as pa
    >>> data = pa.table({"stratum": [1, 1, 2, 2], "y": [1.0, 2.0, 3.0, 5.0],
    ...                  "w": [10.0, 10.0, 20.0, 20.0]})
    >>> design = Design(data, strata="stratum", weights="w")
    >>> round(design.total("y")[0].estimate, 6)
    190.0
    """

    __slots__ = (
        "_chain",
        "_columns",
        "_engine",
        "_engine_names",
        "_fpc",
        "_ids",
        "_lonely_psu",
        "_memo",
        "_nest",
        "_probs",
        "_rows",
        "_schema",
        "_source",
        "_steps",
        "_strata",
        "_units",
        "_weights",
    )

    _chain: Chain | None
    _columns: frozenset[str]
    _engine: Engine
    _engine_names: dict[str, str]
    _fpc: tuple[str, ...]
    _ids: tuple[str, ...]
    _lonely_psu: LonelyPSU
    _memo: list[tuple[str, pa.Table]]
    _nest: bool
    _probs: str | None
    _rows: int
    _schema: pa.Schema
    _source: str
    _steps: tuple[WeightingStep, ...]
    _strata: tuple[str, ...]
    _units: Units
    _weights: str | None

    def __init__(
        self,
        data: DataSource,
        *,
        ids: str | Sequence[str] | None = "1",
        strata: str | Sequence[str] | None = None,
        weights: str | None = None,
        probs: str | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: LonelyPSU = "fail",
        engine: Engine | None = None,
    ) -> None:
        if lonely_psu not in LONELY_PSU_OPTIONS:
            raise SurveyInputError(
                f"lonely_psu must be one of {', '.join(LONELY_PSU_OPTIONS)}, not {lonely_psu!r}"
            )
        if weights is not None and probs is not None:
            raise SurveyInputError("give weights or probs, not both")
        self._set("_engine", engine if engine is not None else default_engine())
        self._set("_ids", parse_terms(ids))
        self._set("_strata", parse_terms(strata))
        self._set("_fpc", parse_terms(fpc))
        self._set("_weights", weights)
        self._set("_probs", probs)
        self._set("_nest", bool(nest))
        self._set("_lonely_psu", lonely_psu)
        self._set("_steps", ())
        self._set("_chain", None)
        self._set("_memo", [])
        source, rows, engine_names = register_data(self._engine, data)
        self._set("_source", source)
        self._set("_rows", rows)
        self._set("_engine_names", engine_names)
        schema = self._engine.schema(source)
        self._set("_schema", schema)
        self._set("_columns", frozenset(engine_names))
        try:
            checks = self._validate_columns()
            units = self._build_units(checks, _column_facts(data))
        except BaseException:
            self._engine.unregister(source)
            raise
        self._set("_units", units)
        # the data's relation and the units' live as long as the units: every design
        # derived from this one (weighted, replicated) shares them
        release_with(units, self._engine, (source, units.relation))

    # -- immutability ---------------------------------------------------------------

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Design is immutable; build a new one instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a Design is immutable")

    def __repr__(self) -> str:
        parts = [f"ids={'+'.join(self._ids) or '1'!r}"]
        if self._strata:
            parts.append(f"strata={'+'.join(self._strata)!r}")
        if self._weights:
            parts.append(f"weights={self._weights!r}")
        if self._probs:
            parts.append(f"probs={self._probs!r}")
        if self._fpc:
            parts.append(f"fpc={'+'.join(self._fpc)!r}")
        return f"Design({', '.join(parts)}, rows={self._rows}, psus={self.psu_count})"

    # -- public description ---------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine that scans the data."""
        return self._engine

    @property
    def source(self) -> str:
        """Name of the data relation in the engine."""
        return self._source

    @property
    def columns(self) -> frozenset[str]:
        """Column names of the data."""
        return self._columns

    @property
    def row_count(self) -> int:
        """Number of rows (sample records) in the data."""
        return self._rows

    @property
    def psu_count(self) -> int:
        """Number of first-stage sampling units."""
        return self._units.stages[0].n_clusters

    @property
    def stratum_count(self) -> int:
        """Number of first-stage strata."""
        return self._units.stages[0].n_strata

    @property
    def df(self) -> int:
        """Design degrees of freedom: first-stage PSUs minus strata (R's ``degf``)."""
        return self.psu_count - self.stratum_count

    @property
    def stratified(self) -> bool:
        """Whether the design has strata."""
        return bool(self._strata)

    @property
    def has_fpc(self) -> bool:
        """Whether finite population corrections were given."""
        return bool(self._fpc)

    @property
    def stratum_columns(self) -> tuple[str, ...]:
        """The stratum column of each stage (may be fewer than the stages)."""
        return self._strata

    def stratum_labels(self) -> tuple[Any, ...]:
        """Value of the first-stage stratum column for each stratum index."""
        return self._units.stratum_labels

    @property
    def lonely_psu(self) -> LonelyPSU:
        """The lonely-PSU rule of this design."""
        return self._lonely_psu

    @property
    def units(self) -> Units:
        """The finest sampling units and the stage structure (used by estimators)."""
        return self._units

    def data_type(self, column: str) -> pa.DataType:
        """Arrow type of a data column."""
        self.require_column(column)
        return self._schema.field(self._engine_names[column]).type

    def column(self, name: str) -> exp.Column:
        """Reference to a data column in the engine's SQL (names are always quoted)."""
        if name == ROW_COLUMN:
            return quoted_column(ROW_COLUMN)
        self.require_column(name)
        return quoted_column(self._engine_names[name])

    def number(self, name: str) -> exp.Expr:
        """``CAST(column AS DOUBLE)``: sums of products must not overflow integers.

        A column that is already a double is used as it is (the cast costs a copy).
        """
        if name != ROW_COLUMN and pa.types.is_float64(self.data_type(name)):
            return self.column(name)
        return exp.cast(self.column(name), exp.DataType.build("double"))

    def require_column(self, column: str) -> None:
        """Raise a clear error when ``column`` is not in the data."""
        if column not in self._columns:
            raise SurveyInputError("no such column in the data", column=column)

    def require_numeric(self, column: str) -> None:
        """Raise a clear error, naming the first rows that are not numbers, unless numeric."""
        self.require_column(column)
        data_type = self.data_type(column)
        if is_numeric(data_type):
            return
        rows: list[int] = []
        if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
            value = self.column(column)
            not_a_number = exp.and_(
                exp.Not(this=value.copy().is_(exp.Null())),
                exp.TryCast(this=value.copy(), to=exp.DataType.build("double")).is_(exp.Null()),
            )
            rows = self.first_rows(not_a_number)
        raise SurveyInputError(f"must be numeric, but is {data_type}", column=column, rows=rows)

    def weight_expression(self) -> exp.Expr:
        """The row weight as an SQL expression (1 when weights come from the fpc).

        After weighting steps it is the sampling weight times every step's factor, in
        order: a calibration's ``g`` of the row, or the factor of the row's group read
        from the step's relation that `select_from` joins (alias `step_alias`).
        """
        weight = self.sampling_weight_expression()
        for j, step in enumerate(self._steps):
            if step.calibration is not None:
                factor = step.calibration.g_expression()
            else:
                factor = exp.column("amargah_g", table=self.step_alias(j))
            weight = exp.Mul(this=weight, expression=factor)
        return weight

    @staticmethod
    def step_alias(index: int) -> str:
        """Alias, in `select_from`, of the relation of the weighting step ``index``."""
        return f"ps{index}"

    @property
    def steps(self) -> tuple[WeightingStep, ...]:
        """The weighting steps applied to this design's weights, in order."""
        return self._steps

    @property
    def chain(self) -> Chain | None:
        """The weighting cells of a design with several weighting steps (else None)."""
        return self._chain

    def sampling_weight_expression(self) -> exp.Expr:
        """The weight before any post-stratification."""
        if self._weights is not None:
            return self.number(self._weights)
        if self._probs is not None:
            return exp.Div(this=exp.Literal.number(1.0), expression=self.number(self._probs))
        # weights derived from the fpc are applied per unit after the pass
        return exp.cast(exp.Literal.number(1), exp.DataType.build("double"))

    @property
    def calibration(self) -> Calibration | None:
        """The (last) calibration of this design's weights, if any."""
        found = [s.calibration for s in self._steps if s.calibration is not None]
        return found[-1] if found else None

    def calibrate(
        self,
        formula: str,
        totals: Mapping[str, float],
        *,
        calfun: CalibrationFunction = "linear",
        maxit: int = 50,
        epsilon: float = 1e-10,
    ) -> Design:
        """A design calibrated to population totals (R's ``calibrate``).

        Parameters
        ----------
        formula
            Calibration model, ``"~age+sex"``: an intercept, numeric columns, and one
            dummy per level (but the first) of a text or boolean column.
        totals
            Population total of each model column by R's ``model.matrix`` names,
            ``{"(Intercept)": N, "age": ..., "sexM": ...}`` (persons, or the column's
            unit times persons).
        calfun
            ``"linear"`` (GREG: ``g = 1 + x'lambda``) or ``"raking"``
            (``g = exp(x'lambda)``).
        maxit, epsilon
            Newton iterations for raking, and the relative misfit of the totals at
            which it stops.

        Returns
        -------
        Design
            A new design whose weights reproduce the totals; estimators' variances use
            the residuals of the linearised values on the model, as R's do. On a design
            already weighted, the model is fitted to its weights and the step chained
            after the others (`steps`), as R's ``calibrate`` of such a design.
        """
        from amargah.stats.weighting.calibrate import calibrate

        return calibrate(self, formula, totals, calfun=calfun, maxit=maxit, epsilon=epsilon)

    def adjust_nonresponse(
        self, classes: str | Sequence[str], *, response: str, respondent: Any = 1
    ) -> Design:
        """A design adjusted for nonresponse within weighting classes.

        Parameters
        ----------
        classes
            Weighting class column(s), ``"county+sex"``.
        response
            Column holding each row's response status.
        respondent
            The value of ``response`` for respondents; any other value is a
            nonrespondent.

        Returns
        -------
        Design
            A new design in which respondents carry their class's full-sample weight
            and nonrespondents weigh zero (they stay in the design: PSU counts are
            unchanged). The variance is that of post-stratifying the respondents to the
            classes' full-sample totals, as in R.
        """
        from amargah.stats.weighting.nonresponse import adjust_nonresponse

        return adjust_nonresponse(self, classes, response=response, respondent=respondent)

    @property
    def raking(self) -> Raking | None:
        """The (last) raking of this design's weights, if any."""
        found = [s.raking for s in self._steps if s.raking is not None]
        return found[-1] if found else None

    def rake(
        self,
        margins: Sequence[tuple[str | Sequence[str], pa.Table | Mapping[Any, float]]],
        *,
        epsilon: float = 1.0,
        maxit: int = 10,
    ) -> Design:
        """A design raked to population margins (R's ``rake``).

        Parameters
        ----------
        margins
            Pairs of (margin column(s), population sizes): a table with the columns and
            ``Freq``, or a mapping level → size, as for `poststratify`.
        epsilon
            Stop when no cell of the margins' cross-table changes by ``epsilon`` persons
            or more in a sweep (below 1: a fraction of the sum of weights), as R's
            ``control$epsilon``.
        maxit
            At most this many sweeps (R's ``control$maxit``); not converging is a
            warning, as in R.

        Returns
        -------
        Design
            A new design; estimators' variances centre the linearised values on the
            margins as R does for raked designs. On a design already weighted, the
            margins are fitted from its weights and the step chained (`steps`).
        """
        from amargah.stats.weighting.rake import rake

        return rake(self, margins, epsilon=epsilon, maxit=maxit)

    @property
    def poststrata(self) -> PostStrata | None:
        """The groups of the (last) step joined per row: post-strata, raking cells or
        trimmed weight values; None without such a step."""
        found = [s.groups for s in self._steps if s.groups is not None]
        return found[-1] if found else None

    def select_from(self, *selections: exp.Expr) -> exp.Select:
        """``SELECT selections FROM`` the data, joined to what the weights need.

        Each weighting step with a relation is joined in order, as `step_alias`.
        """
        query = exp.select(*selections).from_(exp.to_table(self._source))
        for j, step in enumerate(self._steps):
            if step.groups is None:
                continue
            alias = self.step_alias(j)
            on = exp.and_(
                *(
                    exp.EQ(this=key, expression=exp.column(f"amargah_pk{i}", table=alias))
                    for i, key in enumerate(step.join_keys(self))
                )
            )
            query = query.join(exp.to_table(step.groups.relation).as_(alias), on=on)
        return query

    def poststratify(
        self,
        strata: str | Sequence[str],
        population: pa.Table | Mapping[Any, float],
        *,
        partial: bool = False,
    ) -> Design:
        """A post-stratified design (R's ``postStratify``).

        Parameters
        ----------
        strata
            Post-stratum column(s), ``"sex"`` or ``"sex+county"``.
        population
            Population size of each post-stratum (persons): a table with the strata
            columns and ``Freq``, or a mapping level → size (a tuple of levels for
            several columns).
        partial
            Ignore post-strata of the population absent from the sample (R's
            ``partial=TRUE``); otherwise they are an error.

        Returns
        -------
        Design
            A new design whose weights sum to the population sizes in every
            post-stratum and whose variance is that of the post-stratified estimator
            (linearised values centred within post-strata, as R does). On a design
            already weighted, the post-strata are sized on its weights and the step
            chained (`steps`).
        """
        from amargah.stats.weighting.poststratify import poststratify

        return poststratify(self, strata, population, partial=partial)

    @property
    def weight_column(self) -> str | None:
        """The sampling weight column given to the design, if any."""
        return self._weights

    def trim_weights(
        self, *, upper: float = math.inf, lower: float = -math.inf, strict: bool = False
    ) -> Design:
        """A design with trimmed weights (R's ``trimWeights``).

        Parameters
        ----------
        upper, lower
            Bounds on the weights (persons per row).
        strict
            Repeat the trimming until no weight is outside the bounds (the shared
            excess can push weights over again).

        Returns
        -------
        Design
            A new design; the trimmed total is shared equally among the rows inside
            the bounds, so the sum of weights is unchanged. Variances treat the trimmed
            weights as design weights, as R does.
        """
        from amargah.stats.weighting.trim import trim

        return trim(self, upper=upper, lower=lower, strict=strict)

    def weighted_data(self, *, weight_column: str = "weight") -> pa.Table:
        """The data with the design's final weights (after any weighting step).

        Parameters
        ----------
        weight_column
            Name of the added column (persons per row); it must not already exist.

        Returns
        -------
        pyarrow.Table
            Every row and column of the data, in the data's order, plus the weights.
        """
        if weight_column in self._columns:
            raise SurveyInputError("a column of this name exists already", column=weight_column)
        row = exp.column(ROW_COLUMN, quoted=True)
        names = sorted(
            self._engine_names, key=lambda n: self._schema.get_field_index(self._engine_names[n])
        )
        selections = [self.column(n).as_(f"c{i}") for i, n in enumerate(names)]
        selections += [self.weight_expression().as_("amargah_weight"), row.copy()]
        query = self.select_from(*selections).order_by(exp.column(ROW_COLUMN, quoted=True))
        result = self._engine.execute(query)
        weights = np.asarray(result.column("amargah_weight").to_numpy(), dtype=float)
        if self._units.has_derived_weights:
            # weights from the fpc are per unit: find each row's unit
            inner = exp.select(row.copy()).from_(exp.to_table(self._source))
            units = self._engine.execute(
                per_unit(self, inner, [], grouped=False).order_by(
                    exp.column(ROW_COLUMN, table="a", quoted=True)
                )
            )
            unit = np.asarray(units.column(0).to_numpy(), dtype=np.int64)
            weights = weights * self._units.weight_factor[unit]
        columns = {n: result.column(f"c{i}") for i, n in enumerate(names)}
        columns[weight_column] = pa.array(weights)
        return pa.table(columns)

    def _derived(self, **changes: Any) -> Design:
        """A copy of this design with some private attributes replaced."""
        copy = object.__new__(type(self))
        for name in Design.__slots__:
            object.__setattr__(copy, name, changes.get(name, getattr(self, name)))
        object.__setattr__(copy, "_memo", [])
        return copy

    def condition(self, condition: Condition) -> exp.Expr:
        """Parse and check a domain condition against the data's columns."""
        return parse_condition(condition, columns=self._engine_names)

    def aggregate(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        """Run an aggregation over the data, reusing the last result for the same query.

        The data of a design does not change, so a repeated pass (a total then a mean
        of the same variables, say) is answered from the previous result.
        ``dense_group_bits`` is passed to the engine (`Engine.execute`).
        """
        sql = query.sql(dialect=self._engine.dialect)
        for key, table in self._memo:
            if key == sql:
                return table
        table = self._engine.execute(query, dense_group_bits=dense_group_bits)
        # only small results are kept: a unit x domain table of millions of rows would
        # double the peak memory for a rare reuse
        self._memo[:] = [(sql, table)] if table.num_rows <= _MEMO_ROWS else []
        return table

    def first_rows(self, condition: exp.Expr) -> list[int]:
        """Row numbers (from 1) of the first rows where ``condition`` holds."""
        row = exp.column(ROW_COLUMN, quoted=True)
        query = (
            exp.select(row)
            .from_(exp.to_table(self._source))
            .where(condition)
            .order_by(row)
            .limit(_SHOWN_ROWS)
        )
        result = self._engine.execute(query)
        return [int(v) + 1 for v in result.column(0).to_pylist()]

    # -- estimators -----------------------------------------------------------------

    def total(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        where: Condition | None = None,
        na_rm: bool = False,
        level: float = 0.95,
    ) -> Estimates:
        """Estimated population totals (R's ``svytotal``), optionally by domains.

        Parameters
        ----------
        variables
            Column(s) to total. A categorical (text or boolean) column gives one row per
            level: the estimated number of population units at that level.
        by
            Domain column(s): one estimate per combination of their values.
        where
            Domain condition (``"age >= 15"`` or ``{"sex": "F"}``); rows outside it are
            kept in the design with zero contribution.
        na_rm
            Treat rows with a missing value as outside the domain (R's ``na.rm=TRUE``).
            Without it, a missing value in a domain is an error.
        level
            Confidence level of the Wald interval.

        Returns
        -------
        Estimates
            One row per variable (level) and domain; totals in the variable's unit
            times population units.
        """
        return self._linear(
            "total", _as_list(variables), by=by, where=where, na_rm=na_rm, level=level
        )

    def mean(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        where: Condition | None = None,
        na_rm: bool = False,
        level: float = 0.95,
    ) -> Estimates:
        """Estimated population means of numeric columns (R's ``svymean``).

        Parameters are as for `total`; the estimate is in the variable's unit.
        """
        return self._linear(
            "mean", _as_list(variables), by=by, where=where, na_rm=na_rm, level=level
        )

    def proportion(
        self,
        variable: str,
        *,
        by: str | Sequence[str] | None = None,
        where: Condition | None = None,
        na_rm: bool = False,
        level: float = 0.95,
    ) -> Estimates:
        """Estimated share of the population at each level of a variable.

        As R's ``svymean`` of a factor: one row per level, the term is the level; the
        estimate is a fraction in [0, 1]. Other parameters are as for `total`.
        """
        return self._linear("proportion", [variable], by=by, where=where, na_rm=na_rm, level=level)

    def ratio(
        self,
        numerator: str,
        denominator: str,
        *,
        by: str | Sequence[str] | None = None,
        where: Condition | None = None,
        na_rm: bool = False,
        level: float = 0.95,
    ) -> Estimates:
        """Estimated ratio of two population totals (R's ``svyratio``).

        The variable of each row is ``"numerator/denominator"``; the estimate is in
        the numerator's unit per denominator unit. Other parameters are as for `total`.
        """
        return self._linear(
            "ratio",
            [numerator],
            denominator=denominator,
            by=by,
            where=where,
            na_rm=na_rm,
            level=level,
        )

    def quantile(
        self,
        variable: str,
        probabilities: float | Sequence[float] = 0.5,
        *,
        by: str | Sequence[str] | None = None,
        where: Condition | None = None,
        na_rm: bool = False,
        level: float = 0.95,
        qrule: QuantileRule = "math",
    ) -> Estimates:
        """Quantiles with Woodruff confidence intervals (R's ``svyquantile``).

        Parameters
        ----------
        variable
            Numeric column.
        probabilities
            One or more probabilities in [0, 1]; the term of each row is its text.
        qrule
            ``"math"`` (R's default: the smallest value whose cumulative share reaches
            p) or ``"school"`` (the average of the two middle values at an exact
            split, R's ``qrule="school"``).
        by, where, na_rm, level
            As for `total`. The interval uses t with the domain's degrees of freedom
            (a replicate design's: those of its replicates); the standard error is the
            interval's width over 2 t, and ``deff`` is NaN.

        Returns
        -------
        Estimates
            One row per probability and domain, in the variable's unit.
        """
        from amargah.stats.estimation.quantiles import estimate_quantiles
        from amargah.stats.estimation.replication import estimate_replicated_quantiles

        values = list([probabilities] if isinstance(probabilities, int | float) else probabilities)
        scheme = self._replicates()
        if scheme is not None:
            return estimate_replicated_quantiles(
                self,
                scheme,
                variable,
                values,
                by=by,
                where=where,
                na_rm=na_rm,
                level=level,
                qrule=qrule,
            )
        return estimate_quantiles(
            self, variable, values, by=by, where=where, na_rm=na_rm, level=level, qrule=qrule
        )

    def ciprop(
        self,
        variable: str,
        category: Any,
        *,
        by: str | Sequence[str] | None = None,
        where: Condition | None = None,
        na_rm: bool = False,
        level: float = 0.95,
    ) -> Estimates:
        """Share at one level of a variable with a logit interval (R's ``svyciprop``).

        The estimate and its standard error are those of the proportion (Taylor, or
        from the replicates of a replicate design); the interval is the Wald interval
        of its logit on t with the domain's degrees of freedom, mapped back, so it
        stays inside (0, 1). Other parameters are as for `total`; the term is the
        category.
        """
        from amargah.stats.estimation.quantiles import estimate_ciprop
        from amargah.stats.estimation.replication import estimate_replicated_ciprop

        scheme = self._replicates()
        if scheme is not None:
            return estimate_replicated_ciprop(
                self, scheme, variable, category, by=by, where=where, na_rm=na_rm, level=level
            )
        return estimate_ciprop(
            self, variable, category, by=by, where=where, na_rm=na_rm, level=level
        )

    def _replicates(self) -> ReplicateScheme | None:
        """The replicates the variances come from; None for Taylor linearisation.

        The one thing a replicate design overrides for its estimators, so that each
        estimator's signature and documentation are written once.
        """
        return None

    def _linear(
        self,
        statistic: str,
        variables: list[str],
        *,
        denominator: str | None = None,
        by: str | Sequence[str] | None,
        where: Condition | None,
        na_rm: bool,
        level: float,
    ) -> Estimates:
        """Totals, means, proportions or (with ``denominator``) ratios."""
        from amargah.stats.estimation.replication import estimate_replicated
        from amargah.stats.estimation.taylor import estimate_linear, estimate_ratio

        scheme = self._replicates()
        if scheme is not None:
            return estimate_replicated(
                self,
                scheme,
                statistic,
                variables,
                denominator=denominator,
                by=by,
                where=where,
                na_rm=na_rm,
                level=level,
            )
        if denominator is not None:
            return estimate_ratio(
                self, variables[0], denominator, by=by, where=where, na_rm=na_rm, level=level
            )
        return estimate_linear(
            self, statistic, variables, by=by, where=where, na_rm=na_rm, level=level
        )

    # -- replicate designs ------------------------------------------------------------

    def replicate(
        self,
        method: ReplicateMethod,
        *,
        replicates: int | None = None,
        seed: int | None = None,
        fay_rho: float = 0.5,
        mse: bool = False,
    ) -> ReplicateDesign:
        """A replicate-weight design made from this one (R's ``as.svrepdesign``).

        Parameters
        ----------
        method
            ``"jk1"`` (unstratified jackknife), ``"jkn"`` (stratified jackknife; the
            first-stage fpc enters the replicate scales as in R), ``"brr"`` (balanced
            half-samples from R's Hadamard matrix; the PSUs of a stratum are paired,
            a stratum with an even number above two split into pairs as R does),
            ``"fay"`` (BRR with Fay's ``fay_rho``) or ``"bootstrap"`` (Rao-Wu rescaling
            bootstrap, ``n_h - 1`` PSUs drawn with replacement per stratum).
        replicates
            Number of bootstrap replicates (50 by default).
        seed
            Seed of the bootstrap's random draws.
        fay_rho
            Fay's factor for ``"fay"``.
        mse
            Centre the replicates on the full-sample estimate (R's ``mse=TRUE``).

        Returns
        -------
        ReplicateDesign
            A new design; this one is unchanged. Replicate estimates reuse the PSU
            totals of one pass over the rows.
        """
        from amargah.stats.estimation.replication import make_scheme

        scheme = make_scheme(
            self, method, replicates=replicates, seed=seed, fay_rho=fay_rho, mse=mse
        )
        return ReplicateDesign(self, scheme)

    def with_replicate_weights(
        self,
        columns: str | Sequence[str],
        *,
        method: SuppliedMethod,
        scale: float | None = None,
        rscales: Sequence[float] | None = None,
        fay_rho: float | None = None,
        mse: bool = False,
    ) -> ReplicateDesign:
        """A design whose variance comes from replicate weight columns in the data.

        As R's ``svrepdesign(repweights=..., type=..., combined.weights=TRUE)``: the
        columns hold full replicate weights; ``columns`` is a list of names or a regular
        expression (matched anywhere in the name, as R's ``grep``). ``scale`` defaults
        by method as in R (JK1 ``(R-1)/R``, BRR ``1/R``, Fay ``1/(R(1-rho)^2)``,
        bootstrap ``1/(R-1)``); JKn needs ``rscales``.
        """
        from amargah.stats.estimation.replication import supplied_scheme

        scheme = supplied_scheme(
            self,
            columns,
            method=method,
            scale=scale,
            rscales=rscales,
            fay_rho=fay_rho,
            mse=mse,
        )
        return ReplicateDesign(self, scheme)

    # -- construction ---------------------------------------------------------------

    def _validate_columns(self) -> list[tuple[str, exp.Expr, str]]:
        """Check the design columns' names and types; return row checks for the pass.

        Each check is (column, condition on a bad row, message); `_check_rows` applies
        them when the sampling units are found.
        """
        named = [*self._ids, *self._strata, *self._fpc]
        named += [c for c in (self._weights, self._probs) if c is not None]
        for column in named:
            self.require_column(column)
        for column in [*self._fpc, *(c for c in (self._weights, self._probs) if c)]:
            self.require_numeric(column)
        stages = max(len(self._ids), 1)
        if len(self._strata) > stages:
            raise SurveyInputError(
                f"{len(self._strata)} strata columns for {stages} stage(s) of clusters"
            )
        if self._fpc and len(self._fpc) != stages:
            raise SurveyInputError(
                f"fpc gives {len(self._fpc)} column(s) for {stages} stage(s); give one per stage"
            )
        checks: list[tuple[str, exp.Expr, str]] = []
        for column in [*self._ids, *self._strata, *self._fpc]:
            checks.append((column, self.column(column).is_(exp.Null()), "missing values"))
        for column in self._fpc:
            checks.append(
                (
                    column,
                    exp.LTE(this=self.column(column), expression=exp.Literal.number(0)),
                    "finite population correction must be positive",
                )
            )
        if self._weights is not None:
            w = self.column(self._weights)
            checks.append((self._weights, w.is_(exp.Null()), "missing weights"))
            checks.append(
                (
                    self._weights,
                    exp.LT(this=w, expression=exp.Literal.number(0)),
                    "negative weights",
                )
            )
        if self._probs is not None:
            p = self.column(self._probs)
            checks.append((self._probs, p.is_(exp.Null()), "missing probabilities"))
            checks.append(
                (
                    self._probs,
                    exp.or_(
                        exp.LTE(this=p, expression=exp.Literal.number(0)),
                        exp.GT(this=p, expression=exp.Literal.number(1)),
                    ),
                    "selection probabilities must be in (0, 1]",
                )
            )
        return checks

    def _build_units(
        self,
        checks: Sequence[tuple[str, exp.Expr, str]],
        facts: ColumnFacts,
    ) -> Units:
        # the finest unit is the last-stage cluster; every row when ids is "1"
        key_columns = list(dict.fromkeys([*self._strata, *(self._ids or (ROW_COLUMN,))]))
        keys = [self.column(c).as_(f"k{i}") for i, c in enumerate(key_columns)]
        fpc_bounds = []
        for j, column in enumerate(self._fpc):
            fpc_bounds.append(exp.func("min", self.number(column)).as_(f"fmin{j}"))
            fpc_bounds.append(exp.func("max", self.number(column)).as_(f"fmax{j}"))
        query = (
            exp.select(
                *keys,
                *fpc_bounds,
                exp.func("min", exp.column(ROW_COLUMN, quoted=True)).as_("first_row"),
            )
            .from_(exp.to_table(self._source))
            .group_by(*(self.column(c) for c in key_columns))
        )
        table = self._engine.execute(query)
        # bad rows are reported before anything is built on them
        self._check_rows(checks, table, key_columns, facts)
        # the unit order follows the first row of each unit, so that unit numbers are
        # stable across runs
        table = table.sort_by("first_row")
        count = table.num_rows
        if count == 0:
            raise SurveyInputError("the data has no rows")
        codes = {c: _codes(table.column(f"k{i}")) for i, c in enumerate(key_columns)}
        first_row = np.asarray(table.column("first_row").to_numpy(), dtype=np.int64)
        n_stages = max(len(self._ids), 1)
        ids = list(self._ids) or [ROW_COLUMN]
        zeros = np.zeros(count, dtype=np.int64)

        def stratum_codes(stage: int) -> IntArray:
            return codes[self._strata[stage]] if stage < len(self._strata) else zeros

        stages: list[Stage] = []
        sample_sizes: list[FloatArray] = []  # per unit, per stage
        population_sizes: list[FloatArray] = []
        previous_cluster = zeros
        for s in range(n_stages):
            cluster_parts = [codes[c] for c in ids[: s + 1]]
            if self._nest:
                cluster_parts = [stratum_codes(t) for t in range(min(s + 1, len(self._strata)))]
                cluster_parts += [codes[c] for c in ids[: s + 1]]
            cluster = _combine(cluster_parts)
            stratum = _combine([stratum_codes(s), previous_cluster])
            if s == 0 and self._strata and not self._nest:
                _check_nested(cluster, stratum, table, key_columns, ids[0], first_row)
            n_clusters = int(cluster.max()) + 1
            cluster_stratum = np.zeros(n_clusters, dtype=np.int64)
            cluster_stratum[cluster] = stratum
            n_strata = int(stratum.max()) + 1
            sample = np.bincount(cluster_stratum, minlength=n_strata).astype(float)
            parent = np.zeros(n_strata, dtype=np.int64)
            parent[stratum] = previous_cluster
            population = np.full(n_strata, np.inf)
            if self._fpc:
                population = self._population_sizes(
                    s, table, stratum, sample, first_row, fpc_all=self._fpc_kind(table)
                )
            stages.append(Stage(cluster, cluster_stratum, parent, sample, population))
            sample_sizes.append(sample[stratum])
            population_sizes.append(population[stratum])
            previous_cluster = cluster
        later_lonely = None
        if self._lonely_psu == "fail":
            variance_stages = stages if self._fpc else stages[:1]
            first = self._lonely_error(variance_stages[:1], first_row, start=0)
            if first is not None:
                raise first
            later_lonely = self._lonely_error(variance_stages[1:], first_row, start=1)
        weight_factor = np.ones(count)
        if self._weights is None and self._probs is None and self._fpc:
            for sample, population in zip(sample_sizes, population_sizes, strict=True):
                weight_factor = weight_factor * population / sample
        relation = fresh_name("units")
        unit_table = table.select([f"k{i}" for i in range(len(key_columns))]).append_column(
            UNIT_COLUMN, pa.array(np.arange(count, dtype=np.int64))
        )
        # the unit order stays the first rows' (replicate columns follow it, as R's
        # do); a second index numbers the units stratum by stratum
        by_stratum = np.empty(count, dtype=np.int64)
        first_stratum = stages[0].cluster_stratum[stages[0].cluster]
        by_stratum[np.argsort(first_stratum, kind="stable")] = np.arange(count)
        unit_table = unit_table.append_column(STRATUM_ORDER_COLUMN, pa.array(by_stratum))
        # estimators join rows to their unit's index and group by it
        self._engine.register_arrow(relation, unit_table, lookup=True)
        labels: list[Any] = [None] * stages[0].n_strata
        if self._strata:
            values = table.column(f"k{key_columns.index(self._strata[0])}").to_pylist()
            for unit in range(count - 1, -1, -1):
                labels[int(first_stratum[unit])] = values[unit]
        return Units(
            relation=relation,
            key_columns=tuple(key_columns),
            stages=tuple(stages if self._fpc else stages[:1]),
            weight_factor=weight_factor,
            count=count,
            stratum_labels=tuple(labels),
            nest=self._nest,
            complete=facts.complete,
            positive=facts.positive,
            integer_ranges=facts.integer_ranges,
            later_lonely=later_lonely,
        )

    def _check_rows(
        self,
        checks: Sequence[tuple[str, exp.Expr, str]],
        units: pa.Table,
        key_columns: Sequence[str],
        facts: ColumnFacts,
    ) -> None:
        """Raise on the first check, in order, that some row fails.

        A missing value in a unit's key column shows in ``units`` as a missing key;
        ``facts`` (columns known complete, and known positive) answer a missing or
        negative value check of their column.
        The other checks are counted together in one ungrouped pass: per row it costs
        a fraction of counts kept per unit, and Parquet statistics often answer it
        without reading the rows. Only when some row fails is each one counted.
        """
        failing = [False] * len(checks)
        counted: list[int] = []
        for i, (column, cond, _) in enumerate(checks):
            missing = cond == self.column(column).is_(exp.Null())
            zero = exp.Literal.number(0)
            negative = cond in (
                exp.LT(this=self.column(column), expression=zero),
                exp.LTE(this=self.column(column), expression=zero.copy()),
            )
            if (missing and column in facts.complete) or (negative and column in facts.positive):
                continue
            if column in key_columns and missing:
                k = list(key_columns).index(column)
                failing[i] = units.column(f"k{k}").null_count > 0
            else:
                counted.append(i)

        def count(cond: exp.Expr) -> exp.Expr:
            # COUNT of a CASE without ELSE: cheaper than summing ones and zeros, and a
            # 64-bit integer in every engine
            return exp.func("count", exp.Case().when(cond, exp.Literal.number(1)))

        source = exp.to_table(self._source)
        if counted:
            some = exp.or_(*(exp.Paren(this=checks[i][1].copy()) for i in counted))
            bad = self._engine.execute(exp.select(count(some).as_("bad")).from_(source))
            if bad.column(0)[0].as_py():
                each = [count(checks[i][1].copy()).as_(f"check{i}") for i in counted]
                table = self._engine.execute(exp.select(*each).from_(source))
                for i in counted:
                    failing[i] = bool(table.column(f"check{i}")[0].as_py())
        for (column, cond, message), fails in zip(checks, failing, strict=True):
            if fails:
                raise SurveyInputError(message, column=column, rows=self.first_rows(cond))

    def _fpc_kind(self, table: pa.Table) -> str:
        values = np.concatenate(
            [
                np.asarray(table.column(f"fmin{j}").to_numpy(), dtype=float)
                for j in range(len(self._fpc))
            ]
            + [
                np.asarray(table.column(f"fmax{j}").to_numpy(), dtype=float)
                for j in range(len(self._fpc))
            ]
        )
        if bool(np.all(values <= 1)):
            return "fraction"
        if bool(np.all(values >= 1)):
            return "size"
        raise SurveyInputError(
            "fpc must be all population sizes (>= 1) or all sampling fractions (<= 1)",
            column="+".join(self._fpc),
        )

    def _population_sizes(
        self,
        stage: int,
        table: pa.Table,
        stratum: IntArray,
        sample: FloatArray,
        first_row: IntArray,
        *,
        fpc_all: str,
    ) -> FloatArray:
        column = self._fpc[stage]
        low = np.asarray(table.column(f"fmin{stage}").to_numpy(), dtype=float)
        high = np.asarray(table.column(f"fmax{stage}").to_numpy(), dtype=float)
        n_strata = sample.shape[0]
        stratum_low = np.full(n_strata, np.inf)
        stratum_high = np.full(n_strata, -np.inf)
        np.minimum.at(stratum_low, stratum, low)
        np.maximum.at(stratum_high, stratum, high)
        varying = np.flatnonzero(stratum_low != stratum_high)
        if varying.size:
            rows = sorted(int(first_row[i]) + 1 for i in np.flatnonzero(np.isin(stratum, varying)))
            raise SurveyInputError(
                f"finite population correction varies within a stratum at stage {stage + 1}",
                column=column,
                rows=rows[:_SHOWN_ROWS],
            )
        population = stratum_low if fpc_all == "size" else sample / stratum_low
        too_small = np.flatnonzero(population < sample - 1e-9)
        if too_small.size:
            h = int(too_small[0])
            rows = sorted(int(first_row[i]) + 1 for i in np.flatnonzero(stratum == h))
            raise SurveyInputError(
                f"finite population correction implies more than 100% sampling at stage "
                f"{stage + 1}: population {population[h]:g} but {sample[h]:g} units sampled "
                "in the stratum",
                column=column,
                rows=rows[:_SHOWN_ROWS],
            )
        return population

    def _lonely_error(
        self, stages: Sequence[Stage], first_row: IntArray, *, start: int
    ) -> SurveyInputError | None:
        """The error for the first of ``stages`` (numbered from ``start``) that has a stratum
        with a single cluster, or None; its rows are the first of each such stratum."""
        for s, stage in enumerate(stages, start=start):
            lonely = (stage.sample_size <= 1) & (stage.correction >= 1e-7)
            if not lonely.any():
                continue
            unit_stratum = stage.cluster_stratum[stage.cluster]
            units = np.flatnonzero(lonely[unit_stratum])
            units = units[np.argsort(first_row[units], kind="stable")]
            _strata, first = np.unique(unit_stratum[units], return_index=True)
            rows = sorted(int(first_row[units[i]]) + 1 for i in first)[:_SHOWN_ROWS]
            # a later stage's strata are the clusters of the stage above (within any
            # strata column given for the stage)
            if s < len(self._strata):
                column: str | None = self._strata[s]
            else:
                column = self._ids[s - 1] if 0 < s <= len(self._ids) else None
            return SurveyInputError(
                f"a stratum has only one PSU at stage {s + 1} "
                f"({int(lonely.sum())} such strata); choose a lonely_psu option "
                "(remove, adjust, average, certainty)",
                column=column,
                rows=rows,
            )
        return None


class ReplicateDesign(Design):
    """A design whose standard errors come from replicate weights.

    Made by `Design.replicate` or `Design.with_replicate_weights`; it shares the data
    and sampling units of the design it was made from. Every estimator (totals, means,
    proportions, ratios, quantiles, ciprop) takes its variance from the replicates.
    """

    __slots__ = ("_scheme",)

    _scheme: ReplicateScheme

    def __init__(self, design: Design, scheme: ReplicateScheme) -> None:
        for name in Design.__slots__:
            object.__setattr__(self, name, getattr(design, name))
        object.__setattr__(self, "_memo", [])
        object.__setattr__(self, "_scheme", scheme)

    @property
    def scheme(self) -> ReplicateScheme:
        """How the replicates are formed and combined."""
        return self._scheme

    @property
    def replicate_count(self) -> int:
        """Number of replicates."""
        return self._scheme.count

    def __repr__(self) -> str:
        base = super().__repr__()
        method = self._scheme.method
        return f"Replicate{base[:-1]}, method={method!r}, replicates={self.replicate_count})"

    def _replicates(self) -> ReplicateScheme:
        return self._scheme

    def _reweighted(self, base: Design) -> ReplicateDesign:
        """A replicate design over ``base`` (this design with one more weighting step).

        Every replicate is re-weighted through the new step as the full sample was: a
        first post-stratification or raking from the PSU x post-stratum sums; anything
        else (a chain of steps, nonresponse, replicate weight columns) through the
        chain's weighting cells.
        """
        from amargah.stats.estimation.replication import (
            grouped_df,
            poststratum_ratio,
            supplied_df,
        )
        from amargah.stats.weighting.chain import (
            chain_df,
            ensure_chain,
            replicate_ratio,
            supplied_factors,
        )

        if self._scheme.columns:
            # replicate weight columns: every column re-weighted through every step
            base = ensure_chain(base)
            factors = supplied_factors(base, self._scheme)
            scheme = replace(self._scheme, supplied_factors=factors, kept_degrees=None)
            # R recomputes the rank of the re-weighted columns
            return ReplicateDesign(base, replace(scheme, degrees=supplied_df(base, scheme)))

        # R recomputes a re-weighted replicate design's degrees of freedom: the rank of
        # its replicate weights minus one
        psu = self._units.stages[0].cluster
        groups, raking = base.poststrata, base.raking
        single = len(base.steps) == 1 and base.steps[0].kind in ("poststratify", "rake")
        if base.chain is None and groups is not None and single:
            ratio = poststratum_ratio(base, self._scheme)
            if raking is not None:
                weight = raking.base_weight * groups.factor[raking.cell]
                df = grouped_df(
                    base,
                    self._scheme,
                    psu[raking.unit],
                    raking.cell,
                    ratio,
                    weight,
                    raking.base_square * groups.factor[raking.cell] ** 2,
                )
            else:
                df = grouped_df(
                    base,
                    self._scheme,
                    psu[groups.unit],
                    groups.stratum,
                    ratio,
                    groups.weight,
                    groups.pair_square,
                )
            return ReplicateDesign(
                base,
                replace(self._scheme, poststratum_ratio=ratio, degrees=df, kept_degrees=None),
            )
        base = ensure_chain(base)
        ratio = replicate_ratio(base, self._scheme)
        scheme = replace(
            self._scheme,
            poststratum_ratio=ratio,
            calibration_coefficients=None,
            degrees=chain_df(base, self._scheme, ratio),
            kept_degrees=None,
        )
        return ReplicateDesign(base, scheme)

    def poststratify(
        self,
        strata: str | Sequence[str],
        population: pa.Table | Mapping[Any, float],
        *,
        partial: bool = False,
    ) -> Design:
        """A post-stratified replicate design (R's ``postStratify`` of a svrep design).

        The full-sample weights are post-stratified as by `Design.poststratify`, and
        every replicate's weights are rescaled to the same population sizes, so the
        replicate variance accounts for the post-stratification. After an earlier
        weighting step, each replicate is post-stratified from its own weights.
        """
        from amargah.stats.weighting.poststratify import poststratify

        base = poststratify(self, strata, population, partial=partial)
        return self._reweighted(base)

    def rake(
        self,
        margins: Sequence[tuple[str | Sequence[str], pa.Table | Mapping[Any, float]]],
        *,
        epsilon: float = 1.0,
        maxit: int = 10,
    ) -> Design:
        """A raked replicate design (R's ``rake`` of a svrep design).

        The full-sample weights are raked as by `Design.rake`; every replicate's
        weights are raked to the same margins with as many sweeps, so the replicate
        variance accounts for the raking.
        """
        from amargah.stats.weighting.rake import rake

        base = rake(self, margins, epsilon=epsilon, maxit=maxit)
        return self._reweighted(base)

    def calibrate(
        self,
        formula: str,
        totals: Mapping[str, float],
        *,
        calfun: CalibrationFunction = "linear",
        maxit: int = 50,
        epsilon: float = 1e-10,
    ) -> Design:
        """A calibrated replicate design (R's ``calibrate`` of a svrep design).

        The full-sample weights are calibrated as by `Design.calibrate`, and every
        replicate's weights are calibrated to the same totals (raking: with R's
        Newton steps from zero and the same ``epsilon``), so the replicate variance
        accounts for the calibration.
        """
        from amargah.stats.weighting.calibrate import calibrate

        return calibrate(self, formula, totals, calfun=calfun, maxit=maxit, epsilon=epsilon)

    def adjust_nonresponse(
        self, classes: str | Sequence[str], *, response: str, respondent: Any = 1
    ) -> Design:
        """A replicate design adjusted for nonresponse (see `Design.adjust_nonresponse`).

        Every replicate's respondents are scaled to the classes' full-sample totals, as
        R's ``postStratify`` of the respondents of a replicate design does.
        """
        from amargah.stats.weighting.nonresponse import adjust_nonresponse

        base = adjust_nonresponse(self, classes, response=response, respondent=respondent)
        return self._reweighted(base)

    def trim_weights(
        self, *, upper: float = math.inf, lower: float = -math.inf, strict: bool = False
    ) -> Design:
        """Not available for replicate designs: trim the design, then replicate it."""
        raise SurveyInputError(
            "trimming the weights of a replicate design is not available; trim the "
            "weights, then make the replicates"
        )

    def replicate(
        self,
        method: ReplicateMethod,
        *,
        replicates: int | None = None,
        seed: int | None = None,
        fay_rho: float = 0.5,
        mse: bool = False,
    ) -> ReplicateDesign:
        """Replicates of the underlying design (the current replicates are replaced)."""
        return super().replicate(method, replicates=replicates, seed=seed, fay_rho=fay_rho, mse=mse)


def _as_list(variables: str | Sequence[str]) -> list[str]:
    if isinstance(variables, str):
        return list(parse_terms(variables))
    return list(variables)


def _codes(column: pa.ChunkedArray) -> IntArray:
    """Integer codes 0..k-1 of a key column (equal values, equal codes)."""
    return sorted_codes(column)[0]


def _combine(parts: Sequence[IntArray]) -> IntArray:
    """Codes of the combinations of several code arrays (0..k-1)."""
    sizes = [int(p.max()) + 1 if len(p) else 1 for p in parts]
    return dense_combination(parts, sizes)[0]


def _column_facts(data: DataSource) -> ColumnFacts:
    """Columns known, without reading their values, to be complete and to be positive,
    and the range of integer columns.

    A Parquet file's statistics give all three, per row group (a column counts only
    when every row group has them); an Arrow table's null counts give the first.
    Anything else tells nothing.
    """
    complete: set[str] = set()
    positive: set[str] = set()
    ranges: dict[str, tuple[int, int]] = {}
    if isinstance(data, pa.Table):
        complete = {name for name in data.column_names if data.column(name).null_count == 0}
    elif isinstance(data, str | Path) and Path(data).suffix.lower() in (".parquet", ".pq"):
        metadata = pq.ParquetFile(data).metadata
        top_level = set(metadata.schema.to_arrow_schema().names)
        for i in range(metadata.num_columns):
            name = metadata.schema.column(i).path
            if name not in top_level:
                continue
            stats = [
                metadata.row_group(g).column(i).statistics for g in range(metadata.num_row_groups)
            ]
            if all(st is not None and st.has_null_count and st.null_count == 0 for st in stats):
                complete.add(name)
            if stats and all(
                st is not None
                and st.has_min_max
                and isinstance(st.min, int | float)
                and not isinstance(st.min, bool)
                and st.min > 0
                for st in stats
            ):
                positive.add(name)
            if stats and all(
                st is not None
                and st.has_min_max
                and isinstance(st.min, int)
                and not isinstance(st.min, bool)
                for st in stats
            ):
                ranges[name] = (min(st.min for st in stats), max(st.max for st in stats))
    return ColumnFacts(frozenset(complete), frozenset(positive), MappingProxyType(ranges))


def _check_nested(
    cluster: IntArray,
    stratum: IntArray,
    table: pa.Table,
    key_columns: Sequence[str],
    psu_column: str,
    first_row: IntArray,
) -> None:
    pairs = np.unique(np.stack([cluster, stratum], axis=1), axis=0)
    strata_per_cluster = np.bincount(pairs[:, 0])
    crossing = np.flatnonzero(strata_per_cluster > 1)
    if crossing.size:
        units = np.flatnonzero(np.isin(cluster, crossing[:1]))
        rows = sorted(int(first_row[i]) + 1 for i in units)[:_SHOWN_ROWS]
        raise SurveyInputError(
            "the same PSU identifier appears in more than one stratum; "
            "if PSU identifiers are only unique within strata, use nest=True (--nest)",
            column=psu_column,
            rows=rows,
        )


def register_data(engine: Engine, data: DataSource) -> tuple[str, int, dict[str, str]]:
    """Register the data with a row-number column.

    Returns the relation name, the number of rows and the engine name of every column.
    SQL engines match identifiers without regard to case, so columns whose names differ
    only in case (R data often has ``nh`` and ``Nh``) are renamed in the engine; users
    keep their own names.
    """
    name = fresh_name("data")
    table: pa.Table | None = None
    if isinstance(data, str | Path):
        path = Path(data)
        suffix = path.suffix.lower()
        if not path.exists():
            raise SurveyInputError(f"no such file: {path}")
        if suffix in (".parquet", ".pq"):
            metadata = _parquet_metadata(path)
            names = metadata.schema.names
            if metadata.num_rows == 0:
                raise SurveyInputError(f"{path.name} has no rows")
            if _engine_names(names) == {n: n for n in names}:
                engine.register_file(name, path, file_format="parquet", row_number=ROW_COLUMN)
                return name, metadata.num_rows, {n: n for n in names}
            table = pq.read_table(path)  # names that differ only in case: renamed below
        else:
            table = read_table(path)
        if table.num_rows == 0:
            raise SurveyInputError(f"{path.name} has no rows")
    else:
        table = data if isinstance(data, pa.Table) else _from_stream(data)
    if ROW_COLUMN in table.column_names:
        raise SurveyInputError(f"the column name {ROW_COLUMN!r} is reserved")
    names = _engine_names(table.column_names)
    table = table.rename_columns([names[n] for n in table.column_names]).append_column(
        ROW_COLUMN, pa.array(np.arange(table.num_rows, dtype=np.int64))
    )
    engine.register_arrow(name, table)
    return name, table.num_rows, names


def _engine_names(names: Sequence[str]) -> dict[str, str]:
    """Engine-safe names: unchanged unless two names differ only in case."""
    if len(set(names)) != len(names):
        duplicated = sorted({n for n in names if list(names).count(n) > 1})
        raise SurveyInputError(f"duplicate column names: {', '.join(duplicated)}")
    taken = {n.lower() for n in names}
    seen: set[str] = set()
    result: dict[str, str] = {}
    for n in names:
        if n.lower() not in seen:
            seen.add(n.lower())
            result[n] = n
            continue
        k = 2
        while f"{n}_{k}".lower() in taken:
            k += 1
        result[n] = f"{n}_{k}"
        taken.add(result[n].lower())
    return result


def read_table(path: Path) -> pa.Table:
    """Read a Parquet or CSV (or tab-separated) file; `SurveyInputError` names what is wrong."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise SurveyInputError(f"no such file: {path}")
    if suffix in (".parquet", ".pq"):
        _parquet_metadata(path)  # a clear error for a file that is not Parquet
        return pq.read_table(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    raise SurveyInputError(f"cannot read {path.name}: give a .parquet or .csv file")


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` as Parquet or CSV, by the suffix of ``path``; `SurveyInputError`
    names what is wrong (another suffix, a folder that does not exist, no permission)."""
    check_output(path)
    try:
        if path.suffix.lower() == ".csv":
            pa_csv.write_csv(table, path)
        else:
            pq.write_table(table, path)
    except OSError as error:
        raise SurveyInputError(f"cannot write {path}: {error.strerror or error}") from None


def check_output(path: Path) -> None:
    """Refuse an output file that `write_table` cannot write by its name, before the
    work that would fill it."""
    if path.suffix.lower() not in (".parquet", ".pq", ".csv"):
        raise SurveyInputError(f"cannot write {path.name}: give a .parquet or .csv file")


def _parquet_metadata(path: Path) -> pq.FileMetaData:
    """The footer of a Parquet file; `SurveyInputError` when it is not one."""
    try:
        return pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as error:
        raise SurveyInputError(f"cannot read {path.name} as Parquet: {error}") from error


# a whole number written with a leading zero: a code (national ID, postal code, area
# code), whose zeros a number would lose
_LEADING_ZERO = r"^-?0[0-9]+$"
# what a CSV file writes for a missing value, as R's read.csv reads it (other text,
# such as "n/a", is text: in a numeric column, an error that names its rows)
_MISSING = ["", "NA"]


def _read_csv(path: Path) -> pa.Table:
    """Read a CSV file; whole-number columns with a value written with a leading zero stay text."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    parse = pa_csv.ParseOptions(delimiter=delimiter)
    try:
        table = pa_csv.read_csv(
            path,
            parse_options=parse,
            convert_options=pa_csv.ConvertOptions(null_values=_MISSING, strings_can_be_null=True),
        )
        integers = [f.name for f in table.schema if pa.types.is_integer(f.type)]
        if not integers:
            return table
        # the integer columns again, as written
        text = pa_csv.read_csv(
            path,
            parse_options=parse,
            convert_options=pa_csv.ConvertOptions(
                null_values=_MISSING,
                strings_can_be_null=True,
                include_columns=integers,
                column_types=dict.fromkeys(integers, pa.string()),
            ),
        )
    except pa.ArrowInvalid as error:
        raise SurveyInputError(f"cannot read {path.name} as CSV: {error}") from None
    for name in integers:
        written = text.column(name)
        if pc.any(pc.match_substring_regex(written, _LEADING_ZERO)).as_py():
            table = table.set_column(table.schema.get_field_index(name), name, written)
    return table


def _from_stream(data: object) -> pa.Table:
    if isinstance(data, ArrowStreamable):
        return pa.RecordBatchReader.from_stream(data).read_all()
    raise SurveyInputError(
        "data must be a path, a pyarrow Table or an object with __arrow_c_stream__, "
        f"not {type(data).__name__}"
    )


def domain_columns(by: str | Sequence[str] | None) -> list[str]:
    """Split ``by`` given as ``"a,b"``, ``"a+b"`` or a sequence."""
    if by is None:
        return []
    if isinstance(by, str):
        return [p.strip() for p in by.replace("+", ",").split(",") if p.strip()]
    return [str(p) for p in by]


__all__ = ["Design", "ReplicateDesign", "domain_columns", "is_numeric"]
