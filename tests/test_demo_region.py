"""Tests for the synthetic demo region (``clustergeo.demo.region``)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from clustergeo._errors import ConfigError
from clustergeo.demo.region import (
    _CENSUS_2011_WORKPLACE_TOTALS,
    INDUSTRY_CODES,
    INDUSTRY_NAMES,
    DemoRegion,
    build_demo_region,
    write_demo_inputs,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL_WP605EW = (
    SHARED_DATA
    / "census2011_wp_msoa_industry"
    / "workplace_popCensus2011_MSOA_bySICcode_20sections.csv"
)

# The 22 column headers of the Nomis WP605EW download, copied from the real file.
WP605EW_HEADER = [
    "2011 super output area - middle layer",
    "All categories: Industry",
    "A Agriculture, forestry and fishing",
    "B Mining and quarrying",
    "C Manufacturing",
    "D Electricity, gas, steam and air conditioning supply",
    "E Water supply, sewerage, waste management and remediation activities",
    "F Construction",
    "G Wholesale and retail trade; repair of motor vehicles and motor cycles",
    "H Transport and storage",
    "I Accommodation and food service activities",
    "J Information and communication",
    "K Financial and insurance activities",
    "L Real estate activities",
    "M Professional, scientific and technical activities",
    "N Administrative and support service activities",
    "O Public administration and defence; compulsory social security",
    "P Education",
    "Q Human health and social work activities",
    "R,S Arts, entertainment and recreation; other service activities",
    "T Activities of households as employers; undifferentiated goods - and services - "
    "producing activities of households for own use",
    "U Activities of extraterritorial organisations and bodies",
]
WP605EW_HEADER_LINE = ",".join(f'"{h}"' if "," in h else h for h in WP605EW_HEADER)

CLUSTER_NAMES = ["mira_like", "crosses_ca_edge", "inside_one_district"]


@pytest.fixture(scope="module")
def region() -> DemoRegion:
    """The default demo region, built once for the module."""
    return build_demo_region()


@pytest.fixture(scope="module", params=[(1, 600), (7, 600), (42, 900)], ids=str)
def other_region(request: pytest.FixtureRequest) -> DemoRegion:
    """Smaller regions from other seeds, to check the guarantees do not hang on one seed."""
    seed, n_areas = request.param
    return build_demo_region(seed=seed, n_areas=n_areas)


@pytest.fixture(scope="module")
def region_neighbours(region: DemoRegion) -> list[set[int]]:
    """Rook neighbours of the default region's areas, in row order."""
    return rook_neighbours(region.areas.geometry.to_numpy())


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def rook_neighbours(geometries: np.ndarray) -> list[set[int]]:
    """Neighbours sharing an edge (not just a corner)."""
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    length = shapely.length(shapely.intersection(geometries[left], geometries[right]))
    neighbours: list[set[int]] = [set() for _ in range(len(geometries))]
    for a, b, shared in zip(left, right, length, strict=True):
        if shared > 0:
            neighbours[a].add(int(b))
    return neighbours


def is_connected(members: Iterable[int], neighbours: list[set[int]]) -> bool:
    """Whether the members form one connected piece of the neighbour graph."""
    remaining = set(members)
    if not remaining:
        return False
    start = next(iter(remaining))
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for other in neighbours[node] & remaining:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return seen == remaining


def areas_with_lookup(region: DemoRegion) -> gpd.GeoDataFrame:
    return region.areas.merge(region.lookup, on="area_code", validate="one_to_one")


def cluster_lookup(region: DemoRegion, name: str) -> pd.DataFrame:
    codes = region.truth.loc[region.truth["cluster_name"] == name, "area_code"]
    return region.lookup[region.lookup["area_code"].isin(codes)]


def wide_employment(region: DemoRegion) -> pd.DataFrame:
    return region.employment.pivot_table(
        index="area_code", columns="industry_code", values="employment", aggfunc="sum"
    )[list(INDUSTRY_CODES)]


# ------------------------------------------------------------------------------------------
# Determinism and arguments
# ------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_region(region: DemoRegion) -> None:
    again = build_demo_region()
    assert_geodataframe_equal(region.areas, again.areas, check_crs=True)
    pd.testing.assert_frame_equal(region.lookup, again.lookup)
    pd.testing.assert_frame_equal(region.employment, again.employment)
    pd.testing.assert_frame_equal(region.truth, again.truth)
    pd.testing.assert_frame_equal(region.truth_summary, again.truth_summary)
    assert region.authorities.keys() == again.authorities.keys()
    for tier, layer in region.authorities.items():
        assert_geodataframe_equal(layer, again.authorities[tier], check_crs=True)


