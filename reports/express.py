"""The common filing in one round trip: a citizen's app, its API token, a JSON body, a point.

Nearly every `POST /api/v1/reports` is the same request: a citizen's app, signed in with its
API token, sends a category, a description and a point inside the city. The DRF view
(reports.views.ReportListCreateView) files it with three statements, each with the Python
that prepares and reads it: the token with its user and roles (accounts.authentication),
the routing (reports.routing.route_point) and the writes (reports.filing.write). Here the
same filing is one statement (reports.filing.write_citizen), which checks the token, routes
the point and stores the report, its event, its Idempotency-Key and the officials' notices.

This path never refuses anything. What it is not sure to file exactly as the DRF view
would, it hands to that view, which answers as it always has:

- another way of signing in (a session, which needs its CSRF check) or a staff member's
  token (officials, supervisors, planners, staff: their actions are audited, geo.audit);
- photos (multipart), or a body it does not recognise in full: anything DRF's serializer
  would refuse or coerce (a number as text, a "true" string, a GeoJSON string);
- a token, permission or point the statement does not accept: the view answers 401, 403 or
  422 with its message, and files a point near the city's edge that only it snaps inside;
- a reused Idempotency-Key or a tracking code drawn twice: the view replays the first
  report or answers 409, or draws another code.

So every refusal keeps one home, and what this path shares with the view is what both
file: the serializer's fingerprint, the models' fields, the notices' text, the answer's
builders, the rate limits. tests/reports/test_express.py files the same requests both ways
and compares what each stored and answered. bench/results.md (case 2) has what it saves.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer

from accounts.services import token_issued_after
from geo import throttles
from geo.crs import WGS84
from reports import filing, notifications, selectors, services
from reports.deadlines import calendar_load
from reports.models import (
    Category,
    Report,
    Status,
)
from reports.serializers import (
    ReportCreateInput,
    clean_text,
    duplicate_candidates_answer,
    idempotency_key_valid,
    report_created_answer,
    submission_fingerprint,
)
from reports.signals import reports_bulk_changed

# ReportCreateInput's limits, which a body must keep to as it stands.
_INPUT = ReportCreateInput().fields
_CATEGORY_MAX: int = _INPUT["category"].max_length
_DESCRIPTION_RAW_MAX: int = _INPUT["description"].max_length
_ACCURACY_MIN: float = _INPUT["accuracy_m"].min_value
_ACCURACY_MAX: float = _INPUT["accuracy_m"].max_value
_THROTTLE_SCOPE = "report_create"
# Token keys whose user this process has seen, for the per-user rate limit (a key always
# names the same user; the statement still checks it on every filing).
_TOKEN_USERS_MAX = 100_000
_token_users: OrderedDict[str, int] = OrderedDict()


@dataclass(frozen=True)
class Filing:
    """A body's filing, with the values ReportCreateInput would give it."""

    category: Category
    description: str
    lon: float
    lat: float
    accuracy_m: float | None
    public_identity: bool


def _plain_text(value: Any, max_length: int) -> str | None:
    """`value` as DRF's CharField would take it (trimmed), or None where that field would
    refuse or coerce it: not a string, blank, too long, a NUL or a lone surrogate."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > max_length or "\x00" in value:
        return None
    if any(unicodedata.category(c) == "Cs" for c in value):
        return None
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def filing_accepted(body: bytes) -> Filing | None:
    """The filing in a UTF-8 JSON body when ReportCreateInput would accept the body as it
    stands and give these values; None when the DRF view should answer it."""
    try:
        # As DRF's JSONParser reads it: UTF-8 only, and no NaN or Infinity anywhere.
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code = _plain_text(data.get("category"), _CATEGORY_MAX)
    category = selectors.category_by_code(code) if code is not None else None
    description = _plain_text(data.get("description"), _DESCRIPTION_RAW_MAX)
    if category is None or description is None:
        return None
    description = clean_text(description)
    if not description or len(description) > services.DESCRIPTION_MAX:
        return None
    location = data.get("location")
    if not isinstance(location, dict) or location.get("type") != "Point" or "crs" in location:
        return None
    coordinates = location.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) != 2:
        return None
    if not all(_number(c) for c in coordinates):
        return None
    lon, lat = float(coordinates[0]), float(coordinates[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    accuracy = data.get("accuracy_m")
    if accuracy is not None and not (
        _number(accuracy) and _ACCURACY_MIN <= accuracy <= _ACCURACY_MAX
    ):
        return None
    public_identity = data.get("public_identity", False)
    if not isinstance(public_identity, bool):
        return None
    return Filing(
        category=category,
        description=description,
        lon=lon,
        lat=lat,
        accuracy_m=float(accuracy) if accuracy is not None else None,
        public_identity=public_identity,
    )


def _token(request: HttpRequest) -> str | None:
    """The key of `Authorization: Token <key>`, as DRF's TokenAuthentication reads it."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "token" or not parts[1].isascii():
        return None
    return parts[1]


