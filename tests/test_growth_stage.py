"""The growth stage on a run without polygons: a tiny multi-year table, then the real NUTS2 BRES.

Growth rates are recomputed by hand from the input file the run read, not from its
intermediates, so a slip anywhere between reading and writing shows.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from clustergeo._errors import ClusterGeoError
from clustergeo.config import load_config
from clustergeo.stages import registry as r
from clustergeo.stages.intermediates import read_floor_limits
from clustergeo.stages.paths import RunPaths
from clustergeo.stages.runner import run_stages
from conftest import square_grid

REPO = Path(__file__).resolve().parents[1]

# Areas x sections x years, jobs: a made-up table with round numbers.
JOBS = {
    ("E06000001", "C"): (400, 440, 484),
    ("E06000001", "F"): (100, 90, 81),
    ("E06000001", "J"): (50, 60, 75),
    ("E06000002", "C"): (300, 300, 330),
    ("E06000002", "F"): (200, 210, 250),
    ("E06000002", "J"): (0, 20, 40),
    ("E06000003", "C"): (150, 165, 180),
    ("E06000003", "F"): (250, 240, 230),
    ("E06000003", "J"): (120, 150, 200),
}
YEARS = (2019, 2020, 2021)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"area": area, "sic": sic, "year": year, "jobs": value}
            for (area, sic), values in JOBS.items()
            for year, value in zip(YEARS, values, strict=True)
        ]
    )


def _write_run(tmp_path: Path, table: pd.DataFrame, **overrides: Any) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    table.to_csv(raw / "jobs.csv", index=False)
    config: dict[str, Any] = {
        "name": "tiny-growth",
        "data_dir": "raw",
        "output_dir": "out",
        "employment": {
            "path": "jobs.csv",
            "format": "long",
            "columns": {"area": "area", "industry": "sic", "value": "jobs", "year": "year"},
            "measure": "employees",
            "basis": "workplace",
        },
        "industries": {"cluster_definitions": "sections"},
        "concentration": {"reference": "employment_file"},
        "growth": {"shift_share": {"method": "esteban_marquillas"}},
    }
    for key, value in overrides.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _assert_the_parts_add_up(tables: str) -> None:
    """Every part of the shift-share split is shown, and each row's parts add up to its change."""
    header, *rows = [line for line in tables.splitlines() if line.startswith("| ")]
    rows = [row for row in rows if row != header]  # the losses' table has its own header
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns[-4:] == [
        "National share",
        "Industry mix",
        "Competitive effect",
        "Allocation effect",
    ]
    added = 0
    for row in rows:
        cells = dict(zip(columns, (c.strip() for c in row.strip("|").split("|")), strict=True))
        if "–" in [cells[c] for c in columns[-4:]]:
            continue  # growth from nothing has no rate to split by
        parts = [float(cells[c].replace(",", "")) for c in columns[-4:]]
        assert sum(parts) == pytest.approx(float(cells["Change"].replace(",", "")), abs=2)
        added += 1
    assert added


