"""ciprop of a share of exactly 0 or 1: the interval is the share (R gives it within 1e-11)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from amargah.stats import Design


@pytest.mark.parametrize("replicates", [None, "jkn"])
def test_share_of_one_or_zero_has_the_share_as_interval(replicates: str | None) -> None:
    data = pa.table(
        {
            "stratum": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [10.0, 12.0, 9.0, 11.0, 8.0, 10.0, 12.0, 9.0],
            "wide": ["yes", "yes", "yes", "yes", "no", "yes", "no", "yes"],
            "award": ["a", "a", "a", "a", "b", "b", "b", "b"],
        }
    )
    design = Design(data, ids="psu", strata="stratum", weights="w")
    if replicates:
        design = design.replicate(replicates)  # type: ignore[arg-type]
    every = design.ciprop("wide", "yes", by="award").find(domain={"award": "a"})
    assert (every.estimate, every.ci_lower, every.ci_upper) == (1.0, 1.0, 1.0)
    none = design.ciprop("wide", "no", by="award").find(domain={"award": "a"})
    assert (none.estimate, none.ci_lower, none.ci_upper) == (0.0, 0.0, 0.0)
    mixed = design.ciprop("wide", "yes", by="award").find(domain={"award": "b"})
    assert 0 < mixed.ci_lower < mixed.estimate < mixed.ci_upper < 1
