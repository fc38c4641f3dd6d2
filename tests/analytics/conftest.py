"""Fixtures for analytics tests: the real Hanoi wards in the metric CRS, and synthetic reports
with hot spots planted at known cells on a uniform background."""

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analytics import hexgrid
from geo.crs import METRIC
from tests.conftest import hanoi_file

# A coarse grid keeps the pure tests at ~1,400 cells over the whole city.
CELL_M = 1000.0


@pytest.fixture(scope="session")
def hanoi_wards() -> gpd.GeoDataFrame:
    """The 126 wards of 2025, in UTM 48N."""
    return gpd.read_file(hanoi_file("wards_2025.geojson")).to_crs(METRIC)


@pytest.fixture(scope="session")
def hanoi_outline(hanoi_wards):
    return shapely.union_all(hanoi_wards.geometry.values)


@dataclass
class PlantedCity:
    cells: gpd.GeoDataFrame
    x: np.ndarray
    y: np.ndarray
    hot_cells: set[tuple[int, int]]
    centres: list[tuple[int, int]]


def uniform_points(outline, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` points uniformly inside `outline` (rejection sampling over its bounds)."""
    minx, miny, maxx, maxy = outline.bounds
    xs, ys = [], []
    shapely.prepare(outline)
    while sum(len(a) for a in xs) < n:
        x = rng.uniform(minx, maxx, n)
        y = rng.uniform(miny, maxy, n)
        inside = shapely.contains_xy(outline, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def points_in_cells(
    cells: list[tuple[int, int]], per_cell: int, size: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`per_cell` points uniformly inside each hexagon (i, j)."""
    xs, ys = [], []
    for i, j in cells:
        cx, cy = hexgrid.hex_centres(np.array([i]), np.array([j]), size)
        got = 0
        while got < per_cell:
            x = rng.uniform(cx[0] - size, cx[0] + size, 4 * per_cell)
            y = rng.uniform(cy[0] - size, cy[0] + size, 4 * per_cell)
            ii, jj = hexgrid.hex_index(x, y, size)
            keep = (ii == i) & (jj == j)
            take = min(per_cell - got, int(keep.sum()))
            xs.append(x[keep][:take])
            ys.append(y[keep][:take])
            got += take
    return np.concatenate(xs), np.concatenate(ys)


def hex_ring(i: int, j: int, size: float) -> list[tuple[int, int]]:
    """Cell (i, j) and its six neighbours."""
    cx, cy = hexgrid.hex_centres(np.array([i]), np.array([j]), size)
    angles = np.radians(np.arange(30, 360, 60))
    d = np.sqrt(3) * size
    ni, nj = hexgrid.hex_index(cx + d * np.cos(angles), cy + d * np.sin(angles), size)
    return [(i, j), *zip(ni.tolist(), nj.tolist(), strict=True)]


def plant_hotspots(
    wards: gpd.GeoDataFrame, outline, *, size: float, seed: int = 7, hotspots: int = 6
) -> PlantedCity:
    """A uniform background of ~2 reports per cell, plus `hotspots` patches of seven cells
    (a cell and its ring) holding 12 extra reports each, well inside the city and apart."""
    rng = np.random.default_rng(seed)
    cells = hexgrid.study_cells(wards, size)
    bx, by = uniform_points(outline, 2 * len(cells), rng)
    inner = outline.buffer(-3 * size)
    cx, cy = hexgrid.hex_centres(cells["i"].to_numpy(), cells["j"].to_numpy(), size)
    candidates = np.nonzero(shapely.contains_xy(inner, cx, cy))[0]
    centres: list[tuple[int, int]] = []
    for k in rng.permutation(candidates):
        if all(np.hypot(cx[k] - cx[c], cy[k] - cy[c]) > 8 * size for c in centres):
            centres.append(int(k))
        if len(centres) == hotspots:
            break
    patches = [hex_ring(int(cells["i"][k]), int(cells["j"][k]), size) for k in centres]
    hot = {cell for patch in patches for cell in patch}
    hx, hy = points_in_cells(sorted(hot), 12, size, rng)
    return PlantedCity(
        cells=cells,
        x=np.concatenate([bx, hx]),
        y=np.concatenate([by, hy]),
        hot_cells=hot,
        centres=[(int(cells["i"][k]), int(cells["j"][k])) for k in centres],
    )


@pytest.fixture(scope="session")
def planted(hanoi_wards, hanoi_outline) -> PlantedCity:
    return plant_hotspots(hanoi_wards, hanoi_outline, size=CELL_M)
