"""k-anonymity, local suppression, recoding and the risk report.

Hand-worked example in the manner of the sdcMicro guide (Benschop, Machingauta and
Welch, "Statistical Disclosure Control: A Practice Guide", section "k-anonymity"),
with its convention that a missing key value matches every value (sdcMicro ``freqCalc``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from amargah.stats.disclosure.microdata import (
    global_recode,
    k_anonymity_violations,
    local_suppression,
    risk_report,
    sample_frequencies,
    top_code,
)

KEYS = ("region", "sex", "education")
FILE = [
    {"region": "urban", "sex": "F", "education": "higher", "income": 900},
    {"region": "urban", "sex": "F", "education": "higher", "income": 700},
    {"region": "urban", "sex": "M", "education": "primary", "income": 300},
    {"region": "urban", "sex": "M", "education": "primary", "income": 350},
    {"region": "rural", "sex": "F", "education": "primary", "income": 200},
    {"region": "rural", "sex": "F", "education": "primary", "income": 250},
    {"region": "rural", "sex": "M", "education": "higher", "income": 5000},
    {"region": "rural", "sex": "M", "education": None, "income": 400},
]


def test_sample_frequencies_with_missing_values_matching_anything() -> None:
    # Record 7 (rural, M, missing) matches record 6 (rural, M, higher) and itself;
    # record 6 therefore has fk 2 as well.
    assert sample_frequencies(FILE, KEYS) == [2, 2, 2, 2, 2, 2, 2, 2]
    assert k_anonymity_violations(FILE, KEYS, k=3) == list(range(8))


def test_local_suppression_reaches_k() -> None:
    protected, suppressed = local_suppression(
        FILE, KEYS, k=3, importance=["region", "sex", "education"]
    )
    assert k_anonymity_violations(protected, KEYS, k=3) == []
    # education is the least important key: it is blanked first
    assert suppressed["education"] >= 1
    report = risk_report(protected, KEYS, k=3, suppressed=suppressed)
    assert report.at_risk == 0
    assert report.information_loss == pytest.approx(sum(suppressed.values()) / (8 * 3))
    # blank key values: those suppressed plus the one missing from the start
    assert report.missing == pytest.approx((sum(suppressed.values()) + 1) / (8 * 3))
    before = risk_report(FILE, KEYS, k=3)
    assert before.at_risk == 8 and before.uniques == 0
    assert before.expected_reidentifications == pytest.approx(4.0)


def test_recoding_and_top_coding() -> None:
    merged = global_recode(FILE, "education", {"primary": "basic", "higher": "basic"})
    assert {r["education"] for r in merged} == {"basic", None}
    assert max(r["income"] for r in top_code(FILE, "income", cap=1000)) == 1000
    assert (
        sample_frequencies(global_recode(FILE, "sex", lambda _: "X"), ("region", "sex")) == [4] * 8
    )


@seed(5)
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.one_of(st.none(), st.integers(0, 2)) for _ in range(3))),
        min_size=1,
        max_size=40,
    )
)
def test_frequencies_match_the_pairwise_definition(rows: list[tuple[int | None, ...]]) -> None:
    records = [dict(zip("abc", row, strict=True)) for row in rows]

    def matches(x: tuple[int | None, ...], y: tuple[int | None, ...]) -> bool:
        return all(p is None or q is None or p == q for p, q in zip(x, y, strict=True))

    expected = [sum(matches(x, y) for y in rows) for x in rows]
    assert sample_frequencies(records, "abc") == expected
    protected, _ = local_suppression(records, "abc", k=2) if len(rows) >= 2 else (records, {})
    if len(rows) >= 2:
        assert k_anonymity_violations(protected, "abc", k=2) == []
