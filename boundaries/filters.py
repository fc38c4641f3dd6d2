"""Query parameters of the boundaries API, parsed strictly.

Every problem raises DRF's ParseError (400) or NotFound (404) with a message that names the
parameter, so a client can tell exactly which input was wrong. User input never reaches GDAL:
coordinates are parsed here as plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from rest_framework.exceptions import NotFound, ParseError

from boundaries import selectors
from boundaries.models import Generation, Level

PARAM_MISSING = "query parameter {name!r} is required"
PARAM_NOT_NUMBER = "query parameter {name!r} must be a number, got {value!r}"
PARAM_NOT_FINITE = "query parameter {name!r} must be a finite number, got {value!r}"
PARAM_OUT_OF_RANGE = "query parameter {name!r} must be between {low:g} and {high:g}, got {value!r}"
BBOX_MALFORMED = (
    "query parameter 'in_bbox' must be four numbers 'minlon,minlat,maxlon,maxlat', got {value!r}"
)
BBOX_INVERTED = (
    "query parameter 'in_bbox' must have min < max on both axes "
    "('minlon,minlat,maxlon,maxlat'), got {value!r}"
)
BBOX_OUT_OF_RANGE = (
    "query parameter 'in_bbox' must have longitudes in -180..180 and latitudes in -90..90, "
    "got {value!r}"
)
LEVEL_UNKNOWN = "query parameter 'level': unknown level {value!r}; levels: {known}"
GENERATION_UNKNOWN = "query parameter 'generation': unknown generation {value!r}"
NO_CURRENT_GENERATION = "no boundary generation is active yet"

# simplify_m bounds: 10 km already reduces a ward to a handful of vertices.
SIMPLIFY_MAX_M = 10_000.0


def number_param(
    params: Mapping[str, str],
    name: str,
    *,
    low: float,
    high: float,
    default: float | None = None,
) -> float:
    """A finite number within [low, high] from the query string, or `default` when absent."""
    raw = params.get(name)
    if raw is None or not raw.strip():
        if default is not None:
            return default
        raise ParseError(PARAM_MISSING.format(name=name))
    value = _number(raw, name)
    if not low <= value <= high:
        raise ParseError(PARAM_OUT_OF_RANGE.format(name=name, low=low, high=high, value=raw))
    return value


def _number(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ParseError(PARAM_NOT_NUMBER.format(name=name, value=raw)) from None
    if not math.isfinite(value):
        raise ParseError(PARAM_NOT_FINITE.format(name=name, value=raw))
    return value


def point_params(params: Mapping[str, str]) -> tuple[float, float]:
    """(lon, lat) from `lon` and `lat`, in WGS 84 degrees."""
    lat = number_param(params, "lat", low=-90, high=90)
    lon = number_param(params, "lon", low=-180, high=180)
    return lon, lat


def bbox_param(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    """`in_bbox` as (minlon, minlat, maxlon, maxlat), or None when absent."""
    raw = params.get("in_bbox")
    if raw is None or not raw.strip():
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise ParseError(BBOX_MALFORMED.format(value=raw))
    try:
        minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
    except ValueError:
        raise ParseError(BBOX_MALFORMED.format(value=raw)) from None
    values = (minlon, minlat, maxlon, maxlat)
    if not all(math.isfinite(v) for v in values):
        raise ParseError(BBOX_MALFORMED.format(value=raw))
    if not all(-180 <= v <= 180 for v in (minlon, maxlon)) or not all(
        -90 <= v <= 90 for v in (minlat, maxlat)
    ):
        raise ParseError(BBOX_OUT_OF_RANGE.format(value=raw))
    if minlon >= maxlon or minlat >= maxlat:
        raise ParseError(BBOX_INVERTED.format(value=raw))
    return values


def simplify_param(params: Mapping[str, str]) -> float:
    """`simplify_m`, a tolerance in metres from 0 (no simplification) to 10 km."""
    return number_param(params, "simplify_m", low=0, high=SIMPLIFY_MAX_M, default=0.0)


def level_param(params: Mapping[str, str]) -> Level | None:
    """The level named by `level`, None when absent; an unknown code is a 400."""
    code = params.get("level")
    if code is None or not code.strip():
        return None
    level = selectors.level_by_code(code=code.strip())
    if level is None:
        known = ", ".join(Level.objects.values_list("code", flat=True)) or "none"
        raise ParseError(LEVEL_UNKNOWN.format(value=code, known=known))
    return level


def generation_named(params: Mapping[str, str]) -> Generation | None:
    """The generation named by `generation`, None when the query names none (the current
    one is meant); an unknown name is a 404 naming it.

    For a question whose statement finds the current generation itself
    (selectors.area_lookup), so that asking for it costs no query of its own."""
    name = (params.get("generation") or "").strip()
    if not name:
        return None
    generation = selectors.generation_by_name(name=name)
    if generation is None:
        raise NotFound(GENERATION_UNKNOWN.format(value=name))
    return generation


def generation_param(params: Mapping[str, str]) -> Generation:
    """The generation named by `generation`, else the current one; 404 naming what is missing."""
    generation = generation_named(params) or selectors.generation_by_name(name=None)
    if generation is None:
        raise NotFound(NO_CURRENT_GENERATION)
    return generation
