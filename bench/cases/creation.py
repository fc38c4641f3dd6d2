"""Case 2: report creation over HTTP against pgbench running the same insert-and-route SQL.

wrk sends realistic authenticated POSTs: a citizen's token, a category, a Vietnamese
description, a point inside Hanoi and a fresh Idempotency-Key, as the mobile app does. The
reference does what the service does in one transaction, in SQL: find the ward, its agency,
insert the report, its "created" event, the idempotency key and a notice in the outbox for
each official of the agency.
"""

from __future__ import annotations

import itertools
import json
import re

import psycopg
import psycopg.sql
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.backends import roles_sql
from accounts.services import token_for_sign_in
from bench import db, loadgen, server, setup_data
from bench.cases.lookup import SAMPLE
from bench.floor_urls import FLOOR_PATH, THIN_DUPLICATE_COLUMNS, THIN_PATH
from bench.harness import Results, Row
from reports.models import Category
from reports.selectors import DUPLICATES_SQL

DESCRIPTION = "Rác thải sinh hoạt đổ trộm ở đầu ngõ, bốc mùi, chưa được thu gom."

# The service's writes, in SQL: route (lowest-level covering area, its agency), insert the
# report, its public "created" event, the idempotency key and a notice per official of the
# agency (the outbox, reports.models.Notice), in one transaction. The point,
# category, reporter and description are filled in per runner: pgbench draws them from its
# variables, the Django floor (bench/floor_urls.py) binds them from the request. The slots
# `who`, `accuracy`, `due` and `last` are the reference's (REFERENCE_SLOTS) except in the thin
# filing's statement (thin_sql).
INSERT_AND_ROUTE = """
WITH {who}pt AS (
    {point}
), best AS (
    SELECT a.id AS area_id FROM boundaries_areapiece AS p
    JOIN boundaries_area AS a ON a.id = p.area_id
    JOIN boundaries_level AS l ON l.id = a.level_id, pt
    WHERE p.geom && pt.g AND ST_Covers(p.geom, pt.g)
      AND a.generation_low_id <= {generation} AND a.generation_high_id >= {generation}
    ORDER BY l.rank DESC, a.code LIMIT 1
), ag AS (
    SELECT agency_id FROM reports_agency_areas AS aa JOIN best USING (area_id)
    ORDER BY agency_id LIMIT 1
), ins AS (
    INSERT INTO reports_report (
        tracking_code, description, location, accuracy_m, status, created_at, updated_at,
        due_at, transfers_count, agency_id, area_id, category_id, generation_id, reporter_id
        {extra_columns})
    SELECT upper(substr(md5(random()::text || clock_timestamp()::text), 1, 10)),
           {description}, pt.g, {accuracy}, 'received', now(), now(), {due}, 0,
           ag.agency_id, best.area_id, {category}, {generation}, {user} {extra_values}
    FROM pt, best, ag{who_from}
    RETURNING id, reporter_id, tracking_code, agency_id
), nt AS (
    INSERT INTO reports_notice (what, tracking_code, subject, body, from_email, recipient)
    SELECT 'new report', ins.tracking_code, 'Phản ánh mới ' || ins.tracking_code,
           {description}, 'civicpin <no-reply@civicpin.local>', u.email
    FROM ins JOIN reports_membership AS m ON m.agency_id = ins.agency_id
    JOIN auth_user AS u ON u.id = m.user_id
    WHERE u.is_active AND u.email <> ''
), ev AS (
    INSERT INTO reports_reportevent
        (report_id, actor_id, kind, old_status, new_status, note, public, created_at)
    SELECT id, reporter_id, 'created', '', 'received', '', TRUE, now() FROM ins
){last}
"""

REFERENCE_SLOTS = {
    "who": "",
    "who_from": "",
    "accuracy": "12",
    "due": "now() + interval '3 days'",
    "last": """
INSERT INTO reports_idempotencykey (key, request_hash, created_at, user_id, report_id)
SELECT md5(random()::text), md5(random()::text), now(), reporter_id, id FROM ins;""",
}


