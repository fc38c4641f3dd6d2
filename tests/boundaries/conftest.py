"""Helpers for boundary tests: small synthetic files written from WKT, and the import command."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from django.core.management import call_command

from geo.crs import METRIC, WGS84, shapes_transform, transformer
from tests.conftest import hanoi_file
from tests.factories.boundaries import LevelFactory

# A 2 x 2 block of 0.01-degree squares (about 1.04 x 1.11 km at 21 N), south-west corner at
# (105.80, 21.00), codes 00001..00004 row by row from the south-west.
GRID_SW = (105.80, 21.00)
GRID_SIZE = 0.01


def square_wkt(lon: float, lat: float, size: float = GRID_SIZE) -> str:
    """WKT of a square polygon with its south-west corner at (lon, lat)."""
    return (
        f"POLYGON(({lon} {lat}, {lon + size} {lat}, {lon + size} {lat + size}, "
        f"{lon} {lat + size}, {lon} {lat}))"
    )


def grid_rows(codes=("00001", "00002", "00003", "00004")) -> list[dict]:
    """Rows of the 2 x 2 grid, with Vietnamese names, as an importer would read them."""
    rows = []
    for i, code in enumerate(codes):
        lon = GRID_SW[0] + (i % 2) * GRID_SIZE
        lat = GRID_SW[1] + (i // 2) * GRID_SIZE
        rows.append(
            {
                "code": code,
                "name": f"Phường Thử {i + 1}",
                "geometry": shapely.from_wkt(square_wkt(lon, lat)),
            }
        )
    return rows


def write_file(
    path: Path, rows: list[dict], *, crs: int | None = WGS84, driver: str | None = None
) -> Path:
    """Write `rows` (with a shapely "geometry") to `path`; the driver follows the suffix."""
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=f"EPSG:{crs}" if crs else None)
    with warnings.catch_warnings():
        # Writing a file without a CRS is deliberate here: it is what --source-srid is for.
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.to_file(path, driver=driver)
    return path


def run_import(path: Path | str, *args: str) -> str:
    """Run import_boundaries and return what it printed."""
    out = io.StringIO()
    call_command("import_boundaries", str(path), *args, stdout=out)
    return out.getvalue()


def count(output: str, label: str) -> int:
    """The number printed after `label:` in an import summary."""
    for line in output.splitlines():
        if line.startswith(f"{label}:"):
            return int(line.split(":", 1)[1].split()[0])
    raise AssertionError(f"{label!r} not in output:\n{output}")


@pytest.fixture
def ward_level():
    return LevelFactory(code="ward", name="Phường/Xã", name_en="Ward/Commune", rank=2)


@pytest.fixture
def district_level():
    return LevelFactory(code="district", name="Quận/Huyện", name_en="District", rank=1)


@pytest.fixture
def grid_file(tmp_path) -> Path:
    return write_file(tmp_path / "grid.geojson", grid_rows())


@pytest.fixture(scope="session")
def ward_features():
    """(code, name, shapely geometry) of every ward in the source file."""
    data = json.loads(hanoi_file("wards_2025.geojson").read_text(encoding="utf-8"))
    return [
        (
            f["properties"]["code"],
            f["properties"]["fullName"],
            shapely.geometry.shape(f["geometry"]),
        )
        for f in data["features"]
    ]


def to_metric(geom):
    return shapes_transform(geom, transformer(WGS84, METRIC))


def to_wgs84(x: float, y: float) -> tuple[float, float]:
    return transformer(METRIC, WGS84).transform(x, y)
