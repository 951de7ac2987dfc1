"""Compile the gettext catalogs (.po → .mo) without GNU gettext.

``make messages`` runs this after ``makemessages``; a test checks that every
catalog is complete and that its .mo matches its .po.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def app_dirs() -> list[Path]:
    """The apps that keep a catalog: each Django app has its own ``locale/``."""
    return sorted(path.parent for path in PACKAGE_DIR.glob("*/locale"))


def catalogs() -> list[Path]:
    """Every .po file of the project."""
    return sorted(PACKAGE_DIR.glob("*/locale/*/LC_MESSAGES/*.po"))


def compile_all() -> list[Path]:
    """Write the .mo beside each .po; return the files written."""
    written = []
    for po_path in catalogs():
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    if "--apps" in sys.argv:
        print(" ".join(path.name for path in app_dirs()))
    else:
        for path in compile_all():
            print(path)
