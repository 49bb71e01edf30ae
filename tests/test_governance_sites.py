"""Anchor sites: the registry and its checks, footprints, their pieces and their status."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from clustergeo._errors import InputDataError
from clustergeo.governance.sites import (
    SiteRegistry,
    footprint_pieces,
    footprint_share_weight,
    read_sites,
    site_footprints,
    site_status,
)
from conftest import GRID_X0 as X0
from conftest import GRID_Y0 as Y0
from conftest import square_grid

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _registry(tmp_path: Path, text: str, name: str = "sites.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(InputDataError) as info:
        read_sites(path)
    message = str(info.value)
    assert str(path) in message
    return message


# --- the shipped registry --------------------------------------------------------------------


def test_default_registry_has_the_six_report_sites() -> None:
    registry = read_sites("default")
    assert list(registry.sites) == [
        "mira_technology_park",
        "smartparc_segro_derby",
        "coventry_warwickshire_gigapark",
        "i54_south_staffordshire",
        "derby_aerospace_sinfin",
        "digital_stoke",
    ]
    mira = registry.sites["mira_technology_park"]
    assert mira.name == "MIRA Technology Park"
    assert mira.buffer_km == 2.0
    assert (mira.lat, mira.lon) == (52.56167, -1.44722)
    assert mira.sic == ["2910", "7112", "7120", "7219"]
    assert registry.sites["smartparc_segro_derby"].sic == ["10", "11", "5210"]
    assert registry.sites["digital_stoke"].buffer_km == 3.0
    assert not isinstance(registry.source, Path)


def test_default_registry_footprints_are_circles_in_bng() -> None:
    footprints = site_footprints(read_sites("default")).set_index("site_key")
    assert footprints.crs.to_epsg() == 27700
    assert len(footprints) == 6
    mira = footprints.loc["mira_technology_park"]
    assert mira.geometry.area == pytest.approx(math.pi * 2000.0**2, rel=0.01)
    assert (mira["lon"], mira["lat"]) == pytest.approx((-1.44722, 52.56167), abs=1e-5)
    assert mira["sic"] == "2910;7112;7120;7219"
    # The folded YAML note is one line.
    assert "\n" not in mira["location_note"]
    assert mira["location_note"].startswith("Former RAF Lindley airfield")


def test_registry_read_from_a_file(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        """
sites:
  works:
    name: The works
    easting: 440050
    northing: 330050
    sic: ["29", "c", "72.19"]
""",
    )
    registry = read_sites(path)
    assert registry.source == path
    site = registry.sites["works"]
    assert site.sic == ["29", "C", "7219"]
    assert site.buffer_km == 1.0  # the default
    assert site.lat is None


# --- registry errors -------------------------------------------------------------------------


def test_unknown_field_is_named_with_its_site(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        """
sites:
  works:
    name: The works
    lat: 52.5
    lon: -1.5
    colour: red
    sic: ["29"]
""",
    )
    message = _error(path)
    assert "has 1 problem:" in message
    assert "site 'works': unknown field 'colour' (remove or fix it)" in message


def test_site_without_location_is_an_error(tmp_path: Path) -> None:
    path = _registry(tmp_path, "sites:\n  nowhere:\n    name: Nowhere\n    sic: ['29']\n")
    message = _error(path)
    assert (
        "site 'nowhere': give exactly one location: lat and lon, easting and northing, "
        "polygon or osm" in message
    )
    assert "(got" not in message


def test_site_with_two_locations_is_an_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        """
sites:
  twice:
    name: Twice
    lat: 52.5
    lon: -1.5
    easting: 440000
    northing: 330000
    sic: ["29"]
