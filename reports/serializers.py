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
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.crs import WGS84
from reports import permissions, selectors, services
from reports.models import (
    Agency,
    Category,
    Redaction,
    RedactionTarget,
    Report,
    ReportEvent,
    ReportPhoto,
    Status,
)

if TYPE_CHECKING:
    from boundaries.models import Area

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
PHOTO_ID_REQUIRED = "Redacting a photo needs its photo_id."

# Control characters other than tab and newline; carriage returns are normalised first.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible format characters with no place in a description: zero-width space, word joiner,
# byte-order mark, and the bidirectional embeddings, overrides and isolates that can make
# text display in another order than it reads ("Trojan source"). Zero-width (non-)joiners
# stay: emoji sequences and some scripts need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def clean_text(value: str) -> str:
    """Normalise to NFC, unify line ends, drop control and invisible format characters,
    trim; text with nothing visible left (only spaces and joiners) becomes empty."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _INVISIBLE.sub("", _CONTROL.sub("", value)).strip()
    if not any(unicodedata.category(c)[0] not in "CZ" for c in value):
        return ""
    return value


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
    public_identity = serializers.BooleanField(
        default=False,
        help_text="Show your first name on the public report (default: anonymous).",
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

    def fingerprint(self, photo_digests: list[str] | None = None) -> str:
        """A hash of the validated submission (and its photos' bytes), to tell a retry from a
        different report."""
        data = self.validated_data
        location = data.get("location")
        return submission_fingerprint(
            category=data["category"].code,
            description=data["description"],
            location=(location.x, location.y) if location is not None else None,
            accuracy_m=data.get("accuracy_m"),
            public_identity=data.get("public_identity", False),
            photo_digests=photo_digests or [],
        )


def submission_fingerprint(
    *,
    category: str,
    description: str,
    location: tuple[float, float] | None,
    accuracy_m: float | None,
    public_identity: bool,
    photo_digests: list[str],
) -> str:
    """The hash of a checked filing that tells a retry (same Idempotency-Key, same hash) from
    a different report under a reused key; reports.express takes it for its filings too."""
    canonical = {
        "category": category,
        "description": description,
        "location": list(location) if location is not None else None,
        "accuracy_m": accuracy_m,
        "public_identity": public_identity,
        "photos": photo_digests,
    }
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


class ReportCreateForm(ReportCreateInput):
    """The multipart/form-data shape of filing (documentation): `location` is GeoJSON text,
    `photos` a repeatable file field, checked by reports.photos (not by this serializer)."""

    location = serializers.CharField(
        required=False, help_text='GeoJSON text: {"type": "Point", "coordinates": [lon, lat]}'
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=4,
        help_text="Up to 4 photos of 10 MB: JPEG, PNG, WebP or HEIC.",
    )


class DefaultTrueBooleanField(serializers.BooleanField):
    """A boolean whose default also holds in a form: DRF reads a checkbox absent from
    multipart data as False, which would make a resolution with an after photo internal."""

    default_empty_html = empty


class TransitionInput(serializers.Serializer):
    to_status = StatusChoiceField()
    note = serializers.CharField(max_length=services.NOTE_MAX, required=False, allow_blank=True)
    public = DefaultTrueBooleanField(default=True)
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


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=services.NOTE_MAX)
    public = serializers.BooleanField(default=False)

    def validate_note(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError(services.NOTE_REQUIRED)
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


class PhotoSerializer(serializers.ModelSerializer):
    """A photo's public URLs (re-encoded, no metadata) and whether it shows before or after."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportPhoto
        fields = ["id", "url", "thumbnail_url", "kind", "width", "height"]
        read_only_fields = fields

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, photo: ReportPhoto) -> str:
        return self._absolute(photo.image.url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, photo: ReportPhoto) -> str:
        return self._absolute(photo.thumbnail.url)


class FeedbackSerializer(serializers.Serializer):
    """Whether the reporter and followers may still confirm or reject the resolution."""

    open = serializers.BooleanField()
    deadline = serializers.DateTimeField()
    can_respond = serializers.BooleanField()


class RatingSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average = serializers.FloatField()


class ReporterSerializer(serializers.Serializer):
    """Who filed the report: for the handling agency's officials and supervisors only."""

    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField(source="profile.phone", default="")


class RedactionSerializer(serializers.ModelSerializer):
    """A redaction with its original (supervisors only)."""

    class Meta:
        model = Redaction
        fields = ["target", "photo", "original_text", "original_file", "reason", "created_at"]
        read_only_fields = fields


