"""The static status snapshot that survives an application outage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from amargah.status import services, tasks
from amargah.status.choices import Impact
from amargah.status.models import Component


@pytest.mark.django_db
def test_every_probe_rewrites_the_snapshot(
    settings: pytest.FixtureRequest, tmp_path: Path, components: dict[str, Component]
) -> None:
    settings.STATUS_SNAPSHOT_DIR = tmp_path / "snapshot"  # type: ignore[attr-defined]
    tasks.probe.enqueue()
    data = json.loads((tmp_path / "snapshot" / "status.json").read_text(encoding="utf-8"))
    assert data["status"] == "operational"

    services.incident_open(
        title_fa="قطعی درگاه داده",
        title_en="Data portal down",
        impact=Impact.MAJOR_OUTAGE,
        components=[components["data-portal"]],
        message_fa="بررسی",
        message_en="Looking",
        user=None,
    )
    tasks.probe.enqueue()
    data = json.loads((tmp_path / "snapshot" / "status.json").read_text(encoding="utf-8"))
    assert data["status"] == "major_outage"
    persian = (tmp_path / "snapshot" / "index.html").read_text(encoding="utf-8")
    english = (tmp_path / "snapshot" / "en.html").read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in persian and "قطعی درگاه داده" in persian
    assert '<html lang="en" dir="ltr">' in english and "Data portal down" in english
    # Self-contained: nothing to fetch when the application is down.
    assert not re.search(r"""(src|href)=""", persian)
