"""Open311 errors: the spec's status codes and the messages clients read.

GeoReport v2 answers errors as a list of {code, description}; the HTTP status is 400 for bad
input (including a point outside every area: the spec has no 422, and Open311 clients treat
anything but 400/403/404 as a server fault), 403 for a missing or invalid api_key and 404 for
an unknown resource. Messages are constants so tests assert on the text clients read.
"""

from __future__ import annotations

from reports.services import DESCRIPTION_MAX

API_KEY_INVALID = "api_key is missing or invalid."
SERVICE_CODE_REQUIRED = "service_code is required."
UNKNOWN_SERVICE_CODE = "Unknown service_code {code!r}."
UNKNOWN_SERVICE = "There is no service {code!r}."
UNKNOWN_REQUEST = "There is no service request {id!r}."
UNKNOWN_TOKEN = "There is no token {token!r}."  # noqa: S105 (a message, not a secret)
UNKNOWN_RESOURCE = (
    "Unknown resource. GeoReport v2 resources are discovery, services, services/{{code}}, "
    "requests, requests/{{id}} and tokens/{{token}}, each ending in .json or .xml."
)
METHOD_NOT_ALLOWED = "{method} is not allowed here; allowed: {allowed}."
LAT_LONG_PAIR = "lat and long must be given together."
LAT_LONG_INVALID = (
    "lat and long must be decimal WGS 84 degrees: lat between -90 and 90, long between "
    "-180 and 180."
)
LOCATION_MISSING = "A location is required: lat and long, or address_string."
ADDRESS_NEEDS_GEOCODER = (
    "Service {code!r} is on-site, so lat and long are required: this server has no geocoder, "
    "and address_string alone is accepted only for administrative services."
)
DESCRIPTION_REQUIRED = "description is required."
DESCRIPTION_TOO_LONG = f"description is longer than {DESCRIPTION_MAX} characters."
FIELD_TOO_LONG = "{field} is longer than {max} characters."
EMAIL_INVALID = "email is not a valid e-mail address."
PHONE_INVALID = "phone must be 8 to 15 digits, optionally starting with +."
MEDIA_URL_INVALID = "media_url must be an http or https URL."
ATTRIBUTE_UNKNOWN = "Service {code!r} has no attribute {attribute!r}."
ATTRIBUTE_REQUIRED = "attribute[{attribute}] is required: {description}"
ATTRIBUTE_NOT_IN_LIST = "attribute[{attribute}] must be one of: {keys}."
ATTRIBUTE_SINGLE = "attribute[{attribute}] takes one value."
ATTRIBUTE_NUMBER = "attribute[{attribute}] must be a number."
ATTRIBUTE_DATETIME = (
    "attribute[{attribute}] must be a W3C datetime, e.g. 2026-01-31T08:00:00+07:00."
)
DATE_INVALID = "{field} must be a W3C datetime, e.g. 2026-01-31T08:00:00+07:00."
DATE_ORDER = "end_date is before start_date."
DATE_SPAN = "start_date and end_date may not span more than {days} days."
STATUS_INVALID = "status must be open, closed or open,closed."
TOO_MANY_IDS = "At most {max} service_request_id values at once."
NOT_STORED = " Nothing was stored."


class Open311Error(Exception):
    """One or more errors to answer in the spec's format with `status`."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)
