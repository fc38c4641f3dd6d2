"""Abuse limits: per-user and per-IP rate limits on report creation, sign-up and sign-in.

One table of rules (settings.THROTTLE_RULES) names, per *scope*, the routes it covers as
"METHOD namespace:url_name" and the rates that apply: `user` (per signed-in user, or for
sign-in per username tried) and `ip` (per client address). Counters live in Django's cache
(Redis in production, so every worker shares them), in fixed windows per rate period.

The same rules are enforced in two places, never both for one request:
- `RouteThrottle`, the global DRF throttle (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]), for
  DRF views: it runs after DRF authentication, so token users are counted per user;
- `RateLimitMiddleware` (geo.middleware) for every other view: Open311, the web forms, the
  admin login, and DRF views that switch throttling off (DRF's ObtainAuthToken does).
  Non-DRF views may also be wrapped explicitly with `@rate_limited("report_create")`.

An exceeded limit answers 429 with `Retry-After` (seconds until the window ends) and a message.
Rates are "N/second|minute|hour|day"; THROTTLE_ENABLED=false turns every limit off (tests
raise or disable limits with settings overrides).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.throttling import BaseThrottle

RATE_LIMITED = "Too many requests for {scope}: at most {rate}. Try again in {wait} seconds."

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Sign-in bodies are read to count attempts per username; a bigger body is not a sign-in.
_MAX_SIGNIN_BODY = 16 * 1024


@dataclass(frozen=True)
class Limit:
    """`count` requests per `period` seconds."""

    count: int
    period: int
    text: str


def rate_parse(rate: str) -> Limit:
    """Parse "20/hour" (also "20/h", "5/minute", "1/s", "100/day") into a Limit."""
    try:
        count_text, unit = rate.strip().split("/", 1)
        count = int(count_text)
        period = _PERIODS[unit.strip()[0].lower()]
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"invalid rate {rate!r}; expected e.g. '20/hour'") from exc
    if count < 1:
        raise ValueError(f"invalid rate {rate!r}; the count must be at least 1")
    return Limit(count, period, rate.strip())


def client_ip(request: HttpRequest) -> str:
    """The client address. Behind a proxy, set THROTTLE_TRUSTED_PROXY_HOPS to the number of
    proxies that append to X-Forwarded-For; otherwise the header is ignored (a client could
    forge it to dodge its limit)."""
    hops = getattr(settings, "THROTTLE_TRUSTED_PROXY_HOPS", 0)
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def route_key(request: HttpRequest) -> str | None:
    """ "METHOD namespace:url_name" of a resolved request, or None before resolution."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return None
    return f"{request.method} {match.view_name}"


def scope_for_route(route: str | None) -> str | None:
    """The throttle scope whose rule lists `route`, if any."""
    if route is None:
        return None
    for scope, rule in settings.THROTTLE_RULES.items():
        if route in rule.get("routes", ()):
            return scope
    return None


def _signin_username(request: HttpRequest) -> str:
    """The username a sign-in attempt names (form or JSON body), lower-cased; "" if none."""
    if request.method != "POST":
        return ""
    content_type = request.META.get("CONTENT_TYPE", "")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if length > _MAX_SIGNIN_BODY:
        return ""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(request.body or b"{}")
            name = data.get("username", "") if isinstance(data, dict) else ""
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            name = request.POST.get("username", "")
        else:
            return ""
    except (ValueError, UnicodeDecodeError):
        return ""
    return name.strip().lower()[:150] if isinstance(name, str) else ""


def _identities(request: HttpRequest, scope: str, user: Any) -> list[tuple[str, str]]:
    """(kind, identity) pairs to count this request under: its IP, and its user."""
    idents = [("ip", client_ip(request))]
    if scope == "signin":
        name = _signin_username(request)
        if name:
            idents.append(("user", name))
    elif user is not None and getattr(user, "is_authenticated", False):
        idents.append(("user", str(user.pk)))
    return idents


def rate_limit_hit(request: HttpRequest, scope: str, *, user: Any = None) -> tuple[str, int] | None:
    """Count this request against `scope`; return (rate text, seconds to wait) if refused.

    Every applicable counter is incremented only when all of them still have room, so a
    refused request does not push the client's window further.
    """
    if not getattr(settings, "THROTTLE_ENABLED", True):
        return None
    rule = settings.THROTTLE_RULES.get(scope)
    if not rule:
        return None
    cache = caches[getattr(settings, "THROTTLE_CACHE_ALIAS", "default")]
    now = time.time()
    counters: list[tuple[str, Limit, int]] = []
    for kind, ident in _identities(request, scope, user):
        rate = rule.get(kind)
        if not rate:
            continue
        limit = rate_parse(rate)
        window = int(now // limit.period)
        # Identities are hashed: keys in a shared cache never carry an address or a username.
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        key = f"throttle:{scope}:{kind}:{digest}:{limit.period}:{window}"
        counters.append((key, limit, window))
    for key, limit, window in counters:
        if (cache.get(key) or 0) >= limit.count:
            wait = max(1, int((window + 1) * limit.period - now + 0.999))
            return limit.text, wait
    for key, limit, _window in counters:
        # add() creates the counter with its expiry; incr() is atomic on Redis and locmem.
        if not cache.add(key, 1, timeout=limit.period + 1):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=limit.period + 1)
    return None


def rate_limited_response(scope: str, rate: str, wait: int) -> JsonResponse:
    """The 429 answer: JSON with the message, and Retry-After."""
    response = JsonResponse(
        {"detail": RATE_LIMITED.format(scope=scope, rate=rate, wait=wait), "code": "throttled"},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def rate_limited(scope: str) -> Callable:
    """Decorator for non-DRF views: count every call against `scope` (a THROTTLE_RULES key).

    The middleware already covers routes listed in THROTTLE_RULES; use this for a view whose
    route is not listed there. A request counted once is not counted again by the middleware.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not getattr(request, "_civicpin_throttled", False):
                request._civicpin_throttled = True
                refused = rate_limit_hit(request, scope, user=getattr(request, "user", None))
                if refused:
                    return rate_limited_response(scope, *refused)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class RouteThrottle(BaseThrottle):
    """Global DRF throttle: the THROTTLE_RULES scope of (method, url name), per user and IP."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        django_request = request._request
        if getattr(django_request, "_civicpin_throttled", False):
            return True
        scope = scope_for_route(route_key(django_request))
        if scope is None:
            return True
        django_request._civicpin_throttled = True
        refused = rate_limit_hit(django_request, scope, user=request.user)
        if refused is None:
            return True
        self._wait = refused[1]
        return False

    def wait(self) -> int | None:
        return self._wait


def drf_view_throttles_itself(view_func: Callable) -> bool:
    """Is `view_func` a DRF view whose throttles include RouteThrottle?"""
    cls = getattr(view_func, "cls", None)
    throttles = getattr(cls, "throttle_classes", None)
    return bool(throttles) and any(
        isinstance(t, type) and issubclass(t, RouteThrottle) for t in throttles
    )