def test_other_seed_gives_other_region(region: DemoRegion, other_region: DemoRegion) -> None:
    assert not np.allclose(region.areas.total_bounds, other_region.areas.total_bounds)
    assert not region.truth_summary.equals(other_region.truth_summary)


@pytest.mark.parametrize(
    ("seed", "n_areas"),
    [(-1, 1500), (2011, 10), (2011, 10**6), (True, 1500), (2011, 1500.0), ("1", 1500)],
)
def test_bad_arguments_raise_config_error(seed: object, n_areas: object) -> None:
    with pytest.raises(ConfigError, match="synthetic demo region"):
        build_demo_region(seed=seed, n_areas=n_areas)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Geometry
# ------------------------------------------------------------------------------------------


def test_areas_are_valid_coded_and_named(region: DemoRegion) -> None:
    areas = region.areas
    assert list(areas.columns) == ["area_code", "area_name", "geometry"]
    assert areas.crs.to_epsg() == 27700
    assert len(areas) == 1500
    assert areas["area_code"].is_unique
    assert areas["area_code"].tolist() == [f"X02{i:06d}" for i in range(1, 1501)]
    assert areas.is_valid.all()
    assert not areas.is_empty.any()
    assert (areas.geom_type == "Polygon").all()
    # "<district name> 001" numbering, restarting in every district, as ONS MSOA names.
    merged = areas_with_lookup(region)
    for district_name, group in merged.groupby("district_name"):
        expected = [f"{district_name} {i:03d}" for i in range(1, len(group) + 1)]
        assert sorted(group["area_name"]) == expected


def test_region_is_plausibly_placed_in_british_national_grid(region: DemoRegion) -> None:
    min_x, min_y, max_x, max_y = region.areas.total_bounds
    assert 90_000 < max_x - min_x < 150_000
    assert 60_000 < max_y - min_y < 120_000
    centre = region.authorities["region"].geometry.iloc[0].centroid
    assert abs(centre.x - 440_000) < 20_000
    assert abs(centre.y - 300_000) < 20_000


def test_areas_tile_the_region_without_gaps_or_overlaps(region: DemoRegion) -> None:
    geometries = region.areas.geometry.to_numpy()
    region_polygon = region.authorities["region"].geometry.iloc[0]
    assert region_polygon.geom_type == "Polygon"
    assert not region_polygon.interiors
    total = shapely.area(geometries).sum()
    assert total == pytest.approx(region_polygon.area, rel=1e-6)
    assert shapely.union_all(geometries).area == pytest.approx(total, rel=1e-6)
    # Exact shared edges: GEOS finds no overlaps and no mismatched edges.
    assert shapely.coverage_is_valid(geometries)


def test_neighbouring_areas_share_exact_vertices(region_neighbours: list[set[int]]) -> None:
    """Plain contiguity must work on this file (it fails on real boundary files)."""
    neighbours = region_neighbours
    assert all(neighbours)
    assert is_connected(range(len(neighbours)), neighbours)


# ------------------------------------------------------------------------------------------
# Hierarchy
# ------------------------------------------------------------------------------------------


def test_lookup_assigns_every_area_once(region: DemoRegion) -> None:
    lookup = region.lookup
    assert list(lookup.columns) == [
        "area_code",
        "district_code",
        "district_name",
        "county_code",
        "county_name",
        "combined_authority_code",
        "combined_authority_name",
        "region_code",
        "region_name",
    ]
    assert lookup["area_code"].tolist() == region.areas["area_code"].tolist()
    required = lookup.drop(columns=["combined_authority_code", "combined_authority_name"])
    assert required.notna().all().all()
    assert (lookup["region_code"] == "X12000001").all()
    assert (lookup["region_name"] == "Synthetic Midlands").all()
    assert lookup["district_code"].str.match(r"^X07\d{6}$").all()
    assert lookup["county_code"].str.match(r"^X10\d{6}$").all()
    # Code and name always travel together.
    for code, name in [
        ("district_code", "district_name"),
        ("county_code", "county_name"),
        ("combined_authority_code", "combined_authority_name"),
    ]:
        pairs = lookup[[code, name]].drop_duplicates()
        assert pairs[code].is_unique
        assert pairs[name].is_unique
        assert (lookup[code].isna() == lookup[name].isna()).all()


