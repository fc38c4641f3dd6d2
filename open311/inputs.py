"""Parsing Open311 parameters into clean values, or an Open311Error naming what was wrong.

The native API's rules are reused rather than restated: category, description and location
go through `reports.serializers.ReportCreateInput` (active category, cleaned description within
its limits, on-site categories need a point). lat/long are parsed here, by hand, into a
Point: GDAL never sees client input.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import phone_validator
from open311 import errors
from open311.errors import bad_request
from open311.models import AttributeDatatype, ServiceAttribute
from open311.selectors import (
    CLOSED,
    DEFAULT_WINDOW,
    MAX_REQUESTS,
    OPEN,
    RequestFilter,
    request_window,
    service_attributes,
    service_by_code,
    statuses_for,
)
from open311.services import Submission, Submitter
from reports import serializers as native_serializers
from reports.models import Category
from reports.serializers import ReportCreateInput, clean_text

ADDRESS_MAX = 500
NAME_MAX = 150
EMAIL_MAX = 254
MEDIA_URL_MAX = 1000
DEVICE_ID_MAX = 200
ATTRIBUTE_TEXT_MAX = 2000

_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
_email = EmailValidator(message=errors.EMAIL_INVALID)
_url = URLValidator(schemes=["http", "https"], message=errors.MEDIA_URL_INVALID)


def _text(data: QueryDict, name: str, max_length: int) -> str:
    value = clean_text(data.get(name, ""))
    if len(value) > max_length:
        raise bad_request(errors.FIELD_TOO_LONG.format(field=name, max=max_length))
    return value


def _point(data: QueryDict) -> tuple[float, float] | None:
    lat, lon = data.get("lat", "").strip(), data.get("long", "").strip()
    if not lat and not lon:
        return None
    if not lat or not lon:
        raise bad_request(errors.LAT_LONG_PAIR)
    try:
        lat_f, lon_f = float(lat), float(lon)
    except ValueError:
        raise bad_request(errors.LAT_LONG_INVALID) from None
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise bad_request(errors.LAT_LONG_INVALID)
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise bad_request(errors.LAT_LONG_INVALID)
    return lon_f, lat_f


def _submitter(data: QueryDict) -> Submitter:
    email = _text(data, "email", EMAIL_MAX)
    if email:
        try:
            _email(email)
        except ValidationError:
            raise bad_request(errors.EMAIL_INVALID) from None
    phone = _PHONE_SEPARATORS.sub("", data.get("phone", ""))
    if phone:
        try:
            phone_validator(phone)
        except ValidationError:
            raise bad_request(errors.PHONE_INVALID) from None
    return Submitter(
        email=email,
        first_name=_text(data, "first_name", NAME_MAX),
        last_name=_text(data, "last_name", NAME_MAX),
        phone=phone,
        device_id=_text(data, "device_id", DEVICE_ID_MAX),
    )


def _media_url(data: QueryDict) -> str:
    url = data.get("media_url", "").strip()
    if not url:
        return ""
    if len(url) > MEDIA_URL_MAX:
        raise bad_request(errors.FIELD_TOO_LONG.format(field="media_url", max=MEDIA_URL_MAX))
    try:
        _url(url)
    except ValidationError:
        raise bad_request(errors.MEDIA_URL_INVALID) from None
    return url


def _attribute_value(attribute: ServiceAttribute, values: list[str]) -> str | list[str] | float:
    code = attribute.code
    values = [clean_text(v) for v in values if clean_text(v)]
    if attribute.datatype == AttributeDatatype.MULTIVALUELIST:
        keys = attribute.value_keys()
        if any(v not in keys for v in values):
            raise bad_request(
                errors.ATTRIBUTE_NOT_IN_LIST.format(attribute=code, keys=", ".join(keys))
            )
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise bad_request(errors.ATTRIBUTE_SINGLE.format(attribute=code))
    value = values[0]
    if attribute.datatype == AttributeDatatype.SINGLEVALUELIST:
        keys = attribute.value_keys()
        if value not in keys:
            raise bad_request(
                errors.ATTRIBUTE_NOT_IN_LIST.format(attribute=code, keys=", ".join(keys))
            )
    elif attribute.datatype == AttributeDatatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            raise bad_request(errors.ATTRIBUTE_NUMBER.format(attribute=code)) from None
        if not math.isfinite(number):
            raise bad_request(errors.ATTRIBUTE_NUMBER.format(attribute=code))
        return number
    elif attribute.datatype == AttributeDatatype.DATETIME:
        parsed = _datetime_or_none(value)
        if parsed is None:
            raise bad_request(errors.ATTRIBUTE_DATETIME.format(attribute=code))
        return parsed.isoformat()
    elif len(value) > ATTRIBUTE_TEXT_MAX:
        raise bad_request(
            errors.FIELD_TOO_LONG.format(field=f"attribute[{code}]", max=ATTRIBUTE_TEXT_MAX)
        )
    return value


def _attributes(data: QueryDict, category: Category) -> dict:
    """attribute[code] (and attribute[code][] for multi-value lists), checked against the
    service definition: unknown codes, missing required ones and values not in a list are 400.
    """
    submitted: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            submitted.setdefault(match.group(1), []).extend(data.getlist(key))
    defined = {a.code: a for a in service_attributes(category) if a.variable}
    for code in submitted:
        if code not in defined:
            unknown = errors.ATTRIBUTE_UNKNOWN.format(code=category.code, attribute=code[:64])
            raise bad_request(unknown)
    answers = {}
    for code, attribute in defined.items():
        values = [v for v in submitted.get(code, []) if clean_text(v)]
        if not values:
            if attribute.required:
                raise bad_request(
                    errors.ATTRIBUTE_REQUIRED.format(
                        attribute=code, description=attribute.description
                    )
                )
            continue
        answers[code] = _attribute_value(attribute, values)
    return answers


def _first_error(detail: dict) -> str:
    """The Open311 wording of the first error the native input serializer found."""
    if "description" in detail:
        error = detail["description"][0]
        too_long = str(error) == native_serializers.DESCRIPTION_TOO_LONG
        return (
            errors.DESCRIPTION_TOO_LONG
            if too_long or error.code == "max_length"
            else (errors.DESCRIPTION_REQUIRED)
        )
    for messages in detail.values():
        return str(messages[0] if isinstance(messages, list) else messages)
    return "Invalid request."


def submission_parse(data: QueryDict) -> Submission:
    """A validated Submission from a POST requests body, or raise a 400 Open311Error."""
    code = data.get("service_code", "").strip()
    if not code:
        raise bad_request(errors.SERVICE_CODE_REQUIRED)
    category = service_by_code(code)
    if category is None:
        raise bad_request(errors.UNKNOWN_SERVICE_CODE.format(code=code[:64]))
    point = _point(data)
    address = _text(data, "address_string", ADDRESS_MAX)
    if point is None and not address:
        raise bad_request(errors.LOCATION_MISSING)
    if point is None and category.needs_location:
        raise bad_request(errors.ADDRESS_NEEDS_GEOCODER.format(code=category.code))
    native = ReportCreateInput(
        data={
            "category": category.code,
            "description": data.get("description", ""),
            "location": {"type": "Point", "coordinates": list(point)} if point else None,
        }
    )
    if not native.is_valid():
        raise bad_request(_first_error(native.errors))
    return Submission(
        category=native.validated_data["category"],
        description=native.validated_data["description"],
        location=native.validated_data.get("location"),
        address_string=address,
        media_url=_media_url(data),
        attributes=_attributes(data, category),
        submitter=_submitter(data),
    )


def _datetime_or_none(value: str) -> dt.datetime | None:
    """A W3C datetime (or a bare date, meaning local midnight), aware; None if unreadable."""
    value = value.strip()
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is None:
                return None
            parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _date_param(data: QueryDict, name: str) -> dt.datetime | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    parsed = _datetime_or_none(raw)
    if parsed is None:
        raise bad_request(errors.DATE_INVALID.format(field=name))
    return parsed


def _comma_list(data: QueryDict, name: str) -> list[str]:
    return [part.strip() for part in data.get(name, "").split(",") if part.strip()]


def request_ids_parse(data: QueryDict) -> list[str] | None:
    """The service_request_id list, which overrides every other parameter; None if absent."""
    ids = _comma_list(data, "service_request_id")
    if not ids:
        return None
    if len(ids) > MAX_REQUESTS:
        raise bad_request(errors.TOO_MANY_IDS.format(max=MAX_REQUESTS))
    return ids


def request_filter_parse(data: QueryDict) -> RequestFilter:
    """service_code, start_date, end_date and status of GET requests, or a 400 Open311Error."""
    start, end = _date_param(data, "start_date"), _date_param(data, "end_date")
    if start is not None and end is not None:
        if end < start:
            raise bad_request(errors.DATE_ORDER)
        if end - start > DEFAULT_WINDOW:
            raise bad_request(errors.DATE_SPAN.format(days=DEFAULT_WINDOW.days))
    start, end = request_window(start, end)
    categories = None
    codes = _comma_list(data, "service_code")
    if codes:
        found = {c.code: c for c in Category.objects.filter(code__in=codes)}
        for code in codes:
            if code not in found:
                raise bad_request(errors.UNKNOWN_SERVICE_CODE.format(code=code[:64]))
        categories = list(found.values())
    statuses = None
    wanted = {s.lower() for s in _comma_list(data, "status")}
    if wanted:
        if not wanted <= {OPEN, CLOSED}:
            raise bad_request(errors.STATUS_INVALID)
        statuses = statuses_for(wanted)
    return RequestFilter(start=start, end=end, categories=categories, statuses=statuses)
