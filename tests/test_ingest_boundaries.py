"""Tests for the boundary reader (``clustergeo.ingest.boundaries``).

Tiny square "MSOAs" near Hinckley are written in the formats people download (GeoJSON,
GeoPackage, Shapefile) into ``tmp_path``; the TopoJSON fixture mirrors ONS's multi-layer
authority files (quantised, no CRS).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import Point, Polygon, box

from clustergeo._errors import InputDataError
from clustergeo.ingest.boundaries import (
    check_distinct_areas,
    filter_by_year,
    list_layers,
    read_boundaries,
)
from clustergeo.vocab import WORKING_CRS as BNG

FIXTURES = Path(__file__).parent / "fixtures"
TOPOJSON = FIXTURES / "authorities.topojson"

# Three 1 km squares on the British National Grid, near Hinckley.
X0, Y0 = 441000.0, 293000.0
CODES = ["E02005377", "E02005378", "E02005379"]
NAMES = ["Hinckley and Bosworth 001", "Hinckley and Bosworth 002", "Hinckley and Bosworth 003"]


def squares(codes: list[str] = CODES, names: list[str] = NAMES) -> gpd.GeoDataFrame:
    geometry = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(len(codes))]
    return gpd.GeoDataFrame(
        {"MSOA11CD": codes, "MSOA11NM": names}, geometry=geometry, crs="EPSG:27700"
    )


@pytest.fixture
def bng_squares() -> gpd.GeoDataFrame:
    return squares()


@pytest.fixture
def wgs84_squares() -> gpd.GeoDataFrame:
    return squares().to_crs("EPSG:4326")


def assert_is_bng_squares(frame: gpd.GeoDataFrame, tolerance: float = 1.0) -> None:
    assert list(frame.columns) == ["code", "name", "geometry"]
    assert frame["code"].tolist() == CODES
    assert frame["name"].tolist() == NAMES
    assert CRS.from_user_input(frame.crs).equals(CRS.from_user_input(BNG))
    assert frame.area.tolist() == pytest.approx([1e6] * 3, abs=tolerance * 1e3)


# -- formats ---------------------------------------------------------------------------------


def test_read_geojson_bng(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.geojson"
    bng_squares.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert_is_bng_squares(read.frame, tolerance=0.001)
    assert read.source == path
    assert read.n_repaired == 0
    assert read.n_empty_dropped == 0
    assert read.notes == []


def test_read_geojson_wgs84_is_reprojected(tmp_path: Path, wgs84_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.geojson"
    wgs84_squares.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert_is_bng_squares(read.frame)
    assert read.frame.total_bounds == pytest.approx([X0, Y0, X0 + 3000, Y0 + 1000], abs=1.0)


def test_read_rfc7946_geojson_with_assumed_wgs84(
    tmp_path: Path, wgs84_squares: gpd.GeoDataFrame
) -> None:
    # ONS Open Geography Portal GeoJSON: RFC 7946, no "crs" member.
    path = tmp_path / "msoa.geojson"
    wgs84_squares.to_file(path, engine="pyogrio", RFC7946="YES")
    assert '"crs"' not in path.read_text(encoding="utf-8")
    read = read_boundaries(
        path, code_column="MSOA11CD", name_column="MSOA11NM", assume_crs="EPSG:4326"
    )
    assert_is_bng_squares(read.frame)


def test_read_geopackage(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.gpkg"
    bng_squares.to_file(path, layer="msoa2011", engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert_is_bng_squares(read.frame, tolerance=0.001)


def test_read_multi_layer_geopackage(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame, wgs84_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "boundaries.gpkg"
    bng_squares.to_file(path, layer="msoa_bng", engine="pyogrio")
    wgs84_squares.to_file(path, layer="msoa_wgs84", engine="pyogrio")
    assert list_layers(path) == ["msoa_bng", "msoa_wgs84"]
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM", layer="msoa_wgs84")
    assert_is_bng_squares(read.frame)


def test_multi_layer_file_without_layer_lists_layers(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "boundaries.gpkg"
    bng_squares.to_file(path, layer="msoa", engine="pyogrio")
    bng_squares.to_file(path, layer="lsoa", engine="pyogrio")
    with pytest.raises(InputDataError, match=r"has 2 layers \(msoa, lsoa\)") as excinfo:
        read_boundaries(path, code_column="MSOA11CD", what="Areas file")
    message = str(excinfo.value)
    assert message.startswith(f"Areas file {path}")
    assert "'layer'" in message


def test_unknown_layer_lists_layers(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "boundaries.gpkg"
    bng_squares.to_file(path, layer="msoa", engine="pyogrio")
    with pytest.raises(InputDataError, match="has no layer 'msoa11'") as excinfo:
        read_boundaries(path, code_column="MSOA11CD", layer="msoa11")
    assert str(path) in str(excinfo.value)
    assert "its layers are msoa" in str(excinfo.value)


def test_read_shapefile(tmp_path: Path, wgs84_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.shp"
    wgs84_squares.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert_is_bng_squares(read.frame)


def test_name_falls_back_to_code_and_keep_columns(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "msoa.gpkg"
    bng_squares.assign(LAD11CD="E07000132").to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", keep_columns=("LAD11CD",))
    assert list(read.frame.columns) == ["code", "name", "LAD11CD", "geometry"]
    assert read.frame["name"].tolist() == CODES
    assert read.frame["LAD11CD"].tolist() == ["E07000132"] * 3


def test_read_topojson_with_assumed_crs() -> None:
    read = read_boundaries(
        TOPOJSON,
        code_column="areacd",
        name_column="areanm",
        layer="ltla",
        assume_crs="EPSG:4326",
        keep_columns=("end",),
    )
    frame = read.frame
    assert frame["code"].tolist() == ["E07000132", "E07000134", "E07000999"]
    assert frame["name"].tolist()[:2] == ["Hinckley and Bosworth", "North West Leicestershire"]
    assert CRS.from_user_input(frame.crs).equals(CRS.from_user_input(BNG))
    # Two ~680 m squares sharing an arc, and the old district covering both.
    areas = frame.area.to_numpy()
    assert areas[0] == pytest.approx(452_858, rel=1e-3)
    assert areas[1] == pytest.approx(areas[0], rel=1e-3)
    assert areas[2] == pytest.approx(areas[0] + areas[1], rel=1e-6)
    assert frame.geometry.iloc[0].intersection(frame.geometry.iloc[1]).length > 600
    assert shapely.union_all(frame.geometry.iloc[:2].to_numpy()).area == pytest.approx(
        areas[2], rel=1e-6
    )


def test_areas_of_one_year_from_a_multi_year_topojson() -> None:
    """``year`` keeps the features valid then: the old district ends in 2020."""
    kwargs = {"code_column": "areacd", "layer": "ltla", "assume_crs": "EPSG:4326"}
    assert read_boundaries(TOPOJSON, year=2020, **kwargs).frame["code"].tolist() == [
        "E07000132",
        "E07000134",
        "E07000999",
    ]
    assert read_boundaries(TOPOJSON, year=2023, **kwargs).frame["code"].tolist() == [
        "E07000132",
        "E07000134",
    ]


def test_a_year_for_a_one_vintage_file_is_refused(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "msoa.geojson"
    bng_squares.to_file(path)
    with pytest.raises(InputDataError, match=r"no 'start' or 'end' attribute.*Remove 'year'"):
        read_boundaries(path, code_column="MSOA11CD", year=2023)


def test_a_year_no_feature_is_valid_in_is_refused(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "future.geojson"
    bng_squares.assign(start=2024).to_file(path)
    with pytest.raises(InputDataError, match="no feature is valid in 2023"):
        read_boundaries(path, code_column="MSOA11CD", year=2023)


def test_topojson_layers() -> None:
    assert list_layers(TOPOJSON) == ["ltla", "cty"]
    read = read_boundaries(
        TOPOJSON, code_column="areacd", name_column="areanm", layer="cty", assume_crs="EPSG:4326"
    )
    assert read.frame["code"].tolist() == ["E10000018"]
    assert read.frame["name"].tolist() == ["Leicestershire"]


# -- CRS -------------------------------------------------------------------------------------


def test_no_crs_and_no_assume_crs(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.shp"
    bng_squares.to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    with pytest.raises(InputDataError, match=r"no coordinate reference system \(CRS\)") as exc:
        read_boundaries(path, code_column="MSOA11CD")
    message = str(exc.value)
    assert str(path) in message
    assert "set 'crs' for this file in the config" in message
    assert "EPSG:27700" in message


def test_topojson_without_assume_crs() -> None:
    with pytest.raises(InputDataError, match="CRS") as excinfo:
        read_boundaries(TOPOJSON, code_column="areacd", layer="cty")
    message = str(excinfo.value)
    assert f"{TOPOJSON} (layer cty)" in message
    assert "'EPSG:4326'" in message


def test_no_crs_with_assume_crs(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.shp"
    bng_squares.to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    read = read_boundaries(
        path, code_column="MSOA11CD", name_column="MSOA11NM", assume_crs="EPSG:27700"
    )
    assert_is_bng_squares(read.frame, tolerance=0.001)


def test_declared_crs_contradicting_assume_crs(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "msoa.gpkg"
    bng_squares.to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="declares CRS EPSG:27700") as excinfo:
        read_boundaries(path, code_column="MSOA11CD", assume_crs="EPSG:4326")
    message = str(excinfo.value)
    assert str(path) in message
    assert "config says EPSG:4326" in message
    assert "remove 'crs'" in message


def test_declared_crs_agreeing_with_assume_crs(
    tmp_path: Path, wgs84_squares: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "msoa.geojson"
    wgs84_squares.to_file(path, engine="pyogrio")
    read = read_boundaries(
        path, code_column="MSOA11CD", name_column="MSOA11NM", assume_crs="EPSG:4326"
    )
    assert_is_bng_squares(read.frame)


def test_assume_crs_that_is_not_a_crs() -> None:
    with pytest.raises(InputDataError, match="not a coordinate reference system") as excinfo:
        read_boundaries(TOPOJSON, code_column="areacd", layer="cty", assume_crs="WGS 84-ish")
    assert "'WGS 84-ish'" in str(excinfo.value)


# -- attribute problems ----------------------------------------------------------------------


def test_duplicate_codes(tmp_path: Path) -> None:
    frame = squares(
        ["E02005377", "E02005377", "E02005379"], ["Hinckley 001a", "Hinckley 001b", "003"]
    )
    path = tmp_path / "msoa.gpkg"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="1 codes appear on more than one feature") as exc:
        read_boundaries(path, code_column="MSOA11CD")
    message = str(exc.value)
    assert str(path) in message
    assert "E02005377" in message
    assert "E02005379" not in message
    assert "dissolve" in message


def test_empty_codes(tmp_path: Path) -> None:
    path = tmp_path / "msoa.gpkg"
    squares(["E02005377", " ", "E02005379"]).to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="1 features have an empty MSOA11CD") as excinfo:
        read_boundaries(path, code_column="MSOA11CD")
    assert str(path) in str(excinfo.value)


def test_missing_code_column_lists_columns(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.geojson"
    bng_squares.to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="no column MSOA21CD") as excinfo:
        read_boundaries(path, code_column="MSOA21CD", what="Areas file")
    message = str(excinfo.value)
    assert message.startswith(f"Areas file {path}")
    assert "the file has MSOA11CD, MSOA11NM" in message


def test_missing_code_and_name_columns(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "msoa.gpkg"
    bng_squares.to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="no columns MSOA21CD, MSOA21NM"):
        read_boundaries(path, code_column="MSOA21CD", name_column="MSOA21NM")


# -- geometry problems -----------------------------------------------------------------------


def test_point_geometries(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    # Population-weighted centroids downloaded instead of boundaries.
    centroids = bng_squares.set_geometry([Point(X0 + 500 + i * 1000, Y0 + 500) for i in range(3)])
    path = tmp_path / "msoa_pwc.geojson"
    centroids.to_file(path, engine="pyogrio")
    with pytest.raises(InputDataError, match="3 features are Point rather than polygons") as exc:
        read_boundaries(path, code_column="MSOA11CD")
    message = str(exc.value)
    assert str(path) in message
    assert "points" in message or "point" in message
    assert "E02005377, E02005378, E02005379" in message


def test_invalid_polygon_repaired_and_counted(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    bow_tie = Polygon(
        [(X0 + 1000, Y0), (X0 + 2000, Y0 + 1000), (X0 + 2000, Y0), (X0 + 1000, Y0 + 1000)]
    )
    assert not bow_tie.is_valid
    frame = bng_squares.copy()
    frame.loc[1, "geometry"] = bow_tie
    path = tmp_path / "msoa.gpkg"
    frame.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert read.n_repaired == 1
    assert read.notes == [f"1 invalid geometries repaired in {path}"]
    assert read.frame.is_valid.all()
    assert read.frame.geom_type.tolist() == ["Polygon", "MultiPolygon", "Polygon"]
    assert read.frame.area.tolist() == pytest.approx([1e6, 5e5, 1e6])
    assert read.frame["code"].tolist() == CODES


def test_repairs_keep_what_each_ring_means(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    # Repaired by structure (outer rings less holes): a part wound over itself twice counts
    # once, a hole is taken out even where it touches the outer ring; an outer ring repeated
    # as its own hole, which structure would empty, is rebuilt from its lines and kept whole.
    left = X0 + 1000
    square = [(left, Y0), (left + 1000, Y0), (left + 1000, Y0 + 1000), (left, Y0 + 1000)]
    frame = bng_squares.copy()
    frame.loc[0, "geometry"] = Polygon(
        [(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)],
        [[(X0 + 500, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0 + 500, Y0 + 1000)]],
    )
    frame.loc[1, "geometry"] = Polygon(square, [square[::-1]])
    assert not frame.is_valid[:2].any()
    path = tmp_path / "msoa.gpkg"
    frame.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert read.n_repaired == 2
    assert read.frame.is_valid.all()
    assert read.frame.area.tolist() == pytest.approx([5e5, 1e6, 1e6])
    assert read.frame["code"].tolist() == CODES


def test_polygon_made_invalid_by_reprojection_repaired_and_counted(tmp_path: Path) -> None:
    # Longitude/latitude with a notch whose tip is 0.1 m inside a 2-degree edge along the 52nd
    # parallel. On the National Grid that parallel bows south of the straight edge between its
    # ends, so the tip ends up outside it: valid as given, self-intersecting once reprojected.
    notched = Polygon(
        [(-3, 52), (-1, 52), (-1, 53), (-1.99, 53), (-2.0, 52.000001), (-2.01, 53), (-3, 53)]
    )
    assert notched.is_valid
    assert not gpd.GeoSeries([notched], crs="EPSG:4326").to_crs(BNG).is_valid.any()
    frame = gpd.GeoDataFrame(
        {"code": ["E12000005", "E12000004"], "name": ["West Midlands", "East Midlands"]},
        geometry=[notched, box(-1, 52, 0, 53)],
        crs="EPSG:4326",
    )
    path = tmp_path / "regions.geojson"
    frame.to_file(path, engine="pyogrio")

    read = read_boundaries(path, code_column="code", name_column="name")

    assert read.frame.crs == BNG
    assert read.frame.is_valid.all()
    assert read.n_repaired == 1
    assert read.notes == [f"1 invalid geometries repaired in {path}"]
    assert read.frame["code"].tolist() == ["E12000005", "E12000004"]
    # Repaired as any invalid polygon is, on the National Grid: its outer ring's union (the
    # notch's tip, now south of the straight edge, is kept as a part of its own).
    reprojected = gpd.GeoSeries([notched], crs="EPSG:4326").to_crs(BNG)[0]
    repaired = shapely.make_valid(reprojected, method="structure", keep_collapsed=False)
    assert read.frame.geometry[0].equals(repaired)
    assert read.frame.geom_type[0] == "MultiPolygon"


def test_empty_geometry_dropped_and_counted(tmp_path: Path, bng_squares: gpd.GeoDataFrame) -> None:
    frame = bng_squares.copy()
    frame.loc[1, "geometry"] = None
    path = tmp_path / "msoa.geojson"
    frame.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD", name_column="MSOA11NM")
    assert read.n_empty_dropped == 1
    assert read.frame["code"].tolist() == ["E02005377", "E02005379"]
    assert read.frame.index.tolist() == [0, 1]
    assert any(
        "1 features with empty geometry dropped" in n and "E02005378" in n for n in read.notes
    )


def test_empty_polygon_dropped_and_invalid_repaired_together(
    tmp_path: Path, bng_squares: gpd.GeoDataFrame
) -> None:
    frame = bng_squares.copy()
    frame.loc[0, "geometry"] = Polygon()
    frame.loc[2, "geometry"] = Polygon(
        [(X0 + 2000, Y0), (X0 + 3000, Y0 + 1000), (X0 + 3000, Y0), (X0 + 2000, Y0 + 1000)]
    )
    path = tmp_path / "msoa.gpkg"
    frame.to_file(path, engine="pyogrio")
    read = read_boundaries(path, code_column="MSOA11CD")
    assert read.n_empty_dropped == 1
    assert read.n_repaired == 1
    assert read.frame["code"].tolist() == ["E02005378", "E02005379"]
    assert read.frame.is_valid.all()


# -- files that cannot be opened -------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "msoa.geojson"
    with pytest.raises(InputDataError, match="does not exist") as excinfo:
        read_boundaries(path, code_column="MSOA11CD", what="Areas file")
    assert f"Areas file {path}" in str(excinfo.value)


@pytest.mark.parametrize("name", ["areas.gpkg", "msoa.geojson"])
def test_an_empty_file_is_said_to_be_empty(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputDataError, match=r"is empty \(0 bytes\)") as excinfo:
        read_boundaries(path, code_column="MSOA11CD", what="Areas file")
    assert f"Areas file {path}" in str(excinfo.value)


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "msoa.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Fea', encoding="utf-8")
    with pytest.raises(InputDataError, match="Cannot open boundary file") as excinfo:
        read_boundaries(path, code_column="MSOA11CD")
    assert str(path) in str(excinfo.value)


# -- year filter -----------------------------------------------------------------------------


def test_filter_by_year() -> None:
    frame = pd.DataFrame(
        {
            "code": ["old", "current", "new", "always"],
            "start": [None, 2009, 2021, None],
            "end": [2020, None, None, None],
        }
    )
    assert filter_by_year(frame, 2019).tolist() == [True, True, False, True]
    assert filter_by_year(frame, 2020).tolist() == [True, True, False, True]
    assert filter_by_year(frame, 2021).tolist() == [False, True, True, True]
    assert filter_by_year(frame, None).tolist() == [True] * 4


def test_filter_by_year_without_period_columns() -> None:
    frame = pd.DataFrame({"code": ["a", "b"]})
    assert filter_by_year(frame, 2025).tolist() == [True, True]


def test_filter_by_year_on_topojson() -> None:
    frame = read_boundaries(
        TOPOJSON, code_column="areacd", layer="ltla", assume_crs="EPSG:4326", keep_columns=("end",)
    ).frame
    assert frame.loc[filter_by_year(frame, 2021), "code"].tolist() == ["E07000132", "E07000134"]
    assert frame.loc[filter_by_year(frame, 2020), "code"].tolist() == [
        "E07000132",
        "E07000134",
        "E07000999",
    ]


def test_areas_of_several_vintages_in_one_file_ask_for_areas_year() -> None:
    """An area unchanged between two vintages is drawn twice: a dated file needs a year."""
    square = box(0, 0, 1000, 1000)
    frame = gpd.GeoDataFrame(
        {"code": ["E07000150", "E06000061"], "start": [None, 2021], "end": [2020, None]},
        geometry=[square, square],
        crs=BNG,
    )
    path = Path("uk-topo.json")
    with pytest.raises(InputDataError, match="E06000061 = E07000150") as excinfo:
        check_distinct_areas(frame, path)
    assert "set areas.year to the year of the table's areas" in str(excinfo.value)
    # Undated, the file is told only to keep one feature per area.
    with pytest.raises(InputDataError) as excinfo:
        check_distinct_areas(frame.drop(columns=["start", "end"]), path)
    assert "areas.year" not in str(excinfo.value)