def test_district_and_county_counts(region: DemoRegion) -> None:
    assert region.lookup["district_code"].nunique() == 30
    assert region.lookup["county_code"].nunique() == 6
    districts_per_county = region.lookup.groupby("county_code")["district_code"].nunique()
    assert (districts_per_county >= 2).all()


def test_districts_and_counties_are_contiguous(
    region: DemoRegion, region_neighbours: list[set[int]]
) -> None:
    merged = areas_with_lookup(region)
    neighbours = region_neighbours
    for column in ["district_code", "county_code"]:
        for code, group in merged.groupby(column):
            assert is_connected(group.index, neighbours), f"{column} {code} is not contiguous"


def test_counties_nest_districts(region: DemoRegion) -> None:
    counties_per_district = region.lookup.groupby("district_code")["county_code"].nunique()
    assert (counties_per_district == 1).all()
    cas_per_district = region.lookup.groupby("district_code")["combined_authority_code"].nunique()
    assert (cas_per_district <= 1).all()


def test_combined_authorities_cover_contiguous_districts(
    region: DemoRegion, region_neighbours: list[set[int]]
) -> None:
    districts = region.lookup.drop_duplicates("district_code")
    in_ca = districts.dropna(subset=["combined_authority_code"])
    assert set(in_ca["combined_authority_code"]) <= {"X47000001", "X47000002"}
    assert 1 <= in_ca["combined_authority_code"].nunique() <= 2
    assert (in_ca.groupby("combined_authority_code").size() >= 2).all()
    assert len(in_ca) < len(districts), "some districts must be outside any combined authority"
    merged = areas_with_lookup(region)
    for code, group in merged.groupby("combined_authority_code"):
        assert is_connected(group.index, region_neighbours), f"{code} is not contiguous"


def test_authority_layers_dissolve_the_areas(region: DemoRegion) -> None:
    assert list(region.authorities) == ["district", "county", "combined_authority", "region"]
    merged = areas_with_lookup(region)
    expected_counts = {"district": 30, "county": 6, "region": 1}
    for tier, layer in region.authorities.items():
        assert list(layer.columns) == ["code", "name", "geometry"]
        assert layer.crs.to_epsg() == 27700
        assert layer["code"].is_unique
        assert layer.is_valid.all()
        assert (layer.geom_type == "Polygon").all(), f"a {tier} is not one contiguous polygon"
        if tier in expected_counts:
            assert len(layer) == expected_counts[tier]
        column = "region_code" if tier == "region" else f"{tier}_code"
        area_by_code = merged.assign(area=merged.area).groupby(column)["area"].sum()
        for code, geometry in zip(layer["code"], layer.geometry, strict=True):
            assert geometry.area == pytest.approx(area_by_code[code], rel=1e-9)
        names = merged[[column, column.replace("_code", "_name")]].drop_duplicates().dropna()
        assert dict(zip(layer["code"], layer["name"], strict=True)) == dict(
            names.itertuples(index=False, name=None)
        )


@pytest.mark.realdata
def test_names_are_not_real_authority_names(region: DemoRegion, shared_data: Path) -> None:
    register = pd.read_csv(
        shared_data / "lookups_la_hierarchy" / "uk_local_authorities_current.csv",
        usecols=["official-name", "nice-name", "county-la", "combined-authority"],
    )
    real = {str(v).strip().lower() for v in register.stack().dropna()}
    ours = set(region.lookup["district_name"]) | set(region.lookup["county_name"])
    ours |= set(region.lookup["combined_authority_name"].dropna())
    assert not {name.lower() for name in ours} & real


# ------------------------------------------------------------------------------------------
# Employment
# ------------------------------------------------------------------------------------------


def test_national_totals_constant_matches_census() -> None:
    assert tuple(_CENSUS_2011_WORKPLACE_TOTALS) == INDUSTRY_CODES
    assert sum(_CENSUS_2011_WORKPLACE_TOTALS.values()) == 26_414_207
    assert len(INDUSTRY_NAMES) == len(INDUSTRY_CODES) == 20


