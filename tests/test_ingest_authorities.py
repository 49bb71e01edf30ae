"""Tests for giving small areas their authorities (``clustergeo.ingest.authorities``).

Four 100 m square "MSOAs" in a row on the British National Grid; district, combined-authority
and county polygons are drawn so that one area is split 60/40 between two districts and another
only touches a combined authority with a 5% sliver.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo._errors import InputDataError
from clustergeo.config import AuthoritiesConfig, TierSource
from clustergeo.ingest.authorities import (
    assign_tiers,
    greater_london_polygon,
    named_as_the_table,
    read_authorities,
)

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = Path("areas/msoa2011.gpkg")
AREAS = ["E02004016", "E02004017", "E02004018", "E02004019"]

HINCKLEY, NW_LEICS = "E07000132", "E07000134"
LEICESTERSHIRE = "E10000018"
CA = "E47000099"
EAST_MIDLANDS = "E12000004"


def layer(rows: list[tuple[str, str, tuple[float, float, float, float]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[box(*r[2]) for r in rows],
        crs="EPSG:27700",
    )


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "area_code": AREAS,
            "LAD11CD": [HINCKLEY, HINCKLEY, NW_LEICS, NW_LEICS],
        },
        geometry=[box(i * 100, 0, (i + 1) * 100, 100) for i in range(4)],
        crs="EPSG:27700",
    )


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    # Area 2 (100-200 m) is 60% in Hinckley and Bosworth, 40% in North West Leicestershire.
    return layer(
        [
            (HINCKLEY, "Hinckley and Bosworth", (0, 0, 160, 100)),
            (NW_LEICS, "North West Leicestershire", (160, 0, 400, 100)),
        ]
    )


@pytest.fixture
def combined() -> gpd.GeoDataFrame:
    # Covers areas 3 and 4 and a 5% sliver of area 2 (generalised boundaries).
    return layer([(CA, "Leicestershire Combined Authority", (195, 0, 400, 100))])


@pytest.fixture
def counties() -> gpd.GeoDataFrame:
    return layer([(LEICESTERSHIRE, "Leicestershire County", (0, 0, 400, 100))])


def county_lookup() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "LAD21CD": [HINCKLEY, NW_LEICS, "E06000016"],
            "CTY21CD": [LEICESTERSHIRE, LEICESTERSHIRE, ""],
            "CTY21NM": ["Leicestershire", "Leicestershire", ""],
        }
    )


def region_lookup() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "MSOA11CD": AREAS,
            "RGN11CD": [EAST_MIDLANDS] * 4,
            "RGN11NM": ["East Midlands"] * 4,
        }
    )


ATTRIBUTE = TierSource(source="attribute", column="LAD11CD")
OVERLAY = TierSource(source="overlay")
COUNTY_BY_DISTRICT = TierSource(
    source="lookup",
    path=Path("lad_cty.csv"),
    key="district",
    key_column="LAD21CD",
    column="CTY21CD",
    name_column="CTY21NM",
)
REGION_BY_AREA = TierSource(
    source="lookup",
    path=Path("msoa_rgn.csv"),
    key="area",
    key_column="MSOA11CD",
    column="RGN11CD",
    name_column="RGN11NM",
)


def test_attribute_source_named_from_authority_layer(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    table, notes = assign_tiers(
        areas,
        {"district": ATTRIBUTE},
        authorities={},
        authority_names={"district": districts},
        read_lookup={},
        source=SOURCE,
    )
    assert table["area_code"].tolist() == AREAS
    assert table["district_code"].tolist() == [HINCKLEY, HINCKLEY, NW_LEICS, NW_LEICS]
    assert table["district_name"].tolist() == [
        "Hinckley and Bosworth",
        "Hinckley and Bosworth",
        "North West Leicestershire",
        "North West Leicestershire",
    ]
    assert notes == []


def test_an_authority_that_is_one_of_the_tables_areas_takes_the_tables_name() -> None:
    """A boundary file's later rename gives way to the name of the table's year."""
    square = box(0, 0, 1000, 1000)
    districts = gpd.GeoDataFrame(
        {"code": ["E07000083", "E07000234"], "name": ["North Gloucestershire", "Bromsgrove"]},
        geometry=[square, square],
        crs="EPSG:27700",
    )
    counties = gpd.GeoDataFrame(
        {"code": ["E10000013"], "name": ["Gloucestershire"]}, geometry=[square], crs="EPSG:27700"
    )
    renamed = named_as_the_table(
        {"district": districts, "county": counties},
        {"E07000083": "Tewkesbury", "E07000234": "Bromsgrove"},
    )
    assert renamed["district"]["name"].tolist() == ["Tewkesbury", "Bromsgrove"]
    assert renamed["county"]["name"].tolist() == ["Gloucestershire"]  # not one of the areas
    assert districts["name"].tolist()[0] == "North Gloucestershire"  # the input is left alone
    assert renamed["district"].crs == districts.crs


def test_lookup_keyed_on_area(areas: gpd.GeoDataFrame) -> None:
    table, _ = assign_tiers(
        areas,
        {"region": REGION_BY_AREA},
        authorities={},
        authority_names={},
        read_lookup={"region": region_lookup()},
        source=SOURCE,
    )
    assert table["region_code"].tolist() == [EAST_MIDLANDS] * 4
    assert table["region_name"].tolist() == ["East Midlands"] * 4


def test_lookup_keyed_on_area_strips_padded_keys(areas: gpd.GeoDataFrame) -> None:
    lookup = region_lookup().assign(MSOA11CD=[f" {c} " for c in AREAS])
    table, _ = assign_tiers(
        areas,
        {"region": REGION_BY_AREA},
        authorities={},
        authority_names={},
        read_lookup={"region": lookup},
        source=SOURCE,
    )
    assert table["region_code"].tolist() == [EAST_MIDLANDS] * 4


def test_lookup_keyed_on_district_is_chained(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    # The county lookup is keyed on the district, which itself comes from an attribute;
    # listing county first in the config must not matter.
    table, notes = assign_tiers(
        areas,
        {"county": COUNTY_BY_DISTRICT, "district": ATTRIBUTE, "region": REGION_BY_AREA},
        authorities={},
        authority_names={"district": districts},
        read_lookup={"county": county_lookup(), "region": region_lookup()},
        source=SOURCE,
    )
    assert table["county_code"].tolist() == [LEICESTERSHIRE] * 4
    assert table["county_name"].tolist() == ["Leicestershire"] * 4
    assert list(table.columns) == [
        "area_code",
        "district_code",
        "county_code",
        "region_code",
        "district_name",
        "county_name",
        "region_name",
    ]
    assert notes == []


def test_chained_lookup_from_overlay_district(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    region_by_county = TierSource(
        source="lookup",
        path=Path("cty_rgn.csv"),
        key="county",
        key_column="CTY21CD",
        column="RGN21CD",
        name_column="RGN21NM",
    )
    table, _ = assign_tiers(
        areas,
        {"district": OVERLAY, "county": COUNTY_BY_DISTRICT, "region": region_by_county},
        authorities={"district": districts},
        authority_names={"district": districts},
        read_lookup={
            "county": county_lookup(),
            "region": pd.DataFrame(
                {
                    "CTY21CD": [LEICESTERSHIRE],
                    "RGN21CD": [EAST_MIDLANDS],
                    "RGN21NM": ["East Midlands"],
                }
            ),
        },
        source=SOURCE,
    )
    assert table["region_code"].tolist() == [EAST_MIDLANDS] * 4
    assert table["region_name"].tolist() == ["East Midlands"] * 4


def test_unitary_district_has_no_county(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    unitary = areas.assign(LAD11CD=[HINCKLEY, HINCKLEY, NW_LEICS, "E06000016"])
    named = pd.concat(
        [districts, layer([("E06000016", "Leicester", (500, 0, 600, 100))])], ignore_index=True
    )
    table, notes = assign_tiers(
        unitary,
        {"district": ATTRIBUTE, "county": COUNTY_BY_DISTRICT},
        authorities={},
        authority_names={"district": named},
        read_lookup={"county": county_lookup()},
        source=SOURCE,
    )
    assert table["county_code"].isna().tolist() == [False, False, False, True]
    assert table["county_name"].isna().tolist() == [False, False, False, True]
    assert notes == ["1 areas are in no county (unitary or metropolitan districts)"]


def test_overlay_majority_rule(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, combined: gpd.GeoDataFrame
) -> None:
    table, notes = assign_tiers(
        areas,
        {"district": OVERLAY, "combined_authority": OVERLAY},
        authorities={"district": districts, "combined_authority": combined},
        authority_names={"district": districts, "combined_authority": combined},
        read_lookup={},
        source=SOURCE,
    )
    # Area 2 is 60% in Hinckley and Bosworth: more than half, so it is in Hinckley.
    assert table["district_code"].tolist() == [HINCKLEY, HINCKLEY, NW_LEICS, NW_LEICS]
    assert table["district_name"].tolist()[:2] == ["Hinckley and Bosworth"] * 2
    # A 5% sliver does not put area 2 in the combined authority.
    ca = table["combined_authority_code"]
    assert ca.isna().tolist() == [True, True, False, False]
    assert ca.dropna().tolist() == [CA, CA]
    assert (
        table["combined_authority_name"].dropna().tolist()
        == ["Leicestershire Combined Authority"] * 2
    )
    assert notes == ["2 areas are in no combined authority (outside all)"]


def test_londons_areas_without_a_combined_authority_are_in_the_gla(
    areas: gpd.GeoDataFrame, combined: gpd.GeoDataFrame
) -> None:
    """ONS's combined authorities leave out the GLA, which governs London as a whole.

    Areas 0 and 1 lie in London and in no combined authority; 2 and 3 in the combined
    authority (as though London's region held it too), which they keep.
    """
    regions = layer(
        [
            ("E12000007", "London", (0, 0, 200, 100)),
            (EAST_MIDLANDS, "Elsewhere", (200, 0, 400, 100)),
        ]
    )
    tiers = {"combined_authority": OVERLAY, "region": OVERLAY}
    polygons = {"combined_authority": combined, "region": regions}
    table, notes = assign_tiers(
        areas,
        tiers,
        authorities=polygons,
        authority_names=polygons,
        read_lookup={},
        source=SOURCE,
    )
    assert table["combined_authority_code"].tolist() == ["E61000001", "E61000001", CA, CA]
    assert table["combined_authority_name"].tolist()[:2] == ["Greater London Authority"] * 2
    assert notes == [
        "2 areas of London are placed in the Greater London Authority on the combined-"
        "authority tier: it governs London as a whole, though combined-authority files leave "
        "it out"
    ]
    # The maps and the GeoPackage get its polygon, the union of its areas, once.
    placed = areas.assign(combined_authority_code=table["combined_authority_code"].to_numpy())
    with_gla = greater_london_polygon(placed, combined)
    assert with_gla["code"].tolist() == [CA, "E61000001"]
    assert with_gla.geometry.iloc[1].equals(box(0, 0, 200, 100))
    # A river between its areas (a boundary file clipped to the coast) is no edge of it.
    banks = areas.assign(geometry=[box(0, 0, 100, 40), box(0, 60, 100, 100), *areas.geometry[2:]])
    placed_banks = banks.assign(combined_authority_code=["E61000001", "E61000001", None, None])
    closed = greater_london_polygon(placed_banks, combined).geometry.iloc[1]
    assert closed.equals(box(0, 0, 100, 100))
    assert greater_london_polygon(placed, with_gla) is with_gla
    # A combined-authority tier whose polygons reach no area still takes the GLA.
    nowhere = layer([(CA, "Far away", (5000, 5000, 6000, 6000))])
    polygons = {"combined_authority": nowhere, "region": regions}
    table, _notes = assign_tiers(
        areas, tiers, authorities=polygons, authority_names=polygons, read_lookup={}, source=SOURCE
    )
    assert table["combined_authority_code"].tolist()[:2] == ["E61000001"] * 2
    assert table["combined_authority_code"].isna().tolist()[2:] == [True, True]
    # A region tier of other codes knows London by its name (ITL1 TLI, here from polygons).
    named_regions = layer(
        [("TLI", "London", (0, 0, 200, 100)), ("TLF", "East Midlands", (200, 0, 400, 100))]
    )
    polygons = {"combined_authority": combined, "region": named_regions}
    table, _notes = assign_tiers(
        areas, tiers, authorities=polygons, authority_names=polygons, read_lookup={}, source=SOURCE
    )
    assert table["combined_authority_code"].tolist() == ["E61000001", "E61000001", CA, CA]
    # Without the region tier London's areas cannot be known: nothing is placed.
    table, _notes = assign_tiers(
        areas,
        {"combined_authority": OVERLAY},
        authorities={"combined_authority": combined},
        authority_names={"combined_authority": combined},
        read_lookup={},
        source=SOURCE,
    )
    assert table["combined_authority_code"].isna().tolist() == [True, True, False, False]


def test_overlay_shares_inside_across_and_touching(areas: gpd.GeoDataFrame) -> None:
    from clustergeo.ingest.authorities import _overlay_codes

    authorities = layer(
        [
            ("A", "Around area 0", (-10, -10, 110, 110)),  # area 0 inside, area 1 a tenth
            ("B", "Half of area 1", (110, 0, 160, 100)),
            ("C", "The rest of area 1", (160, 0, 200, 100)),
            ("D", "Beside area 3", (400, 0, 500, 100)),  # touches area 3 along an edge only
        ]
    )
    codes, share, covered = _overlay_codes(areas, authorities)
    assert codes.to_dict() == {AREAS[0]: "A", AREAS[1]: "B"}
    assert share[AREAS[0]] == 1.0
    assert share[AREAS[1]] == pytest.approx(0.5, rel=1e-12)
    assert covered.to_dict() == pytest.approx({AREAS[0]: 1.0, AREAS[1]: 1.0}, rel=1e-12)


def test_overlay_needs_more_than_half(areas: gpd.GeoDataFrame) -> None:
    # Exactly half is not "more than half".
    halves = layer([(CA, "Half", (0, 0, 50, 100))])
    table, notes = assign_tiers(
        areas,
        {"combined_authority": OVERLAY},
        authorities={"combined_authority": halves},
        authority_names={"combined_authority": halves},
        read_lookup={},
        source=SOURCE,
    )
    assert table["combined_authority_code"].isna().all()
    assert notes == ["4 areas are in no combined authority (outside all)"]


def test_area_with_no_district_is_an_error(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    offshore = pd.concat(
        [
            areas,
            gpd.GeoDataFrame(
                {"area_code": ["E02006999"], "LAD11CD": [None]},
                geometry=[box(1000, 1000, 1100, 1100)],
                crs="EPSG:27700",
            ),
        ],
        ignore_index=True,
    )
    with pytest.raises(InputDataError, match="1 areas belong to no district: E02006999") as exc:
        assign_tiers(
            offshore,
            {"district": OVERLAY},
            authorities={"district": districts},
            authority_names={"district": districts},
            read_lookup={},
            source=SOURCE,
        )
    message = str(exc.value)
    assert str(SOURCE) in message
    assert "overlay source for 'district'" in message


@pytest.mark.parametrize("missing", [None, "", "  "])
def test_area_with_empty_district_attribute_is_an_error(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, missing: str | None
) -> None:
    gaps = areas.assign(LAD11CD=[HINCKLEY, missing, NW_LEICS, NW_LEICS])
    with pytest.raises(InputDataError, match="1 areas belong to no district: E02004017") as exc:
        assign_tiers(
            gaps,
            {"district": ATTRIBUTE},
            authorities={},
            authority_names={"district": districts},
            read_lookup={},
            source=SOURCE,
        )
    assert str(SOURCE) in str(exc.value)


def test_area_missing_from_region_lookup_is_an_error(areas: gpd.GeoDataFrame) -> None:
    lookup = region_lookup().iloc[:2]
    with pytest.raises(InputDataError, match="2 areas belong to no region") as excinfo:
        assign_tiers(
            areas,
            {"region": REGION_BY_AREA},
            authorities={},
            authority_names={},
            read_lookup={"region": lookup},
            source=SOURCE,
        )
    message = str(excinfo.value)
    assert "E02004018, E02004019" in message
    assert "lookup source for 'region'" in message


def test_lookup_keyed_on_unconfigured_tier(areas: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputDataError, match="tiers county are looked up by tiers") as excinfo:
        assign_tiers(
            areas,
            {"county": COUNTY_BY_DISTRICT},
            authorities={},
            authority_names={},
            read_lookup={"county": county_lookup()},
            source=SOURCE,
        )
    assert str(SOURCE) in str(excinfo.value)


def test_names_from_lookup_win_over_authority_layer(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    table, _ = assign_tiers(
        areas,
        {"district": ATTRIBUTE, "county": COUNTY_BY_DISTRICT},
        authorities={},
        authority_names={"district": districts, "county": counties},
        read_lookup={"county": county_lookup()},
        source=SOURCE,
    )
    assert table["county_name"].tolist() == ["Leicestershire"] * 4


def test_names_from_authority_layer_when_lookup_has_none(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    unnamed_lookup = COUNTY_BY_DISTRICT.model_copy(update={"name_column": None})
    table, _ = assign_tiers(
        areas,
        {"district": ATTRIBUTE, "county": unnamed_lookup},
        authorities={},
        authority_names={"district": districts, "county": counties},
        read_lookup={"county": county_lookup()},
        source=SOURCE,
    )
    assert table["county_name"].tolist() == ["Leicestershire County"] * 4


def test_code_without_any_name_is_named_by_its_code(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    only_hinckley = districts.iloc[:1]
    table, _ = assign_tiers(
        areas,
        {"district": ATTRIBUTE},
        authorities={},
        authority_names={"district": only_hinckley},
        read_lookup={},
        source=SOURCE,
    )
    assert table["district_name"].tolist() == [
        "Hinckley and Bosworth",
        "Hinckley and Bosworth",
        NW_LEICS,
        NW_LEICS,
    ]


def test_tier_with_no_names_at_all_is_named_by_its_codes(areas: gpd.GeoDataFrame) -> None:
    table, _ = assign_tiers(
        areas,
        {"district": ATTRIBUTE},
        authorities={},
        authority_names={},
        read_lookup={},
        source=SOURCE,
    )
    assert table["district_name"].tolist() == [HINCKLEY, HINCKLEY, NW_LEICS, NW_LEICS]


def test_lookup_names_survive_padded_codes(
    areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame
) -> None:
    lookup = county_lookup().assign(CTY21CD=[f" {LEICESTERSHIRE}", f" {LEICESTERSHIRE}", ""])
    table, _ = assign_tiers(
        areas,
        {"district": ATTRIBUTE, "county": COUNTY_BY_DISTRICT},
        authorities={},
        authority_names={
            "district": districts,
            "county": layer([("E10000019", "Lincolnshire", (0, 0, 1, 1))]),
        },
        read_lookup={"county": lookup},
        source=SOURCE,
    )
    assert table["county_code"].tolist() == [LEICESTERSHIRE] * 4
    assert table["county_name"].tolist() == ["Leicestershire"] * 4


# -- reading the authority layers ------------------------------------------------------------


def _fixture_districts_and_counties() -> tuple[Path, AuthoritiesConfig]:
    """The TopoJSON fixture's districts and counties of 2021."""
    path = FIXTURES / "authorities.topojson"
    return path, AuthoritiesConfig.model_validate(
        {
            "path": path,
            "crs": "EPSG:4326",
            "year": 2021,
            "layers": {"district": {"layer": "ltla"}, "county": {"layer": "cty"}},
        }
    )


def test_read_authorities_from_topojson() -> None:
    path, config = _fixture_districts_and_counties()
    current, every, notes = read_authorities(config, path)
    assert current["district"]["code"].tolist() == ["E07000132", "E07000134"]
    assert every["district"]["code"].tolist() == ["E07000132", "E07000134", "E07000999"]
    assert current["county"]["name"].tolist() == ["Leicestershire"]
    assert list(current["district"].columns) == ["code", "name", "geometry"]
    assert current["district"].crs.to_epsg() == 27700
    assert notes == []


def test_named_layers_are_read_without_listing_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # GDAL parses a whole TopoJSON file to list its layers: a layer named in the config is
    # read straight away, once.
    def refuse(path: Path) -> list[str]:
        raise AssertionError(f"{path} was listed")

    monkeypatch.setattr("clustergeo.ingest.boundaries.list_layers", refuse)
    opened: list[str] = []
    read_file = gpd.read_file

    def counted(*args: object, **kwargs: object) -> gpd.GeoDataFrame:
        opened.append(str(kwargs.get("layer")))
        return read_file(*args, **kwargs)

    monkeypatch.setattr("clustergeo.ingest.boundaries.gpd.read_file", counted)
    path, config = _fixture_districts_and_counties()
    current, _every, _notes = read_authorities(config, path)
    assert opened == ["ltla", "cty"]
    assert current["district"]["code"].tolist() == ["E07000132", "E07000134"]


def test_gzipped_authorities_file_is_filtered_by_year(tmp_path: Path) -> None:
    # An old district and its successor over the same ground, told apart by start and end.
    frame = gpd.GeoDataFrame(
        {
            "areacd": ["E07000151", HINCKLEY],
            "areanm": ["Old district", "Hinckley and Bosworth"],
            "start": [2000, 2021],
            "end": [2020, None],
        },
        geometry=[box(0, 0, 100, 100), box(0, 0, 100, 100)],
        crs="EPSG:27700",
    )
    plain = tmp_path / "ltla.geojson"
    frame.to_file(plain, driver="GeoJSON", engine="pyogrio")
    path = tmp_path / "ltla.geojson.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    config = AuthoritiesConfig.model_validate(
        {"path": path, "year": 2022, "layers": {"district": {"layer": "ltla"}}}
    )
    current, every, notes = read_authorities(config, path)
    assert current["district"]["code"].tolist() == [HINCKLEY]
    assert every["district"]["code"].tolist() == ["E07000151", HINCKLEY]
    assert notes == []


