"""A new report's writes in one statement, the way the benchmark's SQL reference files it.

A filing stores the report, its public "created" event, when the client sent one its
Idempotency-Key, and a notice in the outbox for each official of the handling agency
(reports.models.Notice), and reads back for the answer the open reports of the category
nearby that may be the same problem. Written through the ORM that was five statements, a
BEGIN and a COMMIT, each built by the query compiler on every request; here it is one
constant statement of data-modifying CTEs that PostgreSQL prepares once per connection
(`DB_PREPARED_STATEMENTS`), and a single statement is atomic without a transaction block
around it.

The column lists come from the models' own fields and the values are prepared by each
field (`get_db_prep_save`), as the ORM's INSERT does, so a new column needs no change here.
The duplicates' and officials' queries are the very SQL texts their selectors run
(`reports.selectors.DUPLICATES_SQL`, `reports.notifications.official_emails_sql`): the new
report is not among the duplicates because a statement's reads do not see its own writes.

Other apps may add writes of their own to the statement (`also_write`, from their
AppConfig.ready, so reports imports none of them): the tiles app gives report tiles a new
data version there, in the filing's own commit, instead of in a second statement and commit
after it.

A citizen's filing (reports.express) is the same statement with two more parts before its
writes: the token's check (accounts.authentication.citizen_filer_sql) and the routing
(reports.routing.route_ctes), whose answers fill the report's filer, area, generation and
agency (`citizen_statement`, `write_citizen`); it stores nothing where either finds nothing.
Only what a filing takes from its request and its moment travels as parameters; the columns
every citizen's filing writes the same (its status, the event's kind, the counters, the
empty dates) are written into the statement once, each value prepared by its field
(`fixed_value_sql`). A new column with a plain default needs no change; one whose default
differs from filing to filing stops the statement from being built until it is named.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import NOT_PROVIDED, Field, Model
from psycopg import sql as pgsql

from reports.models import EventKind, IdempotencyKey, Notice, Report, ReportEvent, Status
from reports.notifications import official_emails_sql
from reports.selectors import DUPLICATES_SQL, duplicates_params

# The new report's id, for the rows that refer to it.
_NEW_REPORT_ID = "(SELECT id FROM new_report)"

# name → the data-modifying statement without parameters, for an SQL condition, run with
# every filing statement that is a transaction of its own (see also_write).
_ALSO_WRITTEN: dict[str, Callable[[str], str]] = {}
# The condition: the statement stored a report (a citizen's filing may store none).
_STORED = "EXISTS (SELECT 1 FROM new_report)"


def also_write(name: str, sql: Callable[[str], str]) -> None:
    """Run `sql(condition)` (a data-modifying statement without parameters that writes only
    where the SQL `condition` holds) as part of every filing statement that commits on its
    own, on the condition that it stored the report; registering `name` again replaces it.

    Only a filing outside any transaction block runs it, so what `sql` locks is held for
    that one statement and its commit, never across a filing's photo files or a caller's
    transaction. `Written.also_written` says whether it ran, and the filer passes that on
    (reports_bulk_changed's `also_written`), so the registering app does not write twice.
    A registered write takes its locks before the statement's AFTER triggers take theirs
    (tiles' report cells); a write registered here must never be one that a transaction
    holding those locks then waits for, or filings could deadlock with it.
    """
    _ALSO_WRITTEN[name] = sql
    statement.cache_clear()


@dataclass(frozen=True)
class Written:
    """What the statement gives back: the new report's id, how many notices it wrote (one
    per official of the agency), the possible duplicates' rows (nearest first), and which
    of the other apps' writes (`also_write`) it ran."""

    report_id: int
    notices: int
    duplicates: list[dict[str, Any]]
    also_written: frozenset[str] = frozenset()  # the names of the `also_write` writes run


def _fields(model: type[Model]) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _database_default(field: Field) -> bool:
    """A field whose value only the database gives (a `db_default` without a default): its
    column takes DEFAULT, as in the ORM's INSERT."""
    return field.db_default is not NOT_PROVIDED and not field.has_default()


def _insert(model: type[Model], *, refers: str | None = None) -> str:
    """`INSERT INTO table (columns) VALUES (...)`: a placeholder per field, the new report's
    id for the foreign key named `refers` and DEFAULT where the database gives the value."""

    def value(field: Field) -> str:
        if field.name == refers:
            return _NEW_REPORT_ID
        return "DEFAULT" if _database_default(field) else "%s"

    fields = _fields(model)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(value(f) for f in fields)
    return f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({values})"  # noqa: S608


def _params(instance: Model, *, refers: str | None = None) -> list[Any]:
    """The instance's values for `_insert`, prepared by their fields as the ORM's INSERT
    prepares them (`refers` and the database's defaults are the statement's own)."""
    return [
        f.get_db_prep_save(f.pre_save(instance, True), connection)
        for f in _fields(type(instance))
        if f.name != refers and not _database_default(f)
    ]


def _notices_insert() -> str:
    """One notice per official of the agency (the last parameter), the others' columns
    given by the parameters before it, the times by the database (Notice's db_default)."""
    meta = Notice._meta
    given = ("what", "tracking_code", "subject", "body", "from_email")
    columns = ", ".join(f'"{meta.get_field(name).column}"' for name in given)
    return (
        f'INSERT INTO {meta.db_table} ({columns}, "{meta.get_field("recipient").column}") '  # noqa: S608
        f"SELECT {', '.join(['%s'] * len(given))}, o.email FROM ({official_emails_sql()}) AS o"
    )


_DUPLICATE_COLUMNS = ("id", "tracking_code", "category_code", "status", "distance_m", "created_at")


def _also_ctes() -> list[str]:
    return [f"also_{i} AS ({sql(_STORED)})" for i, sql in enumerate(_ALSO_WRITTEN.values())]


@functools.cache
def statement(*, with_key: bool, also: bool = False) -> str:
    """The filing's SQL, with or without the Idempotency-Key's row and the other apps'
    writes (`also_write`)."""
    ctes = [
        f"new_report AS ({_insert(Report)} RETURNING id)",
        f"new_event AS ({_insert(ReportEvent, refers='report')})",
    ]
    if with_key:
        ctes.append(f"new_key AS ({_insert(IdempotencyKey, refers='report')})")
    ctes.append(f"new_notices AS ({_notices_insert()} RETURNING 1)")
    if also:
        ctes += _also_ctes()
    duplicate_columns = ", ".join(f"d.{c}" for c in _DUPLICATE_COLUMNS)
    notices = "(SELECT count(*) FROM new_notices)"
    select = f"new_report.id, {notices}, {duplicate_columns}"
    return (
        "WITH " + ",\n".join(ctes) + f"\nSELECT {select}\n"
        f"FROM new_report LEFT JOIN ({DUPLICATES_SQL}) AS d ON TRUE\nORDER BY d.distance_m, d.id"
    )


def write(
    report: Report,
    event: ReportEvent,
    key: IdempotencyKey | None,
    notice: tuple[str, str, str],
) -> Written:
    """Insert `report`, `event` and `key` (the last two referring to the report) and a new
    report's `notice` (subject, body, sender) for each official of its agency in one
    statement; sets the report's primary key and returns what the statement read.

    Outside any transaction block the statement is the whole transaction and runs the
    other apps' writes too (`also_write`). Raises IntegrityError, with nothing stored, when
    a constraint refuses any of the rows (a tracking code drawn twice, an Idempotency-Key
    already used).
    """
    also = bool(_ALSO_WRITTEN) and not connection.in_atomic_block
    params = _params(report) + _params(event, refers="report")
    if key is not None:
        params += _params(key, refers="report")
    params += ["new report", report.tracking_code, *notice, report.agency_id]
    # Nothing to exclude: the new report is not visible to the statement's own reads.
    params += duplicates_params(point=report.location, category_id=report.category_id, exclude_id=0)
    with connection.cursor() as cursor:
        cursor.execute(statement(with_key=key is not None, also=also), params)
        rows = cursor.fetchall()
    return Written(**_read_back(report, rows, duplicates_from=2, also=also))


def _read_back(report: Report, rows: list[tuple], *, duplicates_from: int, also: bool) -> dict:
    """`Written`'s fields from a filing statement's rows (the report's id and its notices
    first, the possible duplicates' columns from `duplicates_from` on); the report is
    stored now."""
    report.pk = rows[0][0]
    report._state.adding = False
    report._state.db = connection.alias
    start = duplicates_from
    return {
        "report_id": report.pk,
        "notices": rows[0][1],
        "duplicates": [
            dict(zip(_DUPLICATE_COLUMNS, row[start:], strict=True))
            for row in rows
            if row[start] is not None
        ],
        "also_written": frozenset(_ALSO_WRITTEN) if also else frozenset(),
    }


@dataclass(frozen=True)
class _CitizenRow:
    """Where each column of one of a citizen's filing's rows gets its value. `computed`:
    SQL from the statement's other parts (the token's filer, the routing, the new report).
    `given`: what a filing takes from its request and its moment, a parameter prepared by
    its field on every filing. Every other column holds the same in every filing: its value
    in `fixed`, else the field's default, prepared by the field once and written into the
    statement (fixed_value_sql), so no filing prepares and sends it (19 of the statement's
    48 parameters were these)."""

    model: type[Model]
    computed: dict[str, str]
    given: tuple[str, ...]
    fixed: dict[str, Any]


# A citizen's filing (reports.express): the statement also checks the token and routes the
# point, so the report's filer, area, generation and agency are columns of its other parts.
_CITIZEN_ROWS = {
    "report": _CitizenRow(
        Report,
        computed={
            # The point the statement routes (`lon`, `lat`), with no adapter's EWKB to write.
            "location": "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)",
            "category": "%(category)s",
            "reporter": "filer.user_id",
            "area": "route.area_id",
            "generation": "route.generation_id",
            "agency": "route.agency_id",
        },
        given=(
            "tracking_code",
            "description",
            "accuracy_m",
            "created_at",
            "updated_at",
            "due_at",
            "public_identity",
        ),
        fixed={"status": Status.RECEIVED},
    ),
    "event": _CitizenRow(
        ReportEvent,
        computed={"report": "new_report.id", "actor": "filer.user_id"},
        given=("created_at",),
        fixed={"kind": EventKind.CREATED, "new_status": Status.RECEIVED},
    ),
    "key": _CitizenRow(
        IdempotencyKey,
        computed={"report": "new_report.id", "user": "filer.user_id"},
        given=("key", "request_hash", "created_at"),
        fixed={},
    ),
}
_CITIZEN_ROUTE_COLUMNS = ("area_code", "area_name", "agency_code", "agency_name")


def _named(sql: str, prefix: str) -> str:
    """`sql` with its positional placeholders named prefix0, prefix1, ... in their order."""
    numbers = iter(range(sql.count("%s")))
    return re.sub("%s", lambda _: f"%({prefix}{next(numbers)})s", sql)


def _named_params(prefix: str, values: list[Any]) -> dict[str, Any]:
    return {f"{prefix}{i}": value for i, value in enumerate(values)}


def fixed_value_sql(field: Field, value: Any = NOT_PROVIDED) -> str:
    """`value` (the field's default when not given) prepared by `field`, as an SQL literal of
    the column's type. A default that differs from one filing to the next (a callable, an
    auto_now) cannot be written once: ImproperlyConfigured names the field to give."""
    if value is NOT_PROVIDED:
        varies = field.has_default() and callable(field.default)
        if varies or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ImproperlyConfigured(
                f"{field} differs from one filing to the next; name it among its row's given"
            )
        value = field.get_default()
    prepared = field.get_db_prep_save(value, connection)
    return f"{pgsql.Literal(prepared).as_string(None)}::{field.db_type(connection)}"


def _insert_from(prefix: str, source: str) -> str:
    """`INSERT INTO table (columns) SELECT ... FROM source` for the row of `prefix` (see
    _CitizenRow), its given values as placeholders named prefix_field; the columns whose
    value only the database gives are left to it."""
    row = _CITIZEN_ROWS[prefix]

    def value(field: Field) -> str:
        if field.name in row.computed:
            return row.computed[field.name]
        if field.name in row.given:
            return f"%({prefix}_{field.name})s"
        return fixed_value_sql(field, row.fixed.get(field.name, NOT_PROVIDED))

    fields = [f for f in _fields(row.model) if not _database_default(f)]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(value(f) for f in fields)
    return f"INSERT INTO {row.model._meta.db_table} ({columns}) SELECT {values} FROM {source}"  # noqa: S608


@functools.cache
def _given_fields(prefix: str) -> tuple[tuple[str, Field], ...]:
    """(parameter name, field) for the given values of the row of `prefix`."""
    row = _CITIZEN_ROWS[prefix]
    return tuple((f"{prefix}_{name}", row.model._meta.get_field(name)) for name in row.given)


def _given_params(prefix: str, values: Callable[[Field], Any]) -> dict[str, Any]:
    """The parameters of the given values of the row of `prefix`, `values(field)` prepared
    by each field."""
    return {
        name: field.get_db_prep_save(values(field), connection)
        for name, field in _given_fields(prefix)
    }


@functools.cache
def citizen_statement_native(*, with_key: bool, also: bool) -> tuple[str, tuple[str, ...]]:
    """`citizen_statement` with PostgreSQL's own placeholders ($1, ...; see
    geo.postgis.base.DatabaseWrapper.native_cursor), and the parameters' names in their
    order."""
    names: dict[str, int] = {}

    def number(match: re.Match) -> str:
        return f"${names.setdefault(match[1], len(names) + 1)}"

    sql = re.sub(r"%\((\w+)\)s", number, citizen_statement(with_key=with_key, also=also))
    return sql, tuple(names)


@functools.cache
def citizen_statement(*, with_key: bool, also: bool = False) -> str:
    """A citizen's filing in one statement: `statement`'s writes and reads, behind the
    token's check (accounts.authentication.citizen_filer_sql) and the point's routing
    (reports.routing.route_ctes). It stores nothing, and gives no row, where either finds
    nothing; see reports.express for what then answers."""
    # Imported here: the backend's and audit's modules import settings-dependent models.
    from accounts.authentication import citizen_filer_sql
    from reports.permissions import PERM_ADD
    from reports.routing import route_ctes

    filer = citizen_filer_sql(key="%(token)s", issued_after="%(issued_after)s", permission=PERM_ADD)
    officials = official_emails_sql().replace("%s", "route.agency_id")
    meta = Notice._meta
    given = ("what", "tracking_code", "subject", "body", "from_email", "recipient")
    columns = ", ".join(f'"{meta.get_field(name).column}"' for name in given)
    ctes = [
        f"filer AS ({filer})",
        route_ctes(category="%(category)s", handling_level="%(handling_level)s"),
        f"new_report AS ({_insert_from('report', 'filer, route')} RETURNING id)",
        f"new_event AS ({_insert_from('event', 'new_report, filer')})",
    ]
    if with_key:
        ctes.append(f"new_key AS ({_insert_from('key', 'new_report, filer')})")
    ctes.append(
        f"new_notices AS (INSERT INTO {meta.db_table} ({columns}) "  # noqa: S608
        "SELECT %(what)s, %(tracking_code)s, %(subject)s, "
        "%(body_head)s || route.agency_name || %(body_tail)s, %(from_email)s, o.email "
        f"FROM new_report, route, LATERAL ({officials}) AS o RETURNING 1)"
    )
    if also:
        ctes += _also_ctes()
    route_columns = ", ".join(f"route.{c}" for c in _CITIZEN_ROUTE_COLUMNS)
    duplicate_columns = ", ".join(f"d.{c}" for c in _DUPLICATE_COLUMNS)
    notices = "(SELECT count(*) FROM new_notices)"
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        f"SELECT new_report.id, {notices}, {route_columns}, {duplicate_columns}\n"
        f"FROM new_report, route LEFT JOIN ({_named(DUPLICATES_SQL, 'dup')}) AS d ON TRUE\n"
        "ORDER BY d.distance_m, d.id"
    )


