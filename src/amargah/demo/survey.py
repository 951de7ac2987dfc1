"""The labour-force-style sample: stratified two-stage selection, fieldwork, weights.

Design (as the Iranian LFS, simplified):

* strata: county × urban/rural (16 strata);
* first stage: enumeration areas, systematic PPS within each stratum with the number
  of households as the size, in EA-id (geographic) order, by
  :func:`amargah.stats.sampling.stratified`;
* second stage: a fixed take of households, systematic within each selected EA, so
  that each stratum is self-weighting (``n_h · M_i / M_h × m / M_i = n_h m / M_h``);
* fieldwork: AAPOR final dispositions with a little more nonresponse in cities;
* weights: the design weight ``1 / (prob1 · prob2)`` adjusted for unit nonresponse
  within each stratum, so that the responding households carry the stratum's total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from amargah.stats.sampling import allocate, stratified
from amargah.stats.sampling.selection import systematic_positions

__all__ = ["HOUSEHOLDS_PER_PSU", "SAMPLE_FRACTION", "SurveySample", "draw_survey"]

#: Share of the province's households the survey aims to visit.
SAMPLE_FRACTION = 0.05
#: Households visited in each selected EA (fewer when the EA is smaller).
HOUSEHOLDS_PER_PSU = 30
#: Smallest number of PSUs per stratum (at least 2 for a variance estimate).
MIN_PSUS = 4

COMPLETE, REFUSAL, NON_CONTACT, VACANT = 1, 2, 3, 4
# Probability of each non-interview outcome, urban and rural.
_NONRESPONSE = {1: 0.075, 2: 0.035}
_VACANT = 0.01
_REFUSAL_SHARE = 0.6


@dataclass(frozen=True)
class SurveySample:
    """The selected households (all dispositions) as an Arrow table."""

    households: pa.Table


def draw_survey(rng: np.random.Generator, frame_ea: pa.Table, households: pa.Table) -> SurveySample:
    """Select EAs and households, record dispositions and compute weights.

    Parameters
    ----------
    rng
        Generator for every random step (selection and fieldwork).
    frame_ea
        The EA frame: ``ea_id``, ``stratum``, ``households`` (count), sorted by ea_id.
    households
        Census households: ``hh_id``, ``ea_id``, sorted by ``ea_id`` then ``hh_id``.

    Returns
    -------
    SurveySample
        The selected households with ``stratum``, ``psu``, ``prob1``, ``fpc1``,
        ``prob2``, ``fpc2``, ``base_weight``, ``disposition`` and ``weight`` (the
        nonresponse-adjusted weight; null for households not interviewed).
    """
    total_households = int(np.asarray(frame_ea["households"]).sum())
    eas_per_stratum = _counts(frame_ea["stratum"].to_numpy())
    psus = max(
        round(SAMPLE_FRACTION * total_households / HOUSEHOLDS_PER_PSU),
        MIN_PSUS * len(eas_per_stratum),
    )
    psus = min(psus, frame_ea.num_rows)
    # Proportional to the number of EAs: rural strata, whose EAs are smaller, are
    # slightly oversampled, as small domains usually are.
    allocation = allocate(eas_per_stratum, psus, method="proportional", minimum=MIN_PSUS)
    selected = stratified(
        frame_ea,
        allocation,
        strata="stratum",
        method="pps",
        size="households",
        sort_by="ea_id",
        seed=rng,
        suffix="1",
    )

    ea_ids = np.asarray(households["ea_id"])
    hh_ids = np.asarray(households["hh_id"])
    starts = np.searchsorted(ea_ids, np.asarray(selected["ea_id"]), side="left")
    sizes = np.asarray(selected["households"])
    takes = np.minimum(HOUSEHOLDS_PER_PSU, sizes)
    rows = np.concatenate(
        [
            start + systematic_positions(np.arange(size), int(take), rng)
            for start, size, take in zip(starts, sizes, takes, strict=True)
        ]
    )
    psu_of = np.repeat(np.arange(selected.num_rows), takes)
    prob1 = np.asarray(selected["prob1"])[psu_of]
    prob2 = (takes / sizes)[psu_of]
    stratum = np.asarray(selected["stratum"])[psu_of]
    area = stratum % 10
    base_weight = 1.0 / (prob1 * prob2)

    # Fieldwork outcome. Nonresponse is random within a stratum, which is what makes
    # the within-stratum adjustment remove its bias.
    u = rng.random(rows.size)
    nonresponse = np.where(area == 1, _NONRESPONSE[1], _NONRESPONSE[2])
    disposition = np.select(
        [
            u < _VACANT,
            u < _VACANT + nonresponse * _REFUSAL_SHARE,
            u < _VACANT + nonresponse,
        ],
        [VACANT, REFUSAL, NON_CONTACT],
        COMPLETE,
    )
    complete = disposition == COMPLETE
    # Vacant dwellings are redistributed like nonresponse: in this world every listed
    # household belongs to the census, so the survey's population must stay the census.
    codes, position = np.unique(stratum, return_inverse=True)
    selected_weight = np.bincount(position, weights=base_weight, minlength=codes.size)
    responding_weight = np.bincount(
        position, weights=np.where(complete, base_weight, 0.0), minlength=codes.size
    )
    factor = selected_weight / np.where(responding_weight > 0, responding_weight, 1.0)
    weight = np.where(complete, base_weight * factor[position], np.nan)

    table = pa.table(
        {
            "hh_id": pa.array(hh_ids[rows]),
            "stratum": pa.array(stratum.astype(np.int16)),
            "psu": pa.array(ea_ids[rows]),
            "prob1": pa.array(prob1),
            "fpc1": pa.array(np.asarray(selected["fpc1"])[psu_of].astype(np.int32)),
            "prob2": pa.array(prob2),
            "fpc2": pa.array(sizes[psu_of].astype(np.int32)),
            "base_weight": pa.array(base_weight),
            "disposition": pa.array(disposition.astype(np.int8)),
            "weight": pa.array(weight, from_pandas=True),
        }
    )
    return SurveySample(households=table)


def _counts(values: np.ndarray) -> dict[int, int]:
    codes, counts = np.unique(values, return_counts=True)
    return {int(c): int(k) for c, k in zip(codes, counts, strict=True)}
