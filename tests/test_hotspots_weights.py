"""Spatial weights: tolerant contiguity, strict libpysal methods, islands and components."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo._errors import InputDataError
from clustergeo.config import WeightsConfig
from clustergeo.hotspots.weights import (
    ADAPTIVE_WIDENING,
    SpatialWeights,
    build_weights,
    configured_weights,
    kernel_weights,
)
from conftest import GRID_SIDE as SIDE
from conftest import GRID_X0 as X0
from conftest import GRID_Y0 as Y0
from conftest import square_grid as _grid


def _neighbours(weights: SpatialWeights, code: str) -> set[str]:
    row = int(np.flatnonzero(weights.ids == code)[0])
    matrix = weights.matrix
    return set(weights.ids[matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]])


def _concat(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:27700"
    )


# --- tolerant contiguity (the default) -------------------------------------------------------


def test_tolerant_contiguity_is_queen_on_a_grid() -> None:
    weights = build_weights(_grid(3, 3))
    assert weights.method.startswith("tolerant queen")
    assert weights.binary
    assert list(weights.ids) == [f"A{r}{c}" for r in range(3) for c in range(3)]
    # Corners touch three squares (two edges and one corner), edges five, the centre eight.
    np.testing.assert_array_equal(weights.cardinalities, [3, 5, 3, 5, 8, 5, 3, 5, 3])
    assert _neighbours(weights, "A00") == {"A01", "A10", "A11"}  # A11 by its corner only
    assert _neighbours(weights, "A11") == set(weights.ids) - {"A11"}
    dense = weights.matrix.toarray()
    np.testing.assert_array_equal(dense, dense.T)
    np.testing.assert_array_equal(np.diag(dense), 0)
    assert set(np.unique(dense)) == {0.0, 1.0}
    assert weights.islands == ()


def test_tolerance_bridges_a_half_metre_gap_but_not_at_ten_centimetres() -> None:
    pair = gpd.GeoDataFrame(
        {"area_code": ["west", "east"]},
        geometry=[
            box(X0, Y0, X0 + SIDE, Y0 + SIDE),
            box(X0 + SIDE + 0.5, Y0, X0 + 2 * SIDE, Y0 + SIDE),  # 0.5 m sliver between them
        ],
        crs="EPSG:27700",
    )
    bridged = build_weights(pair, tolerance_m=1.0, islands="exclude")
    np.testing.assert_array_equal(bridged.matrix.toarray(), [[0, 1], [1, 0]])
    assert bridged.islands == ()

    apart = build_weights(pair, tolerance_m=0.1, islands="exclude")
    assert apart.matrix.nnz == 0
    assert set(apart.islands) == {"west", "east"}

    # Strict queen contiguity does not bridge it either.
    strict = build_weights(pair, method="queen", islands="exclude")
    assert strict.matrix.nnz == 0


def test_strict_queen_and_rook_on_touching_squares() -> None:
    squares = _grid(2, 2)
    queen = build_weights(squares, method="queen")
    assert queen.method == "strict queen contiguity"
    # In a 2 x 2 block every square touches the other three (the diagonal one at a corner).
    np.testing.assert_array_equal(queen.cardinalities, [3, 3, 3, 3])
    assert _neighbours(queen, "A00") == {"A01", "A10", "A11"}
    rook = build_weights(squares, method="rook")
    np.testing.assert_array_equal(rook.cardinalities, [2, 2, 2, 2])
    assert _neighbours(rook, "A00") == {"A01", "A10"}
    for weights in (queen, rook):
        assert weights.binary
        np.testing.assert_array_equal(weights.matrix.diagonal(), 0)
        assert weights.islands == ()


@pytest.mark.parametrize(
    ("method", "kwargs", "binary"),
    [
        ("knn", {"k": 3}, True),
        ("distance_band", {"threshold_m": 150.0}, True),
        ("kernel", {}, False),
        ("kernel", {"bandwidth_m": 250.0, "kernel": "triangular"}, False),
    ],
)
def test_point_based_methods_build_with_a_zero_diagonal(
    method: str, kwargs: dict[str, object], binary: bool
) -> None:
    weights = build_weights(_grid(4, 4), method=method, **kwargs)  # type: ignore[arg-type]
    assert weights.matrix.shape == (16, 16)
    np.testing.assert_array_equal(weights.matrix.diagonal(), 0)
    assert weights.binary is binary
    assert weights.islands == ()
    assert (weights.matrix.data > 0).all()
    if method == "knn":
        np.testing.assert_array_equal(weights.cardinalities, 3)
    if method == "distance_band":
        # Centroids 100 m apart on the grid and 141 m diagonally: the queen pattern again.
        np.testing.assert_array_equal(
            weights.matrix.toarray(), build_weights(_grid(4, 4)).matrix.toarray()
        )


def test_knn_asks_for_no_more_neighbours_than_there_are_other_areas() -> None:
    weights = build_weights(_grid(2, 1), method="knn", k=6)
    np.testing.assert_array_equal(weights.matrix.toarray(), [[0, 1], [1, 0]])


# --- adaptive kernels ------------------------------------------------------------------------


def _gaussian(z: float) -> float:
    return float(np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi))


def test_adaptive_kernel_bandwidth_is_each_areas_kth_neighbour_distance() -> None:
    # Points on a line: a dense group (0, 1, 2 m) and a sparse one (100, 200, 300 m).
    points = np.array([[0.0, 0], [1, 0], [2, 0], [100, 0], [200, 0], [300, 0]])
    matrix = kernel_weights(points, k=2, kernel="gaussian").toarray()
    np.testing.assert_array_equal(np.diag(matrix), 0)
    np.testing.assert_array_equal((matrix > 0).sum(axis=1), 2)
    # Area 0: neighbours 1 m and 2 m away, bandwidth 2 m (x 1.0000001).
    h0 = 2.0 * ADAPTIVE_WIDENING
    assert matrix[0, 1] == pytest.approx(_gaussian(1.0 / h0), rel=1e-15)
    assert matrix[0, 2] == pytest.approx(_gaussian(2.0 / h0), rel=1e-15)
    # Area 4 (200 m): neighbours at 100 m on both sides, bandwidth 100 m.
    h4 = 100.0 * ADAPTIVE_WIDENING
    assert matrix[4, 3] == pytest.approx(_gaussian(100.0 / h4), rel=1e-15)
    # Adaptive: each area's farthest neighbour sits at its own bandwidth, 2 m or 200 m away.
    farthest = [matrix[i][matrix[i] > 0].min() for i in range(6)]
    np.testing.assert_allclose(farthest, _gaussian(1 / ADAPTIVE_WIDENING), rtol=1e-12)


def test_bounded_kernels_keep_the_kth_neighbour_and_a_fixed_bandwidth_tapers() -> None:
    points = np.array([[0.0, 0], [1, 0], [3, 0], [10, 0]])
    adaptive = kernel_weights(points, k=2, kernel="triangular").toarray()
    np.testing.assert_array_equal((adaptive > 0).sum(axis=1), 2)  # K(1) = 0 avoided
    assert adaptive[0, 1] == pytest.approx(1 - 1 / (3 * ADAPTIVE_WIDENING), rel=1e-15)
    fixed = kernel_weights(points, k=2, kernel="bisquare", bandwidth=2.5).toarray()
    # Area 0's neighbours are 1 m and 3 m away: only the first is within 2.5 m.
    assert fixed[0, 1] == pytest.approx(15 / 16 * (1 - (1 / 2.5) ** 2) ** 2, rel=1e-15)
    assert fixed[0, 2] == 0
    assert (fixed[3] == 0).all()  # area 3's nearest areas are 7 m and 9 m away


def test_kernel_weights_are_not_one_global_bandwidth() -> None:
    """Unlike libpysal's build_kernel(k), a town and the countryside get their own scales."""
    town = _grid(4, 4)
    country = _grid(4, 4, x0=X0 + 50_000, prefix="R")
    country["geometry"] = country.geometry.scale(20, 20, origin=(X0 + 50_000, Y0))
    weights = build_weights(_concat(town, country), method="kernel", k=4)
    rows = weights.matrix.toarray()
    spread = [np.ptp(row[row > 0]) for row in rows]
    # The same relative layout gives the same weights in both, despite 20 times the distance.
    np.testing.assert_allclose(spread[:16], spread[16:], rtol=1e-9)
    assert "adaptive" in weights.method


