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
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import NOT_PROVIDED, Field, Model

from reports.models import IdempotencyKey, Notice, Report, ReportEvent
from reports.notifications import official_emails_sql
from reports.selectors import DUPLICATES_SQL, duplicates_params

# The new report's id, for the rows that refer to it.
_NEW_REPORT_ID = "(SELECT id FROM new_report)"

# name → a data-modifying statement without parameters, run with every filing statement that
# is a transaction of its own (see also_write).
_ALSO_WRITTEN: dict[str, str] = {}


def also_write(name: str, sql: str) -> None:
    """Run `sql` (a data-modifying statement without parameters) as part of every filing
    statement that commits on its own; registering `name` again replaces its statement.

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
        ctes += [f"also_{i} AS ({sql})" for i, sql in enumerate(_ALSO_WRITTEN.values())]
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
    report_id, notices = rows[0][0], rows[0][1]
    report.pk = report_id
    report._state.adding = False
    report._state.db = connection.alias
    duplicates = [
        dict(zip(_DUPLICATE_COLUMNS, row[2:], strict=True)) for row in rows if row[2] is not None
    ]
    return Written(
        report_id=report_id,
        notices=notices,
        duplicates=duplicates,
        also_written=frozenset(_ALSO_WRITTEN) if also else frozenset(),
    )
