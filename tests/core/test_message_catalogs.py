"""The Persian and English catalogs are complete, compiled and current."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from amargah.core.catalogs import app_dirs, catalogs


@pytest.mark.parametrize("app_dir", app_dirs(), ids=lambda path: path.name)
def test_each_app_has_both_catalogs(app_dir: Path) -> None:
    for language in ("fa", "en"):
        assert (app_dir / "locale" / language / "LC_MESSAGES" / "django.po").is_file()


@pytest.mark.parametrize(
    "po_path", catalogs(), ids=lambda path: f"{path.parts[-5]}-{path.parts[-3]}"
)
def test_catalog_is_complete_and_compiled(po_path: Path) -> None:
    catalog = polib.pofile(str(po_path))
    assert catalog.untranslated_entries() == []
    assert catalog.fuzzy_entries() == []
    assert catalog.translated_entries()
    with po_path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in catalog.translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


@pytest.mark.parametrize("app_dir", app_dirs(), ids=lambda path: path.name)
def test_persian_translations_are_persian(app_dir: Path) -> None:
    catalog = polib.pofile(str(app_dir / "locale" / "fa" / "LC_MESSAGES" / "django.po"))
    for entry in catalog.translated_entries():
        text = entry.msgstr or entry.msgstr_plural[0]
        # Persian letters, never the Arabic look-alikes the normaliser replaces.
        assert "ي" not in text and "ك" not in text, entry.msgid
        assert any("\u0600" <= char <= "\u06ff" for char in text), entry.msgid


@pytest.mark.parametrize("app_dir", app_dirs(), ids=lambda path: path.name)
def test_catalogs_hold_every_string_in_the_code(app_dir: Path, tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: install Debian's gettext (make test does)")
    copy = tmp_path / app_dir.name
    shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.po"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "amargah.config.settings.test"}
    subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "amargah",
            "manage",
            "makemessages",
            "-l",
            "fa",
            "-l",
            "en",
            "--no-obsolete",
        ],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    for language in ("fa", "en"):
        fresh = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        committed = polib.pofile(str(app_dir / "locale" / language / "LC_MESSAGES" / "django.po"))
        fresh_ids = {(entry.msgctxt, entry.msgid) for entry in fresh}
        committed_ids = {(entry.msgctxt, entry.msgid) for entry in committed}
        assert fresh_ids - committed_ids == set(), "run `make messages` and translate"
        assert committed_ids - fresh_ids == set(), "run `make messages` to drop stale strings"
