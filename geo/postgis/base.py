"""GeoDjango's PostGIS backend, with a per-request health check that asks the socket, not the
server, and a cursor for the few messages of several statements.

Simple-protocol cursor. The settings bind parameters on the server (so repeated statements
are prepared once per connection), and a server-bound statement is one statement. A message
that carries statement-local settings with its statement (a tile, a page of the GeoJSON
list) is sent by `simple_cursor()`, which binds on the client and sends the simple query
protocol, as Django's default cursor does.

Health check.
Django's CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of every request that
reuses a persistent connection, so a database restart costs no request an error. That is a
round trip, and two wake-ups of two processes, on every request: on a two-core server a tile
that renders in a millisecond paid a fifth of its time for it (bench/results.md).

A connection that PostgreSQL has ended is one it has written to unasked: a backend that is
terminated, or shut down with its server, sends its FATAL message and closes, and a crashed
one leaves the socket at end of file. Between requests an idle connection has nothing to
read, so a socket with nothing to read (polled without waiting) and a session idle outside
a transaction are taken as healthy. Anything else (data waiting, a broken or closed
connection, a transaction left open) falls back to Django's `SELECT 1`, which reconnects when
it fails. What neither notices in advance is a peer that vanished without a word (a cut
network): the request's own query then fails, as it would have after a `SELECT 1` that
waited out the TCP timeout. After a request that raised a database error, Django's own
check (`is_usable`, with its `SELECT 1`) still decides whether the connection is kept.
"""

from __future__ import annotations

import select

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.db.backends.postgresql.base import Cursor as ClientBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg import pq


def socket_quiet(fileno: int) -> bool:
    """True when nothing waits to be read on `fileno` (polled, never waiting)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class DatabaseWrapper(PostGISDatabaseWrapper):
    """PostGIS, with `close_if_health_check_failed` answered from the socket when it can be,
    and `simple_cursor()` for messages of several statements."""

    def simple_cursor(self) -> CursorWrapper:
        """A cursor that binds parameters on the client and sends one simple-protocol message,
        so `execute` may carry several statements separated by semicolons (PostgreSQL runs
        them as one implicit transaction). Queries through it are logged and captured like
        any other."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        factory = self.connection.cursor_factory
        self.connection.cursor_factory = ClientBindingCursor
        try:
            with self.wrap_database_errors:
                cursor = self.create_cursor()
        finally:
            self.connection.cursor_factory = factory
        return self._prepare_cursor(cursor)

    def connection_quiet(self) -> bool:
        """True when the open connection is idle, unbroken and PostgreSQL has sent nothing."""
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            return socket_quiet(conn.pgconn.socket)
        except (OSError, ValueError, self.Database.Error):
            return False

    def close_if_health_check_failed(self) -> None:
        """Django's per-request check, without the round trip for a quiet idle connection."""
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.connection_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
