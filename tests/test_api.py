"""The Python API: hand-computed values, parity with esda and the pipeline, alignment, no mutation.

The API wraps the pipeline's own functions, so on the demo run it must give the run's numbers
exactly; on tiny hand-built frames it must give numbers worked out by hand, and esda's where
esda computes the same statistic.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import sparse, stats
from shapely.geometry import box

import clustergeo as cg
from clustergeo import ConfigError, InputDataError, api
from clustergeo.cli import main
from clustergeo.concentration import LqSettings, aggregate_cluster_definitions, employment_matrix
from clustergeo.concentration import location_quotients as location_quotient_table
from clustergeo.config import (
    ClustersConfig,
    ConcentrationConfig,
    ConcentrationsConfig,
    GovernanceConfig,
    HotspotsConfig,
    WeightsConfig,
)
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths

REPO = Path(__file__).resolve().parents[1]
SIDE = 100.0
#: The results find_hotspots documents for each column, in order.
HOTSPOT_FIELDS = (
    "gi_star",
    "gi_star_z",
    "gi_star_p_norm",
    "gi_star_p_sim",
    "gi_star_p_fdr",
    "gi_star_class",
    "gi_z",
    "moran_i",
    "moran_z",
    "moran_p_norm",
    "moran_p_sim",
    "moran_p_fdr",
    "moran_quadrant",
    "moran_class",
)


def row_of_squares(labels: list[Any], **columns: list[Any]) -> gpd.GeoDataFrame:
    """Touching 100 m squares in a row, west to east, indexed by ``labels``."""
    geometry = [box(i * SIDE, 0, (i + 1) * SIDE, SIDE) for i in range(len(labels))]
    return gpd.GeoDataFrame(columns, geometry=geometry, index=labels, crs="EPSG:27700")


def grid_of_squares(size: int, seed: int) -> gpd.GeoDataFrame:
    """A size x size grid of squares with two random columns, indexed by shuffled integers."""
    rng = np.random.default_rng(seed)
    geometry = [
        box(col * SIDE, row * SIDE, (col + 1) * SIDE, (row + 1) * SIDE)
        for row in range(size)
        for col in range(size)
    ]
    labels = rng.permutation(np.arange(100, 100 + size * size))
    return gpd.GeoDataFrame(
        {"x": rng.gamma(2.0, 3.0, size * size), "y": rng.normal(5.0, 2.0, size * size)},
        geometry=geometry,
        index=pd.Index(labels, name="area"),
        crs="EPSG:27700",
    )


def unchanged(function: Callable[..., Any], *frames: pd.DataFrame, **kwargs: Any) -> Any:
    """Call ``function(*frames, **kwargs)`` and check it left every frame as it was."""
    before = [copy.deepcopy(frame) for frame in frames]
    result = function(*frames, **kwargs)
    for old, new in zip(before, frames, strict=True):
        pd.testing.assert_frame_equal(old, new)
    return result


# --- the namespace -------------------------------------------------------------------------------


def test_import_loads_no_heavy_library() -> None:
    # The API's names are exported lazily: importing the package imports none of them.
    # (The command line's own imports are checked in test_cli.py.)
    heavy = {"geopandas", "numba", "dask", "distributed", "matplotlib", "pandas", "shapely"}
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, clustergeo; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not {name.split(".")[0] for name in loaded} & heavy


def test_top_level_names_are_the_api_and_never_a_subpackage() -> None:
    # Importing a subpackage sets it as an attribute of the package: a lazy name equal to a
    # subpackage's would then be the module, or the function, depending on import order.
    subpackages = {info.name for info in pkgutil.iter_modules(cg.__path__)}
    assert not set(cg._LAZY) & subpackages
    for name in ("hotspots", "clusters", "governance", "concentration", "stages"):
        importlib.import_module(f"clustergeo.{name}")
    for name in ("weights", "location_quotients", "find_hotspots", "find_clusters", "govern"):
        assert getattr(cg, name) is getattr(api, name)
    assert set(api.__all__) <= set(cg.__all__)


@pytest.mark.parametrize(
    ("function", "section"),
    [
        (api.weights, WeightsConfig),
        (api.location_quotients, ConcentrationConfig),
        (api.find_hotspots, HotspotsConfig),
        (api.find_hotspots, WeightsConfig),
        (api.find_clusters, ClustersConfig),
        (api.find_clusters, ConcentrationConfig),
        (api.govern, GovernanceConfig),
    ],
)
def test_defaults_are_the_pipeline_defaults(function: Callable[..., Any], section: Any) -> None:
    parameters = inspect.signature(function).parameters
    # Same word, other meaning: the weights themselves, the reference employment, and the
    # concentrations' switch (the config's is a section, checked below).
    shared = [
        name
        for name in parameters
        if name in section.model_fields and name not in {"weights", "reference", "concentrations"}
    ]
    assert shared
    for name in shared:
        assert parameters[name].default == section.model_fields[name].default, name


def test_concentration_arguments_are_the_concentration_settings() -> None:
    parameters = inspect.signature(api.find_clusters).parameters
    fields = ConcentrationsConfig.model_fields
    assert set(api._CONCENTRATION_ARGUMENTS) == set(fields)
    for setting, argument in api._CONCENTRATION_ARGUMENTS.items():
        assert parameters[argument].default == fields[setting].default, argument


def test_docstring_examples_give_the_outputs_they_show() -> None:
    import doctest

    failures, examples = doctest.testmod(api, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert examples >= 15
    assert failures == 0


# --- weights -------------------------------------------------------------------------------------


def test_weights_are_identified_by_the_index_and_convert_to_graph_and_w() -> None:
    from libpysal.graph import Graph

    grid = grid_of_squares(4, seed=1)
    w = unchanged(cg.weights, grid)
    assert list(w.ids) == list(grid.index)
    # Exact squares: tolerant contiguity is strict queen contiguity.
    reference = Graph.build_contiguity(grid, rook=False)
    graph = cg.to_graph(w)
    assert graph.transformation == "O"
    assert list(graph.unique_ids) == list(grid.index)
    assert abs(graph.sparse - reference.sparse).max() == 0
    legacy = cg.to_w(w)
    assert legacy.id_order == list(grid.index)
    assert {k: sorted(v) for k, v in legacy.neighbors.items()} == {
        k: sorted(v) for k, v in reference.to_W().neighbors.items()
    }


def test_weights_pass_their_options_through() -> None:
    grid = grid_of_squares(3, seed=2)
    assert cg.weights(grid, "knn", k=2).cardinalities.tolist() == [2] * 9
    rook = cg.weights(grid, "rook")
    assert sorted(rook.cardinalities.tolist()) == [2, 2, 2, 2, 3, 3, 3, 3, 4]
    # Two squares 150 m apart: islands under a 1 m tolerance, joined by the island policy.
    apart = gpd.GeoDataFrame(
        geometry=[box(0, 0, 100, 100), box(250, 0, 350, 100)], index=["a", "b"], crs=27700
    )
    assert cg.weights(apart).attached == ("a", "b")
    assert cg.weights(apart, islands="exclude").islands == ("a", "b")


def test_weights_refuse_unusable_areas() -> None:
    grid = grid_of_squares(2, seed=3)
    with pytest.raises(InputDataError, match="EPSG:27700"):
        cg.weights(grid.to_crs("EPSG:4326"))
    with pytest.raises(InputDataError, match="appear more than once"):
        cg.weights(grid.set_axis([1, 1, 2, 3]))
    with pytest.raises(InputDataError, match="differ only in type"):
        cg.weights(grid.set_axis([1, "1", 2, 3]))
    with pytest.raises(InputDataError, match="GeoDataFrame"):
        cg.weights(pd.DataFrame(grid.drop(columns="geometry")))
    with pytest.raises(ConfigError, match=r"threshold_m"):
        cg.weights(grid, "distance_band")
    with pytest.raises(ConfigError, match=r"method='hexagons'"):
        cg.weights(grid, "hexagons")  # type: ignore[arg-type]


# --- location quotients --------------------------------------------------------------------------


def test_location_quotients_by_hand() -> None:
    counts = pd.DataFrame({"X": [10.0, 30.0], "Y": [90.0, 70.0]}, index=["A", "B"])
    lq = unchanged(cg.location_quotients, counts, columns=["X", "Y"])
    assert type(lq) is pd.DataFrame
    assert lq.index.equals(counts.index)
    # E_X / E = 40 / 200 and E_Y / E = 160 / 200; every area employs 100.
    np.testing.assert_allclose(lq["area_total"], [100, 100])
    np.testing.assert_allclose(lq["X_reference_share"], [0.2, 0.2])
    np.testing.assert_allclose(lq["X_lq"], [0.1 / 0.2, 0.3 / 0.2], rtol=1e-15)
    np.testing.assert_allclose(lq["Y_lq"], [0.9 / 0.8, 0.7 / 0.8], rtol=1e-15)
    # Moineddin et al. (2003): Var(ln LQ) = 1/e_ij - 1/e_i + 1/E_j - 1/E.
    z = stats.norm.ppf(0.975)
    half_width = z * np.sqrt(1 / 10 - 1 / 100 + 1 / 40 - 1 / 200)
    assert lq.loc["A", "X_lq_lower"] == pytest.approx(0.5 * np.exp(-half_width), rel=1e-12)
    assert lq.loc["A", "X_lq_upper"] == pytest.approx(0.5 * np.exp(half_width), rel=1e-12)
    assert not lq.filter(like="_unreliable").to_numpy().any()
    assert list(lq.columns[:8]) == [
        "area_total",
        "X_employment",
        "X_reference_share",
        "X_lq",
        "X_lq_lower",
        "X_lq_upper",
        "X_lq_unreliable",
        "X_lq_note",
    ]


def test_location_quotients_flags_and_reference_by_hand() -> None:
    counts = pd.DataFrame(
        {"X": [3.0, np.nan, 40.0, 300.0], "Y": [197.0, 50.0, 20.0, 700.0]},
        index=pd.Index(["small count", "suppressed", "small area", "fine"], name="area_code"),
    )
    lq = cg.location_quotients(counts, ["X", "Y"])
    assert lq["X_lq_note"].tolist() == ["small count", "suppressed", "small area", ""]
    assert lq["X_lq_unreliable"].tolist() == [True, True, True, False]
    assert np.isnan(lq.loc["suppressed", "X_lq"])
    # The suppressed cell is left out of its area's total, never counted as zero workers.
    assert lq.loc["suppressed", "area_total"] == 50
    national = cg.location_quotients(
        counts, ["X", "Y"], reference={"X": 1_000, "Y": 9_000}, reference_total=10_000
    )
    assert national.loc["fine", "X_lq"] == pytest.approx(0.3 / 0.1, rel=1e-15)
    with_total = cg.location_quotients(
        counts.assign(all=[400.0, 100.0, 60.0, 2000.0]), ["X"], total="all"
    )
    assert with_total.loc["fine", "X_lq"] == pytest.approx((300 / 2000) / (343 / 2560))


def test_location_quotients_are_the_pipeline_function_and_follow_the_index() -> None:
    rng = np.random.default_rng(7)
    areas = grid_of_squares(4, seed=4)
    for column in ("a", "b", "c"):
        areas[column] = rng.integers(0, 400, len(areas)).astype(float)
    areas.loc[areas.index[3], "b"] = np.nan
    lq = unchanged(cg.location_quotients, areas, columns=["a", "b", "c"], min_cell_employment=50)
    assert isinstance(lq, gpd.GeoDataFrame)
    assert lq.crs == areas.crs
    assert lq.columns[-1] == "geometry"
    assert lq.geometry.geom_equals(areas.geometry).all()

    counts = pd.DataFrame(areas[["a", "b", "c"]].to_numpy(), index=areas.index.astype(str))
    counts.columns = ["a", "b", "c"]
    table = location_quotient_table(
        counts,
        counts.sum(axis=1),
        counts.sum(axis=0),
        float(counts.sum(axis=1).sum()),
        LqSettings(min_cell_employment=50),
    ).set_index(["area_code", "industry_code"])
    for column in ("a", "b", "c"):
        expected = table.xs(column, level="industry_code")
        for field in api.LQ_FIELDS:
            np.testing.assert_array_equal(
                lq[f"{column}_{field}"].to_numpy(), expected[field].to_numpy()
            )

    shuffled = areas.sample(frac=1.0, random_state=5)
    again = cg.location_quotients(shuffled, ["a", "b", "c"], min_cell_employment=50)
    assert again.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(again.loc[lq.index], lq, rtol=1e-12)


def test_location_quotients_refuse_unusable_columns() -> None:
    counts = pd.DataFrame(
        {"X": [10.0, -1.0], "Y": ["5", "6"], "Z": [1.0, np.inf]}, index=["A", "B"]
    )
    with pytest.raises(InputDataError) as error:
        cg.location_quotients(counts, ["X", "Y", "Z", "W"])
    message = str(error.value)
    assert message.startswith("The frame `areas` of clustergeo.location_quotients() has 4")
    for expected in ("no column W", "Y are not numbers", "Z hold infinite", "X hold negative"):
        assert expected in message
    clean = pd.DataFrame({"X": [1.0, 2.0]}, index=["A", "B"])
    with pytest.raises(ConfigError, match="reference_total"):
        cg.location_quotients(clean, ["X"], reference={"X": 5.0})
    with pytest.raises(InputDataError, match="no employment for Y"):
        cg.location_quotients(
            clean.assign(Y=1.0), ["X", "Y"], reference={"X": 5.0}, reference_total=9.0
        )
    with pytest.raises(InputDataError, match="missing for 1 areas: B"):
        cg.location_quotients(clean.assign(all=[5.0, np.nan]), ["X"], total="all")
    with pytest.raises(ConfigError, match=r"confidence_level=1\.5"):
        cg.location_quotients(clean, ["X"], confidence_level=1.5)


# --- hot spots -----------------------------------------------------------------------------------


def test_hotspots_by_hand() -> None:
    row = row_of_squares(["w", "x", "y", "z"], v=[1.0, 2.0, 3.0, 10.0])
    spots = unchanged(cg.find_hotspots, row, columns=["v"], permutations=99, seed=1)
    assert isinstance(spots, gpd.GeoDataFrame)
    assert spots.index.equals(row.index)
    assert list(spots.columns) == [f"v_{field}" for field in HOTSPOT_FIELDS] + ["geometry"]
    # n = 4, mean 4, population variance 50 / 4; W* = 2 at the ends and 3 inside.
    # z*_i = (sum_j w*_ij x_j - 4 W*_i) / (s sqrt((n W*_i - W*_i^2) / (n - 1))).
    s = np.sqrt(12.5)
    expected_z = [
        (3 - 8) / (s * np.sqrt(4 / 3)),
        (6 - 12) / (s * np.sqrt(3 / 3)),
        (15 - 12) / (s * np.sqrt(3 / 3)),
        (13 - 8) / (s * np.sqrt(4 / 3)),
    ]
    np.testing.assert_allclose(spots["v_gi_star_z"], expected_z, rtol=1e-12)
    # I_i = (n - 1) z_i lag_i / sum z^2 with z = deviation / s, sum z^2 = n.
    deviations = np.array([-3.0, -2.0, -1.0, 6.0])
    lag = np.array([-2.0, -3 - 1, -2 + 6, -1.0])
    np.testing.assert_allclose(spots["v_moran_i"], 3 / 4 * deviations * lag / 12.5, rtol=1e-12)
    assert spots["v_moran_quadrant"].astype(str).tolist() == ["LL", "LL", "LH", "HL"]
    # Two-sided normal p-values of the z above.
    np.testing.assert_allclose(
        spots["v_gi_star_p_norm"], 2 * stats.norm.sf(np.abs(expected_z)), rtol=1e-12
    )
    assert spots["v_gi_star_class"].dtype == "category"


def test_hotspots_match_esda() -> None:
    import esda

    grid = grid_of_squares(6, seed=11)
    spots = cg.find_hotspots(grid, ["x", "y"], permutations=0, moran_inference="analytic")
    graph = cg.to_graph(cg.weights(grid))
    folded = cg.find_hotspots(
        grid, ["x"], permutations=0, moran_inference="analytic", alternative="folded"
    )
    for column in ("x", "y"):
        y = grid[column].to_numpy()
        g_star = esda.G_Local(y, graph, transform="B", star=True, permutations=0)
        g = esda.G_Local(y, graph, transform="B", star=False, permutations=0)
        moran = esda.Moran_Local(y, graph, transformation="B", permutations=0)
        np.testing.assert_allclose(spots[f"{column}_gi_star_z"], g_star.Zs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(spots[f"{column}_gi_star"], g_star.Gs, rtol=1e-12)
        np.testing.assert_allclose(spots[f"{column}_gi_z"], g.Zs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(spots[f"{column}_moran_i"], moran.Is, rtol=1e-9, atol=1e-12)
        quadrant = pd.Series(moran.q).map({1: "HH", 2: "LH", 3: "LL", 4: "HL"})
        assert spots[f"{column}_moran_quadrant"].astype(str).tolist() == quadrant.tolist()
    esda_x = esda.G_Local(grid["x"].to_numpy(), graph, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(folded["x_gi_star_p_norm"], esda_x.p_norm, rtol=1e-9)


def test_hotspots_are_the_engine_and_follow_the_index() -> None:
    grid = grid_of_squares(5, seed=12)
    spots = cg.find_hotspots(grid, {"first": "x", "second": "y"}, permutations=199, seed=3)
    codes = grid.index.astype(str)
    settings = HotspotsConfig(permutations=199, seed=3)
    table = local_hotspots(
        pd.DataFrame(grid[["x", "y"]].to_numpy(), index=codes, columns=["first", "second"]),
        dataclasses.replace(cg.weights(grid), ids=np.asarray(codes)),
        settings,
    ).table
    for name in ("first", "second"):
        expected = table.loc[table["industry_code"] == name].set_index("area_code")
        for field in HOTSPOT_FIELDS:
            np.testing.assert_array_equal(
                np.asarray(spots[f"{name}_{field}"]), np.asarray(expected.loc[codes, field])
            )
    # A row order is no part of the statistics: the analytic results follow the labels.
    shuffled = grid.sample(frac=1.0, random_state=2)
    again = cg.find_hotspots(shuffled, {"first": "x"}, permutations=0, moran_inference="analytic")
    assert again.index.equals(shuffled.index)
    for field in ("first_gi_star_z", "first_moran_i", "first_moran_z", "first_gi_star_p_fdr"):
        np.testing.assert_allclose(again.loc[grid.index, field], spots[field], rtol=1e-12)


def test_hotspots_take_graph_and_w_in_any_order() -> None:
    from libpysal.graph import Graph

    grid = grid_of_squares(5, seed=13)
    ours = cg.find_hotspots(grid, ["x"], permutations=99, seed=8)
    backwards = grid.iloc[::-1]
    graph = Graph.build_contiguity(backwards, rook=False)
    for given in (graph, graph.to_W(), cg.weights(backwards)):
        theirs = cg.find_hotspots(grid, ["x"], given, permutations=99, seed=8)
        pd.testing.assert_frame_equal(theirs, ours)
    with pytest.raises(InputDataError, match=f"1 areas have no weights \\({grid.index[0]}\\)"):
        cg.find_hotspots(grid, ["x"], Graph.build_contiguity(grid.iloc[1:]))
    with pytest.raises(InputDataError, match="libpysal Graph or a libpysal W, not dict"):
        cg.find_hotspots(grid, ["x"], {"a": ["b"]})  # type: ignore[arg-type]
    table = pd.DataFrame(grid.drop(columns="geometry"))
    with pytest.raises(InputDataError, match="needs `weights`"):
        cg.find_hotspots(table, ["x"], permutations=0, moran_inference="analytic")
    plain = cg.find_hotspots(table, ["x"], graph, permutations=99, seed=8)
    assert type(plain) is pd.DataFrame
    pd.testing.assert_frame_equal(plain, pd.DataFrame(ours.drop(columns="geometry")))


def test_hotspots_seed_permutations_and_transform() -> None:
    grid = grid_of_squares(5, seed=14)
    first = cg.find_hotspots(grid, ["x"], permutations=99, seed=1)
    same = cg.find_hotspots(grid, ["x"], permutations=99, seed=1)
    other = cg.find_hotspots(grid, ["x"], permutations=99, seed=2)
    pd.testing.assert_frame_equal(first, same)
    assert not np.array_equal(first["x_moran_p_sim"], other["x_moran_p_sim"])
    assert first["x_moran_p_sim"].min() >= 1 / 100
    none = cg.find_hotspots(grid, ["x"], permutations=0, moran_inference="analytic")
    assert none["x_gi_star_p_sim"].isna().all()
    row = cg.find_hotspots(grid, ["x"], transform="row", permutations=0, moran_inference="analytic")
    pd.testing.assert_frame_equal(
        row,
        cg.find_hotspots(grid, ["x"], transform="R", permutations=0, moran_inference="analytic"),
    )
    binary = cg.find_hotspots(
        grid, ["x"], transform="B", permutations=0, moran_inference="analytic"
    )
    pd.testing.assert_frame_equal(binary, none)
    kernel = cg.weights(grid, "kernel", k=4)
    with pytest.raises(ConfigError, match="transform='B'"):
        cg.find_hotspots(grid, ["x"], kernel, transform="B")
    with pytest.raises(ConfigError, match="permutations=-1"):
        cg.find_hotspots(grid, ["x"], permutations=-1)
    with pytest.raises(ConfigError, match="moran_inference is 'permutation' but permutations"):
        cg.find_hotspots(grid, ["x"], permutations=0)
    with pytest.raises(ConfigError, match="transform='Q'"):
        cg.find_hotspots(grid, ["x"], transform="Q")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="given twice"):
        cg.find_hotspots(grid, ["x", "x"])


# --- clusters and concentrations -----------------------------------------------------------------

#: Hot-spot classes and statistics written by hand, so the findings' rules are tested apart from
#: the statistics (tested above): Gi* sees the first three areas, not the plant at the seventh.
_HAND_SPOTS = {
    "gi_star_z": [3.2, 2.9, 2.1, 0.5, 0.1, 0.3, 0.4, -0.2, -0.5],
    "gi_star_class": ["hot_99", "hot_99", "hot_95"] + ["not_significant"] * 6,
    "moran_class": ["not_significant"] * 6 + ["HL", "not_significant", "not_significant"],
}


def hand_spots(lq: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """find_hotspots-shaped results for ``names``, from :data:`_HAND_SPOTS`."""
    columns: dict[str, Any] = {}
    for name in names:
        columns[f"{name}_gi_star_z"] = _HAND_SPOTS["gi_star_z"]
        columns[f"{name}_gi_star_p_fdr"] = [0.001, 0.002, 0.02] + [0.5] * 6
        columns[f"{name}_gi_star_class"] = _HAND_SPOTS["gi_star_class"]
        columns[f"{name}_moran_quadrant"] = ["HH", "HH", "HH", "LL", "LL", "LL", "HL", "LL", "LL"]
        columns[f"{name}_moran_p_fdr"] = [0.01, 0.01, 0.04, 0.6, 0.6, 0.6, 0.03, 0.6, 0.6]
        columns[f"{name}_moran_class"] = _HAND_SPOTS["moran_class"]
    return pd.DataFrame(columns, index=lq.index)


@pytest.fixture
def plant_row() -> gpd.GeoDataFrame:
    """Nine areas of 10,000 jobs in a row: C is hot in the first three, a plant in the seventh.

    Labels are out of order, so a result in code order would not match them by chance.
    """
    return row_of_squares(
        [90, 10, 80, 20, 70, 30, 60, 40, 50],
        C=[3000.0, 2500.0, 1200.0, 300.0, 300.0, 300.0, 6000.0, 300.0, 300.0],
        all=[10_000.0] * 9,
    )


def test_cluster_core_and_extent_by_hand(plant_row: gpd.GeoDataFrame) -> None:
    lq = cg.location_quotients(plant_row, ["C"], total="all")
    spots = hand_spots(lq, ["C"])
    clusters, extents, _members, _report = unchanged(
        cg.find_clusters, lq, spots, labels={"C": "Making", "X": "unused"}
    )
    # E_C / E = 14,200 / 90,000. LQs: 1.90, 1.58, 0.76 (hot but not specialised: extent
    # only), ..., 3.80 at the plant, which Gi* does not see.
    share = 14_200 / 90_000
    z95 = stats.norm.ppf(0.975)
    # Strongest first: the concentration leads on all four dimensions (2 findings, so the top
    # decile is the top one: ceil(2 x 0.1) = 1).
    assert clusters.index.tolist() == ["C-60", "C-90"]
    assert clusters["kind"].tolist() == ["concentration", "cluster"]

    cluster = clusters.loc["C-90"]  # anchored on the core area employing the most
    assert cluster["label"] == "Making"
    assert cluster["anchor_area_code"] == "90"
    assert (cluster["n_units"], cluster["member_codes"]) == (2, "10;90")
    assert (cluster["extent_n_units"], cluster["extent_member_codes"]) == (3, "10;80;90")
    assert cluster["employment"] == 5500
    assert cluster["extent_employment"] == 6700
    assert cluster["employment_share"] == pytest.approx(5500 / 14_200, rel=1e-12)
    lq_core = (5500 / 20_000) / share
    assert cluster["lq"] == pytest.approx(lq_core, rel=1e-12)
    assert cluster["extent_lq"] == pytest.approx((6700 / 30_000) / share, rel=1e-12)
    assert cluster["focus"] == pytest.approx(5500 / 20_000, rel=1e-12)
    # Moineddin et al. (2003): Var(ln LQ) = 1/e_f - 1/e_i + 1/E_j - 1/E for the core as one.
    sd = np.sqrt(1 / 5500 - 1 / 20_000 + 1 / 14_200 - 1 / 90_000)
    assert cluster["lq_z"] == pytest.approx(np.log(lq_core) / sd, rel=1e-12)
    assert cluster["lq_lower"] == pytest.approx(lq_core * np.exp(-z95 * sd), rel=1e-12)
    assert cluster["lq_upper"] == pytest.approx(lq_core * np.exp(z95 * sd), rel=1e-12)
    assert cluster["peak_gi_star_z"] == 3.2
    assert cluster["mean_gi_star_z"] == pytest.approx(3.05, rel=1e-15)
    assert not cluster["moran_outlier"]
    assert (cluster["stars"], cluster["strength"]) == (0, 0.0)
    assert cluster["area_km2"] == pytest.approx(2 * SIDE * SIDE / 1e6)
    assert cluster["extent_area_km2"] == pytest.approx(3 * SIDE * SIDE / 1e6)
    assert (cluster["centroid_x"], cluster["centroid_y"]) == (SIDE, SIDE / 2)
    assert cluster.geometry.area == pytest.approx(2 * SIDE * SIDE)
    assert extents.loc["C-90"].geometry.area == pytest.approx(3 * SIDE * SIDE)

    # The centroid in WGS 84, as pyproj puts it.
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(SIDE, SIDE / 2)
    assert (cluster["centroid_lon"], cluster["centroid_lat"]) == (round(lon, 5), round(lat, 5))
    assert clusters.columns[-1] == "geometry"
    assert "industry_kind" not in clusters


def test_concentration_and_members_by_hand(plant_row: gpd.GeoDataFrame) -> None:
    lq = cg.location_quotients(plant_row, ["C"], total="all")
    clusters, extents, members, report = cg.find_clusters(lq, hand_spots(lq, ["C"]))
    share = 14_200 / 90_000
    plant = clusters.loc["C-60"]
    lq_plant = 0.6 / share
    sd_plant = np.sqrt(1 / 6000 - 1 / 10_000 + 1 / 14_200 - 1 / 90_000)
    assert (plant["n_units"], plant["extent_n_units"]) == (1, 1)
    assert plant["lq"] == pytest.approx(lq_plant, rel=1e-12)
    assert plant["lq_z"] == pytest.approx(np.log(lq_plant) / sd_plant, rel=1e-12)
    assert plant["employment_share"] == pytest.approx(6000 / 14_200, rel=1e-12)
    assert plant["moran_outlier"]  # a significant high-low area, reported, not required
    assert plant[["star_size", "star_specialisation", "star_focus"]].tolist() == [True] * 3
    assert (plant["stars"], plant["strength"]) == (3, 100.0)
    assert extents.loc["C-60"].geometry.equals(plant.geometry)

    assert members.index.tolist() == [60, 10, 80, 90]  # by finding ID, then area code
    assert members["cluster_id"].tolist() == ["C-60", "C-90", "C-90", "C-90"]
    assert members["part"].tolist() == ["core", "core", "extent", "core"]
    assert members["employment"].tolist() == [6000, 2500, 1200, 3000]
    assert report["per_industry"]["C"] == {
        "significant_areas": 3,
        "core_areas": 2,
        "clusters": 1,
        "no_core": 0,
        "dropped_small": 0,
        "specialised_areas": 1,
        "concentrations": 1,
    }
    assert report["hot_spot_classes"] == ["hot_99", "hot_95"]


def test_concentration_rule_and_reference_by_hand(plant_row: gpd.GeoDataFrame) -> None:
    lq = cg.location_quotients(plant_row, ["C"], total="all")
    spots = hand_spots(lq, ["C"])
    # The plant's LQ, 3.80, is significantly above 3 but not above 4.
    higher = cg.find_clusters(lq, spots, concentration_min_lq=4.0)
    assert higher.clusters["kind"].tolist() == ["cluster"]
    assert higher.report["per_industry"]["C"]["specialised_areas"] == 0
    # A floor of half the industry's jobs (7,100) drops the 6,000-job plant.
    floored = cg.find_clusters(lq, spots, concentration_min_employment_share=0.5)
    assert floored.report["per_industry"]["C"]["dropped_small"] == 1
    assert cg.find_clusters(lq, spots, concentrations=False).clusters.index.tolist() == ["C-90"]

    # Against a national reference, E_C / E = 100,000 / 1,000,000: the plant's LQ is 6.
    national = cg.location_quotients(
        plant_row, ["C"], total="all", reference={"C": 100_000}, reference_total=1_000_000
    )
    with pytest.raises(ConfigError, match="pass reference_total="):
        cg.find_clusters(national, spots)
    found = cg.find_clusters(national, spots, reference_total=1_000_000)
    plant = found.clusters.loc["C-60"]
    sd = np.sqrt(1 / 6000 - 1 / 10_000 + 1 / 100_000 - 1 / 1_000_000)
    assert plant["lq"] == pytest.approx(6.0, rel=1e-12)
    assert plant["lq_z"] == pytest.approx(np.log(6.0) / sd, rel=1e-12)
    assert plant["lq_lower"] == pytest.approx(6.0 * np.exp(-stats.norm.ppf(0.975) * sd), rel=1e-12)
    ninety = cg.find_clusters(national, spots, reference_total=1_000_000, confidence_level=0.8)
    assert ninety.clusters.loc["C-60", "lq_lower"] == pytest.approx(
        6.0 * np.exp(-stats.norm.ppf(0.9) * sd), rel=1e-12
    )


def test_local_serving_industries_are_left_out_unless_asked(
    plant_row: gpd.GeoDataFrame,
) -> None:
    # F is SIC section F, construction: local-serving, as the pipeline judges it.
    both = plant_row.assign(F=plant_row["C"], all=plant_row["all"] * 2)
    lq = cg.location_quotients(both, ["C", "F"], total="all")
    spots = hand_spots(lq, ["C", "F"])
    found = cg.find_clusters(lq, spots)
    assert set(found.clusters["industry_code"]) == {"C"}
    assert found.report["non_traded_left_out"] == {"F": 2}
    kept = cg.find_clusters(lq, spots, include_non_traded=True)
    assert sorted(kept.clusters.index) == ["C-60", "C-90", "F-60", "F-90"]
    assert kept.clusters["traded"].to_dict() == {
        "C-60": True,
        "C-90": True,
        "F-60": False,
        "F-90": False,
    }
    said = cg.find_clusters(lq, spots, traded={"F": True})
    assert said.clusters["traded"].all()
    assert len(said.clusters) == 4
    # Two industries' findings share the stars: C's and F's tie, and ties share a star.
    assert sorted(said.clusters["stars"]) == [0, 0, 3, 3]


def test_clusters_take_a_graph_and_check_their_inputs(plant_row: gpd.GeoDataFrame) -> None:
    from libpysal.graph import Graph

    lq = cg.location_quotients(plant_row, ["C"], total="all")
    spots = hand_spots(lq, ["C"])
    ours = cg.find_clusters(lq, spots)
    # Without the link between the first two areas, the hot three split in two clusters:
    # 90 alone, and 10 (core) with 80 (extent).
    codes = list(lq.index)
    links = {a: [b for b in codes if abs(codes.index(a) - codes.index(b)) == 1] for a in codes}
    links[90], links[10] = [], [80]
    split = cg.find_clusters(lq, spots, Graph.from_dicts(links))
    assert sorted(split.clusters.index) == ["C-10", "C-60", "C-90"]
    assert split.clusters.loc["C-10", "extent_member_codes"] == "10;80"
    assert split.clusters.loc["C-90", "extent_member_codes"] == "90"
    # The LQ rule on real hot spots: the first two areas and the plant have intervals above
    # 1, so the plant is a cluster of one; neighbours up to 5.5 squares apart join all three.
    real = cg.find_hotspots(lq, {"C": "C_lq"}, permutations=0, moran_inference="analytic")
    apart = cg.find_clusters(lq, real, membership="lq")
    assert apart.clusters.index.tolist() == ["C-60", "C-90"]
    assert apart.clusters["kind"].tolist() == ["cluster", "cluster"]
    wide = Graph.build_distance_band(lq.centroid, threshold=5.5 * SIDE)
    together = cg.find_clusters(lq, real, wide, membership="lq")
    assert together.clusters.index.tolist() == ["C-60"]
    assert together.clusters["n_units"].tolist() == [3]
    # Rows of the hot spots in another order are matched by label.
    again = cg.find_clusters(lq, spots.iloc[::-1])
    pd.testing.assert_frame_equal(again.clusters, ours.clusters)
    pd.testing.assert_frame_equal(again.members, ours.members)
    with pytest.raises(InputDataError, match="same areas"):
        cg.find_clusters(lq, spots.iloc[1:])
    with pytest.raises(InputDataError, match=r"`spots` has no column C_moran_class"):
        cg.find_clusters(lq, spots.drop(columns="C_moran_class"))
    with pytest.raises(InputDataError, match=r"`lq` has no column C_lq_unreliable"):
        cg.find_clusters(lq.drop(columns="C_lq_unreliable"), spots)
    unnamed = cg.find_hotspots(lq, ["C_lq"], permutations=0, moran_inference="analytic")
    with pytest.raises(InputDataError, match="carry the industries' names"):
        cg.find_clusters(lq, unnamed)
    with pytest.raises(ConfigError, match=r"concentration_min_lq=0"):
        cg.find_clusters(lq, spots, concentration_min_lq=0)
    with pytest.raises(ConfigError, match=r"significance=0\.1"):
        cg.find_clusters(lq, spots, significance=0.1)
    with pytest.raises(ConfigError, match=r"reference_total=-5"):
        cg.find_clusters(lq, spots, reference_total=-5)


def test_no_findings_give_empty_tables(plant_row: gpd.GeoDataFrame) -> None:
    lq = cg.location_quotients(plant_row, ["C"], total="all")
    spots = hand_spots(lq, ["C"]).assign(C_gi_star_class="not_significant")
    found = cg.find_clusters(lq, spots, concentrations=False)
    assert found.clusters.empty
    assert found.members.empty
    assert found.extents.empty
    governed, authorities = cg.govern(
        found, plant_row.assign(district_code="D1", district_name="One")
    )
    assert governed.empty
    assert authorities.empty


# --- governance ----------------------------------------------------------------------------------


def governed_row(**tiers: list[Any]) -> tuple[cg.FoundClusters, gpd.GeoDataFrame]:
    """Five areas, C strong in the first three; clusters found by the LQ rule."""
    areas = row_of_squares(
        ["a", "b", "c", "d", "e"], C=[100.0, 120.0, 100.0, 10.0, 10.0], all=[200.0] * 5, **tiers
    )
    lq = cg.location_quotients(areas, ["C"], total="all")
    spots = cg.find_hotspots(lq, {"C": "C_lq"}, permutations=0, moran_inference="analytic")
    return cg.find_clusters(lq, spots, membership="lq", min_employment=0), areas


@pytest.fixture
def core_and_extent() -> tuple[cg.FoundClusters, gpd.GeoDataFrame]:
    """A cluster of a, b and d (specialised) with c (hot, not specialised) in its extent.

    d is a small area (400 jobs, 200 in C) in another district and county: 3.5% of the
    core's employment, so the core only touches them. c brings a third district into the
    extent with 17% of its employment.
    """
    areas = row_of_squares(
        ["a", "b", "c", "d", "e", "f"],
        C=[3000.0, 2500.0, 1200.0, 200.0, 300.0, 300.0],
        all=[10_000.0, 10_000.0, 10_000.0, 400.0, 10_000.0, 10_000.0],
        district_code=["D1", "D1", "D2", "D3", "D2", "D2"],
        district_name=["One", "One", "Two", "Three", "Two", "Two"],
        county_code=["K1", "K1", "K2", "K2", "K2", "K2"],
        county_name=["West", "West", "East", "East", "East", "East"],
        combined_authority_code=["CA1", "CA1", None, None, None, None],
        combined_authority_name=["Mercia", "Mercia", None, None, None, None],
    )
    lq = cg.location_quotients(areas, ["C"], total="all")
    # Gi* classes by hand: a to d hot. LQs 1.62, 1.35, 0.65, 2.69, 0.16, 0.16.
    spots = pd.DataFrame(
        {
            "C_gi_star_z": [3.0, 2.8, 2.5, 2.2, 0.1, 0.0],
            "C_gi_star_p_fdr": [0.01] * 4 + [0.9] * 2,
            "C_gi_star_class": ["hot_99"] * 4 + ["not_significant"] * 2,
            "C_moran_quadrant": ["HH"] * 4 + ["LL"] * 2,
            "C_moran_p_fdr": [0.5] * 6,
            "C_moran_class": ["not_significant"] * 6,
        },
        index=lq.index,
    )
    return cg.find_clusters(lq, spots, labels={"C": "Making"}), areas


def test_governance_of_core_and_extent_by_hand(
    core_and_extent: tuple[cg.FoundClusters, gpd.GeoDataFrame],
) -> None:
    found, areas = core_and_extent
    assert found.clusters.index.tolist() == ["C-a"]
    assert found.members["part"].to_dict() == {"a": "core", "b": "core", "c": "extent", "d": "core"}
    before = copy.deepcopy(found)
    governed, authorities = unchanged(lambda frame: cg.govern(found, frame), areas)
    for old, new in zip(before, found, strict=True):
        if isinstance(old, pd.DataFrame):
            pd.testing.assert_frame_equal(old, new)
    row = governed.loc["C-a"]
    # Core: One holds 5,500 of 5,700 jobs; Three's 200 (3.5%) only touch it.
    assert row["name"] == "Making: One"
    assert not row["straddles_districts"]
    assert row["single_district"]
    assert (row["n_districts"], row["districts"]) == (1, "One")
    assert row["lead_share"] == pytest.approx(5500 / 5700, rel=1e-12)
    assert not row["straddles_counties"]
    assert row["touches"] == "Three (district) 3.5%; East (county or unitary authority) 3.5%"
    assert row["ca_status"] == "within_one_ca"  # Mercia holds 96.5%, at least 1 - 5%
    assert not row["governance_gap"]
    # Extent: One 5,500, Two 1,200 (17.4%) and Three 200 (2.9%) of 6,900 jobs.
    assert row["extent_straddles_districts"]
    assert (row["extent_n_districts"], row["extent_districts"]) == (2, "One; Two")
    assert row["extent_lead_share"] == pytest.approx(5500 / 6900, rel=1e-12)
    assert row["extent_straddles_counties"]
    assert row["extent_touches"] == "Three (district) 2.9%"
    assert row["extent_ca_status"] == "partly_outside_ca"
    # Two, next to the core but holding none of it, is near.
    assert row["near_authorities"] == "Two (district)"
    assert row["edge"]

    links = authorities.set_index(["part", "tier", "authority_code"])
    assert authorities.columns[-1] == "part"
    assert links.loc[("core", "district", "D1"), "relation"] == "lead"
    assert links.loc[("core", "district", "D3"), "relation"] == "touches"
    assert links.loc[("core", "district", "D3"), "employment_share"] == pytest.approx(200 / 5700)
    assert links.loc[("core", "district", "D3"), "area_km2_share"] == pytest.approx(1 / 3)
    assert ("core", "district", "D2") not in links.index
    assert links.loc[("extent", "district", "D2"), "relation"] == "shares"
    assert links.loc[("extent", "district", "D2"), "employment"] == 1200
    assert links.loc[("extent", "upper_tier", "K2"), "employment_share"] == pytest.approx(
        1400 / 6900
    )
    assert links.loc[("extent", "combined_authority", "CA1"), "employment_share"] == (
        pytest.approx(5500 / 6900)
    )


def test_governance_straddle_share_by_hand(
    core_and_extent: tuple[cg.FoundClusters, gpd.GeoDataFrame],
) -> None:
    found, areas = core_and_extent
    # At 3%, Three's 3.5% of the core is a straddle, and East's a county straddle.
    governed, authorities = cg.govern(found, areas, straddle_share=0.03)
    row = governed.loc["C-a"]
    assert row["straddles_districts"]
    assert (row["n_districts"], row["districts"]) == (2, "One; Three")
    assert row["name"] == "Making: One / Three"
    assert row["straddles_counties"]
    assert row["touches"] == ""
    assert row["ca_status"] == "partly_outside_ca"
    core = authorities.loc[(authorities["part"] == "core") & (authorities["tier"] == "district")]
    assert core.set_index("authority_code")["relation"].to_dict() == {
        "D1": "lead",
        "D3": "shares",
    }
    with pytest.raises(ConfigError, match=r"straddle_share=0\.6"):
        cg.govern(found, areas, straddle_share=0.6)


def test_governance_gap_when_no_authority_holds_a_majority() -> None:
    found, areas = governed_row(
        district_code=["D1", "D2", "D3", "D3", "D3"],
        district_name=["One", "Two", "Three", "Three", "Three"],
    )
    governed, _ = cg.govern(found, areas)
    (row,) = governed.itertuples()
    assert row.n_districts == 3
    assert row.governance_gap
    assert row.extent_governance_gap
    assert row.lead_district == "Two"
    assert row.lead_share == pytest.approx(120 / 320, rel=1e-12)
    assert "straddles_counties" not in governed  # no county tier given, none reported


def test_governance_checks_its_inputs() -> None:
    found, areas = governed_row(district_code=["D1"] * 5, district_name=["One"] * 5)
    with pytest.raises(InputDataError, match="no authority columns"):
        cg.govern(found, areas.drop(columns=["district_code", "district_name"]))
    with pytest.raises(InputDataError, match="add county_name"):
        cg.govern(found, areas.assign(county_code="K1"))
    with pytest.raises(InputDataError, match="not in `areas`: a"):
        cg.govern(found, areas.drop(index="a"))
    with pytest.raises(ConfigError, match="edge_distance_km=-1"):
        cg.govern(found, areas, edge_distance_km=-1)


# --- the demo run: the API gives the pipeline's outputs ------------------------------------------


def test_api_on_the_demo_gives_the_runs_outputs(demo_run: RunPaths) -> None:
    areas = gpd.read_parquet(demo_run[r.AREAS]).set_index("area_code")
    industries = intermediates.read_industries(demo_run)
    matrix = employment_matrix(intermediates.read_employment(demo_run))
    counts = pd.concat(
        [matrix, aggregate_cluster_definitions(matrix, industries.definition_codes)], axis=1
    )
    totals = intermediates.read_area_totals(demo_run)
    assert totals is not None
    assert totals["year"].nunique(dropna=False) == 1  # the demo is one year
    frame = areas.join(counts).assign(all_industries=totals.set_index("area_code")["total"])
    definitions = sorted(industries.definition_codes)

    lq = cg.location_quotients(frame, [*matrix.columns, *definitions], total="all_industries")
    run_lq = pd.read_parquet(demo_run[r.LQ]).set_index(["industry_code", "area_code"])
    for name in [*matrix.columns, *definitions]:
        expected = run_lq.loc[name].reindex(lq.index)
        for field in api.LQ_FIELDS:
            np.testing.assert_array_equal(lq[f"{name}_{field}"], expected[field], err_msg=name)

    # With the run's permutations (the demo's config sets more than the default).
    permutations = int(intermediates.read_hotspot_record(demo_run).statistics["permutations"])
    spots = cg.find_hotspots(
        lq, {name: f"{name}_lq" for name in definitions}, permutations=permutations
    )
    run_spots = pd.read_parquet(demo_run[r.HOTSPOTS]).astype({"area_code": str})
    run_spots = run_spots.astype({"industry_code": str}).set_index(["industry_code", "area_code"])
    for name in definitions:
        expected = run_spots.loc[name].reindex(spots.index)
        for field in HOTSPOT_FIELDS:
            np.testing.assert_array_equal(
                spots[f"{name}_{field}"].astype(
                    str if field.endswith(("class", "quadrant")) else float
                ),
                expected[field].astype(str if field.endswith(("class", "quadrant")) else float),
                err_msg=f"{name} {field}",
            )

    # The run's findings: both kinds, with the definitions' own traded flags (the demo's
    # construction definition is local-serving, and left out as in the run).
    traded = {d.key: d.traded for d in industries.definitions}
    found = cg.find_clusters(lq, spots, labels=industries.labels, traded=traded)
    run_clusters = gpd.read_parquet(demo_run[r.CLUSTERS]).set_index("cluster_id")
    assert set(found.clusters["kind"]) == {"cluster", "concentration"}
    assert found.clusters.index.tolist() == run_clusters.index.tolist()
    assert_same_table(found.clusters, run_clusters)
    run_extents = gpd.read_parquet(demo_run[r.CLUSTER_EXTENTS]).set_index("cluster_id")
    assert_same_table(found.extents, run_extents)
    run_members = pd.read_parquet(demo_run[r.CLUSTER_MEMBERS])
    assert found.members["cluster_id"].tolist() == run_members["cluster_id"].tolist()
    assert found.members.index.tolist() == run_members["area_code"].tolist()
    assert found.members["part"].tolist() == run_members["part"].tolist()
    run_report = json.loads(demo_run[r.CLUSTERS_REPORT].read_text(encoding="utf-8"))
    assert json.loads(json.dumps(found.report)) == {
        key: value for key, value in run_report.items() if key not in ("stage", "of", "columns")
    }

    governed, authorities = cg.govern(found, areas)
    run_governed = gpd.read_parquet(demo_run[r.GOVERNED_CLUSTERS]).set_index("cluster_id")
    assert_same_table(governed, run_governed)
    assert governed["extent_straddles_districts"].any()
    pd.testing.assert_frame_equal(
        authorities,
        pd.read_parquet(demo_run[r.CLUSTER_AUTHORITIES]),
        check_dtype=False,
        check_exact=True,
    )


def assert_same_table(ours: gpd.GeoDataFrame, run: gpd.GeoDataFrame) -> None:
    """Every column of ``ours`` equals the run's, exactly, geometry included.

    The run's tables hold one column more, ``industry_kind`` (an industry or a cluster
    definition), which the API does not know.
    """
    assert set(run.columns) - set(ours.columns) <= {"industry_kind"}
    columns = [c for c in ours.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(ours[columns]),
        pd.DataFrame(run.loc[ours.index, columns]),
        check_dtype=False,
        check_exact=True,
    )
    assert ours.geometry.geom_equals_exact(run.geometry.loc[ours.index], 0).all()


def test_run_weights_open_in_libpysal_as_the_runs_weights(demo_run: RunPaths) -> None:
    from libpysal.graph import read_parquet

    graph = read_parquet(demo_run[r.WEIGHTS])
    assert graph.transformation == "O"
    ids = np.asarray(graph.unique_ids)
    run = intermediates.read_weights(demo_run, ids)
    assert graph.sparse.shape == run.matrix.shape == (len(ids), len(ids))
    assert abs(sparse.csr_array(graph.sparse) - run.matrix).max() == 0
    areas = gpd.read_parquet(demo_run[r.AREAS]).set_index("area_code").loc[ids]
    assert abs(cg.weights(areas).matrix - run.matrix).max() == 0


@pytest.mark.parametrize("suffix", ["gal", "gwt"])
def test_cli_weights_export_reads_back_in_libpysal(
    demo_run: RunPaths, tmp_path: Path, suffix: str
) -> None:
    import libpysal

    config = demo_run.root.parent / "demo.yaml"
    out = tmp_path / f"weights.{suffix}"
    result = CliRunner().invoke(main, ["-q", "weights", str(config), str(out)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    with warnings.catch_warnings():
        # A GWT header names a shapefile whose table would order the ids; there is none here.
        warnings.filterwarnings("ignore", "DBF relating to GWT", RuntimeWarning)
        handle = libpysal.io.open(str(out))
        try:
            read = handle.read()
        finally:
            handle.close()
    ids = np.asarray(sorted(read.neighbors), dtype=object)
    run = intermediates.read_weights(demo_run, ids)
    expected = cg.to_w(run)
    assert read.n == expected.n
    for code in ids:
        assert sorted(read.neighbors[code]) == sorted(expected.neighbors[code])
        got = dict(zip(read.neighbors[code], read.weights[code], strict=True))
        want = dict(zip(expected.neighbors[code], expected.weights[code], strict=True))
        assert got == want


# --- the example notebook ------------------------------------------------------------------------

NOTEBOOK = REPO / "examples" / "quickstart.ipynb"

#: Run after the notebook, in its kernel: the planted clusters are found and placed right.
_NOTEBOOK_CHECKS = """
planted = pd.read_csv(inputs["truth"])
for code in ("C", "H", "J"):
    expected = set(planted.loc[planted["industry_code"] == code, "area_code"])
    got = set(found.members.index[found.members["industry_code"] == code])
    assert expected <= got, code
