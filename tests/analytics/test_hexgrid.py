"""Hexagon grid: PostGIS's layout reproduced, points in the right cell, areas and population."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import wkt

from analytics import hexgrid
from geo.crs import METRIC

SIZE = 250.0


def test_a_cell_centre_and_corners_match_st_hexagongrid_output():
    """PostGIS 3.3: ST_HexagonGrid(1, ...) cell (1, 0) is
    POLYGON((0.5 0.866..,1 0,2 0,2.5 0.866..,2 1.732..,1 1.732..,0.5 0.866..))."""
    polygon = hexgrid.hex_polygons(np.array([1]), np.array([0]), 1.0)[0]
    expected = wkt.loads(
        "POLYGON((0.5 0.866025403784439,1 0,2 0,2.5 0.866025403784439,"
        "2 1.732050807568877,1 1.732050807568877,0.5 0.866025403784439))"
    )
    assert polygon.equals_exact(expected, tolerance=1e-9)
    x, y = hexgrid.hex_centres(np.array([1, 0]), np.array([0, 1]), 1.0)
    np.testing.assert_allclose(x, [1.5, 0.0])
    np.testing.assert_allclose(y, [np.sqrt(3) / 2, np.sqrt(3)])


def test_every_random_point_is_indexed_to_the_hexagon_that_contains_it():
    rng = np.random.default_rng(3)
    x = rng.uniform(580_000, 600_000, 5000)
    y = rng.uniform(2_320_000, 2_340_000, 5000)
    i, j = hexgrid.hex_index(x, y, SIZE)
    polygons = hexgrid.hex_polygons(i, j, SIZE)
    assert shapely.covers(polygons, shapely.points(x, y)).all()


def test_negative_coordinates_are_indexed_like_positive_ones():
    i, j = hexgrid.hex_index(np.array([-1.4, -0.1]), np.array([-0.9, 0.0]), 1.0)
    polygons = hexgrid.hex_polygons(i, j, 1.0)
    assert shapely.covers(polygons, shapely.points([-1.4, -0.1], [-0.9, 0.0])).all()


def test_study_cells_cover_the_whole_city_and_their_inside_areas_sum_to_its_area(hanoi_wards):
    cells = hexgrid.study_cells(hanoi_wards, 1000.0)
    city_km2 = shapely.union_all(hanoi_wards.geometry.values).area / 1e6
    assert cells["area_km2"].sum() == pytest.approx(city_km2, rel=1e-6)
    # The wards overlap by at most ~1 m² (data README), so a cell may exceed itself by that.
    assert (cells["area_km2"] <= hexgrid.hex_area_m2(1000.0) / 1e6 + 2e-6).all()
    city = shapely.union_all(hanoi_wards.geometry.values)
    uncovered = city.difference(shapely.union_all(cells.geometry.values))
    assert uncovered.area < 1.0  # m²: float noise where neighbouring hexagons meet


def test_population_is_spread_by_area_and_unknown_population_makes_the_cell_unknown():
    """Two 1 km x 2 km wards side by side, 2,000 and unknown residents. A cell wholly inside
    the first gets 2,000 x its area share; cells touching the second are unknown (NaN)."""
    wards = gpd.GeoDataFrame(
        {"population": [2000.0, np.nan]},
        geometry=[
            wkt.loads("POLYGON((0 0, 1000 0, 1000 2000, 0 2000, 0 0))"),
            wkt.loads("POLYGON((1000 0, 2000 0, 2000 2000, 1000 2000, 1000 0))"),
        ],
        crs=METRIC,
    )
    cells = hexgrid.study_cells(wards, 100.0)
    assert cells["area_km2"].sum() == pytest.approx(4.0)
    cx, _ = hexgrid.hex_centres(cells["i"], cells["j"], 100.0)
    west = cx + 100.0 < 1000.0
    inside_west = west & (cells["area_km2"] == pytest.approx(hexgrid.hex_area_m2(100.0) / 1e6))
    expected = 2000.0 * cells.loc[inside_west, "area_km2"] / 2.0
    np.testing.assert_allclose(cells.loc[inside_west, "population"], expected)
    east = cx - 100.0 > 1000.0
    assert cells.loc[east, "population"].isna().all()


def test_counts_zero_fill_empty_cells_drop_points_outside_and_sum_weights():
    wards = gpd.GeoDataFrame(
        {"population": [1000.0]},
        geometry=[wkt.loads("POLYGON((0 0, 1000 0, 1000 1000, 0 1000, 0 0))")],
        crs=METRIC,
    )
    cells = hexgrid.study_cells(wards, 200.0)
    x = np.array([10.0, 12.0, 500.0, 5000.0])
    y = np.array([10.0, 12.0, 500.0, 5000.0])
    counted = hexgrid.cell_counts(cells, x, y, 200.0, weights=np.array([1.0, 2.0, 5.0, 7.0]))
    assert counted["count"].sum() == 3
    assert counted["weight"].sum() == pytest.approx(8.0)
    assert (counted["count"] == 0).sum() == len(cells) - 2
    rated = hexgrid.add_rates(counted)
    row = rated[rated["count"] == 2].iloc[0]
    assert row["per_km2"] == pytest.approx(2 / row["area_km2"])
    assert row["per_1000_residents"] == pytest.approx(2 * 1000 / row["population"])