# --- islands ---------------------------------------------------------------------------------


def _grid_and_far_square() -> gpd.GeoDataFrame:
    far = gpd.GeoDataFrame(
        {"area_code": ["far"]},
        # 5 km east of the grid's middle row: its nearest square is A12.
        geometry=[box(X0 + 5_000, Y0 + SIDE, X0 + 5_000 + SIDE, Y0 + 2 * SIDE)],
        crs="EPSG:27700",
    )
    return _concat(_grid(3, 3), far)


def test_islands_nearest_attaches_symmetrically_to_the_nearest_area() -> None:
    weights = build_weights(_grid_and_far_square(), islands="nearest")
    assert weights.islands == ()
    assert weights.attached == ("far",)
    assert _neighbours(weights, "far") == {"A12"}
    assert "far" in _neighbours(weights, "A12")
    dense = weights.matrix.toarray()
    np.testing.assert_array_equal(dense, dense.T)
    assert weights.binary  # the new links carry the matrix's own weight, 1
    audit = weights.audit().set_index("area_code")
    assert audit.loc["far", "attached_to_nearest"]
    assert not audit.loc["far", "island"]
    assert audit.loc["far", "n_neighbours"] == 1
    assert not audit.drop(index="far")["attached_to_nearest"].any()
    assert weights.summary()["islands_attached"] == 1
    assert weights.summary()["components"] == 1


