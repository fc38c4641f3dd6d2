"""Kernel density of reports from binned counts: smooth a square grid with a Gaussian kernel.

Counting points into square bins happens in SQL (one row per non-empty bin, never one per
report); the bins are placed on a dense array here and convolved with a Gaussian of standard
deviation `bandwidth_m`, which is the binned approximation of a Gaussian kernel density
estimate. Densities are reports (or weight) per km².

The answer must stay small for a browser whatever the number of reports: cells below a small
fraction of the peak are dropped, and when more than `max_cells` remain the grid is coarsened
by summing 2 x 2 blocks until they fit. The grid is also coarsened before smoothing when the
cells are much finer than the bandwidth or the array would be huge (see MAX_SIGMA_CELLS,
MAX_DENSE_CELLS). The cell size actually used is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# Cells under this share of the peak density are not sent: invisible on any colour ramp.
MIN_SHARE_OF_PEAK = 0.01
# With polygons of ~170 bytes each, 5,000 cells keep the GeoJSON under 1 MB.
MAX_CELLS = 5000
# Bounds on the work: the dense array smoothed at once, and the kernel's reach in cells (the
# filter costs grow with both). A density smoothed over sigma gains nothing from cells finer
# than sigma / 8, so a finer request is coarsened first.
MAX_DENSE_CELLS = 4_000_000
MAX_SIGMA_CELLS = 8.0


@dataclass(frozen=True)
class DensityGrid:
    """Smoothed density on square cells anchored at the CRS origin: cell (col, row) spans
    x from col * cell_m to (col + 1) * cell_m, and likewise y for row."""

    cell_m: float
    cols: np.ndarray
    rows: np.ndarray
    density: np.ndarray


def kernel_density(
    col: np.ndarray,
    row: np.ndarray,
    weight: np.ndarray,
    *,
    cell_m: float,
    bandwidth_m: float,
    max_cells: int = MAX_CELLS,
) -> DensityGrid:
    """Smooth binned sums into a density grid. `col`/`row` are integer bin indices
    (floor(x / cell_m), floor(y / cell_m) in metres), `weight` the sum per bin."""
    col = np.asarray(col, dtype=np.int64)
    row = np.asarray(row, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    if col.size == 0:
        empty = np.empty(0)
        return DensityGrid(cell_m, empty.astype(np.int64), empty.astype(np.int64), empty)
    while _too_fine(col, row, cell_m=cell_m, bandwidth_m=bandwidth_m):
        col, row, weight = _coarsen(col, row, weight)
        cell_m *= 2
    while True:
        grid = _smooth(col, row, weight, cell_m=cell_m, bandwidth_m=bandwidth_m)
        if grid.density.size <= max_cells:
            return grid
        col, row, weight = _coarsen(col, row, weight)
        cell_m *= 2


def _too_fine(col: np.ndarray, row: np.ndarray, *, cell_m: float, bandwidth_m: float) -> bool:
    sigma = bandwidth_m / cell_m
    pad = 2 * (int(np.ceil(3 * sigma)) + 1)
    dense = (int(row.max() - row.min()) + pad + 1) * (int(col.max() - col.min()) + pad + 1)
    return sigma > MAX_SIGMA_CELLS or dense > MAX_DENSE_CELLS


def _smooth(
    col: np.ndarray, row: np.ndarray, weight: np.ndarray, *, cell_m: float, bandwidth_m: float
) -> DensityGrid:
    sigma = bandwidth_m / cell_m
    pad = int(np.ceil(3 * sigma)) + 1
    c0, r0 = col.min() - pad, row.min() - pad
    shape = (row.max() - r0 + pad + 1, col.max() - c0 + pad + 1)
    dense = np.zeros(shape)
    np.add.at(dense, (row - r0, col - c0), weight)
    smoothed = ndimage.gaussian_filter(dense, sigma=sigma, mode="constant", truncate=3.0)
    per_km2 = smoothed / (cell_m * cell_m / 1e6)
    peak = per_km2.max()
    keep = per_km2 >= peak * MIN_SHARE_OF_PEAK if peak > 0 else np.zeros_like(per_km2, bool)
    rr, cc = np.nonzero(keep)
    return DensityGrid(
        cell_m=cell_m,
        cols=cc + c0,
        rows=rr + r0,
        density=per_km2[rr, cc],
    )


def _coarsen(
    col: np.ndarray, row: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum 2 x 2 blocks of bins: bin (c, r) of size s lies in bin (c // 2, r // 2) of size 2s,
    because both grids start at the CRS origin."""
    keys = np.stack([col // 2, row // 2], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weight, minlength=len(unique))
    return unique[:, 0], unique[:, 1], summed
