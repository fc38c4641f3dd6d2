"""Audit log of staff actions, as one JSON line per action on the `civicpin.audit` logger.

What is logged:
- every state-changing API or page request (POST, PUT, PATCH, DELETE) by a *staff* user,
  i.e. Django staff/superusers and members of the groups official, supervisor and planner:
  who (user id and role, never a name), what (method, route name, URL arguments such as a
  tracking code), the answer's status, and when;
- admin and staff sign-ins, sign-outs and failed sign-ins to the admin (user id, or the
  fact that a sign-in failed; never the username tried, never a password).
Admin changes are also in Django's own `LogEntry` (admin → "Recent actions").

Never logged: names, usernames, e-mail, phone, request bodies, report text, IP addresses.
Route the logger to durable storage in production (LOGGING in settings), e.g. journald.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accounts.backends import group_names

logger = logging.getLogger("civicpin.audit")

STAFF_GROUPS = ("official", "supervisor", "planner")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# URL arguments worth keeping: identifiers of public things, never of people.
_KEPT_KWARGS = ("code", "layer", "request_id", "fmt")


def staff_role(user: Any) -> str | None:
    """ "superuser", "staff", or the staff group of `user`; None for citizens and anonymous."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return "superuser"
    if user.is_staff:
        return "staff"
    names = group_names(user)
    for group in STAFF_GROUPS:
        if group in names:
            return group
    return None


def audit_record(event: str, **fields: Any) -> None:
    """Write one audit line: {"event": ..., "at": ISO time, **fields}."""
    entry = {"event": event, "at": timezone.now().isoformat(), **fields}
    logger.info(json.dumps(entry, ensure_ascii=False, sort_keys=True))


def audit_request(request: HttpRequest, status: int) -> None:
    """Log `request` if it is a staff user's state-changing action."""
    if request.method not in UNSAFE_METHODS:
        return
    user = getattr(request, "user", None)
    role = staff_role(user)
    if role is None:
        return
    match = getattr(request, "resolver_match", None)
    url_kwargs = match.kwargs if match else {}
    kwargs = {k: str(v)[:64] for k, v in url_kwargs.items() if k in _KEPT_KWARGS}
    audit_record(
        "staff_action",
        user_id=user.pk,
        role=role,
        method=request.method,
        route=match.view_name if match else None,
        args=kwargs,
        status=status,
    )


def _is_admin(request: HttpRequest | None) -> bool:
    return request is not None and request.path.startswith("/admin/")


@receiver(user_logged_in, dispatch_uid="civicpin.audit.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    role = staff_role(user)
    if role is not None or _is_admin(request):
        audit_record("sign_in", user_id=user.pk, role=role, admin=_is_admin(request))


@receiver(user_logged_out, dispatch_uid="civicpin.audit.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and staff_role(user) is not None:
        audit_record("sign_out", user_id=user.pk, role=staff_role(user))


@receiver(user_login_failed, dispatch_uid="civicpin.audit.login_failed")
def _login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Failed admin sign-ins only; the username tried is personal data (and often a password
    # typed into the wrong box), so it is not recorded.
    if _is_admin(request):
        audit_record("sign_in_failed", admin=True)
