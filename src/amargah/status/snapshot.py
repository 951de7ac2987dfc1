"""A static copy of the status page, written after every probe.

The web server (nginx) serves it from its own folder, so visitors still learn
what is wrong when the application or its database is down. It is deliberately
self-contained: inline styles, no scripts, no assets to fetch.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from amargah.status import selectors


def _write_atomically(path: Path, content: str) -> None:
    # Write beside the target and rename, so nginx never serves half a file.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(content)
    Path(name).replace(path)


def write_snapshot(directory: Path) -> list[Path]:
    """Write ``status.json``, ``index.html`` (Persian) and ``en.html`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    states = selectors.component_states(now)
    overall = selectors.overall_status(states)
    incidents = list(selectors.open_incidents())
    data = {
        "generated_at": now.isoformat(),
        "status": overall.value,
        "components": [
            {"code": state.component.code, "status": state.status.value} for state in states
        ],
        "incidents": [
            {"title": {"fa": item.title_fa, "en": item.title_en}, "impact": item.impact}
            for item in incidents
        ],
    }
    written = [directory / "status.json"]
    _write_atomically(written[0], json.dumps(data, ensure_ascii=False, indent=1))
    for language, name in (("fa", "index.html"), ("en", "en.html")):
        with translation.override(language):
            html = render_to_string(
                "status/snapshot.html",
                {"states": states, "overall": overall, "incidents": incidents, "now": now},
            )
        _write_atomically(directory / name, html)
        written.append(directory / name)
    return written
