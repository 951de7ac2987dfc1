"""The neutral model of a published statistical table: a `Cube`.

A cube is what every writer in this package renders. It knows nothing of any format:
dimensions with ordered code lists, the measure(s), and observations keyed by one code
per dimension. It is frozen; `Cube.select` and `Cube.latest` return new cubes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from itertools import product
from types import MappingProxyType
from typing import Any, Literal

import pyarrow as pa

Lang = Literal["fa", "en"]
LANGS: tuple[Lang, ...] = ("fa", "en")

# One pattern for every identifier (cube, dimension, code, measure): SDMX's IDType,
# which is also safe in PX keywords, JSON-stat keys, CSV headers and URLs.
_ID = re.compile(r"[A-Za-z0-9_@$\-]+")

# The key under which `to_arrow` keeps the cube's metadata in the Arrow schema.
ARROW_METADATA_KEY = b"amargah.cube"


def check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(
            f"{kind} id {value!r} is not a valid identifier: use letters A-Z, digits, "
            "'_', '-', '@' or '$' (SDMX IDType)"
        )


@dataclass(frozen=True, slots=True)
class Text:
    """A text in Persian and English.

    Both are required and non-empty: PC-Axis readers misalign a table whose value
    texts are empty, and the portal shows both languages.

    Examples
    --------
    >>> Text(fa="سمنان", en="Semnan").get("en")
    'Semnan'
    """

    fa: str
    en: str

    def __post_init__(self) -> None:
        for lang in LANGS:
            value = getattr(self, lang)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"text in {lang!r} is empty: give a label in both fa and en")

    def get(self, lang: Lang) -> str:
        """The text in `lang` (``"fa"`` or ``"en"``)."""
        if lang == "fa":
            return self.fa
        if lang == "en":
            return self.en
        raise ValueError(f"unknown language {lang!r}: use 'fa' or 'en'")


class Role(StrEnum):
    """What a dimension stands for (JSON-stat ``role``; SDMX time dimension)."""

    GEO = "geo"
    TIME = "time"
    METRIC = "metric"
    OTHER = "other"


class Flag(StrEnum):
    """Status of an observation: the office's public flag vocabulary.

    The letters are what CSV, XLSX, JSON-stat ``status`` and the SDMX ``OBS_STATUS``
    code list carry; `FLAG_LABELS` explains each in both languages.
    """

    CONFIDENTIAL = "C"  # suppressed by disclosure control: the value is never published
    ESTIMATED = "E"
    PROVISIONAL = "P"
    UNRELIABLE = "U"  # too unreliable to publish (CV above the office's threshold)


FLAG_LABELS: Mapping[Flag, Text] = MappingProxyType(
    {
        Flag.CONFIDENTIAL: Text(fa="محرمانه (حذف‌شده)", en="Confidential (suppressed)"),
        Flag.ESTIMATED: Text(fa="برآوردی", en="Estimated"),
        Flag.PROVISIONAL: Text(fa="موقت", en="Provisional"),
        Flag.UNRELIABLE: Text(fa="غیرقابل اتکا", en="Unreliable"),
    }
)


@dataclass(frozen=True, slots=True)
class Code:
    """One item of a dimension's code list.

    Attributes
    ----------
    id
        The code (``"D01"``, ``"1402"``).
    label
        Its name in Persian and English.
    parent
        The id of the code it is part of in a hierarchy (a county's province), or ``None``.
    """

    id: str
    label: Text
    parent: str | None = None

    def __post_init__(self) -> None:
        check_id("code", self.id)


@dataclass(frozen=True, slots=True)
class Dimension:
    """A dimension of the cube with its ordered code list.

    For the time dimension the codes are in chronological order: `Cube.latest` keeps
    the last ones. `codelist` names the SDMX code list (default ``CL_<id>``): one id
    stands for one list across the office, so dimensions that share it share the codes.
    """

    id: str
    label: Text
    codes: tuple[Code, ...]
    role: Role = Role.OTHER
    codelist: str | None = None

    def __post_init__(self) -> None:
        check_id("dimension", self.id)
        if self.codelist is not None:
            check_id("code list", self.codelist)
        object.__setattr__(self, "codes", tuple(self.codes))
        object.__setattr__(self, "role", Role(self.role))
        if not self.codes:
            raise ValueError(f"dimension {self.id!r} has no codes")
        ids = [c.id for c in self.codes]
        seen: set[str] = set()
        for code_id in ids:
            if code_id in seen:
                raise ValueError(f"dimension {self.id!r} lists code {code_id!r} twice")
            seen.add(code_id)
        for code in self.codes:
            if code.parent is not None and code.parent not in seen:
                raise ValueError(
                    f"code {code.id!r} of dimension {self.id!r} has parent {code.parent!r}, "
                    "which is not a code of that dimension"
                )

    @property
    def codelist_id(self) -> str:
        """The id of the dimension's SDMX code list."""
        return self.codelist if self.codelist is not None else f"CL_{self.id}"

    @property
    def code_ids(self) -> tuple[str, ...]:
        """The code ids in order."""
        return tuple(c.id for c in self.codes)

    def labels(self, lang: Lang) -> dict[str, str]:
        """``{code id: label in lang}`` for the whole code list."""
        return {c.id: c.label.get(lang) for c in self.codes}

    def code(self, code_id: str) -> Code:
        """The code with this id; `ValueError` naming it when there is none."""
        for c in self.codes:
            if c.id == code_id:
                return c
        raise ValueError(f"unknown code {code_id!r} in dimension {self.id!r}")

    def children(self) -> dict[str, list[str]]:
        """``{parent: [child, ...]}`` in code-list order (JSON-stat ``category.child``)."""
        tree: dict[str, list[str]] = {}
        for c in self.codes:
            if c.parent is not None:
                tree.setdefault(c.parent, []).append(c.id)
        return tree


@dataclass(frozen=True, slots=True)
class Measure:
    """What is measured, with its unit.

    Attributes
    ----------
    id
        The measure's id (``"POP"``, ``"UNEMP_RATE"``).
    label
        Its name.
    unit_id
        The unit's code (SDMX ``UNIT_MEASURE``: ``"PERS"``, ``"PC"``, ``"HH"``).
    unit
        The unit's name (``persons``, ``percent``).
    decimals
        Number of decimals every format shows for its values (0 for counts).
    """

    id: str
    label: Text
    unit_id: str
    unit: Text
    decimals: int = 0

    def __post_init__(self) -> None:
        check_id("measure", self.id)
        check_id("unit", self.unit_id)
        if not 0 <= self.decimals <= 15:
            raise ValueError(f"measure {self.id!r}: decimals must be 0..15, not {self.decimals}")


@dataclass(frozen=True, slots=True)
class Observation:
    """One cell: its value, status flag and quality attributes.

    Attributes
    ----------
    value
        The published value in the measure's unit, or ``None`` (missing, or suppressed:
        a `Flag.CONFIDENTIAL` cell never carries a value).
    status
        The flag, or ``None`` for a normal value.
    se
        Standard error, in the measure's unit.
    ci_lower, ci_upper
        Bounds of the confidence interval, in the measure's unit.
    cv
        Coefficient of variation as a fraction (0.05 means 5 %).
    quality
        Quality grade from the CV (``"A"`` reliable, ``"B"`` use with caution,
        ``"C"`` too unreliable to publish), or ``None``.
    note
        A note on this cell, or ``None``.
    """

    value: float | None
    status: Flag | None = None
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    cv: float | None = None
    quality: str | None = None
    note: Text | None = None

    def __post_init__(self) -> None:
        if self.status is not None:
            object.__setattr__(self, "status", Flag(self.status))
        if self.status is Flag.CONFIDENTIAL and any(
            getattr(self, name) is not None
            for name in ("value", "se", "ci_lower", "ci_upper", "cv")
        ):
            # A suppressed cell that still carries its value or SE would leak it into
            # whichever format prints that field.
            raise ValueError(
                "a confidential (suppressed) observation must have no value, SE, CI or CV"
            )
        for name in ("value", "se", "ci_lower", "ci_upper", "cv"):
            v = getattr(self, name)
            if v is not None:
                v = float(v)
                if v != v or v in (float("inf"), float("-inf")):
                    raise ValueError(f"observation {name} is {v}: use None for a missing value")
                object.__setattr__(self, name, v)
        if self.quality is not None:
            check_id("quality grade", self.quality)


ObservationKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Contact:
    """Who answers questions about the table."""

    name: Text
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Cube:
    """A published statistical table: dimensions, measure(s) and observations.

    Observations are keyed by a tuple with one code id per dimension, in the order of
    `dimensions`; a key that is absent is a cell with no observation (sparse cubes).
    With more than one measure, exactly one dimension has the role ``metric`` and its
    codes are the measures' ids (the JSON-stat and PxWeb ``ContentsCode`` layout).

    Attributes
    ----------
    id
        The table's id: the SDMX dataflow, PxWeb table and PX matrix id.
    version
        ``"1.0"``, ``"1.1"``...: a correction is a new version.
    title, description
        Name and a sentence on what the table shows.
    dimensions
        In the order of observation keys (and of JSON-stat ``id``).
    measures
        What the values are, with unit and decimals.
    observations
        ``{key: Observation}``; dense when every key is present.
    notes
        Footnotes for the whole table.
    source
        Who produced the figures.
    updated
        When the figures last changed (timezone-aware).
    contact
        Who answers questions about them.
    agency
        The SDMX maintenance agency (the office's id).

    Examples
    --------
    >>> sex = Dimension("SEX", Text("جنس", "Sex"),
    ...                 (Code("M", Text("مرد", "Male")), Code("F", Text("زن", "Female"))))
    >>> year = Dimension("YEAR", Text("سال", "Year"),
    ...                  (Code("1401", Text("۱۴۰۱", "1401")), Code("1402", Text("۱۴۰۲", "1402"))),
    ...                  role=Role.TIME)
    >>> cube = Cube(id="POP", version="1.0", title=Text("جمعیت", "Population"),
    ...             dimensions=(sex, year),
    ...             measures=(Measure("POP", Text("جمعیت", "Population"), "PERS",
    ...                               Text("نفر", "persons")),),
    ...             observations={("M", "1401"): Observation(10.0),
    ...                           ("F", "1402"): Observation(12.0)})
    >>> cube.latest(1).shape
    (2, 1)
    >>> cube.select({"SEX": ["F"]}).get(("F", "1402")).value
    12.0
    """

    id: str
    version: str
    title: Text
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    observations: Mapping[ObservationKey, Observation]
    description: Text | None = None
    notes: tuple[Text, ...] = ()
    source: Text | None = None
    updated: datetime | None = None
    contact: Contact | None = None
    agency: str = "PSO"
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)
    # Looked up once per cell by every writer, so computed once here.
    _metric_position: int | None = field(init=False, repr=False, compare=False)
    _measure_by_id: Mapping[str, Measure] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_id("cube", self.id)
        check_id("agency", self.agency)
        if not re.fullmatch(r"[0-9]+(\.[0-9]+){0,2}", self.version):
            raise ValueError(f"cube version {self.version!r} is not like '1.0' (SDMX VersionType)")
        if self.updated is not None and self.updated.tzinfo is None:
            raise ValueError("cube 'updated' must be a timezone-aware datetime")
        object.__setattr__(self, "dimensions", tuple(self.dimensions))
        object.__setattr__(self, "measures", tuple(self.measures))
        object.__setattr__(self, "notes", tuple(self.notes))
        if not self.dimensions:
            raise ValueError(f"cube {self.id!r} has no dimensions")
        if not self.measures:
            raise ValueError(f"cube {self.id!r} has no measure")
        index: dict[str, int] = {}
        for i, d in enumerate(self.dimensions):
            if d.id in index:
                raise ValueError(f"cube {self.id!r} has dimension {d.id!r} twice")
            index[d.id] = i
        object.__setattr__(self, "_index", MappingProxyType(index))
        if sum(d.role is Role.TIME for d in self.dimensions) > 1:
            raise ValueError(f"cube {self.id!r} has more than one time dimension")
        metric = [d for d in self.dimensions if d.role is Role.METRIC]
        if len(metric) > 1:
            raise ValueError(f"cube {self.id!r} has more than one metric dimension")
        object.__setattr__(self, "_metric_position", index[metric[0].id] if metric else None)
        object.__setattr__(
            self, "_measure_by_id", MappingProxyType({m.id: m for m in self.measures})
        )
        if len(self.measures) > 1 or metric:
            measure_ids = tuple(m.id for m in self.measures)
            if not metric or metric[0].code_ids != measure_ids:
                raise ValueError(
                    f"cube {self.id!r}: with measures {list(measure_ids)} one dimension must "
                    "have role 'metric' and exactly those codes, in that order"
                )
        code_sets = [frozenset(d.code_ids) for d in self.dimensions]
        checked: dict[ObservationKey, Observation] = {}
        for key, obs in self.observations.items():
            key = tuple(key)
            if len(key) != len(self.dimensions):
                raise ValueError(
                    f"observation key {key!r} has {len(key)} codes; the cube has "
                    f"{len(self.dimensions)} dimensions {[d.id for d in self.dimensions]}"
                )
            for d, codes, code in zip(self.dimensions, code_sets, key, strict=True):
                if code not in codes:
                    raise ValueError(
                        f"observation key {key!r}: unknown code {code!r} in dimension {d.id!r}"
                    )
            if not isinstance(obs, Observation):
                raise ValueError(f"observation at {key!r} is not an Observation")
            checked[key] = obs
        object.__setattr__(self, "observations", MappingProxyType(checked))

    # -- structure -------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of codes of each dimension, in dimension order."""
        return tuple(len(d.codes) for d in self.dimensions)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        """The dimension ids in order."""
        return tuple(d.id for d in self.dimensions)

    def dimension(self, dimension_id: str) -> Dimension:
        """The dimension with this id; `ValueError` naming it when there is none."""
        try:
            return self.dimensions[self._index[dimension_id]]
        except KeyError:
            raise ValueError(
                f"unknown dimension {dimension_id!r} in cube {self.id!r}; "
                f"its dimensions are {list(self.dimension_ids)}"
            ) from None

    def position(self, dimension_id: str) -> int:
        """Index of the dimension in observation keys."""
        self.dimension(dimension_id)
        return self._index[dimension_id]

    @property
    def time_dimension(self) -> Dimension | None:
        """The dimension with role ``time``, if any."""
        return next((d for d in self.dimensions if d.role is Role.TIME), None)

    @property
    def metric_dimension(self) -> Dimension | None:
        """The dimension with role ``metric``, if any."""
        return next((d for d in self.dimensions if d.role is Role.METRIC), None)

    def measure_of(self, key: ObservationKey) -> Measure:
        """The measure that the observation at `key` is a value of."""
        if self._metric_position is None:
            return self.measures[0]
        return self._measure_by_id[key[self._metric_position]]

    def __hash__(self) -> int:
        # Equal cubes share id and version; the observations mapping is not hashable.
        return hash((self.id, self.version))

    # -- cells -----------------------------------------------------------------------

    def cell_keys(self) -> Iterator[ObservationKey]:
        """Every cell's key in row-major order (the last dimension varies fastest)."""
        return product(*(d.code_ids for d in self.dimensions))

    def get(self, key: Sequence[str]) -> Observation | None:
        """The observation at `key`, or ``None`` when the cell has none."""
        return self.observations.get(tuple(key))

    def cells(self) -> Iterator[tuple[ObservationKey, Observation | None]]:
        """``(key, observation or None)`` for every cell, in row-major order."""
        for key in self.cell_keys():
            yield key, self.observations.get(key)

    def format_value(self, key: ObservationKey, value: float) -> str:
        """`value` as text with its measure's decimals: the one rounding every format uses."""
        return f"{value:.{self.measure_of(key).decimals}f}"

    def rounded(self, key: ObservationKey, value: float) -> float | int:
        """`value` rounded like `format_value`, as a number (an int when decimals are 0)."""
        text = self.format_value(key, value)
        return int(text) if self.measure_of(key).decimals == 0 else float(text)

    # -- new cubes -------------------------------------------------------------------

    def select(self, selection: Mapping[str, Sequence[str]]) -> Cube:
        """A new cube with only the chosen codes of some dimensions.

        Parameters
        ----------
        selection
            ``{dimension id: [code id, ...]}``; dimensions not named keep all codes.
            The kept codes stay in code-list order; a code whose parent is dropped
            loses its parent.

        Raises
        ------
        ValueError
            Naming the unknown dimension or code, or the dimension with an empty choice.
        """
        keep: dict[int, frozenset[str]] = {}
        for dim_id, codes in selection.items():
            dim = self.dimension(dim_id)
            if isinstance(codes, str):
                raise ValueError(f"selection for dimension {dim_id!r} must be a list of codes")
            if not codes:
                raise ValueError(f"selection for dimension {dim_id!r} is empty")
            for code in codes:
                dim.code(code)
            keep[self._index[dim_id]] = frozenset(codes)
        dims = list(self.dimensions)
        for i, chosen in keep.items():
            kept = [c for c in dims[i].codes if c.id in chosen]
            dims[i] = replace(
                dims[i],
                codes=tuple(
                    c if c.parent is None or c.parent in chosen else replace(c, parent=None)
                    for c in kept
                ),
            )
        measures = self.measures
        metric = self.metric_dimension
        if metric is not None and self._index[metric.id] in keep:
            chosen = keep[self._index[metric.id]]
            measures = tuple(m for m in self.measures if m.id in chosen)
        observations = {
            key: obs
            for key, obs in self.observations.items()
            if all(key[i] in chosen for i, chosen in keep.items())
        }
        return replace(self, dimensions=tuple(dims), measures=measures, observations=observations)

    def latest(self, n: int) -> Cube:
        """A new cube with only the last `n` periods of the time dimension.

        Raises
        ------
        ValueError
            When the cube has no time dimension or `n` is not positive.
        """
        time = self.time_dimension
        if time is None:
            raise ValueError(f"cube {self.id!r} has no time dimension for latest({n})")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"latest(n) needs a positive whole number of periods, not {n!r}")
        return self.select({time.id: list(time.code_ids[-n:])})

    # -- Arrow -----------------------------------------------------------------------

    def to_arrow(self) -> pa.Table:
        """The observations as a long Arrow table, the metadata in its schema.

        One row per observation present, in row-major order: one string column per
        dimension (code ids), then ``value``, ``status``, ``se``, ``ci_lower``,
        ``ci_upper``, ``cv``, ``quality``, ``note_fa``, ``note_en``. `cube_from_arrow`
        turns it back into an equal cube.
        """
        cols: dict[str, list[Any]] = {d.id: [] for d in self.dimensions}
        obs_cols: dict[str, list[Any]] = {name: [] for name in OBSERVATION_COLUMNS}
        for key, obs in self.cells():
            if obs is None:
                continue
            for d, code in zip(self.dimensions, key, strict=True):
                cols[d.id].append(code)
            obs_cols["value"].append(obs.value)
            obs_cols["status"].append(None if obs.status is None else obs.status.value)
            for name in ("se", "ci_lower", "ci_upper", "cv", "quality"):
                obs_cols[name].append(getattr(obs, name))
            obs_cols["note_fa"].append(None if obs.note is None else obs.note.fa)
            obs_cols["note_en"].append(None if obs.note is None else obs.note.en)
        schema = pa.schema(
            [pa.field(d.id, pa.string(), nullable=False) for d in self.dimensions]
            + [pa.field(name, typ) for name, typ in OBSERVATION_COLUMNS.items()],
            metadata={ARROW_METADATA_KEY: json.dumps(_metadata(self), ensure_ascii=False)},
        )
        return pa.table({**cols, **obs_cols}, schema=schema)


