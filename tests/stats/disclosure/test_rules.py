"""Primary suppression rules, checked on the definitions' own examples.

The definitions are those of the tau-Argus manual (version 4.2, section 2.2 "Sensitive
cells in magnitude tables") and of R sdcTable's ``primarySuppression`` (methods
``"freq"``, ``"nk"`` and ``"p"``); the numbers below are worked by hand from them.
"""

from __future__ import annotations

import numpy as np
import pytest

from amargah.stats.disclosure.rules import (
    CellContributions,
    PrimaryRules,
    Reason,
    contributions,
    dominance_rule,
    p_percent_rule,
    sensitive,
    threshold_rule,
)


def test_threshold_rule_flags_small_cells_but_not_empty_ones() -> None:
    assert [threshold_rule(n, threshold=3) for n in (0, 1, 2, 3, 10)] == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_dominance_rule_n_k() -> None:
    # (1, 80): one enterprise with 85 of 100 dominates; (2, 90): 85 + 10 = 95 > 90.
    assert dominance_rule(100.0, [85.0, 10.0, 5.0], n=1, k=80)
    assert dominance_rule(100.0, [85.0, 10.0, 5.0], n=2, k=90)
    # 60 + 30 = 90 is not more than 90 % of 100: safe at the boundary.
    assert not dominance_rule(100.0, [60.0, 30.0, 10.0], n=2, k=90)


def test_p_percent_rule() -> None:
    # contributions 100, 10, 5, 2: the second (10) estimates the first as 117 - 10 =
    # 107, 7 % off; with p = 10 the cell is sensitive, with p = 5 it is safe.
    assert p_percent_rule(117.0, [100.0, 10.0], p=10)
    assert not p_percent_rule(117.0, [100.0, 10.0], p=5)
    # a single contributor is always disclosed
    assert p_percent_rule(50.0, [50.0], p=1)


def test_sensitive_names_the_first_failing_rule() -> None:
    rules = PrimaryRules(threshold=3, dominance_n=1, dominance_k=80, p_percent=10)
    assert sensitive(CellContributions(2, 30.0, (20.0, 10.0)), rules) is Reason.THRESHOLD
    assert sensitive(CellContributions(5, 100.0, (85.0, 5.0)), rules) is Reason.DOMINANCE
    assert sensitive(CellContributions(4, 115.0, (70.0, 40.0)), rules) is Reason.P_PERCENT
    assert sensitive(CellContributions(5, 100.0, (30.0, 25.0)), rules) is None
    assert sensitive(CellContributions(0, 0.0), rules) is None


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="both"):
        PrimaryRules(dominance_n=1)
    with pytest.raises(ValueError, match="percentage"):
        PrimaryRules(p_percent=150)


def test_contributions_per_cell() -> None:
    cells = contributions(np.array([1, 0, 1, 1, 0]), np.array([5.0, 2.0, 9.0, 1.0, 3.0]), top=2)
    assert cells[0] == CellContributions(2, 5.0, (3.0, 2.0))
    assert cells[1] == CellContributions(3, 15.0, (9.0, 5.0))