def test_the_weights_log_says_the_islands_attached(caplog: pytest.LogCaptureFixture) -> None:
    """Not only the islands left: "0 islands" alone read as if there had been none."""
    caplog.set_level("INFO", logger="clustergeo.hotspots.weights")
    configured_weights(_grid_and_far_square(), WeightsConfig(islands="nearest"))
    assert "0 islands left (attached to the nearest: 1), 1 components" in caplog.text


def test_islands_nearest_with_two_neighbours() -> None:
    weights = build_weights(_grid_and_far_square(), islands="nearest", island_neighbours=2)
    # The two squares of the right-hand column closest to the far square's centre.
    assert len(_neighbours(weights, "far")) == 2
    assert _neighbours(weights, "far") <= {"A02", "A12", "A22"}
    assert "A12" in _neighbours(weights, "far")


def test_islands_nearest_never_links_an_island_to_itself() -> None:
    two = gpd.GeoDataFrame(
        {"area_code": ["a", "b"]},
        geometry=[box(X0, Y0, X0 + SIDE, Y0 + SIDE), box(X0 + 5_000, Y0, X0 + 5_100, Y0 + SIDE)],
        crs="EPSG:27700",
    )
    weights = build_weights(two, islands="nearest", island_neighbours=2)
    np.testing.assert_array_equal(weights.matrix.toarray(), [[0, 1], [1, 0]])


def test_islands_exclude_keeps_and_reports_the_island() -> None:
    weights = build_weights(_grid_and_far_square(), islands="exclude")
    assert weights.islands == ("far",)
    assert weights.attached == ()
    assert _neighbours(weights, "far") == set()
    audit = weights.audit().set_index("area_code")
    assert audit.loc["far", "island"]
    assert not audit.loc["far", "attached_to_nearest"]
    assert audit.loc["far", "n_neighbours"] == 0
    assert audit.loc["far", "component_size"] == 1
    summary = weights.summary()
    assert summary["islands"] == 1
    assert summary["components"] == 2
    assert summary["min_neighbours"] == 0
    assert any("no neighbours" in note for note in summary["notes"])  # type: ignore[attr-defined]


# --- components ------------------------------------------------------------------------------


