"""Statistical disclosure control: nothing unsafe leaves the office.

* `rules`: primary suppression (threshold, (n, k) dominance, p%);
* `linear`: tables as linear systems, secondary suppression (MILP, with the attacker's
  LP as the check), linked tables, controlled rounding;
* `cellkey`: cell-key perturbation of frequency tables (ptable, record and cell keys);
* `microdata`: k-anonymity, local suppression, global recoding, top-coding, risk report.

No Django here.
"""

from amargah.stats.disclosure.cellkey import PTable, perturbed_crosstab, ptable
from amargah.stats.disclosure.linear import (
    LinearTable,
    SuppressionFailed,
    controlled_rounding,
    intervals,
    link,
    recoverable,
    secondary_suppression,
)
from amargah.stats.disclosure.microdata import (
    RiskReport,
    global_recode,
    k_anonymity_violations,
    local_suppression,
    risk_report,
    sample_frequencies,
    top_code,
)
from amargah.stats.disclosure.rules import CellContributions, PrimaryRules, Reason, sensitive

__all__ = [
    "CellContributions",
    "LinearTable",
    "PTable",
    "PrimaryRules",
    "Reason",
    "RiskReport",
    "SuppressionFailed",
    "controlled_rounding",
    "global_recode",
    "intervals",
    "k_anonymity_violations",
    "link",
    "local_suppression",
    "perturbed_crosstab",
    "ptable",
    "recoverable",
    "risk_report",
    "sample_frequencies",
    "secondary_suppression",
    "sensitive",
    "top_code",
]
