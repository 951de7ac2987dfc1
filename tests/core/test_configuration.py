"""Start-up refuses bad configuration with one line that says what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"AMARGAH_DATA_DIR": str(tmp_path), **variables})
    return subprocess.run(
        [sys.executable, "-m", "amargah", "manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        ({"DATABASE_URL": "oracle://scott@db/orcl"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@127.0.0.1/amargah"}, "DATABASE_URL"),
        ({"DJANGO_SETTINGS_MODULE": "amargah.config.settings.production"}, "SECRET_KEY"),
        (
            {
                "DJANGO_SETTINGS_MODULE": "amargah.config.settings.production",
                "SECRET_KEY": "x" * 50,
                "DEBUG": "1",
            },
            "DEBUG",
        ),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"CACHE_URL": "memcached://127.0.0.1"}, "CACHE_URL"),
    ],
)
def test_bad_configuration_stops_with_one_line(
    tmp_path: Path, variables: dict[str, str], names: str
) -> None:
    result = run_check(tmp_path, **variables)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("amargah: configuration error:")
    assert f"set {names}" in lines[0]


def test_good_production_configuration_starts(tmp_path: Path) -> None:
    result = run_check(
        tmp_path,
        DJANGO_SETTINGS_MODULE="amargah.config.settings.production",
        SECRET_KEY="k" * 50,
        DEBUG="0",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
