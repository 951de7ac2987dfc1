"""Database helpers the apps share: prepared statements for a hot write path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def prepared_statements(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the block, PostgreSQL prepares the statements this connection sends.

    Django sends every query with its values quoted into the text (client-side
    binding) and prepares nothing, so PostgreSQL parses and plans each one again.
    Inside this block the connection binds values on the server and prepares each
    statement the first time, so a worker's later sendings of the same INSERT skip
    parsing and planning (bench/desk_load.py: about 0.3 ms of PostgreSQL CPU less per
    desk submission, a third of it). Only for code whose queries are known to work
    with server-side binding (plain INSERTs, lookups by key): it is not on for the
    whole site because PostgreSQL refuses some GROUP BY queries bound that way.
    On other databases it does nothing. A connection pooler in transaction mode
    must keep prepared statements per client (PgBouncer 1.21+ does, with
    ``max_prepared_statements``).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # Django's health check may replace a broken connection: let it happen before the
    # connection is changed, not on the block's first query.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory = ServerBindingCursor
    raw.prepare_threshold = 0  # prepare at the first sending; psycopg keeps 100 a connection
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold
