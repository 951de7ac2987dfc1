from __future__ import annotations

import pytest

from amargah.status.models import Component


@pytest.fixture
def components(db: None) -> dict[str, Component]:
    """The components the data migration installs, by code."""
    return {component.code: component for component in Component.objects.all()}