def test_a_run_without_polygons_writes_lqs_growth_and_a_report(tmp_path: Path) -> None:
    config = load_config(_write_run(tmp_path, _table()))
    outcomes = {o.name: o for o in run_stages(config)}
    spatial = ("areas", "hotspots", "clusters", "governance", "surface")
    for name in spatial:
        assert outcomes[name].status == "not_applicable"
        assert "no boundaries" in outcomes[name].reason
    assert {outcomes[n].status for n in ("ingest", "concentration", "growth", "publish")} == {"ran"}
    paths = RunPaths.for_config(config)
    assert not paths[r.GEOPACKAGE].exists()
    assert not paths[r.QGIS_PROJECT].exists()
    assert not paths[r.AREAS].exists()

    lq = pd.read_parquet(paths[r.LQ_BY_YEAR])
    assert sorted(lq["year"].unique()) == list(YEARS)
    # LQ of area 1 in C, 2021, by hand: (484 / 640) / (994 / 1870).
    one = lq.loc[(lq["area_code"] == "E06000001") & (lq["industry_code"] == "C")]
    assert one.set_index("year").loc[2021, "lq"] == pytest.approx(
        (484 / 640) / (994 / 1870), abs=1e-12
    )

    growth = pd.read_csv(paths[r.GROWTH_CSV], dtype={"area_code": str, "industry_code": str})
    for column in ("area_code", "industry_code", "start_year", "end_year", "start_value"):
        assert column in growth.columns
    industries = growth.loc[growth["kind"] == "industry"].set_index(["area_code", "industry_code"])
    for (area, sic), values in JOBS.items():
        row = industries.loc[(area, sic)]
        assert (row["start_year"], row["end_year"]) == (2019, 2021)
        if values[0] > 0:
            assert row["cagr"] == pytest.approx((values[2] / values[0]) ** 0.5 - 1, abs=1e-9)
        else:
            assert np.isnan(row["cagr"])
            assert row["growth_note"] == "starts at zero"

    shares = pd.read_csv(paths[r.SHIFT_SHARE_CSV])
    summed = shares["national_share"] + shares["industry_mix"] + shares["competitive_share"]
    np.testing.assert_allclose(summed, shares["change"], rtol=0, atol=1e-9)
    total = [sum(values[i] for values in JOBS.values()) for i in (0, 2)]
    assert shares["reference_growth"].iloc[0] == pytest.approx(total[1] / total[0] - 1)

    index = pd.read_csv(paths[r.GROWTH_INDEX_CSV], dtype={"area_code": str})
    j1 = index.loc[(index["area_code"] == "E06000001") & (index["industry_code"] == "J")]
    assert list(j1.sort_values("year")["index"]) == pytest.approx([100.0, 120.0, 150.0])

    report = paths[r.REPORT_MD].read_text(encoding="utf-8")
    assert "This run has no boundaries" in report
    # Said once: the stages that need boundaries are listed without the reason again.
    assert "Stages not applicable: areas, hotspots, clusters, governance, surface" in report
    assert report.count("no 'areas' section") + report.count("no `areas` section") == 1
    assert "Change over time, 2019–2021" in report
    # Construction (F) is local-serving: its changes are left out of the tables, and said so.
    tables = report.split("The largest gains among the cluster definitions")[1].split("## ")[0]
    assert tables.startswith(
        " (local-serving industries, which follow where people live, left out: Construction):"
    )
    assert "| Construction |" not in tables
    _assert_the_parts_add_up(tables)
    assert "growth/shift_share.csv" in report
    # The report of a run without maps is printed to PDF too.
    assert paths[r.REPORT_PDF].read_bytes().startswith(b"%PDF-")


def test_adding_boundaries_later_does_not_read_the_table_again(tmp_path: Path) -> None:
    config = load_config(_write_run(tmp_path, _table()))
    run_stages(config, ["concentration"])
    grid = square_grid(3, 1)
    grid["area_code"] = list(dict.fromkeys(area for area, _ in JOBS))
    grid.to_file(tmp_path / "raw" / "areas.gpkg", layer="areas", engine="pyogrio")
    path = _write_run(tmp_path, _table(), areas={"path": "areas.gpkg", "code_column": "area_code"})
    outcomes = {o.name: o.status for o in run_stages(load_config(path), ["concentration"])}
    assert outcomes["ingest"] == "skipped"
    assert outcomes["areas"] == "ran"


def test_growth_of_a_table_of_one_year_stops(tmp_path: Path) -> None:
    table = _table()
    config = load_config(_write_run(tmp_path, table.loc[table["year"] == 2021]))
    with pytest.raises(ClusterGeoError, match=r"compares years, but employment file .*jobs.csv"):
        run_stages(config, ["growth"])


