"""geo.postgis: the health check (no round trip for a quiet connection, Django's SELECT 1 for
one that PostgreSQL has written to), statements prepared by the server, and the two ways of
sending several statements in one round trip (the simple-protocol cursor, one_round_trip)."""

from __future__ import annotations

import contextlib
import select
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from geo.postgis.base import DatabaseWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrappers() -> Iterator[list[DatabaseWrapper]]:
    """Separate connections to the test database, as a gunicorn worker holds its own."""
    made: list[DatabaseWrapper] = []
    yield made
    for wrapper in made:
        wrapper.close()


def _open(made: list[DatabaseWrapper]) -> DatabaseWrapper:
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    wrapper.ensure_connection()
    made.append(wrapper)
    return wrapper


def _backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _count_select_one(monkeypatch: pytest.MonkeyPatch, wrapper: DatabaseWrapper) -> list[bool]:
    """Record every call of Django's round-trip check on `wrapper`, and its answer."""
    calls: list[bool] = []
    original = wrapper.is_usable

    def is_usable() -> bool:
        calls.append(original())
        return calls[-1]

    monkeypatch.setattr(wrapper, "is_usable", is_usable)
    return calls


def _next_request(wrapper: DatabaseWrapper) -> None:
    """What Django does at the end of one request and the first query of the next."""
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_health_check_failed()


def _wait_readable(wrapper: DatabaseWrapper) -> None:
    poller = select.poll()
    poller.register(wrapper.connection.pgconn.socket, select.POLLIN)
    assert poller.poll(5000), "PostgreSQL wrote nothing to the connection within 5 s"


def test_the_settings_use_the_project_backend():
    assert isinstance(connections[DEFAULT_DB_ALIAS], DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_quiet_idle_connection_is_reused_without_a_round_trip(monkeypatch, wrappers):
    worker = _open(wrappers)
    pid = _backend_pid(worker)
    calls = _count_select_one(monkeypatch, worker)

    _next_request(worker)

    assert calls == []
    assert worker.health_check_done
    assert _backend_pid(worker) == pid


def test_a_connection_postgresql_ended_is_replaced_before_the_request_uses_it(
    monkeypatch, wrappers
):
    worker = _open(wrappers)
    pid = _backend_pid(worker)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0] is True
    _wait_readable(worker)
    calls = _count_select_one(monkeypatch, worker)

    _next_request(worker)

    assert calls == [False]  # the SELECT 1 found it dead, so it was closed
    assert worker.connection is None
    assert _backend_pid(worker) != pid  # and the request's query got a new session


def test_a_connection_with_something_waiting_is_checked_and_kept(monkeypatch, wrappers):
    worker, notifier = _open(wrappers), _open(wrappers)
    pid = _backend_pid(worker)
    with worker.cursor() as cursor:
        cursor.execute("LISTEN civicpin_backend_test")
    with notifier.cursor() as cursor:
        cursor.execute("NOTIFY civicpin_backend_test")
    _wait_readable(worker)
    calls = _count_select_one(monkeypatch, worker)

    _next_request(worker)

    assert calls == [True]
    assert _backend_pid(worker) == pid


def test_a_transaction_left_open_is_checked_by_the_round_trip(monkeypatch, wrappers):
    worker = _open(wrappers)
    worker.connection.execute("BEGIN")
    calls = _count_select_one(monkeypatch, worker)
    worker.health_check_done = False

    worker.close_if_health_check_failed()

    assert len(calls) == 1
    worker.connection.execute("ROLLBACK")


def test_a_statement_run_again_and_again_is_prepared_once_per_connection(wrappers):
    worker = _open(wrappers)
    for _ in range(6):
        with worker.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = %s", ["reports"])
            assert cursor.fetchone()[0] > 0
    with worker.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%FROM django_migrations WHERE app = $1%"],
        )
        assert cursor.fetchone()[0] == 1


def test_the_native_cursor_takes_postgresql_placeholders_is_prepared_and_captured(wrappers):
    from django.db import IntegrityError
    from django.test.utils import CaptureQueriesContext

    worker = _open(wrappers)
    # A literal percent sign is no placeholder here: the statement is sent as it is.
    sql = "SELECT count(*) FROM django_migrations WHERE app = $1 AND name LIKE '%' || $2"
    with CaptureQueriesContext(worker) as captured:
        for _ in range(6):
            with worker.native_cursor() as cursor:
                cursor.execute(sql, ["reports", "initial"])
                assert cursor.fetchone()[0] == 1
    assert [q["sql"] for q in captured][-1] == sql  # logged as written
    with worker.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement = %s", [sql])
        assert cursor.fetchone()[0] == 1
    with pytest.raises(IntegrityError), worker.native_cursor() as cursor:  # Django's errors
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ($1, NULL, now())", ["x"]
        )