""",
    )
    message = _error(path)
    assert "site 'twice': give exactly one location" in message
    assert "(got lat/lon and easting/northing)" in message


def test_lat_without_lon_is_an_error(tmp_path: Path) -> None:
    path = _registry(tmp_path, "sites:\n  half:\n    name: Half\n    lat: 52.5\n    sic: ['29']\n")
    message = _error(path)
    assert "site 'half': give both lat and lon" in message


def test_easting_without_northing_is_an_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path, "sites:\n  half:\n    name: Half\n    easting: 440000\n    sic: ['29']\n"
    )
    assert "site 'half': give both easting and northing" in _error(path)


def test_swapped_lat_and_lon_are_recognised(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        "sites:\n  mira:\n    name: MIRA\n    lat: -1.45\n    lon: 52.56\n    sic: ['29']\n",
    )
    message = _error(path)
    assert "site 'mira' (MIRA): lat -1.45 and lon 52.56 look swapped" in message
    assert "latitude is the larger number in the UK" in message


def test_coordinates_outside_the_uk_are_an_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        "sites:\n  nyc:\n    name: New York\n    lat: 40.71\n    lon: -74.0\n    sic: ['29']\n",
    )
    message = _error(path)
    assert "site 'nyc' (New York): lat 40.71, lon -74.0 is outside the UK" in message
    assert "use easting/northing for British National Grid" in message


def test_codes_not_in_sic_2007_are_an_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        """
sites:
  works:
    name: The works
    lat: 52.5
    lon: -1.5
    sic: ["29.10", "00.12", "Z"]
""",
    )
    message = _error(path)
    assert "site 'works': codes 00.12, Z are not UK SIC 2007 codes" in message
    assert "such as '29' or '72.19'" in message


def test_site_without_sic_codes_is_an_error(tmp_path: Path) -> None:
    path = _registry(tmp_path, "sites:\n  works:\n    name: W\n    lat: 52.5\n    lon: -1.5\n")
    assert "site 'works' 'sic': Field required" in _error(path)


@pytest.mark.parametrize(
    "text",
    ["- name: a list\n", "sites:\n  - name: a list of sites\n", "", "name: no sites key\n"],
)
def test_registry_without_a_sites_mapping_is_an_error(tmp_path: Path, text: str) -> None:
    message = _error(_registry(tmp_path, text))
    assert "expected a top-level 'sites:' mapping" in message


def test_invalid_yaml_is_an_error(tmp_path: Path) -> None:
    path = _registry(tmp_path, "sites:\n  works: [unclosed\n")
    message = _error(path)
    assert "is not valid YAML" in message


def test_every_bad_site_is_listed_in_one_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        """
sites:
  good:
    name: Good
    lat: 52.5
    lon: -1.5
    sic: ["29"]
  swapped:
    name: Swapped
    lat: -1.5
    lon: 52.5
    sic: ["29"]
  unknown:
    name: Unknown
    lat: 52.5
    lon: -1.5
    sic: ["29"]
    size: big
  bad_codes:
    name: Bad codes
    easting: 440000
    northing: 330000
    sic: ["00"]
""",
    )
    message = _error(path)
    assert "has 3 problems:" in message
    lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(lines) == 3
    assert "site 'swapped'" in lines[0]
    assert "site 'unknown'" in lines[1]
    assert "site 'bad_codes'" in lines[2]
    assert "'good'" not in message


# --- footprints ------------------------------------------------------------------------------


def test_lat_lon_site_is_a_bng_circle_round_its_point(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        """
sites:
  mira:
    name: MIRA
    sector: Automotive
    lat: 52.56167
    lon: -1.44722
    buffer_km: 2.0
    sic: ["29.10", "72.19"]
    location_note: "Former   airfield,
      north of the A5"
    source: A source