def test_a_year_with_no_values_at_all_is_named_with_the_table(tmp_path: Path) -> None:
    """Every value of 2020 blank: the message names the year and the file, and the fix."""
    table = _table().astype({"jobs": "object"})
    table.loc[table["year"] == 2020, "jobs"] = ""
    config = load_config(_write_run(tmp_path, table))
    with pytest.raises(
        ClusterGeoError, match=r"no employment of 2020 in .*jobs.csv.*Fill in the values of 2020"
    ):
        run_stages(config, ["concentration"])
    # With a published total for each area, the blank industries are caught all the same.
    totals = table.groupby(["area", "year"], as_index=False)["jobs"].first()
    totals = totals.assign(sic="Total", jobs=1000)
    (tmp_path / "totals").mkdir()
    config = load_config(_write_run(tmp_path / "totals", pd.concat([table, totals])))
    with pytest.raises(ClusterGeoError, match=r"no employment of 2020 in .*jobs.csv"):
        run_stages(config, ["concentration"])


def test_a_base_year_not_in_the_table_stops(tmp_path: Path) -> None:
    config = load_config(_write_run(tmp_path, _table(), growth={"base_year": 2015}))
    with pytest.raises(ClusterGeoError, match=r"growth.base_year 2015 not in .* 2019–2021"):
        run_stages(config, ["growth"])


def test_a_base_year_after_the_end_year_is_a_config_error(tmp_path: Path) -> None:
    path = _write_run(tmp_path, _table(), growth={"base_year": 2021, "end_year": 2019})
    with pytest.raises(ClusterGeoError, match="base_year 2021 is not before end_year 2019"):
        load_config(path)


def test_spatial_sections_without_boundaries_are_a_config_error(tmp_path: Path) -> None:
    path = _write_run(tmp_path, _table(), surface={"cell_m": 1000})
    with pytest.raises(ClusterGeoError, match="surface needs the areas' boundaries"):
        load_config(path)


def test_the_shipped_nuts2_pipeline_on_the_real_bres(shared_data: Path, tmp_path: Path) -> None:
    """``pipelines/gb-nuts2-bres-sic4.yaml`` reads the Nesta BRES files as shipped (no polygons).

    A group of regions' CAGR for one class is recomputed from the gzip files themselves.
    """
    config = load_config(REPO / "pipelines" / "gb-nuts2-bres-sic4.yaml")
    config = config.model_copy(update={"output_dir": tmp_path / "out"})
    outcomes = {o.name: o.status for o in run_stages(config, ["growth"])}
    assert outcomes["hotspots"] == "not_applicable"
    paths = RunPaths.for_config(config)
    growth = pd.read_parquet(paths[r.GROWTH])
    assert (growth["start_year"].unique(), growth["end_year"].unique()) == ([2015], [2018])
    source = shared_data / "bres_nuts2_sic4_2015_2018"

    def raw(year: int, areas: list[str], sic: str) -> float:
        with gzip.open(source / f"nomis_BRES_{year}_TYPE450.csv.gz", "rt") as handle:
            table = pd.read_csv(handle, dtype={"SIC4": str, "geo_cd": str})
        return float(table.loc[table["geo_cd"].isin(areas) & (table["SIC4"] == sic), "value"].sum())

    # West Midlands (UKG3) and Shropshire and Staffordshire (UKG2), class 2341 (ceramic
    # household goods): the sum of the two regions, start and end.
    group, sic = ["UKG2", "UKG3"], "2341"
    values = [raw(year, group, sic) for year in (2015, 2018)]
    rows = growth.loc[(growth["area_code"].isin(group)) & (growth["industry_code"] == sic)]
    assert len(rows) == 2
    start, end = float(rows["start_value"].sum()), float(rows["end_value"].sum())
    assert (start, end) == (values[0], values[1])
    assert (end / start) ** (1 / 3) - 1 == pytest.approx(
        (values[1] / values[0]) ** (1 / 3) - 1, abs=1e-9
    )
    one = rows.set_index("area_code").loc["UKG2"]
    assert one["cagr"] == pytest.approx((one["end_value"] / one["start_value"]) ** (1 / 3) - 1)
    assert len(pd.read_parquet(paths[r.LQ_BY_YEAR])["year"].unique()) == 4


