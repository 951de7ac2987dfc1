from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from amargah.demo import WorldManifest
from amargah.portal.demo import publish_demo


@pytest.fixture
def portal(db: None, small_world: tuple[Path, WorldManifest], settings: Any) -> Path:
    """The demo tables published from the small demo world, which the builder reads too."""
    world, _manifest = small_world
    settings.DEMO_WORLD_DIR = world
    assert publish_demo(world, now=timezone.now()) == 4
    return world
