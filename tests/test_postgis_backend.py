"""geo.postgis: the health check (no round trip for a quiet connection, Django's SELECT 1 for
one that PostgreSQL has written to), statements prepared by the server, the simple-protocol
cursor for several statements in one message, the unprepared statement with binary results,
and the settings every session starts with."""

from __future__ import annotations

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


def test_unprepared_row_answers_in_binary_when_asked_and_is_never_prepared(wrappers):
    from django.test.utils import CaptureQueriesContext

    worker = _open(wrappers)
    sql = "SELECT %s::bytea, %s::timestamptz"
    params = [b"\x00\xff", "2025-07-01T09:30:00+07:00"]
    with CaptureQueriesContext(worker) as captured:
        for _ in range(6):
            body, moment = worker.unprepared_row(sql, params, binary=True)
    assert bytes(body) == b"\x00\xff"
    assert moment.isoformat() == "2025-07-01T02:30:00+00:00"
    assert len(captured) == 6
    assert worker.unprepared_row(sql, params)[0] == b"\x00\xff"
    assert worker.unprepared_row("SELECT 1 WHERE false") is None
    with worker.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0


def test_unprepared_row_raises_django_errors_and_leaves_the_connection_usable(wrappers):
    from django.db import DataError

    worker = _open(wrappers)
    with pytest.raises(DataError):
        worker.unprepared_row("SELECT 1 / %s::integer", [0])
    assert worker.unprepared_row("SELECT %s::integer + 1", [41]) == (42,)


def test_every_session_starts_without_jit_or_parallel_workers(wrappers):
    """DB_SESSION_OPTIONS (geo/settings.py): the planner never JIT-compiles the app's
    statements nor starts parallel workers for them, with no statement of their own."""
    worker = _open(wrappers)
    with worker.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')"
        )
        assert cursor.fetchone() == ("off", "0")