def test_the_shipped_district_gva_pipeline_finds_emerging_hot_spots(
    shared_data: Path, tmp_path: Path
) -> None:
    """``pipelines/uk-lad-gva.yaml``: ONS GVA on the 2023 districts, 1998-2023, as shipped.

    Every district x section gets an emerging-hot-spot category; Stoke-on-Trent's information
    and communication share of 2023 GVA is the 12.25% the table gives (£860m of £7,020m).
    """
    config = load_config(REPO / "pipelines" / "uk-lad-gva.yaml")
    config = config.model_copy(update={"output_dir": tmp_path / "out"})
    run_stages(config, ["growth"])
    paths = RunPaths.for_config(config)
    areas = pd.read_parquet(paths[r.AREAS], columns=["area_code", "area_name"])
    assert len(areas) == 361
    # The table's 2023 codes for Glasgow City and North Lanarkshire meet the TopoJSON's.
    assert {"S12000044", "S12000046"} <= set(areas["area_code"])
    assert areas.set_index("area_code").loc["E06000021", "area_name"] == "Stoke-on-Trent"
    emerging = pd.read_parquet(paths[r.EMERGING])
    sections = emerging.loc[emerging["kind"] == "industry"]
    assert sections.groupby("industry_code")["area_code"].nunique().eq(361).all()
    assert sections["years_tested"].max() == 26
    assert {"persistent_hot_spot", "intensifying_hot_spot"} <= set(sections["category"])
    source = shared_data / "ons_rgva_lad_by_industry"
    table = pd.read_csv(source / "rgva_lad_currentprices_gbp_m_release2025_1998_2023.csv")
    stoke = table.loc[table["LAD_code"] == "E06000021"].set_index("SIC07_code")["2023"]
    assert (stoke["J (58-63)"], stoke["Total"]) == (860.0, 7020.0)
    uk = table.groupby("SIC07_code")["2023"].sum()
    lq = pd.read_parquet(paths[r.LQ]).set_index(["area_code", "industry_code"])["lq"]
    expected = (860.0 / 7020.0) / (uk["J (58-63)"] / uk["Total"])
    assert lq.loc[("E06000021", "J")] == pytest.approx(expected, rel=1e-9)


