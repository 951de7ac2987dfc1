"""ciprop at its edges: a share of exactly 0 or 1, and one or no degrees of freedom.

The figures are R 4.1.1 survey 4.1.1's, from the calls quoted in each test.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from amargah.stats import Design

# Two strata of three PSUs; every school of award "a" (stratum 1) is "yes".
THREE_PSUS = pa.table(
    {
        "stratum": [1] * 6 + [2] * 6,
        "psu": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
        "w": [10.0, 12.0, 9.0, 11.0, 13.0, 8.0, 8.0, 10.0, 12.0, 9.0, 11.0, 7.0],
        "wide": ["yes"] * 6 + ["no", "yes", "no", "yes", "yes", "no"],
        "award": ["a"] * 6 + ["b"] * 6,
    }
)


@pytest.mark.parametrize("replicates", [None, "jkn"])
def test_share_of_one_or_zero_has_the_share_as_interval(replicates: str | None) -> None:
    # svyby(~I(wide == "yes"), ~award, d, svyciprop, method = "logit", vartype = "ci"):
    # award a gives 0.99999999997868 (0.99999999997600, 0.99999999998106), that is the
    # share within 1e-11; award b 0.526315789473537 (0.296701256512182, 0.745314537865065)
    # with Taylor, (0.290430568197493, 0.751011610253159) with JKn
    design = Design(THREE_PSUS, ids="psu", strata="stratum", weights="w")
    if replicates:
        design = design.replicate(replicates)  # type: ignore[arg-type]
    every = design.ciprop("wide", "yes", by="award").find(domain={"award": "a"})
    assert (every.estimate, every.ci_lower, every.ci_upper) == (1.0, 1.0, 1.0)
    none = design.ciprop("wide", "no", by="award").find(domain={"award": "a"})
    assert (none.estimate, none.ci_lower, none.ci_upper) == (0.0, 0.0, 0.0)
    mixed = design.ciprop("wide", "yes", by="award").find(domain={"award": "b"})
    expected = (
        (0.296701256512182, 0.745314537865065)
        if replicates is None
        else (0.290430568197493, 0.751011610253159)
    )
    assert mixed.estimate == pytest.approx(0.526315789473537, rel=1e-9)
    assert (mixed.ci_lower, mixed.ci_upper) == pytest.approx(expected, rel=1e-9)


# One stratum of two PSUs: one degree of freedom.
TWO_PSUS = pa.table({"psu": [1, 1, 2, 2], "w": [2.0, 3.0, 2.0, 4.0], "cat": ["b", "a", "b", "b"]})


def test_one_degree_of_freedom_at_90_percent_is_rs_t_interval() -> None:
    # confint(svyciprop(~I(cat == "a"), d, method = "logit", level = 0.9)):
    # 2.890530517311257e-05, 0.9997944874851086 (R reaches t through the normal
    # distribution; the bounds agree to 1e-10, not only to the 1e-6 asked)
    design = Design(TWO_PSUS, ids="psu", weights="w")
    share = design.ciprop("cat", "a", level=0.9).rows[0]
    assert share.df == 1
    assert share.ci_lower == pytest.approx(2.890530517311257e-05, rel=1e-9)
    assert share.ci_upper == pytest.approx(0.9997944874851086, rel=1e-9)


@pytest.mark.parametrize("replicates", [None, "jk1"])
def test_one_degree_of_freedom_at_95_percent_gives_rs_zero_and_nan(
    replicates: str | None,
) -> None:
    # R: 0.2727273, then 0 and NaN, for the linearised and the JK1 design alike. The
    # normal level 1 - 2 pnorm(qt(0.025, 1)) rounds to 1, its quantile is infinite,
    # and survey's expit(Inf) is Inf/Inf.
    design = Design(TWO_PSUS, ids="psu", weights="w")
    if replicates:
        design = design.replicate(replicates)  # type: ignore[arg-type]
    share = design.ciprop("cat", "a").rows[0]
    assert share.estimate == pytest.approx(0.2727272727272727, rel=1e-12)
    assert share.ci_lower == 0.0
    assert share.ci_upper is None or math.isnan(share.ci_upper)


def test_no_degrees_of_freedom_gives_no_interval_even_for_a_share_of_zero() -> None:
    # A domain within one PSU of one stratum: degf 0, and R's confint.svyglm gives NaN
    # for any share (svyciprop on subset(d, award == "a") of the design below).
    data = pa.table(
        {
            "stratum": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [10.0, 12.0, 9.0, 11.0, 8.0, 10.0, 12.0, 9.0],
            "wide": ["no", "no", "yes", "no", "no", "yes", "no", "yes"],
            "award": ["a", "a", "b", "b", "b", "b", "b", "b"],
        }
    )
    design = Design(data, ids="psu", strata="stratum", weights="w")
    share = design.ciprop("wide", "yes", by="award").find(domain={"award": "a"})
    assert share.estimate == 0.0
    assert share.df == 0
    for bound in (share.ci_lower, share.ci_upper):
        assert bound is None or math.isnan(bound)
