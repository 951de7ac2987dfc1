"""A study's DDI-Codebook 2.5 document, from its record in the portal."""

from __future__ import annotations

from amargah.formats import Text
from amargah.formats.ddi import Category, DataFile
from amargah.formats.ddi import Study as CodebookStudy
from amargah.formats.ddi import Variable as CodebookVariable
from amargah.portal.choices import StudyKind, VariableKind
from amargah.portal.models import Study

KIND_OF_DATA = {
    StudyKind.CENSUS: Text(fa="داده‌های سرشماری [cen]", en="Census/enumeration data [cen]"),
    StudyKind.SURVEY: Text(fa="داده‌های آمارگیری نمونه‌ای [ssd]", en="Sample survey data [ssd]"),
    StudyKind.ADMINISTRATIVE: Text(fa="داده‌های ثبتی [adm]", en="Administrative records data [adm]"),
}
FILE_ID = "F1"


def codebook_study(study: Study) -> CodebookStudy:
    """The study, its data file and its variables in the terms of DDI-Codebook."""
    variables = []
    for variable in study.variables.all():
        summary = variable.summary or {}
        statistics = [("vald", float(summary["valid"]))] if "valid" in summary else []
        statistics += [("invd", float(summary["missing"]))] if "missing" in summary else []
        statistics += [
            (name, float(summary[key]))
            for name, key in (("mean", "mean"), ("min", "min"), ("max", "max"))
            if summary.get(key) is not None
        ]
        question = (
            Text(fa=variable.question_fa, en=variable.question_en)
            if variable.question_fa and variable.question_en
            else None
        )
        variables.append(
            CodebookVariable(
                name=variable.name,
                label=Text(fa=variable.label_fa, en=variable.label_en),
                file_id=FILE_ID,
                question=question,
                interval="discrete" if variable.kind == VariableKind.CATEGORICAL else "contin",
                categories=tuple(
                    Category(
                        value=str(category["code"]),
                        label=Text(fa=category["fa"], en=category["en"]),
                        frequency=category.get("frequency"),
                    )
                    for category in variable.categories
                ),
                statistics=tuple(statistics),  # type: ignore[arg-type]
            )
        )
    is_survey = study.kind == StudyKind.SURVEY
    return CodebookStudy(
        id=f"PSO-{study.code.upper()}",
        title=Text(fa=study.title_fa, en=study.title_en),
        abstract=Text(fa=study.abstract_fa, en=study.abstract_en),
        producer=Text(fa=study.producer_fa, en=study.producer_en),
        period=(study.period_start, study.period_end),
        nation=Text(fa="ایران", en="Iran"),
        geographic_coverage=Text(fa=study.coverage_fa, en=study.coverage_en),
        geographic_unit=Text(fa="شهرستان", en="County"),
        analysis_unit=Text(fa="فرد و خانوار", en="Persons and households"),
        universe=Text(fa=study.universe_fa, en=study.universe_en),
        kind_of_data=KIND_OF_DATA[StudyKind(study.kind)],
        collection_mode=Text(fa="مصاحبهٔ حضوری", en="Face-to-face interview"),
        sampling=Text(fa=study.sampling_fa, en=study.sampling_en)
        if is_survey and study.sampling_fa and study.sampling_en
        else None,
        response_rate=None if study.response_rate is None else round(100 * study.response_rate, 2),
        version="1",
        version_date=study.period_end,
        files=(DataFile(FILE_ID, f"{study.code}.parquet", cases=study.cases),),
        variables=tuple(variables),
        access_conditions=Text(
            fa="جدول‌های منتشرشده رایگان و آزادند؛ ریزداده‌ها فقط با مجوز و پس از کنترل افشا.",
            en=(
                "Published tables are free and open; microdata only under licence,"
                " after disclosure control."
            ),
        ),
    )