OBSERVATION_COLUMNS: Mapping[str, pa.DataType] = MappingProxyType(
    {
        "value": pa.float64(),
        "status": pa.string(),
        "se": pa.float64(),
        "ci_lower": pa.float64(),
        "ci_upper": pa.float64(),
        "cv": pa.float64(),
        "quality": pa.string(),
        "note_fa": pa.string(),
        "note_en": pa.string(),
    }
)


def _text(t: Text | None) -> dict[str, str] | None:
    return None if t is None else {"fa": t.fa, "en": t.en}


def _untext(d: Mapping[str, str] | None) -> Text | None:
    return None if d is None else Text(fa=d["fa"], en=d["en"])


def _metadata(cube: Cube) -> dict[str, Any]:
    return {
        "id": cube.id,
        "version": cube.version,
        "agency": cube.agency,
        "title": _text(cube.title),
        "description": _text(cube.description),
        "notes": [_text(n) for n in cube.notes],
        "source": _text(cube.source),
        "updated": None if cube.updated is None else cube.updated.isoformat(),
        "contact": None
        if cube.contact is None
        else {
            "name": _text(cube.contact.name),
            "email": cube.contact.email,
            "phone": cube.contact.phone,
        },
        "dimensions": [
            {
                "id": d.id,
                "label": _text(d.label),
                "role": d.role.value,
                "codelist": d.codelist,
                "codes": [
                    {"id": c.id, "label": _text(c.label), "parent": c.parent} for c in d.codes
                ],
            }
            for d in cube.dimensions
        ],
        "measures": [
            {
                "id": m.id,
                "label": _text(m.label),
                "unit_id": m.unit_id,
                "unit": _text(m.unit),
                "decimals": m.decimals,
            }
            for m in cube.measures
        ],
    }


