"""Project-level views that belong to no single app."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unreachable; reports cannot be taken right now."


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Say whether the platform can serve: the database answers and PostGIS is loaded.

    Load balancers and the city's monitoring poll this, so it answers 503 with a message
    (never a traceback) when the database is away.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), postgis_lib_version()")
            pg_version, postgis_version = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("healthz: database check failed: %s", exc.__class__.__name__)
        return JsonResponse({"status": "unavailable", "detail": DATABASE_UNAVAILABLE}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": {"postgresql": pg_version, "postgis": postgis_version},
        }
    )
