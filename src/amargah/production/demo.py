"""The demo office's production records: the census and the labour-force survey as
projects already through their phases, and one agency plan waiting for review.

Everything goes through the services, so the demo obeys the same ordering rule as real
work; the demo world's files (when built) are the artefacts. Only the dates are moved
afterwards, so the timeline shows a plausible history instead of one afternoon.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Permission, User
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from amargah.production import services
from amargah.production.choices import (
    ArtefactKind,
    ItemState,
    PhaseState,
    ProjectKind,
    TeamRole,
)
from amargah.production.models import (
    Agency,
    AgencyAccount,
    AgencyPlan,
    Artefact,
    Contact,
    Project,
)

SAMPLE_FORM = Path(__file__).parent / "samples" / "household_roster.xlsx"
CENSUS = "census-1405"
LFS = "lfs-1405"
PLAN_TITLE = "آمارگیری هزینه‌های سلامت خانوارهای استان سمنان"


@dataclass(frozen=True)
class Staff:
    officer: User
    manager: User
    methodologist: User
    field_manager: User
    processor: User
    disseminator: User


def _user(username: str, first: str, last: str, *permissions: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        # Demo accounts have no password; the office sets one to use them.
        user.set_unusable_password()
        user.save(update_fields=["password"])
    for codename in permissions:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="production")
        )
    return User.objects.get(pk=user.pk)


def _staff() -> Staff:
    office = "work_in_office"
    officer = _user("demo-supervisor", "مریم", "احمدی", office, "review_plan")
    manager = _user("demo-manager", "علی", "رضایی", office)
    # Two demo staff have mobile numbers, so the SMS outbox shows production notices.
    for user, mobile in ((officer, "09120000101"), (manager, "09120000102")):
        Contact.objects.get_or_create(user=user, defaults={"mobile": mobile})
    return Staff(
        officer=officer,
        manager=manager,
        methodologist=_user("demo-methodologist", "زهرا", "کریمی", office),
        field_manager=_user("demo-field", "حسین", "محمدی", office),
        processor=_user("demo-processor", "فاطمه", "حسینی", office),
        disseminator=_user("demo-disseminator", "رضا", "نوری", office),
    )


def _team(staff: Staff) -> list[tuple[User, TeamRole]]:
    return [
        (staff.manager, TeamRole.PROJECT_MANAGER),
        (staff.methodologist, TeamRole.METHODOLOGIST),
        (staff.field_manager, TeamRole.FIELD_MANAGER),
        (staff.processor, TeamRole.DATA_PROCESSOR),
        (staff.disseminator, TeamRole.DISSEMINATOR),
        (staff.officer, TeamRole.SUPERVISOR),
    ]


def _signer(staff: Staff, role: str) -> User:
    return {
        TeamRole.PROJECT_MANAGER: staff.manager,
        TeamRole.METHODOLOGIST: staff.methodologist,
        TeamRole.FIELD_MANAGER: staff.field_manager,
        TeamRole.DATA_PROCESSOR: staff.processor,
        TeamRole.DISSEMINATOR: staff.disseminator,
        TeamRole.SUPERVISOR: staff.officer,
    }[TeamRole(role)]


@dataclass(frozen=True)
class Planned:
    """An artefact to add in a phase: from a demo-world file or from text."""

    kind: ArtefactKind
    name: str
    world_file: str | None = None
    text: str | None = None
    filename: str | None = None
    inputs: tuple[str, ...] = ()


def _document(title: str, lines: Iterable[str]) -> str:
    return "\n".join([f"# {title}", "", *lines, ""])


def _census_plan(world: Path | None) -> dict[int, list[Planned]]:
    rows = _rows(world)
    return {
        1: [
            Planned(
                ArtefactKind.NEEDS_ASSESSMENT,
                "needs-assessment",
                text=_document(
                    "بررسی ضرورت سرشماری عمومی نفوس و مسکن استان سمنان",
                    [
                        "- نیاز: جمعیت، خانوار و ویژگی‌های اجتماعی و اقتصادی در سطح شهرستان.",
                        "- کاربران: استانداری، سازمان مدیریت و برنامه‌ریزی، شهرداری‌ها.",
                        "- داده‌های ثبتی موجود سطح شهرستان را پوشش نمی‌دهد.",
                    ],
                ),
                filename="needs.md",
            )
        ],
        2: [
            Planned(
                ArtefactKind.QUESTIONNAIRE,
                "questionnaire",
                world_file=None,
                filename=SAMPLE_FORM.name,
                inputs=("needs-assessment",),
            )
        ],
        3: [
            Planned(ArtefactKind.SAMPLING_FRAME, "enumeration-areas", world_file="frame_ea.parquet")
        ],
        4: [
            Planned(
                ArtefactKind.DATASET,
                "census-households",
                world_file="census_households.parquet",
                inputs=("questionnaire", "enumeration-areas"),
            )
        ],
        5: [
            Planned(
                ArtefactKind.MICRODATA,
                "census-persons",
                world_file="census_persons.parquet",
                inputs=("census-households",),
            ),
            Planned(ArtefactKind.OTHER, "codebook", world_file="codebook.json"),
        ],
        6: [
            Planned(
                ArtefactKind.ESTIMATES,
                "census-tables",
                world_file="truth.json",
                inputs=("census-persons",),
            )
        ],
        7: [
            Planned(
                ArtefactKind.RELEASE,
                "release-note",
                text=_document(
                    "انتشار نتایج سرشماری",
                    [
                        f"- شمار افراد: {rows.get('census_persons', '—')}",
                        f"- شمار خانوارها: {rows.get('census_households', '—')}",
                    ],
                ),
                filename="release.md",
                inputs=("census-tables",),
            )
        ],
        8: [
            Planned(
                ArtefactKind.QUALITY_REPORT,
                "quality-report",
                text=_document(
                    "گزارش کیفیت سرشماری",
                    [
                        "- پوشش: همهٔ حوزه‌های سرشماری شمارش شد.",
                        "- سازگاری: جمع‌ها با چارچوب برابر است.",
                    ],
                ),
                filename="quality.md",
                inputs=("census-tables",),
            ),
            Planned(
                ArtefactKind.LESSONS_LEARNED,
                "lessons-learned",
                text=_document("درس‌آموخته‌ها", ["- آموزش زودتر آمارگیران در مناطق کم‌تراکم."]),
                filename="lessons.md",
            ),
        ],
    }


def _lfs_plan() -> dict[int, list[Planned]]:
    return {
        1: [
            Planned(
                ArtefactKind.NEEDS_ASSESSMENT,
                "needs-assessment",
                text=_document(
                    "بررسی ضرورت آمارگیری نیروی کار",
                    ["- نیاز: نرخ بیکاری و مشارکت اقتصادی هر فصل در سطح استان و شهرستان."],
                ),
                filename="needs.md",
            )
        ],
        2: [
            Planned(
                ArtefactKind.QUESTIONNAIRE,
                "questionnaire",
                filename=SAMPLE_FORM.name,
                inputs=("needs-assessment",),
            ),
            Planned(
                ArtefactKind.SAMPLE_DESIGN,
                "sample-design",
                text=_document(
                    "طرح نمونه‌گیری",
                    [
                        "- دومرحله‌ای طبقه‌بندی‌شده: طبقه = شهرستان × شهری/روستایی.",
                        "- مرحلهٔ اول: حوزه‌ها با احتمال متناسب با اندازه (PPS سیستماتیک).",
                        "- مرحلهٔ دوم: خانوارها به روش سیستماتیک.",
                    ],
                ),
                filename="sample-design.md",
            ),
        ],
        3: [
            Planned(ArtefactKind.SAMPLING_FRAME, "frame", world_file="frame_ea.parquet"),
            Planned(
                ArtefactKind.SAMPLE,
                "sample-households",
                world_file="lfs_households.parquet",
                inputs=("frame", "sample-design"),
            ),
        ],
        4: [
            Planned(
                ArtefactKind.DATASET,
                "interviews",
                world_file="lfs_households.parquet",
                inputs=("sample-households", "questionnaire"),
            )
        ],
        5: [
            Planned(
                ArtefactKind.MICRODATA,
                "persons-weighted",
                world_file="lfs_persons.parquet",
                inputs=("interviews",),
            )
        ],
        6: [
            Planned(
                ArtefactKind.ESTIMATES,
                "estimates",
                text=json.dumps(
                    {
                        "estimator": "Taylor linearisation (amargah.stats)",
                        "design": {"strata": "stratum", "psu": "psu", "weights": "weight"},
                        "indicators": ["unemployment rate", "participation rate"],
                    },
                    ensure_ascii=False,
                    indent=2,
                ),
                filename="estimates.json",
                inputs=("persons-weighted",),
            )
        ],
    }


def _rows(world: Path | None) -> dict[str, str]:
    if world is None:
        return {}
    from amargah.demo.world import load_manifest

    manifest = load_manifest(world)
    if manifest is None:
        return {}
    return {name: f"{count:,}" for name, count in manifest.rows.items()}


def _world(data_dir: Path) -> Path | None:
    from amargah.demo.world import load_manifest

    world = data_dir / "demo-world"
    return world if load_manifest(world) is not None else None


def _add(
    *, project: Project, number: int, planned: Planned, user: User, world: Path | None
) -> Artefact | None:
    phase = project.phases.get(number=number)
    inputs = [
        artefact
        for name in planned.inputs
        if (artefact := project.artefacts.filter(name=name).order_by("-version").first())
    ]
    if planned.kind == ArtefactKind.QUESTIONNAIRE:
        with SAMPLE_FORM.open("rb") as handle:
            return services.artefact_add(
                phase=phase,
                user=user,
                kind=planned.kind,
                name=planned.name,
                upload=File(handle, name=SAMPLE_FORM.name),
                inputs=inputs,
            )
    if planned.world_file is not None:
        if world is None or not (world / planned.world_file).is_file():
            return None
        with (world / planned.world_file).open("rb") as handle:
            return services.artefact_add(
                phase=phase,
                user=user,
                kind=planned.kind,
                name=planned.name,
                upload=File(handle, name=planned.world_file),
                inputs=inputs,
                note="demo world",
            )
    return services.artefact_add(
        phase=phase,
        user=user,
        kind=planned.kind,
        name=planned.name,
        upload=ContentFile((planned.text or "").encode("utf-8"), name=planned.filename or "x.md"),
        inputs=inputs,
    )


def _run_phases(
    *,
    project: Project,
    staff: Staff,
    plan: dict[int, list[Planned]],
    through: int,
    world: Path | None,
) -> None:
    for number in range(1, through + 1):
        phase = project.phases.get(number=number)
        signer = _signer(staff, phase.signoff_role)
        for planned in plan.get(number, []):
            _add(project=project, number=number, planned=planned, user=signer, world=world)
        for entry in phase.entries.select_related("item"):
            # A census has no sample to draw: the office marks the sampling items so.
            if project.kind == ProjectKind.CENSUS and entry.item.code == "5.6":
                services.checklist_mark(
                    entry=entry,
                    state=ItemState.NOT_APPLICABLE,
                    user=signer,
                    reason="سرشماری همهٔ واحدها را می‌شمارد؛ نمونه و وزن ندارد.",
                )
            else:
                services.checklist_mark(entry=entry, state=ItemState.DONE, user=signer)
        services.phase_sign_off(phase=phase, user=signer, comment="تأیید در بازبینی مرحله")


def _backdate(project: Project) -> None:
    # The services stamp everything "now"; a demo history spread over the planned
    # dates makes the timeline and the portfolio look like a running office.
    tz = timezone.get_current_timezone()
    for phase in project.phases.order_by("number"):
        if phase.state == PhaseState.LOCKED:
            continue
        opened = dt.datetime.combine(phase.planned_start, dt.time(9), tzinfo=tz)
        closed = dt.datetime.combine(phase.planned_end, dt.time(13), tzinfo=tz)
        if phase.state == PhaseState.OPEN:
            type(phase).objects.filter(pk=phase.pk).update(opened_at=opened)
            continue
        type(phase).objects.filter(pk=phase.pk).update(opened_at=opened, signed_off_at=closed)
        phase.signoffs.update(signed_at=closed)
        phase.artefacts.update(produced_at=closed - dt.timedelta(days=3))


def _census(staff: Staff, world: Path | None) -> Project:
    project = services.project_create(
        code=CENSUS,
        title_fa="سرشماری عمومی نفوس و مسکن استان سمنان ۱۴۰۵",
        title_en="Semnan Province Population and Housing Census 2026",
        kind=ProjectKind.CENSUS,
        owner=staff.manager,
        starts_on=dt.date(2024, 3, 20),  # 1403/01/01
        ends_on=dt.date(2026, 9, 22),  # 1405/06/31
        results_expected_on=dt.date(2026, 8, 23),
        purpose="شمارش همهٔ افراد و خانوارهای استان و ویژگی‌های آنان در سطح شهرستان.",
        legal_basis="قانون مرکز آمار ایران، مادهٔ ۴",
        budget_line="۱۲۹۰۰۰",
        user=staff.manager,
        team=_team(staff),
    )
    _run_phases(project=project, staff=staff, plan=_census_plan(world), through=8, world=world)
    _backdate(project)
    return project


def _lfs(staff: Staff, world: Path | None) -> Project:
    today = timezone.localdate()
    project = services.project_create(
        code=LFS,
        title_fa="آمارگیری نیروی کار استان سمنان ۱۴۰۵",
        title_en="Semnan Province Labour Force Survey 2026",
        kind=ProjectKind.SAMPLE_SURVEY,
        owner=staff.manager,
        starts_on=today - dt.timedelta(days=300),
        ends_on=today + dt.timedelta(days=60),
        results_expected_on=today + dt.timedelta(days=30),
        purpose="برآورد نرخ بیکاری و مشارکت اقتصادی استان و شهرستان‌ها با خطای نمونه‌گیری.",
        legal_basis="برنامهٔ سالانهٔ آمارگیری‌های مرکز آمار ایران",
        budget_line="۱۲۹۰۱۵",
        user=staff.manager,
        team=_team(staff),
    )
    _run_phases(project=project, staff=staff, plan=_lfs_plan(), through=6, world=world)
    _backdate(project)
    return project


def _agency_plan(staff: Staff) -> AgencyPlan:
    agency, _ = Agency.objects.get_or_create(
        code="semums",
        defaults={
            "name_fa": "دانشگاه علوم پزشکی سمنان",
            "name_en": "Semnan University of Medical Sciences",
        },
    )
    account = _user("demo-agency", "نرگس", "صادقی")
    AgencyAccount.objects.get_or_create(user=account, defaults={"agency": agency})
    today = timezone.localdate()
    with SAMPLE_FORM.open("rb") as handle:
        return services.plan_submit(
            user=User.objects.get(pk=account.pk),
            content=services.PlanContent(
                title=PLAN_TITLE,
                objectives="برآورد سهم هزینه‌های درمان از هزینهٔ کل خانوار و پوشش بیمهٔ درمانی.",
                variables="هزینهٔ درمان سرپایی و بستری، بیمهٔ پایه و تکمیلی، بُعد خانوار",
                population="خانوارهای معمولی ساکن استان سمنان؛ چارچوب: حوزه‌های سرشماری ۱۴۰۵",
                sample_design="دومرحله‌ای طبقه‌بندی‌شده با ۱۲۰۰ خانوار در ۱۲۰ حوزه",
                timetable="طراحی تا دی، گردآوری در بهمن، انتشار نتایج در خرداد",
                dissemination_plan="گزارش و جدول‌ها در درگاه آمار استان؛ ریزداده با مجوز",
                starts_on=today + dt.timedelta(days=30),
                ends_on=today + dt.timedelta(days=300),
            ),
            questionnaire=File(handle, name=SAMPLE_FORM.name),
        )


def create_demo_projects(*, data_dir: Path) -> int:
    """Create the demo's projects and plan once; return how many were created now.

    The census runs through all eight phases, the labour-force survey through six
    (dissemination is open), each with artefacts from ``data_dir / "demo-world"``
    when that world is built; one agency plan waits for review. Calling it again
    creates nothing.
    """
    world = _world(Path(data_dir))
    created = 0
    with transaction.atomic():
        staff = _staff()
        if not Project.objects.filter(code=CENSUS).exists():
            _census(staff, world)
            created += 1
        if not Project.objects.filter(code=LFS).exists():
            _lfs(staff, world)
            created += 1
        if not AgencyPlan.objects.filter(title=PLAN_TITLE).exists():
            _agency_plan(staff)
            created += 1
    return created