def test_the_simple_cursor_sends_several_statements_in_one_message_and_is_captured(wrappers):
    from django.test.utils import CaptureQueriesContext

    worker = _open(wrappers)
    with CaptureQueriesContext(worker) as captured, worker.simple_cursor() as cursor:
        cursor.execute(
            "SELECT set_config('application_name', %s, true); "
            "SELECT current_setting('application_name'), %s::integer + 1",
            ["civicpin-test", 41],
        )
        cursor.nextset()
        assert cursor.fetchone() == ("civicpin-test", 42)
    assert len(captured) == 1
    with worker.cursor() as cursor:  # the setting was local to the message's transaction
        cursor.execute("SELECT current_setting('application_name')")
        assert cursor.fetchone()[0] != "civicpin-test"


def test_the_default_cursor_refuses_several_statements_in_one_message(wrappers):
    from django.db import ProgrammingError

    worker = _open(wrappers)
    with pytest.raises(ProgrammingError), worker.cursor() as cursor:
        cursor.execute("SELECT %s::integer; SELECT 2", [1])


@contextlib.contextmanager
def _protocol_trace(wrapper: DatabaseWrapper, path) -> Iterator[None]:
    """Have libpq write every protocol message of `wrapper`'s connection to `path` while the
    block runs."""
    from psycopg import pq

    with open(path, "w") as handle:
        wrapper.connection.pgconn.trace(handle.fileno())
        wrapper.connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield
        finally:
            wrapper.connection.pgconn.untrace()


def _messages(path, kind: str) -> int:
    """How many protocol messages of `kind` a trace holds."""
    with open(path) as trace:
        return sum(1 for line in trace if line.split()[2:3] == [kind])


def test_one_round_trip_runs_its_statements_before_one_sync_as_one_transaction(wrappers, tmp_path):
    from django.test.utils import CaptureQueriesContext

    worker = _open(wrappers)
    trace = tmp_path / "protocol.txt"
    with _protocol_trace(worker, trace), CaptureQueriesContext(worker) as captured:
        row = worker.one_round_trip(
            [
                ("SELECT set_config('application_name', %s, true)", ["civicpin-test"]),
                ("SELECT current_setting('application_name'), %s::integer + 1", [41]),
            ]
        )
    assert row == ("civicpin-test", 42)
    assert _messages(trace, "Sync") == 1
    assert len(captured) == 2
    with worker.cursor() as cursor:  # the setting was local to the implicit transaction
        cursor.execute("SELECT current_setting('application_name')")
        assert cursor.fetchone()[0] != "civicpin-test"


def test_one_round_trip_answers_in_binary_when_asked_and_is_never_prepared(wrappers):
    worker = _open(wrappers)
    statement = [("SELECT %s::bytea, %s::timestamptz", [b"\x00\xff", "2025-07-01T09:30:00+07:00"])]
    for _ in range(6):
        body, moment = worker.one_round_trip(statement, binary=True)
    assert bytes(body) == b"\x00\xff"
    assert moment.isoformat() == "2025-07-01T02:30:00+00:00"
    assert worker.one_round_trip(statement)[0] == b"\x00\xff"
    with worker.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0


def test_one_round_trip_undoes_every_statement_when_one_fails(wrappers):
    from django.db import DataError

    worker = _open(wrappers)
    with worker.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE written (n integer)")
    with pytest.raises(DataError):
        worker.one_round_trip([("INSERT INTO written VALUES (1)", None), ("SELECT 1 / 0", None)])
    with worker.cursor() as cursor:  # the connection is usable, and nothing was written
        cursor.execute("SELECT count(*) FROM written")
        assert cursor.fetchone()[0] == 0
    with pytest.raises(ValueError, match="at least one"):
        worker.one_round_trip([])


def test_one_round_trip_failing_inside_a_transaction_undoes_only_its_savepoint():
    from django.db import DataError, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE written_inside (n integer)")
    with pytest.raises(DataError), transaction.atomic():
        connection.one_round_trip(
            [("INSERT INTO written_inside VALUES (1)", None), ("SELECT 1 / 0", None)]
        )
    assert connection.one_round_trip([("INSERT INTO written_inside VALUES (%s)", [2])]) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(n) FROM written_inside")
        assert cursor.fetchone()[0] == [2]
