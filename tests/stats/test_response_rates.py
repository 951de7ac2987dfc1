"""AAPOR outcome rates, checked on a hand-computed example.

Formulas: AAPOR, *Standard Definitions: Final Dispositions of Case Codes and Outcome
Rates for Surveys*, 10th edition (2023), "Response Rates", "Cooperation Rates",
"Refusal Rates", "Contact Rates". The dispositions below are invented; every expected
value is worked by hand in the comment beside it.

    I = 600, P = 50, R = 150, NC = 100, O = 20, UH = 60, UO = 20, not eligible = 80
    interviews I+P = 650; eligible non-interviews R+NC+O = 270; unknown UH+UO = 80
    e (default) = eligible / known = 920 / (920 + 80) = 0.92
"""

from __future__ import annotations

import pytest

from amargah.stats.quality import Dispositions, response_rates

CASES = Dispositions(
    complete=600,
    partial=50,
    refusal=150,
    non_contact=100,
    other=20,
    unknown_household=60,
    unknown_other=20,
    not_eligible=80,
)


def test_aapor_rates_by_hand() -> None:
    r = response_rates(CASES)
    assert r.e == pytest.approx(0.92)
    assert r.rr1 == pytest.approx(600 / 1000)  # 650 + 270 + 80
    assert r.rr2 == pytest.approx(650 / 1000)
    assert r.rr3 == pytest.approx(600 / 993.6)  # 650 + 270 + 0.92 * 80
    assert r.rr4 == pytest.approx(650 / 993.6)
    assert r.rr5 == pytest.approx(600 / 920)
    assert r.rr6 == pytest.approx(650 / 920)
    assert r.coop1 == pytest.approx(600 / 820)  # 650 + 150 + 20
    assert r.coop2 == pytest.approx(650 / 820)
    assert r.coop3 == pytest.approx(600 / 800)  # 650 + 150
    assert r.coop4 == pytest.approx(650 / 800)
    assert r.ref1 == pytest.approx(150 / 1000)
    assert r.ref2 == pytest.approx(150 / 993.6)
    assert r.ref3 == pytest.approx(150 / 920)
    assert r.con1 == pytest.approx(820 / 1000)
    assert r.con3 == pytest.approx(820 / 920)


def test_rates_are_ordered_as_the_definitions_imply() -> None:
    r = response_rates(CASES, e=0.5)
    assert r.rr1 is not None and r.rr3 is not None and r.rr5 is not None
    assert r.rr1 <= r.rr3 <= r.rr5
    assert r.rr3 == pytest.approx(600 / 960)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        Dispositions(complete=-1)
    with pytest.raises(ValueError, match="proportion"):
        response_rates(CASES, e=1.5)
    assert response_rates(Dispositions(complete=0)).rr1 is None