def report_other_columns(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(column, SQL literal of its default) for every report column INSERT_AND_ROUTE does
    not name itself (setup_data.report_column_defaults)."""
    given = {
        "tracking_code", "description", "location", "accuracy_m", "status", "created_at",
        "updated_at", "due_at", "transfers_count", "agency_id", "area_id", "category_id",
        "generation_id", "reporter_id",
    }  # fmt: skip
    return [
        (column, psycopg.sql.Literal(value).as_string(conn))
        for column, value in setup_data.report_column_defaults(given)
    ]


def _common_slots(*, generation_id: int, extra: list[tuple[str, str]]) -> dict[str, str | int]:
    """INSERT_AND_ROUTE's generation and the report's other columns (report_other_columns)."""
    return {
        "generation": int(generation_id),
        "extra_columns": "".join(f", {column}" for column, _ in extra),
        "extra_values": "".join(f", {literal}" for _, literal in extra),
    }


def floor_sql(*, generation_id: int, extra: list[tuple[str, str]]) -> str:
    """The reference's statement with named parameters (lon, lat, description, category,
    user), as the Django floor (bench/floor_urls.py) binds them from a request."""
    return INSERT_AND_ROUTE.format(
        point="SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g",
        description="%(description)s",
        category="%(category)s",
        user="%(user)s",
        **REFERENCE_SLOTS,
        **_common_slots(generation_id=generation_id, extra=extra),
    )


def thin_sql(*, generation_id: int, extra: list[tuple[str, str]]) -> str:
    """The thin filing's statement (bench/floor_urls.py): the reference's routing and writes
    behind the citizen's token and permission, with the client's Idempotency-Key, accuracy
    and the deadline from the working calendar, reading back the possible duplicates as the
    API's answer does. `extra` is (column, SQL literal) for the report's other columns.
    Parameters are named: token, issued_after, lon, lat, description, category, accuracy,
    due, key, request_hash and the duplicates' d0, d1, ... (selectors.duplicates_params)."""
    numbers = itertools.count()
    duplicates = re.sub("%s", lambda _: f"%(d{next(numbers)})s", DUPLICATES_SQL)
    who = f"""who AS (
    SELECT u.id AS user_id FROM authtoken_token AS t JOIN auth_user AS u ON u.id = t.user_id
    WHERE t.key = %(token)s AND u.is_active AND t.created > %(issued_after)s
      AND (u.is_superuser OR EXISTS (
          SELECT 1 FROM ({roles_sql("u.id")}) AS r (kind, app_label, codename)
          WHERE r.kind = 'perm' AND r.app_label = 'reports' AND r.codename = 'add_report'))
), """
    last = f""", key AS (
    INSERT INTO reports_idempotencykey (key, request_hash, created_at, user_id, report_id)
    SELECT %(key)s, %(request_hash)s, now(), reporter_id, id FROM ins
)
SELECT ins.tracking_code, {", ".join(f"d.{c}" for c in THIN_DUPLICATE_COLUMNS)}
FROM ins LEFT JOIN ({duplicates}) AS d ON TRUE ORDER BY d.distance_m, d.id"""
    return INSERT_AND_ROUTE.format(
        who=who,
        who_from=", who",
        point="SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g",
        description="%(description)s",
        category="%(category)s",
        user="who.user_id",
        accuracy="%(accuracy)s",
        due="%(due)s",
        last=last,
        **_common_slots(generation_id=generation_id, extra=extra),
    )


# The Idempotency-Keys' prefixes in the API's and the thin view's requests.
API_KEYS = "bench-"
THIN_KEYS = "thin-"

PGBENCH_DRAWS = """\\set id random(1, {sample})
\\set user random(1, {users})
\\set cat random(1, {categories})
"""


def _wrk_script(
    tokens: list[str], categories: list[str], points, *, path: str, keys: str = API_KEYS
) -> str:
    lua_tokens = ",".join(f'"{t}"' for t in tokens)
    lua_categories = ",".join(f'"{c}"' for c in categories)
    lua_points = ",".join(f"{{{lon:.6f},{lat:.6f}}}" for lon, lat in points)
    return (
        f"local tokens = {{{lua_tokens}}}\n"
        f"local categories = {{{lua_categories}}}\n"
        f"local points = {{{lua_points}}}\n"
        # A Lua long string holding the description already encoded as a JSON string.
        f"local description = [[{json.dumps(DESCRIPTION, ensure_ascii=False)}]]\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local p = points[math.random(#points)]\n"
        '  local body = string.format(\'{"category": "%s", "description": %s, '
        '"location": {"type": "Point", "coordinates": [%.6f, %.6f]}, "accuracy_m": 12}\', '
        "categories[math.random(#categories)], description, p[1], p[2])\n"
        "  local headers = {}\n"
        '  headers["Content-Type"] = "application/json"\n'
        '  headers["Authorization"] = "Token " .. tokens[math.random(#tokens)]\n'
        # Unique per thread and request: each is a new report, none a retry.
        f'  headers["Idempotency-Key"] = string.format("{keys}%d-%d-%d-%d", os.time(), '
        "thread_id, math.random(1e9), counter)\n"
        f'  return wrk.format("POST", "{path}", headers, body)\n'
        "end\n"
    )


def _max_report_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM reports_report")
        return cursor.fetchone()[0]


