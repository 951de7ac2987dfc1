"""Rendered API documents, kept in memory per process.

A published release never changes, so a document rendered from it (for one selection,
format and language) is valid for as long as the release is the one served; the key
names the release's checksum, so a new version simply misses. Bounded: the least
recently used documents are dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

MAX_DOCUMENTS = 512
MAX_BYTES = 2_000_000  # larger documents are rendered each time rather than kept

_documents: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
_lock = threading.Lock()


def rendered(key: tuple[str, ...], render: Callable[[], bytes]) -> bytes:
    """The document for ``key``, rendered by ``render`` on the first request only."""
    with _lock:
        document = _documents.get(key)
        if document is not None:
            _documents.move_to_end(key)
            return document
    document = render()
    if len(document) <= MAX_BYTES:
        with _lock:
            _documents[key] = document
            while len(_documents) > MAX_DOCUMENTS:
                _documents.popitem(last=False)
    return document
