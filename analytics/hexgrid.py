"""Hexagonal grids in a metric CRS, laid out exactly like PostGIS's ST_HexagonGrid.

Why hexagons: every cell has six neighbours at the same centre distance, so a distance-band
weight matrix for Getis-Ord Gi* has no diagonal-neighbour ambiguity, and counts per cell are
comparable across the city.

Why ST_HexagonGrid rather than H3: H3 cells come in fixed resolutions (resolution 9 has
~174 m edges, resolution 8 ~461 m), so the issue's configurable cell size (default 250 m)
cannot be honoured; ST_HexagonGrid takes any size in the metric CRS (EPSG:32648). The
measurements are in analytics/selectors.py.

Layout (read off PostGIS 3.3's output, and checked by a DB test): `size` is the hexagon's side
length, equal to its circumradius. Hexagons are flat-topped. Cell (i, j) has its centre at
x = 1.5 * size * i, y = sqrt(3) * size * j, shifted up by half a row (sqrt(3)/2 * size) when i is
odd. The grid's origin is (0, 0) of the CRS, so the same (i, j) means the same hexagon in every
query, in SQL and here.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

SQRT3 = math.sqrt(3.0)

# Corner offsets of a flat-topped unit hexagon, in the order ST_HexagonGrid writes them.
_CORNER_DX = np.array([-1.0, -0.5, 0.5, 1.0, 0.5, -0.5, -1.0])
_CORNER_DY = np.array([0.0, -0.5, -0.5, 0.0, 0.5, 0.5, 0.0]) * SQRT3


def hex_area_m2(size: float) -> float:
    """Area of one hexagon of side `size` metres: 3*sqrt(3)/2 * size^2."""
    return 1.5 * SQRT3 * size * size


def hex_centres(i: np.ndarray, j: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres (x, y) in metres of cells (i, j)."""
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    x = 1.5 * size * i
    y = SQRT3 * size * (j + 0.5 * (i & 1))
    return x, y


