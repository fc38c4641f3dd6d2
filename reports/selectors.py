"""Reads from reports. Views and other apps ask here; scoping by role and agency lives here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.geos import Point
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from geo.refcache import reference_cached
from reports import permissions
from reports.filters import degree_extent, distance_metres, within_metres
from reports.models import (
    OPEN_STATUSES,
    Agency,
    Category,
    Follow,
    Rating,
    Redaction,
    Report,
    ReportEvent,
    ReportPhoto,
    choice_literals,
)

# Crockford base32 reads O as 0 and I, L as 1, so a code read over the phone still matches.
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def tracking_code_normalise(code: str) -> str:
    """The canonical form of a typed tracking code: upper case, aliases folded, no dashes."""
    return code.strip().upper().replace("-", "").translate(_CROCKFORD_ALIASES)


def category_list() -> QuerySet[Category]:
    """Categories a citizen can choose from."""
    return Category.objects.filter(active=True).order_by("sort_order", "code")


# Every filing looks its category up; cached (geo.refcache), forgotten when a Category changes.
CATEGORIES_CACHE_KEY = "reports:active-categories"


def category_by_code(code: str) -> Category | None:
    """The active category called `code`, or None."""
    active = reference_cached(CATEGORIES_CACHE_KEY, lambda: {c.code: c for c in category_list()})
    return active.get(code)


def agency_list() -> QuerySet[Agency]:
    """Agencies that take reports."""
    return Agency.objects.filter(active=True).order_by("kind", "code")


def agency_by_code(code: str) -> Agency | None:
    return Agency.objects.filter(code=code).first()


def report_list_public() -> QuerySet[Report]:
    """Reports anyone may see, with what the public representation needs and nothing else.

    The reporter is never selected, so it cannot leak into an answer by accident.
    """
    return (
        Report.objects.public()
        .select_related("category", "area", "agency")
        .only(
            "tracking_code",
            "description",
            "location",
            "accuracy_m",
            "status",
            "created_at",
            "due_at",
            "resolved_at",
            "closed_at",
            "reopened_count",
            "category__code",
            "category__name",
            "category__name_en",
            "area__code",
            "area__name",
            "agency__code",
            "agency__name",
        )
        .order_by("-created_at", "-id")
    )


# The GeoJSON Features of a page of reports, as one JSON array in the list's order, built by
# PostgreSQL: DRF's serializer costs about half a millisecond per feature in Python,
# json_build_object a few microseconds. `{rows}` is the page's rows as `r`, each with its
# place `n` (report_feature_page reads them one of two ways). Timestamps are written by json
# itself, in the session's zone, which report_feature_page sets to the project's around this
# statement (as the rest of the API writes them). Parameters, in order: now, the open
# statuses, then `{rows}`'s own. The shape is ReportFeatureSerializer's; a test holds the two
# equal. bench/cases/listing.py builds its reference from this text.
_FEATURES_SQL = """
    SELECT coalesce(json_agg(feature ORDER BY n), '[]')::text
    FROM (
        SELECT n, json_build_object(
            'id', r.tracking_code,
            'type', 'Feature',
            'geometry', ST_AsGeoJSON(r.location, 15)::json,
            'properties', json_build_object(
                'category', c.code,
                'category_name', c.name,
                'category_name_en', c.name_en,
                'description', r.description,
                'status', r.status,
                'area', CASE WHEN a.id IS NULL THEN NULL
                             ELSE json_build_object('code', a.code, 'name', a.name) END,
                'agency', CASE WHEN g.id IS NULL THEN NULL
                               ELSE json_build_object('code', g.code, 'name', g.name) END,
                'accuracy_m', r.accuracy_m,
                'created_at', r.created_at,
                'due_at', r.due_at,
                'resolved_at', r.resolved_at,
                'closed_at', r.closed_at,
                'overdue', r.status = ANY(k.open) AND r.due_at < k.now,
                'late', r.resolved_at IS NOT NULL AND r.resolved_at > r.due_at
            )
        ) AS feature
        FROM (SELECT %s::timestamptz AS now, %s::text[] AS open) AS k
        CROSS JOIN {rows}
        JOIN reports_category AS c ON c.id = r.category_id
        LEFT JOIN boundaries_area AS a ON a.id = r.area_id
        LEFT JOIN reports_agency AS g ON g.id = r.agency_id
    ) AS page
