"""Grid-cell contiguity weights (against libpysal's lat2W) and hot regions as polygons."""

from __future__ import annotations

import numpy as np
import pytest
from libpysal.weights import lat2W
from scipy.sparse.csgraph import connected_components

from clustergeo._errors import InputDataError
from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.surface.grid import GridSpec
from clustergeo.surface.polygonise import hot_regions
from clustergeo.surface.raster_weights import (
    cell_ids,
    cell_positions,
    cells_table,
    grid_weights,
)

X0, Y0 = 440_000.0, 330_000.0

# --- weights -----------------------------------------------------------------------------------


@pytest.mark.parametrize("queen", [True, False])
@pytest.mark.parametrize(("rows", "cols"), [(2, 2), (1, 5), (4, 1), (3, 4), (6, 5)])
def test_full_grid_matches_libpysal_lat2w(rows: int, cols: int, queen: bool) -> None:
    weights = grid_weights(np.ones((rows, cols), dtype=bool), queen=queen)
    reference = lat2W(rows, cols, rook=not queen)
    # lat2W numbers cells row by row (id = row * cols + col), as grid_weights orders them.
    expected = reference.sparse.toarray()
    np.testing.assert_array_equal(weights.matrix.toarray(), expected)
    assert list(weights.ids) == [f"r{r}_c{c}" for r in range(rows) for c in range(cols)]
    assert weights.binary
    assert weights.method == ("queen" if queen else "rook") + " grid contiguity"
    np.testing.assert_array_equal(
        weights.cardinalities, [reference.cardinalities[i] for i in range(rows * cols)]
    )


def test_a_single_cell_is_an_island() -> None:
    # (lat2W's sparse matrix of a 1 x 1 lattice is 0 x 0, so this case is checked here.)
    weights = grid_weights(np.ones((1, 1), dtype=bool))
    assert weights.matrix.shape == (1, 1)
    assert weights.matrix.nnz == 0
    assert weights.islands == ("r0_c0",)


def test_masked_cells_are_left_out_and_islands_reported() -> None:
    mask = np.array(
        [
            [True, True, False, False],
            [False, False, False, True],
            [False, True, False, False],
        ]
    )
    queen = grid_weights(mask)
    assert list(queen.ids) == ["r0_c0", "r0_c1", "r1_c3", "r2_c1"]
    assert queen.islands == ("r1_c3", "r2_c1")
    np.testing.assert_array_equal(queen.cardinalities, [1, 1, 0, 0])
    assert len(queen.notes) == 1
    assert "2 cells have no neighbours" in queen.notes[0]
    # A diagonal step links cells under queen contiguity but not under rook.
    diagonal = np.array([[True, False], [False, True]])
    assert grid_weights(diagonal).islands == ()
    assert grid_weights(diagonal, queen=False).islands == ("r0_c0", "r1_c1")


def test_weights_are_symmetric_binary_with_an_empty_diagonal() -> None:
    rng = np.random.default_rng(3)
    mask = rng.random((15, 12)) < 0.6
    weights = grid_weights(mask)
    dense = weights.matrix.toarray()
    np.testing.assert_array_equal(dense, dense.T)
    np.testing.assert_array_equal(np.diag(dense), 0.0)
    assert set(np.unique(dense)) <= {0.0, 1.0}
    assert weights.n == mask.sum()
    # Each link joins cells at most one row and one column apart.
    rows, cols = cell_positions(weights.ids)
    links = weights.links()
    position = {cell: i for i, cell in enumerate(weights.ids)}
    focal = links["focal"].map(position).to_numpy()
    other = links["neighbour"].map(position).to_numpy()
    assert (np.abs(rows[focal] - rows[other]) <= 1).all()
    assert (np.abs(cols[focal] - cols[other]) <= 1).all()


def test_cell_ids_round_trip_and_bad_ids() -> None:
    rows, cols = np.array([0, 12, 3]), np.array([5, 0, 44])
    back = cell_positions(cell_ids(rows, cols))
    np.testing.assert_array_equal(back[0], rows)
    np.testing.assert_array_equal(back[1], cols)
    with pytest.raises(InputDataError, match="'E02000001' is not a grid cell id"):
        cell_positions(["E02000001"])
    with pytest.raises(InputDataError, match="boolean array"):
        grid_weights(np.ones((2, 2), dtype=int))