def _filings(max_id: int, prefix: str) -> int:
    """Reports filed since `max_id` with an Idempotency-Key numbered by a wrk script under
    `prefix` (API_KEYS for the API, THIN_KEYS for the thin view; pgbench's and the floor's
    keys are hashes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM reports_idempotencykey WHERE report_id > %s AND key LIKE %s",
            [max_id, prefix + "%"],
        )
        return cursor.fetchone()[0]


def _max_notice_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM reports_notice")
        return cursor.fetchone()[0]


def _cleanup(max_id: int, max_notice_id: int) -> None:
    """Remove what the case created, so the workload's reports stay as they were."""
    with connection.cursor() as cursor:
        for table in ("reports_reportevent", "reports_idempotencykey"):
            cursor.execute(f"DELETE FROM {table} WHERE report_id > %s", [max_id])
        cursor.execute("DELETE FROM reports_report WHERE id > %s", [max_id])
        cursor.execute("DELETE FROM reports_notice WHERE id > %s", [max_notice_id])


def run(results: Results, *, workload, generation_id: int, seconds: int) -> None:
    # Signed in as the app does, so a token older than its lifetime is replaced.
    citizens = get_user_model().objects.filter(username__startswith="bench.citizen.")
    signed_in = [token_for_sign_in(user) for user in citizens.order_by("username")]
    tokens = [token.key for token in signed_in]
    categories = list(
        Category.objects.filter(active=True, kind="on_site").values_list("code", "id")
    )
    points = list(zip(workload.lon[:SAMPLE], workload.lat[:SAMPLE], strict=True))
    max_id = _max_report_id()
    max_notice_id = _max_notice_id()
    user_ids = [token.user_id for token in signed_in]
    with psycopg.connect(db.libpq_url()) as conn:
        extra = report_other_columns(conn)
    sql = PGBENCH_DRAWS.format(
        sample=SAMPLE, users=len(user_ids), categories=len(categories)
    ) + INSERT_AND_ROUTE.format(
        point=(
            "SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g FROM bench_lookup_points"
            " WHERE id = :id"
        ),
        description="'" + DESCRIPTION.replace("'", "''") + "'",
        category=f"(ARRAY[{','.join(str(i) for _, i in categories)}])[:cat]",
        user=f"(ARRAY[{','.join(str(i) for i in user_ids)}])[:user]",
        **REFERENCE_SLOTS,
        **_common_slots(generation_id=generation_id, extra=extra),
    )
    floor_env = {
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
        "THROTTLE_ENABLED": "false",
        "BENCH_FLOOR_SQL": floor_sql(generation_id=generation_id, extra=extra),
        "BENCH_FLOOR_CATEGORIES": json.dumps(dict(categories)),
        "BENCH_FLOOR_USERS": json.dumps(user_ids),
    }
    thin_env = {
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
        "THROTTLE_ENABLED": "false",
        "BENCH_THIN_SQL": thin_sql(generation_id=generation_id, extra=extra),
    }
    codes = [code for code, _ in categories]
    lua = _wrk_script(tokens, codes, points, path="/api/v1/reports")
    floor_lua = _wrk_script(tokens, codes, points, path=FLOOR_PATH)
    # Its own Idempotency-Keys, so the API's filings are counted apart (_filings).
    thin_lua = _wrk_script(tokens, codes, points, path=THIN_PATH, keys=THIN_KEYS)
    # Rate limits protect the city from abuse, not from its own benchmark.
    env = {"THROTTLE_ENABLED": "false"}
    try:
        # The four in alternating rounds (loadgen.alternating), every server up throughout.
        with (
            server.gunicorn(db.BENCH_DATABASE_URL, env=env) as base,
            server.gunicorn(
                db.BENCH_DATABASE_URL, env=floor_env, port=server.SECOND_PORT
            ) as floor_base,
            server.gunicorn(
                db.BENCH_DATABASE_URL, env=thin_env, port=server.THIRD_PORT
            ) as thin_base,
        ):
            loads = loadgen.alternating(
                {
                    "sql": lambda s, w: loadgen.pgbench(db.libpq_url(), sql, seconds=s),
                    "floor": lambda s, w: loadgen.wrk(
                        floor_base + "/", floor_lua, seconds=s, warmup=w
                    ),
                    "thin": lambda s, w: loadgen.wrk(
                        thin_base + "/", thin_lua, seconds=s, warmup=w
                    ),
                    "http": lambda s, w: loadgen.wrk(base + "/", lua, seconds=s, warmup=w),
                },
                seconds=seconds,
            )
        reference, floor, http = loads["sql"], loads["floor"], loads["http"]
        thin = loads["thin"]
        stored = {prefix: _filings(max_id, prefix) for prefix in (API_KEYS, THIN_KEYS)}
    finally:
        _cleanup(max_id, max_notice_id)
    # Every measured request must have filed a new report (warm-up requests file more): an
    # answer that replays an earlier report for a reused Idempotency-Key is another path.
    for prefix, load in ((API_KEYS, http), (THIN_KEYS, thin)):
        if stored[prefix] < load.requests:
            raise RuntimeError(
                f"{load.requests} filings keyed {prefix} stored only {stored[prefix]} reports"
            )
    api = "Report creation, `POST /api/v1/reports`"
    pgbench = "pgbench, same insert-and-route SQL"
    floor_name = "the same SQL behind one Django view, same server and middleware"
    what_it_takes = "(the API's target, for what it takes)"
    for case, ours, theirs, theirs_name, target in (
        (api, http, reference, pgbench, "≥ 0.3× the SQL rate (ratio ≤ 3.3×)"),
        (api, http, floor, f"{floor_name} (bench/floor_urls.py)", ""),
        ("Report creation, the thin view (`POST /bench/thin`)", thin, reference, pgbench,
         what_it_takes),
    ):  # fmt: skip
        results.add(
            Row(
                case=case,
                ours=ours.describe(with_cpu=True),
                reference=theirs.describe(with_cpu=True),
                reference_name=theirs_name,
                ratio=theirs.rate / ours.rate if ours.rate else None,
                target=target,
            )
        )
    results.read(
        "Report creation",
        "The SQL reference is one round trip that validates nothing. The API files a citizen's "
        "JSON filing, which is what wrk sends (a token, a category, a description, a point, an "
        "Idempotency-Key), in one statement too (reports.express, "
        "reports.filing.write_citizen): it checks the token, its lifetime, the user's "
        "permission and that the user has no staff role "
        "(accounts.authentication.citizen_filer_sql); routes the point by the routing rules' "
        "precedence in the current generation (reports.routing.route_ctes); stores the report, "
        "its event, its Idempotency-Key (whose unique constraint decides a retry, no lookup "
        "first) and a notice in the e-mail outbox for each official of the handling agency "
        "(two per agency here, as in the reference), with the report tiles' new version; and "
        "reads the possible duplicates for the answer, from an index of the open reports keyed "
        "on their location and category (report_open_location_category), so no other "
        "category's report in the box costs a visit to the table. Anything that statement does "
        "not file goes to the DRF view, which answers as before with three statements (the "
        "token with its user and roles, the routing, the writes): a session, a staff member's "
        "token, photos, a body the serializer would coerce or refuse, a token, permission or "
        "place the statement does not accept, a reused key. The statement is written with "
        "PostgreSQL's own placeholders (geo.postgis native_cursor): above 4 KB psycopg rewrote "
        "%s placeholders in Python on every execution, a tenth of the request's CPU. Only what "
        "a filing takes from its request and its moment travels as a parameter; the columns "
        "every citizen's filing writes the same (its status, the event's kind, the counters, "
        "the empty dates) are written into the statement once, each prepared by its field "
        "(reports.filing.fixed_value_sql), where 19 of 48 parameters had been built through "
        "three model instances on every filing. gunicorn parses requests with its C parser "
        "(gunicorn_h1c), about 3 % more filings a second than its Python one. A filing "
        "bumps one of 16 rows of the reports' tile version, chosen by its database session, so "
        "two workers' filings no longer queue on one row's lock until their commit. No e-mail "
        "is sent in the request: `manage.py send_notices` delivers the outbox. A single "
        "statement is atomic: no BEGIN or COMMIT round trip, one commit per filing. Categories "
        "and the holiday calendar come from a per-process memo in front of the cache. "
        "Statements repeated on a connection are prepared by PostgreSQL, and the per-request "
        "connection health check polls the socket instead of sending SELECT 1 "
        "(geo/postgis/base.py); both apply to the floor too. Every wrk thread seeds its own "
        "generator and numbers its Idempotency-Keys, and the case checks that every measured "
        "request stored a report. The Django floor runs the reference's statement behind one "
        "bare view on the same server, settings and middleware: what it costs above pgbench is "
        "HTTP, WSGI and Django's request cycle, and what a filing costs above it is the "
        "platform's own work. The thin view (bench/floor_urls.py, `thin_sql`) is the least a "
        "filing could be: the body checked by hand-written code and one statement that checks "
        "the token and the citizen's permission, routes the point as the reference does, "
        "stores the report, its event, its Idempotency-Key and the notices, and reads the "
        "possible duplicates; it applies no routing rules' precedence, gives the tiles no new "
        "version, takes no value from the models' fields and tells no failure from another. "
        "The four (pgbench, the floor, the thin view and the API) run in three alternating "
        "rounds with every server up, their samples pooled, so a load from elsewhere on the "
        "machine falls on all alike. PostgreSQL, gunicorn and wrk share two cores. Each figure "
        "carries the CPU it cost per request, read from /proc around each measured run "
        "(bench/cpu.py): the server's Python, PostgreSQL, the load generator, and the time "
        "both cores sat idle while the two clients' requests waited on a round trip; the parts "
        "add up to two cores' time per request, so they say which of them keeps a rate from "
        "its reference.",
    )
