"""Fixtures shared by the whole suite: demo worlds, and a headless Chromium from Debian."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from amargah.demo import WorldManifest, build_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = os.environ.get("AMARGAH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

    Module-scoped on purpose: Playwright's sync API keeps an event loop running in
    this thread while it is open, and Django's test client refuses async views
    (health checks) under a running loop. Keep browser tests in their own modules.
    """
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's guard
    # against ORM calls from async code would otherwise trip in live_server tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


# Demo worlds are built once per test session: the full province and a small one.
@pytest.fixture(scope="session")
def full_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WorldManifest]:
    """The full demo world (scale 1.0, seed 1405), as ``make demo`` builds it."""
    out = tmp_path_factory.mktemp("world-full")
    return out, build_world(out)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WorldManifest]:
    """A quick world at 2% scale."""
    out = tmp_path_factory.mktemp("world-small")
    return out, build_world(out, seed=7, scale=0.02)
