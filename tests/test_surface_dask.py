"""The surface on Dask: the in-process pieces, grid and stage outputs, bit for bit."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from distributed import Client
from shapely import affinity
from shapely.geometry import Point, Polygon, box

from clustergeo import load_config
from clustergeo._errors import InputDataError
from clustergeo.config import ComputeConfig, RunConfig
from clustergeo.stages import registry as r
from clustergeo.stages import surface as surface_stage
from clustergeo.stages.paths import RunPaths
from clustergeo.surface import partitioned
from clustergeo.surface.dasymetric import allocate
from clustergeo.surface.grid import GridSpec, grid_spec, rasterise
from clustergeo.surface.partitioned import partition_count, partitioned_surface
from conftest import REPO, demo_config

CRS = "EPSG:27700"
X0, Y0 = 440_000.0, 330_000.0
NX, NY, SIDE = 8, 6, 100.0
WEIGHTS = {"industrial": 1.0, "works": 1.0, "commercial": 1.0, "retail": 0.5, "farmyard": 0.0}


@pytest.fixture(scope="module")
def client(dask_cluster: str) -> Iterator[Client]:
    with Client(dask_cluster) as connected:
        yield connected


def _areas() -> gpd.GeoDataFrame:
    """``NX`` x ``NY`` quadrilaterals tiling a region: a lattice with its inner corners jittered."""
    rng = np.random.default_rng(3)
    xs, ys = np.meshgrid(np.arange(NX + 1) * SIDE, np.arange(NY + 1) * SIDE)
    inner = (slice(1, -1), slice(1, -1))
    xs[inner] += rng.uniform(-30, 30, xs[inner].shape)
    ys[inner] += rng.uniform(-30, 30, ys[inner].shape)
    codes, geoms = [], []
    for row in range(NY):
        for col in range(NX):
            corners = [(row, col), (row, col + 1), (row + 1, col + 1), (row + 1, col)]
            geoms.append(Polygon([(X0 + xs[r, c], Y0 + ys[r, c]) for r, c in corners]))
            codes.append(f"Q{row}{col}")
    return gpd.GeoDataFrame({"area_code": codes}, geometry=geoms, crs=CRS)


def _land() -> gpd.GeoDataFrame:
    """Overlapping land of five kinds (one of weight 0) over the western three quarters.

    Rotated rectangles and discs, several of a kind in some areas and many across area edges;
    the eastern areas get none, so their employment falls back to the whole area.
    """
    rng = np.random.default_rng(11)
    kinds, geoms = [], []
    for _ in range(45):
        x, y = rng.uniform(0, 0.7 * NX * SIDE), rng.uniform(0, NY * SIDE)
        if rng.random() < 0.3:
            geom = Point(X0 + x, Y0 + y).buffer(rng.uniform(8, 40))
        else:
            w, h = rng.uniform(10, 110), rng.uniform(5, 60)
            geom = affinity.rotate(box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h), rng.uniform(0, 90))
        kinds.append(str(rng.choice(list(WEIGHTS), p=[0.35, 0.15, 0.25, 0.15, 0.1])))
        geoms.append(geom)
    return gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs=CRS)


def _employment(codes: pd.Series) -> pd.DataFrame:
    """Skewed counts in three columns and a total; a missing count, a zero area, a missing row."""
    rng = np.random.default_rng(5)
    counts = pd.DataFrame(
        rng.negative_binomial(2, 0.05, size=(len(codes), 3)).astype(float),
        index=codes.to_numpy(),
        columns=["C", "G", "M"],
    )
    counts.iloc[4, 1] = np.nan
    counts.iloc[9] = 0.0
    counts["total"] = counts.sum(axis=1) * 3.0
    return counts.drop(index=codes.iloc[20])


@pytest.fixture(scope="module")
def case() -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, GridSpec]:
    areas = _areas()
    return areas, _employment(areas["area_code"]), _land(), grid_spec(areas.total_bounds, 35.0)


def _assert_same_pieces(got: gpd.GeoDataFrame, expected: gpd.GeoDataFrame) -> None:
    assert type(got) is type(expected)
    assert got.crs == expected.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")),
        pd.DataFrame(expected.drop(columns="geometry")),
        check_exact=True,
    )
    assert got.geometry.name == expected.geometry.name
    assert list(shapely.to_wkb(got.geometry.to_numpy())) == list(
        shapely.to_wkb(expected.geometry.to_numpy())
    )
    assert got.attrs == expected.attrs


def _assert_same_bits(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


# --- the partitioned allocation and grid ----------------------------------------------------------


@pytest.mark.parametrize("npartitions", [None, 3, 7, NX * NY])
def test_partitioned_allocation_and_grid_equal_in_process(
    client: Client,
    case: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, GridSpec],
    npartitions: int | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    areas, employment, land, spec = case
    columns = ["C", "G", "M", "total"]
    expected = allocate(areas, employment, land, WEIGHTS)
    expected_grid = rasterise(expected, columns, spec)
    with caplog.at_level(logging.INFO, logger="clustergeo.surface.partitioned"):
        pieces, grid = partitioned_surface(
            areas, employment, land, WEIGHTS, client, columns=columns, spec=spec,
            npartitions=npartitions,
        )  # fmt: skip
    _assert_same_pieces(pieces, expected)
    _assert_same_bits(grid, expected_grid)
    count = npartitions or partition_count(NX * NY, 2)
    assert f"{NX * NY} areas in {count} spatial partitions" in caplog.text
    # Not a vacuous comparison: every kind of piece and value is there.
    kinds = set(expected["kind"])
    assert {"industrial", "works", "commercial", "retail", "area"} <= kinds
    assert "farmyard" not in kinds  # weight 0
    assert (expected.geometry.geom_type == "MultiPolygon").any()  # parts dissolved per kind
    assert expected.groupby("area_code").size().max() >= 3
    assert 0 < expected["fallback"].sum() < NX * NY
    assert np.isnan(grid).any()
    assert (grid[0] > 0).sum() > 100
    assert not np.array_equal(grid[0], np.round(grid[0]))  # shares of cells, not whole areas


def test_partitions_are_spatially_compact(
    client: Client, case: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, GridSpec]
) -> None:
    areas = case[0].assign(position=np.arange(NX * NY))
    chunks = client.scatter([areas.iloc[:20], areas.iloc[20:]], hash=False)
    shuffled = partitioned.spatial_partitions(chunks, areas.iloc[:0], areas.total_bounds, 4)
    parts = client.gather(client.compute(shuffled))
    assert len(parts) == 4
    assert sorted(np.concatenate([part["position"] for part in parts])) == list(range(NX * NY))
    sizes = [len(part) for part in parts]
    assert min(sizes) >= 6
    # Each partition is a compact block of areas: together their bounding boxes cover the
    # region less than twice over (four random groups would each span most of it).
    region = shapely.area(shapely.box(*areas.total_bounds))
    spans = [shapely.area(shapely.box(*part.total_bounds)) / region for part in parts]
    assert max(spans) < 0.6
    assert sum(spans) < 1.8


def test_partition_count_follows_workers_and_areas() -> None:
    assert partition_count(0, 2) == 1
    assert partition_count(5, 2) == 1
    assert partition_count(60, 2) == 3
    assert partition_count(10_000, 2) == 2 * partitioned.PARTITIONS_PER_THREAD
    assert partition_count(10_000, 0) == partitioned.PARTITIONS_PER_THREAD


def test_partitioned_errors_are_the_in_process_ones(
    client: Client, case: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame, GridSpec]
) -> None:
    areas, employment, land, spec = case
    with pytest.raises(InputDataError, match="farmyard, retail, works have no weight"):
        partitioned_surface(
            areas, employment, land, {"industrial": 1.0}, client, columns=["C"], spec=spec
        )
    small = GridSpec(left=X0, top=Y0 + 200, cell_m=100.0, width=2, height=2)
    with pytest.raises(InputDataError, match="reach outside the grid"):
        partitioned_surface(areas, employment, land, WEIGHTS, client, columns=["C"], spec=small)


# --- the surface stage ----------------------------------------------------------------------------


def _stage_on_dask(config: RunConfig, source: RunPaths, address: str) -> RunPaths:
    """The surface stage alone, on the cluster at ``address``, over a copy of ``source``'s run."""
    shutil.copytree(source.root, config.output_dir)
    config = config.model_copy(
        update={"compute": ComputeConfig(backend=address, industries_per_task=2)}
    )
    surface_stage.run(config)
    return RunPaths.for_config(config)


