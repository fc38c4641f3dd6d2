"""Reads the pages need beyond the API's selectors. Role scoping comes from
reports.selectors / reports.permissions; nothing here decides who may see what on its own."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.db.models import Extent
from django.db import connection
from django.db.models import Count, Min, QuerySet

from boundaries.models import Area
from geo.crs import METRIC, WGS84
from reports import permissions, selectors
from reports.models import Agency, Report

# Hoàn Kiếm lake: where a map opens when no boundaries are loaded yet.
DEFAULT_BOUNDS = ((21.00, 105.82), (21.06, 105.88))


def map_bounds() -> tuple[tuple[float, float], tuple[float, float]]:
    """((south, west), (north, east)) of the current boundary generation, for fitting maps."""
    extent = Area.objects.current().aggregate(extent=Extent("geom"))["extent"]
    if not extent:
        return DEFAULT_BOUNDS
    west, south, east, north = extent
    return (south, west), (north, east)


def official_may_use_desk(user: AbstractBaseUser) -> bool:
    """Officials with at least one agency seat, and supervisors: the users of /official/."""
    if permissions.oversees_all(user):
        return True
    return user.has_perm(permissions.PERM_ACT) and bool(permissions.agency_ids_of(user))


def official_queue(
    *,
    user: AbstractBaseUser,
    statuses: list[str],
    category: str = "",
    agency: str = "",
    overdue_only: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet[Report]:
    """The reports `user` works on (their agencies', or all for supervisors), soonest deadline
    first, filtered as the queue's form asks."""
    reports = selectors.report_list_for_user(user)
    if statuses:
        reports = reports.filter(status__in=statuses)
    if category:
        reports = reports.filter(category__code=category)
    if agency:
        reports = reports.filter(agency__code=agency)
    if overdue_only:
        reports = reports.overdue(now)
    return reports.order_by("due_at", "id")


def overdue_by_agency(*, now: dt.datetime | None = None) -> QuerySet:
    """Open reports past their deadline, counted per agency, most first (supervisors)."""
    return (
        Report.objects.overdue(now)
        .values("agency__code", "agency__name", "agency__name_en")
        .annotate(overdue=Count("id"), oldest_due=Min("due_at"))
        .order_by("-overdue", "agency__code")
    )


# The jurisdiction of the user's agencies as one GeoJSON FeatureCollection built by PostgreSQL
# (a city department may hold every ward), simplified by 10 m in UTM 48N: invisible at the
# zooms the desk map shows, and a fraction of the bytes.
_JURISDICTION_SQL = """
    SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
        json_build_object(
            'type', 'Feature',
            'geometry', ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(
                ST_Transform(a.geom, %(metric)s), 10.0), %(wgs84)s), 6)::json,
            'properties', json_build_object('code', a.code, 'name', a.name))
        ORDER BY a.code), '[]'::json))::text
    FROM boundaries_area AS a
    WHERE a.id IN (
        SELECT j.area_id FROM reports_agency_areas AS j WHERE j.agency_id = ANY(%(agencies)s)
    )
    AND a.id = ANY(%(current)s)
"""


def jurisdiction_geojson(*, user: AbstractBaseUser) -> dict[str, Any] | None:
    """The current areas of `user`'s agencies as GeoJSON, or None for users without a seat."""
    agencies = sorted(permissions.agency_ids_of(user))
    if not agencies:
        return None
    current = list(Area.objects.current().values_list("id", flat=True))
    with connection.cursor() as cursor:
        # Raw SQL: the collection is assembled by json_agg in one statement (see above).
        cursor.execute(
            _JURISDICTION_SQL,
            {"metric": METRIC, "wgs84": WGS84, "agencies": agencies, "current": current},
        )
        return json.loads(cursor.fetchone()[0])


def transfer_targets(*, report: Report) -> QuerySet[Agency]:
    """Agencies a report may be transferred to: active ones other than its own."""
    return selectors.agency_list().exclude(pk=report.agency_id)
