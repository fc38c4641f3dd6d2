"""Domain errors of the reports app, and the one place they become HTTP answers.

Services raise these; views never catch them. `api_exception_handler` (set as DRF's
EXCEPTION_HANDLER) maps them: a move the workflow forbids is a conflict with the report's
state (409), acting outside your agency is forbidden (403), a report that cannot be routed or
an idempotency key reused for a different submission is unprocessable (422). Django's own
ValidationError, raised by `full_clean` in services, becomes a 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

# Messages are constants so tests assert on the same text users read.
TRANSITION_NOT_ALLOWED = "A report cannot move from {old!r} to {new!r}."
NOT_PERMITTED = "You may not act on this report: it belongs to another agency."
NOT_PERMITTED_ROLE = "Only officials of the handling agency or supervisors may do this."
NOT_PERMITTED_EXTEND = "Only supervisors or the head of the handling agency may extend deadlines."
OUTSIDE_EVERY_AREA = (
    "The location ({lon:.6f}, {lat:.6f}) is outside every area this service covers; "
    "nothing was stored."
)
NO_BOUNDARIES = "No boundary generation is active yet, so reports cannot be routed."
NO_AGENCY = (
    "No agency handles category {category!r} in {area!r} yet; nothing was stored. "
    "An administrator must create its agency (manage.py create_agencies) or a routing rule."
)
NO_AGENCY_WITHOUT_LOCATION = (
    "Category {category!r} needs a location to find the responsible agency; nothing was stored."
)
IDEMPOTENCY_KEY_REUSED = (
    "This Idempotency-Key was already used for a different submission; use a new key."
)


class ReportError(Exception):
    """Base of the domain errors; `http_status` is what the API answers."""

    http_status = status.HTTP_400_BAD_REQUEST
    code = "report_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(ReportError):
    http_status = status.HTTP_409_CONFLICT
    code = "transition_not_allowed"


class NotPermitted(ReportError):
    http_status = status.HTTP_403_FORBIDDEN
    code = "not_permitted"


class NotRouted(ReportError):
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "not_routed"


class IdempotencyConflict(ReportError):
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain errors above and Django's ValidationError."""
    if isinstance(exc, ReportError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