""",
    )
    footprints = site_footprints(read_sites(path))
    assert list(footprints.columns) == [
        "site_key",
        "name",
        "sector",
        "sic",
        "buffer_km",
        "x",
        "y",
        "location_note",
        "source",
        "geometry",
        "lon",
        "lat",
    ]
    row = footprints.iloc[0]
    x, y = TO_BNG.transform(-1.44722, 52.56167)
    assert (row["x"], row["y"]) == pytest.approx((x, y), abs=0.06)
    assert row.geometry.area == pytest.approx(math.pi * 2000.0**2, rel=0.01)
    centre = row.geometry.centroid
    assert (centre.x, centre.y) == pytest.approx((x, y), abs=1.0)
    assert (row["lon"], row["lat"]) == pytest.approx((-1.44722, 52.56167), abs=1e-5)
    assert row["sic"] == "2910;7219"
    assert row["sector"] == "Automotive"
    assert row["location_note"] == "Former airfield, north of the A5"
    assert footprints.crs.to_epsg() == 27700


def test_easting_northing_site_keeps_its_coordinates(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        "sites:\n  works:\n    name: Works\n    easting: 440050\n    northing: 330050\n"
        "    buffer_km: 0.5\n    sic: ['29']\n",
    )
    row = site_footprints(read_sites(path)).iloc[0]
    assert (row["x"], row["y"]) == (440_050.0, 330_050.0)
    assert row.geometry.area == pytest.approx(math.pi * 500.0**2, rel=0.01)
    assert row.geometry.centroid.distance(Point(440_050, 330_050)) < 0.01


def test_polygon_site_is_buffered_and_placed_at_its_representative_point(
    tmp_path: Path,
) -> None:
    square = box(X0, Y0, X0 + 400, Y0 + 400)
    outline = gpd.GeoDataFrame({"name": ["works"]}, geometry=[square], crs=27700)
    (tmp_path / "outlines").mkdir()
    outline.to_crs("EPSG:4326").to_file(tmp_path / "outlines" / "works.geojson")
    path = _registry(
        tmp_path,
        "sites:\n  works:\n    name: Works\n    polygon: outlines/works.geojson\n"
        "    buffer_km: 0.1\n    sic: ['29']\n",
    )
    row = site_footprints(read_sites(path)).iloc[0]
    # A 400 m square grown by 100 m: the square, four 400 x 100 strips and a 100 m circle.
    assert row.geometry.area == pytest.approx(400**2 + 4 * 400 * 100 + math.pi * 100**2, rel=0.01)
    assert row.geometry.contains(square.buffer(-1.0))
    assert (row["x"], row["y"]) == pytest.approx((X0 + 200, Y0 + 200), abs=1.0)


def test_polygon_site_without_buffer_is_its_outline(tmp_path: Path) -> None:
    square = box(X0, Y0, X0 + 400, Y0 + 400)
    gpd.GeoDataFrame(geometry=[square], crs=27700).to_file(tmp_path / "works.gpkg")
    path = _registry(
        tmp_path,
        "sites:\n  works:\n    name: Works\n    polygon: works.gpkg\n    buffer_km: 0\n"
        "    sic: ['29']\n",
    )
    row = site_footprints(read_sites(path)).iloc[0]
    assert row.geometry.equals(square)


def test_missing_polygon_file_is_an_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        "sites:\n  works:\n    name: Works\n    polygon: nowhere.geojson\n    sic: ['29']\n",
    )
    registry = read_sites(path)  # the registry itself is fine
    with pytest.raises(InputDataError) as info:
        site_footprints(registry)
    message = str(info.value)
    assert "Anchor site 'works'" in message
    assert str(tmp_path / "nowhere.geojson") in message
    assert "the path is relative to the registry file" in message


def test_polygon_file_without_crs_is_an_error(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 400, Y0 + 400)], crs=None)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(tmp_path / "works.shp")
    assert not (tmp_path / "works.prj").exists()
    path = _registry(
        tmp_path, "sites:\n  works:\n    name: Works\n    polygon: works.shp\n    sic: ['29']\n"
    )
    with pytest.raises(InputDataError) as info:
        site_footprints(read_sites(path))
    message = str(info.value)
    assert "Anchor site 'works'" in message
    assert str(tmp_path / "works.shp") in message
    assert "has no CRS; save it with one" in message


def test_polygon_shapefile_without_its_shx_is_an_error(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 400, Y0 + 400)], crs=27700)
    frame.to_file(tmp_path / "works.shp")
    (tmp_path / "works.shx").unlink()
    path = _registry(
        tmp_path, "sites:\n  works:\n    name: Works\n    polygon: works.shp\n    sic: ['29']\n"
    )
    with pytest.raises(InputDataError) as info:
        site_footprints(read_sites(path))
    message = str(info.value)
    assert f"Anchor site 'works': polygon file {tmp_path / 'works.shp'} is a Shapefile" in message
    assert "without works.shx (the index of the shapes)" in message


def test_polygon_file_holding_points_is_an_error(tmp_path: Path) -> None:
    points = gpd.GeoDataFrame(geometry=[Point(-1.45, 52.56)], crs=4326)
    points.to_file(tmp_path / "point.geojson")
    path = _registry(
        tmp_path, "sites:\n  works:\n    name: Works\n    polygon: point.geojson\n    sic: ['29']\n"
    )
    with pytest.raises(InputDataError, match=r"holds no polygon \(found Point\)"):
        site_footprints(read_sites(path))


def test_unreadable_polygon_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.geojson").write_text("not a geojson", encoding="utf-8")
    path = _registry(
        tmp_path,
        "sites:\n  works:\n    name: Works\n    polygon: broken.geojson\n    sic: ['29']\n",
    )
    with pytest.raises(InputDataError, match="Anchor site 'works': cannot read polygon file"):
        site_footprints(read_sites(path))


# --- pieces and status -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    """A 1 km square of 100 m cells: columns 0-4 in D1, 5-9 in D2; row 9 is edge buffer."""
    grid = square_grid(10, 10)
    column = grid["area_code"].str[2].astype(int)
    row = grid["area_code"].str[1].astype(int)
    grid["district_code"] = np.where(column <= 4, "D1", "D2")
    grid["district_name"] = np.where(column <= 4, "One", "Two")
    grid["in_study_area"] = row <= 8
    return grid


def _footprints(**shapes: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_key": list(shapes)}, geometry=list(shapes.values()), crs=27700)


@pytest.fixture(scope="module")
def assessed(areas: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    footprints = _footprints(
        # 160 x 200 m over columns 4 and 5, rows 2 and 3: four 80 x 100 m pieces.
        inside=box(X0 + 420, Y0 + 200, X0 + 580, Y0 + 400),
        # Half of it west of the grid.
        edge=box(X0 - 100, Y0 + 200, X0 + 100, Y0 + 400),
        # Rows 8 (study area) and 9 (edge buffer).
        buffer_zone=box(X0 + 200, Y0 + 850, X0 + 400, Y0 + 950),
        # Row 9 only.
        only_buffer=box(X0 + 200, Y0 + 920, X0 + 400, Y0 + 980),
        far=box(X0 + 10_000, Y0, X0 + 10_200, Y0 + 200),
        # Cell A00 and a 0.2 m strip of A01 (20 m², 0.2% of the footprint).
        sliver=box(X0, Y0, X0 + 100.2, Y0 + 100),
    )
    pieces, coverage = footprint_pieces(footprints, areas, min_area_share=0.005)
    return pieces, coverage, site_status(pieces, coverage)


def test_pieces_have_the_areas_codes_and_their_area(
    assessed: tuple[pd.DataFrame, pd.Series, pd.Series],
) -> None:
    pieces, _coverage, _status = assessed
    assert list(pieces.columns) == [
        "site_key",
        "area_code",
        "district_code",
        "district_name",
        "in_study_area",
        "area_km2",
    ]
    inside = pieces.loc[pieces["site_key"] == "inside"].sort_values("area_code")
    assert inside["area_code"].tolist() == ["A24", "A25", "A34", "A35"]
    assert inside["district_code"].tolist() == ["D1", "D2", "D1", "D2"]
    assert inside["area_km2"].tolist() == pytest.approx([0.008] * 4)
    assert inside["in_study_area"].all()


def test_footprint_inside_the_study_area(
    assessed: tuple[pd.DataFrame, pd.Series, pd.Series],
) -> None:
    _pieces, coverage, status = assessed
    assert coverage["inside"] == pytest.approx(1.0)
    assert status["inside"] == "inside_study_area"


def test_footprint_crossing_the_edge_of_the_areas_is_partly_outside(
    assessed: tuple[pd.DataFrame, pd.Series, pd.Series],
) -> None:
    pieces, coverage, status = assessed
    assert coverage["edge"] == pytest.approx(0.5)
    assert status["edge"] == "partly_outside_study_area"
    edge = pieces.loc[pieces["site_key"] == "edge"]
    assert sorted(edge["area_code"]) == ["A20", "A30"]
    assert edge["area_km2"].sum() == pytest.approx(0.02)


def test_footprint_reaching_the_edge_buffer_is_partly_outside(
    assessed: tuple[pd.DataFrame, pd.Series, pd.Series],
) -> None:
    _pieces, coverage, status = assessed
    assert coverage["buffer_zone"] == pytest.approx(1.0)
    assert status["buffer_zone"] == "partly_outside_study_area"
    # On the run's areas, but none of them in the study area.
    assert coverage["only_buffer"] == pytest.approx(1.0)
    assert status["only_buffer"] == "outside_study_area"


def test_footprint_far_away_is_outside_with_no_pieces(
    assessed: tuple[pd.DataFrame, pd.Series, pd.Series],
) -> None:
    pieces, coverage, status = assessed
    assert coverage["far"] == 0.0
    assert status["far"] == "outside_study_area"
    assert "far" not in set(pieces["site_key"])
    assert list(coverage.index) == list(status.index)
    assert list(status.index) == [
        "inside",
        "edge",
        "buffer_zone",
        "only_buffer",
        "far",
        "sliver",
    ]


def test_slivers_are_dropped_from_the_pieces_but_not_from_the_coverage(
    assessed: tuple[pd.DataFrame, pd.Series, pd.Series], areas: gpd.GeoDataFrame
) -> None:
    pieces, coverage, status = assessed
    sliver = pieces.loc[pieces["site_key"] == "sliver"]
    assert sliver["area_code"].tolist() == ["A00"]
    assert coverage["sliver"] == pytest.approx(1.0)
    assert status["sliver"] == "inside_study_area"
    kept, _ = footprint_pieces(
        _footprints(sliver=box(X0, Y0, X0 + 100.2, Y0 + 100)), areas, min_area_share=0.0
    )
    assert sorted(kept["area_code"]) == ["A00", "A01"]
    assert kept["area_km2"].sum() == pytest.approx(0.01002)


def test_every_footprint_outside_the_areas_is_reported_not_raised(
    areas: gpd.GeoDataFrame,
) -> None:
    footprints = _footprints(far=box(X0 + 10_000, Y0, X0 + 10_200, Y0 + 200))
    pieces, coverage = footprint_pieces(footprints, areas, min_area_share=0.005)
    assert pieces.empty
    assert site_status(pieces, coverage).to_dict() == {"far": "outside_study_area"}


def test_registry_source_decides_where_polygons_are_looked_for(tmp_path: Path) -> None:
    square = box(X0, Y0, X0 + 400, Y0 + 400)
    gpd.GeoDataFrame(geometry=[square], crs=27700).to_file(tmp_path / "works.gpkg")
    path = _registry(
        tmp_path,
        "sites:\n  works:\n    name: Works\n    polygon: works.gpkg\n    buffer_km: 0\n"
        "    sic: ['29']\n",
    )
    registry = read_sites(path)
    moved = SiteRegistry(sites=registry.sites, source=tmp_path / "elsewhere" / "sites.yaml")
    with pytest.raises(InputDataError, match="does not exist"):
        site_footprints(moved)


def test_point_site_without_a_footprint_is_an_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        "sites:\n  bare:\n    name: Bare point\n    lat: 52.56\n    lon: -1.45\n"
        "    buffer_km: 0\n    sic: ['29.10']\n",
    )
    message = _error(path)
    assert "site 'bare'" in message
    assert "needs a buffer_km above 0" in message


def test_osm_site_outline_is_fetched_once_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``osm`` site asks osmnx for its outline once; later runs read the cached GeoJSON."""
    from shapely.geometry import box as shapely_box

    calls: list[tuple[str, bool]] = []

    def geocode(query: str, by_osmid: bool = False) -> gpd.GeoDataFrame:
        calls.append((query, by_osmid))
        outline = gpd.GeoDataFrame(
            geometry=[shapely_box(437000, 295500, 438500, 296800)], crs=27700
        )
        return outline.to_crs(4326)

    monkeypatch.setattr("osmnx.geocode_to_gdf", geocode)
    path = _registry(
        tmp_path,
        "sites:\n  mira:\n    name: MIRA\n    osm: way/123456\n    buffer_km: 0.5\n"
        "    sic: ['72.19']\n",
    )
    cache = tmp_path / "osm_sites"
    first = site_footprints(read_sites(path), osm_cache=cache).iloc[0]
    second = site_footprints(read_sites(path), osm_cache=cache).iloc[0]
    assert calls == [("W123456", True)]
    assert (cache / "site_mira.geojson").exists()
    # The 1.5 km x 1.3 km outline grown by 500 m.
    assert first.geometry.area == pytest.approx(second.geometry.area)
    assert first.geometry.area > 1500 * 1300
    assert first.geometry.contains(shapely_box(437000, 295500, 438500, 296800).buffer(-1))


