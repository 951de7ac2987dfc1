"""Weight trimming, as R's ``trimWeights``.

Weights above ``upper`` are cut to it, weights below ``lower`` raised to it, and the
total trimmed off is shared equally among the rows that were inside the bounds (so the
weights keep their sum); with ``strict`` this repeats until no weight is outside. The
new weight of a row depends only on its old weight, so the trimming is worked out on
the distinct weights and applied in the pass as a factor per weight value. As in R, the
variance then treats the trimmed weights as the design weights.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from sqlglot import exp

from amargah.stats.engine import release_with
from amargah.stats.errors import SurveyInputError
from amargah.stats.weighting.chain import WeightingStep, with_step
from amargah.stats.weighting.poststratify import PostStrata, register_groups

if TYPE_CHECKING:
    from amargah.stats.design import Design

_MAX_ROUNDS = 1000


def trim(design: Design, *, upper: float, lower: float, strict: bool) -> Design:
    """See `Design.trim_weights`.

    The weights trimmed are those of ``design``: after an earlier weighting step, the
    adjusted weights (R's ``trimWeights`` trims ``weights(design)``), matched per row
    by their value.
    """
    column = design.weight_column
    if column is None:
        raise SurveyInputError("trimming needs a weights column (weights=...)")
    if not lower < upper:
        raise SurveyInputError(f"lower bound {lower} must be below the upper bound {upper}")
    keys: tuple[exp.Expr, ...] = ()
    weight: exp.Expr = design.column(column)
    if design.steps:
        weight = design.weight_expression()
        keys = (weight,)
    query = design.select_from(
        weight.copy().as_("amargah_pk0"),
        exp.func("count", exp.Star()).as_("n"),
    ).group_by(weight.copy())
    result = design.engine.execute(query)
    original = np.asarray(result.column("amargah_pk0").to_numpy(), dtype=float)
    rows = np.asarray(result.column("n").to_numpy(), dtype=float)
    current = original.copy()
    if strict:
        # the trimming keeps the sum of weights, so every weight can be within the
        # bounds only if their mean is (R's trimWeights recurses without end otherwise)
        mean = float(np.sum(rows * original) / rows.sum())
        if not lower <= mean <= upper:
            raise SurveyInputError(
                f"strict trimming cannot bring every weight within [{lower:g}, {upper:g}]: "
                f"the weights keep their sum, and their mean is {mean:g}",
                column=column,
            )
    for _ in range(_MAX_ROUNDS):
        outside = (current < lower) | (current > upper)
        if not outside.any():
            break
        inside = ~outside
        if not inside.any():
            raise SurveyInputError("every weight is outside the bounds", column=column)
        clipped = np.clip(current, lower, upper)
        trimmed = float(np.sum(rows * (current - clipped)))
        clipped[inside] += trimmed / float(rows[inside].sum())
        current = clipped
        if not strict:
            break
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(original != 0, current / original, 1.0)
    relation = register_groups(design, [result.column("amargah_pk0")], factor, prefix="trimmed")
    groups = PostStrata(
        columns=(column,),
        relation=relation,
        labels=tuple((v,) for v in original.tolist()),
        factor=factor,
        rows=rows,
        population=np.full(original.shape[0], math.nan),
        unit=np.zeros(0, dtype=np.int64),
        stratum=np.zeros(0, dtype=np.int64),
        weight=np.zeros(0),
        centred=False,
    )
    # the relation lives as long as the steps (of any design) that join on it
    release_with(groups, design.engine, [relation])
    return with_step(design, WeightingStep("trim", groups=groups, keys=keys))
