"""The census table builder: a citizen's cross-table, perturbed by cell key.

A request names up to `MAX_VARIABLES` census variables; the answer is a `Cube` with a
total for every variable (every margin), each count perturbed by the cell-key method
(`amargah.stats.disclosure.cellkey`), so that the same cell always shows the same
number whatever table it is asked in. The census is read once per process and
aggregated into its finest cells (every builder variable), each with its number of
persons and the sum of their record keys; each request is then one ``GROUP BY CUBE``
pass over those cells on the embedded engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product
from math import prod
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from amargah.core.persian import to_persian_digits
from amargah.demo.codebook import codebook_json
from amargah.demo.tables import AGE_BANDS, POPULATION, SOURCE_CENSUS
from amargah.disclosure.choices import DisclosureErrorCode
from amargah.formats.cube import (
    Code,
    Cube,
    Dimension,
    Flag,
    Observation,
    ObservationKey,
    Role,
    Text,
)
from amargah.stats.disclosure.cellkey import (
    KEY_SUM,
    RECORDS,
    PTable,
    aggregate_keys,
    perturbed_crosstab,
    ptable,
)

MAX_VARIABLES = 4
TOTAL = "_T"
MISSING = "_Z"  # SDMX's code for "not applicable"
AGE_GROUP = "age_group"
# Census variables a citizen may cross, in the order the form lists them.
VARIABLES: tuple[str, ...] = (
    "county",
    "area",
    "sex",
    AGE_GROUP,
    "marital",
    "education",
    "literacy",
    "activity",
    "isco",
)
_SOURCE_COLUMNS = ("county", "area", "sex", "age", "marital", "education", "literacy",
                   "activity", "isco", "record_key")  # fmt: skip


class BuilderError(ValidationError):
    """A request the builder refuses; the message says what to change."""


def max_cells() -> int:
    """Largest table the builder answers, margins included (``DISCLOSURE_BUILDER_MAX_CELLS``)."""
    return int(getattr(settings, "DISCLOSURE_BUILDER_MAX_CELLS", 5000))


def rate() -> str:
    """Tables one client address may build (``DISCLOSURE_BUILDER_RATE``, e.g. ``"120/m"``).

    Each table is a pass over the whole census: generous for a person, a brake on a
    script that would try to average the noise away over many slightly different tables.
    """
    return str(getattr(settings, "DISCLOSURE_BUILDER_RATE", "120/m"))


def small_count() -> int:
    """Published counts below this are flagged as unreliable (persons)."""
    return int(getattr(settings, "DISCLOSURE_BUILDER_SMALL_COUNT", 10))


@cache
def builder_ptable() -> PTable:
    """The perturbation table (``DISCLOSURE_PTABLE``: D, V, js; default D=3, V=2, js=2)."""
    params = dict(getattr(settings, "DISCLOSURE_PTABLE", {"D": 3, "V": 2.0, "js": 2}))
    return ptable(D=int(params["D"]), V=float(params["V"]), js=int(params.get("js", 0)))


def census_path() -> Path:
    """The census persons file (``DISCLOSURE_CENSUS_PERSONS``, or the demo world's)."""
    configured = getattr(settings, "DISCLOSURE_CENSUS_PERSONS", None)
    return (
        Path(configured) if configured else Path(settings.DEMO_WORLD_DIR) / "census_persons.parquet"
    )


def _age_bands() -> list[tuple[str, Text]]:
    bands = []
    for low, high in AGE_BANDS:
        if high is None:
            fa = to_persian_digits(f"{low} ساله و بیشتر")
            bands.append((f"Y_GE{low}", Text(fa=fa, en=f"{low} years and over")))
        else:
            fa = to_persian_digits(f"{low} تا {high} ساله")
            bands.append((f"Y{low}T{high}", Text(fa=fa, en=f"{low}–{high} years")))
    return bands


_lock = threading.Lock()
_loaded: dict[tuple[str, float], pa.Table] = {}


def census() -> pa.Table:
    """The census aggregated into its finest cells over every builder variable, cached
    per file version: each cell with its number of persons and its record keys' sum.

    Read once per process; every table is then derived from these cells (far fewer
    than the persons) with exactly the counts and the noise the persons give.
    """
    path = census_path()
    if not path.exists():
        raise BuilderError(_("The census microdata are not available."), code="no_census")
    stamp = (str(path), path.stat().st_mtime)
    with _lock:
        table = _loaded.get(stamp)
        if table is None:
            raw = pq.read_table(path, columns=list(_SOURCE_COLUMNS))
            ages = raw["age"].to_numpy()
            codes = np.array([code for code, _label in _age_bands()])
            band = np.minimum(ages // 5, len(AGE_BANDS) - 1)
            persons = raw.drop_columns(["age"]).append_column(AGE_GROUP, pa.array(codes[band]))
            table = aggregate_keys(persons, list(VARIABLES), record_key="record_key")
            _loaded.clear()
            _perturbed.clear()
            _loaded[stamp] = table
    return table


@dataclass(frozen=True)
class VariableInfo:
    """A variable offered by the builder: its name, label and codes."""

    name: str
    label: Text
    codes: tuple[tuple[str, Text], ...]


@cache
def variables() -> dict[str, VariableInfo]:
    """Every variable the builder offers, labelled from the census codebook."""
    book: Mapping[str, Any] = codebook_json()["variables"]
    out: dict[str, VariableInfo] = {}
    for name in VARIABLES:
        if name == AGE_GROUP:
            out[name] = VariableInfo(name, Text(fa="گروه سنی", en="Age group"), tuple(_age_bands()))
            continue
        entry = book[name]
        out[name] = VariableInfo(
            name,
            Text(fa=entry["label"]["fa"], en=entry["label"]["en"]),
            tuple(
                (str(code), Text(fa=label["fa"], en=label["en"]))
                for code, label in entry["codes"].items()
            ),
        )
    return out


def parse_variables(chosen: Sequence[str]) -> tuple[str, ...]:
    """Validate the variables asked for (order kept, repeats dropped)."""
    offered = variables()
    picked: list[str] = []
    for name in chosen:
        if name not in offered:
            raise BuilderError(
                _("There is no census variable “%(name)s” in the builder."),
                code=DisclosureErrorCode.UNKNOWN_VARIABLE,
                params={"name": name},
            )
        if name not in picked:
            picked.append(name)
    if not picked:
        raise BuilderError(_("Choose at least one variable."), code=DisclosureErrorCode.NO_VARIABLE)
    if len(picked) > MAX_VARIABLES:
        raise BuilderError(
            _("Choose at most %(limit)s variables."),
            code=DisclosureErrorCode.TOO_MANY_VARIABLES,
            params={"limit": MAX_VARIABLES},
        )
    # every code, a total, and a "not applicable" level for variables with missing values
    cells = prod(len(offered[name].codes) + 2 for name in picked)
    if cells > max_cells():
        raise BuilderError(
            _(
                "This table would have about %(cells)s cells; at most %(limit)s are allowed. "
                "Choose fewer or smaller variables."
            ),
            code=DisclosureErrorCode.TOO_MANY_CELLS,
            params={"cells": cells, "limit": max_cells()},
        )
    return tuple(picked)


@dataclass(frozen=True)
class PerturbedCells:
    """The cells of a census cross-table, keyed by their codes (`TOTAL` for a margin,
    `MISSING` for "not applicable"), each with its true and its perturbed count."""

    variables: tuple[str, ...]
    original: dict[tuple[str, ...], int]
    published: dict[tuple[str, ...], int]
    has_missing: tuple[bool, ...]


# Tables already perturbed, by census version and variables: a cell-key release is
# protected and then checked with the same table, and citizens ask the same tables again.
_perturbed: OrderedDict[tuple[int, tuple[str, ...]], PerturbedCells] = OrderedDict()
_PERTURBED_KEPT = 32


def perturbed_cells(names: Sequence[str]) -> PerturbedCells:
    """Every cell of the census table by ``names`` (all margins), true and perturbed.

    The record keys and the ptable are the builder's, so a cell has the same published
    count here, on the builder's page and in any release protected by cell key.
    """
    table = census()
    key = (id(table), tuple(names))
    with _lock:
        cells = _perturbed.get(key)
        if cells is not None:
            _perturbed.move_to_end(key)
            return cells
    cells = _perturbed_cells(table, names)
    with _lock:
        _perturbed[key] = cells
        while len(_perturbed) > _PERTURBED_KEPT:
            _perturbed.popitem(last=False)
    return cells


def _perturbed_cells(census_cells: pa.Table, names: Sequence[str]) -> PerturbedCells:
    result = perturbed_crosstab(
        census_cells,
        list(names),
        record_key=KEY_SUM,
        count=RECORDS,
        table=builder_ptable(),
        keep_original=True,
    )
    table = result.table
    margins = table.column("margin").to_pylist()
    counts = table.column("count").to_pylist()
    originals = table.column("original").to_pylist()
    levels = [table.column(name).to_pylist() for name in names]
    has_missing = [False] * len(names)
    original: dict[tuple[str, ...], int] = {}
    published: dict[tuple[str, ...], int] = {}
    for row, (margin, count) in enumerate(zip(margins, counts, strict=True)):
        summed = set(margin.split(",")) if margin else set()
        key: list[str] = []
        for i, name in enumerate(names):
            if name in summed:
                key.append(TOTAL)
            elif levels[i][row] is None:
                has_missing[i] = True
                key.append(MISSING)
            else:
                key.append(str(levels[i][row]))
        published[tuple(key)] = int(count)
        original[tuple(key)] = int(originals[row])
    return PerturbedCells(tuple(names), original, published, tuple(has_missing))


def flagged(count: int) -> Observation:
    """A published perturbed count as an observation: small counts flagged unreliable."""
    if 0 < count < small_count():
        return Observation(value=float(count), status=Flag.UNRELIABLE)
    return Observation(value=float(count))


def noise_note() -> Text:
    """The note every cell-key perturbed table carries."""
    return Text(
        fa=(
            "برای حفظ محرمانگی، به هر عدد نوفه‌ای کوچک (حداکثر "
            f"{builder_ptable().D} نفر) افزوده شده است؛ جمع‌ها ممکن است با مجموع "
            "اجزا برابر نباشند. اعداد کوچک‌تر از "
            f"{small_count()} با نشان U مشخص شده‌اند."
        ),
        en=(
            "To protect confidentiality every number carries a small noise (at most "
            f"{builder_ptable().D} persons); totals may differ from the sum of their "
            f"parts. Counts below {small_count()} are flagged U."
        ),
    )


def build(chosen: Sequence[str]) -> Cube:
    """The perturbed cross-table of the census by ``chosen`` variables, as a cube."""
    names = parse_variables(chosen)
    info = variables()
    cells = perturbed_cells(names)
    has_missing = cells.has_missing
    observations: dict[ObservationKey, Observation] = {
        key: flagged(count) for key, count in cells.published.items()
    }
    dimensions = []
    for i, name in enumerate(names):
        variable = info[name]
        codes = [Code(TOTAL, Text(fa="کل", en="Total"))]
        codes += [Code(code, label, parent=TOTAL) for code, label in variable.codes]
        if has_missing[i]:
            codes.append(Code(MISSING, Text(fa="موضوعیت ندارد", en="Not applicable"), parent=TOTAL))
        dimensions.append(
            Dimension(
                id=name.upper(),
                label=variable.label,
                codes=tuple(codes),
                role=Role.GEO if name == "county" else Role.OTHER,
            )
        )
    # A census cell nobody falls in is a true zero (cell-key noise leaves zeros alone):
    # publish it as 0 rather than leave it blank.
    for combination in product(*(d.code_ids for d in dimensions)):
        observations.setdefault(combination, Observation(value=0.0))
    # A code in the data that the codebook does not list is refused by the cube itself.
    labels_fa = "، ".join(info[n].label.fa for n in names)
    labels_en = ", ".join(info[n].label.en for n in names)
    return Cube(
        id="CENSUS_BUILDER",
        version="1.0",
        title=Text(fa=f"جمعیت بر حسب {labels_fa}", en=f"Population by {labels_en}"),
        description=Text(
            fa=(
                "جدول سفارشی از ریزداده‌های سرشماری؛ هر خانه با روش کلید خانه اندکی جابه‌جا شده است."
            ),
            en=(
                "Custom table from the census microdata; "
                "every cell is perturbed by the cell-key method."
            ),
        ),
        notes=(noise_note(),),
        dimensions=tuple(dimensions),
        measures=(POPULATION,),
        observations=observations,
        source=SOURCE_CENSUS,
    )


__all__ = ["MAX_VARIABLES", "BuilderError", "build", "census", "parse_variables", "variables"]
