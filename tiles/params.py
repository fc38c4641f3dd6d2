"""Query parameters of the tile layers: validation, normalisation and who may see what.

Every parameter is checked before any tile SQL runs: a bad value is a TileParamError naming the
parameter (the view answers 400), a private scope the user may not see is TileForbidden (403).
The normalised parameters form the cache key, so equivalent requests share one cached tile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# The view turns TileParamError into 400 and TileForbidden into 403; tests import the messages.

PARAM_UNKNOWN_CATEGORY = "unknown category code(s): {codes}"
PARAM_UNKNOWN_STATUS = "unknown status(es): {values}; expected any of {allowed}"
PARAM_TOO_MANY_VALUES = "at most {limit} comma-separated values are accepted"
PARAM_TOO_LONG = "longer than {limit} characters"
PARAM_CONTROL_CHARACTER = "contains a control character"
PARAM_BAD_DATETIME = "expected a date (YYYY-MM-DD) or an ISO 8601 date-time, not {value!r}"
PARAM_EMPTY_WINDOW = "until must be later than since"
PARAM_BAD_SCOPE = "expected 'public' or 'agency', not {value!r}"
PARAM_NOT_SUPPORTED = "not supported by the {layer} layer"
PARAM_AGENCY_WITHOUT_SCOPE = "agency is only accepted together with scope=agency"
PARAM_UNKNOWN_GENERATION = "no boundary generation named {value!r}"
SCOPE_NEEDS_MEMBER = "scope=agency needs a signed-in member of an agency"
SCOPE_NOT_MEMBER = "you are not a member of agency {code!r}"

_MAX_LIST_VALUES = 50
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2999
_MAX_PARAM_LENGTH = 2000


class TileParamError(ValueError):
    """A query parameter that cannot be honoured; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class TileForbidden(PermissionError):
    """A request for attributes the user may not see."""


@dataclass(frozen=True)
class LayerQuery:
    """A layer's validated query parameters.

    `canonical` is the normalised parameter list (sorted, deduplicated): it goes into the cache
    key and into TileJSON URL templates, so equivalent requests share one cached tile.
    `private_key` is empty for public tiles and names the agencies for private ones, so a
    private tile is cached per agency set and never served to anyone else.
    """

    canonical: tuple[tuple[str, str], ...] = ()
    private_key: str = ""
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def private(self) -> bool:
        return bool(self.private_key)


def _checked(name: str, raw: str) -> str:
    """`raw` if it is short and free of control characters (PostgreSQL refuses NUL in text)."""
    if len(raw) > _MAX_PARAM_LENGTH:
        raise TileParamError(name, PARAM_TOO_LONG.format(limit=_MAX_PARAM_LENGTH))
    if any(ord(char) < 32 or ord(char) == 127 for char in raw):
        raise TileParamError(name, PARAM_CONTROL_CHARACTER)
    return raw


def single_value(params: QueryDict, name: str) -> str | None:
    """One parameter's value, stripped; None when absent or empty."""
    raw = params.get(name)
    if raw is None:
        return None
    return _checked(name, raw).strip() or None


def list_value(params: QueryDict, name: str) -> list[str]:
    """A comma-separated (or repeated) parameter as a sorted, deduplicated list."""
    values: set[str] = set()
    for raw in params.getlist(name):
        _checked(name, raw)
        values.update(part.strip() for part in raw.split(",") if part.strip())
    if len(values) > _MAX_LIST_VALUES:
        raise TileParamError(name, PARAM_TOO_MANY_VALUES.format(limit=_MAX_LIST_VALUES))
    return sorted(values)


def _moment(params: QueryDict, name: str, *, end: bool) -> dt.datetime | None:
    """A date or date-time parameter as an aware datetime.

    A bare date means the whole day in Hanoi time: `since` starts at its midnight and `until`
    ends at the next midnight, so since=until=2025-07-01 selects that one day. Years outside
    1900..2999 are refused: nothing was reported then, and year-1 or year-9999 arithmetic
    overflows.
    """
    value = single_value(params, name)
    if value is None:
        return None
    try:
        # Date first: parse_datetime would read a bare date as that day's midnight.
        day = parse_date(value)
        if day is not None:
            moment = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
        else:
            moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            moment = moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None or not _EARLIEST_YEAR <= moment.year <= _LATEST_YEAR:
        raise TileParamError(name, PARAM_BAD_DATETIME.format(value=value))
    return moment


def report_filters(params: QueryDict) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Validate the report filters shared by the reports and hexbins layers."""
    from reports.models import Category, Status

    canonical: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    codes = list_value(params, "category")
    if codes:
        found = dict(Category.objects.filter(code__in=codes).values_list("code", "id"))
        missing = [code for code in codes if code not in found]
        if missing:
            raise TileParamError(
                "category", PARAM_UNKNOWN_CATEGORY.format(codes=", ".join(missing))
            )
        values["category_ids"] = sorted(found.values())
        canonical.append(("category", ",".join(codes)))
    statuses = list_value(params, "status")
    if statuses:
        unknown = [s for s in statuses if s not in Status.values]
        if unknown:
            raise TileParamError(
                "status",
                PARAM_UNKNOWN_STATUS.format(
                    values=", ".join(unknown), allowed=", ".join(Status.values)
                ),
            )
        values["statuses"] = statuses
        canonical.append(("status", ",".join(statuses)))
    since = _moment(params, "since", end=False)
    until = _moment(params, "until", end=True)
    if since and until and until <= since:
        raise TileParamError("until", PARAM_EMPTY_WINDOW)
    for name, moment in (("since", since), ("until", until)):
        if moment is not None:
            values[name] = moment
            canonical.append((name, moment.isoformat()))
    return canonical, values


def refuse(params: QueryDict, layer: str, *names: str) -> None:
    """Raise TileParamError for the first of `names` that is given: `layer` has no use for it."""
    for name in names:
        if single_value(params, name) is not None:
            raise TileParamError(name, PARAM_NOT_SUPPORTED.format(layer=layer))


def member_agencies(user: Any, code: str | None) -> list[int]:
    """Ids of the agencies whose private tile attributes `user` may see; raise TileForbidden."""
    from reports.models import Membership

    if not user.is_authenticated:
        raise TileForbidden(SCOPE_NEEDS_MEMBER)
    memberships = Membership.objects.filter(user=user, agency__active=True)
    if code is not None:
        memberships = memberships.filter(agency__code=code)
    ids = sorted(set(memberships.values_list("agency_id", flat=True)))
    if not ids:
        raise TileForbidden(SCOPE_NOT_MEMBER.format(code=code) if code else SCOPE_NEEDS_MEMBER)
    return ids
