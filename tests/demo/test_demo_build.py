"""The demo world at a small scale: determinism, schema, manifest and codebook."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amargah.demo import GENERATOR_VERSION, WorldManifest, build_world, load_manifest

SCHEMAS = {
    "census_persons": {
        "person_id": pa.int64(),
        "hh_id": pa.int64(),
        "line": pa.int8(),
        "ea_id": pa.int32(),
        "county": pa.int8(),
        "area": pa.int8(),
        "stratum": pa.int16(),
        "sex": pa.int8(),
        "age": pa.int8(),
        "relation": pa.int8(),
        "marital": pa.int8(),
        "education": pa.int8(),
        "literacy": pa.int8(),
        "activity": pa.int8(),
        "isco": pa.int8(),
        "isic": pa.int8(),
        "income": pa.int64(),
        "record_key": pa.float64(),
    },
    "census_households": {
        "hh_id": pa.int64(),
        "ea_id": pa.int32(),
        "county": pa.int8(),
        "area": pa.int8(),
        "stratum": pa.int16(),
        "size": pa.int8(),
    },
    "frame_ea": {
        "ea_id": pa.int32(),
        "county": pa.int8(),
        "area": pa.int8(),
        "stratum": pa.int16(),
        "households": pa.int32(),
        "persons": pa.int32(),
    },
    "lfs_households": {
        "hh_id": pa.int64(),
        "stratum": pa.int16(),
        "psu": pa.int32(),
        "prob1": pa.float64(),
        "fpc1": pa.int32(),
        "prob2": pa.float64(),
        "fpc2": pa.int32(),
        "base_weight": pa.float64(),
        "disposition": pa.int8(),
        "weight": pa.float64(),
    },
}
SURVEY_DESIGN = {
    "psu": pa.int32(),
    "weight": pa.float64(),
    "base_weight": pa.float64(),
    "prob1": pa.float64(),
    "prob2": pa.float64(),
    "fpc1": pa.int32(),
    "fpc2": pa.int32(),
}
SCHEMAS["lfs_persons"] = {**SCHEMAS["census_persons"], **SURVEY_DESIGN}


def test_same_seed_gives_identical_files(
    small_world: tuple[Path, WorldManifest], tmp_path: Path
) -> None:
    _, first = small_world
    again = build_world(tmp_path / "again", seed=7, scale=0.02)
    assert [(f.name, f.sha256) for f in again.files] == [(f.name, f.sha256) for f in first.files]
    other = build_world(tmp_path / "other", seed=8, scale=0.02)
    assert (
        other.file("census_persons.parquet").sha256 != first.file("census_persons.parquet").sha256
    )


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_tables_have_the_documented_schema(
    small_world: tuple[Path, WorldManifest], table: str
) -> None:
    out, manifest = small_world
    schema = pq.read_schema(out / f"{table}.parquet")
    assert {f.name: f.type for f in schema} == SCHEMAS[table]
    assert pq.read_metadata(out / f"{table}.parquet").num_rows == manifest.rows[table]
    assert manifest.file(f"{table}.parquet").rows == manifest.rows[table]


def test_coded_values_are_all_in_the_codebook(small_world: tuple[Path, WorldManifest]) -> None:
    out, _ = small_world
    codebook = json.loads((out / "codebook.json").read_text(encoding="utf-8"))["variables"]
    persons = pq.read_table(out / "census_persons.parquet")
    for variable in (
        "county",
        "area",
        "stratum",
        "sex",
        "relation",
        "marital",
        "education",
        "literacy",
        "activity",
        "isco",
        "isic",
    ):
        values = {v for v in persons[variable].unique().to_pylist() if v is not None}
        assert values <= {int(code) for code in codebook[variable]["codes"]}, variable
    dispositions = pq.read_table(out / "lfs_households.parquet")["disposition"].unique()
    assert set(dispositions.to_pylist()) <= {int(c) for c in codebook["disposition"]["codes"]}
    assert codebook["county"]["codes"]["5"] == {"fa": "مهدی‌شهر", "en": "Mehdishahr"}


def test_manifest_round_trips_and_is_refused_when_stale(
    small_world: tuple[Path, WorldManifest], tmp_path: Path
) -> None:
    out, manifest = small_world
    assert load_manifest(out) == manifest
    assert load_manifest(out, seed=7, scale=0.02) == manifest
    assert load_manifest(out, seed=8) is None
    assert load_manifest(out, scale=1.0) is None
    assert load_manifest(tmp_path / "nothing-here") is None
    stored = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert stored["generator_version"] == GENERATOR_VERSION
    assert stored["rows"]["census_persons"] == manifest.rows["census_persons"]

    copy = tmp_path / "copy"
    build_world(copy, seed=7, scale=0.02)
    data = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    data["generator_version"] = "0"
    (copy / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_manifest(copy) is None
    data["generator_version"] = GENERATOR_VERSION
    (copy / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_manifest(copy) is not None
    (copy / "lfs_persons.parquet").unlink()
    assert load_manifest(copy) is None


def test_progress_is_reported_from_zero_to_one(tmp_path: Path) -> None:
    steps: list[tuple[str, float]] = []
    build_world(
        tmp_path, seed=3, scale=0.01, progress=lambda step, done: steps.append((step, done))
    )
    fractions = [done for _, done in steps]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert len({step for step, _ in steps}) >= 5


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), 50.0])
def test_bad_scale_is_refused(tmp_path: Path, scale: float) -> None:
    with pytest.raises(ValueError, match="scale must be a number in"):
        build_world(tmp_path, scale=scale)
