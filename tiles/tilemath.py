"""Web Mercator tile arithmetic: tile addresses, their extent, and the zoom bands of areas.

Tiles follow the XYZ scheme every web map uses: zoom z splits the Web Mercator square
(EPSG:3857) into 2^z × 2^z tiles, x growing east from the antimeridian and y growing south from
the top edge (85.0511° N). Inside a tile, geometry is encoded on a 4096 × 4096 grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Web Mercator projects the WGS 84 ellipsoid's semi-major axis as a sphere's radius; half the
# side of its square is π times that radius.
WGS84_SEMI_MAJOR_M = 6378137.0
WORLD_HALF_M = 20037508.342789244
WORLD_M = 2 * WORLD_HALF_M

# Tile grid resolution and the buffer drawn around it (in grid units), the MVT defaults:
# the buffer lets renderers draw point symbols and line joins that cross a tile's edge.
EXTENT = 4096
BUFFER = 64
# The same buffer as a fraction of the tile, for ST_TileEnvelope(..., margin => ...).
MARGIN = BUFFER / EXTENT

# The highest zoom any layer is served at; clients over-zoom beyond their layer's maxzoom.
MAX_ZOOM = 22

# Zoom bands for pre-simplified boundaries: (first zoom, last zoom). Each band's copy is
# simplified with a tolerance of one tile-grid unit at its last zoom, the finest detail any
# tile of the band can show, so simplification is never visible. The last band's tolerance
# (0.3 m at z15) is already below the accuracy of any boundary survey.
ZOOM_BANDS: tuple[tuple[int, int], ...] = ((0, 6), (7, 9), (10, 11), (12, 13), (14, MAX_ZOOM))
_LAST_SIMPLIFIED_ZOOM = 15


def tile_width_m(z: int) -> float:
    """Width (and height) of one tile at zoom `z`, in Web Mercator metres."""
    return WORLD_M / (1 << z)


def grid_unit_m(z: int) -> float:
    """Size of one tile-grid unit (1/4096 of a tile) at zoom `z`, in Web Mercator metres."""
    return tile_width_m(z) / EXTENT


def zoom_band(z: int) -> int:
    """Index of the zoom band that zoom `z` falls in."""
    for index, (low, high) in enumerate(ZOOM_BANDS):
        if low <= z <= high:
            return index
    raise ValueError(f"zoom {z} is outside every zoom band")


def band_tolerance_m(band: int) -> float:
    """Simplification tolerance of a zoom band, in Web Mercator metres."""
    return grid_unit_m(min(ZOOM_BANDS[band][1], _LAST_SIMPLIFIED_ZOOM))


@dataclass(frozen=True)
class TileAddress:
    """One tile, z/x/y in the XYZ scheme. Construct through `tile_address` to validate."""

    z: int
    x: int
    y: int

    def bounds_3857(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in Web Mercator metres; equals ST_TileEnvelope(z, x, y)."""
        width = tile_width_m(self.z)
        xmin = -WORLD_HALF_M + self.x * width
        ymax = WORLD_HALF_M - self.y * width
        return (xmin, ymax - width, xmin + width, ymax)

    def __str__(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


class TileAddressError(ValueError):
    """A z/x/y outside the tile pyramid; `parameter` names the offending coordinate."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


ZOOM_OUT_OF_RANGE = "z must be between {low} and {high} for this layer, not {value}"
COORDINATE_OUT_OF_RANGE = "{name} must be between 0 and {high} at zoom {z}, not {value}"


def tile_address(
    z: int, x: int, y: int, *, minzoom: int = 0, maxzoom: int = MAX_ZOOM
) -> TileAddress:
    """Validate z/x/y against the pyramid and a layer's zoom range; raise TileAddressError."""
    if not minzoom <= z <= maxzoom:
        raise TileAddressError("z", ZOOM_OUT_OF_RANGE.format(low=minzoom, high=maxzoom, value=z))
    high = (1 << z) - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= high:
            raise TileAddressError(
                name, COORDINATE_OUT_OF_RANGE.format(name=name, high=high, z=z, value=value)
            )
    return TileAddress(z, x, y)


def lonlat_to_mercator(lon: float, lat: float) -> tuple[float, float]:
    """Spherical Web Mercator metres for a WGS 84 position (the EPSG:3857 formula)."""
    x = math.radians(lon) * WGS84_SEMI_MAJOR_M
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * WGS84_SEMI_MAJOR_M
    return x, y


def tile_for_lonlat(lon: float, lat: float, z: int) -> TileAddress:
    """The tile at zoom `z` that contains a WGS 84 position."""
    mx, my = lonlat_to_mercator(lon, lat)
    width = tile_width_m(z)
    last = (1 << z) - 1
    x = min(max(int((mx + WORLD_HALF_M) // width), 0), last)
    y = min(max(int((WORLD_HALF_M - my) // width), 0), last)
    return TileAddress(z, x, y)


def mercator_to_tile_grid(tile: TileAddress, mx: float, my: float) -> tuple[float, float]:
    """Where a Web Mercator point falls on a tile's 4096 grid (y grows downwards, as in MVT)."""
    xmin, _, _, ymax = tile.bounds_3857()
    unit = grid_unit_m(tile.z)
    return (mx - xmin) / unit, (ymax - my) / unit