def test_osm_site_that_cannot_be_fetched_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(query: str, by_osmid: bool = False) -> gpd.GeoDataFrame:
        raise ConnectionError("no network")

    monkeypatch.setattr("osmnx.geocode_to_gdf", offline)
    path = _registry(
        tmp_path,
        "sites:\n  park:\n    name: A park\n    osm: Oakham Enterprise Park, Rutland\n"
        "    buffer_km: 1\n    sic: ['C']\n",
    )
    with pytest.raises(InputDataError) as info:
        site_footprints(read_sites(path), osm_cache=tmp_path / "cache")
    message = str(info.value)
    assert "Anchor site 'park'" in message
    assert "Oakham Enterprise Park, Rutland" in message
    assert "give a polygon file or lat/lon" in message


def _two_piece_footprint(area_codes: list[str], district_codes: list[str]) -> pd.DataFrame:
    # One footprint, 6 km2 in a dense area and 4 km2 in a large sparse one.
    return pd.DataFrame(
        {
            "site_key": ["park", "park"],
            "area_code": area_codes,
            "district_code": district_codes,
            "area_km2": [6.0, 4.0],
        }
    )


def test_shares_over_small_areas_are_of_the_jobs_spread_evenly_over_each_area() -> None:
    pieces = _two_piece_footprint(["A1", "B1"], ["DA", "DB"])
    # A1: 10 km2 with 1,000 jobs (6 km2 covered: 600); B1: 400 km2 with 4,000 (4 km2: 40).
    weighted = footprint_share_weight(
        pieces,
        pd.Series({"A1": 10.0, "B1": 400.0}),
        pd.Series({"A1": 1000.0, "B1": 4000.0}),
    )
    assert weighted["employment"].tolist() == pytest.approx([600.0, 40.0])
    assert weighted["share_weight"].tolist() == pytest.approx([600.0, 40.0])
    assert set(weighted["share_basis"]) == {"employment"}


