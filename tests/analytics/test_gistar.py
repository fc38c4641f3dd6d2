"""Gi* hot spots: equal to esda, FDR as Benjamini-Hochberg, and planted hot spots found."""

import warnings

import esda
import libpysal
import numpy as np
import pytest

from analytics import gistar, hexgrid
from tests.analytics.conftest import CELL_M


def _esda_g_local(values, w, permutations=0, seed=None):
    """esda's Gi* with binary weights built from the same sparse matrix."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(
            values,
            libpysal.weights.WSP(w).to_W(silence_warnings=True),
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
        )


def _hex_block(n: int, size: float = 250.0):
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return hexgrid.hex_centres(ii.ravel(), jj.ravel(), size)


def test_gistar_z_scores_equal_esda_g_local_star_on_the_same_weights():
    """esda.G_Local(y, w, transform="B", star=True).Zs is the reference, to 1e-6."""
    x, y = _hex_block(25)
    rng = np.random.default_rng(11)
    values = rng.poisson(3, len(x)).astype(float)
    values[:40] += 12  # some structure, so z-scores are far from zero
    w = gistar.distance_band_weights(x, y, gistar.hex_neighbour_band(250.0))
    reference = _esda_g_local(values, w)
    ours = gistar.gistar_z(values, w)
    np.testing.assert_allclose(ours, reference.Zs, atol=1e-6, rtol=0)
    assert np.abs(ours).max() > 3


def test_permutation_p_values_agree_with_esda_within_sampling_noise():
    x, y = _hex_block(15)
    values = np.random.default_rng(5).poisson(2, len(x)).astype(float)
    values[:10] += 10
    w = gistar.distance_band_weights(x, y, gistar.hex_neighbour_band(250.0))
    reference = _esda_g_local(values, w, permutations=999, seed=1)
    ours = gistar.gistar_permutation_p(values, w, permutations=999, seed=2)
    # Two independent 999-draw estimates of the same p differ by a few hundredths at most.
    assert np.abs(ours - reference.p_sim).max() < 0.08
    assert ours.min() == pytest.approx(1 / 1000)


def test_permutation_p_values_do_not_depend_on_the_block_size():
    """Blocks bound the memory of the draws; every cell sees the same draws in any block."""
    x, y = _hex_block(12)
    values = np.random.default_rng(7).poisson(3, len(x)).astype(float)
    w = gistar.distance_band_weights(x, y, gistar.hex_neighbour_band(250.0))
    one_block = gistar.gistar_permutation_p(values, w, permutations=99, seed=3, max_draws=10**9)
    for max_draws in (1, 600, 5_000):
        np.testing.assert_array_equal(
            gistar.gistar_permutation_p(values, w, permutations=99, seed=3, max_draws=max_draws),
            one_block,
        )


def test_distance_band_weights_equal_libpysal_distance_band():
    x, y = _hex_block(12)
    band = gistar.hex_neighbour_band(250.0)
    ours = gistar.distance_band_weights(x, y, band)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = libpysal.weights.DistanceBand(
            np.column_stack([x, y]), threshold=band, binary=True, silence_warnings=True
        )
    assert (reference.sparse != ours).nnz == 0


def test_hex_cells_get_six_neighbours_inside_and_fewer_at_the_edge():
    x, y = _hex_block(6)
    w = gistar.distance_band_weights(x, y, gistar.hex_neighbour_band(250.0))
    cardinality = np.diff(w.indptr)
    assert cardinality.max() == 6
    assert cardinality.min() in (2, 3)
    assert (w.diagonal() == 0).all()


def test_benjamini_hochberg_threshold_is_the_largest_p_under_its_rank_line():
    """p sorted: .001 .008 .039 .041 .042 .06 .074 .205; lines k/8*.05: .00625 .0125 .01875
    .025 .03125 .0375 .04375 .05. Passing: k=1 (.001 <= .00625), k=2 (.008 <= .0125)."""
    p = np.array([0.041, 0.001, 0.205, 0.008, 0.039, 0.06, 0.042, 0.074])
    assert gistar.fdr_threshold(p, 0.05) == pytest.approx(0.008)
    assert gistar.fdr_threshold(np.array([0.5, 0.9]), 0.05) == 0.0


@pytest.mark.parametrize(
    ("z", "expected"),
    [(0.0, 0), (1.70, 1), (-1.70, -1), (2.0, 2), (-2.2, -2), (2.6, 3), (-3.5, -3), (1.6, 0)],
)
def test_gi_bins_without_fdr_follow_arcgis_confidence_levels(z, expected):
    """Two-sided: |z| > 1.645 is 90 %, > 1.960 is 95 %, > 2.576 is 99 %."""
    background = np.zeros(50)
    bins = gistar.gi_bins(np.concatenate([[z], background]), fdr=False)
    assert bins[0] == expected


def test_fdr_demotes_a_lone_marginal_cell_that_plain_p_values_would_call_hot():
    z = np.concatenate([[2.0], np.zeros(99)])
    assert gistar.gi_bins(z, fdr=False)[0] == 2
    assert gistar.gi_bins(z, fdr=True)[0] == 0


def test_constant_values_give_zero_z_and_no_hot_spot():
    x, y = _hex_block(5)
    w = gistar.distance_band_weights(x, y, gistar.hex_neighbour_band(250.0))
    result = gistar.gistar(np.full(len(x), 3.0), w, permutations=9, seed=0)
    assert (result["z"] == 0).all()
    assert (result["bin"] == 0).all()


@pytest.mark.hanoi
def test_gistar_with_fdr_finds_planted_hotspots_over_hanoi_and_little_else(planted):
    """Six planted patches of seven cells over the real wards (1 km cells, ~1,440 cells with
    zero-count cells inside the outline). Recall >= 0.95 at 95 % with FDR; false positives
    (any non-zero bin outside the patches) <= 5 % of the background."""
    cells = hexgrid.cell_counts(planted.cells, planted.x, planted.y, CELL_M)
    cx, cy = hexgrid.hex_centres(cells["i"].to_numpy(), cells["j"].to_numpy(), CELL_M)
    w = gistar.distance_band_weights(cx, cy, gistar.hex_neighbour_band(CELL_M))
    result = gistar.gistar(cells["count"].to_numpy(float), w, permutations=99, seed=1)
    pairs = list(zip(cells["i"], cells["j"], strict=True))
    is_hot = np.array([pair in planted.hot_cells for pair in pairs])
    assert is_hot.sum() == 6 * 7
    recall = (result["bin"][is_hot] >= 2).mean()
    false_positive_rate = (result["bin"][~is_hot] != 0).mean()
    assert recall >= 0.95
    assert false_positive_rate <= 0.05
    # The permutation test agrees on the patch centres.
    centres = np.array([pair in planted.centres for pair in pairs])
    assert (result["p_sim"][centres] <= 0.05).all()
