"""DDI-Codebook 2.5 (namespace ``ddi:codebook:2_5``): the documentation of a study.

A small frozen `Study` model (citation, coverage, universe, methodology, sampling,
response rate, data files, and variables with question text, categories and summary
statistics) and `write_ddi_codebook`, which renders one language per document, as NADA
imports it (``IDNo`` is the study's key). Elements appear in the order of the 2.5 schema
(``codeBook``: ``docDscr``, ``stdyDscr``, ``fileDscr``, ``dataDscr``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from amargah.formats._common import check_lang
from amargah.formats.cube import Lang, Text, check_id

DDI_MEDIA_TYPE = "application/xml"
DDI_NAMESPACE = "ddi:codebook:2_5"
DDI_SCHEMA_LOCATION = (
    "http://www.ddialliance.org/Specification/DDI-Codebook/2.5/XMLSchema/codebook.xsd"
)

SummaryStatistic = Literal["vald", "invd", "min", "max", "mean", "medn", "mode", "stdev"]


@dataclass(frozen=True, slots=True)
class Category:
    """One category of a categorical variable.

    Attributes
    ----------
    value
        The code as stored in the data file (``"1"``).
    label
        What it means.
    frequency
        Unweighted number of records with this value, or ``None``.
    missing
        The value is a missing-value code ("not stated").
    """

    value: str
    label: Text
    frequency: int | None = None
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    """One variable of a data file.

    Attributes
    ----------
    name
        The column name in the file.
    label
        Its label.
    file_id
        The id of the `DataFile` it is in.
    question
        The question as asked, or ``None`` for a derived variable.
    interval
        ``"discrete"`` (categorical) or ``"contin"`` (continuous).
    categories
        The categories, for a discrete variable.
    statistics
        Summary statistics: ``{"vald": valid cases, "invd": invalid cases, "min": …,
        "max": …, "mean": …, "stdev": …}``, in the variable's unit.
    minimum, maximum
        The range of valid values, or ``None``.
    numeric
        Stored as a number (else as text).
    """

    name: str
    label: Text
    file_id: str
    question: Text | None = None
    interval: Literal["discrete", "contin"] = "discrete"
    categories: tuple[Category, ...] = ()
    statistics: tuple[tuple[SummaryStatistic, float], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    numeric: bool = True

    def __post_init__(self) -> None:
        check_id("variable", self.name)
        check_id("file", self.file_id)
        if self.interval not in ("discrete", "contin"):
            raise ValueError(f"variable {self.name!r}: interval must be 'discrete' or 'contin'")


@dataclass(frozen=True, slots=True)
class DataFile:
    """A data file of the study (``fileDscr``)."""

    id: str
    name: str
    cases: int
    file_type: str = "Parquet"

    def __post_init__(self) -> None:
        check_id("file", self.id)


@dataclass(frozen=True, slots=True)
class Study:
    """A census or survey, as its DDI-Codebook describes it.

    Attributes
    ----------
    id
        The study's identifier (``IDNo``), stable across versions: ``"PSO-LFS-1402"``.
    title, alternate_title
        Full and short titles.
    abstract
        What the study measures and why.
    producer
        The producing office.
    period
        First and last day the data refer to.
    collection
        First and last day of data collection, or ``None``.
    nation
        The country.
    geographic_coverage, geographic_unit
        The area covered; the smallest area the data identify.
    analysis_unit
        Units of analysis (persons, households).
    universe
        The population the study describes.
    kind_of_data
        E.g. "Sample survey data [ssd]", "Census/enumeration data [cen]".
    collection_mode
        How data were collected (the methodology of collection).
    sampling
        The sample design, or ``None`` for a census.
    weighting
        How weights were made, or ``None``.
    response_rate
        Unit response rate as a percentage (82.4 means 82.4 %), or ``None``.
    keywords
        Subject keywords.
    version, version_date
        The documented version and its date.
    access_conditions, citation
        Terms of use and how to cite.
    files, variables
        The data files and their variables.
    agency
        Id of the agency that assigns ``id``.
    """

    id: str
    title: Text
    abstract: Text
    producer: Text
    period: tuple[date, date]
    nation: Text
    geographic_coverage: Text
    geographic_unit: Text
    analysis_unit: Text
    universe: Text
    kind_of_data: Text
    collection_mode: Text
    version: str
    version_date: date
    alternate_title: Text | None = None
    collection: tuple[date, date] | None = None
    sampling: Text | None = None
    weighting: Text | None = None
    response_rate: float | None = None
    keywords: tuple[Text, ...] = ()
    access_conditions: Text | None = None
    citation: Text | None = None
    files: tuple[DataFile, ...] = ()
    variables: tuple[Variable, ...] = ()
    agency: str = "PSO"

    def __post_init__(self) -> None:
        check_id("study", self.id)
        check_id("agency", self.agency)
        for name in ("period", "collection"):
            span = getattr(self, name)
            if span is not None and span[0] > span[1]:
                raise ValueError(f"study {self.id!r}: {name} ends before it starts")
        if self.response_rate is not None and not 0 <= self.response_rate <= 100:
            raise ValueError(
                f"study {self.id!r}: response_rate is a percentage in 0..100, "
                f"not {self.response_rate}"
            )
        file_ids = {f.id for f in self.files}
        if len(file_ids) != len(self.files):
            raise ValueError(f"study {self.id!r} lists a data file id twice")
        names: set[tuple[str, str]] = set()
        for v in self.variables:
            if v.file_id not in file_ids:
                raise ValueError(
                    f"variable {v.name!r} is in file {v.file_id!r}, which the study does not list"
                )
            if (v.file_id, v.name) in names:
                raise ValueError(f"variable {v.name!r} appears twice in file {v.file_id!r}")
            names.add((v.file_id, v.name))


def _el(tag: str, text: str, **attributes: str) -> str:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_ddi_codebook(study: Study, *, lang: Lang) -> bytes:
    """The study as a DDI-Codebook 2.5 XML document (UTF-8 bytes), in one language.

    Parameters
    ----------
    study
        The study.
    lang
        ``"fa"`` or ``"en"``; the document's ``xml:lang``.
    """
    lang = check_lang(lang)

    def t(text: Text) -> str:
        return text.get(lang)

    producer = _el("producer", t(study.producer))
    version_date = study.version_date.isoformat()
    prod_date = _el("prodDate", version_date, date=version_date)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<codeBook xmlns="{DDI_NAMESPACE}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{DDI_NAMESPACE} {DDI_SCHEMA_LOCATION}" '
        f'version="2.5" ID={quoteattr(study.id)} xml:lang="{lang}">',
        # docDscr: about this documentation.
        "<docDscr><citation><titlStmt>",
        _el("titl", t(study.title)),
        f"</titlStmt><prodStmt>{producer}{prod_date}</prodStmt></citation></docDscr>",
        # stdyDscr: the study.
        "<stdyDscr><citation><titlStmt>",
        _el("titl", t(study.title)),
    ]
    if study.alternate_title is not None:
        out.append(_el("altTitl", t(study.alternate_title)))
    # IDNo stays the same across versions: NADA overwrites a study re-imported under it.
    out.append(_el("IDNo", study.id, agency=study.agency))
    out.append("</titlStmt>")
    out.append(f"<rspStmt>{_el('AuthEnty', t(study.producer))}</rspStmt>")
    out.append(f"<prodStmt>{prod_date}</prodStmt>")
    out.append(f"<distStmt>{_el('distrbtr', t(study.producer))}</distStmt>")
    out.append(
        f"<verStmt>{_el('version', study.version, date=version_date, type='edited')}</verStmt>"
    )
    out.append("</citation><stdyInfo>")
    if study.keywords:
        out.append("<subject>")
        out += [_el("keyword", t(k)) for k in study.keywords]
        out.append("</subject>")
    out.append(_el("abstract", t(study.abstract)))
    out.append("<sumDscr>")
    start, end = study.period
    out.append(_el("timePrd", start.isoformat(), event="start", date=start.isoformat()))
    out.append(_el("timePrd", end.isoformat(), event="end", date=end.isoformat()))
    if study.collection is not None:
        c_start, c_end = study.collection
        out.append(_el("collDate", c_start.isoformat(), event="start", date=c_start.isoformat()))
        out.append(_el("collDate", c_end.isoformat(), event="end", date=c_end.isoformat()))
    out += [
        _el("nation", t(study.nation)),
        _el("geogCover", t(study.geographic_coverage)),
        _el("geogUnit", t(study.geographic_unit)),
        _el("anlyUnit", t(study.analysis_unit)),
        _el("universe", t(study.universe)),
        _el("dataKind", t(study.kind_of_data)),
        "</sumDscr></stdyInfo><method><dataColl>",
    ]
    if study.sampling is not None:
        out.append(_el("sampProc", t(study.sampling)))
    out.append(_el("collMode", t(study.collection_mode)))
    if study.weighting is not None:
        out.append(_el("weight", t(study.weighting)))
    out.append("</dataColl>")
    if study.response_rate is not None:
        out.append(f"<anlyInfo>{_el('respRate', f'{study.response_rate:.1f}%')}</anlyInfo>")
    out.append("</method>")
    if study.access_conditions is not None or study.citation is not None:
        out.append(f"<dataAccs><setAvail>{_el('accsPlac', t(study.producer))}</setAvail><useStmt>")
        if study.access_conditions is not None:
            out.append(_el("restrctn", t(study.access_conditions)))
        if study.citation is not None:
            out.append(_el("citReq", t(study.citation)))
        out.append("</useStmt></dataAccs>")
    out.append("</stdyDscr>")
    # fileDscr: one per data file.
    for f in study.files:
        count = sum(v.file_id == f.id for v in study.variables)
        out.append(
            f"<fileDscr ID={quoteattr(f.id)}><fileTxt>{_el('fileName', f.name)}"
            f"<dimensns>{_el('caseQnty', str(f.cases))}{_el('varQnty', str(count))}</dimensns>"
            f"{_el('fileType', f.file_type)}</fileTxt></fileDscr>"
        )
    # dataDscr: the variables.
    if study.variables:
        out.append("<dataDscr>")
        for i, v in enumerate(study.variables, 1):
            out.append(
                f'<var ID="V{i}" name={quoteattr(v.name)} files={quoteattr(v.file_id)} '
                f"intrvl={quoteattr(v.interval)}>"
            )
            out.append(_el("labl", t(v.label)))
            if v.question is not None:
                out.append(f"<qstn>{_el('qstnLit', t(v.question))}</qstn>")
            if v.minimum is not None or v.maximum is not None:
                bounds = {}
                if v.minimum is not None:
                    bounds["min"] = _number(v.minimum)
                if v.maximum is not None:
                    bounds["max"] = _number(v.maximum)
                attrs = "".join(f" {k}={quoteattr(b)}" for k, b in bounds.items())
                out.append(f"<valrng><range{attrs}/></valrng>")
            out += [_el("sumStat", _number(value), type=kind) for kind, value in v.statistics]
            for c in v.categories:
                missing = {"missing": "Y"} if c.missing else {}
                freq = "" if c.frequency is None else _el("catStat", str(c.frequency), type="freq")
                attrs = "".join(f" {k}={quoteattr(b)}" for k, b in missing.items())
                out.append(
                    f"<catgry{attrs}>{_el('catValu', c.value)}{_el('labl', t(c.label))}"
                    f"{freq}</catgry>"
                )
            kind = "numeric" if v.numeric else "character"
            out.append(f'<varFormat type="{kind}" schema="other"/></var>')
        out.append("</dataDscr>")
    out.append("</codeBook>\n")
    return "".join(out).encode("utf-8")
