"""Project-wide middleware: database outages, rate limits, CSP, metrics and the audit log.

Order in settings.MIDDLEWARE (outermost first): MetricsMiddleware right after
SecurityMiddleware (it times everything and serves /metrics), ContentSecurityPolicyMiddleware
next, and DatabaseUnavailableMiddleware, RateLimitMiddleware, AuditMiddleware after
AuthenticationMiddleware (they need request.user and the resolved route).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from geo import audit, metrics, throttles

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (
    "The database is unavailable for a moment; nothing was stored. Please retry shortly."
)
METRICS_FORBIDDEN = "Metrics need `Authorization: Bearer <METRICS_TOKEN>`."

GetResponse = Callable[[HttpRequest], HttpResponse]


class DatabaseUnavailableMiddleware:
    """Turn a lost database (OperationalError, InterfaceError) into 503 JSON with Retry-After.

    DRF re-raises exceptions its handler does not map (reports.exceptions leaves these to
    DRF's default, which returns None), so they arrive here as view exceptions, for API and
    page views alike. The transaction of the request was rolled back by the failure, so a 503
    means nothing was stored and the client may retry (with the same Idempotency-Key).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        return database_unavailable_response(request, exception)


def database_unavailable_response(request: HttpRequest, exception: Exception) -> JsonResponse:
    """The 503 answer for a request that lost the database (logged without details)."""
    logger.warning(
        "database unavailable during %s %s: %s",
        request.method,
        request.path,
        exception.__class__.__name__,
    )
    response = JsonResponse(
        {"detail": DATABASE_UNAVAILABLE, "code": "database_unavailable"}, status=503
    )
    response["Retry-After"] = str(getattr(settings, "DATABASE_RETRY_AFTER", 5))
    return response


class RateLimitMiddleware:
    """Apply THROTTLE_RULES to views DRF does not throttle (Open311, web forms, admin login,
    DRF views with throttling switched off such as the token exchange)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        if throttles.drf_view_throttles_itself(view_func):
            return None
        if getattr(request, "_civicpin_throttled", False):
            return None
        scope = throttles.scope_for_route(throttles.route_key(request))
        if scope is None:
            return None
        request._civicpin_throttled = True
        try:
            # request.user is lazy: the session lookup may be the first database access, and
            # Django does not pass process_view's exceptions to process_exception.
            user = getattr(request, "user", None)
            refused = throttles.rate_limit_hit(request, scope, user=user)
        except (OperationalError, InterfaceError) as exc:
            return database_unavailable_response(request, exc)
        if refused is None:
            return None
        return throttles.rate_limited_response(scope, *refused)


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy on every answer; a fresh nonce per request.

    HTML pages may run scripts from our own origin and inline scripts that carry
    `nonce="{{ request.csp_nonce }}"`; never 'unsafe-inline' or 'unsafe-eval' for scripts.
    Styles allow 'unsafe-inline' (folium and Leaflet write style attributes; styles cannot
    run code). Everything else (JSON, tiles, CSV) gets `default-src 'none'`: an API answer
    opened in a browser can load and run nothing. CSP_REPORT_ONLY=true sends the policy as
    Content-Security-Policy-Report-Only, to try it out before enforcing.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )
        if header not in response:
            response[header] = csp_policy(response, request.csp_nonce)
        return response


def csp_policy(response: HttpResponse, nonce: str) -> str:
    """The policy for `response`: the page policy for HTML, the locked-down one otherwise."""
    if response.get("Content-Type", "").startswith("text/html"):
        extra_img = " ".join(getattr(settings, "CSP_IMG_SRC_EXTRA", []))
        return "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' 'nonce-{nonce}'",
                "style-src 'self' 'unsafe-inline'",
                f"img-src 'self' data: blob: {extra_img}".strip(),
                "font-src 'self' data:",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
    return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class MetricsMiddleware:
    """Count and time every answer by view; serve /metrics when METRICS_ENABLED is on."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/metrics" and getattr(settings, "METRICS_ENABLED", False):
            return self._scrape(request)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        metrics.request_observe(
            view=match.view_name if match else "unresolved",
            method=request.method if request.method in _METHODS else "OTHER",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response

    def _scrape(self, request: HttpRequest) -> HttpResponse:
        token = getattr(settings, "METRICS_TOKEN", "")
        if token:
            sent = request.headers.get("Authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return JsonResponse({"detail": METRICS_FORBIDDEN}, status=403)
        if request.method != "GET":
            return JsonResponse({"detail": "Only GET is allowed on /metrics."}, status=405)
        try:
            body = metrics.metrics_render()
        except (OperationalError, InterfaceError):
            return JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
        return HttpResponse(body, content_type=metrics.CONTENT_TYPE)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class AuditMiddleware:
    """Write an audit line for every staff user's state-changing request (geo.audit)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method in audit.UNSAFE_METHODS:
            try:
                audit.audit_request(request, response.status_code)
            except (OperationalError, InterfaceError):
                # Role lookup needs the database; an outage is already answered with a 503.
                logger.warning("audit: database unavailable; staff action not classified")
        return response