def test_employment_is_tidy_and_positive(region: DemoRegion) -> None:
    employment = region.employment
    assert list(employment.columns) == ["area_code", "industry_code", "employment"]
    assert len(employment) == 1500 * 20
    assert employment["employment"].dtype == np.int64
    assert (employment["employment"] >= 0).all()
    assert not employment.duplicated(["area_code", "industry_code"]).any()
    assert employment["industry_code"].iloc[:20].tolist() == list(INDUSTRY_CODES)
    assert set(employment["area_code"]) == set(region.areas["area_code"])
    totals = employment.groupby("area_code")["employment"].sum()
    assert (totals > 0).all()
    # A few big employment centres, many small residential areas.
    assert 1_500 < totals.mean() < 4_000
    assert totals.max() > 10 * totals.median()


def test_industry_shares_match_the_national_mix(region: DemoRegion) -> None:
    national = pd.Series(_CENSUS_2011_WORKPLACE_TOTALS, dtype=float)
    national /= national.sum()
    synthetic = region.employment.groupby("industry_code")["employment"].sum()
    synthetic = synthetic[list(INDUSTRY_CODES)] / synthetic.sum()
    assert (synthetic - national).abs().max() < 0.005
    large = national > 0.01
    assert ((synthetic[large] / national[large] - 1).abs() < 0.10).all()


# ------------------------------------------------------------------------------------------
# Planted clusters
# ------------------------------------------------------------------------------------------


def check_cluster_geography(region: DemoRegion) -> None:
    """The guarantees each planted cluster's name promises."""
    assert region.truth_summary["cluster_name"].tolist() == CLUSTER_NAMES

    mira = cluster_lookup(region, "mira_like")
    assert mira["district_code"].nunique() == 2
    assert mira["county_code"].nunique() == 2
    assert mira["combined_authority_code"].isna().all()

    crosses = cluster_lookup(region, "crosses_ca_edge")
    assert crosses["district_code"].nunique() == 2
    assert crosses["combined_authority_code"].notna().any()
    assert crosses["combined_authority_code"].isna().any()

    inside = cluster_lookup(region, "inside_one_district")
    assert inside["district_code"].nunique() == 1


def test_planted_cluster_geography(region: DemoRegion) -> None:
    check_cluster_geography(region)
    summary = region.truth_summary.set_index("cluster_name")
    assert summary.loc["mira_like", "industry_code"] == "C"
    assert summary.loc["crosses_ca_edge", "industry_code"] == "H"
    assert summary.loc["inside_one_district", "industry_code"] == "J"


def test_planted_cluster_geography_for_other_seeds(other_region: DemoRegion) -> None:
    check_cluster_geography(other_region)


def test_inside_cluster_keeps_off_its_district_boundary(region: DemoRegion) -> None:
    inside = cluster_lookup(region, "inside_one_district")
    district = (
        region.authorities["district"].set_index("code").geometry[inside["district_code"].iloc[0]]
    )
    cells = region.areas[region.areas["area_code"].isin(inside["area_code"])]
    assert not cells.intersects(district.boundary).any()


def check_clusters_contiguous_separate_and_sized(
    demo: DemoRegion, neighbours: list[set[int]]
) -> None:
    position = {code: i for i, code in enumerate(demo.areas["area_code"])}
    members = {
        name: {position[c] for c in group["area_code"]}
        for name, group in demo.truth.groupby("cluster_name")
    }
    assert demo.truth["area_code"].is_unique, "clusters must not overlap"
    for name, cells in members.items():
        assert 8 <= len(cells) <= 20
        assert is_connected(cells, neighbours), f"{name} is not contiguous"
        others = set().union(*(c for n, c in members.items() if n != name))
        touching = {n for c in cells for n in neighbours[c]}
        assert not touching & others, f"{name} touches another planted cluster"


def test_planted_clusters_are_contiguous_separate_and_sized(
    region: DemoRegion, region_neighbours: list[set[int]]
) -> None:
    check_clusters_contiguous_separate_and_sized(region, region_neighbours)


def test_planted_clusters_are_contiguous_separate_and_sized_for_other_seeds(
    other_region: DemoRegion,
) -> None:
    neighbours = rook_neighbours(other_region.areas.geometry.to_numpy())
    check_clusters_contiguous_separate_and_sized(other_region, neighbours)


def test_planted_areas_are_strongly_specialised(region: DemoRegion) -> None:
    wide = wide_employment(region)
    share = wide.div(wide.sum(axis=1), axis=0)
    national_share = wide.sum() / wide.to_numpy().sum()
    lq = share / national_share
    for name, group in region.truth.groupby("cluster_name"):
        section = group["industry_code"].iloc[0]
        planted = lq.loc[group["area_code"], section]
        others = lq.loc[~lq.index.isin(group["area_code"]), section]
        assert planted.min() > 2.0, name
        assert planted.median() > 2.5, name
        assert others.median() == pytest.approx(1.0, abs=0.15), name