clusters = governed.loc[governed["kind"] == "cluster"].sort_values("employment")
by_industry = clusters.drop_duplicates("industry_code", keep="last").set_index("industry_code")
assert by_industry.loc["C", "straddles_counties"]
assert by_industry.loc["C", "ca_status"] == "outside_any_ca"
assert by_industry.loc["H", "ca_status"] == "partly_outside_ca"
assert by_industry.loc["J", "single_district"]
assert (found.members.loc[found.members["cluster_id"] == manufacturing, "part"] == "extent").any()
(planted_plant,) = pd.read_csv(inputs["truth_concentrations"]).itertuples()
(found_plant,) = governed.loc[governed["kind"] == "concentration"].itertuples()
assert found_plant.Index == plant
assert (found_plant.anchor_area_code, found_plant.n_units) == (planted_plant.area_code, 1)
assert found_plant.industry_code == planted_plant.industry_code
assert areas.loc[planted_plant.area_code, "district_code"] == planted_plant.district_code
assert found_plant.lead_district == areas.loc[planted_plant.area_code, "district_name"]
assert len(fig.axes[0].collections) > 0
"""


def test_notebook_is_stored_without_outputs() -> None:
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.e2e
def test_notebook_runs_headless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Jupyter's own paths move to platformdirs; without this its import warns about it.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's temporary folder
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(_NOTEBOOK_CHECKS))
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert not errors
    assert any(tmp_path.glob("clustergeo-quickstart-*/areas.gpkg"))