"""

# The report columns _FEATURES_SQL reads from `r`.
_FEATURE_COLUMNS = (
    "id",
    "tracking_code",
    "location",
    "category_id",
    "description",
    "status",
    "area_id",
    "agency_id",
    "accuracy_m",
    "created_at",
    "due_at",
    "resolved_at",
    "closed_at",
)

# A page starting before this many reports reads its rows straight, in the list's order. A
# deeper page first finds its ids (an index-only scan, cheap to skip through) and then reads
# just those rows by id: an OFFSET over whole rows visits each skipped row in the table,
# about 0.7 ms a thousand, while finding and looking up the ids costs about 1.3 ms a page of
# 500. Measured at a million reports (unfiltered, 500 a page), the two ways cross at about
# 2,000 skipped rows; a filter that reads the table makes the ids' scan no cheaper to skip.
_STRAIGHT_BEFORE = 1_000

# A page's statement runs between two that set the session's TimeZone to the project's zone
# and back, so that json writes each timestamptz as the API does (2025-07-01T09:30:00.12+07:00:
# fraction trimmed, offset +HH:MM) at json's own speed: spelling that text out per value in
# SQL (AT TIME ZONE twice, to_char of the offset) cost about 10 µs a feature. The three go to
# the server as one Query message (connection.simple_cursor binds parameters on the client), so one
# round trip and one transaction: if the page fails, the zone's change is rolled back with it
# (inside an outer transaction, with that transaction or savepoint). Django relies on the
# session's zone being its own (UTC) between statements.
_IN_ZONE = (
    "SELECT set_config('TimeZone', %s, false);"
    " {statement};"
    " SELECT set_config('TimeZone', %s, false)"
)


class _Utf8Bytes(Loader):
    """text read as the UTF-8 bytes the server sent (Django's connections are UTF8), for JSON
    that goes to the client as it is: decoding 350 KB of Vietnamese text and encoding it
    again cost about 0.6 ms a page."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


def _page_rows(reports: QuerySet[Report], offset: int, limit: int) -> tuple[str, tuple]:
    """SQL for reports[offset:offset + limit] as `r`, each row with its place `n`, and its
    parameters: read straight near the start of an ordered list, else ids first."""
    ordering = reports.query.order_by
    if offset < _STRAIGHT_BEFORE and ordering:
        numbered = reports.annotate(n=Window(RowNumber(), order_by=list(ordering)))
        rows = numbered.values("n", *_FEATURE_COLUMNS)[offset : offset + limit]
        sql, params = rows.query.sql_with_params()
        return f"({sql}) AS r", params
    ids, params = reports.values("pk")[offset : offset + limit].query.sql_with_params()
    by_id = "JOIN reports_report AS r ON r.id = p.id"
    return f"unnest(ARRAY({ids})) WITH ORDINALITY AS p(id, n) {by_id}", params


def report_feature_page(
    reports: QuerySet[Report], *, offset: int, limit: int, count_upto: int, now: dt.datetime
) -> tuple[int, bytes]:
    """How many `reports` match (counting at most `count_upto`), and the GeoJSON Features of
    reports[offset:offset + limit] as a JSON array (UTF-8), in one statement.

    `reports` is a filtered list (report_list_public, report_list_for_user and the list's
    filters); its SQL is embedded, so scopes and filters keep their one home.
    """
    try:
        matched, matched_params = (
            reports.order_by().values("pk")[:count_upto].query.sql_with_params()
        )
        rows, rows_params = _page_rows(reports, offset, limit)
    except EmptyResultSet:
        return 0, b"[]"
    features = _FEATURES_SQL.format(rows=rows)
    page = f"SELECT (SELECT count(*) FROM ({matched}) AS matched), ({features})"  # noqa: S608
    params = [
        settings.TIME_ZONE,
        *matched_params,
        now,
        [str(s) for s in OPEN_STATUSES],
        *rows_params,
        connection.timezone_name,
    ]
    with connection.simple_cursor() as cursor:
        cursor.cursor.adapters.register_loader("text", _Utf8Bytes)
        cursor.execute(_IN_ZONE.format(statement=page), params)
        cursor.nextset()
        count, features = cursor.fetchone()
    return count, features


def report_by_code(code: str) -> QuerySet[Report]:
    """The report with tracking code `code` (normalised), as a queryset for get_object_or_404."""
    return Report.objects.filter(tracking_code=tracking_code_normalise(code))


def report_events_visible(*, report: Report, user: AbstractBaseUser | AnonymousUser | None):
    """The timeline `user` may read: internal events too for whoever may act on the report."""
    events = ReportEvent.objects.filter(report=report).select_related("from_agency", "to_agency")
    if user is None or not permissions.can_act(user, report):
        events = events.filter(public=True)
    return events.order_by("created_at", "id")


def report_list_for_user(user: AbstractBaseUser) -> QuerySet[Report]:
    """Reports `user` works with: all for supervisors, planners and staff, their agencies'
    for officials, their own for citizens. The object-level scope of every internal list.
    """
    reports = report_list_public()
    if not user.is_authenticated:
        return reports.none()
    if permissions.oversees_all(user) or user.has_perm("reports.view_analytics"):
        return reports
    agencies = permissions.agency_ids_of(user)
    if agencies and user.has_perm(permissions.PERM_ACT):
        return reports.filter(agency_id__in=agencies)
    return reports.filter(reporter=user)


NEARBY_DEFAULT_RADIUS_M = 250.0
NEARBY_MAX_RADIUS_M = 2000.0
NEARBY_LIMIT = 50
POSSIBLE_DUPLICATES_LIMIT = 5


def reports_nearby(
    *,
    point: Point,
    radius_m: float = NEARBY_DEFAULT_RADIUS_M,
    category: Category | None = None,
    exclude_id: int | None = None,
    limit: int = NEARBY_LIMIT,
) -> QuerySet[Report]:
    """Open reports (of `category`, when given) within `radius_m` metres of `point`, nearest
    first, each annotated with `distance_m` and `supporters_count`.

    Metres on the spheroid (geography ST_DWithin), after a degree-box index prefilter; at
    most `limit` rows, so the answer is bounded whatever the radius.
    """
    reports = Report.objects.public().open().filter(location__isnull=False)
    if category is not None:
        # A key of report_open_location_category beside the location. The value is cast to
        # the column's type: psycopg sends a small int as int2, and btree_gist indexes no
        # cross-type comparison, so the index would have left the category to the table.
        reports = reports.filter(category_id=Cast(Value(category.pk), BigIntegerField()))
    if exclude_id is not None:
        reports = reports.exclude(pk=exclude_id)
    supporters = (
        Follow.objects.filter(report=OuterRef("pk"), supports=True)
        .order_by()
        .values("report")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        within_metres(reports, point, radius_m)
        .select_related("category")
        .only("tracking_code", "status", "location", "created_at", "category__code")
        .annotate(
            category_code=F("category__code"),
            distance_m=distance_metres(point),
            supporters_count=Coalesce(Subquery(supporters), 0),
        )
        .order_by("distance_m", "id")[:limit]
    )


# The duplicate check of every filing, as one constant statement that PostgreSQL prepares
# once per connection. Built by the ORM (reports_nearby: annotations, a supporters subquery
# the answer does not show, geography casts) it cost about 2 ms of Python and a fresh plan
# per filing, a sixth of a filing's time. The open statuses are written in as literals so
# the plan can use the partial index over open reports (report_open_location_category); a
# parameter would hide them from the planner. The category is that index's second key, cast
# to the column's type as in reports_nearby (see there). tests/reports/
# test_nearby_and_support.py checks that both give the same answer. A filing runs it inside
# its own statement (reports.filing). It writes out Report.objects.public()'s rules (none
# yet) by hand; tests/reports/test_filing_sql.py fails when public() gains one.
DUPLICATES_SQL = f"""
    SELECT r.id, r.tracking_code, c.code AS category_code, r.status,
           ST_Distance(r.location::geography, pt.g) AS distance_m, r.created_at
    FROM reports_report AS r
    JOIN reports_category AS c ON c.id = r.category_id,
         (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography AS g) AS pt
    WHERE r.status IN ({choice_literals(OPEN_STATUSES)})
      AND r.location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
      AND ST_DWithin(r.location::geography, pt.g, %s)
      AND r.category_id = %s::bigint
      AND r.id <> %s
    ORDER BY distance_m, r.id
    LIMIT %s
"""  # noqa: S608 (the only formatted-in text is the model's own status values)


def duplicates_params(
    *,
    point: Point | tuple[float, float] | None,
    category_id: int,
    exclude_id: int,
    radius_m: float = NEARBY_DEFAULT_RADIUS_M,
    limit: int = POSSIBLE_DUPLICATES_LIMIT,
) -> list[Any]:
    """`DUPLICATES_SQL`'s parameters for a Point or (longitude, latitude); without a point
    they match nothing."""
    if point is None:
        return [None] * 6 + [radius_m, category_id, exclude_id, limit]
    lon, lat = point if isinstance(point, tuple) else (point.x, point.y)
    west, south, east, north = degree_extent(lon, lat, radius_m)
    return [lon, lat, west, south, east, north, radius_m, category_id, exclude_id, limit]


def reports_possible_duplicates(
    *,
    point: Point,
    category_id: int,
    exclude_id: int,
    radius_m: float = NEARBY_DEFAULT_RADIUS_M,
    limit: int = POSSIBLE_DUPLICATES_LIMIT,
) -> list[dict[str, Any]]:
    """What `reports_nearby` finds for a new report's answer, as rows: open reports of its
    category within `radius_m` of `point` but itself, nearest first, at most `limit`."""
    params = duplicates_params(
        point=point, category_id=category_id, exclude_id=exclude_id, radius_m=radius_m, limit=limit
    )
    with connection.cursor() as cursor:
        cursor.execute(DUPLICATES_SQL, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def report_photos_visible(report: Report) -> QuerySet[ReportPhoto]:
    """The report's photos the public may see (not redacted), before ones first."""
    return ReportPhoto.objects.filter(report=report, hidden=False).order_by(
        "kind", "created_at", "id"
    )


def supporters_count(report: Report) -> int:
    return Follow.objects.filter(report=report, supports=True).count()


def rating_summary(report: Report) -> dict | None:
    """Count and average of the report's ratings (comments stay private), None if unrated."""
    summary = Rating.objects.filter(report=report).aggregate(
        count=Count("id"), average=Avg("stars")
    )
    if not summary["count"]:
        return None
    return {"count": summary["count"], "average": round(float(summary["average"]), 2)}


def reporter_of(report: Report):
    """The report's reporter with their profile: for the agency's officials and supervisors
    only (the caller checks `permissions.can_see_reporter`)."""
    return (
        get_user_model()
        .objects.select_related("profile")
        .only("username", "first_name", "last_name", "email", "profile__phone")
        .get(pk=Report.objects.filter(pk=report.pk).values("reporter_id")[:1])
    )


def reporter_public_name(report: Report) -> str | None:
    """The first name a reporter chose to show publicly, else None (anonymous, the default)."""
    row = (
        Report.objects.filter(pk=report.pk, public_identity=True)
        .values_list("reporter__first_name", flat=True)
        .first()
    )
    if not row:
        return None
    return row.strip() or None


def redactions_for(report: Report) -> QuerySet[Redaction]:
    """Redactions with their originals: for supervisors only (the caller checks)."""
    return Redaction.objects.filter(report=report).order_by("created_at", "id")