@dataclass(frozen=True)
class CitizenWritten(Written):
    """What a citizen's filing statement gives back besides `Written`'s: the codes and names
    of the area and agency it routed the report to."""

    area: tuple[str, str] = ("", "")  # code, name
    agency: tuple[str, str] = ("", "")  # code, name


def write_citizen(
    report: Report,
    notice: tuple[str, str, str, str],
    *,
    key: tuple[str, str] | None,
    point: tuple[float, float],
    token: str,
    issued_after: Any,
) -> CitizenWritten | None:
    """Insert `report` at `point` (longitude, latitude; its location), without reporter,
    area, generation and agency, with its "created" event and, when the client sent one,
    its Idempotency-Key (`key`: the key and the request's hash) for the citizen whose API
    token is `token`, routed as route_point routes, and a new report's `notice` (subject,
    the body before and after the agency's name, sender) for each official of the agency;
    None, with nothing stored, when the token or the routing found nobody
    (citizen_statement). The event and the key are stamped with the report's filing time.
    Raises IntegrityError, with nothing stored, when a constraint refuses a row (a reused
    Idempotency-Key, a tracking code drawn twice). Sets the report's primary key."""
    also = bool(_ALSO_WRITTEN) and not connection.in_atomic_block
    category = report.category
    subject, body_head, body_tail, from_email = notice
    filed_at = report.created_at
    params = {
        "token": token,
        "issued_after": issued_after,
        "lon": point[0],
        "lat": point[1],
        "category": category.pk,
        "handling_level": category.handling_level_id,
        "what": "new report",
        "tracking_code": report.tracking_code,
        "subject": subject,
        "body_head": body_head,
        "body_tail": body_tail,
        "from_email": from_email,
        **_given_params("report", lambda field: field.pre_save(report, True)),
        **_given_params("event", lambda field: filed_at),
        **_named_params(
            "dup",
            duplicates_params(point=point, category_id=category.pk, exclude_id=0),
        ),
    }
    if key is not None:
        key_values = {"key": key[0], "request_hash": key[1], "created_at": filed_at}
        params.update(_given_params("key", lambda field: key_values[field.name]))
    sql, names = citizen_statement_native(with_key=key is not None, also=also)
    with connection.native_cursor() as cursor:
        cursor.execute(sql, [params[name] for name in names])
        rows = cursor.fetchall()
    if not rows:
        return None
    area_code, area_name, agency_code, agency_name = rows[0][2:6]
    return CitizenWritten(
        **_read_back(report, rows, duplicates_from=6, also=also),
        area=(area_code, area_name),
        agency=(agency_code, agency_name),
    )
