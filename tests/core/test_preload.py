"""What a web process prepares when it loads (``amargah.core.preload``, ``config.wsgi``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.template.loaders.app_directories import Loader
from django.urls import clear_url_caches, get_resolver
from django.utils import translation

from amargah.core.preload import warm

# Modules a desk submission imports on first use, loaded by the application's load.
DEFERRED = (
    "amargah.desk.tasks",
    "amargah.status.context_processors",
    "django.contrib.messages.storage.fallback",
    "django.contrib.sessions.serializers",
)


def test_warm_compiles_the_site_templates_and_every_languages_url_maps() -> None:
    names = warm()  # without the django_db mark: any query would fail the test
    assert {"base.html", "desk/submitted.html", "desk/_clock.html"} <= set(names)
    assert not any(name.startswith("admin/") for name in names)
    # The URL maps that reverse() builds per language are there for every language ...
    languages = {code for code, _name in settings.LANGUAGES}
    assert languages <= set(get_resolver()._reverse_dict)
    # ... and a page's first rendering reads no template file.
    with mock.patch.object(Loader, "get_contents", side_effect=AssertionError("read")):
        for code in languages:
            with translation.override(code):
                assert get_template("desk/submitted.html")


def test_loading_the_wsgi_application_leaves_the_collector_on_with_the_load_frozen(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "AMARGAH_DATA_DIR": str(tmp_path), "DEFERRED": " ".join(DEFERRED)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, json, os, sys; import amargah.config.wsgi; "
            "from django.contrib.auth.models import User; "
            "wanted = os.environ['DEFERRED'].split(); "
            "print(json.dumps([gc.isenabled(), gc.get_freeze_count(), "
            "sorted(name for name in sys.modules if name in wanted), "
            "'_relation_tree' in User._meta.__dict__]))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    enabled, frozen, imported, related = json.loads(result.stdout.strip().splitlines()[-1])
    assert enabled
    assert frozen > 10_000
    # What the first submission imported and worked out in each worker is loaded already.
    assert imported == sorted(DEFERRED)
    assert related


@pytest.fixture(autouse=True)
def _fresh_url_maps() -> None:
    """warm() is seen building the URL maps, not finding those of earlier tests."""
    clear_url_caches()