def test_truth_summary_agrees_with_truth_and_lookup(region: DemoRegion) -> None:
    assert list(region.truth.columns) == ["cluster_name", "industry_code", "area_code"]
    assert list(region.truth_summary.columns) == [
        "cluster_name",
        "industry_code",
        "n_areas",
        "districts",
        "counties",
        "combined_authorities",
        "expected_flags",
    ]
    for row in region.truth_summary.to_dict("records"):
        members = cluster_lookup(region, row["cluster_name"])
        assert row["n_areas"] == len(members)
        assert row["districts"] == ";".join(sorted(members["district_code"].unique()))
        assert row["counties"] == ";".join(sorted(members["county_code"].unique()))
        cas = sorted(members["combined_authority_code"].dropna().unique())
        assert row["combined_authorities"] == ";".join(cas)
    flags = region.truth_summary.set_index("cluster_name")["expected_flags"].str.split(";")
    assert {"straddles_districts", "straddles_counties", "outside_any_ca"} <= set(
        flags["mira_like"]
    )
    assert {"straddles_districts", "partly_outside_ca"} <= set(flags["crosses_ca_edge"])
    assert "single_authority" in flags["inside_one_district"]


# ------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_inputs(tmp_path_factory.mktemp("demo"), seed=5, n_areas=600)


@pytest.fixture(scope="module")
def small_region() -> DemoRegion:
    """The region the ``written`` files hold."""
    return build_demo_region(seed=5, n_areas=600)


def test_write_demo_inputs_writes_every_file(written: dict[str, Path]) -> None:
    assert set(written) >= {"areas", "authorities", "lookup", "employment", "truth"}
    assert "truth_summary" in written
    for path in written.values():
        assert path.is_file()
        assert path.stat().st_size > 0
    assert [name for name, _ in pyogrio.list_layers(written["areas"])] == ["areas"]
    assert sorted(name for name, _ in pyogrio.list_layers(written["authorities"])) == [
        "combined_authority",
        "county",
        "district",
        "region",
    ]
    areas = gpd.read_file(written["areas"], layer="areas")
    assert list(areas.columns) == ["area_code", "area_name", "geometry"]
    assert areas.crs.to_epsg() == 27700
    assert len(areas) == 600
    readme = written["readme"].read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme
    assert "seed=5" in readme


def test_written_files_round_trip(written: dict[str, Path], small_region: DemoRegion) -> None:
    region = small_region
    lookup = pd.read_csv(written["lookup"], dtype=str, keep_default_na=False)
    expected = region.lookup.fillna("")
    assert lookup.to_numpy().tolist() == expected.to_numpy().tolist()
    truth = pd.read_csv(written["truth"], dtype=str)
    assert truth.to_numpy().tolist() == region.truth.to_numpy().tolist()


def test_employment_file_has_the_exact_wp605ew_layout(
    written: dict[str, Path], small_region: DemoRegion
) -> None:
    text = written["employment"].read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == WP605EW_HEADER_LINE
    assert lines[1].startswith("X02000001 : ")
    table = pd.read_csv(written["employment"])
    assert table.columns.tolist() == WP605EW_HEADER
    assert len(table) == 600
    assert table.iloc[:, 0].str.match(r"^X02\d{6} : .+ \d{3}$").all()
    sections = table.iloc[:, 2:]
    assert (sections.sum(axis=1) == table["All categories: Industry"]).all()
    tidy = wide_employment(small_region)
    assert (sections.to_numpy() == tidy.to_numpy()).all()


@pytest.mark.realdata
def test_employment_header_matches_the_real_nomis_file(
    written: dict[str, Path], shared_data: Path
) -> None:
    real = shared_data / REAL_WP605EW.relative_to(SHARED_DATA)
    with real.open(encoding="utf-8") as handle:
        real_header = handle.readline()
    with written["employment"].open(encoding="utf-8") as handle:
        assert handle.readline() == real_header


def test_same_seed_writes_byte_identical_csvs(
    written: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="clustergeo"):
        again = write_demo_inputs(tmp_path, seed=5, n_areas=600)
    for name in ["lookup", "employment", "truth", "truth_summary", "readme"]:
        assert again[name].read_bytes() == written[name].read_bytes(), name
    logged = " ".join(record.getMessage() for record in caplog.records)
    for path in again.values():
        assert str(path) in logged
