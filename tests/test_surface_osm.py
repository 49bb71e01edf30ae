"""Employment land from OpenStreetMap: tags, kinds, precedence, PBF conversion, Rutland."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
from shapely.geometry import box

from clustergeo._errors import InputDataError
from clustergeo.surface import osm as surface_osm
from clustergeo.surface.land import exclusive_land, polygonal
from clustergeo.surface.osm import (
    employment_land_from_features,
    fetch_employment_land_online,
    pbf_to_osm_xml,
    read_employment_land,
)

# --- one kind per piece of land ----------------------------------------------------------------


def test_exclusive_land_gives_overlaps_to_the_higher_kind_and_the_smaller_polygon() -> None:
    land = gpd.GeoDataFrame(
        {"kind": ["retail", "industrial", "commercial", "commercial"], "name": list("abcd")},
        geometry=[
            box(0, 0, 100, 100),  # retail, half under the industrial square
            box(50, 0, 150, 100),  # industrial keeps all of itself
            box(0, 200, 100, 300),  # a large commercial park...
            box(0, 200, 10, 210),  # ...with a small commercial plot inside it
        ],
        crs="EPSG:27700",
    )
    out = exclusive_land(land)
    areas = dict(zip(out["name"], out.geometry.area, strict=True))
    assert areas == {"b": 10_000.0, "a": 5_000.0, "d": 100.0, "c": 9_900.0}
    assert list(out["kind"]) == ["industrial", "commercial", "commercial", "retail"]
    assert out.geometry.area.sum() == pytest.approx(land.union_all().area)
    assert all(geom.geom_type in ("Polygon", "MultiPolygon") for geom in out.geometry)


def test_exclusive_land_drops_polygons_covered_by_a_higher_kind() -> None:
    land = gpd.GeoDataFrame(
        {"kind": ["retail", "industrial"]},
        geometry=[box(10, 10, 20, 20), box(0, 0, 100, 100)],
        crs="EPSG:27700",
    )
    out = exclusive_land(land)
    assert list(out["kind"]) == ["industrial"]


def test_polygonal_keeps_only_areas() -> None:
    mixed = shapely.GeometryCollection(
        [box(0, 0, 1, 1), shapely.LineString([(0, 0), (5, 5)]), shapely.Point(3, 3)]
    )
    assert polygonal(mixed).equals(box(0, 0, 1, 1))
    assert polygonal(shapely.LineString([(0, 0), (1, 1)])).is_empty


# --- a hand-made extract -----------------------------------------------------------------------

#: Corners of small squares near Oakham, in degrees (about 700 m x 1100 m apart).
_LON0, _LAT0, _STEP = -0.72, 52.67, 0.002


def _square(x: int, y: int, size: int = 1) -> list[tuple[float, float]]:
    x0, y0 = _LON0 + x * _STEP, _LAT0 + y * _STEP
    x1, y1 = x0 + size * _STEP, y0 + size * _STEP
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _osm_xml(ways: list[tuple[list[tuple[float, float]], dict[str, str], bool]]) -> str:
    """OSM XML with one closed (or open) way per entry, plus a tagged node."""
    nodes, way_lines, next_id = [], [], 1
    for way_id, (corners, tags, closed) in enumerate(ways, start=100):
        refs = []
        for lon, lat in corners:
            nodes.append(f'  <node id="{next_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(next_id)
            next_id += 1
        if closed:
            refs.append(refs[0])
        body = "".join(f'    <nd ref="{ref}"/>\n' for ref in refs)
        body += "".join(f'    <tag k="{k}" v="{v}"/>\n' for k, v in tags.items())
        way_lines.append(f'  <way id="{way_id}" version="1">\n{body}  </way>')
    point = (
        f'  <node id="{next_id}" version="1" lat="{_LAT0:.7f}" lon="{_LON0:.7f}">\n'
        '    <tag k="landuse" v="industrial"/>\n  </node>'
    )
    relations = [] if len(ways) < len(WAYS) else [RELATION]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    return "\n".join([*lines, *nodes, point, *way_lines, *relations, "</osm>"]) + "\n"


WAYS = [
    (_square(0, 0, 2), {"landuse": "retail", "name": "Big Retail"}, True),  # way 100
    (_square(1, 0), {"landuse": "industrial"}, True),  # 101: takes half of the retail
    (_square(4, 0), {"landuse": "brownfield", "name": "Oak Enterprise Park"}, True),  # 102
    (_square(6, 0), {"landuse": "grass", "name": "Vale Trading Estate"}, True),  # 103
    (_square(8, 0), {"man_made": "works", "name": "Glebe Works"}, True),  # 104
    (_square(10, 0), {"landuse": "farmland", "name": "Home Farm"}, True),  # 105: dropped
    (_square(12, 0), {"landuse": "commercial"}, False),  # 106: an open way, a line: dropped
    (_square(14, 0), {"landuse": "retail", "name": "Oakham Retail Park"}, True),  # 107
    (_square(16, 0, 3), {}, True),  # 108: untagged outer ring of relation 500
    (_square(17, 1), {}, True),  # 109: untagged inner ring (a hole)
]

#: A multipolygon whose tags are on the relation only: 3 x 3 cells less a 1 x 1 hole.
RELATION = """  <relation id="500" version="1">
    <member type="way" ref="108" role="outer"/>
    <member type="way" ref="109" role="inner"/>
    <tag k="type" v="multipolygon"/>
    <tag k="landuse" v="commercial"/>
    <tag k="name" v="Ring Business Park"/>
  </relation>"""


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("osm") / "tiny.osm"
    path.write_text(_osm_xml(WAYS), encoding="utf-8")
    return path


def test_reads_kinds_by_tag_and_by_park_name(extract: Path) -> None:
    land = read_employment_land(extract)
    assert list(land.columns) == ["osm_id", "kind", "name", "geometry"]
    assert land.crs.to_epsg() == 27700
    kinds = dict(zip(land["osm_id"], land["kind"], strict=True))
    assert kinds == {
        "way/101": "industrial",
        "way/103": "industrial",  # "Trading Estate" on a grass polygon
        "way/104": "works",
        "way/102": "commercial",  # "Enterprise Park" on a brownfield polygon
        "relation/500": "commercial",
        "way/100": "retail",
        "way/107": "retail",
    }
    # Kind precedence first, then the OSM id (as text).
    assert list(land["osm_id"]) == [
        "way/101",
        "way/103",
        "way/104",
        "relation/500",
        "way/102",
        "way/100",
        "way/107",
    ]
    assert set(land.geom_type) == {"Polygon"}


def test_overlap_goes_to_the_industrial_polygon(extract: Path) -> None:
    land = read_employment_land(extract).set_index("osm_id")
    industrial = land.loc["way/101", "geometry"].area
    retail = land.loc["way/100", "geometry"].area
    # The retail square is 2 x 2 cells; the industrial one covers its lower-right cell, so the
    # retail keeps three cells (cells differ slightly in area once projected).
    assert retail == pytest.approx(3 * industrial, rel=1e-3)
    ring = land.loc["relation/500", "geometry"]
    assert len(ring.interiors) == 1
    assert ring.area == pytest.approx(8 * industrial, rel=1e-2)
    assert land.loc["relation/500", "name"] == "Ring Business Park"
    assert land.geometry.area.sum() == pytest.approx(land.union_all().area, rel=1e-12)


def test_bbox_and_polygon_filters_keep_intersecting_features_whole(extract: Path) -> None:
    everything = read_employment_land(extract)
    works = everything.set_index("osm_id").loc["way/104", "geometry"]
    near_works = works.buffer(5).bounds
    picked = read_employment_land(extract, bbox=near_works)
    assert list(picked["osm_id"]) == ["way/104"]
    assert picked.geometry.iloc[0].area == pytest.approx(works.area)
    by_polygon = read_employment_land(extract, polygon=works.centroid.buffer(10))
    assert list(by_polygon["osm_id"]) == ["way/104"]
    lonlat = read_employment_land(
        extract,
        bbox=(_LON0 + 8.2 * _STEP, _LAT0, _LON0 + 8.8 * _STEP, _LAT0 + 0.5 * _STEP),
        crs="EPSG:4326",
    )
    assert list(lonlat["osm_id"]) == ["way/104"]


def test_an_extract_without_employment_land_gives_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "farms.osm"
    path.write_text(_osm_xml([(_square(0, 0), {"landuse": "farmland"}, True)]), encoding="utf-8")
    land = read_employment_land(path)
    assert land.empty
    assert list(land.columns) == ["osm_id", "kind", "name", "geometry"]
    assert land.crs.to_epsg() == 27700


def test_a_pbf_is_converted_once_into_the_cache(extract: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(extract)):
            writer.add(obj)
    cache = tmp_path / "cache"
    from_pbf = read_employment_land(pbf, cache_dir=cache)
    from_xml = read_employment_land(extract)
    assert list(from_pbf["osm_id"]) == list(from_xml["osm_id"])
    np.testing.assert_allclose(from_pbf.geometry.area, from_xml.geometry.area, rtol=1e-9)
    converted = cache / "tiny.employment-land.osm"
    assert converted.is_file()
    assert not list(cache.glob("*.partial*"))
    stamp = converted.stat().st_mtime_ns
    read_employment_land(pbf, cache_dir=cache)
    assert converted.stat().st_mtime_ns == stamp  # reused, not converted again
    # A newer extract makes the cache stale.
    os.utime(pbf, ns=(stamp + 10**9, stamp + 10**9))
    read_employment_land(pbf, cache_dir=cache)
    assert converted.stat().st_mtime_ns != stamp


def test_full_conversion_keeps_every_object(extract: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(extract)):
            writer.add(obj)
    xml = pbf_to_osm_xml(pbf, tmp_path / "out" / "tiny.xml")
    assert xml.read_text(encoding="utf-8").startswith("<?xml")
    kinds = [obj.type_str() for obj in osmium.FileProcessor(osmium.io.File(str(xml), "osm"))]
    assert kinds.count("n") == sum(len(corners) for corners, _, _ in WAYS) + 1
    assert kinds.count("w") == len(WAYS)
    assert kinds.count("r") == 1


# --- errors ------------------------------------------------------------------------------------


def test_missing_and_broken_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"missing\.osm\.pbf does not exist"):
        read_employment_land(tmp_path / "missing.osm.pbf", cache_dir=tmp_path)
    with pytest.raises(InputDataError, match=r"missing\.osm does not exist"):
        read_employment_land(tmp_path / "missing.osm")
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"this is not a protobuf file" * 10)
    with pytest.raises(InputDataError, match=r"broken\.osm\.pbf cannot be read.*Download it again"):
        pbf_to_osm_xml(broken, tmp_path / "broken.osm")
    assert not (tmp_path / "broken.osm").exists()
    bad_xml = tmp_path / "bad.osm"
    bad_xml.write_text("<osm><node id='1'></osm>", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"bad\.osm is not valid OSM XML"):
        read_employment_land(bad_xml)


def test_area_filter_mistakes(extract: Path) -> None:
    with pytest.raises(InputDataError, match="either a polygon or a bbox"):
        read_employment_land(extract, polygon=box(0, 0, 1, 1), bbox=(0, 0, 1, 1))
    with pytest.raises(InputDataError, match="is empty"):
        read_employment_land(extract, bbox=(10, 0, 0, 10))


# --- online (never touches the network here) ---------------------------------------------------


def test_online_fetch_is_cached(
    extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osmnx as ox

    offline = ox.features_from_xml(extract, tags=dict(surface_osm.EMPLOYMENT_TAGS))
    calls: list[object] = []

    def fake_features_from_polygon(polygon: object, tags: object) -> gpd.GeoDataFrame:
        calls.append(polygon)
        return offline

    monkeypatch.setattr("osmnx.features_from_polygon", fake_features_from_polygon)
    cache = tmp_path / "land.parquet"
    study = box(486_000, 311_000, 490_000, 314_000)
    first = fetch_employment_land_online(study, cache)
    second = fetch_employment_land_online(study, cache)
    assert len(calls) == 1
    assert cache.is_file()
    assert list(first["osm_id"]) == list(second["osm_id"])
    assert second.crs.to_epsg() == 27700
    assert first.equals(employment_land_from_features(offline))


# --- the real Rutland extract ------------------------------------------------------------------

RUTLAND = "osm_rutland_2018"


@pytest.fixture(scope="module")
def rutland(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[gpd.GeoDataFrame, Path]:
    pbf = shared_data / RUTLAND / "rutland-latest.osm.pbf"
    cache = tmp_path_factory.mktemp("rutland")
    return read_employment_land(pbf, cache_dir=cache), cache


@pytest.mark.realdata
def test_rutland_extract_gives_the_provenance_land(
    rutland: tuple[gpd.GeoDataFrame, Path], shared_data: Path
) -> None:
    land, _cache = rutland
    reference = gpd.read_file(
        shared_data / RUTLAND / "rutland_2018_landuse_industrial_commercial_retail.geojson"
    ).to_crs(27700)
    # Same 27 ways as GDAL's OSM driver (industrial 21, commercial 3, retail 3): in this 2018
    # extract every such feature is a closed way, none a multipolygon relation, and there is
    # no man_made=works nor a business park mapped with another land use, so osmnx and GDAL
    # assemble the same polygons. (They could differ on multipolygon relations, which the two
    # build differently, and GDAL does not read the named parks or works added here.)
    assert land["kind"].value_counts().to_dict() == {"industrial": 21, "commercial": 3, "retail": 3}
    assert sorted(land["osm_id"]) == sorted(f"way/{way}" for way in reference["osm_way_id"])
    named = land.set_index("name")["kind"]
    assert named["Oakham Enterprise Park"] == "commercial"
    assert named["Octopus Business Park"] == "commercial"
    assert named["Pillings Road Ind. Est."] == "industrial"
    assert named["Wireless Hill Industrial Estate"] == "industrial"
    assert set(land.geom_type) <= {"Polygon", "MultiPolygon"}
    # No overlaps in this extract either: the land's total equals the reference's union.
    assert land.geometry.area.sum() == pytest.approx(reference.union_all().area, rel=1e-9)
    oakham = land.set_index("name").loc["Oakham Enterprise Park", "geometry"]
    assert 486_000 < oakham.centroid.x < 488_000
    assert 310_000 < oakham.centroid.y < 312_000


@pytest.mark.realdata
def test_rutland_filtered_conversion_loses_no_land(
    rutland: tuple[gpd.GeoDataFrame, Path], shared_data: Path, tmp_path: Path
) -> None:
    land, cache = rutland
    pbf = shared_data / RUTLAND / "rutland-latest.osm.pbf"
    full = pbf_to_osm_xml(pbf, tmp_path / "rutland.osm")
    filtered = cache / "rutland-latest.employment-land.osm"
    assert filtered.stat().st_size < full.stat().st_size / 5
    from_full = read_employment_land(full)
    assert list(from_full["osm_id"]) == list(land["osm_id"])
    np.testing.assert_allclose(from_full.geometry.area, land.geometry.area, rtol=1e-12)


@pytest.mark.realdata
def test_rutland_bbox_around_oakham(
    shared_data: Path, rutland: tuple[gpd.GeoDataFrame, Path]
) -> None:
    land, cache = rutland
    pbf = shared_data / RUTLAND / "rutland-latest.osm.pbf"
    oakham = read_employment_land(pbf, bbox=(484_000, 307_000, 489_000, 313_000), cache_dir=cache)
    assert "Oakham Enterprise Park" in set(oakham["name"].dropna())
    assert 0 < len(oakham) < len(land)
    assert set(oakham["osm_id"]) <= set(land["osm_id"])
