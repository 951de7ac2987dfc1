"""Protection of microdata for public-use files (the methods of R sdcMicro).

Records are rows; *key variables* (quasi-identifiers: county, sex, age group,
occupation) are those an intruder could know from elsewhere. A record's sample
frequency ``fk`` is the number of records that share its combination of key values; a
file is *k-anonymous* when every ``fk >= k``. A missing key value (``None``, also what
local suppression writes) matches any value, as in sdcMicro.

Local suppression blanks key values of the records at risk, in rounds, choosing the
key variable that the caller ranks least important, until the file is k-anonymous.
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


def sample_frequencies(records: Sequence[Record], keys: Sequence[str]) -> list[int]:
    """``fk`` of every record: how many records match its key values (itself included).

    Missing values match anything, so a record with a blanked key is counted with
    every record that agrees on its other keys. Records are grouped by which keys
    they miss; two groups are compared on the keys present in both, through one hash
    table per pair of groups, so the cost grows with the number of records times the
    square of the number of missingness patterns (at most 2 ** len(keys)), not with
    the square of the number of records.
    """
    combos = [_combination(r, keys) for r in records]
    by_pattern: dict[frozenset[int], Counter[tuple[Hashable, ...]]] = {}
    for combo, n in Counter(combos).items():
        pattern = frozenset(i for i, v in enumerate(combo) if v is None)
        by_pattern.setdefault(pattern, Counter())[combo] += n
    frequency: dict[tuple[Hashable, ...], int] = {}
    for pattern, group in by_pattern.items():
        for combo in group:
            frequency[combo] = 0
        for other_pattern, other in by_pattern.items():
            present = [i for i in range(len(keys)) if i not in pattern | other_pattern]
            projected: Counter[tuple[Hashable, ...]] = Counter()
            for combo, n in other.items():
                projected[tuple(combo[i] for i in present)] += n
            for combo in group:
                frequency[combo] += projected.get(tuple(combo[i] for i in present), 0)
    return [frequency[c] for c in combos]


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
    # Each round blanks, in every record still at risk, its least important key that
    # is not blank yet; a blank matches everything, so each round can only raise fk,
    # and after len(keys) rounds a record at risk has no key left to blank.
    for _round in range(len(keys) + 1):
        at_risk = k_anonymity_violations(out, keys, k=k)
        if not at_risk:
            return out, suppressed
        for position in at_risk:
            record = out[position]
            for variable in order:
                if record[variable] is not None:
                    record[variable] = None
                    suppressed[variable] += 1
                    break
    raise ValueError(f"fewer than {k} records in the file: k-anonymity cannot be reached")


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
        Share of key values blanked by local suppression (0..1).
    missing
        Share of key values blank, whether missing from the start or suppressed (0..1).
    """

    records: int
    k: int
    at_risk: int
    uniques: int
    expected_reidentifications: float
    suppressed: Mapping[str, int]
    information_loss: float
    missing: float


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
        information_loss=sum((suppressed or {}).values()) / cells if cells else 0.0,
        missing=blanks / cells if cells else 0.0,
    )
