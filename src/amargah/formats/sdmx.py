"""SDMX 2.1: structure messages, data (SDMX-ML generic and structure-specific,
SDMX-JSON 1.0, SDMX-CSV 2.0), the DSD-specific schema of structure-specific data, and
error messages, as the ``sdmx1`` client reads them.

One cube is one dataflow (id = the cube's id) with its own data structure definition
(``DSD_<cube id>``) and concept scheme (``CS_<cube id>``); each dimension other than
time is coded by its code list (``Dimension.codelist_id``); the time dimension is the
SDMX ``TimeDimension``, whose id the SDMX 2.1 schema fixes as ``TIME_PERIOD`` whatever
the cube calls it. Observation attributes:

``OBS_STATUS``
    The `Flag` letter, coded by ``CL_OBS_STATUS`` (the office's flags); only on flagged
    observations. A suppressed cell is an ``Obs`` with ``OBS_STATUS="C"`` and no value.
``UNIT_MEASURE``
    The measure's unit, coded by ``CL_<cube id>_UNIT``; on every observation, so that
    cubes with several measures need no other layout.
``SE``, ``CI_LOWER``, ``CI_UPPER``, ``CV``, ``QUALITY``
    The quality attributes, uncoded, where the cube has them.

Rules from the clients (``shared/brief/standards/dissemination.md`` §3, §6): every
concept has a ``CoreRepresentation`` (sdmx1 crashes on structure-specific data
otherwise), ``Ref`` elements are unqualified, the children of ``mes:Structures`` come in
the schema's order, SDMX-JSON is served as ``application/vnd.sdmx.data+json;version=1.0.0``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from enum import IntEnum
from itertools import product
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from amargah.formats._common import check_lang, dumps, number
from amargah.formats.cube import FLAG_LABELS, LANGS, Cube, Dimension, Flag, Lang, Role, Text

STRUCTURE_MEDIA_TYPE = "application/vnd.sdmx.structure+xml;version=2.1"
GENERIC_DATA_MEDIA_TYPE = "application/vnd.sdmx.genericdata+xml;version=2.1"
STRUCTURE_SPECIFIC_DATA_MEDIA_TYPE = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
JSON_DATA_MEDIA_TYPE = "application/vnd.sdmx.data+json;version=1.0.0"
CSV_DATA_MEDIA_TYPE = "application/vnd.sdmx.data+csv;version=2.0.0"
ERROR_MEDIA_TYPE = "application/xml"  # SDMX-REST 2.1 leaves it to SDMX-ML: a mes:Error

TIME_PERIOD = "TIME_PERIOD"
ALL_DIMENSIONS = "AllDimensions"
OBS_VALUE = "OBS_VALUE"
OBS_STATUS_CODELIST = "CL_OBS_STATUS"

_NS_MES = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
_NS_STR = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
_NS_COM = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
_NS_GEN = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
_NS_SS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
_NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"


class ErrorCode(IntEnum):
    """SDMX-REST error codes (SDMX 2.1 Section 7, "Error messages")."""

    NO_RESULTS = 100
    UNAUTHORIZED = 110
    RESPONSE_TOO_LARGE = 130
    SYNTAX_ERROR = 140
    SEMANTIC_ERROR = 150
    INTERNAL_SERVER_ERROR = 500
    NOT_IMPLEMENTED = 501


# Observation-level attributes other than OBS_STATUS and UNIT_MEASURE:
# (concept id, Observation field, SDMX text type, name).
_QUALITY_ATTRIBUTES: tuple[tuple[str, str, str, Text], ...] = (
    ("SE", "se", "Double", Text("خطای معیار", "Standard error")),
    ("CI_LOWER", "ci_lower", "Double", Text("کران پایین بازه اطمینان", "Lower confidence bound")),
    ("CI_UPPER", "ci_upper", "Double", Text("کران بالای بازه اطمینان", "Upper confidence bound")),
    ("CV", "cv", "Double", Text("ضریب تغییرات", "Coefficient of variation")),
    ("QUALITY", "quality", "String", Text("درجه کیفیت", "Quality grade")),
)
_FIXED_CONCEPTS: dict[str, Text] = {
    TIME_PERIOD: Text("دوره زمانی", "Time period"),
    OBS_VALUE: Text("مقدار مشاهده", "Observation value"),
    "OBS_STATUS": Text("وضعیت مشاهده", "Observation status"),
    "UNIT_MEASURE": Text("واحد اندازه‌گیری", "Unit of measure"),
}
_RESERVED = {OBS_VALUE, "OBS_STATUS", "UNIT_MEASURE"} | {a[0] for a in _QUALITY_ATTRIBUTES}


# -- identifiers -----------------------------------------------------------------------


def dataflow_id(cube: Cube) -> str:
    """The dataflow's id: the cube's id."""
    return cube.id


def datastructure_id(cube: Cube) -> str:
    """The data structure definition's id, ``DSD_<cube id>``."""
    return f"DSD_{cube.id}"


def conceptscheme_id(cube: Cube) -> str:
    """The concept scheme's id, ``CS_<cube id>``."""
    return f"CS_{cube.id}"


def unit_codelist_id(cube: Cube) -> str:
    """The id of the code list of the cube's units, ``CL_<cube id>_UNIT``."""
    return f"CL_{cube.id}_UNIT"