def test_read_authorities_code_prefix_and_no_year() -> None:
    path = FIXTURES / "authorities.topojson"
    config = AuthoritiesConfig.model_validate(
        {
            "path": path,
            "crs": "EPSG:4326",
            "layers": {"district": {"layer": "ltla", "code_prefix": "E0700013"}},
        }
    )
    current, every, _ = read_authorities(config, path)
    assert current["district"]["code"].tolist() == ["E07000132", "E07000134"]
    assert every["district"]["code"].tolist() == ["E07000132", "E07000134"]


def test_authorities_names_replace_the_files_for_their_codes() -> None:
    """A file that keeps an old name under a code (Sheffield City Region) is corrected."""
    path = FIXTURES / "authorities.topojson"
    config = AuthoritiesConfig.model_validate(
        {
            "path": path,
            "crs": "EPSG:4326",
            "layers": {"district": {"layer": "ltla", "code_prefix": "E0700013"}},
            "names": {"E07000134": "North West Leics"},
        }
    )
    current, every, _ = read_authorities(config, path)
    for frame in (current["district"], every["district"]):
        names = frame.set_index("code")["name"]
        assert names["E07000134"] == "North West Leics"
        assert names["E07000132"] == "Hinckley and Bosworth"


def test_authorities_names_for_a_code_no_authority_has_are_refused() -> None:
    path = FIXTURES / "authorities.topojson"
    config = AuthoritiesConfig.model_validate(
        {
            "path": path,
            "crs": "EPSG:4326",
            "layers": {"district": {"layer": "ltla", "code_prefix": "E0700013"}},
            "names": {"E47000099": "Typo"},
        }
    )
    with pytest.raises(InputDataError, match=r"authorities.names names E47000099, which no"):
        read_authorities(config, path)


