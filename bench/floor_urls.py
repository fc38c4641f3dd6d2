"""The Django floor of a filing: the project's URLs plus one bench-only route.

`POST /bench/floor` runs case 2's insert-and-route SQL for the same JSON body the API takes,
in one statement behind a bare function view, on the same gunicorn, settings and middleware
as the API: no authentication, validation, idempotency, deadline, notification or answer.
What a filing costs above that rate is the platform's own work; what the floor costs above
pgbench is HTTP, WSGI and Django. Served only by bench.floor_settings, never by geo.settings.
"""

from __future__ import annotations

import functools
import json
import os
import random

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from geo.urls import urlpatterns as product_urlpatterns

FLOOR_PATH = "/bench/floor"


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


urlpatterns = [*product_urlpatterns, path(FLOOR_PATH.lstrip("/"), file_floor)]
