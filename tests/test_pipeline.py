"""End to end: the synthetic demo through the CLI, and the real Midlands Census 2011 run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from clustergeo import load_config
from clustergeo.cli import main
from clustergeo.industries import read_cluster_definitions
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from clustergeo.stages.runner import run_stages
from conftest import demo_config as _demo_config

REPO = Path(__file__).resolve().parents[1]
PLANTED_CLUSTER_DEFINITION = {"C": "manufacturing", "H": "logistics", "J": "digital_ict"}


def test_demo_writes_geopackage_version_1_2_with_all_layers(demo_run: RunPaths) -> None:
    layers = dict(pyogrio.list_layers(demo_run[r.GEOPACKAGE]))
    assert set(layers) == {
        "areas_lq",
        "district_lq",
        "lq",
        "hotspots_areas",
        "hotspots",
        "clusters",
        "cluster_extents",
        "cluster_authorities",
        "global_statistics",
        "anchor_sites",
        "site_footprints",
        "site_authorities",
        "site_clusters",
        "places",
        "authority_summaries",
        "grid_clusters",
        "maup",
        "circular_findings",
        "circular_zones",
        "circular_streams",
        "circular_zone_authorities",
        "circular_colocation",
        "layer_styles",
        "district",
        "county",
        "combined_authority",
        "region",
    }
    assert layers["lq"] is None  # an attribute table
    assert layers["places"] == "Point"  # the principal places named on the findings map
    assert layers["hotspots"] is None
    areas = gpd.read_file(demo_run[r.GEOPACKAGE], layer="areas_lq")
    assert len(areas) == 1500
    assert areas.crs.to_epsg() == 27700
    assert {"manufacturing_lq", "manufacturing_unreliable", "lq_c", "district_name"} <= set(
        areas.columns
    )
    with sqlite3.connect(demo_run[r.GEOPACKAGE]) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200


def test_demo_outputs_say_synthetic(demo_run: RunPaths) -> None:
    metadata = pyogrio.read_info(demo_run[r.GEOPACKAGE], layer="areas_lq")["dataset_metadata"]
    assert "synthetic demo data" in metadata["TITLE"]
    assert metadata["SYNTHETIC"] == "synthetic demo data"
    provenance = json.loads(demo_run[r.PROVENANCE].read_text(encoding="utf-8"))
    assert provenance["synthetic"] is True
    assert provenance["label"] == "synthetic demo data"
    assert all(len(entry["sha256"]) == 64 for entry in provenance["inputs"].values())
    assert provenance["employment_basis"] == "workplace"


def test_demo_draws_one_print_quality_map_per_cluster_definition(demo_run: RunPaths) -> None:
    definitions = [d.key for d in read_cluster_definitions("sections")]
    for key in definitions:
        png = demo_run[r.FIGURES] / f"lq_{key}.png"
        assert png.exists()
        assert (demo_run[r.FIGURES] / f"lq_{key}.svg").exists()
        with Image.open(png) as image:
            assert image.info["dpi"] == pytest.approx((300, 300), abs=0.5)
            assert image.width >= 1800
    svg = (demo_run[r.FIGURES] / "lq_manufacturing.svg").read_text(encoding="utf-8")
    assert "synthetic demo data" in svg


def test_planted_clusters_stand_out_in_their_lq(demo_run: RunPaths) -> None:
    truth = pd.read_csv(demo_run.root.parent / "raw" / "truth.csv")
    lq = pd.read_parquet(demo_run[r.LQ])
    for section, group in truth.groupby("industry_code"):
        key = PLANTED_CLUSTER_DEFINITION[section]
        planted = lq.loc[(lq["industry_code"] == key) & lq["area_code"].isin(group["area_code"])]
        assert len(planted) == len(group)
        assert planted["lq"].median() > 2.0
        assert (planted["lq_lower"] > 1).mean() > 0.9


def test_planted_clusters_are_recovered_as_clusters(demo_run: RunPaths) -> None:
    truth = pd.read_csv(demo_run.root.parent / "raw" / "truth.csv", dtype=str)
    members = pd.read_parquet(demo_run[r.CLUSTER_MEMBERS])
    clusters = pd.read_parquet(demo_run[r.CLUSTERS]).set_index("cluster_id")
    members["industry_code"] = members["cluster_id"].map(clusters["industry_code"])
    # The cores of clusters: the specialised areas, not the hot areas around them.
    members = members.loc[
        (members["part"] == "core") & (members["cluster_id"].map(clusters["kind"]) == "cluster")
    ]
    for section, key in PLANTED_CLUSTER_DEFINITION.items():
        planted = set(truth.loc[truth["industry_code"] == section, "area_code"])
        found = set(members.loc[members["industry_code"] == key, "area_code"])
        recall = len(planted & found) / len(planted)
        precision = len(planted & found) / len(found)
        assert recall >= 0.9, (key, recall)
        assert precision >= 0.8, (key, precision)


def test_planted_clusters_get_their_governance_flags(demo_run: RunPaths) -> None:
    summary = pd.read_csv(demo_run.root.parent / "raw" / "truth_summary.csv", dtype=str)
    truth = pd.read_csv(demo_run.root.parent / "raw" / "truth.csv", dtype=str)
    governed = gpd.read_parquet(demo_run[r.GOVERNED_CLUSTERS])
    for row in summary.itertuples():
        key = PLANTED_CLUSTER_DEFINITION[row.industry_code]
        planted = set(truth.loc[truth["cluster_name"] == row.cluster_name, "area_code"])
        mine = governed.loc[(governed["industry_code"] == key) & (governed["kind"] == "cluster")]
        # The cluster holding most of the planted areas.
        overlap = mine["member_codes"].str.split(";").map(planted.intersection).map(len)
        cluster = mine.loc[overlap.idxmax()]
        flags = set(str(row.expected_flags).split(";"))
        assert cluster["straddles_districts"] == ("straddles_districts" in flags)
        assert cluster["straddles_counties"] == ("straddles_counties" in flags)
        if "outside_any_ca" in flags:
            assert cluster["ca_status"] == "outside_any_ca"
        if "partly_outside_ca" in flags:
            assert cluster["ca_status"] == "partly_outside_ca"
        if "single_authority" in flags:
            assert cluster["single_district"]
            assert cluster["ca_status"] == "within_one_ca"
    # The MIRA-like planted cluster: across a county line, outside any combined authority.
    manufacturing = governed.loc[
        (governed["industry_code"] == "manufacturing") & (governed["kind"] == "cluster")
    ]
    assert len(manufacturing) == 1
    mira = manufacturing.iloc[0]
    assert mira["straddles_counties"]
    assert mira["extent_straddles_counties"]
    assert mira["ca_status"] == "outside_any_ca"


def test_planted_single_plant_is_found_as_a_concentration_in_its_authorities(
    demo_run: RunPaths,
) -> None:
    plant = pd.read_csv(demo_run.root.parent / "raw" / "truth_concentrations.csv", dtype=str).iloc[
        0
    ]
    governed = gpd.read_parquet(demo_run[r.GOVERNED_CLUSTERS])
    mine = governed.loc[governed["member_codes"].str.split(";").map(lambda c: plant.area_code in c)]
    mine = mine.loc[mine["industry_code"] == PLANTED_CLUSTER_DEFINITION[plant.industry_code]]
    assert len(mine) == 1
    found = mine.iloc[0]
    assert found["kind"] == "concentration"
    assert found["cluster_id"] == f"manufacturing-{plant.area_code}"
    assert found["member_codes"] == plant.area_code
    assert found["lq"] > 3
    # Gi* does not see it: the plant's neighbourhood is average.
    hot = pd.read_parquet(demo_run[r.HOTSPOTS]).astype({"area_code": str, "industry_code": str})
    row = hot.loc[(hot["area_code"] == plant.area_code) & (hot["industry_code"] == "manufacturing")]
    assert row["gi_star_class"].astype(str).item() == "not_significant"
    # Placed in its district and county, and in no combined authority like its district.
    links = pd.read_parquet(demo_run[r.CLUSTER_AUTHORITIES])
    own = links.loc[(links["cluster_id"] == found["cluster_id"]) & (links["part"] == "core")]
    district = own.loc[own["tier"] == "district"]
    assert district["authority_code"].tolist() == [plant.district_code]
    assert district["employment_share"].item() == 1.0
    assert found["single_district"]
    assert found["ca_status"] == (
        "outside_any_ca" if pd.isna(plant.combined_authority_code) else "within_one_ca"
    )


def test_demo_sites_sit_in_their_planted_clusters(demo_run: RunPaths) -> None:
    sites = gpd.read_parquet(demo_run[r.SITES]).set_index("site_key")
    nearby = pd.read_parquet(demo_run[r.SITE_CLUSTERS])
    assert sites.loc["mira_like_park", "straddles_counties"]
    assert sites.loc["mira_like_park", "ca_status"] == "outside_any_ca"
    assert sites.loc["crosses_ca_edge_park", "ca_status"] == "partly_outside_ca"
    matched = nearby.loc[nearby["sector_match"] & (nearby["relation"] == "in")]
    assert set(matched["site_key"]) == set(sites.index)
    summaries = demo_run[r.AUTHORITY_SUMMARIES_MD].read_text(encoding="utf-8")
    assert "synthetic demo data" in summaries
    assert "lies outside" in summaries


def test_planted_clusters_are_hot_spots(demo_run: RunPaths) -> None:
    truth = pd.read_csv(demo_run.root.parent / "raw" / "truth.csv")
    hot = pd.read_parquet(demo_run[r.HOTSPOTS])
    for section, group in truth.groupby("industry_code"):
        key = PLANTED_CLUSTER_DEFINITION[section]
        planted = hot.loc[(hot["industry_code"] == key) & hot["area_code"].isin(group["area_code"])]
        assert planted["gi_star_class"].str.startswith("hot").mean() >= 0.9
    figure = demo_run[r.FIGURES] / "hotspots_manufacturing.png"
    assert figure.exists()


def test_rerun_gives_identical_numbers(demo_run: RunPaths) -> None:
    before = pd.read_parquet(demo_run[r.LQ])
    config_path = demo_run.root.parent / "demo.yaml"
    result = CliRunner().invoke(main, ["-q", "concentration", str(config_path)])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(before, pd.read_parquet(demo_run[r.LQ]))


def test_cli_reports_input_errors_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\noutput_dir: out\nareas: {path: a.gpkg}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "missing required key 'areas.code_column'" in result.output


def test_cli_help_lists_every_stage() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "concentration", "hotspots", "publish", "run", "demo", "check"):
        assert command in result.output


@pytest.mark.realdata
def test_real_midlands_census_run(shared_data: Path, tmp_path: Path) -> None:
    config = load_config(REPO / "pipelines" / "midlands-census2011.yaml")
    config = config.model_copy(update={"output_dir": tmp_path / "midlands"})
    run_stages(config)
    paths = RunPaths.for_config(config)

    areas = gpd.read_parquet(paths[r.AREAS])
    assert len(areas) == 1308
    assert areas["district_code"].notna().all()
    assert set(areas["region_name"]) == {"East Midlands", "West Midlands"}
    # MIRA Technology Park's districts: two counties, no combined authority.
    mira = areas.loc[areas["district_code"].isin(["E07000132", "E07000219", "E07000218"])]
    assert set(mira["county_name"]) == {"Leicestershire", "Warwickshire"}
    assert mira["combined_authority_code"].isna().all()
    coventry = areas.loc[areas["district_code"] == "E08000026"]
    assert set(coventry["combined_authority_name"]) == {"West Midlands"}

    report = json.loads(paths[r.INGEST_REPORT].read_text(encoding="utf-8"))
    assert report["counts"]["suppressed_cells"] == 0
    # The table covers England and Wales; the boundaries, the Midlands: the areas stage says so.
    areas_report = json.loads(paths[r.AREAS_REPORT].read_text(encoding="utf-8"))
    assert any("5893 areas" in note for note in areas_report["notes"])

    lq = pd.read_parquet(paths[r.LQ])
    assert len(lq.loc[lq["kind"] == "industry"]) == 1308 * 20
    # National reference: manufacturing share of England and Wales' workplace population.
    share = lq.loc[lq["industry_code"] == "C", "reference_share"].iloc[0]
    assert share == pytest.approx(2_358_805 / 26_414_207, rel=1e-6)
    districts = pd.read_parquet(paths[r.DISTRICT_LQ])
    # Districts are today's: Corby's steel-town manufacturing now sits in North Northamptonshire.
    assert "E07000150" not in set(districts["district_code"])
    north_northants = districts.loc[
        (districts["district_code"] == "E06000061")
        & (districts["industry_code"] == "manufacturing")
    ]
    assert north_northants["lq"].item() > 1.5
    assert layers_of(paths[r.GEOPACKAGE]) >= {"areas_lq", "district_lq", "county", "clusters"}

    # MIRA Technology Park's 2 km footprint on the real boundaries: two districts and a
    # third touched, two counties, no combined authority.
    sites = gpd.read_parquet(paths[r.SITES]).set_index("site_key")
    mira = sites.loc["mira_technology_park"]
    assert mira["status"] == "inside_study_area"
    # By the jobs in it: North Warwickshire holds under 5%, so it touches the footprint.
    assert mira["districts"] == "Hinckley and Bosworth; Nuneaton and Bedworth"
    assert mira["touches"].startswith("North Warwickshire (district)")
    assert mira["share_basis"] == "employment"
    assert mira["straddles_counties"]
    assert mira["ca_status"] == "outside_any_ca"
    links = pd.read_parquet(paths[r.SITE_AUTHORITIES])
    counties = links.loc[
        (links["site_key"] == "mira_technology_park") & (links["tier"] == "upper_tier")
    ]
    assert set(counties["authority_name"]) == {"Leicestershire", "Warwickshire"}
    assert counties["area_km2_share"].sum() == pytest.approx(1.0)
    assert (sites["status"] == "inside_study_area").all()
    # Cross-boundary clusters are listed with their authorities and employment shares.
    governed = gpd.read_parquet(paths[r.GOVERNED_CLUSTERS])
    straddling = governed.loc[governed["straddles_counties"]]
    assert len(straddling) >= 3
    shares = pd.read_parquet(paths[r.CLUSTER_AUTHORITIES])
    for part in ("core", "extent"):
        mine = shares.loc[(shares["tier"] == "district") & (shares["part"] == part)]
        assert mine.groupby("cluster_id")["employment_share"].sum().to_numpy() == pytest.approx(1.0)
    _check_midlands_findings(governed, sites, pd.read_parquet(paths[r.GLOBAL_STATISTICS]))
    _check_midlands_names(governed, paths[r.REPORT_MD].read_text(encoding="utf-8"))


def _check_midlands_names(governed: gpd.GeoDataFrame, report: str) -> None:
    """Every finding has a name of its own, and the report names industries as its tables do."""
    # Leicester's three manufacturing findings are told apart by where they lie in the city.
    assert governed["name"].is_unique
    leicester = governed.loc[governed["name"].str.startswith("Manufacturing: Leicester"), "name"]
    assert len(leicester) == 3
    assert all(", " in name for name in leicester)
    assert "so their findings are left out: Construction (2 findings)." in report


def _check_midlands_findings(
    governed: gpd.GeoDataFrame, sites: pd.DataFrame, overall: pd.DataFrame
) -> None:
    """What a Midlands economist knows is there is found, and placed on its authorities."""
    manufacturing = governed.loc[governed["industry_code"] == "manufacturing"]
    members = set(";".join(manufacturing["member_codes"]).split(";"))
    # Jaguar Land Rover Solihull, Rolls-Royce Derby and Toyota Burnaston: single plants.
    for code in ("E02002091", "E02002824", "E02004118"):
        assert code in members, code
    jlr = governed.set_index("cluster_id").loc["manufacturing-E02002091"]
    assert jlr["kind"] == "concentration"
    assert jlr["districts"] == "Solihull"
    assert jlr["ca_status"] == "within_one_ca"
    toyota = governed.set_index("cluster_id").loc["manufacturing-E02004118"]
    assert toyota["districts"] == "South Derbyshire"
    # The logistics clusters around East Midlands Airport and on the M1/M6, and the Black
    # Country's manufacturing, are still clusters.
    clusters = governed.loc[governed["kind"] == "cluster"]
    names = set(clusters["name"])
    assert "Transport and storage: North West Leicestershire / Erewash" in names
    assert "Transport and storage: North Warwickshire / Tamworth" in names
    assert "Manufacturing: Dudley / Sandwell" in names
    # The ICT span from Warwick to Redditch keeps its whole extent.
    ict = clusters.loc[clusters["industry_code"] == "digital_ict"].set_index("cluster_id")
    assert ict["extent_n_units"].max() >= 20
    # A sliver over a county line is a touch, not a straddle.
    for key in ("smartparc_segro_derby", "digital_stoke"):
        assert not sites.loc[key, "straddles_counties"], key
        assert sites.loc[key, "touches"], key
    assert sites.loc["mira_technology_park", "straddles_counties"]
    # Construction is local-serving: not reported as an industrial cluster.
    assert "construction" not in set(governed["industry_code"])
    assert governed["strength"].is_monotonic_decreasing
    assert set(overall["pattern"]) <= {"clustered", "dispersed", "random", "not_tested"}
    assert overall.set_index("industry_code").loc["manufacturing", "pattern"] == "clustered"


def layers_of(path: Path) -> set[str]:
    return {str(name) for name in pyogrio.list_layers(path)[:, 0]}


@pytest.mark.realdata
def test_study_area_with_edge_buffer(shared_data: Path, tmp_path: Path) -> None:
    """Leicestershire and Warwickshire, MIRA's counties, with a 10 km ring of neighbours."""
    data = yaml.safe_load((REPO / "pipelines/midlands-census2011.yaml").read_text("utf-8"))
    data["output_dir"] = str(tmp_path / "out")
    data["data_dir"] = str(shared_data)
    data["industries"]["cluster_definitions"] = "sections"
    data["study_area"] = {"tier": "county", "codes": ["E10000018", "E10000031"], "buffer_km": 10}
    data["hotspots"] = {"permutations": 99, "max_permutations": 0}
    config_path = tmp_path / "counties.yaml"
    config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(config_path)
    run_stages(config, ["hotspots"])
    paths = RunPaths.for_config(config)
    areas = gpd.read_parquet(paths[r.AREAS])
    study = areas.loc[areas["in_study_area"]]
    ring = areas.loc[~areas["in_study_area"]]
    assert set(study["county_code"]) == {"E10000018", "E10000031"}
    assert len(ring) > 0
    assert not ring["county_code"].isin(["E10000018", "E10000031"]).any()
    hot = pd.read_parquet(paths[r.HOTSPOTS])
    assert set(hot["area_code"]) == set(study["area_code"])
    report = json.loads(paths[r.HOTSPOTS_REPORT].read_text(encoding="utf-8"))
    assert report["statistics"]["edge_buffer_areas"] == len(ring)
    # The study-area reference uses the study area alone, not its buffer.
    lq = pd.read_parquet(paths[r.LQ])
    assert set(lq.loc[lq["in_study_area"], "area_code"]) == set(study["area_code"])


