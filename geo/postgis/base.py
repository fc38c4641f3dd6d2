"""GeoDjango's PostGIS backend, with a per-request health check that asks the socket, not the
server, and three more ways to send a statement.

The settings bind parameters on the server, so repeated statements are prepared once per
connection, and a server-bound statement is one statement. `simple_cursor()` binds on the
client and sends one simple-protocol message of several statements, as Django's default
cursor does, for a statement that needs statement-local settings beside it (a page of the
GeoJSON list); its results are text. `unprepared_row()` runs one server-bound statement that
is never prepared and can ask for its results in binary, so a tile's bytea arrives as its
bytes rather than as hex text twice their size that the server encodes and the client
decodes (bench/results.md, tiles). `native_cursor()` takes PostgreSQL's own placeholders.

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
from collections.abc import Sequence
from typing import Any

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper
from django.contrib.gis.db.backends.postgis.operations import PostGISOperations
from django.db.backends.postgresql.base import Cursor as ClientBindingCursor
from django.db.backends.postgresql.base import CursorMixin, ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg import ProgrammingError, RawCursor, pq


def socket_quiet(fileno: int) -> bool:
    """True when nothing waits to be read on `fileno` (polled, never waiting)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class _UnpreparedCursor(ServerBindingCursor):
    """Server-bound and never prepared: each run is planned with its own values. A tile's best
    plan depends on how many reports its bounds hold; measured on z16 tiles, a prepared
    statement's generic plan cost PostgreSQL about a millisecond more per tile."""

    def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        prepare: bool | None = False,
        binary: bool | None = None,
    ) -> Any:
        return super().execute(query, params, prepare=prepare, binary=binary)


class _NativeCursor(CursorMixin, RawCursor):
    """Server-bound, with PostgreSQL's $1, $2, ... placeholders (DatabaseWrapper.native_cursor)."""


class DatabaseOperations(PostGISOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:
        """The statement with its values for the log of queries, or as written where the
        values cannot be put in (a statement with $1-style placeholders)."""
        try:
            return super().last_executed_query(cursor, sql, params)
        except ProgrammingError:
            return sql


class DatabaseWrapper(PostGISDatabaseWrapper):
    """PostGIS, with `close_if_health_check_failed` answered from the socket when it can be,
    `simple_cursor()` for several statements at once, `unprepared_row()` for a statement
    planned with its own values, and `native_cursor()` for long statements with
    PostgreSQL's own placeholders."""

    ops_class = DatabaseOperations

    def unprepared_row(
        self, sql: str, params: Sequence[Any] | None = None, *, binary: bool = False
    ) -> tuple[Any, ...] | None:
        """Run one server-bound statement, never prepared, and return its first row (None
        when it returns none). With `binary`, results come in PostgreSQL's binary format.
        Logged and captured like any other query."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        cursor = self._cursor_of(_UnpreparedCursor)
        if binary:
            cursor.cursor.format = pq.Format.BINARY
        try:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description is not None else None
        finally:
            cursor.close()

    def simple_cursor(self) -> CursorWrapper:
        """A cursor that binds parameters on the client and sends one simple-protocol message,
        so `execute` may carry several statements separated by semicolons (PostgreSQL runs
        them as one implicit transaction). Queries through it are logged and captured like
        any other."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        return self._cursor_of(ClientBindingCursor)

    def native_cursor(self) -> CursorWrapper:
        """A server-binding cursor for statements written with PostgreSQL's own placeholders
        ($1, $2, ...) and a sequence of parameters. psycopg rewrites %s placeholders into
        those in Python on every execution of a statement longer than 4 KB (the limit of its
        cache), which for a filing's one statement (reports.filing.citizen_statement) was a
        tenth of the request's CPU; a statement in this form is sent as it is. Prepared and
        logged like any other."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        return self._cursor_of(_NativeCursor)

    def _cursor_of(self, factory: type) -> CursorWrapper:
        """Django's cursor (time zone, logging, execute wrappers) over a psycopg cursor of
        class `factory`, on the open connection."""
        default = self.connection.cursor_factory
        self.connection.cursor_factory = factory
        try:
            with self.wrap_database_errors:
                cursor = self.create_cursor()
        finally:
            self.connection.cursor_factory = default
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
