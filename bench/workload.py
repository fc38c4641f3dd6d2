"""A reproducible synthetic year of reports over real (or demo) ward polygons.

The mix imitates what a city sees: most reports fall where people live (small, dense urban
wards get more per km²), a fifth come from persistent hotspots (an overflowing collection
point, a flooded underpass) dominated by one category, and the rest are scattered. The same
seed always gives the same points, so runs on different days compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geo.crs import METRIC, WGS84

SEED = 20250701
HANOI_WARDS = Path(__file__).resolve().parent.parent.parent / "shared/data/hanoi/wards_2025.geojson"

# Share of reports per category group, roughly as Hanoi's published figures break down:
# sanitation and urban order dominate, noise is rare.
CATEGORY_MIX: dict[str, float] = {
    "sanitation": 0.30,
    "urban_order": 0.25,
    "traffic": 0.12,
    "drainage": 0.10,
    "lighting": 0.08,
    "construction": 0.07,
    "trees": 0.05,
    "noise": 0.03,
}
HOTSPOT_SHARE = 0.20
URBAN_SHARE = 0.60
HOTSPOTS = 60
HOTSPOT_SIGMA_M = 120.0
YEAR_START = datetime(2025, 7, 1, tzinfo=UTC)
YEAR_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Workload:
    """Parallel arrays, one entry per synthetic report."""

    lon: np.ndarray
    lat: np.ndarray
    category: np.ndarray  # index into `categories`
    created: np.ndarray  # datetime64[s], UTC
    categories: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.lon)


def _sample_in(polygon, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside `polygon` by vectorised rejection from its bounding box."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    xs, ys = [], []
    need = count
    while need > 0:
        batch = max(need * 3, 64)
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        keep = shapely.contains_xy(polygon, x, y)
        xs.append(x[keep][:need])
        ys.append(y[keep][:need])
        need -= len(xs[-1])
    return np.concatenate(xs), np.concatenate(ys)


def generate(wards: gpd.GeoDataFrame, n: int, *, seed: int = SEED) -> Workload:
    """`n` reports over the wards in `wards` (a GeoDataFrame in EPSG:4326)."""
    rng = np.random.default_rng(seed)
    geoms = list(wards.geometry.values)
    areas = wards.to_crs(METRIC).geometry.area.to_numpy()
    city = shapely.union_all(geoms)
    shapely.prepare(city)
    categories = tuple(CATEGORY_MIX)
    mix = np.array(list(CATEGORY_MIX.values()))

    n_hot = int(n * HOTSPOT_SHARE)
    n_urban = int(n * URBAN_SHARE)
    n_uniform = n - n_hot - n_urban

    # Dense wards: density inversely proportional to ward area.
    weights = (1.0 / areas) / (1.0 / areas).sum()
    per_ward = rng.multinomial(n_urban, weights)
    lon_parts, lat_parts = [], []
    for geom, count in zip(geoms, per_ward, strict=True):
        if count:
            x, y = _sample_in(geom, int(count), rng)
            lon_parts.append(x)
            lat_parts.append(y)
    ux, uy = _sample_in(city, n_uniform, rng)
    lon_parts.append(ux)
    lat_parts.append(uy)
    cat_background = rng.choice(len(categories), size=n_urban + n_uniform, p=mix)

    # Hotspots sit in dense wards, each with one dominant category (70 % of its reports).
    centre_wards = rng.choice(len(geoms), size=HOTSPOTS, p=weights)
    centres = np.array([_sample_in(geoms[i], 1, rng) for i in centre_wards])[:, :, 0]
    to_m = Transformer.from_crs(WGS84, METRIC, always_xy=True)
    to_deg = Transformer.from_crs(METRIC, WGS84, always_xy=True)
    cx, cy = to_m.transform(centres[:, 0], centres[:, 1])
    which = rng.integers(0, HOTSPOTS, n_hot)
    hx = cx[which] + rng.normal(0, HOTSPOT_SIGMA_M, n_hot)
    hy = cy[which] + rng.normal(0, HOTSPOT_SIGMA_M, n_hot)
    hlon, hlat = to_deg.transform(hx, hy)
    # A hotspot at the city edge spills over it; move the spill to its centre.
    outside = ~shapely.contains_xy(city, hlon, hlat)
    hlon[outside] = centres[which[outside], 0]
    hlat[outside] = centres[which[outside], 1]
    dominant = rng.choice(len(categories), size=HOTSPOTS, p=mix)
    cat_hot = np.where(
        rng.random(n_hot) < 0.7, dominant[which], rng.choice(len(categories), size=n_hot, p=mix)
    )
    lon_parts.append(hlon)
    lat_parts.append(hlat)

    lon = np.concatenate(lon_parts)
    lat = np.concatenate(lat_parts)
    category = np.concatenate([cat_background, cat_hot]).astype(np.int16)
    order = rng.permutation(n)
    seconds = np.sort(rng.integers(0, YEAR_SECONDS, n))
    created = np.datetime64(YEAR_START.replace(tzinfo=None), "s") + seconds.astype("timedelta64[s]")
    return Workload(lon[order], lat[order], category[order], created, categories)


def real_or_demo_wards() -> tuple[gpd.GeoDataFrame, str]:
    """Hanoi's 126 real wards when the shared data is present, else the demo city's wards."""
    if HANOI_WARDS.is_file():
        wards = gpd.read_file(HANOI_WARDS)[["code", "geometry"]]
        return wards, f"real Hanoi wards ({len(wards)})"
    from boundaries.models import Area

    rows = Area.objects.current().filter(level__code="ward").values_list("code", "geom")
    wards = gpd.GeoDataFrame(
        {"code": [c for c, _ in rows]},
        geometry=[shapely.from_wkb(bytes(g.wkb)) for _, g in rows],
        crs=WGS84,
    )
    return wards, f"demo city wards ({len(wards)})"