# What the detail adds to a list feature (a test holds the rest equal).
DETAIL_ONLY_FIELDS = (
    "reopened_count",
    "photos",
    "supporters_count",
    "feedback",
    "rating",
    "reported_by",
    "timeline",
)


class ReportDetailSerializer(ReportFeatureSerializer):
    """One report and the timeline its reader may see (the public one for the public).

    Adds its photos, supporters, the feedback window of a resolution and its rating summary.
    `reported_by` is the reporter's first name only when they chose to be shown; the full
    `reporter` (and `redactions` with originals) appear only for those allowed to see them.
    """

    timeline = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    supporters_count = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    reported_by = serializers.SerializerMethodField()

    class Meta(ReportFeatureSerializer.Meta):
        fields = [*ReportFeatureSerializer.Meta.fields, *DETAIL_ONLY_FIELDS]
        read_only_fields = fields

    def to_representation(self, report: Report) -> dict:
        data = super().to_representation(report)
        user = self._user()
        properties = data["properties"]
        if permissions.can_see_reporter(user, report):
            properties["reporter"] = ReporterSerializer(selectors.reporter_of(report)).data
        if permissions.can_read_redacted(user):
            properties["redactions"] = RedactionSerializer(
                selectors.redactions_for(report), many=True
            ).data
        return data

    def _user(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, report: Report) -> list[dict]:
        events = self.context["events"]
        return EventSerializer(events, many=True).data

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, report: Report) -> list[dict]:
        return PhotoSerializer(
            selectors.report_photos_visible(report), many=True, context=self.context
        ).data

    @extend_schema_field(OpenApiTypes.INT)
    def get_supporters_count(self, report: Report) -> int:
        return selectors.supporters_count(report)

    @extend_schema_field(FeedbackSerializer(allow_null=True))
    def get_feedback(self, report: Report) -> dict | None:
        if report.status != Status.RESOLVED or report.resolved_at is None:
            return None
        deadline = services.feedback_deadline(report)
        is_open = (self.context.get("now") or timezone.now()) <= deadline
        return FeedbackSerializer(
            {
                "open": is_open,
                "deadline": deadline,
                "can_respond": is_open and services.may_give_feedback(self._user(), report),
            }
        ).data

    @extend_schema_field(RatingSummarySerializer(allow_null=True))
    def get_rating(self, report: Report) -> dict | None:
        return selectors.rating_summary(report)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_reported_by(self, report: Report) -> str | None:
        return selectors.reporter_public_name(report)


class DuplicateCandidateSerializer(serializers.Serializer):
    """An open report nearby of the same category: maybe the same problem."""

    tracking_code = serializers.CharField()
    category = serializers.CharField(source="category_code")
    status = serializers.CharField()
    distance_m = serializers.FloatField()
    created_at = serializers.DateTimeField()


class NearbyReportSerializer(DuplicateCandidateSerializer):
    supporters_count = serializers.IntegerField()
    location = PointInputField()


class NearbyQuery(serializers.Serializer):
    """`?lat=&lon=&category=&radius_m=` of the nearby search; every error names its field."""

    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    category = serializers.CharField(max_length=64, required=False)
    radius_m = serializers.FloatField(
        required=False,
        default=selectors.NEARBY_DEFAULT_RADIUS_M,
        min_value=1,
        max_value=selectors.NEARBY_MAX_RADIUS_M,
    )

    def validate_category(self, value: str) -> Category:
        category = selectors.category_by_code(value.strip())
        if category is None:
            raise serializers.ValidationError(UNKNOWN_CATEGORY.format(code=value))
        return category

    def validate(self, attrs: dict) -> dict:
        for name in ("lat", "lon", "radius_m"):
            if not math.isfinite(attrs[name]):
                raise serializers.ValidationError({name: "Must be a finite number."})
        attrs["point"] = Point(attrs["lon"], attrs["lat"], srid=WGS84)
        return attrs


class SupportSerializer(serializers.Serializer):
    supporters_count = serializers.IntegerField()
    following = serializers.BooleanField()


class ConfirmInput(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )

    def validate_comment(self, value: str) -> str:
        return clean_text(value)


