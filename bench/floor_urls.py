"""Filings for case 2 beside the API's: the project's URLs plus two bench-only routes.

`POST /bench/floor` runs case 2's insert-and-route SQL for the same JSON body the API takes,
in one statement behind a bare function view, on the same gunicorn, settings and middleware
as the API: no authentication, validation, idempotency, deadline, notification or answer.
What a filing costs above that rate is the platform's own work; what the floor costs above
pgbench is HTTP, WSGI and Django.

`POST /bench/thin` is the least a filing could be and still do most of the product's work:
the same JSON body checked by hand-written code, and one statement (case 2's `thin_sql`)
that checks the token, its lifetime and the citizen's permission, routes the point, stores
the report, its event, its Idempotency-Key and the officials' notices, and reads back the
possible duplicates for a small JSON answer. It routes as the reference does (the
lowest-level area's agency) rather than by the routing rules' precedence, gives the tiles
no new version, takes its values from no model field and answers anything it did not file
with one 422. The API's own one-statement filing (reports.express) does all of that; the
thin view says what it costs.

Served only by bench.floor_settings, never by geo.settings.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import os
import random
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from geo.urls import urlpatterns as product_urlpatterns
from reports.deadlines import calendar_load
from reports.models import Category
from reports.selectors import duplicates_params
from reports.serializers import (
    clean_text,
    duplicate_candidates_answer,
    idempotency_key_valid,
)
from reports.services import DESCRIPTION_MAX

FLOOR_PATH = "/bench/floor"
THIN_PATH = "/bench/thin"
KEY_REQUIRED = "Required: 1 to 255 printable ASCII characters."
# The possible duplicates' columns thin_sql reads, as reports.serializers'
# duplicate_candidates_answer takes them.
THIN_DUPLICATE_COLUMNS = ("tracking_code", "category_code", "status", "distance_m", "created_at")


@functools.cache
def _setup() -> tuple[str, dict[str, int], list[int]]:
    """The statement, category ids by code and reporters, given by the case (environment)."""
    return (
        os.environ["BENCH_FLOOR_SQL"],
        json.loads(os.environ["BENCH_FLOOR_CATEGORIES"]),
        json.loads(os.environ["BENCH_FLOOR_USERS"]),
    )


@csrf_exempt
def file_floor(request: HttpRequest) -> JsonResponse:
    """Insert and route the report described by the body, in one statement."""
    sql, categories, users = _setup()
    body = json.loads(request.body)
    lon, lat = body["location"]["coordinates"]
    params = {
        "lon": lon,
        "lat": lat,
        "description": body["description"],
        "category": categories[body["category"]],
        "user": random.choice(users),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return JsonResponse({}, status=201)


@functools.cache
def _thin_categories() -> dict[str, tuple[int, int]]:
    """code → (id, working days to handle) of every active category."""
    rows = Category.objects.filter(active=True).values_list("code", "id", "deadline_days")
    return {code: (pk, days) for code, pk, days in rows}


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _thin_errors(body: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """The body's mistakes by field, and the values when there are none."""
    if not isinstance(body, dict):
        return {"detail": "The body must be a JSON object."}, {}
    errors, values = {}, {}
    category = _thin_categories().get(body.get("category"))
    if category is None:
        errors["category"] = "Unknown category."
    description = body.get("description")
    description = clean_text(description) if isinstance(description, str) else ""
    if not description or len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Describe the problem in 1 to {DESCRIPTION_MAX} characters."
    location = body.get("location")
    coordinates = location.get("coordinates") if isinstance(location, dict) else None
    if (
        not isinstance(location, dict)
        or location.get("type") != "Point"
        or not isinstance(coordinates, list)
        or len(coordinates) != 2
        or not all(_finite_number(c) for c in coordinates)
        or not (-180 <= coordinates[0] <= 180 and -90 <= coordinates[1] <= 90)
    ):
        errors["location"] = "A GeoJSON Point of WGS 84 longitude and latitude."
    accuracy = body.get("accuracy_m")
    if accuracy is not None and not (_finite_number(accuracy) and accuracy >= 0):
        errors["accuracy_m"] = "A number of metres."
    if not errors:
        values = {
            "category": category,
            "description": description,
            "lon": float(coordinates[0]),
            "lat": float(coordinates[1]),
            "accuracy": accuracy,
        }
    return errors, values


def _thin_credentials(request: HttpRequest) -> tuple[str, str, tuple[dict, int] | None]:
    """The token and the Idempotency-Key, or the answer refusing them."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key = request.headers.get("Idempotency-Key", "")
    if scheme != "Token" or not token:
        return token, key, ({"detail": "Authentication credentials were not provided."}, 401)
    if not idempotency_key_valid(key):
        return token, key, ({"Idempotency-Key": KEY_REQUIRED}, 400)
    return token, key, None


def _thin_file(
    *, token: str, key: str, category_id: int, working_days: int, request_hash: str, **values
) -> tuple[dict, int]:
    """Run the thin statement for checked values (description, lon, lat, accuracy) and give
    the answer and its status."""
    now = timezone.now()
    params = {
        **values,
        "category": category_id,
        "token": token,
        "issued_after": now - dt.timedelta(days=settings.API_TOKEN_TTL_DAYS or 36500),
        "due": calendar_load().due_at(now, working_days),
        "key": key,
        "request_hash": request_hash,
    }
    point = Point(values["lon"], values["lat"], srid=4326)
    duplicates = duplicates_params(point=point, category_id=category_id, exclude_id=0)
    params.update((f"d{i}", value) for i, value in enumerate(duplicates))
    try:
        with connection.cursor() as cursor:
            cursor.execute(os.environ["BENCH_THIN_SQL"], params)
            rows = cursor.fetchall()
    except IntegrityError:
        return {"Idempotency-Key": "Already used."}, 409
    if not rows:
        return {"detail": "Not filed: token, permission or place."}, 422
    nearby = [dict(zip(THIN_DUPLICATE_COLUMNS, row[1:], strict=True)) for row in rows if row[1]]
    answer = {
        "tracking_code": rows[0][0],
        "status": "received",
        "due_at": params["due"],
        "location": {"type": "Point", "coordinates": [values["lon"], values["lat"]]},
        "possible_duplicates": duplicate_candidates_answer(nearby),
    }
    return answer, 201


@csrf_exempt
def file_thin(request: HttpRequest) -> JsonResponse:
    """File the report described by the body for the token's citizen, in one statement."""
    token, key, refused = _thin_credentials(request)
    if refused is not None:
        return JsonResponse(refused[0], status=refused[1])
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "The body is not JSON."}, status=400)
    errors, values = _thin_errors(body)
    if errors:
        return JsonResponse(errors, status=400)
    category_id, working_days = values.pop("category")
    answer, status = _thin_file(
        token=token,
        key=key,
        category_id=category_id,
        working_days=working_days,
        request_hash=hashlib.sha256(request.body).hexdigest(),
        **values,
    )
    return JsonResponse(answer, status=status)


urlpatterns = [
    *product_urlpatterns,
    path(FLOOR_PATH.lstrip("/"), file_floor),
    path(THIN_PATH.lstrip("/"), file_thin),
]
