"""Build the demo world: census, EA frame, labour-force survey, truth and manifest.

Everything is drawn from one seeded NumPy generator, in a fixed order, so the same seed
and scale give byte-identical Parquet files (the manifest records their SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from amargah.demo.characteristics import build_characteristics
from amargah.demo.codebook import codebook_json
from amargah.demo.population import build_households, build_persons
from amargah.demo.survey import COMPLETE, draw_survey
from amargah.demo.truth import compute_truth

__all__ = [
    "GENERATOR_VERSION",
    "WorldFile",
    "WorldManifest",
    "build_world",
    "load_manifest",
]

#: Bump whenever the generated data change for a given seed and scale.
GENERATOR_VERSION = "1"
MANIFEST = "manifest.json"
TABLES = ("census_persons", "census_households", "frame_ea", "lfs_households", "lfs_persons")

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class WorldFile:
    """One file of the world: its name, SHA-256, size in bytes and rows (None for JSON)."""

    name: str
    sha256: str
    bytes: int
    rows: int | None = None


@dataclass(frozen=True)
class WorldManifest:
    """What was built, from which seed and scale, when, and how long it took.

    ``rows`` maps each table (``census_persons``, ``census_households``, ``frame_ea``,
    ``lfs_households``, ``lfs_persons``) to its number of rows.
    """

    generator_version: str
    seed: int
    scale: float
    built_at: str  # ISO 8601, UTC
    build_seconds: float
    rows: Mapping[str, int]
    files: tuple[WorldFile, ...] = field(default_factory=tuple)

    def file(self, name: str) -> WorldFile:
        """The entry of the file called ``name``."""
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        data = asdict(self)
        data["rows"] = dict(self.rows)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorldManifest:
        """Read a manifest written by :meth:`to_json`."""
        return cls(
            generator_version=str(data["generator_version"]),
            seed=int(data["seed"]),
            scale=float(data["scale"]),
            built_at=str(data["built_at"]),
            build_seconds=float(data["build_seconds"]),
            rows={str(k): int(v) for k, v in data["rows"].items()},
            files=tuple(WorldFile(**entry) for entry in data["files"]),
        )


def build_world(
    out_dir: Path,
    *,
    seed: int = 1405,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> WorldManifest:
    """Generate the synthetic Semnan Province and write it to ``out_dir``.

    Parameters
    ----------
    out_dir
        Directory to write into (created if missing; existing world files are replaced).
    seed
        Seed of the generator; the same seed and scale give identical files.
    scale
        Population scale: 1.0 is about 0.7 million persons, 0.02 a quick test world.
    progress
        Called as ``progress(step_label, fraction_done)`` with fractions from 0 to 1.

    Returns
    -------
    WorldManifest
        Also written as ``manifest.json``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     manifest = build_world(Path(tmp), scale=0.02)
    >>> manifest.rows["census_persons"]
    13995
    """
    if not (isinstance(scale, int | float) and math.isfinite(scale) and 0 < scale <= 20):
        raise ValueError(f"scale must be a number in (0, 20], not {scale!r}")
    report = progress or (lambda _step, _fraction: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # A half-written world must not look built: remove the manifest first.
    (out_dir / MANIFEST).unlink(missing_ok=True)
    rng = np.random.default_rng(seed)

    report("Households and enumeration areas", 0.0)
    households = build_households(rng, scale=scale)
    report("Persons: age, sex, relation", 0.10)
    persons = build_persons(rng, households)
    report("Education, activity, occupation, income", 0.25)
    traits = build_characteristics(rng, households, persons)

    report("Census tables", 0.45)
    hh = persons.hh_index
    stratum = (households.county.astype(np.int16) * 10 + households.area).astype(np.int16)
    census_households = pa.table(
        {
            "hh_id": households.hh_id,
            "ea_id": households.ea_id,
            "county": households.county,
            "area": households.area,
            "stratum": stratum,
            "size": households.size,
        }
    )
    census_persons = pa.table(
        {
            "person_id": np.arange(1, hh.size + 1, dtype=np.int64),
            "hh_id": households.hh_id[hh],
            "line": persons.line,
            "ea_id": households.ea_id[hh],
            "county": households.county[hh],
            "area": households.area[hh],
            "stratum": stratum[hh],
            "sex": persons.sex,
            "age": persons.age,
            "relation": persons.relation,
            "marital": _nullable(persons.marital, missing=0),
            "education": _nullable(traits.education),
            "literacy": _nullable(traits.literacy),
            "activity": _nullable(traits.activity),
            "isco": _nullable(traits.isco),
            "isic": _nullable(traits.isic),
            "income": traits.income,
            "record_key": traits.record_key,
        }
    )
    frame_ea = _ea_frame(census_households)

    report("Labour force survey", 0.55)
    survey = draw_survey(rng, frame_ea, census_households).households
    lfs_persons = _survey_persons(census_persons, survey)

    report("Writing Parquet files", 0.65)
    tables = {
        "census_persons": census_persons,
        "census_households": census_households,
        "frame_ea": frame_ea,
        "lfs_households": survey,
        "lfs_persons": lfs_persons,
    }
    files: list[WorldFile] = []
    for position, (name, table) in enumerate(tables.items()):
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        files.append(_describe(path, rows=table.num_rows))
        report("Writing Parquet files", 0.65 + 0.2 * (position + 1) / len(tables))

    report("Truth and codebook", 0.9)
    truth = compute_truth(census_persons, census_households, seed=seed, scale=scale)
    truth["generator_version"] = GENERATOR_VERSION
    for name, content in (("truth.json", truth), ("codebook.json", codebook_json())):
        path = out_dir / name
        _write_json(path, content)
        files.append(_describe(path))

    manifest = WorldManifest(
        generator_version=GENERATOR_VERSION,
        seed=seed,
        scale=float(scale),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        rows={name: table.num_rows for name, table in tables.items()},
        files=tuple(files),
    )
    _write_json(out_dir / MANIFEST, manifest.to_json())
    report("Done", 1.0)
    return manifest


def load_manifest(
    out_dir: Path, *, seed: int | None = None, scale: float | None = None
) -> WorldManifest | None:
    """Return the manifest of a world built in ``out_dir``, or None if it must be rebuilt.

    None when there is no readable manifest, when it was written by another generator
    version, when ``seed`` or ``scale`` are given and differ, or when a file it lists is
    missing or has another size (a cheap check; the checksums are not recomputed).
    """
    path = Path(out_dir) / MANIFEST
    try:
        manifest = WorldManifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if manifest.generator_version != GENERATOR_VERSION:
        return None
    if seed is not None and manifest.seed != seed:
        return None
    if scale is not None and not math.isclose(manifest.scale, scale):
        return None
    for entry in manifest.files:
        try:
            if os.path.getsize(Path(out_dir) / entry.name) != entry.bytes:
                return None
        except OSError:
            return None
    return manifest


def _nullable(values: np.ndarray, *, missing: int = -1) -> pa.Array:
    """An int8 Arrow array with nulls where ``values == missing`` (out of universe)."""
    return pa.array(values.astype(np.int8), mask=values == missing)


def _ea_frame(census_households: pa.Table) -> pa.Table:
    grouped = census_households.group_by(["ea_id", "county", "area", "stratum"]).aggregate(
        [("hh_id", "count"), ("size", "sum")]
    )
    frame = grouped.rename_columns(["ea_id", "county", "area", "stratum", "households", "persons"])
    frame = frame.sort_by("ea_id")
    return frame.set_column(
        frame.schema.get_field_index("households"),
        "households",
        pc.cast(frame["households"], pa.int32()),
    ).set_column(
        frame.schema.get_field_index("persons"), "persons", pc.cast(frame["persons"], pa.int32())
    )


def _survey_persons(census_persons: pa.Table, survey: pa.Table) -> pa.Table:
    """Persons of the responding households with the census variables and the design."""
    responding = survey.filter(pc.equal(survey["disposition"], COMPLETE))
    design = responding.select(
        ["hh_id", "psu", "weight", "base_weight", "prob1", "prob2", "fpc1", "fpc2"]
    )
    hh_ids = np.asarray(census_persons["hh_id"])
    wanted = np.isin(hh_ids, np.asarray(design["hh_id"]))
    persons = census_persons.filter(pa.array(wanted))
    position = np.searchsorted(np.asarray(design["hh_id"]), np.asarray(persons["hh_id"]))
    take = pa.array(position)
    for name in design.column_names[1:]:
        persons = persons.append_column(name, design[name].take(take))
    return persons


def _describe(path: Path, *, rows: int | None = None) -> WorldFile:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return WorldFile(name=path.name, sha256=digest, bytes=path.stat().st_size, rows=rows)


def _write_json(path: Path, content: Mapping[str, Any]) -> None:
    text = json.dumps(content, ensure_ascii=False, indent=1, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