def test_the_shipped_district_gva_pipeline_finds_the_uks_finance_concentrations(
    shared_data: Path, tmp_path: Path
) -> None:
    """The whole ``uk-lad-gva`` run seeks findings in every section: finance is not left out.

    The City of London (with its neighbours) and Edinburgh are the UK's financial centres;
    the report counts the 18 sections findings were sought in, not the six definitions.
    """
    config = load_config(REPO / "pipelines" / "uk-lad-gva.yaml")
    config = config.model_copy(update={"output_dir": tmp_path / "out"})
    run_stages(config, ["publish"])
    paths = RunPaths.for_config(config)
    findings = gpd.read_parquet(paths[r.GOVERNED_CLUSTERS])
    finance = findings.loc[findings["industry_code"] == "K", "name"].tolist()
    assert any(
        name.startswith("Financial and insurance activities: City of London") for name in finance
    )
    assert "Financial and insurance activities: City of Edinburgh" in finance
    assert findings["name"].is_unique
    report = paths[r.REPORT_MD].read_text(encoding="utf-8")
    assert (
        " of the 18 analysed (2023 data, authorities of 2025); the strongest three follow."
        in report
    )
    assert "| Financial and insurance activities |" in report.split("## Is each industry")[1]
    # The districts' lines are clipped to the tidal Thames: 500 m joins Southwark to the City
    # and Westminster (190 and 338 m apart) but leaves the Mersey (Liverpool-Wirral, 1.1 km).
    weights = pd.read_parquet(paths[r.WEIGHTS]).index
    assert ("E09000028", "E09000001") in weights  # Southwark, City of London
    assert ("E09000028", "E09000033") in weights  # Southwark, Westminster
    assert ("E08000012", "E08000015") not in weights  # Liverpool, Wirral
    professional = findings.loc[findings["industry_code"] == "M"].set_index("name")
    central = professional.loc[
        "Professional, scientific and technical activities: City of London / Westminster and others"
    ]
    assert "Southwark" in central["districts"]
    # The Greater London Authority governs it as a whole: no governance gap.
    assert central["ca_status"] == "within_one_ca"
    assert not central["governance_gap"]
    # E07000083 is Tewkesbury in the 2023 table, whatever later name the TopoJSON carries.
    manufacturing = findings.loc[findings["industry_code"] == "C", "name"]
    assert manufacturing.str.contains("Tewkesbury").any()
    assert not findings["name"].str.contains("North Gloucestershire").any()
    # On district-level data an anchor site's shares are of its land: i54's 2 km footprint,
    # 39% of it in South Staffordshire, straddles the West Midlands Combined Authority's edge
    # (by the districts' average employment it read as 96% Wolverhampton).
    sites = gpd.read_parquet(paths[r.SITES]).set_index("site_key")
    i54 = sites.loc["i54_south_staffordshire"]
    assert i54["share_basis"] == "area"
    assert i54["districts"] == "South Staffordshire; Wolverhampton"
    assert i54["ca_status"] == "partly_outside_ca"
    assert "combined authority are judged on its footprint's land" in report
    # Today's combined authorities (authorities.year: 2025): Derby's sites are the East
    # Midlands', as on the Midlands run.
    assert sites.loc["smartparc_segro_derby", "ca_status"] == "within_one_ca"
    assert "| SmartParc SEGRO Derby |" in report
    assert "within one combined authority: East Midlands" in report
    assert (
        "| i54 South Staffordshire | 2 km | Wolverhampton 61%, South Staffordshire 39% |" in report
    )
    # GVA in current prices is mapped against each industry's own growth in the UK.
    assert "the growth maps class each area against its industry's growth" in report
    layer = gpd.read_file(paths[r.GEOPACKAGE], layer="growth_areas", engine="pyogrio")
    assert "manufacturing_cagr_against_industry" in layer
    # Warwick's utilities rose 24.6-fold, more like a head office counted there than growth:
    # No. 2 of the strongest findings, and marked wherever they are listed.
    warwick = "Electricity, gas, water; sewerage and waste management: Warwick"
    assert f"| {warwick} † | concentration |" in report
    assert f"{warwick} (its series over 1998–2023 rose 24.6-fold)" in report
    listed = gpd.read_file(paths[r.GEOPACKAGE], layer="clusters", engine="pyogrio")
    marked = listed.set_index("name")["series_break"]
    assert marked[warwick] == (
        "Its series over 1998–2023 rose 24.6-fold: worth checking for a reclassification or a "
        "head office moving first."
    )
    assert marked.isna().sum() > len(listed) / 2


# --- the growth stage's declaration, which the demo (one year) cannot check -----------------


def test_growth_reads_and_imports_only_what_it_declares(tmp_path: Path) -> None:
    from clustergeo.stages import growth
    from clustergeo.stages.manifest import code_files
    from test_stages_registry_e2e import _IMPORTS, LOCATION_FIELDS, _covered, _recording_reads

    config = load_config(_write_run(tmp_path, _table()))
    run_stages(config, ["growth"])
    with _recording_reads(config) as reads:
        growth.run(config)
    declared = (*r.GROWTH_STAGE.settings, *r.GROWTH_STAGE.runs_on)
    assert not sorted(read for read in reads - LOCATION_FIELDS if not _covered(read, declared))
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS, str(config.config_path), r.GROWTH_STAGE.module],
        capture_output=True,
        text=True,
        check=True,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
    )
    imported = {Path(f).resolve() for f in json.loads(result.stdout.splitlines()[-1])}
    undeclared = imported - {p.resolve() for p in code_files(r.GROWTH_STAGE)}
    assert not undeclared, sorted(str(p) for p in undeclared)


