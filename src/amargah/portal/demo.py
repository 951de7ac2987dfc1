"""The demo office's studies, their documentation and their first releases."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import transaction
from django.utils import timezone

from amargah.demo.tables import DEMO_TABLES
from amargah.disclosure.services import protect_cube, public_use_file_demo, study_rules_set
from amargah.portal import services
from amargah.portal.choices import StudyKind, VariableKind
from amargah.portal.models import StatTable, Study, Variable
from amargah.stats.tabulation import cross_tabulate

CENSUS_METHODOLOGY_FA = """\
سرشماری همهٔ افراد و خانوارهای معمولی ساکن استان را در هشت شهرستان آن می‌شمارد.
مأموران سرشماری هر **حوزهٔ سرشماری** را کامل پیمایش می‌کنند و برای هر فرد سن، جنس،
وضع زناشویی، سواد، تحصیلات، وضع فعالیت، شغل، فعالیت اقتصادی و درآمد را ثبت می‌کنند.

- شغل بر پایهٔ گروه‌های عمدهٔ ISCO-08 و فعالیت اقتصادی بر پایهٔ بخش‌های ISIC ویرایش ۴ کدگذاری می‌شود.
- وضع فعالیت افراد ۱۵ ساله و بیشتر به تعریف سازمان بین‌المللی کار تعیین می‌شود.
- جدول‌های منتشرشده شمارش کامل‌اند و خطای نمونه‌گیری ندارند.

این داده‌ها نمایشی‌اند: جامعه‌ای ساختگی اما باورپذیر که برای آزمودن نرم‌افزار ساخته شده است.
"""

CENSUS_METHODOLOGY_EN = """\
The census counts every person and household usually resident in the province's eight
counties. Enumerators cover each **enumeration area** completely and record each person's
age, sex, marital status, literacy, education, activity status, occupation, industry
and income.

- Occupation is coded to ISCO-08 major groups and industry to ISIC Rev.4 sections.
- The activity status of persons aged 15 and over follows the ILO definitions.
- Published tables are complete counts and carry no sampling error.

These are demo data: a synthetic but plausible population built to exercise the software.
"""

LFS_METHODOLOGY_FA = """\
آمارگیری نیروی کار از طرح نمونه‌گیری **دومرحله‌ای طبقه‌بندی‌شده** استفاده می‌کند:

1. طبقه‌ها ترکیب شهرستان و نقطهٔ شهری یا روستایی‌اند (۱۶ طبقه).
2. در هر طبقه حوزه‌های سرشماری با احتمال متناسب با شمار خانوارها (PPS نظام‌مند) برگزیده می‌شوند.
3. در هر حوزهٔ نمونه، خانوارها به روش نظام‌مند انتخاب می‌شوند.

وزن هر خانوار وارون احتمال انتخاب آن است و برای بی‌پاسخی در هر طبقه تعدیل می‌شود.
خطای معیار برآوردها با روش خطی‌سازی تیلور و با تقریب نمونه‌گیری با جای‌گذاری در مرحلهٔ نخست
محاسبه می‌شود؛ هر برآورد با بازهٔ اطمینان ۹۵ درصد و ضریب تغییرات منتشر می‌شود.
"""

LFS_METHODOLOGY_EN = """\
The Labour Force Survey uses a **stratified two-stage** sample design:

1. Strata are county × urban/rural (16 strata).
2. Within each stratum, enumeration areas are selected with probability proportional to
   their number of households (systematic PPS).
3. Within each selected area, households are selected systematically.

