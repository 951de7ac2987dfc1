"""The demo's projects, the portfolio, the Jalali timeline, the API and template versions."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from production_support import People

from amargah.demo.world import build_world, load_manifest
from amargah.production import services
from amargah.production.choices import PhaseState, PlanStatus
from amargah.production.demo import CENSUS, LFS, create_demo_projects
from amargah.production.models import (
    AgencyPlan,
    Artefact,
    AuditEvent,
    ChecklistTemplate,
    Project,
    SignOff,
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-data")
    build_world(root / "demo-world", scale=0.02)
    return root


@pytest.mark.django_db
def test_demo_projects_are_through_their_phases_with_world_files(data_dir: Path) -> None:
    assert create_demo_projects(data_dir=data_dir) == 3
    census = Project.objects.get(code=CENSUS)
    assert {phase.state for phase in census.phases.all()} == {PhaseState.SIGNED_OFF}
    lfs = Project.objects.get(code=LFS)
    states = [phase.state for phase in lfs.phases.order_by("number")]
    assert states == [PhaseState.SIGNED_OFF] * 6 + [PhaseState.OPEN, PhaseState.LOCKED]
    # The world's files are the artefacts, with the manifest's checksums.
    manifest = load_manifest(data_dir / "demo-world")
    assert manifest is not None
    persons = Artefact.objects.get(project=lfs, name="persons-weighted")
    assert persons.sha256 == manifest.file("lfs_persons.parquet").sha256
    assert [source.name for source in persons.inputs.all()] == ["interviews"]
    assert SignOff.objects.filter(project_phase__project=census).count() == 8
    census_na = census.phases.get(number=5).entries.get(item__code="5.6")
    assert census_na.state == "not_applicable" and census_na.reason
    plan = AgencyPlan.objects.get()
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.questionnaires.get().details["form_id"] == "hh_roster_2025"
    # Idempotent.
    events = AuditEvent.objects.count()
    assert create_demo_projects(data_dir=data_dir) == 0
    assert AuditEvent.objects.count() == events
    assert Project.objects.count() == 2


@pytest.mark.django_db
def test_demo_without_a_world_still_passes_the_phases(tmp_path: Path) -> None:
    assert create_demo_projects(data_dir=tmp_path) == 3
    census = Project.objects.get(code=CENSUS)
    assert {phase.state for phase in census.phases.all()} == {PhaseState.SIGNED_OFF}
    assert not Artefact.objects.filter(name="census-persons").exists()
    questionnaire = Artefact.objects.get(project=census, name="questionnaire")
    sample = Path(services.__file__).parent / "samples" / "household_roster.xlsx"
    assert questionnaire.sha256 == hashlib.sha256(sample.read_bytes()).hexdigest()


@pytest.mark.django_db
def test_portfolio_timeline_and_public_page_in_persian(
    client: Client, people: People, data_dir: Path
) -> None:
    create_demo_projects(data_dir=data_dir)
    client.force_login(people.officer)
    html = client.get("/production/").content.decode()
    assert 'data-project="lfs-1405"' in html and 'data-project="census-1405"' in html
    assert "۷. انتشار و اطلاع‌رسانی" in html  # the LFS's open phase, in the SLA's words
    assert "آمارگیری هزینه‌های سلامت خانوارهای استان سمنان" in html

    timeline = client.get("/production/projects/lfs-1405/timeline/").content.decode()
    assert timeline.count('class="gantt-row"') == 9  # header and eight phases
    ticks = re.findall(r'class="gantt-tick"[^>]*>([^<]+)<', timeline)
    assert len(ticks) >= 10
    assert "فروردین ۱۴۰۵" in ticks  # Jalali months, the year shown at its first month
    assert 'data-phase="disseminate" data-state="open"' in timeline
    assert "http://" not in timeline and "https://" not in timeline

    study = client.get("/production/studies/lfs-1405/").content.decode()
    assert "مرحلهٔ کنونی:" in study and "انتشار و اطلاع‌رسانی" in study
    census = client.get("/production/studies/census-1405/").content.decode()
    assert "همهٔ مراحل به پایان رسیده است." in census

    client.cookies["amargah_language"] = "en"
    timeline = client.get("/production/projects/lfs-1405/timeline/").content.decode()
    assert "Publication and dissemination" in timeline
    ticks = re.findall(r'class="gantt-tick"[^>]*>([^<]+)<', timeline)
    assert "Jan 2026" in ticks or "Jan 2027" in ticks


@pytest.mark.django_db
def test_project_page_api_and_audit_export(client: Client, people: People, data_dir: Path) -> None:
    create_demo_projects(data_dir=data_dir)
    client.force_login(people.officer)
    page = client.get("/production/projects/census-1405/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-state="signed_off"') >= 8
    artefact = Artefact.objects.get(project__code="census-1405", name="census-persons")
    download = client.get(f"/production/projects/census-1405/artefacts/{artefact.pk}/")
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == artefact.sha256  # type: ignore[attr-defined]

    projects = client.get("/production/api/projects").json()
    assert {row["code"] for row in projects} == {"census-1405", "lfs-1405"}
    lfs = next(row for row in projects if row["code"] == "lfs-1405")
    assert lfs["current_phase"] == "disseminate"
    artefacts = client.get("/production/api/projects/lfs-1405/artefacts").json()
    by_name = {row["name"]: row for row in artefacts}
    weighted = by_name["persons-weighted"]
    assert weighted["phase"] == "process" and weighted["approved"] is True
    assert weighted["inputs"] == [by_name["interviews"]["id"]]
    assert by_name["interviews"]["inputs"] == sorted(
        [by_name["sample-households"]["id"], by_name["questionnaire"]["id"]]
    )
    schema = client.get("/production/api/openapi.json").json()
    assert "/production/api/projects/{code}" in schema["paths"]

    export = client.get("/production/audit.csv").content.decode("utf-8-sig")
    header = export.splitlines()[0]
    assert (
        header
        == "at,actor,action,object_type,object_id,object,project,plan,field,before,after,reason"
    )
    assert "plan_submitted" in export and "artefact_added" in export


@pytest.mark.django_db
def test_the_office_creates_a_project_through_the_page(client: Client, people: People) -> None:
    client.force_login(people.manager)
    form = {
        "code": "agri-1405",
        "title_fa": "آمارگیری کشاورزی",
        "title_en": "Agricultural survey",
        "kind": "sample_survey",
        "starts_on": "1405/01/01",
        "ends_on": "1406/12/29",
        "results_expected_on": "",
        "is_public": "on",
    }
    response = client.post("/production/projects/new/", form)
    assert response.status_code == 302
    project = Project.objects.get(code="agri-1405")
    assert project.starts_on.isoformat() == "2026-03-21"
    assert project.members.get().user == people.manager
    assert client.post("/production/projects/new/", form).status_code == 400  # code taken
    client.force_login(people.agency_user)
    assert client.get("/production/projects/new/").status_code == 403


@pytest.mark.django_db
def test_a_template_is_edited_as_a_new_version_and_projects_keep_theirs(
    people: People, project: Project
) -> None:
    first = ChecklistTemplate.objects.get(version=1)
    draft = services.template_new_version(base=first, user=people.officer, note="بند تازه")
    assert draft.version == 2 and draft.published_at is None
    design = draft.phases.get(phase="design")
    design.items.create(code="2.7", title_fa="آزمون مقدماتی پرسش‌نامه", title_en="Pilot", order=9)
    services.template_publish(template=draft, user=people.officer)
    newer = services.project_create(
        code="newer",
        title_fa="طرح تازه",
        title_en="Newer",
        kind="sample_survey",  # type: ignore[arg-type]
        owner=people.manager,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        user=people.manager,
    )
    assert newer.template == draft
    assert newer.phases.get(number=2).entries.filter(item__code="2.7").exists()
    assert not project.phases.get(number=2).entries.filter(item__code="2.7").exists()
    # A template missing a phase cannot be published.
    broken = services.template_new_version(base=draft, user=people.officer, note="")
    broken.phases.get(phase="evaluate").delete()
    with pytest.raises(ValidationError):
        services.template_publish(template=broken, user=people.officer)
    assert AuditEvent.objects.filter(action="template_drafted").count() == 2
    assert AuditEvent.objects.filter(action="template_published").count() == 1


@pytest.mark.django_db
def test_a_sample_is_drawn_from_the_frame_with_amargah_stats(
    client: Client, people: People, project: Project, data_dir: Path
) -> None:
    import io

    import pyarrow.parquet as pq
    from django.core.files.base import ContentFile

    from amargah.production.choices import ArtefactKind, ItemState

    for number in (1, 2):
        phase = project.phases.get(number=number)
        for entry in phase.entries.all():
            services.checklist_mark(entry=entry, state=ItemState.DONE, user=people.manager)
        signer = people.manager if number == 1 else people.methodologist
        services.phase_sign_off(phase=phase, user=signer)
    frame = services.artefact_add(
        phase=project.phases.get(number=3),
        user=people.manager,
        kind=ArtefactKind.SAMPLING_FRAME,
        name="frame",
        upload=ContentFile(
            (data_dir / "demo-world" / "frame_ea.parquet").read_bytes(), "f.parquet"
        ),
    )
    client.force_login(people.methodologist)
    url = f"/production/projects/{project.code}/phases/3/sample/"
    form = {
        "frame": frame.pk,
        "n": "20",
        "strata": "stratum",
        "method": "pps",
        "size": "households",
        "seed": "1405",
        "name": "ea-sample",
    }
    page = client.get(f"/production/projects/{project.code}/").content.decode()
    assert "sample-form" in page
    refused = client.post(url, {**form, "strata": "no_such_column"})
    assert refused.status_code == 400
    assert "no_such_column" in refused.content.decode()
    drawn = client.post(url, form)
    assert drawn.status_code == 302, re.findall(
        r'role="alert"[^>]*>(.*?)</', drawn.content.decode(), re.S
    )
    sample = Artefact.objects.get(name="ea-sample")
    assert sample.kind == ArtefactKind.SAMPLE
    assert list(sample.inputs.all()) == [frame]
    assert sample.details["seed"] == 1405 and sample.details["frame_rows"] == 27
    with sample.file.open("rb") as handle:
        table = pq.read_table(io.BytesIO(handle.read()))
    assert table.num_rows == sample.details["rows"] == 20
    assert {"prob", "weight", "fpc"} <= set(table.column_names)
    # The same seed draws the same sample.
    assert client.post(url, form).status_code == 302
    again = Artefact.objects.get(name="ea-sample", version=2)
    assert again.sha256 == sample.sha256
