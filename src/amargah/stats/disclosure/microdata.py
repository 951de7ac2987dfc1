"""Protection of microdata for public-use files (the methods of R sdcMicro).

Records are rows; *key variables* (quasi-identifiers: county, sex, age group,
occupation) are those an intruder could know from elsewhere. A record's sample
frequency ``fk`` is the number of records that share its combination of key values; a
file is *k-anonymous* when every ``fk >= k``. A missing key value (``None``, also what
local suppression writes) matches any value, as in sdcMicro.

Local suppression blanks key values of the records at risk, one at a time, choosing
the key variable that the caller ranks least important, until the file is k-anonymous.
Global recoding merges categories; top-coding caps a numeric variable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Record = Mapping[str, Any]


def _combination(record: Record, keys: Sequence[str]) -> tuple[Hashable, ...]:
    return tuple(record[k] for k in keys)


def _matches(a: tuple[Hashable, ...], b: tuple[Hashable, ...]) -> bool:
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def sample_frequencies(records: Sequence[Record], keys: Sequence[str]) -> list[int]:
    """``fk`` of every record: how many records match its key values (itself included).

    Missing values match anything, so a record with a blanked key is counted with
    every record that agrees on its other keys.
    """
    counts = Counter(_combination(r, keys) for r in records)
    distinct = list(counts)
    frequency: dict[tuple[Hashable, ...], int] = {}
    complete = all(None not in c for c in distinct)
    for combination in distinct:
        if complete:
            frequency[combination] = counts[combination]
        else:
            frequency[combination] = sum(
                counts[other] for other in distinct if _matches(combination, other)
            )
    return [frequency[_combination(r, keys)] for r in records]


def k_anonymity_violations(records: Sequence[Record], keys: Sequence[str], *, k: int) -> list[int]:
    """Positions of the records whose ``fk`` is below ``k``."""
    return [i for i, f in enumerate(sample_frequencies(records, keys)) if f < k]


def local_suppression(
    records: Sequence[Record],
    keys: Sequence[str],
    *,
    k: int,
    importance: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Blank key values until the file is k-anonymous.

    Parameters
    ----------
    records
        The microdata.
    keys
        The key variables.
    k
        The anonymity level to reach (2, 3, 5 ...).
    importance
        Key variables from most to least important; the least important are blanked
        first (sdcMicro's ``importance``). By default, the order of ``keys``.

    Returns
    -------
    (records, suppressions)
        New records, and the number of values blanked per key variable.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    order = list(reversed(importance or keys))
    out = [dict(r) for r in records]
    suppressed = dict.fromkeys(keys, 0)
    while True:
        at_risk = k_anonymity_violations(out, keys, k=k)
        if not at_risk:
            return out, suppressed
        # the record at risk with the fewest matches first: it needs it most
        frequencies = sample_frequencies(out, keys)
        worst = min(at_risk, key=lambda i: (frequencies[i], i))
        record = out[worst]
        for variable in order:
            if record[variable] is not None:
                record[variable] = None
                suppressed[variable] += 1
                break
        else:
            raise ValueError("every key value of a record is blank and it is still at risk")


def global_recode(
    records: Sequence[Record], variable: str, mapping: Mapping[Any, Any] | Callable[[Any], Any]
) -> list[dict[str, Any]]:
    """Replace ``variable``'s values through ``mapping`` (a dict, or a function).

    Values the dict does not name are kept; missing values stay missing.
    """
    recode = mapping if callable(mapping) else (lambda v: mapping.get(v, v))
    return [{**r, variable: None if r[variable] is None else recode(r[variable])} for r in records]


def top_code(records: Sequence[Record], variable: str, *, cap: float) -> list[dict[str, Any]]:
    """Cap ``variable`` at ``cap`` (in its unit): larger values become ``cap``."""
    return [
        {**r, variable: r[variable] if r[variable] is None else min(r[variable], cap)}
        for r in records
    ]


@dataclass(frozen=True)
class RiskReport:
    """Disclosure risk and information loss of a file for given key variables.

    Attributes
    ----------
    records
        Number of records.
    k
        The anonymity level checked.
    at_risk
        Records with ``fk < k``.
    uniques
        Records unique on the key variables (``fk == 1``).
    expected_reidentifications
        Sum of ``1 / fk``: the expected number of records an intruder matching on the
        keys would identify correctly (sdcMicro's global risk for a census file).
    suppressed
        Key values blanked per variable, when the file was locally suppressed.
    information_loss
        Share of key values blank (0..1).
    """

    records: int
    k: int
    at_risk: int
    uniques: int
    expected_reidentifications: float
    suppressed: Mapping[str, int]
    information_loss: float


def risk_report(
    records: Sequence[Record],
    keys: Sequence[str],
    *,
    k: int,
    suppressed: Mapping[str, int] | None = None,
) -> RiskReport:
    """The risk report of a file (see `RiskReport`)."""
    frequencies = sample_frequencies(records, keys)
    blanks = sum(r[key] is None for r in records for key in keys)
    cells = len(records) * len(keys)
    return RiskReport(
        records=len(records),
        k=k,
        at_risk=sum(f < k for f in frequencies),
        uniques=sum(f == 1 for f in frequencies),
        expected_reidentifications=float(sum(1.0 / f for f in frequencies)),
        suppressed=dict(suppressed or {}),
        information_loss=blanks / cells if cells else 0.0,
    )
