"""Cluster delineation: membership rules, joining neighbours, attributes and stable IDs."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from clustergeo.clusters.delineate import (
    candidate_members,
    delineate_clusters,
    select_columns,
)
from clustergeo.config import ClustersConfig
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import square_grid

# A 6 x 4 grid of 100 m squares, codes A<row><column>:
#
#   row 3   .    .    .    .    .    .
#   row 2   .    .   A22   .    .    .        A22 touches A11 by its corner only
#   row 1  A10  A11   .    .    .   A15
#   row 0  A00  A01  A02   .   A04  A05       A02: hot but own LQ 1.1 (halo)
#                                             A04: hot_90 but p_fdr 0.08
#
# Block one (A00, A01, A10, A11 and A22) and block two (A05, A15) are the hot spots of C.
REFERENCE_SHARE = 0.1
AREA_TOTAL = 1000.0
BACKGROUND = 50.0
HOT: dict[str, tuple[float, float, str, float]] = {
    # code: (employment, gi_star_z, gi_star_class, gi_star_p_fdr)
    "A00": (300.0, 3.1, "hot_99", 0.001),
    "A01": (250.0, 2.8, "hot_99", 0.004),
    "A10": (200.0, 2.5, "hot_95", 0.02),
    "A11": (150.0, 2.2, "hot_95", 0.03),
    "A22": (200.0, 1.9, "hot_90", 0.05),
    "A05": (400.0, 2.4, "hot_95", 0.02),
    "A15": (350.0, 2.6, "hot_99", 0.008),
    "A02": (110.0, 2.0, "hot_95", 0.03),
    "A04": (200.0, 1.7, "hot_90", 0.08),
}
BLOCK_ONE = ["A00", "A01", "A10", "A11", "A22"]
BLOCK_TWO = ["A05", "A15"]
# 1100 in block one, 750 in block two, 110 in A02, 200 in A04 and 15 background cells of 50.
C_TOTAL = 1100.0 + 750.0 + 110.0 + 200.0 + 15 * 50.0

PLAIN = ClustersConfig(min_employment=0)


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    areas = square_grid(6, 4)
    areas["area_km2"] = areas.geometry.area / 1e6
    return areas


@pytest.fixture(scope="module")
def weights(grid: gpd.GeoDataFrame) -> SpatialWeights:
    return build_weights(grid)


def _row(code: str, industry: str, employment: float, **values: Any) -> dict[str, Any]:
    lq = employment / AREA_TOTAL / REFERENCE_SHARE
    row: dict[str, Any] = {
        "area_code": code,
        "industry_code": industry,
        "label": {"C": "Manufacturing", "J": "Information and communication"}.get(industry, "X"),
        "kind": "industry",
        "employment": employment,
        "area_total": AREA_TOTAL,
        "reference_share": REFERENCE_SHARE,
        "lq": lq,
        "lq_lower": lq * 0.8,
        "gi_star_z": 0.1,
        "gi_star_p_fdr": 0.6,
        "gi_star_class": "not_significant",
        "moran_quadrant": "",
        "moran_p_fdr": 0.7,
    }
    row.update(values)
    return row


def _industry(
    codes: list[str], industry: str, hot: dict[str, tuple[float, float, str, float]]
) -> pd.DataFrame:
    rows = []
    for code in codes:
        if code in hot:
            employment, z, klass, p = hot[code]
            rows.append(
                _row(code, industry, employment, gi_star_z=z, gi_star_class=klass, gi_star_p_fdr=p)
            )
        else:
            rows.append(_row(code, industry, BACKGROUND))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def results(grid: gpd.GeoDataFrame) -> pd.DataFrame:
    return _industry(list(grid["area_code"]), "C", HOT)


def _clusters(
    results: pd.DataFrame,
    grid: gpd.GeoDataFrame,
    weights: SpatialWeights,
    settings: ClustersConfig = PLAIN,
    columns: tuple[str, ...] = ("C",),
) -> Any:
    return delineate_clusters(results, grid, weights, settings, list(columns))


# --- joining neighbours ----------------------------------------------------------------------


def test_two_blocks_become_two_clusters_and_a_corner_neighbour_joins(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _clusters(results, grid, weights)
    clusters = found.clusters
    assert list(clusters["cluster_id"]) == ["C-A00", "C-A15"]  # largest employment first
    assert list(clusters["member_codes"]) == [";".join(BLOCK_ONE), ";".join(BLOCK_TWO)]
    members = found.members.groupby("cluster_id")["area_code"].agg(list)
    assert members["C-A00"] == BLOCK_ONE
    assert members["C-A15"] == BLOCK_TWO
    assert len(found.members) == 7
    # The halo cell (own LQ 1.1) and the insignificant hot_90 cell are no members.
    assert not found.members["area_code"].isin(["A02", "A04"]).any()
    assert found.report["clusters"] == 2
    assert found.report["per_industry"] == {
        "C": {"candidate_areas": 7, "clusters": 2, "dropped_small": 0}
    }


def test_cluster_attributes_are_the_hand_computed_values(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    clusters = _clusters(results, grid, weights).clusters.set_index("cluster_id")
    one, two = clusters.loc["C-A00"], clusters.loc["C-A15"]
    assert one["industry_code"] == "C"
    assert one["label"] == "Manufacturing"
    assert one["kind"] == "industry"
    assert one["peak_area_code"] == "A00"
    assert one["n_units"] == 5
    assert one["employment"] == 1100.0
    assert one["employment_share"] == pytest.approx(1100.0 / C_TOTAL)
    # LQ of the cluster as one area: 1100 / 5000 workers, over the reference share 0.1.
    assert one["lq"] == pytest.approx(2.2)
    assert one["peak_gi_star_z"] == pytest.approx(3.1)
    assert one["mean_gi_star_z"] == pytest.approx((3.1 + 2.8 + 2.5 + 2.2 + 1.9) / 5)
    assert one["area_km2"] == pytest.approx(0.05)

    assert two["peak_area_code"] == "A15"
    assert two["n_units"] == 2
    assert two["employment"] == 750.0
    assert two["employment_share"] == pytest.approx(750.0 / C_TOTAL)
    assert two["lq"] == pytest.approx(750.0 / 2000.0 / 0.1)
    assert two["peak_gi_star_z"] == pytest.approx(2.6)
    assert two["mean_gi_star_z"] == pytest.approx(2.5)
    assert two["area_km2"] == pytest.approx(0.02)
    # Block two is the 100 m x 200 m rectangle of column 5, rows 0 and 1.
    assert two["centroid_x"] == pytest.approx(440_550.0)
    assert two["centroid_y"] == pytest.approx(330_100.0)
    assert clusters.crs.to_epsg() == 27700
    assert clusters.geometry.is_valid.all()


def test_cluster_lq_weights_members_by_their_total_employment(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    # Two members: 300 of 1000 workers (LQ 3) and 100 of 4000 workers (LQ 0.25 < min_lq, so
    # it is let in by setting min_lq 0). The cluster's LQ is 400 / 5000 / 0.1 = 0.8, not the
    # plain mean of 1.625.
    table = pd.DataFrame(
        [
            _row("A00", "C", 300.0, gi_star_class="hot_99", gi_star_p_fdr=0.01, gi_star_z=3.0),
            _row(
                "A01",
                "C",
                100.0,
                area_total=4000.0,
                lq=0.25,
                gi_star_class="hot_95",
                gi_star_p_fdr=0.02,
                gi_star_z=2.0,
            ),
        ]
    )
    clusters = _clusters(table, grid, weights, ClustersConfig(min_lq=0, min_employment=0))
    assert clusters.clusters["lq"].item() == pytest.approx(0.8)


# --- membership rules ------------------------------------------------------------------------


def _rule_table() -> pd.DataFrame:
    rows = [
        # gi_star: hot, significant, own LQ high enough
        {"gi_star_class": "hot_99", "gi_star_p_fdr": 0.001, "lq": 2.0},
        {"gi_star_class": "hot_95", "gi_star_p_fdr": 0.05, "lq": 1.25},  # both on the limit
        {"gi_star_class": "hot_90", "gi_star_p_fdr": 0.04, "lq": 1.3},
        {"gi_star_class": "hot_95", "gi_star_p_fdr": 0.051, "lq": 2.0},  # not significant
        {"gi_star_class": "hot_95", "gi_star_p_fdr": 0.01, "lq": 1.2},  # halo: own LQ low
        {"gi_star_class": "cold_99", "gi_star_p_fdr": 0.001, "lq": 2.0},  # cold
        {"gi_star_class": "not_significant", "gi_star_p_fdr": 0.01, "lq": 2.0},
        {"gi_star_class": "not_tested", "gi_star_p_fdr": np.nan, "lq": 2.0},
    ]
    table = pd.DataFrame(rows)
    table["moran_quadrant"] = ["HH", "HH", "HL", "HH", "HH", "LH", "HH", ""]
    table["moran_p_fdr"] = [0.01, 0.05, 0.01, 0.2, 0.01, 0.01, 0.06, np.nan]
    table["lq_lower"] = [1.5, 1.01, 1.1, 0.9, 1.05, 1.0, 1.5, 1.2]
    return table


def test_gi_star_membership_needs_a_significant_hot_spot_with_its_own_lq() -> None:
    chosen = candidate_members(_rule_table(), ClustersConfig())
    assert chosen.tolist() == [True, True, True, False, False, False, False, False]


def test_halo_hot_spot_below_min_lq_is_left_out_of_the_cluster(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    # With min_lq 1.0, A02 (own LQ 1.1, beside A01) joins block one.
    loose = _clusters(results, grid, weights, ClustersConfig(min_lq=1.0, min_employment=0))
    one = loose.clusters.set_index("cluster_id").loc["C-A00"]
    assert one["member_codes"] == "A00;A01;A02;A10;A11;A22"
    assert one["employment"] == 1210.0
    strict = _clusters(results, grid, weights)
    assert "A02" not in strict.clusters.set_index("cluster_id").loc["C-A00", "member_codes"]


def test_moran_hh_membership_needs_a_significant_high_high_area() -> None:
    chosen = candidate_members(_rule_table(), ClustersConfig(membership="moran_hh"))
    # Row 2 is HL, row 3 has p 0.2, row 4 is HH but its own LQ 1.2 is below min_lq, row 5 is
    # LH, row 6 has p 0.06 and row 7 was not tested.
    assert chosen.tolist() == [True, True, False, False, False, False, False, False]
    loose = candidate_members(_rule_table(), ClustersConfig(membership="moran_hh", min_lq=0))
    assert loose.tolist() == [True, True, False, False, True, False, False, False]


def test_lq_membership_needs_min_lq_and_a_lower_bound_above_one() -> None:
    chosen = candidate_members(_rule_table(), ClustersConfig(membership="lq"))
    # lq >= 1.25 and lq_lower > 1: row 3 has lq_lower 0.9, row 4 an LQ of 1.2 and row 5 a
    # lower bound of exactly 1.
    assert chosen.tolist() == [True, True, True, False, False, False, True, True]


def test_candidate_members_keeps_the_table_index() -> None:
    table = _rule_table().set_axis(range(10, 18))
    chosen = candidate_members(table, ClustersConfig())
    assert list(chosen.index) == list(range(10, 18))


# --- size rules ------------------------------------------------------------------------------


def test_min_units_drops_small_clusters_and_counts_them(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _clusters(results, grid, weights, ClustersConfig(min_units=3, min_employment=0))
    assert list(found.clusters["cluster_id"]) == ["C-A00"]
    assert set(found.members["cluster_id"]) == {"C-A00"}
    assert found.report["per_industry"]["C"] == {
        "candidate_areas": 7,
        "clusters": 1,
        "dropped_small": 1,
    }
    assert found.report["clusters"] == 1
    assert found.report["min_units"] == 3


def test_min_employment_drops_small_clusters_and_keeps_one_on_the_limit(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _clusters(results, grid, weights, ClustersConfig(min_employment=1100))
    assert list(found.clusters["cluster_id"]) == ["C-A00"]  # 1100 workers: kept
    assert found.report["per_industry"]["C"]["dropped_small"] == 1  # 750 workers: dropped
    none = _clusters(results, grid, weights, ClustersConfig(min_employment=1101))
    assert none.clusters.empty
    assert none.members.empty
    assert none.report["per_industry"]["C"] == {
        "candidate_areas": 7,
        "clusters": 0,
        "dropped_small": 2,
    }


# --- stable IDs ------------------------------------------------------------------------------


def test_cluster_id_is_the_industry_and_the_peak_area(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    hot = {
        "A11": (300.0, 2.0, "hot_95", 0.01),
        "A12": (300.0, 2.9, "hot_95", 0.01),
        "A13": (300.0, 2.9, "hot_95", 0.01),  # ties with A12: the smaller code wins
        "A14": (300.0, np.nan, "hot_95", 0.01),
    }
    table = _industry(list(grid["area_code"]), "C", hot)
    table["industry_code"] = "automotive"
    table["kind"] = "cluster"
    found = _clusters(table, grid, weights, columns=("automotive",))
    row = found.clusters.iloc[0]
    assert row["cluster_id"] == "automotive-A12"
    assert row["peak_area_code"] == "A12"
    assert row["kind"] == "cluster"
    assert row["peak_gi_star_z"] == pytest.approx(2.9)
    assert row["mean_gi_star_z"] == pytest.approx((2.0 + 2.9 + 2.9) / 3)  # NaN left out


def test_shuffled_rows_and_areas_give_identical_clusters(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    ordered = _clusters(results, grid, weights)
    shuffled_grid = grid.sample(frac=1.0, random_state=4)
    shuffled = _clusters(
        results.sample(frac=1.0, random_state=11),
        shuffled_grid,
        build_weights(shuffled_grid),
    )
    assert list(shuffled_grid["area_code"]) != list(grid["area_code"])
    pd.testing.assert_frame_equal(
        pd.DataFrame(shuffled.clusters.drop(columns="geometry")),
        pd.DataFrame(ordered.clusters.drop(columns="geometry")),
    )
    assert shuffled.clusters.geometry.geom_equals(ordered.clusters.geometry).all()
    pd.testing.assert_frame_equal(shuffled.members, ordered.members)
    assert shuffled.report == ordered.report


def test_another_industry_does_not_change_the_ids_of_the_others(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    alone = _clusters(results, grid, weights).clusters
    other = _industry(
        list(grid["area_code"]),
        "J",
        {"A33": (500.0, 3.5, "hot_99", 0.001), "A23": (400.0, 3.0, "hot_99", 0.002)},
    )
    both = _clusters(pd.concat([other, results]), grid, weights, columns=("C", "J")).clusters
    assert list(both["cluster_id"]) == ["C-A00", "C-A15", "J-A33"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(both.loc[both["industry_code"] == "C"].drop(columns="geometry")),
        pd.DataFrame(alone.drop(columns="geometry")),
    )
    j = both.set_index("cluster_id").loc["J-A33"]
    assert j["member_codes"] == "A23;A33"
    assert j["employment_share"] == pytest.approx(900.0 / (900.0 + 22 * BACKGROUND))


def test_only_the_requested_columns_are_delineated(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    other = _industry(list(grid["area_code"]), "J", {"A33": (500.0, 3.5, "hot_99", 0.001)})
    found = _clusters(pd.concat([results, other]), grid, weights, columns=("J",))
    assert list(found.clusters["cluster_id"]) == ["J-A33"]
    assert list(found.report["per_industry"]) == ["J"]


def test_candidate_outside_the_weights_is_an_error(
    results: pd.DataFrame, grid: gpd.GeoDataFrame
) -> None:
    left = grid.loc[~grid["area_code"].isin(["A00", "A01"])]
    with pytest.raises(ValueError, match="areas not in the weights: A00, A01"):
        _clusters(results, grid, build_weights(left))


# --- columns and empty results ---------------------------------------------------------------


def test_select_columns_by_kind() -> None:
    kinds = pd.Series(
        {"C": "industry", "J": "industry", "auto": "cluster", "digital": "cluster"}, name="kind"
    )
    assert select_columns(kinds, "auto") == ["auto", "digital"]
    assert select_columns(kinds, "cluster_definitions") == ["auto", "digital"]
    assert select_columns(kinds, "industries") == ["C", "J"]
    assert select_columns(kinds, "all") == ["C", "J", "auto", "digital"]
    industries_only = kinds.loc[["C", "J"]]
    assert select_columns(industries_only, "auto") == ["C", "J"]
    assert select_columns(industries_only, "cluster_definitions") == []


def test_no_candidates_give_an_empty_table_with_the_columns(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    table = _industry(list(grid["area_code"]), "C", {})
    found = _clusters(table, grid, weights)
    clusters = found.clusters
    assert isinstance(clusters, gpd.GeoDataFrame)
    assert clusters.empty
    assert set(clusters.columns) == {
        "cluster_id",
        "industry_code",
        "kind",
        "label",
        "peak_area_code",
        "n_units",
        "member_codes",
        "employment",
        "employment_share",
        "lq",
        "peak_gi_star_z",
        "mean_gi_star_z",
        "area_km2",
        "centroid_x",
        "centroid_y",
        "geometry",
    }
    assert clusters.crs == grid.crs
    assert list(found.members.columns) == ["cluster_id", "area_code"]
    assert found.members.empty
    assert found.report["clusters"] == 0
    assert found.report["per_industry"]["C"] == {
        "candidate_areas": 0,
        "clusters": 0,
        "dropped_small": 0,
    }


# --- weights as a table of links -------------------------------------------------------------


def test_weights_links_round_trip(weights: SpatialWeights) -> None:
    links = weights.links()
    assert list(links.columns) == ["focal", "neighbour", "weight"]
    # 6 x 4 queen grid: 2 * (5*4 + 6*3) edge links + 4 * 5*3 corner links.
    assert len(links) == 2 * (5 * 4 + 6 * 3) + 4 * 5 * 3
    rebuilt = SpatialWeights.from_links(links, weights.ids, weights.method)
    np.testing.assert_array_equal(rebuilt.matrix.toarray(), weights.matrix.toarray())
    np.testing.assert_array_equal(rebuilt.ids, weights.ids)
    assert rebuilt.binary
    assert rebuilt.method == weights.method


def test_from_links_follows_the_given_order_and_drops_unlisted_areas(
    weights: SpatialWeights,
) -> None:
    links = weights.links()
    ids = np.array(["A11", "A00", "A01", "A35"])
    rebuilt = SpatialWeights.from_links(links, ids, "kept")
    expected = np.array(
        [
            [0, 1, 1, 0],  # A11 touches A00 (corner) and A01
            [1, 0, 1, 0],
            [1, 1, 0, 0],
            [0, 0, 0, 0],  # A35's neighbours are not listed
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(rebuilt.matrix.toarray(), expected)
    assert rebuilt.n == 4


def test_from_links_keeps_non_binary_weights() -> None:
    links = pd.DataFrame(
        {"focal": ["a", "b", "b"], "neighbour": ["b", "a", "z"], "weight": [0.5, 0.5, 1.0]}
    )
    rebuilt = SpatialWeights.from_links(links, np.array(["a", "b"]), "kernel")
    np.testing.assert_array_equal(rebuilt.matrix.toarray(), [[0.0, 0.5], [0.5, 0.0]])
    assert not rebuilt.binary