def test_a_categorical_name_column_takes_the_tables_names() -> None:
    square = box(0, 0, 1000, 1000)
    districts = gpd.GeoDataFrame(
        {
            "code": ["E07000083", "E07000234"],
            "name": pd.Categorical(["North Gloucestershire", "Bromsgrove"]),
        },
        geometry=[square, square],
        crs="EPSG:27700",
    )
    renamed = named_as_the_table({"district": districts}, {"E07000083": "Tewkesbury"})
    assert renamed["district"]["name"].tolist() == ["Tewkesbury", "Bromsgrove"]


def test_a_code_prefix_matching_no_authority_is_named_with_the_prefixes_there() -> None:
    path = FIXTURES / "authorities.topojson"
    config = AuthoritiesConfig.model_validate(
        {
            "path": path,
            "crs": "EPSG:4326",
            "layers": {"district": {"layer": "ltla", "code_prefix": "E99"}},
        }
    )
    with pytest.raises(InputDataError, match="code_prefix 'E99'") as excinfo:
        read_authorities(config, path)
    assert "its codes start with E07" in str(excinfo.value)
    assert "authorities.layers.district.code_prefix" in str(excinfo.value)


def test_read_authorities_without_crs() -> None:
    path = FIXTURES / "authorities.topojson"
    config = AuthoritiesConfig.model_validate(
        {"path": path, "layers": {"county": {"layer": "cty"}}}
    )
    with pytest.raises(InputDataError, match="no coordinate reference system") as excinfo:
        read_authorities(config, path)
    assert "Authorities file (county layer)" in str(excinfo.value)


