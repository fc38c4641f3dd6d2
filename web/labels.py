"""Translated names for codes the models label in Vietnamese only.

Statuses and event kinds carry Vietnamese labels in reports.models (the API's language);
pages show them in the reader's language, so the pages translate the codes here. Categories,
areas and agencies store both names, and `local_name` picks the one for the active language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from reports.models import EventKind, Status

STATUS_LABELS = {
    Status.RECEIVED: _("Received"),
    Status.IN_PROGRESS: _("In progress"),
    Status.RESOLVED: _("Resolved"),
    Status.CLOSED: _("Closed"),
    Status.REJECTED: _("Rejected"),
    Status.DUPLICATE: _("Duplicate"),
}

# Colours of statuses on maps and badges (ColorBrewer-like, readable on white with dark text).
STATUS_COLOURS = {
    Status.RECEIVED: "#e34a33",
    Status.IN_PROGRESS: "#fdae61",
    Status.RESOLVED: "#1a9641",
    Status.CLOSED: "#4d4d4d",
    Status.REJECTED: "#8073ac",
    Status.DUPLICATE: "#b2abd2",
}

EVENT_LABELS = {
    EventKind.CREATED: _("Received"),
    EventKind.TRANSITION: _("Status changed"),
    EventKind.TRANSFER: _("Transferred to another unit"),
    EventKind.REROUTE: _("Re-routed after a boundary change"),
    EventKind.DEADLINE_EXTENDED: _("Deadline extended"),
    EventKind.ESCALATED: _("Overdue, reported to the supervisor"),
    EventKind.NOTE: _("Note"),
}


def status_label(code: str) -> str:
    """The status `code` in the active language (the code itself if unknown)."""
    return str(STATUS_LABELS.get(code, code))


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


def local_name(obj: Any) -> str:
    """`obj.name_en` when the page is in English and it has one, else `obj.name`."""
    if obj is None:
        return ""
    if (get_language() or "").startswith("en") and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name