Each household's weight is the inverse of its selection probability, adjusted for
nonresponse within its stratum. Standard errors use Taylor linearisation with the
with-replacement approximation at the first stage; every estimate is published with its
95% confidence interval and coefficient of variation.
"""

TABLES = {
    # code: (study, order, subject fa, subject en, days until release; 0 = published now)
    "POP_CENSUS": ("census-1405", 1, "جمعیت", "Population", 0),
    "LFS_RATES": ("lfs-1405", 2, "بازار کار", "Labour market", 0),
    "HH_SIZE_CENSUS": ("census-1405", 3, "خانوار", "Households", 0),
    # announced in the release calendar, published by the worker when its day comes
    "LIT_CENSUS": ("census-1405", 4, "آموزش", "Education", 7),
}


def publish_demo(world: Path, *, now: dt.datetime | None = None) -> int:
    """Document the demo studies and release their tables once; return tables created."""
    if StatTable.objects.exists() or not (world / "manifest.json").exists():
        return 0
    now = now or timezone.now()
    codebook = json.loads((world / "codebook.json").read_text(encoding="utf-8"))["variables"]
    with transaction.atomic():
        studies = {
            "census-1405": _census_study(world, codebook),
            "lfs-1405": _survey_study(world, codebook),
        }
        # The census is published under the threshold rule: no count of 1 or 2 persons.
        study_rules_set(study=studies["census-1405"], threshold=3)
    for code, (study_code, order, subject_fa, subject_en, days) in TABLES.items():
        cube = DEMO_TABLES[code](world)
        table = StatTable.objects.create(
            code=code,
            study=studies[study_code],
            title_fa=cube.title.fa,
            title_en=cube.title.en,
            subject_fa=subject_fa,
            subject_en=subject_en,
            order=order,
        )
        when = now + dt.timedelta(days=days) if days else None
        services.release_create(table=table, cube=protect_cube(cube), scheduled_for=when)
    # a public-use file of the survey's persons, downloadable from the study's page
    public_use_file_demo(studies["lfs-1405"])
    return len(TABLES)


def _census_study(world: Path, codebook: Mapping[str, Any]) -> Study:
    persons = world / "census_persons.parquet"
    study = Study.objects.create(
        code="census-1405",
        kind=StudyKind.CENSUS,
        title_fa="سرشماری عمومی نفوس و مسکن ۱۴۰۵ استان سمنان",
        title_en="Population and Housing Census 1405, Semnan Province",
        abstract_fa=(
            "شمارش همهٔ افراد و خانوارهای استان سمنان با ویژگی‌های جمعیتی، آموزشی و اقتصادی آنان."
        ),
        abstract_en=(
            "A count of every person and household of Semnan Province with their demographic,"
            " educational and economic characteristics."
        ),
        period_start=dt.date(2026, 9, 23),
        period_end=dt.date(2026, 10, 22),
        coverage_fa="استان سمنان، هشت شهرستان، نقاط شهری و روستایی",
        coverage_en="Semnan Province, eight counties, urban and rural areas",
        universe_fa="همهٔ افراد ساکن در خانوارهای معمولی",
        universe_en="All persons usually resident in private households",
        methodology_fa=CENSUS_METHODOLOGY_FA,
        methodology_en=CENSUS_METHODOLOGY_EN,
        cases=pq.ParquetFile(persons).metadata.num_rows,
        producer_fa="معاونت آمار و اطلاعات سازمان مدیریت و برنامه‌ریزی استان سمنان",
        producer_en="Statistics Office, Management and Planning Organization of Semnan Province",
    )
    _document_variables(study, persons, codebook)
    return study


def _survey_study(world: Path, codebook: Mapping[str, Any]) -> Study:
    persons = world / "lfs_persons.parquet"
    dispositions = pq.read_table(world / "lfs_households.parquet", columns=["disposition"])
    counts = {int(code): 0 for code in codebook["disposition"]["codes"]}
    for code in dispositions["disposition"].to_pylist():
        counts[int(code)] += 1
    # AAPOR RR1: complete interviews over eligible cases (vacant dwellings are ineligible).
    eligible = counts[1] + counts[2] + counts[3]
    study = Study.objects.create(
        code="lfs-1405",
        kind=StudyKind.SURVEY,
        title_fa="آمارگیری نیروی کار ۱۴۰۵ استان سمنان",
        title_en="Labour Force Survey 1405, Semnan Province",
        abstract_fa=(
            "برآورد نرخ مشارکت اقتصادی، اشتغال و بیکاری جمعیت ۱۵ ساله و بیشتر استان"
            " از نمونه‌ای از خانوارها."
        ),
        abstract_en=(
            "Estimates of the activity, employment and unemployment rates of the population"
            " aged 15 and over, from a sample of households."
        ),
        period_start=dt.date(2026, 3, 21),
        period_end=dt.date(2026, 9, 22),
        coverage_fa="استان سمنان، هشت شهرستان، نقاط شهری و روستایی",
        coverage_en="Semnan Province, eight counties, urban and rural areas",
        universe_fa="افراد ساکن در خانوارهای معمولی؛ شاخص‌های کار برای افراد ۱۵ ساله و بیشتر",
        universe_en=(
            "Persons in private households; labour indicators for persons aged 15 and over"
        ),
        methodology_fa=LFS_METHODOLOGY_FA,
        methodology_en=LFS_METHODOLOGY_EN,
        sampling_fa="نمونهٔ دومرحله‌ای طبقه‌بندی‌شده: حوزه‌ها با PPS، خانوارها به روش نظام‌مند.",
        sampling_en="Stratified two-stage sample: areas by PPS, households systematically.",
        response_rate=counts[1] / eligible if eligible else None,
        cases=pq.ParquetFile(persons).metadata.num_rows,
        producer_fa="معاونت آمار و اطلاعات سازمان مدیریت و برنامه‌ریزی استان سمنان",
        producer_en="Statistics Office, Management and Planning Organization of Semnan Province",
    )
    _document_variables(study, persons, codebook)
    return study


def _document_variables(study: Study, path: Path, codebook: Mapping[str, Any]) -> None:
    """One `Variable` per codebook variable in the file, with frequencies or a summary."""
    names = [name for name in pq.read_schema(path).names if name in codebook]
    for order, name in enumerate(names):
        entry = codebook[name]
        if entry.get("codes"):
            counts = cross_tabulate(path, [name], margins="none").table
            frequency = {
                str(level): n
                for level, n in zip(
                    counts[name].to_pylist(), counts["count"].to_pylist(), strict=True
                )
            }
            categories = [
                {
                    "code": code,
                    "fa": label["fa"],
                    "en": label["en"],
                    "frequency": frequency.get(code, 0),
                }
                for code, label in entry["codes"].items()
            ]
            Variable.objects.create(
                study=study,
                name=name,
                kind=VariableKind.CATEGORICAL,
                order=order,
                label_fa=entry["label"]["fa"],
                label_en=entry["label"]["en"],
                universe=entry.get("universe", ""),
                categories=categories,
                summary={
                    "valid": sum(frequency.get(c, 0) for c in entry["codes"]),
                    "missing": frequency.get("None", 0),
                },
            )
        else:
            column = pq.read_table(path, columns=[name])[name]
            stats = pc.min_max(column)
            Variable.objects.create(
                study=study,
                name=name,
                kind=VariableKind.NUMERIC,
                order=order,
                label_fa=entry["label"]["fa"],
                label_en=entry["label"]["en"],
                universe=entry.get("universe", ""),
                summary={
                    "valid": len(column) - column.null_count,
                    "missing": column.null_count,
                    "mean": pc.mean(column).as_py(),
                    "min": stats["min"].as_py(),
                    "max": stats["max"].as_py(),
                },
            )
