"""Compile the gettext catalogs (.po → .mo) without GNU gettext.

``make messages`` runs this after ``makemessages``; a test checks that every
catalog is complete and that its .mo matches its .po.
"""

from __future__ import annotations

from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def catalogs() -> list[Path]:
    """Every .po file of the project."""
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> list[Path]:
    """Write the .mo beside each .po; return the files written."""
    written = []
    for po_path in catalogs():
        mo_path = po_path.with_suffix(".mo")
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_all():
        print(path)
