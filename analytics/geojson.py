"""GeoJSON answers built from metric GeoDataFrames, compact and with the parameters echoed.

Geometries are transformed to WGS 84 and rounded (6 decimals is ~0.1 m; 5 is ~1 m, enough
for a heat-map cell), properties are plain JSON (NaN becomes null), and the collection carries
`parameters` (what was asked, after defaults) and `meta` (how the figures were made).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import WGS84


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def feature_collection(
    frame: gpd.GeoDataFrame,
    columns: list[str],
    *,
    parameters: dict[str, Any],
    meta: dict[str, Any],
    decimals: int = 6,
    float_decimals: int = 4,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of `frame`'s polygons with the given property columns."""
    wgs = frame.to_crs(WGS84) if len(frame) else frame
    coords, index = shapely.get_coordinates(
        shapely.get_exterior_ring(wgs.geometry.values), return_index=True
    )
    coords = np.round(coords, decimals)
    starts = np.searchsorted(index, np.arange(len(wgs) + 1))
    records = wgs[columns].to_dict("records") if len(wgs) else []
    features = []
    for n, record in enumerate(records):
        ring = coords[starts[n] : starts[n + 1]].tolist()
        properties = {}
        for key, value in record.items():
            value = _plain(value)
            if isinstance(value, float):
                value = round(value, float_decimals)
            properties[key] = value
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": properties,
            }
        )
    return {
        "type": "FeatureCollection",
        "parameters": {k: _plain(v) for k, v in parameters.items()},
        "meta": {k: _plain(v) for k, v in meta.items()},
        "features": features,
    }


def dumps(collection: dict[str, Any]) -> str:
    """Compact JSON text (no spaces): a heat map of a city must stay under a megabyte."""
    return json.dumps(collection, separators=(",", ":"), ensure_ascii=False, default=_plain)