def test_two_separate_blocks_are_two_components() -> None:
    areas = _concat(_grid(2, 2, prefix="W"), _grid(3, 2, x0=X0 + 10_000, prefix="E"))
    weights = build_weights(areas, islands="exclude")
    summary = weights.summary()
    assert summary["components"] == 2
    assert summary["islands"] == 0
    audit = weights.audit()
    west = audit[audit["area_code"].str.startswith("W")]
    east = audit[audit["area_code"].str.startswith("E")]
    assert west["component"].nunique() == 1
    assert east["component"].nunique() == 1
    assert west["component"].iloc[0] != east["component"].iloc[0]
    assert (west["component_size"] == 4).all()
    assert (east["component_size"] == 6).all()
    # The nearest policy only acts on islands; it does not join components.
    assert build_weights(areas, islands="nearest").summary()["components"] == 2


@pytest.mark.parametrize("method", ["contiguity", "queen", "knn"])
def test_a_single_area_builds_a_one_by_one_matrix_with_one_island(method: str) -> None:
    weights = build_weights(_grid(1, 1), method=method)  # type: ignore[arg-type]
    assert weights.matrix.shape == (1, 1)
    assert weights.matrix.nnz == 0
    assert weights.islands == ("A00",)
    assert weights.attached == ()
    summary = weights.summary()
    assert summary["areas"] == 1
    assert summary["islands"] == 1
    assert summary["components"] == 1
    assert weights.audit()["island"].tolist() == [True]


# --- input checks ----------------------------------------------------------------------------


def test_geographic_crs_raises() -> None:
    with pytest.raises(InputDataError, match="projected CRS"):
        build_weights(_grid(2, 2).to_crs("EPSG:4326"))


def test_missing_crs_raises() -> None:
    areas = _grid(2, 2)
    areas = areas.set_crs(None, allow_override=True)
    with pytest.raises(InputDataError, match="projected CRS"):
        build_weights(areas)


def test_no_areas_raises() -> None:
    with pytest.raises(InputDataError, match="no areas"):
        build_weights(_grid(2, 2).iloc[:0])


# --- real boundaries -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def midlands_msoas(shared_data: Path) -> gpd.GeoDataFrame:
    from clustergeo.ingest.boundaries import read_boundaries

    path = (
        shared_data / "boundaries_msoa2011_lsoa2011_martinjc" / "msoa2011_midlands_martinjc.geojson"
    )
    frame = read_boundaries(path, code_column="MSOA11CD").frame
    return frame.rename(columns={"code": "area_code"})


@pytest.mark.realdata
def test_real_msoas_strict_queen_finds_almost_no_neighbours(
    midlands_msoas: gpd.GeoDataFrame,
) -> None:
    # Shared edges in this file differ by ~1e-7 degrees after reprojection, so exact
    # vertex/edge matching sees (almost) every MSOA as an island.
    strict = build_weights(midlands_msoas, method="queen", islands="exclude")
    assert len(midlands_msoas) == 1308
    assert len(strict.islands) >= 1300


@pytest.mark.realdata
def test_real_msoas_tolerant_contiguity_recovers_the_adjacency(
    midlands_msoas: gpd.GeoDataFrame,
) -> None:
    weights = build_weights(midlands_msoas)
    summary = weights.summary()
    assert summary["islands"] == 0
    assert summary["islands_attached"] == 0  # nothing needed attaching
    assert summary["components"] == 1
    assert summary["mean_neighbours"] == pytest.approx(5.8, abs=0.1)
    dense = weights.matrix.toarray()
    np.testing.assert_array_equal(dense, dense.T)
    np.testing.assert_array_equal(np.diag(dense), 0)


def test_derived_values_are_built_once_and_not_carried_into_copies_or_pickles() -> None:
    import dataclasses
    import pickle

    from scipy import sparse

    weights = SpatialWeights(
        ids=np.array(["a", "b"]),
        matrix=sparse.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])),
        method="test",
        binary=True,
    )
    calls: list[int] = []

    def build() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = weights.derived("key", build)
    assert weights.derived("key", build) is first
    assert calls == [1]
    # A copy with other codes, or one sent to another process, builds its own.
    assert dataclasses.replace(weights, ids=np.array(["c", "d"])).derived("key", build) == [2]
    restored = pickle.loads(pickle.dumps(weights))
    assert restored.derived("key", build) == [3]
    np.testing.assert_array_equal(restored.ids, weights.ids)
    assert (restored.matrix != weights.matrix).nnz == 0
