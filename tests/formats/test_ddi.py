"""DDI-Codebook 2.5.

The official XSD (ddialliance/ddi-c_2, schemas/codebook.xsd) ships in no PyPI or npm
package, so it is not vendored here. Instead every element of our documents is checked
against the structure of the sample ``ddi_codebook_2_5.xml`` (a copy of the office's
sample in shared/brief/standards/samples/dissemination), which was validated against
that XSD: each child must be one the sample has under the same path, in the sample's
order, and each attribute one the sample uses there.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from amargah.formats import Lang, Text
from amargah.formats.ddi import Category, DataFile, Study, Variable, write_ddi_codebook

SAMPLE = Path(__file__).parent / "samples" / "ddi_codebook_2_5.xml"  # see samples/README.md
NS = {"d": "ddi:codebook:2_5"}


def study() -> Study:
    persons = DataFile("F1", "lfs1402_persons.parquet", cases=21000)
    return Study(
        id="PSO-LFS-1402",
        title=Text("طرح آمارگیری نیروی کار ۱۴۰۲", "Labour Force Survey 1402"),
        alternate_title=Text("نیروی کار ۱۴۰۲", "LFS 1402"),
        abstract=Text(
            "برآورد اشتغال و بیکاری استان", "Employment and unemployment in the province"
        ),
        producer=Text("دفتر آمار استان سمنان", "Semnan Province statistics office"),
        period=(date(2023, 3, 21), date(2024, 3, 19)),
        collection=(date(2023, 4, 1), date(2024, 3, 10)),
        nation=Text("ایران", "Iran"),
        geographic_coverage=Text("کل استان سمنان", "The whole of Semnan Province"),
        geographic_unit=Text("شهرستان", "County"),
        analysis_unit=Text("افراد ۱۵ ساله و بیشتر؛ خانوارها", "Persons aged 15+; households"),
        universe=Text("ساکنان خانوارهای معمولی", "Residents of private households"),
        kind_of_data=Text("داده‌های نمونه‌ای [ssd]", "Sample survey data [ssd]"),
        collection_mode=Text("مصاحبه حضوری [capi]", "Computer Assisted Personal Interview [capi]"),
        sampling=Text("نمونه دومرحله‌ای طبقه‌بندی‌شده", "Stratified two-stage sample"),
        weighting=Text("تعدیل بی‌پاسخی در طبقه", "Nonresponse adjustment within strata"),
        response_rate=82.4,
        keywords=(Text("اشتغال", "employment"),),
        version="1.0",
        version_date=date(2024, 6, 1),
        access_conditions=Text("استفاده آزاد", "Open access"),
        citation=Text("دفتر آمار استان سمنان، ۱۴۰۳", "Semnan statistics office, 2024"),
        files=(persons,),
        variables=(
            Variable(
                "sex",
                Text("جنس", "Sex"),
                "F1",
                question=Text("جنس شما چیست؟", "What is your sex?"),
                categories=(
                    Category("1", Text("مرد", "Male"), frequency=10250),
                    Category("2", Text("زن", "Female"), frequency=10750),
                    Category("9", Text("اظهار نشده", "Not stated"), frequency=0, missing=True),
                ),
                statistics=(("vald", 21000), ("invd", 0)),
            ),
            Variable(
                "age",
                Text("سن", "Age in completed years"),
                "F1",
                interval="contin",
                minimum=15,
                maximum=98,
                statistics=(("vald", 21000), ("min", 15), ("max", 98), ("mean", 44.7)),
            ),
        ),
    )


def _path(element: etree._Element) -> str:
    """``codeBook/stdyDscr/citation``: local names from the root down."""
    return "/".join(etree.QName(e).localname for e in reversed([element, *element.iterancestors()]))


def _structure(tree: etree._Element) -> dict[str, tuple[set[str], set[tuple[str, str]]]]:
    """{parent path: (child tags seen, pairs (a, b) where a came before b)}."""
    seen: dict[str, tuple[set[str], set[tuple[str, str]]]] = {}
    for element in tree.iter(etree.Element):
        tags, before = seen.setdefault(_path(element), (set(), set()))
        children = [c.tag for c in element]
        tags.update(children)
        before.update((a, b) for n, a in enumerate(children) for b in children[n + 1 :] if a != b)
    return seen


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_follows_the_validated_sample(lang: Lang) -> None:
    sample = _structure(etree.parse(str(SAMPLE)).getroot())
    ours = etree.fromstring(write_ddi_codebook(study(), lang=lang))
    for element in ours.iter(etree.Element):
        path = _path(element)
        tags, before = sample[path]
        children = [c.tag for c in element]
        assert set(children) <= tags, (path, set(children) - tags)
        for n, a in enumerate(children):
            for b in children[n + 1 :]:
                assert (b, a) not in before, (path, f"{a} must come after {b}")
        for name in element.attrib:
            assert any(name in e.attrib for e in sample_elements(path)), (path, name)


@functools.cache
def sample_elements(path: str) -> list[etree._Element]:
    root = etree.parse(str(SAMPLE)).getroot()
    return [e for e in root.iter(etree.Element) if _path(e) == path]


def test_content_in_each_language() -> None:
    for lang in ("fa", "en"):
        tree = etree.fromstring(write_ddi_codebook(study(), lang=lang))
        assert tree.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        title = tree.findtext("d:stdyDscr/d:citation/d:titlStmt/d:titl", namespaces=NS)
        assert title == study().title.get(lang)
    tree = etree.fromstring(write_ddi_codebook(study(), lang="fa"))
    assert tree.findtext(".//d:titlStmt/d:IDNo", namespaces=NS) == "PSO-LFS-1402"
    assert tree.findtext(".//d:respRate", namespaces=NS) == "82.4%"
    sex = tree.find("d:dataDscr/d:var[@name='sex']", NS)
    assert sex.findtext("d:qstn/d:qstnLit", namespaces=NS) == "جنس شما چیست؟"
    freqs = {
        c.findtext("d:catValu", namespaces=NS): (
            c.findtext("d:catStat", namespaces=NS),
            c.get("missing"),
        )
        for c in sex.findall("d:catgry", NS)
    }
    assert freqs == {"1": ("10250", None), "2": ("10750", None), "9": ("0", "Y")}
    age = tree.find("d:dataDscr/d:var[@name='age']", NS)
    assert {s.get("type"): s.text for s in age.findall("d:sumStat", NS)} == {
        "vald": "21000",
        "min": "15",
        "max": "98",
        "mean": "44.7",
    }
    assert tree.findtext(".//d:fileDscr/d:fileTxt/d:dimensns/d:varQnty", namespaces=NS) == "2"


def test_bad_study_is_refused() -> None:
    with pytest.raises(ValueError, match="file 'F9'"):
        replace(study(), variables=(Variable("x", Text("x", "x"), "F9"),))
    with pytest.raises(ValueError, match="response_rate"):
        replace(study(), response_rate=120.0)
