"""Nonresponse adjustment within weighting classes.

Within each class, the respondents' weights are scaled up so that they carry the whole
class's (weighted) sample; nonrespondents get weight zero but stay in the design, so
PSU counts are those of the full sample. This is post-stratification of the
respondents to the classes' full-sample weighted totals, and the variance is computed
as for post-stratification (linearised values centred within classes), which is what
R gives with ``postStratify(subset(design, responded), ~class, full-sample totals)``.

After another weighting step the classes' totals are those of the adjusted weights.
R's subset of an already adjusted design keeps the nonrespondents with weight zero,
and ``svyrecvar``'s guard against 0/0 then gives them a residual as if they weighed
one person; here rows of weight zero have no residual (R's result without that guard).
As the first step, as usual, the two agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from amargah.stats.errors import SurveyInputError
from amargah.stats.expressions import parse_terms
from amargah.stats.weighting.poststratify import FREQ_COLUMN, poststratify

if TYPE_CHECKING:
    from amargah.stats.design import Design


def adjust_nonresponse(
    design: Design,
    classes: str | Sequence[str],
    *,
    response: str,
    respondent: Any,
) -> Design:
    """See `Design.adjust_nonresponse`."""
    class_columns = list(parse_terms(classes))
    if not class_columns:
        raise SurveyInputError("give the weighting class column(s)")
    for column in [*class_columns, response]:
        design.require_column(column)
    if response in class_columns:
        raise SurveyInputError("the response column cannot be a weighting class", column=response)
    groups = [design.column(c) for c in [*class_columns, response]]
    # the classes' totals are those of the weights of ``design`` (after earlier steps)
    query = design.select_from(
        *(g.copy().as_(f"c{i}") for i, g in enumerate(groups)),
        exp.func("sum", design.weight_expression()).as_("w"),
    ).group_by(*(g.copy() for g in groups))
    if design.units.has_derived_weights:
        raise SurveyInputError("nonresponse adjustment needs a weights or probs column")
    result = design.engine.execute(query).to_pylist()
    if any(row[f"c{len(class_columns)}"] is None for row in result):
        raise SurveyInputError(
            "missing response status",
            column=response,
            rows=design.first_rows(design.column(response).is_(exp.Null())),
        )
    totals: dict[tuple[Any, ...], float] = {}
    responded: set[tuple[Any, ...]] = set()
    for row in result:
        key = tuple(row[f"c{i}"] for i in range(len(class_columns)))
        totals[key] = totals.get(key, 0.0) + float(row["w"] or 0.0)
        if row[f"c{len(class_columns)}"] == respondent:
            responded.add(key)
    empty = [k for k in totals if k not in responded]
    if empty:
        raise SurveyInputError(
            f"weighting class {'/'.join(str(v) for v in empty[0])} has no respondents",
            column="+".join(class_columns),
        )
    population: dict[str, list[Any]] = {c: [] for c in [*class_columns, response]}
    population[FREQ_COLUMN] = []
    for row in result:
        key = tuple(row[f"c{i}"] for i in range(len(class_columns)))
        for i, column in enumerate(class_columns):
            population[column].append(row[f"c{i}"])
        status = row[f"c{len(class_columns)}"]
        population[response].append(status)
        population[FREQ_COLUMN].append(totals[key] if status == respondent else 0.0)
    return poststratify(
        design, [*class_columns, response], pa.table(population), partial=False, kind="nonresponse"
    )
