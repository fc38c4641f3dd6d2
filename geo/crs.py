"""Coordinate reference systems used across civicpin, and the transforms between them.

One module owns every SRID so no other code spells a bare number:
- WGS 84 (4326) is how we store and exchange positions;
- Web Mercator (3857) is only for tiles;
- UTM 48N (32648) is the metric CRS for Hanoi: distances, areas and grids are measured there,
  never in degrees (a degree of longitude at Hanoi's latitude is ~105 km, of latitude ~111 km);
- VN-2000 is Vietnam's national datum. Government boundary files come in its geographic form
  (4756), its UTM 48N grid (3405) or the provincial 3-degree TM zone Hanoi's maps use (5897).
  VN-2000 is not WGS 84: the datum shift is a few hundred metres, so transforms must use PROJ's
  published Helmert parameters, never a relabelling.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest

WGS84 = 4326
WEB_MERCATOR = 3857
UTM48N = 32648
METRIC = UTM48N

VN2000_GEOGRAPHIC = 4756
VN2000_UTM48N = 3405
VN2000_HANOI_TM3 = 5897

VN2000_SRIDS = frozenset({VN2000_GEOGRAPHIC, VN2000_UTM48N, VN2000_HANOI_TM3})
KNOWN_SRIDS = frozenset({WGS84, WEB_MERCATOR, UTM48N, *VN2000_SRIDS})

# Hanoi's extent (lon/lat), with a margin. Telling PROJ where we work makes it choose the
# operation valid here (for VN-2000: "VN-2000 to WGS 84 (2)") instead of one picked at run time.
HANOI_BOUNDS = (105.2, 20.5, 106.1, 21.45)
HANOI_AREA = AreaOfInterest(*HANOI_BOUNDS)


class UnknownCRSError(ValueError):
    """A coordinate reference system that PROJ does not know."""


def crs_from_srid(srid: int) -> CRS:
    """Return the pyproj CRS for an EPSG code, or raise UnknownCRSError naming it."""
    try:
        return CRS.from_epsg(int(srid))
    except Exception as exc:  # pyproj raises CRSError, and ValueError/TypeError for junk
        raise UnknownCRSError(f"unknown coordinate reference system EPSG:{srid}") from exc


@lru_cache(maxsize=64)
def transformer(source: int, target: int) -> Transformer:
    """An always-x/y (lon, lat) transformer between two EPSG codes.

    PROJ picks the most accurate operation for Hanoi; for VN-2000 that is the published
    7-parameter Helmert transformation, not a ballpark datum relabelling.
    """
    return Transformer.from_crs(
        crs_from_srid(source), crs_from_srid(target), always_xy=True, area_of_interest=HANOI_AREA
    )


def transform_xy(x: float, y: float, *, source: int, target: int) -> tuple[float, float]:
    """Transform one coordinate pair from `source` to `target`."""
    return transformer(source, target).transform(x, y)


def is_ballpark(source: int, target: int) -> bool:
    """Whether PROJ could only offer a ballpark (datum-ignoring) operation between two CRSs."""
    return "ballpark" in (transformer(source, target).description or "").lower()


def transformer_for_crs(source: CRS, target: int) -> Transformer:
    """Like `transformer`, for a source CRS known by its definition rather than an EPSG code.

    Boundary files often carry a .prj or WKT with no authority code; PROJ can still find the
    proper datum operation from the definition, chosen for Hanoi's area of interest.
    """
    return Transformer.from_crs(
        source, crs_from_srid(target), always_xy=True, area_of_interest=HANOI_AREA
    )


def transformer_is_ballpark(operation: Transformer) -> bool:
    """Whether `operation` ignores the datum shift (PROJ found no real transformation)."""
    return "ballpark" in (operation.description or "").lower()


def shapes_transform(shapes: Any, operation: Transformer) -> Any:
    """Shapely geometries (one, or an array of them) moved through `operation`.

    All vertices go through PROJ in one vectorised call, which is what makes reprojecting a
    city's boundaries take milliseconds instead of seconds.
    """
    return shapely.transform(
        shapes, lambda xy: np.column_stack(operation.transform(xy[:, 0], xy[:, 1]))
    )
