"""The content-addressed file store for published data (Parquet) under STORE_DIR.

A file is named by the SHA-256 of its bytes, so the same content is stored once, a
name always means the same bytes, and a reader can check what it got.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def store_root() -> Path:
    """The store's directory (``settings.STORE_DIR``)."""
    return Path(settings.STORE_DIR)


def path_for(sha256: str, *, suffix: str) -> Path:
    """Where the file with this checksum lives (two-level fan-out keeps folders small)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 checksum: {sha256!r}")
    return store_root() / sha256[:2] / f"{sha256}{suffix}"


def put(content: bytes, *, suffix: str) -> str:
    """Store ``content`` durably and return its SHA-256; storing it again is a no-op.

    The bytes are written to a temporary file, flushed to disk and renamed into place,
    so a crash never leaves a half-written file under a checksum name.
    """
    sha256 = hashlib.sha256(content).hexdigest()
    target = path_for(sha256, suffix=suffix)
    if target.exists():
        return sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        Path(name).replace(target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return sha256


def get(sha256: str, *, suffix: str) -> bytes:
    """The stored bytes, checked against their checksum."""
    content = path_for(sha256, suffix=suffix).read_bytes()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise OSError(f"stored file {sha256}{suffix} is corrupt (checksum mismatch)")
    return content