def sdmx_dimension_id(dim: Dimension) -> str:
    """The dimension's id in SDMX: ``TIME_PERIOD`` for time, its own id otherwise."""
    return TIME_PERIOD if dim.role is Role.TIME else dim.id


def codelist_ids(cube: Cube) -> list[str]:
    """Every code list the cube's structure uses, in the order structure messages list them."""
    return [d.codelist_id for d in _series_dimensions(cube)] + [
        OBS_STATUS_CODELIST,
        unit_codelist_id(cube),
    ]


def _series_dimensions(cube: Cube) -> list[Dimension]:
    return [d for d in cube.dimensions if d.role is not Role.TIME]


def _check_structure(cube: Cube) -> None:
    for d in cube.dimensions:
        sid = sdmx_dimension_id(d)
        if sid in _RESERVED:
            raise ValueError(
                f"dimension {d.id!r} of cube {cube.id!r} has an id that SDMX uses for an "
                f"attribute or the measure ({sorted(_RESERVED)})"
            )
        if d.role is not Role.TIME and sid == TIME_PERIOD:
            raise ValueError(
                f"dimension {d.id!r}: only the time dimension may be called TIME_PERIOD"
            )


def _urn(package: str, cls: str, agency: str, id_: str, version: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.{package}.{cls}={agency}:{id_}({version})"


# -- XML helpers -----------------------------------------------------------------------


def _names(text: Text, tag: str = "com:Name") -> str:
    return "".join(f'<{tag} xml:lang="{lang}">{escape(text.get(lang))}</{tag}>' for lang in LANGS)


_PLAIN = re.compile(r'[^<>&"\n\r\t]*')


def _attrs(**values: str) -> str:
    # Codes and numbers need no escaping; skipping quoteattr for them halves the time
    # of large data messages.
    return "".join(
        f' {k}="{v}"' if _PLAIN.fullmatch(v) else f" {k}={quoteattr(v)}" for k, v in values.items()
    )


def _header(message_id: str, agency: str, prepared: datetime | None, extra: str = "") -> str:
    moment = (prepared or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return (
        f"<mes:Header><mes:ID>{escape(message_id)}</mes:ID><mes:Test>false</mes:Test>"
        f"<mes:Prepared>{moment.isoformat().replace('+00:00', 'Z')}</mes:Prepared>"
        f"<mes:Sender{_attrs(id=agency)}/>{extra}</mes:Header>"
    )


def _codelist_ref(cube: Cube, codelist: str) -> str:
    return (
        f"<Ref{_attrs(id=codelist, version=cube.version, agencyID=cube.agency)}"
        ' package="codelist" class="Codelist"/>'
    )


def _concept_ref(cube: Cube, concept: str) -> str:
    return (
        f"<Ref{_attrs(id=concept, maintainableParentID=conceptscheme_id(cube))}"
        f"{_attrs(maintainableParentVersion=cube.version, agencyID=cube.agency)}"
        ' package="conceptscheme" class="Concept"/>'
    )


def _xml(root: str, namespaces: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} {namespaces}>{body}</{root}>\n'
    ).encode()


# -- structure -------------------------------------------------------------------------


def _dataflow(cube: Cube) -> str:
    urn = _urn("datastructure", "Dataflow", cube.agency, dataflow_id(cube), cube.version)
    head = _attrs(id=dataflow_id(cube), agencyID=cube.agency, version=cube.version)
    description = "" if cube.description is None else _names(cube.description, "com:Description")
    return (
        f'<str:Dataflow{head} isFinal="true"{_attrs(urn=urn)}>{_names(cube.title)}{description}'
        f"<str:Structure><Ref{_attrs(id=datastructure_id(cube), version=cube.version)}"
        f'{_attrs(agencyID=cube.agency)} package="datastructure" class="DataStructure"/>'
        "</str:Structure></str:Dataflow>"
    )


def _codelist_items(cube: Cube) -> dict[str, tuple[Text, list[tuple[str, Text, str | None]]]]:
    lists: dict[str, tuple[Text, list[tuple[str, Text, str | None]]]] = {}
    for d in _series_dimensions(cube):
        lists[d.codelist_id] = (d.label, [(c.id, c.label, c.parent) for c in d.codes])
    lists[OBS_STATUS_CODELIST] = (
        _FIXED_CONCEPTS["OBS_STATUS"],
        [(f.value, FLAG_LABELS[f], None) for f in Flag],
    )
    units: dict[str, Text] = {}
    for m in cube.measures:
        units.setdefault(m.unit_id, m.unit)
    lists[unit_codelist_id(cube)] = (
        _FIXED_CONCEPTS["UNIT_MEASURE"],
        [(u, label, None) for u, label in units.items()],
    )
    return lists


def _codelist(
    cube: Cube, codelist: str, name: Text, codes: list[tuple[str, Text, str | None]]
) -> str:
    urn = _urn("codelist", "Codelist", cube.agency, codelist, cube.version)
    out = [
        f"<str:Codelist{_attrs(id=codelist, agencyID=cube.agency, version=cube.version)}"
        f' isFinal="true"{_attrs(urn=urn)}>{_names(name)}'
    ]
    for code, label, parent in codes:
        parent_xml = "" if parent is None else f"<str:Parent><Ref{_attrs(id=parent)}/></str:Parent>"
        code_attrs = _attrs(id=code, urn=f"{urn}.{code}")
        out.append(f"<str:Code{code_attrs}>{_names(label)}{parent_xml}</str:Code>")
    out.append("</str:Codelist>")
    return "".join(out)


def _concepts(cube: Cube) -> list[tuple[str, Text, str]]:
    """(concept id, name, CoreRepresentation XML) for every component of the DSD."""

    def text_format(text_type: str) -> str:
        return f'<str:TextFormat textType="{text_type}"/>'

    def enumeration(codelist: str) -> str:
        return f"<str:Enumeration>{_codelist_ref(cube, codelist)}</str:Enumeration>"

    concepts: list[tuple[str, Text, str]] = [
        (d.id, d.label, enumeration(d.codelist_id)) for d in _series_dimensions(cube)
    ]
    time = cube.time_dimension
    if time is not None:
        concepts.append((TIME_PERIOD, time.label, text_format("ObservationalTimePeriod")))
    concepts += [
        (OBS_VALUE, _FIXED_CONCEPTS[OBS_VALUE], text_format("Double")),
        ("OBS_STATUS", _FIXED_CONCEPTS["OBS_STATUS"], enumeration(OBS_STATUS_CODELIST)),
        ("UNIT_MEASURE", _FIXED_CONCEPTS["UNIT_MEASURE"], enumeration(unit_codelist_id(cube))),
    ]
    concepts += [(cid, name, text_format(tt)) for cid, _, tt, name in _QUALITY_ATTRIBUTES]
    return concepts


def _conceptscheme(cube: Cube) -> str:
    cs = conceptscheme_id(cube)
    urn = _urn("conceptscheme", "ConceptScheme", cube.agency, cs, cube.version)
    out = [
        f"<str:ConceptScheme{_attrs(id=cs, agencyID=cube.agency, version=cube.version)}"
        f' isFinal="true"{_attrs(urn=urn)}>'
        + _names(Text(f"مفاهیم {cube.title.fa}", f"Concepts of {cube.title.en}"))
    ]
    for cid, name, representation in _concepts(cube):
        out.append(
            f"<str:Concept{_attrs(id=cid, urn=f'{urn}.{cid}')}>{_names(name)}"
            f"<str:CoreRepresentation>{representation}</str:CoreRepresentation></str:Concept>"
        )
    out.append("</str:ConceptScheme>")
    return "".join(out)


def _datastructure(cube: Cube) -> str:
    dsd = datastructure_id(cube)
    urn = _urn("datastructure", "DataStructure", cube.agency, dsd, cube.version)
    out = [
        f"<str:DataStructure{_attrs(id=dsd, agencyID=cube.agency, version=cube.version)}"
        f' isFinal="true"{_attrs(urn=urn)}>{_names(cube.title)}'
        '<str:DataStructureComponents><str:DimensionList id="DimensionDescriptor">'
    ]
    position = 0
    for d in _series_dimensions(cube):
        position += 1
        out.append(
            f'<str:Dimension{_attrs(id=d.id)} position="{position}">'
            f"<str:ConceptIdentity>{_concept_ref(cube, d.id)}</str:ConceptIdentity>"
            "<str:LocalRepresentation><str:Enumeration>"
            f"{_codelist_ref(cube, d.codelist_id)}</str:Enumeration></str:LocalRepresentation>"
            "</str:Dimension>"
        )
    if cube.time_dimension is not None:
        out.append(
            f'<str:TimeDimension id="{TIME_PERIOD}" position="{position + 1}">'
            f"<str:ConceptIdentity>{_concept_ref(cube, TIME_PERIOD)}</str:ConceptIdentity>"
            '<str:LocalRepresentation><str:TextFormat textType="ObservationalTimePeriod"/>'
            "</str:LocalRepresentation></str:TimeDimension>"
        )
    out.append('</str:DimensionList><str:AttributeList id="AttributeDescriptor">')
    attributes = [
        ("OBS_STATUS", "Conditional", OBS_STATUS_CODELIST),
        ("UNIT_MEASURE", "Mandatory", unit_codelist_id(cube)),
    ] + [(cid, "Conditional", None) for cid, *_ in _QUALITY_ATTRIBUTES]
    for cid, status, codelist in attributes:
        representation = (
            ""
            if codelist is None
            else "<str:LocalRepresentation><str:Enumeration>"
            f"{_codelist_ref(cube, codelist)}</str:Enumeration></str:LocalRepresentation>"
        )
        out.append(
            f'<str:Attribute id="{cid}" assignmentStatus="{status}">'
            f"<str:ConceptIdentity>{_concept_ref(cube, cid)}</str:ConceptIdentity>{representation}"
            '<str:AttributeRelationship><str:PrimaryMeasure><Ref id="OBS_VALUE"/>'
            "</str:PrimaryMeasure></str:AttributeRelationship></str:Attribute>"
        )
    out.append(
        '</str:AttributeList><str:MeasureList id="MeasureDescriptor">'
        f'<str:PrimaryMeasure id="{OBS_VALUE}">'
        f"<str:ConceptIdentity>{_concept_ref(cube, OBS_VALUE)}</str:ConceptIdentity>"
        "</str:PrimaryMeasure></str:MeasureList></str:DataStructureComponents></str:DataStructure>"
    )
    return "".join(out)


def _structure_message(
    message_id: str,
    agency: str,
    *,
    prepared: datetime | None,
    dataflows: Sequence[str] = (),
    codelists: Sequence[str] = (),
    concepts: Sequence[str] = (),
    datastructures: Sequence[str] = (),
) -> bytes:
    # The schema fixes the order of the children of mes:Structures: OrganisationSchemes,
    # Dataflows, Metadataflows, CategorySchemes, Categorisations, Codelists,
    # HierarchicalCodelists, Concepts, MetadataStructures, DataStructures, ...
    body = ""
    for tag, parts in (
        ("Dataflows", dataflows),
        ("Codelists", codelists),
        ("Concepts", concepts),
        ("DataStructures", datastructures),
    ):
        if parts:
            body += f"<str:{tag}>{''.join(parts)}</str:{tag}>"
    namespaces = f'xmlns:mes="{_NS_MES}" xmlns:str="{_NS_STR}" xmlns:com="{_NS_COM}"'
    return _xml(
        "mes:Structure",
        namespaces,
        _header(message_id, agency, prepared) + f"<mes:Structures>{body}</mes:Structures>",
    )


def write_sdmx_dataflows(cubes: Sequence[Cube], *, prepared: datetime | None = None) -> bytes:
    """A structure message listing the dataflows of `cubes` (``/dataflow/{agency}/all/latest``).

    Parameters
    ----------
    cubes
        The published tables, all of one agency.
    prepared
        The message's preparation time (timezone-aware); now when ``None``.
    """
    if not cubes:
        raise ValueError("no dataflows to list: answer SDMX error 100 (no results) instead")
    agencies = {c.agency for c in cubes}
    if len(agencies) != 1:
        raise ValueError(f"dataflows of several agencies in one message: {sorted(agencies)}")
    return _structure_message(
        "DATAFLOWS",
        cubes[0].agency,
        prepared=prepared,
        dataflows=[_dataflow(c) for c in cubes],
    )


def write_sdmx_structure(
    cube: Cube, *, dataflow: bool = True, prepared: datetime | None = None
) -> bytes:
    """The whole structure of one cube: dataflow, code lists, concept scheme and DSD.

    This is the answer to ``/dataflow/{agency}/{id}/latest?references=all`` (what sdmx1
    asks by default) and, with ``dataflow=False``, to
    ``/datastructure/{agency}/DSD_{id}/latest?references=children``.
    """
    _check_structure(cube)
    lists = _codelist_items(cube)
    return _structure_message(
        f"STRUCTURE_{cube.id}",
        cube.agency,
        prepared=prepared,
        dataflows=[_dataflow(cube)] if dataflow else [],
        codelists=[_codelist(cube, cl, *lists[cl]) for cl in codelist_ids(cube)],
        concepts=[_conceptscheme(cube)],
        datastructures=[_datastructure(cube)],
    )


def write_sdmx_codelist(cube: Cube, *, codelist: str, prepared: datetime | None = None) -> bytes:
    """One code list of the cube's structure (``/codelist/{agency}/{id}/latest``).

    Raises
    ------
    ValueError
        Naming the code list when the cube has none by that id.
    """
    lists = _codelist_items(cube)
    if codelist not in lists:
        raise ValueError(
            f"unknown code list {codelist!r} in cube {cube.id!r}; it has {list(lists)}"
        )
    return _structure_message(
        f"CODELIST_{codelist}",
        cube.agency,
        prepared=prepared,
        codelists=[_codelist(cube, codelist, *lists[codelist])],
    )


def write_sdmx_conceptscheme(cube: Cube, *, prepared: datetime | None = None) -> bytes:
    """The cube's concept scheme (``/conceptscheme/{agency}/CS_{id}/latest``)."""
    _check_structure(cube)
    return _structure_message(
        f"CONCEPTS_{cube.id}", cube.agency, prepared=prepared, concepts=[_conceptscheme(cube)]
    )


# -- data ------------------------------------------------------------------------------


def _dimension_at_observation(cube: Cube, requested: str | None) -> str:
    if requested is None:
        return TIME_PERIOD if cube.time_dimension is not None else ALL_DIMENSIONS
    if requested == ALL_DIMENSIONS:
        return ALL_DIMENSIONS
    if requested == TIME_PERIOD and cube.time_dimension is not None:
        return TIME_PERIOD
    raise ValueError(
        f"dimensionAtObservation={requested!r} is not supported for cube {cube.id!r}: "
        f"use {TIME_PERIOD!r} (when the cube has a time dimension) or {ALL_DIMENSIONS!r}"
    )


def _sdmx_order(cube: Cube) -> list[int]:
    """Positions of the cube's dimensions in SDMX key order (time last)."""
    order = [i for i, d in enumerate(cube.dimensions) if d.role is not Role.TIME]
    time = cube.time_dimension
    if time is not None:
        order.append(cube.position(time.id))
    return order


def _series(
    cube: Cube, at_obs: str
) -> Iterator[tuple[list[tuple[str, str]], list[tuple[list[tuple[str, str]], tuple[str, ...]]]]]:
    """(series key values, [(observation key values, cube key)]) in SDMX order.

    With ``AllDimensions`` there is one series with an empty key. Cells with no
    observation are left out; a series with no observation is left out.
    """
    order = _sdmx_order(cube)
    dims = [cube.dimensions[i] for i in order]
    if at_obs == ALL_DIMENSIONS:
        obs = []
        for codes in product(*(d.code_ids for d in dims)):
            key = _cube_key(order, codes)
            if key in cube.observations:
                obs.append(
                    ([(sdmx_dimension_id(d), c) for d, c in zip(dims, codes, strict=True)], key)
                )
        if obs:
            yield [], obs
        return
    for codes in product(*(d.code_ids for d in dims[:-1])):
        series_key = [(d.id, c) for d, c in zip(dims[:-1], codes, strict=True)]
        obs = []
        for period in dims[-1].code_ids:
            key = _cube_key(order, (*codes, period))
            if key in cube.observations:
                obs.append(([(TIME_PERIOD, period)], key))
        if obs:
            yield series_key, obs


def _cube_key(order: list[int], codes: Sequence[str]) -> tuple[str, ...]:
    key = [""] * len(order)
    for position, code in zip(order, codes, strict=True):
        key[position] = code
    return tuple(key)


def _observation_attributes(cube: Cube, key: tuple[str, ...]) -> list[tuple[str, str]]:
    obs = cube.observations[key]
    values: list[tuple[str, str]] = []
    if obs.status is not None:
        values.append(("OBS_STATUS", obs.status.value))
    values.append(("UNIT_MEASURE", cube.measure_of(key).unit_id))
    for cid, field_name, text_type, _ in _QUALITY_ATTRIBUTES:
        v = getattr(obs, field_name)
        if v is not None:
            values.append((cid, number(v) if text_type == "Double" else str(v)))
    return values


def _obs_value(cube: Cube, key: tuple[str, ...]) -> str | None:
    value = cube.observations[key].value
    return None if value is None else cube.format_value(key, value)


def _check_data(cube: Cube) -> None:
    _check_structure(cube)
    if not cube.observations:
        raise ValueError(
            f"cube {cube.id!r} has no observations: answer SDMX error 100 (no results), "
            "HTTP 404, instead of an empty message"
        )


def _structure_id(cube: Cube) -> str:
    return f"{cube.agency}_{datastructure_id(cube)}_{cube.version.replace('.', '_')}"


def _data_header_structure(cube: Cube, at_obs: str, namespace: str | None) -> str:
    ns = "" if namespace is None else _attrs(namespace=namespace)
    return (
        f"<mes:Structure{_attrs(structureID=_structure_id(cube))}{ns}"
        f"{_attrs(dimensionAtObservation=at_obs)}><com:Structure>"
        f"<Ref{_attrs(agencyID=cube.agency, id=datastructure_id(cube), version=cube.version)}/>"
        "</com:Structure></mes:Structure>"
    )


def write_sdmx_generic(
    cube: Cube,
    *,
    dimension_at_observation: str | None = None,
    prepared: datetime | None = None,
) -> bytes:
    """The cube's observations as SDMX-ML 2.1 generic data.

    Parameters
    ----------
    cube
        The (selected) table.
    dimension_at_observation
        ``"TIME_PERIOD"`` (the default when the cube has time: one series per key of
        the other dimensions) or ``"AllDimensions"`` (flat observations).
    prepared
        The message's preparation time; now when ``None``.

    Raises
    ------
    ValueError
        When the cube has no observation (the REST answer is then error 100, 404).

    Examples
    --------
    >>> from amargah.formats.examples import small_cube
    >>> b'<gen:ObsDimension value="1402"/><gen:ObsValue value="10.2"/>' in write_sdmx_generic(
    ...     small_cube())
    True
    """
    _check_data(cube)
    at_obs = _dimension_at_observation(cube, dimension_at_observation)
    out = [f"<mes:DataSet{_attrs(structureRef=_structure_id(cube))}>"]
    for series_key, observations in _series(cube, at_obs):
        if at_obs != ALL_DIMENSIONS:
            out.append("<gen:Series><gen:SeriesKey>")
            out += [f"<gen:Value{_attrs(id=k, value=v)}/>" for k, v in series_key]
            out.append("</gen:SeriesKey>")
        for obs_key, key in observations:
            if at_obs == ALL_DIMENSIONS:
                out.append("<gen:Obs><gen:ObsKey>")
                out += [f"<gen:Value{_attrs(id=k, value=v)}/>" for k, v in obs_key]
                out.append("</gen:ObsKey>")
            else:
                out.append(f"<gen:Obs><gen:ObsDimension{_attrs(value=obs_key[0][1])}/>")
            value = _obs_value(cube, key)
            if value is not None:
                out.append(f"<gen:ObsValue{_attrs(value=value)}/>")
            out.append("<gen:Attributes>")
            out += [
                f"<gen:Value{_attrs(id=k, value=v)}/>"
                for k, v in _observation_attributes(cube, key)
            ]
            out.append("</gen:Attributes></gen:Obs>")
        if at_obs != ALL_DIMENSIONS:
            out.append("</gen:Series>")
    out.append("</mes:DataSet>")
    namespaces = f'xmlns:mes="{_NS_MES}" xmlns:gen="{_NS_GEN}" xmlns:com="{_NS_COM}"'
    header = _header(
        f"DATA_{cube.id}", cube.agency, prepared, _data_header_structure(cube, at_obs, None)
    )
    return _xml("mes:GenericData", namespaces, header + "".join(out))


def structure_specific_namespace(cube: Cube, *, dimension_at_observation: str | None = None) -> str:
    """The target namespace of the cube's structure-specific data (SDMX 2.1 Section 3A)."""
    at_obs = _dimension_at_observation(cube, dimension_at_observation)
    level = "ObsLevelDim:AllDimensions" if at_obs == ALL_DIMENSIONS else f"ObsLevelDim:{at_obs}"
    urn = _urn("datastructure", "DataStructure", cube.agency, datastructure_id(cube), cube.version)
    return f"{urn}:{level}"


def write_sdmx_schema(
    cube: Cube,
    *,
    dimension_at_observation: str | None = None,
    base_schema_location: str = "SDMXDataStructureSpecific.xsd",
    common_schema_location: str = "SDMXCommon.xsd",
) -> bytes:
    """The XML schema of the cube's structure-specific data (SDMX 2.1 Section 3A).

    The answer to ``/schema/datastructure/{agency}/DSD_{id}/{version}``: the data set,
    series and observation types restricted from the standard's abstract ones, with
    each coded dimension and attribute as an enumeration of its code list. With it a
    structure-specific message can be validated like any other SDMX-ML message.

    Parameters
    ----------
    cube
        The table (its structure; observations are not used).
    dimension_at_observation
        As `write_sdmx_structure_specific`: the schema differs by layout.
    base_schema_location, common_schema_location
        Where a validator finds ``SDMXDataStructureSpecific.xsd`` and
        ``SDMXCommon.xsd`` of SDMX-ML 2.1 (by default beside this schema, as the
        standard's schema bundle lays them out).
    """
    _check_structure(cube)
    at_obs = _dimension_at_observation(cube, dimension_at_observation)
    ns = structure_specific_namespace(cube, dimension_at_observation=at_obs)
    lists = _codelist_items(cube)

    def enumeration(name: str, codes: Sequence[str]) -> str:
        values = "".join(f"<xs:enumeration{_attrs(value=c)}/>" for c in codes)
        return (
            f'<xs:simpleType{_attrs(name=name)}><xs:restriction base="common:IDType">'
            f"{values}</xs:restriction></xs:simpleType>"
        )

    types = [enumeration(cl, [c for c, _, _ in lists[cl][1]]) for cl in codelist_ids(cube)]
    series_dims = _series_dimensions(cube)
    dim_attrs = "".join(
        f'<xs:attribute{_attrs(name=d.id, type=d.codelist_id)} use="required"/>'
        for d in series_dims
    )
    time_attr = '<xs:attribute name="TIME_PERIOD" type="common:ObservationalTimePeriodType"'
    obs_attrs = (
        '<xs:attribute name="type" use="prohibited"/>'
        + (time_attr + ' use="required"/>' if cube.time_dimension is not None else "")
        + '<xs:attribute name="REPORTING_YEAR_START_DAY" use="prohibited"/>'
        + '<xs:attribute name="OBS_VALUE" type="xs:double" use="optional"/>'
        + f'<xs:attribute name="OBS_STATUS" type="{OBS_STATUS_CODELIST}" use="optional"/>'
        + f'<xs:attribute name="UNIT_MEASURE" type="{unit_codelist_id(cube)}" use="required"/>'
        + "".join(
            f'<xs:attribute name="{cid}" type="xs:{"double" if tt == "Double" else "string"}"'
            ' use="optional"/>'
            for cid, _, tt, _ in _QUALITY_ATTRIBUTES
        )
    )
    annotations = '<xs:element ref="common:Annotations" minOccurs="0"/>'
    if at_obs == ALL_DIMENSIONS:
        content = '<xs:element name="Obs" type="ObsType" maxOccurs="unbounded"/>'
        obs_attrs += dim_attrs
        series = ""
    else:
        content = '<xs:element name="Series" type="SeriesType" maxOccurs="unbounded"/>'
        series = (
            '<xs:complexType name="SeriesType"><xs:complexContent>'
            f'<xs:restriction base="ss:SeriesType"><xs:sequence>{annotations}'
            '<xs:element name="Obs" type="ObsType" maxOccurs="unbounded"/></xs:sequence>'
            f'{dim_attrs}<xs:attribute name="TIME_PERIOD" use="prohibited"/>'
            '<xs:attribute name="REPORTING_YEAR_START_DAY" use="prohibited"/>'
            "</xs:restriction></xs:complexContent></xs:complexType>"
        )
    body = (
        "".join(types) + '<xs:complexType name="DataSetType"><xs:complexContent>'
        f'<xs:restriction base="ss:DataSetType"><xs:sequence>{annotations}'
        '<xs:element name="DataProvider" type="common:DataProviderReferenceType" minOccurs="0"/>'
        f'<xs:choice minOccurs="0">{content}</xs:choice></xs:sequence>'
        '<xs:attribute name="REPORTING_YEAR_START_DAY" use="prohibited"/>'
        "</xs:restriction></xs:complexContent></xs:complexType>"
        + series
        + '<xs:complexType name="ObsType"><xs:complexContent>'
        f'<xs:restriction base="ss:ObsType"><xs:sequence>{annotations}</xs:sequence>{obs_attrs}'
        "</xs:restriction></xs:complexContent></xs:complexType>"
    )
    namespaces = (
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:ss="{_NS_SS}" '
        f'xmlns:common="{_NS_COM}" xmlns={quoteattr(ns)} targetNamespace={quoteattr(ns)} '
        'elementFormDefault="unqualified" attributeFormDefault="unqualified"'
    )
    imports = (
        f"<xs:import{_attrs(namespace=_NS_SS, schemaLocation=base_schema_location)}/>"
        f"<xs:import{_attrs(namespace=_NS_COM, schemaLocation=common_schema_location)}/>"
    )
    return _xml("xs:schema", namespaces, imports + body)


def write_sdmx_structure_specific(
    cube: Cube,
    *,
    dimension_at_observation: str | None = None,
    prepared: datetime | None = None,
) -> bytes:
    """The cube's observations as SDMX-ML 2.1 structure-specific data.

    Parameters as `write_sdmx_generic`. Dimensions and attributes are XML attributes
    named by their ids (``<Series REF_AREA="S2001" SEX="F">``, ``<Obs TIME_PERIOD="1402"
    OBS_VALUE="9.3" OBS_STATUS="P" .../>``); a suppressed cell has no ``OBS_VALUE``.
    """
    _check_data(cube)
    at_obs = _dimension_at_observation(cube, dimension_at_observation)
    ns = structure_specific_namespace(cube, dimension_at_observation=at_obs)
    out = [
        f'<mes:DataSet ss:dataScope="DataStructure" xsi:type="ns1:DataSetType"'
        f"{_attrs(**{'ss:structureRef': _structure_id(cube)})}>"
    ]
    for series_key, observations in _series(cube, at_obs):
        if at_obs != ALL_DIMENSIONS:
            out.append(f"<Series{_attrs(**dict(series_key))}>")
        for obs_key, key in observations:
            fields = dict(obs_key)
            value = _obs_value(cube, key)
            if value is not None:
                fields[OBS_VALUE] = value
            fields.update(_observation_attributes(cube, key))
            out.append(f"<Obs{_attrs(**fields)}/>")
        if at_obs != ALL_DIMENSIONS:
            out.append("</Series>")
    out.append("</mes:DataSet>")
    namespaces = (
        f'xmlns:mes="{_NS_MES}" xmlns:ss="{_NS_SS}" xmlns:com="{_NS_COM}" '
        f'xmlns:xsi="{_NS_XSI}" xmlns:ns1={quoteattr(ns)}'
    )
    header = _header(
        f"DATA_{cube.id}", cube.agency, prepared, _data_header_structure(cube, at_obs, ns)
    )
    return _xml("mes:StructureSpecificData", namespaces, header + "".join(out))


def sdmx_json_data(
    cube: Cube,
    *,
    lang: Lang = "en",
    dimension_at_observation: str | None = None,
    prepared: datetime | None = None,
) -> dict[str, Any]:
    """The cube's observations as an SDMX-JSON 1.0 data message (a ``dict``).

    Parameters
    ----------
    lang
        Language of the names (SDMX-JSON 1.0 carries one).
    dimension_at_observation, prepared
        As `write_sdmx_generic`.

    Notes
    -----
    sdmx1 2.28, given the DSD (``structure=``), fails on an attribute of the DSD that
    the message does not list; it discards a listed attribute whose ``values`` are
    empty (logging a warning, and removing it from the DSD object it was given) and
    then reads the observation arrays against the remaining attributes. So every
    attribute is listed, and the arrays have slots only for those with values.
    """
    lang = check_lang(lang)
    _check_data(cube)
    at_obs = _dimension_at_observation(cube, dimension_at_observation)
    order = _sdmx_order(cube)
    dims = [cube.dimensions[i] for i in order]
    index = [{c: n for n, c in enumerate(d.code_ids)} for d in dims]

    def values(d: Dimension) -> list[dict[str, str]]:
        return [{"id": c.id, "name": c.label.get(lang)} for c in d.codes]

    entries = [
        {
            "id": sdmx_dimension_id(d),
            "name": d.label.get(lang),
            "keyPosition": i,
            "values": values(d),
        }
        | ({"role": "time"} if d.role is Role.TIME else {})
        for i, d in enumerate(dims)
    ]
    if at_obs == ALL_DIMENSIONS:
        series_dims: list[dict[str, Any]] = []
        obs_dims = entries
    else:
        series_dims, obs_dims = entries[:-1], entries[-1:]

    # Coded attributes list their whole code list (indices are code-list positions);
    # uncoded ones their values in order of first use.
    attr_order = ["OBS_STATUS", "UNIT_MEASURE"] + [a[0] for a in _QUALITY_ATTRIBUTES]
    attr_values: dict[str, dict[str, int]] = {a: {} for a in attr_order}
    status_names = {f.value: FLAG_LABELS[f].get(lang) for f in Flag}
    unit_names = {m.unit_id: m.unit.get(lang) for m in cube.measures}
    for coded, names_of in (("OBS_STATUS", status_names), ("UNIT_MEASURE", unit_names)):
        attr_values[coded] = {code: i for i, code in enumerate(names_of)}

    def obs_array(key: tuple[str, ...]) -> list[Any]:
        value = cube.observations[key].value
        found = dict(_observation_attributes(cube, key))
        row: list[Any] = [None if value is None else cube.rounded(key, value)]
        for a in attr_order:
            if a in found:
                row.append(attr_values[a].setdefault(found[a], len(attr_values[a])))
            else:
                row.append(None)
        return row

    data_set: dict[str, Any] = {"action": "Information"}
    if at_obs == ALL_DIMENSIONS:
        observations: dict[str, list[Any]] = {}
        for _, obs in _series(cube, at_obs):
            for obs_key, key in obs:
                pos = ":".join(str(index[i][c]) for i, (_, c) in enumerate(obs_key))
                observations[pos] = obs_array(key)
        data_set["observations"] = observations
    else:
        series: dict[str, Any] = {}
        for series_key, obs in _series(cube, at_obs):
            pos = ":".join(str(index[i][c]) for i, (_, c) in enumerate(series_key))
            series[pos] = {
                "attributes": [],
                "observations": {str(index[-1][o[0][1]]): obs_array(k) for o, k in obs},
            }
        data_set["series"] = series

    names = {a[0]: a[3].get(lang) for a in _QUALITY_ATTRIBUTES} | {
        "OBS_STATUS": _FIXED_CONCEPTS["OBS_STATUS"].get(lang),
        "UNIT_MEASURE": _FIXED_CONCEPTS["UNIT_MEASURE"].get(lang),
    }
    attributes = []
    for a in attr_order:
        if a == "OBS_STATUS":
            vals = [{"id": v, "name": status_names[v]} for v in attr_values[a]]
        elif a == "UNIT_MEASURE":
            vals = [{"id": v, "name": unit_names[v]} for v in attr_values[a]]
        else:
            # Uncoded values have no id (the schema's id pattern has no '.'): name only.
            vals = [{"name": v} for v in attr_values[a]]
        attributes.append({"id": a, "name": names[a], "values": vals})
    # Every attribute of the DSD is listed, but the arrays have slots only for those
    # with values (see Notes).
    used = [a for a in attr_order if attr_values[a]]
    keep = [0] + [1 + attr_order.index(a) for a in used]
    for obs_map in (
        [data_set["observations"]]
        if "observations" in data_set
        else [s["observations"] for s in data_set["series"].values()]
    ):
        for pos, row in obs_map.items():
            obs_map[pos] = [row[i] for i in keep]

    moment = (prepared or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "header": {
            "id": f"DATA_{cube.id}",
            "test": False,
            "prepared": moment.isoformat().replace("+00:00", "Z"),
            "sender": {"id": cube.agency},
        },
        "dataSets": [data_set],
        "structure": {
            "name": cube.title.get(lang),
            "dimensions": {"dataset": [], "series": series_dims, "observation": obs_dims},
            "attributes": {"dataset": [], "series": [], "observation": attributes},
        },
    }


def write_sdmx_json(
    cube: Cube,
    *,
    lang: Lang = "en",
    dimension_at_observation: str | None = None,
    prepared: datetime | None = None,
) -> bytes:
    """`sdmx_json_data` as UTF-8 JSON bytes (serve as `JSON_DATA_MEDIA_TYPE`)."""
    return dumps(
        sdmx_json_data(
            cube, lang=lang, dimension_at_observation=dimension_at_observation, prepared=prepared
        )
    )


def write_sdmx_csv(cube: Cube) -> str:
    """The cube's observations as SDMX-CSV 2.0 (serve as `CSV_DATA_MEDIA_TYPE`).

    Columns ``STRUCTURE,STRUCTURE_ID,ACTION``, the dimensions in DSD order (time as
    ``TIME_PERIOD``), ``OBS_VALUE`` and every observation attribute; one row per
    observation, a suppressed one with an empty value and ``OBS_STATUS`` ``C``.
    SDMX-CSV 1.0 is not offered: sdmx1 reads 2.0 only. sdmx1 finds the reader by
    content type, or needs ``format="CSV"`` when handed the bytes.

    Examples
    --------
    >>> from amargah.formats.examples import small_cube
    >>> print(write_sdmx_csv(small_cube()).splitlines()[3])
    dataflow,PSO:LFS_UNEMP(1.0),I,S2002,1401,,C,PC,,,,,
    """
    _check_data(cube)
    order = _sdmx_order(cube)
    attributes = ["OBS_STATUS", "UNIT_MEASURE"] + [a[0] for a in _QUALITY_ATTRIBUTES]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
        + [sdmx_dimension_id(cube.dimensions[i]) for i in order]
        + [OBS_VALUE, *attributes]
    )
    flow = f"{cube.agency}:{dataflow_id(cube)}({cube.version})"
    for _, observations in _series(cube, ALL_DIMENSIONS):
        for obs_key, key in observations:
            found = dict(_observation_attributes(cube, key))
            writer.writerow(
                ["dataflow", flow, "I"]
                + [code for _, code in obs_key]
                + [_obs_value(cube, key) or ""]
                + [found.get(a, "") for a in attributes]
            )
    return out.getvalue()


# -- errors ----------------------------------------------------------------------------


def write_sdmx_error(code: ErrorCode | int, message: Text) -> bytes:
    """An SDMX-ML 2.1 error message (``mes:Error``) in Persian and English.

    Parameters
    ----------
    code
        The SDMX error code: `ErrorCode.NO_RESULTS` (100, HTTP 404) when a query
        matches nothing, `ErrorCode.SYNTAX_ERROR` (140, HTTP 400) for a malformed key.
    message
        What is wrong, in both languages (naming the dimension or code at fault).
    """
    code = int(code)
    body = f'<mes:ErrorMessage code="{code}">{_names(message, "com:Text")}</mes:ErrorMessage>'
    return _xml("mes:Error", f'xmlns:mes="{_NS_MES}" xmlns:com="{_NS_COM}"', body)