def test_shares_over_whole_districts_are_of_land() -> None:
    # The same footprint on district-level data: the areas are the districts themselves, and a
    # district's average density says nothing about where in it the footprint's jobs are.
    pieces = _two_piece_footprint(["DA", "DB"], ["DA", "DB"])
    weighted = footprint_share_weight(
        pieces,
        pd.Series({"DA": 10.0, "DB": 400.0}),
        pd.Series({"DA": 1000.0, "DB": 4000.0}),
    )
    assert weighted["employment"].tolist() == pytest.approx([600.0, 40.0])
    assert weighted["share_weight"].tolist() == pytest.approx([6.0, 4.0])
    assert set(weighted["share_basis"]) == {"area"}


def test_one_whole_district_puts_the_whole_footprint_on_land_only_for_its_owner() -> None:
    pieces = pd.concat(
        [
            _two_piece_footprint(["A1", "DB"], ["DA", "DB"]),
            _two_piece_footprint(["A1", "A2"], ["DA", "DA"]).assign(site_key="other"),
        ],
        ignore_index=True,
    )
    weighted = footprint_share_weight(
        pieces,
        pd.Series({"A1": 10.0, "A2": 10.0, "DB": 400.0}),
        pd.Series({"A1": 1000.0, "A2": 500.0, "DB": 4000.0}),
    )
    basis = weighted.groupby("site_key")["share_basis"].agg(set)
    assert basis.to_dict() == {"other": {"employment"}, "park": {"area"}}
    assert weighted["share_weight"].tolist() == pytest.approx([6.0, 4.0, 600.0, 200.0])