class NotFixedInput(serializers.Serializer):
    comment = serializers.CharField(max_length=services.NOTE_MAX)

    def validate_comment(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError(services.NOT_FIXED_NEEDS_COMMENT)
        return value


class RedactInput(serializers.Serializer):
    target = serializers.ChoiceField(choices=RedactionTarget.choices)
    photo_id = serializers.IntegerField(required=False, min_value=1)
    reason = serializers.CharField(max_length=services.NOTE_MAX)

    def validate_reason(self, value: str) -> str:
        value = clean_text(value)
        if not value:
            raise serializers.ValidationError(services.REDACT_NEEDS_REASON)
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs["target"] == RedactionTarget.PHOTO and "photo_id" not in attrs:
            raise serializers.ValidationError({"photo_id": PHOTO_ID_REQUIRED})
        return attrs


class ReportCreatedSerializer(serializers.Serializer):
    """What the citizen gets back after filing: the code to follow it by, and who has it.

    Its fields are declared rather than read off the model (a ModelSerializer builds them
    from the model's fields on every answer): a third of the answer's time on every filing.
    """

    tracking_code = serializers.CharField(
        read_only=True, help_text=Report._meta.get_field("tracking_code").help_text
    )
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    category = serializers.CharField(source="category.code", read_only=True)
    area = _NamedRef(allow_null=True, read_only=True)
    agency = _NamedRef(allow_null=True, read_only=True)
    location = PointInputField(allow_null=True, read_only=True)
    accuracy_m = serializers.FloatField(allow_null=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    public_identity = serializers.BooleanField(
        read_only=True, help_text=Report._meta.get_field("public_identity").help_text
    )
    photos = serializers.SerializerMethodField()

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, report: Report) -> list[dict]:
        return PhotoSerializer(_filed_photos(report), many=True, context=self.context).data


def _filed_photos(report: Report) -> list:
    """A report just filed carries the photos it was filed with (services.report_create);
    an idempotent replay's earlier report is read like any other."""
    filed = getattr(report, "photos_filed", None)
    return filed if filed is not None else list(selectors.report_photos_visible(report))


# Fields used unbound, for their representation alone (report_created_answer).
_ANSWER_TIME = serializers.DateTimeField(read_only=True)
_ANSWER_POINT = PointInputField(read_only=True)


_NAMED = ("code", "name")


def _named(ref: Agency | Area | None) -> dict | None:
    return {"code": ref.code, "name": ref.name} if ref is not None else None


def report_created_answer(
    report: Report,
    *,
    context: dict,
    area: tuple[str, str] | None = None,
    agency: tuple[str, str] | None = None,
) -> dict:
    """`ReportCreatedSerializer(report, context=context).data`, built directly (the tests
    keep the two equal; the serializer documents the answer). `area` and `agency` (code,
    name) stand for the report's own where the filer read them rather than load them.

    A serializer deep-copies each of its declared fields, which builds every field anew, on
    every instance: for this answer that was most of its 0.3 ms per filing, on the
    platform's hottest write; what each field does to its value is a few microseconds.
    """
    photos = _filed_photos(report)
    location = report.location
    return {
        "tracking_code": report.tracking_code,
        "status": str(report.status),
        "category": report.category.code,
        "area": _named(report.area) if area is None else dict(zip(_NAMED, area, strict=True)),
        "agency": (
            _named(report.agency) if agency is None else dict(zip(_NAMED, agency, strict=True))
        ),
        "location": _ANSWER_POINT.to_representation(location) if location is not None else None,
        "accuracy_m": float(report.accuracy_m) if report.accuracy_m is not None else None,
        "created_at": _ANSWER_TIME.to_representation(report.created_at),
        "due_at": _ANSWER_TIME.to_representation(report.due_at),
        "public_identity": bool(report.public_identity),
        "photos": PhotoSerializer(photos, many=True, context=context).data if photos else [],
    }


def duplicate_candidates_answer(candidates: list[dict]) -> list[dict]:
    """`DuplicateCandidateSerializer(candidates, many=True).data`, built directly for the
    filing's answer (the tests keep the two equal), for the reason report_created_answer
    gives."""
    return [
        {
            "tracking_code": str(candidate["tracking_code"]),
            "category": str(candidate["category_code"]),
            "status": str(candidate["status"]),
            "distance_m": float(candidate["distance_m"]),
            "created_at": _ANSWER_TIME.to_representation(candidate["created_at"]),
        }
        for candidate in candidates
    ]


class TransitionForm(TransitionInput):
    """The multipart form of a transition (documentation): `photo` is the after photo of a
    resolution, checked by reports.photos."""

    photo = serializers.FileField(required=False, help_text="After photo (to_status=resolved).")


class ReportCreatedAnswer(ReportCreatedSerializer):
    """The filing answer as documented: the report, open reports of its category within
    250 m that may be the same problem, and (only when the report has no location and a
    photo carried one) the photo's EXIF position, which is never stored."""

    possible_duplicates = DuplicateCandidateSerializer(many=True, read_only=True)
    suggested_location = PointInputField(read_only=True, required=False)