def cube_metadata_from_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of `Cube` (all but observations) from `to_arrow`'s metadata."""
    contact = meta.get("contact")
    title = _untext(meta["title"])
    if title is None:
        raise ValueError("the cube metadata in the Arrow schema has no title")
    return {
        "id": meta["id"],
        "version": meta["version"],
        "agency": meta.get("agency", "PSO"),
        "title": title,
        "description": _untext(meta.get("description")),
        "notes": tuple(Text(fa=n["fa"], en=n["en"]) for n in meta.get("notes", [])),
        "source": _untext(meta.get("source")),
        "updated": None if meta.get("updated") is None else datetime.fromisoformat(meta["updated"]),
        "contact": None
        if contact is None
        else Contact(name=Text(**contact["name"]), email=contact["email"], phone=contact["phone"]),
        "dimensions": tuple(
            Dimension(
                id=d["id"],
                label=Text(**d["label"]),
                role=Role(d["role"]),
                codelist=d.get("codelist"),
                codes=tuple(
                    Code(id=c["id"], label=Text(**c["label"]), parent=c["parent"])
                    for c in d["codes"]
                ),
            )
            for d in meta["dimensions"]
        ),
        "measures": tuple(
            Measure(
                id=m["id"],
                label=Text(**m["label"]),
                unit_id=m["unit_id"],
                unit=Text(**m["unit"]),
                decimals=m["decimals"],
            )
            for m in meta["measures"]
        ),
    }