def test_changing_the_shift_share_reruns_growth_and_publish_alone(tmp_path: Path) -> None:
    run_stages(load_config(_write_run(tmp_path, _table())))
    path = _write_run(tmp_path, _table(), growth={"shift_share": {"method": "classic"}})
    ran = {o.name for o in run_stages(load_config(path)) if o.status == "ran"}
    assert ran == {"growth", "publish"}
    assert "allocation_effect" not in pd.read_csv(tmp_path / "out" / r.SHIFT_SHARE_CSV.path)


# --- emerging hot spots in the growth stage, on a grid with boundaries -----------------------

#: 8 x 8 squares; manufacturing (C) grows in a 3 x 3 block in the corner, year by year.
SIDE = 8
GROWING = {f"G{row}{col}" for row in range(3) for col in range(3)}
GRID_YEARS = (2017, 2018, 2019, 2020, 2021)


def _grid_table() -> pd.DataFrame:
    rows = []
    for row in range(SIDE):
        for col in range(SIDE):
            area = f"G{row}{col}"
            for step, year in enumerate(GRID_YEARS):
                # Manufacturing in the block grows from the average to five times it.
                c = 100 + (100 * step if area in GROWING else 0) + 3 * ((row + col) % 4)
                rows += [
                    {"area": area, "sic": "C", "year": year, "jobs": c},
                    {"area": area, "sic": "F", "year": year, "jobs": 200 + 5 * ((row * col) % 3)},
                    {
                        "area": area,
                        "sic": "J",
                        "year": year,
                        "jobs": 150 + 7 * ((row + 2 * col) % 5),
                    },
                ]
    return pd.DataFrame(rows)


def _grid_run(tmp_path: Path, grid: gpd.GeoDataFrame, **overrides: Any) -> Path:
    """A run of the growing grid's employment on ``grid``'s areas, with ``overrides``."""
    (tmp_path / "raw").mkdir()
    grid.to_file(tmp_path / "raw" / "areas.gpkg", layer="areas", engine="pyogrio")
    return _write_run(
        tmp_path,
        _grid_table(),
        areas={"path": "areas.gpkg", "code_column": "area_code"},
        **overrides,
    )


def test_emerging_hot_spots_with_too_few_permutations_say_so_in_the_growth_record(
    tmp_path: Path,
) -> None:
    path = _grid_run(
        tmp_path,
        square_grid(SIDE, SIDE, prefix="G"),
        # 19 permutations, two-sided: no pseudo p-value is below 0.1, so no year's hot spot
        # can pass at the trend's alpha of 0.05; the cap keeps them at 19.
        hotspots={"gi_star_inference": "permutation", "permutations": 19, "max_permutations": 0},
        growth={"emerging": {"alpha": 0.05}},
    )
    config = load_config(path)
    run_stages(config, ["growth"])
    paths = RunPaths.for_config(config)
    report = json.loads(paths[r.GROWTH_REPORT].read_text(encoding="utf-8"))
    assert report["emerging_permutations"] == 19
    [limit] = report["permutation_floor"]
    assert (limit["statistic"], limit["level"], limit["over_years"]) == ("emerging", 0.05, True)
    assert limit["smallest_p"] == pytest.approx(0.1)
    # The growing block's industry is among those named, with its kind.
    assert "C" in {industry["code"] for industry in limit["industries"]}
    assert {industry["kind"] for industry in limit["industries"]} <= {"industry", "cluster"}
    assert read_floor_limits(paths)[-1] == limit


