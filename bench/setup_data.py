"""Boundaries for the benchmark database, loaded the way a city would load them."""

from __future__ import annotations

from django.core.management import call_command

from bench.workload import HANOI_WARDS

GENERATION = "bench-hanoi-2025"


def ensure_wards(wards) -> tuple:
    """The active generation and ward level, importing Hanoi's wards (or the demo city) once."""
    from boundaries.models import Generation, Level
    from boundaries.services import generation_activate

    if HANOI_WARDS.is_file():
        generation = Generation.objects.filter(name=GENERATION).first()
        if generation is None:
            call_command(
                "import_boundaries",
                str(HANOI_WARDS),
                level="ward",
                level_rank=2,
                level_name="Phường/Xã",
                level_name_en="Ward/Commune",
                code_field="code",
                name_field="name",
                name_en_field="nameEn",
                generation=GENERATION,
                commit=True,
                activate=True,
                verbosity=0,
            )
            generation = Generation.objects.get(name=GENERATION)
        if not generation.active:
            generation = generation_activate(generation=generation)
    else:
        from boundaries.demo import load_demo_city

        load_demo_city()
        generation = Generation.objects.current()
    return generation, Level.objects.get(code="ward")


def report_column_defaults(given: set[str]) -> list[tuple[str, object]]:
    """(column, value) for every Report column the bench's SQL does not set itself.

    Django applies field defaults in Python, not in the database, so raw INSERTs must supply
    them; reading them from the model keeps the bench working as the model grows.
    """
    from reports.models import Report

    columns = []
    for field in Report._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        if field.has_default():
            columns.append((field.column, field.get_default()))
        elif not field.null:
            raise RuntimeError(f"bench cannot fill reports_report.{field.column}: no default")
    return columns


BENCH_USERS = 50
BENCH_PASSWORD = "Ho-Tay-Sen-Hong-2025"
# Officials with an e-mail address in every agency, as a ward's People's Committee has: each
# new report leaves a notice in the outbox for each of them (reports.models.Notice).
OFFICIALS_PER_AGENCY = 2

# Reports for the database-level cases, routed in SQL as the importer's city would route
# them. Status and timings derive from hashtext(id), so the same workload always gives the
# same rows: 7 % still open, the rest resolved, closed or rejected (no duplicates: those need
# an original to point at, and nothing measured here reads them).
_INSERT_REPORTS_SQL = """
    INSERT INTO reports_report (
        tracking_code, description, location, accuracy_m, status, created_at, updated_at,
        due_at, resolved_at, closed_at, escalated_at, transfers_count, agency_id, area_id,
        category_id, duplicate_of_id, generation_id, reporter_id{extra_columns})
    SELECT 'B' || lpad(to_hex(p.id), 9, '0'),
           'Phản ánh thử nghiệm số ' || p.id,
           p.geom, 10, s.status, p.created_at, p.created_at,
           p.created_at + interval '5 days',
           CASE WHEN s.status IN ('resolved', 'closed')
                THEN p.created_at + s.u * interval '7 days' END,
           CASE WHEN s.status = 'closed'
                THEN p.created_at + s.u * interval '7 days' + interval '7 days' END,
           NULL, 0, ag.agency_id, best.area_id, cm.category_id, NULL, %(generation)s,
           (%(users)s::int[])[1 + p.id %% %(n_users)s]{extra_values}
    FROM bench_points AS p
    CROSS JOIN LATERAL (
        SELECT ap.area_id FROM boundaries_areapiece AS ap
        JOIN boundaries_area AS a ON a.id = ap.area_id
        WHERE ap.geom && p.geom AND ST_Covers(ap.geom, p.geom) AND a.level_id = %(level)s
          AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
        ORDER BY a.code LIMIT 1
    ) AS best
    LEFT JOIN LATERAL (
        SELECT agency_id FROM reports_agency_areas WHERE area_id = best.area_id LIMIT 1
    ) AS ag ON TRUE
    CROSS JOIN LATERAL (
        SELECT (abs(hashtext(p.id::text)) %% 1000) / 1000.0 AS u
    ) AS h
    CROSS JOIN LATERAL (
        SELECT h.u, CASE
            WHEN h.u < 0.03 THEN 'received' WHEN h.u < 0.07 THEN 'in_progress'
            WHEN h.u < 0.12 THEN 'resolved' WHEN h.u < 0.92 THEN 'closed'
            ELSE 'rejected' END AS status
    ) AS s
    JOIN bench_category_map AS cm
      ON cm.group_idx = p.category
     AND cm.k = abs(hashtext(p.id::text || 'c')) %% cm.n
"""