def test_footprint_on_areas_without_employment_is_shared_by_land() -> None:
    pieces = _two_piece_footprint(["A1", "B1"], ["DA", "DB"])
    weighted = footprint_share_weight(
        pieces, pd.Series({"A1": 10.0, "B1": 400.0}), pd.Series(dtype="float64")
    )
    assert weighted["share_weight"].tolist() == pytest.approx([6.0, 4.0])
    assert set(weighted["share_basis"]) == {"area"}


def test_each_site_shares_its_authorities_on_its_own_basis() -> None:
    from clustergeo.stages.governance import _site_links

    # Both sites: 70% of the land and 95% of the jobs in N, the rest in S.
    pieces = pd.DataFrame(
        {
            "site_key": ["jobs", "jobs", "land", "land"],
            "district_code": ["N", "S", "N", "S"],
            "district_name": ["North", "South", "North", "South"],
            "employment": [950.0, 50.0, 950.0, 50.0],
            "area_km2": [7.0, 3.0, 7.0, 3.0],
            "share_basis": ["employment", "employment", "area", "area"],
        }
    )
    links = _site_links(pieces, straddle_share=0.1)
    relation = links.set_index(["site_key", "authority_name"])["relation"]
    assert relation.to_dict() == {
        ("jobs", "North"): "lead",
        ("jobs", "South"): "touches",
        ("land", "North"): "lead",
        ("land", "South"): "shares",
    }
    assert list(links["site_key"]) == ["jobs", "jobs", "land", "land"]
    assert _site_links(pieces.iloc[:0], straddle_share=0.1).empty


