"""GeoReport v2 endpoints as plain Django views (format by extension: .json or .xml).

Plain views rather than DRF ones: the spec fixes the wire format (form-encoded POSTs, XML
with its own element names, errors as a list), which DRF's negotiation and error handling
would fight. They are not DRF views, so drf-spectacular leaves them out of /api/schema/;
the README documents them instead. POSTs authenticate by api_key, not cookies, so CSRF does
not apply (csrf_exempt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from open311 import errors, inputs, selectors, services
from open311.errors import Open311Error, not_found
from open311.models import LIST_DATATYPES
from open311.render import respond, respond_errors, w3c_datetime
from reports.exceptions import ReportError
from reports.models import Category, Status

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API's documents last changed (discovery's "changeset").
CHANGESET = "2026-11-22T00:00:00+07:00"
DEFAULT_CONTACT = "The city's civicpin administrators."
KEY_SERVICE = (
    "API keys are issued to client applications by the city's civicpin administrators "
    "(admin: Open311 API clients, or manage.py create_open311_key NAME)."
)
_STATUS_LABELS = dict(Status.choices)


def open311_view(*methods: str) -> Callable:
    """Allow `methods` (and HEAD with GET), answer Open311Error in the spec's format, and
    exempt from CSRF."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str = "xml", **kwargs) -> HttpResponse:
            allowed = (*methods, "HEAD") if "GET" in methods else methods
            if request.method not in allowed:
                message = errors.METHOD_NOT_ALLOWED.format(
                    method=request.method, allowed=", ".join(allowed)
                )
                response = respond_errors(fmt, 405, [message])
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return respond_errors(fmt, exc.status, exc.descriptions)

        return wrapper

    return decorate


def _english(request: HttpRequest) -> bool:
    return getattr(request, "LANGUAGE_CODE", "vi").startswith("en")


@open311_view("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Where the GeoReport v2 endpoint is, in which formats, and whom to ask for a key."""
    url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    content = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", DEFAULT_CONTACT),
        "key_service": KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url.rsplit("/", 1)[0],
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return respond(fmt, "discovery", content)


def _service(category: Category, english: bool) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name_en if english else category.name,
        "description": (
            f"{category.name_en}. Handled within {category.deadline_days} working days."
        ),
        "metadata": category.has_attributes,
        "type": "realtime",
        "keywords": ", ".join([category.group, category.kind]),
        "group": category.get_group_display(),
    }


@open311_view("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every active category as a service; metadata=true where it defines attributes."""
    english = _english(request)
    services_ = [_service(c, english) for c in selectors.service_list()]
    return respond(fmt, "services", services_)


@open311_view("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The attributes a service asks for, in order (an empty list when it asks for none)."""
    category = selectors.service_by_code(code)
    if category is None:
        raise not_found(errors.UNKNOWN_SERVICE.format(code=code[:64]))
    attributes = [
        {
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description,
            "order": a.order,
            "description": a.description,
            **({"values": a.values} if a.datatype in LIST_DATATYPES else {}),
        }
        for a in selectors.service_attributes(category)
    ]
    content = {"service_code": category.code, "attributes": attributes}
    return respond(fmt, "service_definition", content)


def _request(row: dict, request: HttpRequest) -> dict:
    """One service request in the spec's fields, from a public row (no personal data)."""
    english = _english(request)
    photo = selectors.photo_url(row["photo"])
    label = _STATUS_LABELS.get(row["status"], row["status"])
    note = row["status_note"]
    location = row["location"]
    return {
        "service_request_id": row["tracking_code"],
        "status": selectors.open311_status(row["status"]),
        "status_notes": f"{label}: {note}" if note else label,
        "service_name": row["category__name_en"] if english else row["category__name"],
        "service_code": row["category__code"],
        "description": row["description"],
        "agency_responsible": (
            (row["agency__name_en"] or row["agency__name"]) if english else row["agency__name"]
        ),
        "service_notice": "",
        "requested_datetime": w3c_datetime(row["created_at"]),
        "updated_datetime": w3c_datetime(row["updated_at"]),
        "expected_datetime": w3c_datetime(row["due_at"]),
        "address": row["open311_request__address_string"] or "",
        "address_id": "",
        "zipcode": "",
        "lat": location.y if location is not None else None,
        "long": location.x if location is not None else None,
        # Our own re-encoded photo; a client's media_url reference is never republished.
        "media_url": request.build_absolute_uri(photo) if photo else "",
    }


@open311_view("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: public service requests by id or by filters. POST: file one (api_key needed)."""
    if request.method == "POST":
        return _request_create(request, fmt)
    # GET and HEAD (whose body the server drops).
    ids = inputs.request_ids_parse(request.GET)
    if ids is not None:
        rows = selectors.request_rows_by_codes(ids)
    else:
        rows = selectors.request_rows(inputs.request_filter_parse(request.GET))
    return respond(fmt, "service_requests", [_request(row, request) for row in rows])


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    client = selectors.api_client_by_key(request.POST.get("api_key", "").strip())
    if client is None:
        raise Open311Error(403, errors.API_KEY_INVALID)
    submission = inputs.submission_parse(request.POST)
    try:
        stored = services.service_request_submit(client=client, submission=submission)
    except ReportError as exc:
        # Outside every area, or nobody handles the category there: the native API's 422,
        # but GeoReport v2 clients know 400 for a request the server cannot accept.
        raise Open311Error(400, exc.message) from None
    except ValidationError as exc:
        raise Open311Error(400, *[m + errors.NOT_STORED for m in exc.messages]) from None
    report = stored.report
    logger.info("open311 request %s filed by client %s", report.tracking_code, client.pk)
    agency = report.agency.name if report.agency_id else ""
    notice = f"{agency}: hạn xử lý {w3c_datetime(report.due_at)}" if agency else ""
    content = [
        {
            "service_request_id": report.tracking_code,
            "token": stored.token,
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return respond(fmt, "service_requests", content, status=201)


@open311_view("GET")
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    """One public service request (a list of one, as the spec shows)."""
    rows = selectors.request_rows_by_codes([request_id])
    if not rows:
        raise not_found(errors.UNKNOWN_REQUEST.format(id=request_id[:64]))
    return respond(fmt, "service_requests", [_request(rows[0], request)])


@open311_view("GET")
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """The service_request_id behind a token (requests are filed at once, so always known)."""
    stored = selectors.request_by_token(token)
    if stored is None:
        raise not_found(errors.UNKNOWN_TOKEN.format(token=token[:64]))
    content = [{"service_request_id": stored.report.tracking_code, "token": stored.token}]
    return respond(fmt, "service_requests", content)


@open311_view("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
def unknown(request: HttpRequest, fmt: str = "xml", **kwargs) -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404, in the format asked for if any."""
    raise not_found(errors.UNKNOWN_RESOURCE.format())