def _authorities_gpkg(tmp_path: Path, rows: list[tuple[str, str, tuple[float, ...]]]) -> Path:
    path = tmp_path / "authorities.gpkg"
    frame = gpd.GeoDataFrame(
        {"areacd": [r[0] for r in rows], "areanm": [r[1] for r in rows]},
        geometry=[box(*r[2]) for r in rows],
        crs="EPSG:27700",
    )
    frame.to_file(path, layer="ltla", driver="GPKG")
    return path


def test_overlapping_authorities_are_an_error_naming_both(tmp_path: Path) -> None:
    # An old district and the unitary that replaced it, both in the layer without a year.
    path = _authorities_gpkg(
        tmp_path,
        [
            ("E07000151", "Daventry", (0, 0, 100, 100)),
            ("E06000062", "West Northamptonshire", (0, 0, 300, 100)),
            (HINCKLEY, "Hinckley and Bosworth", (300, 0, 400, 100)),
        ],
    )
    config = AuthoritiesConfig.model_validate(
        {"path": path, "layers": {"district": {"layer": "ltla"}}}
    )
    with pytest.raises(InputDataError) as excinfo:
        read_authorities(config, path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "E07000151 and E06000062 (100% of the smaller)" in message
    assert "set authorities.year" in message


def test_sliver_overlaps_between_authorities_are_noted(tmp_path: Path) -> None:
    # Generalised neighbours overlapping by a 0.5 m strip (0.5% of the smaller).
    path = _authorities_gpkg(
        tmp_path,
        [
            (HINCKLEY, "Hinckley and Bosworth", (0, 0, 100.5, 100)),
            (NW_LEICS, "North West Leicestershire", (100, 0, 300, 100)),
        ],
    )
    config = AuthoritiesConfig.model_validate(
        {"path": path, "layers": {"district": {"layer": "ltla"}}}
    )
    current, _every, notes = read_authorities(config, path)
    assert len(current["district"]) == 2
    assert notes == [
        "1 pairs of district polygons in layer ltla overlap by slivers (generalised "
        "boundaries); areas are assigned by majority"
    ]