def test_emerging_hot_spots_on_the_runs_weights(tmp_path: Path) -> None:
    from clustergeo.hotspots.emerging import emerging_hot_spots
    from clustergeo.hotspots.weights import build_weights

    grid = square_grid(SIDE, SIDE, prefix="G")
    # Two districts split down the middle of the growing block.
    grid["district"] = ["D1" if code[2] in "01" else "D2" for code in grid["area_code"]]
    path = _grid_run(
        tmp_path,
        grid,
        hierarchy={"district": {"source": "attribute", "column": "district"}},
        hotspots={
            "gi_star_inference": "analytic",
            "moran_inference": "analytic",
            "permutations": 0,
        },
        growth={"emerging": {"alpha": 0.05}},
    )
    config = load_config(path)
    outcomes = {o.name: o.status for o in run_stages(config, ["growth"])}
    assert outcomes["growth"] == "ran"
    paths = RunPaths.for_config(config)
    table = pd.read_csv(paths[r.EMERGING_CSV], dtype={"area_code": str, "industry_code": str})
    assert len(table) == SIDE * SIDE * table["industry_code"].nunique()
    # The stage's categories are those of the pure analysis on the run's LQs and weights.
    lq = pd.read_parquet(paths[r.LQ_BY_YEAR])
    values = {
        year: lq.loc[lq["year"] == year].pivot(
            index="area_code", columns="industry_code", values="lq"
        )
        for year in GRID_YEARS
    }
    expected = emerging_hot_spots(values, build_weights(grid), config.hotspots)
    merged = table.merge(
        expected.astype({"area_code": str, "industry_code": str, "category": str}),
        on=["area_code", "industry_code"],
        suffixes=("", "_expected"),
    )
    assert len(merged) == len(table)
    assert (merged["category"] == merged["category_expected"]).all()
    # The block of growing manufacturing is a rising hot spot, across the two districts.
    manufacturing = table.loc[table["industry_code"] == "C"].set_index("area_code")["category"]
    assert manufacturing.loc["G11"] in {
        "new_hot_spot",
        "consecutive_hot_spot",
        "intensifying_hot_spot",
    }
    clusters = pd.read_csv(paths[r.EMERGING_CLUSTERS])
    ours = clusters.loc[clusters["industry_code"] == "C"].iloc[0]
    assert ours["crosses_district"]
    members = pd.read_csv(paths[r.EMERGING_MEMBERS])
    assert "G11" in set(members.loc[members["emerging_id"] == ours["emerging_id"], "area_code"])
    report = json.loads(paths[r.GROWTH_REPORT].read_text(encoding="utf-8"))
    assert any("across an authority boundary" in note for note in report["notes"])
    # Analytic Gi*: no permutations run, so no floor to check.
    assert (report["emerging_permutations"], report["permutation_floor"]) == (0, [])

    # Published: a map per industry, a layer with a style per industry, a report section.
    run_stages(config, ["publish"])
    # The maps are of the cluster definitions: manufacturing is section C.
    assert (paths[r.FIGURES] / "emerging_manufacturing.png").exists()
    layer = gpd.read_file(paths[r.GEOPACKAGE], layer="emerging_areas", engine="pyogrio")
    in_layer = layer.set_index("area_code").loc["G11", "manufacturing_emerging"]
    assert (
        in_layer
        == table.set_index(["area_code", "industry_code"]).loc[("G11", "manufacturing"), "category"]
    )
    styles = gpd.read_file(paths[r.GEOPACKAGE], layer="layer_styles", engine="pyogrio")
    assert "manufacturing_emerging" in " ".join(
        styles.loc[styles["f_table_name"] == "emerging_areas", "styleQML"]
    )
    text = paths[r.REPORT_MD].read_text(encoding="utf-8")
    assert "## Emerging hot spots, 2017–2021" in text
    assert "figures/emerging_manufacturing.png" in text
    # Captions name the industry as the maps' titles do, not by its file key.
    assert "*Emerging hot spots 2017–2021: Manufacturing*" in text
    assert "*Growth 2017–2021: Manufacturing*" in text
    assert ": manufacturing*" not in text


def test_emerging_hot_spots_without_boundaries_say_why(tmp_path: Path) -> None:
    config = load_config(_write_run(tmp_path, _table(), growth={"emerging": {}}))
    run_stages(config, ["growth"])
    paths = RunPaths.for_config(config)
    assert not paths[r.EMERGING].exists()
    report = json.loads(paths[r.GROWTH_REPORT].read_text(encoding="utf-8"))
    assert any(
        "emerging hot spots not computed: the run's areas have no boundaries" in n
        for n in report["notes"]
    )
