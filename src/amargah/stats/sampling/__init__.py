"""Selecting samples from a frame, in the manner of R's ``sampling`` and ``survey``.

Every selection returns the selected rows of a pyarrow Table with the design columns
``prob`` (inclusion probability at that stage), ``weight`` (1/prob) and ``fpc`` (the
number of units the stage drew from), and ``stratum`` for stratified selections, so
that the sample feeds straight into a survey design::

    sample = stratified(frame, 400, strata="county", seed=1405, allocation="neyman",
                        sd={...})
    Design(sample, strata="stratum", weights="weight", fpc="fpc")
"""

from amargah.stats.sampling.allocation import AllocationMethod, allocate, allocate_continuous
from amargah.stats.sampling.selection import (
    inclusion_probabilities,
    pps_systematic,
    srs,
    systematic,
)
from amargah.stats.sampling.stratification import SelectionMethod, stratified

__all__ = [
    "AllocationMethod",
    "SelectionMethod",
    "allocate",
    "allocate_continuous",
    "inclusion_probabilities",
    "pps_systematic",
    "srs",
    "stratified",
    "systematic",
]