_INSERTED_COLUMNS = {
    "tracking_code", "description", "location", "accuracy_m", "status", "created_at",
    "updated_at", "due_at", "resolved_at", "closed_at", "escalated_at", "transfers_count",
    "agency_id", "area_id", "category_id", "duplicate_of_id", "generation_id", "reporter_id",
}  # fmt: skip


def ensure_officials() -> int:
    """OFFICIALS_PER_AGENCY officials with an e-mail address in every agency (idempotent);
    returns how many there are."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from reports.models import Agency, Membership

    user_model = get_user_model()
    with transaction.atomic():
        wanted = {
            f"bench.official.{agency_id}.{k}": agency_id
            for agency_id in Agency.objects.values_list("id", flat=True)
            for k in range(OFFICIALS_PER_AGENCY)
        }
        have = set(
            user_model.objects.filter(username__in=wanted).values_list("username", flat=True)
        )
        user_model.objects.bulk_create(
            [
                user_model(username=name, email=f"{name}@bench.invalid", password="!")
                for name in wanted
                if name not in have
            ]
        )
        users = user_model.objects.filter(username__in=wanted).values_list("username", "id")
        Membership.objects.bulk_create(
            [Membership(agency_id=wanted[name], user_id=user_id) for name, user_id in users],
            ignore_conflicts=True,
        )
    return len(wanted)


def ensure_reports(workload, *, generation, level) -> int:
    """Exactly the workload's reports in reports_report (reloaded when the workload changed)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from accounts.services import user_register
    from reports.models import Category, Report
    from reports.services import agencies_create_for_level

    n = len(workload)
    marker = "B" + format(n, "x").rjust(9, "0")
    if Report.objects.count() == n and Report.objects.filter(tracking_code=marker).exists():
        vacuum()
        return n
    users = []
    existing = get_user_model().objects.in_bulk(
        [f"bench.citizen.{i:02d}" for i in range(BENCH_USERS)], field_name="username"
    )
    for i in range(BENCH_USERS):
        username = f"bench.citizen.{i:02d}"
        user = existing.get(username)
        if user is None:  # registered as a citizen signs up, so they may file reports
            user, _ = user_register(
                username=username, password=BENCH_PASSWORD, email=f"{username}@bench.invalid"
            )
        users.append(user.id)
    agencies_create_for_level(level=level, generation=generation)
    groups = {g: i for i, g in enumerate(workload.categories)}
    by_group: dict[int, list[int]] = {}
    for category in Category.objects.filter(active=True, kind="on_site").order_by("id"):
        if category.group in groups:
            by_group.setdefault(groups[category.group], []).append(category.id)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE reports_report CASCADE")
        cursor.execute("DROP TABLE IF EXISTS bench_category_map")
        cursor.execute(
            "CREATE TABLE bench_category_map (group_idx int, k int, n int, category_id bigint)"
        )
        cursor.executemany(
            "INSERT INTO bench_category_map VALUES (%s, %s, %s, %s)",
            [(g, k, len(ids), cid) for g, ids in by_group.items() for k, cid in enumerate(ids)],
        )
        extra = report_column_defaults(_INSERTED_COLUMNS)
        sql = _INSERT_REPORTS_SQL.format(
            extra_columns="".join(f", {column}" for column, _ in extra),
            extra_values="".join(f", %(default_{column})s" for column, _ in extra),
        )
        cursor.execute(
            sql,
            {
                "generation": generation.id,
                "level": level.id,
                "users": users,
                "n_users": len(users),
                **{f"default_{column}": value for column, value in extra},
            },
        )
    vacuum()
    return Report.objects.count()


def vacuum() -> None:
    """VACUUM ANALYZE the tables the cases read, as autovacuum keeps a live database.

    Run before every case too: the routing and creation cases write (a re-route updates
    every open report, a creation run inserts and deletes thousands), and on a server whose
    autovacuum is off, as on the CI machines (conf.d/90-ci.conf), the next case would
    otherwise find a visibility map cleared over a third of the table and every index-only
    scan (a list page's count and ids) visiting the heap.

    A freshly bulk-loaded table has no visibility map yet, so every index-only scan (a list
    page's ids, a count) would visit the heap for each row; a city's database, vacuumed in
    the background, does not. Quick when nothing changed since the last run.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        tables = (
            "reports_report",
            "reports_reportevent",
            "boundaries_areapiece",
            "tiles_reportcell",  # the tile pre-aggregates, filled by triggers with the reports
            "tiles_reportdeadline",
        )
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")  # names from this module
