"""Query parameters of the analytics endpoints and command: parse, validate, echo.

Every parameter is checked here and a bad one raises AnalysisError naming it, which the API
answers with 400 {"<parameter>": ["<message>"]}. Unknown parameters are refused too, so a typo
(`cellm=100`) is not silently ignored. The parsed values are echoed back in every answer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from analytics.analyses import AnalysisError
from analytics.selectors import DEFAULT_STATUSES, ReportFilter
from boundaries.models import Area
from reports.models import Agency, Category, CategoryGroup, Report, Status

UNKNOWN_PARAMETER = "unknown parameter; allowed: {allowed}"
NOT_A_NUMBER = "must be a number"
NOT_AN_INTEGER = "must be a whole number"
OUT_OF_RANGE = "must be between {low:g} and {high:g}"
BAD_DATE = "must be a date as YYYY-MM-DD"
DATE_OUT_OF_RANGE = "must be between {low} and {high}"
# Reports are from this century; the bounds also keep date arithmetic away from year 9999.
DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
UNTIL_BEFORE_SINCE = "must not be before since"
UNKNOWN_CHOICE = "unknown value {value!r}; allowed: {allowed}"
UNKNOWN_CODE = "no {what} has the code {code!r}"
NOT_A_BOOLEAN = "must be true or false"
WEIGHT_UNAVAILABLE = "weight {value!r} is not available yet; allowed: {allowed}"
METHOD_PARAMETER = "applies to method={method} only"

# Weights a caller may ask for, by name, and the report field holding them. Supporters arrive
# with the trust issue; until the field exists, asking for it is a clear 400, not a silent 1.
WEIGHT_FIELDS = {"supporters": "supporters_count"}

FILTER_PARAMETERS = ("category", "group", "status", "since", "until", "agency", "area")

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class Params:
    """Typed readers over a query mapping that record what they read, for the echo."""

    def __init__(self, query: Mapping[str, str], allowed: Iterable[str]) -> None:
        self.query = query
        self.allowed = tuple(allowed)
        self.echo: dict[str, Any] = {}
        unknown = sorted(set(query) - set(self.allowed))
        if unknown:
            raise AnalysisError(
                unknown[0], UNKNOWN_PARAMETER.format(allowed=", ".join(sorted(self.allowed)))
            )

    def raw(self, name: str) -> str | None:
        value = self.query.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def number(self, name: str, *, default: float, low: float, high: float) -> float:
        text = self.raw(name)
        value = default
        if text is not None:
            try:
                value = float(text)
            except ValueError:
                raise AnalysisError(name, NOT_A_NUMBER) from None
            if not math.isfinite(value) or not low <= value <= high:
                raise AnalysisError(name, OUT_OF_RANGE.format(low=low, high=high))
        self.echo[name] = value
        return value

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        text = self.raw(name)
        value = default
        if text is not None:
            try:
                value = int(text)
            except ValueError:
                raise AnalysisError(name, NOT_AN_INTEGER) from None
            if not low <= value <= high:
                raise AnalysisError(name, OUT_OF_RANGE.format(low=low, high=high))
        self.echo[name] = value
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        text = self.raw(name)
        value = default
        if text is not None:
            if text.lower() not in _TRUE | _FALSE:
                raise AnalysisError(name, NOT_A_BOOLEAN)
            value = text.lower() in _TRUE
        self.echo[name] = value
        return value

    def choice(self, name: str, *, choices: Iterable[str], default: str) -> str:
        choices = tuple(choices)
        value = self.raw(name) or default
        if value not in choices:
            raise AnalysisError(
                name, UNKNOWN_CHOICE.format(value=value, allowed=", ".join(choices))
            )
        self.echo[name] = value
        return value

    def choices(self, name: str, *, choices: Iterable[str]) -> tuple[str, ...]:
        """A comma-separated list, each item one of `choices`."""
        allowed = tuple(choices)
        values = self._list(name)
        for value in values:
            if value not in allowed:
                raise AnalysisError(
                    name, UNKNOWN_CHOICE.format(value=value, allowed=", ".join(allowed))
                )
        return values

    def codes(self, name: str, *, existing: Iterable[str], what: str) -> tuple[str, ...]:
        """A comma-separated list of codes that must exist."""
        values = self._list(name)
        known = set(existing)
        for value in values:
            if value not in known:
                raise AnalysisError(name, UNKNOWN_CODE.format(what=what, code=value))
        return values

    def date(self, name: str) -> dt.date | None:
        text = self.raw(name)
        if text is None:
            return None
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise AnalysisError(name, BAD_DATE) from None
        low, high = DATE_RANGE
        if not low <= value <= high:
            raise AnalysisError(name, DATE_OUT_OF_RANGE.format(low=low, high=high))
        self.echo[name] = value.isoformat()
        return value

    def _list(self, name: str) -> tuple[str, ...]:
        text = self.raw(name)
        if text is None:
            return ()
        values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
        self.echo[name] = list(values)
        return values


def _local_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the city's time zone: "since 2025-07-01" means Hanoi's day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def report_filter(p: Params, *, statuses: bool = True) -> ReportFilter:
    """The common report filters: category and group (comma lists), status (comma list,
    default all but duplicate and rejected), since and until (inclusive dates, Hanoi time),
    agency and area (codes)."""
    categories = p.codes(
        "category", existing=Category.objects.values_list("code", flat=True), what="category"
    )
    groups = p.choices("group", choices=CategoryGroup.values)
    chosen = p.choices("status", choices=Status.values) if statuses else ()
    since = p.date("since")
    until = p.date("until")
    if since and until and until < since:
        raise AnalysisError("until", UNTIL_BEFORE_SINCE)
    agency = p.raw("agency")
    if agency is not None:
        if not Agency.objects.filter(code=agency).exists():
            raise AnalysisError("agency", UNKNOWN_CODE.format(what="agency", code=agency))
        p.echo["agency"] = agency
    area = p.raw("area")
    if area is not None:
        if not Area.objects.current().filter(code=area).exists():
            raise AnalysisError("area", UNKNOWN_CODE.format(what="current area", code=area))
        p.echo["area"] = area
    if statuses:
        p.echo.setdefault("status", list(DEFAULT_STATUSES))
    return ReportFilter(
        categories=categories,
        groups=groups,
        statuses=chosen or DEFAULT_STATUSES,
        since=_local_midnight(since) if since else None,
        until=_local_midnight(until + dt.timedelta(days=1)) if until else None,
        agency=agency,
        area=area,
    )


def weight_field(p: Params) -> str | None:
    """The report field to weight by (`weight=supporters`), or None for one per report."""
    available = {
        name: column
        for name, column in WEIGHT_FIELDS.items()
        if any(f.name == column for f in Report._meta.get_fields())
    }
    value = p.raw("weight")
    if value is None or value == "none":
        p.echo["weight"] = "none"
        return None
    if value not in available:
        allowed = ", ".join(["none", *available])
        message = (WEIGHT_UNAVAILABLE if value in WEIGHT_FIELDS else UNKNOWN_CHOICE).format(
            value=value, allowed=allowed
        )
        raise AnalysisError("weight", message)
    p.echo["weight"] = value
    return available[value]


GISTAR_PARAMETERS = (
    "cell_m",
    "band_m",
    "permutations",
    "fdr",
    "windows",
    "recurrence_days",
    "min_recurrences",
    "weight",
)
DBSCAN_PARAMETERS = ("eps_m", "min_size")
WINDOWS_ONE = "must be 0 (no trend) or at least 2"


def cell_m(p: Params) -> float:
    """Hexagon side (= circumradius) or square bin size in metres; default 250."""
    return p.number("cell_m", default=250.0, low=50.0, high=10_000.0)


def gistar_options(p: Params) -> dict[str, Any]:
    """Keyword arguments of analyses.gistar_hotspots, validated."""
    from analytics.gistar import hex_neighbour_band

    size = cell_m(p)
    windows = p.integer("windows", default=0, low=0, high=24)
    if windows == 1:
        raise AnalysisError("windows", WINDOWS_ONE)
    return {
        "cell_m": size,
        "band_m": p.number(
            "band_m", default=float(hex_neighbour_band(size)), low=size, high=10 * size
        ),
        "permutations": p.integer("permutations", default=99, low=0, high=999),
        "fdr": p.boolean("fdr", default=True),
        "windows": windows,
        "recurrence_days": p.number("recurrence_days", default=30.0, low=1.0, high=3650.0),
        "min_recurrences": p.integer("min_recurrences", default=2, low=1, high=100_000),
        "weight_field": weight_field(p),
    }


def dbscan_options(p: Params) -> dict[str, Any]:
    """Keyword arguments of analyses.dbscan_clusters, validated."""
    return {
        "eps_m": p.number("eps_m", default=100.0, low=1.0, high=5_000.0),
        "min_size": p.integer("min_size", default=10, low=2, high=100_000),
    }
