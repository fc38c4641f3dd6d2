"""Query filters of the public report list. Every bad value is a 400 naming its parameter."""

from __future__ import annotations

import datetime as dt
import math

import django_filters
from django.contrib.gis.db.models import PointField
from django.contrib.gis.geos import Point, Polygon
from django.db.models import BooleanField, FloatField, Func, Value
from django.db.models.functions import Cast
from rest_framework.exceptions import ParseError
from rest_framework.filters import BaseFilterBackend

from geo.crs import WGS84
from reports.deadlines import LOCAL_TZ
from reports.models import Agency, Category, Report, Status

MAX_RADIUS_M = 50_000.0
DEFAULT_RADIUS_M = 500.0
# Metres per degree of latitude; longitude degrees shrink with cos(latitude).
_METRES_PER_DEGREE = 111_320.0

BAD_BBOX = "in_bbox must be min_lon,min_lat,max_lon,max_lat in degrees, min below max."
BAD_NEAR = "near must be lon,lat in degrees (longitude -180..180, latitude -90..90)."
BAD_RADIUS = f"radius_m must be a number of metres above 0 and at most {MAX_RADIUS_M:.0f}."
RADIUS_WITHOUT_NEAR = "radius_m needs near=lon,lat."


def _floats(raw: str, count: int) -> list[float] | None:
    parts = raw.split(",")
    if len(parts) != count:
        return None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    return values if all(math.isfinite(v) for v in values) else None


def _valid_lon_lat(lon: float, lat: float) -> bool:
    return -180 <= lon <= 180 and -90 <= lat <= 90


def parse_bbox(raw: str) -> Polygon:
    values = _floats(raw, 4)
    if values is None:
        raise ParseError({"in_bbox": BAD_BBOX})
    min_lon, min_lat, max_lon, max_lat = values
    if not (
        _valid_lon_lat(min_lon, min_lat)
        and _valid_lon_lat(max_lon, max_lat)
        and min_lon < max_lon
        and min_lat < max_lat
    ):
        raise ParseError({"in_bbox": BAD_BBOX})
    bbox = Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))
    bbox.srid = WGS84
    return bbox


def parse_near(raw: str) -> Point:
    values = _floats(raw, 2)
    if values is None or not _valid_lon_lat(*values):
        raise ParseError({"near": BAD_NEAR})
    return Point(values[0], values[1], srid=WGS84)


def parse_radius(raw: str | None) -> float:
    if raw is None or raw == "":
        return DEFAULT_RADIUS_M
    try:
        radius = float(raw)
    except ValueError:
        raise ParseError({"radius_m": BAD_RADIUS}) from None
    if not (math.isfinite(radius) and 0 < radius <= MAX_RADIUS_M):
        raise ParseError({"radius_m": BAD_RADIUS})
    return radius


class GeographyDWithin(Func):
    """ST_DWithin on geography: true distance in metres on the spheroid, never degrees."""

    function = "ST_DWithin"
    output_field = BooleanField()


class GeographyPoint(Func):
    """A lon/lat pair as a geography point, built from two plain numeric parameters."""

    template = "ST_SetSRID(ST_MakePoint(%(expressions)s), 4326)::geography"
    output_field = PointField(geography=True, srid=WGS84)


def _geography(expression):
    return Cast(expression, PointField(geography=True, srid=WGS84))


def degree_extent(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a lon/lat box surely containing the circle of
    `radius_m` metres around (lon, lat).

    Only an index prefilter (so the GiST index on `location` is used): it is widened for the
    shorter longitude degree at this latitude, and the true distance is measured afterwards.
    """
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    lat_deg = radius_m / _METRES_PER_DEGREE * 1.01
    lon_deg = min(radius_m / (_METRES_PER_DEGREE * cos_lat) * 1.01, 180.0)
    return (lon - lon_deg, lat - lat_deg, lon + lon_deg, lat + lat_deg)


def degree_box(point: Point, radius_m: float) -> Polygon:
    """`degree_extent` as a polygon, for the ORM's `bboverlaps`."""
    box = Polygon.from_bbox(degree_extent(point.x, point.y, radius_m))
    box.srid = WGS84
    return box


def within_metres(queryset, point: Point, radius_m: float):
    """Reports within `radius_m` metres of `point`, measured on the spheroid (geography)."""
    return (
        queryset.filter(location__bboverlaps=degree_box(point, radius_m))
        .alias(
            near_match=GeographyDWithin(
                _geography("location"),
                GeographyPoint(Value(point.x), Value(point.y)),
                Value(radius_m),
            )
        )
        .filter(near_match=True)
    )


class GeographyDistance(Func):
    """ST_Distance on geography: metres on the spheroid."""

    function = "ST_Distance"
    output_field = FloatField()


def distance_metres(point: Point) -> GeographyDistance:
    """An expression: the distance in metres from a report's location to `point`."""
    return GeographyDistance(_geography("location"), GeographyPoint(Value(point.x), Value(point.y)))


class ReportSpatialFilter(BaseFilterBackend):
    """`in_bbox=min_lon,min_lat,max_lon,max_lat` and `near=lon,lat&radius_m=` (metres).

    The distance filter first narrows with a bounding box in degrees (so the GiST index on
    `location` is used), widened for the shorter longitude degree, then keeps the points
    within the radius measured on the spheroid.
    """

    def filter_queryset(self, request, queryset, view):
        params = request.query_params
        if params.get("in_bbox"):
            queryset = queryset.filter(location__contained=parse_bbox(params["in_bbox"]))
        near = params.get("near")
        if not near:
            if params.get("radius_m"):
                raise ParseError({"radius_m": RADIUS_WITHOUT_NEAR})
            return queryset
        point = parse_near(near)
        radius = parse_radius(params.get("radius_m"))
        return within_metres(queryset, point, radius)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        def param(name: str, description: str, schema: dict) -> dict:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": schema,
            }

        return [
            param(
                "in_bbox",
                "Bounding box min_lon,min_lat,max_lon,max_lat (WGS 84 degrees).",
                {"type": "string", "example": "105.80,21.00,105.86,21.05"},
            ),
            param(
                "near",
                "Centre lon,lat of a distance filter (WGS 84 degrees).",
                {"type": "string", "example": "105.8342,21.0278"},
            ),
            param(
                "radius_m",
                f"Distance from `near` in metres (default {DEFAULT_RADIUS_M:.0f}).",
                {"type": "number", "maximum": MAX_RADIUS_M},
            ),
        ]


class CommaChoiceFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """`status=received,in_progress`: any of the listed choices."""


class ReportFilter(django_filters.FilterSet):
    """Attribute filters; dates are calendar days in Hanoi, both ends inclusive."""

    status = CommaChoiceFilter(choices=Status.choices, help_text="Comma-separated statuses.")
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), to_field_name="code", help_text="Category code."
    )
    area = django_filters.CharFilter(
        field_name="area__code", max_length=32, help_text="Area (ward) code."
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), to_field_name="code", help_text="Agency code."
    )
    since = django_filters.DateFilter(
        method="filter_since", help_text="Created on or after this day (YYYY-MM-DD, Hanoi)."
    )
    until = django_filters.DateFilter(
        method="filter_until", help_text="Created on or before this day (YYYY-MM-DD, Hanoi)."
    )

    class Meta:
        model = Report
        fields = ["status", "category", "area", "agency", "since", "until"]

    def filter_since(self, queryset, name, value: dt.date):
        return queryset.filter(created_at__gte=_local_midnight(value))

    def filter_until(self, queryset, name, value: dt.date):
        return queryset.filter(created_at__lt=_local_midnight(value + dt.timedelta(days=1)))


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)
