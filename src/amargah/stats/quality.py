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


# -- response rates ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dispositions:
    """Final case dispositions of a survey, in the AAPOR Standard Definitions' groups.

    Counts of cases (sampled units, not persons weighted up).

    Attributes
    ----------
    complete
        I: complete interviews.
    partial
        P: partial interviews.
    refusal
        R: refusals and break-offs.
    non_contact
        NC: eligible cases never contacted.
    other
        O: other eligible non-interviews (language, incapacity ...).
    unknown_household
        UH: unknown whether a household (or unit) exists or is occupied.
    unknown_other
        UO: other cases of unknown eligibility.
    not_eligible
        Cases known not to be eligible (vacant, out of scope); no rate uses them except
        through the estimate of ``e``.
    """

    complete: int
    partial: int = 0
    refusal: int = 0
    non_contact: int = 0
    other: int = 0
    unknown_household: int = 0
    unknown_other: int = 0
    not_eligible: int = 0

    def __post_init__(self) -> None:
        for name in self.__slots__:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} is a count of cases and cannot be negative")

    @property
    def eligibility(self) -> float:
        """The proportion of cases of known eligibility that are eligible.

        AAPOR's default estimate of ``e`` for the cases of unknown eligibility.
        """
        eligible = self.complete + self.partial + self.refusal + self.non_contact + self.other
        known = eligible + self.not_eligible
        return eligible / known if known else 1.0


@dataclass(frozen=True, slots=True)
class ResponseRates:
    """AAPOR response (RR1-RR6), cooperation (COOP1-COOP4), refusal (REF1-REF3) and
    contact (CON1-CON3) rates, each a fraction (0.62 means 62 %), or ``None`` when its
    denominator is zero."""

    rr1: float | None
    rr2: float | None
    rr3: float | None
    rr4: float | None
    rr5: float | None
    rr6: float | None
    coop1: float | None
    coop2: float | None
    coop3: float | None
    coop4: float | None
    ref1: float | None
    ref2: float | None
    ref3: float | None
    con1: float | None
    con2: float | None
    con3: float | None
    e: float


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def response_rates(d: Dispositions, *, e: float | None = None) -> ResponseRates:
    """The AAPOR outcome rates of a survey from its final dispositions.

    Formulas of the AAPOR Standard Definitions (10th edition, 2023), with
    I, P, R, NC, O, UH, UO as in `Dispositions` and ``e`` the estimated share of
    eligible cases among those of unknown eligibility (by default from the cases of
    known eligibility). RR1 counts every unknown case as eligible, RR3 only a share
    ``e`` of them, RR5 none; the even-numbered rates count partial interviews as
    respondents.

    Examples
    --------
    >>> r = response_rates(Dispositions(complete=600, partial=50, refusal=150,
    ...                                 non_contact=100, other=20, unknown_household=80))
    >>> round(r.rr1, 4), round(r.rr2, 4)
    (0.6, 0.65)
    """
    if e is None:
        e = d.eligibility
    if not 0 <= e <= 1:
        raise ValueError("e, the eligible share of unknown cases, is a proportion in [0, 1]")
    interviews = d.complete + d.partial
    eligible_non = d.refusal + d.non_contact + d.other
    unknown = d.unknown_household + d.unknown_other
    all_unknown = interviews + eligible_non + unknown
    some_unknown = interviews + eligible_non + e * unknown
    known = interviews + eligible_non
    contacted = interviews + d.refusal + d.other
    return ResponseRates(
        rr1=_rate(d.complete, all_unknown),
        rr2=_rate(interviews, all_unknown),
        rr3=_rate(d.complete, some_unknown),
        rr4=_rate(interviews, some_unknown),
        rr5=_rate(d.complete, known),
        rr6=_rate(interviews, known),
        coop1=_rate(d.complete, interviews + d.refusal + d.other),
        coop2=_rate(interviews, interviews + d.refusal + d.other),
        coop3=_rate(d.complete, interviews + d.refusal),
        coop4=_rate(interviews, interviews + d.refusal),
        ref1=_rate(d.refusal, all_unknown),
        ref2=_rate(d.refusal, some_unknown),
        ref3=_rate(d.refusal, known),
        con1=_rate(contacted, all_unknown),
        con2=_rate(contacted, some_unknown),
        con3=_rate(contacted, known),
        e=e,
    )
