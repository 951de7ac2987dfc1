"""The frozen results every estimator returns: one `Estimate` per row, `Estimates` for many."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, overload

import pyarrow as pa

DomainKey = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimated quantity with its precision.

    Attributes
    ----------
    statistic
        ``"total"``, ``"mean"``, ``"ratio"``, ``"proportion"``, ``"quantile"``, ...
    variable
        The analysis variable (``"num/den"`` for a ratio).
    term
        The level of a categorical variable, or the probability of a quantile, as text;
        ``None`` for a numeric variable.
    domain
        ``{column: level}`` of the subpopulation, or ``None`` for the whole population.
    estimate
        The point estimate, in the unit of the variable (totals: unit × persons).
    se
        Its standard error, same unit.
    ci_lower, ci_upper
        Bounds of the confidence interval at the requested level.
    cv
        Coefficient of variation, ``se / estimate`` as R's ``cv`` (a fraction, not a percentage).
    deff
        Design effect against simple random sampling without replacement (R's default).
    df
        Degrees of freedom (R's ``degf``): PSUs minus strata for a Taylor design, the
        rank of the replicate weights minus one for a replicate design. Quantiles and
        ciprop, whose intervals use t, take the domain's own (as R's ``svyby`` does);
        the other statistics, with normal intervals, report the whole design's.
    n
        Unweighted number of sample rows in the domain used by the estimate (rows of
        weight zero, such as adjusted-away nonrespondents, are not counted).
    population
        Weighted number of population units in the domain (sum of weights).
    """

    statistic: str
    variable: str
    term: str | None
    domain: DomainKey | None
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    cv: float
    deff: float
    df: float
    n: int
    population: float

    def __post_init__(self) -> None:
        if self.domain is not None and not isinstance(self.domain, MappingProxyType):
            object.__setattr__(self, "domain", MappingProxyType(dict(self.domain)))

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` (the domain as a ``dict``), ready for JSON."""
        row = {name: getattr(self, name) for name in _FIELDS}
        if self.domain is not None:
            row["domain"] = dict(self.domain)
        return row


_FIELDS = tuple(f for f in Estimate.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Estimates(Sequence[Estimate]):
    """An immutable, ordered collection of `Estimate` rows.

    Examples
    --------
    >>> e = Estimates((Estimate("mean", "y", None, None, 2.0, 0.1, 1.8, 2.2,
    ...                         0.05, 1.0, 9.0, 10, 100.0),))
    >>> e.to_dicts()[0]["estimate"]
    2.0
    """

    rows: tuple[Estimate, ...] = field(default=())

    def __iter__(self) -> Iterator[Estimate]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Estimate: ...

    @overload
    def __getitem__(self, index: slice) -> Estimates: ...

    def __getitem__(self, index: int | slice) -> Estimate | Estimates:
        if isinstance(index, slice):
            return Estimates(self.rows[index])
        return self.rows[index]

    def __add__(self, other: Estimates) -> Estimates:
        return Estimates(self.rows + other.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        """One ``dict`` per row, fields in the order of `Estimate`."""
        return [row.to_dict() for row in self.rows]

    def to_arrow(self) -> pa.Table:
        """An Arrow table with one column per field; the domain as a JSON-able map.

        The domain column is ``map<string, string>`` (levels as text) so that rows from
        different ``by=`` columns fit one schema; ``None`` for the whole population.
        """
        columns: dict[str, list[Any]] = {name: [] for name in _FIELDS}
        for row in self.rows:
            for name in _FIELDS:
                value = getattr(row, name)
                if name == "domain" and value is not None:
                    value = [(str(k), str(v)) for k, v in value.items()]
                columns[name].append(value)
        schema = pa.schema(
            [
                ("statistic", pa.string()),
                ("variable", pa.string()),
                ("term", pa.string()),
                ("domain", pa.map_(pa.string(), pa.string())),
                ("estimate", pa.float64()),
                ("se", pa.float64()),
                ("ci_lower", pa.float64()),
                ("ci_upper", pa.float64()),
                ("cv", pa.float64()),
                ("deff", pa.float64()),
                ("df", pa.float64()),
                ("n", pa.int64()),
                ("population", pa.float64()),
            ]
        )
        return pa.table(columns, schema=schema)

    def find(
        self,
        *,
        statistic: str | None = None,
        variable: str | None = None,
        term: str | None = None,
        domain: DomainKey | None = None,
    ) -> Estimate:
        """The single row matching every given field (``domain`` compared as a dict)."""
        matches = [
            row
            for row in self.rows
            if (statistic is None or row.statistic == statistic)
            and (variable is None or row.variable == variable)
            and (term is None or row.term == term)
            and (domain is None or (row.domain is not None and dict(row.domain) == dict(domain)))
        ]
        if len(matches) != 1:
            raise KeyError(
                f"{len(matches)} rows match statistic={statistic!r} variable={variable!r} "
                f"term={term!r} domain={domain!r}"
            )
        return matches[0]