def test_unknown_study_area_code_is_named(tmp_path: Path) -> None:
    config_path = _demo_config(tmp_path)
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["study_area"] = {"tier": "county", "codes": ["X10009999"]}
    config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["-q", "demo-data", str(tmp_path / "raw")]).exit_code == 0
    result = runner.invoke(main, ["areas", str(config_path)])
    assert result.exit_code == 2
    assert "X10009999" in result.output
    assert "study_area.codes" in result.output


def test_straddling_command_lists_cross_boundary_clusters(demo_run: RunPaths) -> None:
    config_path = demo_run.root.parent / "demo.yaml"
    result = CliRunner().invoke(main, ["-q", "straddling", str(config_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "2 findings straddle district boundaries by core or extent (2 by the core itself)."
    )
    assert lines[1].startswith("| Finding | Kind | Employment | LQ | Districts |")
    assert "Manufacturing: " in result.output
    assert "outside any" in result.output


def test_straddling_command_before_a_run_says_what_to_do(tmp_path: Path) -> None:
    config_path = _demo_config(tmp_path)
    result = CliRunner().invoke(main, ["straddling", str(config_path)])
    assert result.exit_code == 2
    assert "run `clustergeo run" in result.output


def test_own_lq_condition_keeps_the_halo_out_of_planted_clusters(demo_run: RunPaths) -> None:
    """Gi* hot spots alone take in unspecialised neighbours; the LQ condition drops them."""
    from clustergeo.clusters.delineate import candidate_members
    from clustergeo.config import ClustersConfig

    truth = pd.read_csv(demo_run.root.parent / "raw" / "truth.csv", dtype=str)
    hot = pd.read_parquet(demo_run[r.HOTSPOTS]).astype({"area_code": str, "industry_code": str})
    lq = pd.read_parquet(demo_run[r.LQ], columns=["area_code", "industry_code", "lq", "lq_lower"])
    table = hot.merge(lq, on=["area_code", "industry_code"])
    for section, key in PLANTED_CLUSTER_DEFINITION.items():
        planted = set(truth.loc[truth["industry_code"] == section, "area_code"])
        rows = table.loc[table["industry_code"] == key]
        precision = {}
        for min_lq in (0.0, 1.25):
            core = candidate_members(rows, ClustersConfig(min_lq=min_lq))
            chosen = rows.loc[core, "area_code"]
            precision[min_lq] = len(planted & set(chosen)) / len(chosen)
            assert planted <= set(chosen)
        assert precision[0.0] <= 0.75
        assert precision[1.25] >= 0.9


def test_planted_clusters_appear_on_the_employment_grid(demo_run: RunPaths) -> None:
    """Seen on a 1 km grid instead of the areas, the planted clusters are still there."""
    truth = pd.read_csv(demo_run.root.parent / "raw" / "truth.csv", dtype=str)
    areas = gpd.read_parquet(demo_run[r.AREAS]).set_index("area_code")
    grid = gpd.read_parquet(demo_run[r.GRID_CLUSTERS])
    maup = pd.read_parquet(demo_run[r.MAUP])
    for section, key in PLANTED_CLUSTER_DEFINITION.items():
        planted = areas.loc[truth.loc[truth["industry_code"] == section, "area_code"]]
        outline = planted.union_all()
        mine = grid.loc[grid["industry_code"] == key]
        overlap = mine.intersection(outline).area / outline.area
        assert overlap.max() > 0.5, key
        compared = maup.loc[
            (maup["industry_code"] == key) & (maup["stability"] != "concentration")
        ].dropna(subset=["area_cluster_id"])
        assert set(compared["stability"]) <= {"stable", "shifted"}, key
    # The MIRA-like cluster still straddles counties, outside any combined authority.
    manufacturing = grid.loc[grid["industry_code"] == "manufacturing"]
    mira = manufacturing.loc[manufacturing["employment"].idxmax()]
    assert mira["straddles_counties"]
    assert mira["ca_status"] == "outside_any_ca"
    report = json.loads(demo_run[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    assert report["configured"]
    assert report["grid"]["cells_in_study_area"] > 8_000  # the region is about 9,000 km2


@pytest.mark.realdata
def test_rutland_employment_is_spread_over_osm_land_and_conserved(rutland_run: RunPaths) -> None:
    import rasterio

    report = json.loads(rutland_run[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    assert report["land_polygons"] == 27
    assert report["cell_m"] == 250
    lq = pd.read_parquet(rutland_run[r.LQ])
    study = lq.loc[lq["in_study_area"] & (lq["kind"] == "cluster")]
    expected = study.groupby("industry_code")["employment"].sum()
    with rasterio.open(rutland_run[r.SURFACE_TIF]) as tif:
        assert tif.crs.to_epsg() == 27700
        assert tif.res == (250.0, 250.0)
        names = list(tif.descriptions)
        totals = {name: float(tif.read(i + 1, masked=True).sum()) for i, name in enumerate(names)}
        assert tif.profile["tiled"]
        assert tif.overviews(1)
    assert set(names) == set(expected.index)
    for name, total in totals.items():
        assert total == pytest.approx(expected[name], rel=1e-9), name
    # Every Rutland MSOA has mapped employment land, so none falls back to its whole area.
    assert report["allocation"]["fallback_areas"] == []
    assert pd.read_parquet(rutland_run[r.MAUP]).shape[0] >= 1


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_straddling_refuses_a_limit_below_one(tmp_path: Path, limit: str) -> None:
    result = CliRunner().invoke(main, ["straddling", str(_demo_config(tmp_path)), "--limit", limit])
    assert result.exit_code == 2
    assert "Invalid value for '--limit'" in result.output