def cube_from_arrow(
    table: pa.Table,
    *,
    value_column: str = "value",
    dimension_columns: Mapping[str, str] | None = None,
    **metadata: Any,
) -> Cube:
    """A `Cube` from a long Arrow table: one row per observation.

    Parameters
    ----------
    table
        One string column per dimension (code ids), the value column and optionally
        ``status`` (flag letters), ``se``, ``ci_lower``, ``ci_upper``, ``cv``,
        ``quality``, ``note_fa``, ``note_en``. Other columns are ignored.
    value_column
        Name of the value column (the engine's results call it ``"estimate"``).
    dimension_columns
        ``{dimension id: column}`` where a dimension's codes are not in a column of its
        own name. ``"domain:KEY"`` reads ``KEY`` of the ``domain`` map column that
        ``amargah.stats`` results carry (``Estimates.to_arrow()``), ``"term"`` the level
        of a categorical variable. A row without that key (a margin) is a
        `ValueError`; give totals as their own rows with the total's code.
    **metadata
        Keyword arguments of `Cube` other than ``observations`` (``id``, ``version``,
        ``title``, ``dimensions``, ``measures``, ...). When the table was written by
        `Cube.to_arrow` they default to the metadata stored in its schema.

    Raises
    ------
    ValueError
        Naming a missing column, a duplicated key, an unknown code or flag.
    """
    stored = (table.schema.metadata or {}).get(ARROW_METADATA_KEY)
    kwargs = cube_metadata_from_json(json.loads(stored)) if stored is not None else {}
    kwargs.update(metadata)
    if "dimensions" not in kwargs:
        raise ValueError("cube_from_arrow needs dimensions= (the table carries no cube metadata)")
    allowed = {f.name for f in fields(Cube) if f.init} - {"observations"}
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(f"cube_from_arrow: unknown argument(s) {sorted(unknown)}")
    dim_ids = [d.id for d in kwargs["dimensions"]]
    sources = {d: (dimension_columns or {}).get(d, d) for d in dim_ids}
    unknown_dims = set(dimension_columns or {}) - set(dim_ids)
    if unknown_dims:
        raise ValueError(f"dimension_columns names unknown dimension(s) {sorted(unknown_dims)}")
    needed = [src.split(":", 1)[0] for src in sources.values()] + [value_column]
    for name in needed:
        if name not in table.column_names:
            raise ValueError(
                f"the Arrow table has no column {name!r} (columns: {table.column_names})"
            )
    data = table.to_pydict()
    n = table.num_rows
    codes: dict[str, list[Any]] = {}
    for dim_id, src in sources.items():
        if ":" not in src:
            codes[dim_id] = data[src]
            continue
        map_column, map_key = src.split(":", 1)
        codes[dim_id] = []
        for i, entries in enumerate(data[map_column]):
            found = dict(entries or [])
            if map_key not in found:
                raise ValueError(
                    f"row {i}: the {map_column!r} column has no {map_key!r} for dimension "
                    f"{dim_id!r} (it has {sorted(found)})"
                )
            codes[dim_id].append(found[map_key])

    def column(name: str) -> list[Any]:
        return data[name] if name in data else [None] * n

    notes_fa, notes_en = column("note_fa"), column("note_en")
    observations: dict[ObservationKey, Observation] = {}
    for i in range(n):
        key = tuple(str(codes[d][i]) for d in dim_ids)
        if key in observations:
            raise ValueError(f"the Arrow table has two rows for key {key!r}")
        note = None
        if notes_fa[i] is not None or notes_en[i] is not None:
            note = Text(fa=notes_fa[i] or notes_en[i], en=notes_en[i] or notes_fa[i])
        status = column("status")[i]
        try:
            flag = None if status is None else Flag(status)
        except ValueError:
            raise ValueError(
                f"row {i}: unknown status flag {status!r}; flags are {[f.value for f in Flag]}"
            ) from None
        observations[key] = Observation(
            value=data[value_column][i],
            status=flag,
            se=column("se")[i],
            ci_lower=column("ci_lower")[i],
            ci_upper=column("ci_upper")[i],
            cv=column("cv")[i],
            quality=column("quality")[i],
            note=note,
        )
    return Cube(observations=observations, **kwargs)
