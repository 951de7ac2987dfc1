from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from amargah.demo import WorldManifest
from amargah.portal.demo import publish_demo


@pytest.fixture
def portal(db: None, small_world: tuple[Path, WorldManifest]) -> Path:
    """The demo studies and tables published from the small demo world."""
    world, _manifest = small_world
    assert publish_demo(world, now=timezone.now()) == 4
    return world