def _assert_same_surface(got: RunPaths, expected: RunPaths) -> None:
    with rasterio.open(got[r.SURFACE_TIF]) as new, rasterio.open(expected[r.SURFACE_TIF]) as old:
        assert new.count == old.count
        assert new.descriptions == old.descriptions
        assert new.transform == old.transform
        assert new.crs == old.crs
        assert new.nodata == old.nodata
        _assert_same_bits(new.read(), old.read())
    for artefact in (r.GRID_HOTSPOTS, r.GRID_CLUSTERS, r.MAUP):
        pd.testing.assert_frame_equal(
            pd.read_parquet(got[artefact]),
            pd.read_parquet(expected[artefact]),
            check_exact=True,
        )
    new_report = json.loads(got[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    old_report = json.loads(expected[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    assert new_report["backend"].startswith("tcp://")
    for key in ("allocation", "grid", "grid_hot_spots", "grid_clusters", "maup"):
        assert new_report[key] == old_report[key], key


def test_demo_surface_stage_on_dask_equals_in_process(
    demo_run: RunPaths, dask_cluster: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(demo_config(tmp_path))
    with caplog.at_level(logging.INFO, logger="clustergeo.surface.partitioned"):
        paths = _stage_on_dask(config, demo_run, dask_cluster)
    _assert_same_surface(paths, demo_run)
    assert "in 8 spatial partitions" in caplog.text  # ~1,500 areas on two workers
    assert len(pd.read_parquet(demo_run[r.GRID_HOTSPOTS])) > 8_000
    assert len(pd.read_parquet(demo_run[r.GRID_CLUSTERS])) > 0


@pytest.mark.realdata
def test_rutland_surface_stage_on_dask_equals_in_process(
    rutland_run: RunPaths,
    dask_cluster: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Real OSM land in Rutland's five MSOAs, one or two areas per partition."""
    monkeypatch.setattr(partitioned, "MIN_AREAS_PER_PARTITION", 2)
    config = load_config(REPO / "pipelines" / "rutland-census2011.yaml")
    config = config.model_copy(update={"output_dir": tmp_path / "rutland"})
    with caplog.at_level(logging.INFO, logger="clustergeo.surface.partitioned"):
        paths = _stage_on_dask(config, rutland_run, dask_cluster)
    _assert_same_surface(paths, rutland_run)
    assert "5 areas in 3 spatial partitions, 7 pieces" in caplog.text
    report = json.loads(paths[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    assert report["allocation"]["fallback_areas"] == []  # every piece is real land
