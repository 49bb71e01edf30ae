"""Shared test helpers: where the real public datasets are, and a headless plotting backend."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import settings
from shapely.geometry import box

from clustergeo import load_config
from clustergeo.cli import main
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from clustergeo.ingest.boundaries import read_boundaries
from clustergeo.ingest.employment import read_employment
from clustergeo.publish.framing import Framing, HotspotMethod
from clustergeo.stages.paths import RunPaths

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CLUSTERGEO_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets beside the repository; tests using them skip when absent."""
    if not (SHARED_DATA / "census2011_wp_msoa_industry").exists():
        if os.environ.get("CLUSTERGEO_REQUIRE_REAL_DATA"):
            pytest.fail(f"real datasets required (CI) but not found at {SHARED_DATA}")
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA


#: A corner of the tiny test grids, in British National Grid metres.
GRID_X0, GRID_Y0, GRID_SIDE = 440_000.0, 330_000.0, 100.0


def plain_framing(**changes: object) -> Framing:
    """A real run's framing with placeholder words, for tests of what outputs say."""
    fields: dict[str, object] = {
        "run_name": "test",
        "description": "",
        "synthetic": False,
        "employment_basis": "workplace",
        "employment_source": "a table",
        "lq_reference": "the table",
    }
    return Framing(**(fields | changes))


def plain_method(*floor_limits: dict[str, object], permutations: int = 9999) -> HotspotMethod:
    """A run's hot-spot method with these permutation-floor records, for its map notes."""
    return HotspotMethod(
        variable="lq",
        weights="queen contiguity",
        gi_star_inference="analytic",
        permutations=permutations,
        correction="fdr_bh",
        seed=1,
        floor_limits=floor_limits,
    )


def square_grid(
    nx: int,
    ny: int,
    *,
    x0: float = GRID_X0,
    y0: float = GRID_Y0,
    prefix: str = "A",
    digits: int = 1,
) -> gpd.GeoDataFrame:
    """``nx`` x ``ny`` touching squares in EPSG:27700, codes ``{prefix}{row}{column}``.

    Rows and columns are zero-padded to ``digits``; rows come first in the frame's order.
    """
    codes, geoms = [], []
    for row in range(ny):
        for col in range(nx):
            codes.append(f"{prefix}{row:0{digits}d}{col:0{digits}d}")
            left, bottom = x0 + col * GRID_SIDE, y0 + row * GRID_SIDE
            geoms.append(box(left, bottom, left + GRID_SIDE, bottom + GRID_SIDE))
    return gpd.GeoDataFrame({"area_code": codes}, geometry=geoms, crs="EPSG:27700")


@pytest.fixture(scope="session")
def midlands_employment(shared_data: Path) -> tuple[SpatialWeights, pd.DataFrame]:
    """Real Midlands MSOAs: default weights and Census 2011 workplace counts by section.

    The counts are MSOA x section, in the weights' order.
    """
    boundaries = shared_data / "boundaries_msoa2011_lsoa2011_martinjc"
    areas = read_boundaries(
        boundaries / "msoa2011_midlands_martinjc.geojson", code_column="MSOA11CD"
    ).frame.rename(columns={"code": "area_code"})
    weights = build_weights(areas)
    table = read_employment(
        shared_data
        / "census2011_wp_msoa_industry"
        / "workplace_popCensus2011_MSOA_bySICcode_20sections.csv"
    ).data
    wide = table.pivot(index="area_code", columns="industry_code", values="employment")
    wide = wide.reindex(weights.ids).astype("float64")
    assert not wide.isna().any().any()
    return weights, wide


def demo_config(tmp: Path) -> Path:
    """The demo pipeline's config, rewritten to read and write under ``tmp``."""
    data = {"extends": "demo", "data_dir": str(tmp / "raw"), "output_dir": str(tmp / "processed")}
    path = tmp / "demo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> RunPaths:
    """The whole demo run once per test session, through the CLI, in a temporary folder."""
    tmp = tmp_path_factory.mktemp("demo")
    config_path = demo_config(tmp)
    result = CliRunner().invoke(main, ["-q", "demo", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    return RunPaths.for_config(load_config(config_path))


#: Fixtures that run the pipeline, a Dask cluster or real-data reads: their tests are end to end.
_END_TO_END_FIXTURES = frozenset({"demo_run", "rutland_run", "dask_cluster", "shared_data"})
#: Test modules that drive whole runs through the command line.
_END_TO_END_MODULES = frozenset(
    {
        "test_bad_inputs.py",
        "test_growth_stage.py",
        "test_pipeline.py",
        "test_stages_resume.py",
        "test_publish.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark end-to-end tests ``e2e``, so ``make test-fast`` runs the unit tests alone."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _END_TO_END_FIXTURES or item.path.name in _END_TO_END_MODULES:
            item.add_marker(pytest.mark.e2e)


# Hypothesis: a quick profile for every run (CI included), a quicker one for `make test-fast`,
# and a thorough one to run by hand, `HYPOTHESIS_PROFILE=thorough make test`. Tests with their
# own @settings keep them.
settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
settings.register_profile("fast", max_examples=12, deadline=None, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def rutland_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> RunPaths:
    """The Rutland run (real boundaries, Census 2011, OSM land use), every stage, once."""
    config = load_config(REPO / "pipelines" / "rutland-census2011.yaml")
    out = tmp_path_factory.mktemp("rutland")
    config = config.model_copy(update={"output_dir": out})
    from clustergeo.stages.runner import run_stages

    run_stages(config)
    return RunPaths.for_config(config)


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[str]:
    """A local Dask cluster of two worker processes for the session; yields its address."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",  # any free port: 8787 may be taken; this machine only
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that starts Debian's Chromium headless, offline and with a fresh profile.

    Skipped where Chromium is not installed, except where ``CLUSTERGEO_REQUIRE_BROWSER`` is set
    (CI installs it), where its absence fails the test.
    """
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CLUSTERGEO_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (CLUSTERGEO_REQUIRE_BROWSER) but not installed")
        pytest.skip("Chromium is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    return [
        found,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