def test_a_sites_sector_is_every_industry_sharing_a_code_with_it() -> None:
    from clustergeo.governance.sites import sector_industries

    # Codes as the pipeline passes them: normalised, without dots.
    codes = {
        "C": ["C"],
        "M": ["M"],
        "G": ["G"],
        "automotive": ["2910", "2920"],
        "research": ["72"],
    }
    # A vehicle-research park: manufacturing (broader than 29.10), the automotive definition,
    # and research (72.19 lies in division 72); not trade.
    assert sector_industries(["2910", "7219"], codes) == {"C", "automotive", "research", "M"}
    assert sector_industries(["4711"], codes) == {"G"}


def _peak_evidence() -> pd.DataFrame:
    rows = [
        # area, industry, kind, employment, LQ, unreliable, z, corrected p, class
        ("A1", "M", "industry", 566, 2.96, False, 2.04, 0.285, "not_significant"),
        ("A1", "research", "cluster", 566, 2.96, False, 2.04, 0.285, "not_significant"),
        ("A2", "C", "industry", 90, 2.0, False, 1.1, 0.9, "not_significant"),
        ("A2", "M", "industry", 3, 9.0, True, 0.5, 0.99, "not_significant"),  # too few to say
        ("A3", "C", "industry", 900, 5.0, False, 3.9, 0.001, "hot_99"),  # outside the footprint
        ("A1", "G", "industry", 4000, 8.0, False, 4.0, 0.001, "hot_99"),  # not its sector
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "area_code",
            "industry_code",
            "kind",
            "employment",
            "lq",
            "lq_unreliable",
            "gi_star_z",
            "gi_star_p_fdr",
            "gi_star_class",
        ],
    )
    return frame.assign(label=frame["industry_code"].map({"M": "Professional", "C": "Making"}))


