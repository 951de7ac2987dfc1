"""Quality grades of estimates from their coefficient of variation.

The office publishes an estimate as reliable below a CV of 15%, with a warning from
15% to 30%, and not at all above 30% (thresholds used by many statistical offices
for sample-survey tables; the office may set its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RELIABLE_BELOW = 0.15
PUBLISHABLE_BELOW = 0.30


@dataclass(frozen=True, slots=True)
class QualityGrade:
    """A grade: ``"A"`` reliable, ``"B"`` use with caution, ``"C"`` too unreliable."""

    code: str
    publishable: bool


RELIABLE = QualityGrade("A", publishable=True)
CAUTION = QualityGrade("B", publishable=True)
UNRELIABLE = QualityGrade("C", publishable=False)


def grade(
    cv: float,
    *,
    reliable_below: float = RELIABLE_BELOW,
    publishable_below: float = PUBLISHABLE_BELOW,
) -> QualityGrade:
    """The grade of an estimate with coefficient of variation ``cv`` (a fraction).

    An undefined CV (an estimate of zero, or no sample in the domain) is graded as
    too unreliable: there is nothing a reader could rely on.

    >>> grade(0.08).code, grade(0.2).code, grade(0.45).code, grade(float("nan")).code
    ('A', 'B', 'C', 'C')
    """
    if not 0 < reliable_below <= publishable_below:
        raise ValueError("thresholds must satisfy 0 < reliable_below <= publishable_below")
    if cv is None or math.isnan(cv) or math.isinf(cv):
        return UNRELIABLE
    cv = abs(cv)
    if cv < reliable_below:
        return RELIABLE
    if cv < publishable_below:
        return CAUTION
    return UNRELIABLE