def _token_user(key: str) -> int | None:
    """The id of the user whose token `key` is, remembered once found."""
    user_id = _token_users.get(key)
    if user_id is None:
        found = Token.objects.filter(key=key).values_list("user_id", flat=True).first()
        if found is None:
            return None
        user_id = _token_users[key] = found
        if len(_token_users) > _TOKEN_USERS_MAX:
            _token_users.popitem(last=False)
    return user_id


@dataclass(frozen=True)
class _Counted:
    """The user a rate limit counts a request under (geo.throttles)."""

    pk: int
    is_authenticated: bool = True


def _within_limits(request: HttpRequest, key: str) -> bool:
    """Count the filing against the rate limits the DRF view applies (per user and per
    address); False, with nothing counted, when one is exceeded or the token is unknown:
    the view then answers."""
    if not settings.THROTTLE_ENABLED or not settings.THROTTLE_RULES.get(_THROTTLE_SCOPE):
        return True
    user_id = _token_user(key)
    if user_id is None:
        return False
    if throttles.rate_limit_hit(request, _THROTTLE_SCOPE, user=_Counted(user_id)) is not None:
        return False
    # Counted: the view must not count this request again if it answers after all.
    request._civicpin_throttled = True
    return True


def _file(
    filing_: Filing, *, token: str, key: str | None, request_hash: str
) -> tuple[Report, filing.CitizenWritten] | None:
    """Store the filing as services.report_create would for the token's citizen; None, with
    nothing stored, where the statement found no such citizen or no agency for the point,
    or a constraint refused a row."""
    now = timezone.now()
    category = filing_.category
    report = Report(
        category=category,
        description=filing_.description,
        location=Point(filing_.lon, filing_.lat, srid=WGS84),
        accuracy_m=filing_.accuracy_m,
        status=Status.RECEIVED,
        created_at=now,
        due_at=calendar_load().due_at(now, category.deadline_days),
        public_identity=filing_.public_identity,
        tracking_code=services.tracking_code_new(),
    )
    notice = notifications.new_report_notice_around(report)
    where = {
        "key": (key, request_hash) if key is not None else None,
        "point": (filing_.lon, filing_.lat),
        "token": token,
        "issued_after": token_issued_after(),
    }
    # Inside a caller's transaction (tests) a savepoint, so a refused row does not abort it.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard:
            written = filing.write_citizen(report, notice, **where)
    except IntegrityError:
        return None
    if written is None:
        return None
    return report, written


def _answer(request: HttpRequest, report: Report, written: filing.CitizenWritten) -> HttpResponse:
    """The DRF view's 201 answer for the report just filed."""
    report.photos_filed = []
    answer = report_created_answer(
        report, context={"request": request}, area=written.area, agency=written.agency
    )
    answer["possible_duplicates"] = duplicate_candidates_answer(written.duplicates)
    return HttpResponse(JSONRenderer().render(answer), status=201, content_type="application/json")


def citizen_filing(request: HttpRequest) -> HttpResponse | None:
    """File the request's report in one statement and answer as the DRF view would; None
    when the view should answer (see this module's docstring)."""
    if request.method != "POST" or request.content_type != "application/json":
        return None
    if request.content_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return None
    token = _token(request)
    key = request.headers.get("Idempotency-Key")
    if token is None or (key is not None and not idempotency_key_valid(key)):
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    accepted = filing_accepted(body)
    if accepted is None or not _within_limits(request, token):
        return None
    request_hash = submission_fingerprint(
        category=accepted.category.code,
        description=accepted.description,
        location=(accepted.lon, accepted.lat),
        accuracy_m=accepted.accuracy_m,
        public_identity=accepted.public_identity,
        photo_digests=[],
    )
    filed = _file(accepted, token=token, key=key, request_hash=request_hash)
    if filed is None:
        return None
    report, written = filed
    reports_bulk_changed.send(
        sender=Report, report_ids=[report.pk], also_written=written.also_written
    )
    return _answer(request, report, written)


def citizen_filing_first(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`view`, the DRF view of `POST /api/v1/reports`, with the citizen's filing in front.

    The wrapper carries the view's attributes (functools.wraps): its DRF class, so the
    schema, the rate-limit middleware (geo.throttles.drf_view_throttles_itself) and CSRF
    exemption see the view they always saw."""

    @functools.wraps(view)
    def first(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        answered = citizen_filing(request)
        return answered if answered is not None else view(request, *args, **kwargs)

    return first