def test_a_sites_sector_peak_is_its_highest_reliable_lq_in_its_footprint() -> None:
    from clustergeo.governance.sites import sector_peaks

    pieces = pd.DataFrame(
        {
            "site_key": ["park", "park", "park", "edge", "away"],
            "area_code": ["A1", "A2", "A3", "A2", "A9"],
            "area_name": ["One", "Two", "Three", "Two", "Nine"],
            "in_study_area": [True, True, False, True, True],
        }
    )
    sectors = {"park": {"M", "C", "research"}, "edge": {"C"}, "away": {"C"}}
    peaks = sector_peaks(pieces, sectors, _peak_evidence())
    park = peaks.loc["park"]
    # A3 lies outside the study area and G is not the park's sector; A2's M rests on three
    # workers. M and the research definition tie: the definition, as the maps show it.
    assert park["sector_peak_area_code"] == "A1"
    assert park["sector_peak_area_name"] == "One"
    assert park["sector_peak_industry_code"] == "research"
    assert park["sector_peak_lq"] == pytest.approx(2.96)
    assert park["sector_peak_gi_star_p_fdr"] == pytest.approx(0.285)
    assert peaks.loc["edge", "sector_peak_industry_code"] == "C"
    # Where findings are sought in the industries, the tie goes to M, whose concentration
    # rule the report can then hold the place to.
    sought = sector_peaks(pieces, sectors, _peak_evidence(), sought=["C", "M"])
    assert sought.loc["park", "sector_peak_industry_code"] == "M"
    # An area with no evidence of the sector gives no row.
    assert "away" not in peaks.index
    assert sector_peaks(pieces.iloc[:0], sectors, _peak_evidence()).empty


def test_the_lq_and_hot_spot_tables_are_read_for_the_areas_asked_only(tmp_path: Path) -> None:
    from clustergeo.stages import intermediates
    from clustergeo.stages import registry as r
    from clustergeo.stages.paths import RunPaths

    paths = RunPaths(tmp_path)
    codes = pd.Categorical(["A1", "A2", "A3"] * 2)
    lq = pd.DataFrame(
        {
            "area_code": codes,
            "industry_code": ["C"] * 3 + ["M"] * 3,
            "lq": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "in_study_area": [True, True, False] * 2,
        }
    )
    spots = lq[["area_code", "industry_code"]].assign(gi_star_z=lq["lq"] / 2)
    for artefact, frame in ((r.LQ, lq), (r.HOTSPOTS, spots)):
        paths[artefact].parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(paths[artefact])
    # Area codes stored as a dictionary, as the pipeline writes them, are filtered all the same.
    read = intermediates.read_lq(paths, ["area_code", "lq"], areas={"A2", "A3"})
    assert sorted(read["lq"]) == [2.0, 3.0, 5.0, 6.0]
    study = intermediates.read_lq(paths, ["area_code", "lq"], study_only=True, areas={"A2", "A3"})
    assert sorted(study["lq"]) == [2.0, 5.0]
    hot = intermediates.read_hotspots(paths, ["area_code", "gi_star_z"], areas={"A1"})
    assert sorted(hot["gi_star_z"]) == [0.5, 2.0]
    assert len(intermediates.read_hotspots(paths)) == 6
