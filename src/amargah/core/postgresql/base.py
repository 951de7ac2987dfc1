"""Django's PostgreSQL backend, whose health check reads the socket before it sends a query.

With ``CONN_HEALTH_CHECKS`` (``amargah.config.env.database``) Django checks a kept
connection at the first query of every request with ``SELECT 1``: a round trip, one of
six in the service desk's submission, the busiest request (bench/desk_load.py). A server
that ends a session (restart, ``pg_terminate_backend``, an idle timeout, a fail-over)
sends its error and closes the socket, so the socket of an ended session has something
to read. The check sends ``SELECT 1`` only then, when the connection is not idle, or
when the socket cannot be polled; an idle connection with nothing to read is usable.
"""

from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

_IDLE = (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS)


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's PostgreSQL connection; see the module's docstring for its health check."""

    def is_usable(self) -> bool:
        """Whether the connection still works: no query unless the server sent something."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if not hasattr(select, "poll"):
            return bool(super().is_usable())
        try:
            if connection.pgconn.transaction_status not in _IDLE:
                return bool(super().is_usable())
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN | select.POLLPRI)
            pending = poller.poll(0)
        except (OSError, ValueError, psycopg.Error):
            return bool(super().is_usable())
        return bool(super().is_usable()) if pending else True