def test_cells_table_follows_the_weights_order() -> None:
    mask = np.array([[True, False, True], [True, True, False]])
    array = np.arange(12, dtype="float64").reshape(2, 2, 3)
    table = cells_table(array, mask, ["C", "G"])
    assert list(table.index) == list(grid_weights(mask).ids)
    assert table.loc["r0_c2"].tolist() == [2.0, 8.0]
    assert table.loc["r1_c1"].tolist() == [4.0, 10.0]
    with pytest.raises(InputDataError, match="one name per band"):
        cells_table(array, mask, ["C"])


# --- hot regions -------------------------------------------------------------------------------


def test_hot_regions_by_hand() -> None:
    spec = GridSpec(left=X0, top=Y0, cell_m=100.0, width=5, height=4)
    hot = np.zeros((4, 5), dtype=bool)
    hot[0, 0] = hot[1, 1] = True  # touching at a corner: one region under 8-connectivity
    hot[0:3, 3:5] = True  # a 3 x 2 block
    hot[1, 4] = False  # ... with a bite out of it
    hot[3, 0] = True  # alone
    regions = hot_regions(hot, spec)
    assert list(regions.columns) == ["region_id", "cells", "area_m2", "geometry"]
    assert regions.crs.to_epsg() == 27700
    assert list(regions["region_id"]) == [1, 2, 3]
    assert list(regions["cells"]) == [2, 5, 1]
    np.testing.assert_allclose(regions.geometry.area, regions["cells"] * spec.cell_area)
    assert regions["area_m2"].sum() == hot.sum() * spec.cell_area
    assert regions.geometry.area.sum() == pytest.approx(hot.sum() * spec.cell_area)
    assert regions.geometry.is_valid.all()
    first = regions.geometry.iloc[0]
    assert first.bounds == (X0, Y0 - 200, X0 + 200, Y0)
    assert regions.geometry.iloc[2].bounds == (X0, Y0 - 400, X0 + 100, Y0 - 300)


def test_regions_are_the_components_of_queen_weights() -> None:
    rng = np.random.default_rng(11)
    hot = rng.random((30, 25)) < 0.35
    spec = GridSpec(left=X0, top=Y0, cell_m=250.0, width=25, height=30)
    regions = hot_regions(hot, spec)
    count, labels = connected_components(grid_weights(hot).matrix, directed=False)
    assert len(regions) == count
    assert sorted(regions["cells"]) == sorted(np.bincount(labels))
    assert regions.geometry.area.sum() == pytest.approx(hot.sum() * spec.cell_area, rel=1e-12)
    assert regions.geometry.is_valid.all()
    # Polygons of different regions never share area.
    assert regions.union_all().area == pytest.approx(regions.geometry.area.sum(), rel=1e-12)


def test_no_hot_cells_and_bad_input() -> None:
    spec = GridSpec(left=X0, top=Y0, cell_m=100.0, width=3, height=2)
    assert hot_regions(np.zeros((2, 3), dtype=bool), spec).empty
    with pytest.raises(InputDataError, match="grid's shape"):
        hot_regions(np.zeros((3, 2), dtype=bool), spec)


def test_surface_hot_spots_end_to_end() -> None:
    # A cluster of high values in a noisy grid is found by Gi* on grid weights and traced back
    # to one hot region where it was put.
    rng = np.random.default_rng(5)
    array = rng.random((1, 12, 14))
    array[0, 4:7, 6:9] += 20.0
    mask = np.ones((12, 14), dtype=bool)
    weights = grid_weights(mask)
    table = cells_table(array, mask, ["C"])
    result = local_hotspots(
        table, weights, HotspotsConfig(permutations=99, moran_inference="analytic")
    ).table
    hot_ids = result.loc[result["gi_star_class"].str.startswith("hot"), "area_code"]
    rows, cols = cell_positions(hot_ids.to_numpy())
    classes = np.zeros(mask.shape, dtype=bool)
    classes[rows, cols] = True
    spec = GridSpec(left=X0, top=Y0, cell_m=100.0, width=14, height=12)
    regions = hot_regions(classes, spec)
    assert len(regions) == 1
    assert regions.geometry.iloc[0].contains(
        spec.cell_boxes(np.array([5]), np.array([7]))[0].centroid
    )