def hex_index(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """The cell (i, j) holding each point (x, y), in metres.

    A hexagonal tiling is the Voronoi diagram of its centres, so a point belongs to the nearest
    centre. A point with x between columns i0 and i0+1 can only lie in one of those two columns
    (a hexagon reaches `size` to either side of its centre, columns are 1.5 * size apart), and
    within a column the nearest centre is found by rounding.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    row_h = SQRT3 * size
    i0 = np.floor(x / (1.5 * size)).astype(np.int64)
    best_i = np.empty_like(i0)
    best_j = np.empty_like(i0)
    best_d = np.full(x.shape, np.inf)
    for ci in (i0, i0 + 1):
        offset = 0.5 * row_h * (ci & 1)
        cj = np.round((y - offset) / row_h).astype(np.int64)
        cx, cy = hex_centres(ci, cj, size)
        d = (x - cx) ** 2 + (y - cy) ** 2
        closer = d < best_d
        best_i = np.where(closer, ci, best_i)
        best_j = np.where(closer, cj, best_j)
        best_d = np.where(closer, d, best_d)
    return best_i, best_j


def hex_polygons(i: np.ndarray, j: np.ndarray, size: float) -> np.ndarray:
    """Shapely polygons of cells (i, j), in metres (the same rings ST_HexagonGrid builds)."""
    cx, cy = hex_centres(i, j, size)
    xs = cx[:, None] + size * _CORNER_DX[None, :]
    ys = cy[:, None] + size * _CORNER_DY[None, :]
    return shapely.polygons(np.stack([xs, ys], axis=-1))


def study_cells(areas: gpd.GeoDataFrame, size: float) -> gpd.GeoDataFrame:
    """Every cell that overlaps the study area, with no report data yet.

    `areas` are the polygons that make up the study area (e.g. the city's wards), in a metric
    CRS, optionally with a `population` column. Hot-spot statistics need the whole study area,
    zero-count cells included: without the quiet background nothing can be "hot" against it.

    Each cell carries `area_km2`, the part of it inside the study area, so rates per km² at
    the city edge are not diluted by the river or the neighbouring province; and, when
    `population` is given, the residents in it by *area weighting*: each area's population is
    assumed spread evenly over its surface, so a cell gets the share of each area's
    population equal to the share of the area's surface it covers. A cell touching an area of
    unknown population gets NaN, since a partial sum would understate the rate's denominator.
    """
    if size <= 0:
        raise ValueError("cell size must be positive")
    geoms = areas.geometry.values
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    i_range = np.arange(math.floor(minx / (1.5 * size)) - 1, math.ceil(maxx / (1.5 * size)) + 2)
    j_range = np.arange(math.floor(miny / (SQRT3 * size)) - 1, math.ceil(maxy / (SQRT3 * size)) + 2)
    ii, jj = (a.ravel() for a in np.meshgrid(i_range, j_range, indexing="ij"))
    polygons = hex_polygons(ii, jj, size)
    tree = shapely.STRtree(polygons)
    full = hex_area_m2(size)
    inside = np.zeros(len(polygons))
    population = np.zeros(len(polygons))
    unknown = np.zeros(len(polygons), dtype=bool)
    populations = areas["population"] if "population" in areas else [None] * len(areas)
    for geom, people in zip(geoms, populations, strict=True):
        hit = tree.query(geom, predicate="intersects")
        if hit.size == 0:
            continue
        # Cells wholly inside the area need no polygon clipping, which is the slow part.
        shapely.prepare(geom)
        whole = shapely.contains_properly(geom, polygons[hit])
        overlap = np.full(hit.size, full)
        edge = hit[~whole]
        overlap[~whole] = shapely.area(shapely.intersection(polygons[edge], geom))
        inside[hit] += overlap
        if people is None or (isinstance(people, float) and math.isnan(people)):
            unknown[hit[overlap > 0]] = True
        else:
            population[hit] += float(people) * overlap / shapely.area(geom)
    # Cells that only touch the study area along an edge have no place in it.
    keep = inside > 0
    population[unknown] = np.nan
    data = {"i": ii[keep], "j": jj[keep], "area_km2": inside[keep] / 1e6}
    if "population" in areas:
        data["population"] = population[keep]
    return gpd.GeoDataFrame(data, geometry=polygons[keep], crs=areas.crs).reset_index(drop=True)


def cell_counts(
    cells: gpd.GeoDataFrame,
    x: np.ndarray,
    y: np.ndarray,
    size: float,
    weights: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Count (and weight-sum) points (x, y) per study cell; cells with no point get 0.

    Points outside every study cell are dropped: the study area decides what is analysed.
    `weights` (e.g. supporters per report) defaults to 1 per point.
    """
    pi, pj = hex_index(x, y, size)
    w = np.ones(len(pi)) if weights is None else np.asarray(weights, dtype=float)
    key = cell_key(cells["i"].to_numpy(), cells["j"].to_numpy())
    order = np.argsort(key)
    pkey = cell_key(pi, pj)
    pos = np.searchsorted(key[order], pkey)
    pos = np.clip(pos, 0, len(key) - 1)
    found = key[order][pos] == pkey if len(key) else np.zeros(len(pkey), dtype=bool)
    target = order[pos[found]]
    out = cells.copy()
    out["count"] = np.bincount(target, minlength=len(cells)).astype(np.int64)
    out["weight"] = np.bincount(target, weights=w[found], minlength=len(cells))
    return out


def add_rates(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add `per_km2` (count over the cell's area inside the study area) and, where a
    `population` column holds a positive number, `per_1000_residents`."""
    out = cells.copy()
    out["per_km2"] = out["count"] / out["area_km2"]
    if "population" in out:
        population = out["population"].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = out["count"] * 1000.0 / population
        out["per_1000_residents"] = np.where(population > 0, rate, np.nan)
    return out


def cell_key(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """One int64 per cell (i, j), for sorting and matching. |i|, |j| < 2**31 in any CRS."""
    return (np.asarray(i, dtype=np.int64) << 32) + (np.asarray(j, dtype=np.int64) & 0xFFFFFFFF)
