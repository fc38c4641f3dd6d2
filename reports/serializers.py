"""Input and output shapes of the reports API.

Inputs are plain serializers that validate and hand clean values to services. Outputs are
read-only and never include the reporter: no username, name, e-mail or phone, and no actor of
an event either (a timeline says what happened, not which clerk typed it).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from typing import Any

from django.contrib.gis.geos import Point
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.crs import WGS84
from reports import selectors, services
from reports.models import Agency, Category, Report, ReportEvent, Status

UNKNOWN_CATEGORY = "Unknown category {code!r}."
UNKNOWN_AGENCY = "Unknown agency {code!r}."
UNKNOWN_REPORT = "Unknown report {code!r}."
LOCATION_REQUIRED = "Category {code!r} is on-site: a location is required."
DESCRIPTION_EMPTY = "Describe the problem (the description is empty)."
DESCRIPTION_TOO_LONG = f"The description is longer than {services.DESCRIPTION_MAX} characters."
BAD_POINT = (
    'location must be a GeoJSON Point: {"type": "Point", "coordinates": [lon, lat]} with '
    "longitude -180..180 and latitude -90..90 in WGS 84 degrees."
)
POINT_CRS = "location must be in WGS 84 longitude/latitude (GeoJSON has no crs member)."
IDEMPOTENCY_KEY_INVALID = "Idempotency-Key must be 1 to 255 visible ASCII characters."

# Control characters other than tab and newline; carriage returns are normalised first.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def clean_text(value: str) -> str:
    """Normalise to NFC, unify line ends, drop control characters, trim."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def idempotency_key_valid(key: str) -> bool:
    return bool(_IDEMPOTENCY_KEY.match(key))


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2},
        },
        "example": {"type": "Point", "coordinates": [105.8342, 21.0278]},
    }
)
class PointInputField(serializers.Field):
    """A GeoJSON Point parsed by hand: GDAL 3.6 must never see user-supplied geometry."""

    # DRF formats these with str.format, and the example in BAD_POINT has braces.
    default_error_messages = {
        "invalid": BAD_POINT.replace("{", "{{").replace("}", "}}"),
        "crs": POINT_CRS,
    }

    def to_internal_value(self, data: Any) -> Point:
        if isinstance(data, str) and len(data) <= 1000:
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict) or data.get("type") != "Point":
            self.fail("invalid")
        if "crs" in data:
            self.fail("crs")
        coordinates = data.get("coordinates")
        if not isinstance(coordinates, list | tuple) or len(coordinates) not in (2, 3):
            self.fail("invalid")
        if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates):
            self.fail("invalid")
        lon, lat = float(coordinates[0]), float(coordinates[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            self.fail("invalid")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.fail("invalid")
        return Point(lon, lat, srid=WGS84)

    def to_representation(self, value: Point) -> dict:
        return {"type": "Point", "coordinates": [value.x, value.y]}


@extend_schema_field({"type": "string", "enum": list(Status.values)})
class StatusChoiceField(serializers.ChoiceField):
    """A status choice documented inline, so the schema keeps one named status enum."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Status.choices, **kwargs)


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["code", "name", "name_en", "group", "kind", "deadline_days"]


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name", "name_en", "kind"]


class ReportCreateInput(serializers.Serializer):
    category = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX * 2)
    location = PointInputField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=100_000
    )

    def validate_category(self, value: str) -> Category:
        category = selectors.category_by_code(value.strip())
        if category is None:
            raise serializers.ValidationError(UNKNOWN_CATEGORY.format(code=value))
        return category

    def validate_description(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError(DESCRIPTION_EMPTY)
        if len(value) > services.DESCRIPTION_MAX:
            raise serializers.ValidationError(DESCRIPTION_TOO_LONG)
        return value

    def validate_accuracy_m(self, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise serializers.ValidationError("accuracy_m must be a finite number of metres.")
        return value

    def validate(self, attrs: dict) -> dict:
        category: Category = attrs["category"]
        if category.needs_location and attrs.get("location") is None:
            raise serializers.ValidationError(
                {"location": LOCATION_REQUIRED.format(code=category.code)}
            )
        return attrs

    def fingerprint(self) -> str:
        """A hash of the validated submission, to tell a retry from a different report."""
        data = self.validated_data
        location = data.get("location")
        canonical = {
            "category": data["category"].code,
            "description": data["description"],
            "location": [location.x, location.y] if location is not None else None,
            "accuracy_m": data.get("accuracy_m"),
        }
        encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


class TransitionInput(serializers.Serializer):
    to_status = StatusChoiceField()
    note = serializers.CharField(max_length=services.NOTE_MAX, required=False, allow_blank=True)
    public = serializers.BooleanField(default=True)
    duplicate_of = serializers.CharField(max_length=32, required=False)

    def validate_note(self, value: str) -> str:
        return clean_text(value)

    def validate_duplicate_of(self, value: str) -> Report:
        report = selectors.report_by_code(value).first()
        if report is None:
            raise serializers.ValidationError(UNKNOWN_REPORT.format(code=value))
        return report


class TransferInput(serializers.Serializer):
    agency = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=services.NOTE_MAX)

    def validate_agency(self, value: str):
        agency = selectors.agency_by_code(value.strip())
        if agency is None:
            raise serializers.ValidationError(UNKNOWN_AGENCY.format(code=value))
        return agency

    def validate_reason(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError(services.TRANSFER_NEEDS_REASON)
        return value


class ExtendDeadlineInput(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=services.MAX_EXTENSION_DAYS)
    reason = serializers.CharField(max_length=services.NOTE_MAX)

    def validate_reason(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError(services.EXTEND_NEEDS_REASON)
        return value


class EventSerializer(serializers.ModelSerializer):
    """One timeline entry; who acted is deliberately absent."""

    old_status = serializers.CharField()
    new_status = serializers.CharField()
    from_agency = serializers.CharField(source="from_agency.name", default=None)
    to_agency = serializers.CharField(source="to_agency.name", default=None)

    class Meta:
        model = ReportEvent
        fields = [
            "kind",
            "old_status",
            "new_status",
            "note",
            "public",
            "from_agency",
            "to_agency",
            "created_at",
        ]


class _NamedRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ReportFeatureSerializer(GeoFeatureModelSerializer):
    """A report as a GeoJSON Feature (id = tracking code), with no personal data."""

    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    category_name_en = serializers.CharField(source="category.name_en")
    area = _NamedRef(allow_null=True)
    agency = _NamedRef(allow_null=True)
    overdue = serializers.SerializerMethodField()
    late = serializers.SerializerMethodField()

    class Meta:
        model = Report
        geo_field = "location"
        id_field = "tracking_code"
        fields = [
            "tracking_code",
            "category",
            "category_name",
            "category_name_en",
            "description",
            "status",
            "area",
            "agency",
            "accuracy_m",
            "created_at",
            "due_at",
            "resolved_at",
            "closed_at",
            "overdue",
            "late",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, report: Report) -> bool:
        return report.is_overdue(self.context.get("now"))

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_late(self, report: Report) -> bool:
        return report.is_late


class ReportDetailSerializer(ReportFeatureSerializer):
    """One report and the timeline its reader may see (the public one for the public)."""

    timeline = serializers.SerializerMethodField()

    class Meta(ReportFeatureSerializer.Meta):
        fields = [*ReportFeatureSerializer.Meta.fields, "timeline"]
        read_only_fields = fields

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, report: Report) -> list[dict]:
        events = self.context["events"]
        return EventSerializer(events, many=True).data


class ReportCreatedSerializer(serializers.ModelSerializer):
    """What the citizen gets back after filing: the code to follow it by, and who has it."""

    category = serializers.CharField(source="category.code")
    area = _NamedRef(allow_null=True)
    agency = _NamedRef(allow_null=True)
    location = PointInputField(allow_null=True)

    class Meta:
        model = Report
        fields = [
            "tracking_code",
            "status",
            "category",
            "area",
            "agency",
            "location",
            "accuracy_m",
            "created_at",
            "due_at",
        ]
        read_only_fields = fields
