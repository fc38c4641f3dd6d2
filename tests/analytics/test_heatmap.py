"""Heat map: a Gaussian kernel density over binned counts that stays small for a browser."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analytics import geojson, heatmap
from geo.crs import METRIC

# Hanoi's extent in UTM 48N, roughly: 90 km x 110 km.
X0, Y0, X1, Y1 = 520_000, 2_280_000, 610_000, 2_390_000


def test_smoothing_keeps_the_total_and_spreads_one_bin_by_the_bandwidth():
    grid = heatmap.kernel_density(
        np.array([10]), np.array([10]), np.array([100.0]), cell_m=100, bandwidth_m=200
    )
    # Nothing was dropped below 1 % of the peak within ~3 sigma except the far tails.
    total = grid.density.sum() * (grid.cell_m**2 / 1e6)
    assert total == pytest.approx(100.0, rel=0.02)
    peak = np.argmax(grid.density)
    assert (grid.cols[peak], grid.rows[peak]) == (10, 10)
    assert grid.cell_m == 100


def test_a_million_reports_make_a_heatmap_under_one_megabyte():
    rng = np.random.default_rng(0)
    # A million reports: a city-wide background and dense centres, binned at 250 m.
    n_background, n_centres = 400_000, 600_000
    x = np.concatenate([rng.uniform(X0, X1, n_background), rng.normal(585_000, 3_000, n_centres)])
    y = np.concatenate([rng.uniform(Y0, Y1, n_background), rng.normal(2_324_000, 3_000, n_centres)])
    cols, rows = np.floor(x / 250).astype(int), np.floor(y / 250).astype(int)
    keys, counts = np.unique(np.stack([cols, rows], axis=1), axis=0, return_counts=True)
    grid = heatmap.kernel_density(
        keys[:, 0], keys[:, 1], counts.astype(float), cell_m=250, bandwidth_m=500
    )
    assert grid.density.size <= heatmap.MAX_CELLS
    x0, y0 = grid.cols * grid.cell_m, grid.rows * grid.cell_m
    frame = gpd.GeoDataFrame(
        {"density": grid.density},
        geometry=shapely.box(x0, y0, x0 + grid.cell_m, y0 + grid.cell_m),
        crs=METRIC,
    )
    text = geojson.dumps(
        geojson.feature_collection(
            frame, ["density"], parameters={}, meta={}, decimals=5, float_decimals=3
        )
    )
    assert len(text.encode()) < 1_000_000
    assert '"density"' in text


def test_empty_input_gives_an_empty_grid():
    grid = heatmap.kernel_density(
        np.array([], int), np.array([], int), np.array([]), cell_m=250, bandwidth_m=500
    )
    assert grid.density.size == 0


def test_cells_far_finer_than_the_bandwidth_are_coarsened_before_smoothing():
    """50 m cells under a 20 km kernel would smooth a 4,800 x 4,800 array with a 1,200-cell
    reach; the grid is coarsened until the kernel spans at most 8 cells."""
    rng = np.random.default_rng(1)
    cols = rng.integers(10_400, 12_200, 2000)
    rows = rng.integers(45_600, 47_800, 2000)
    grid = heatmap.kernel_density(cols, rows, np.ones(2000), cell_m=50, bandwidth_m=20_000)
    assert 20_000 / grid.cell_m <= heatmap.MAX_SIGMA_CELLS
    total = grid.density.sum() * grid.cell_m**2 / 1e6
    assert total == pytest.approx(2000, rel=0.05)
