"""National panels: the synthetic workload, streaming Parquet employment, LQs and Dask runs."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
import yaml
from click.testing import CliRunner

from clustergeo._errors import ConfigError, InputDataError
from clustergeo.cli import main
from clustergeo.concentration import location_quotients
from clustergeo.config import (
    ComputeConfig,
    EmergingConfig,
    HotspotsConfig,
    PanelConfig,
    load_panel_config,
)
from clustergeo.demo.national import synthetic_counts, write_national_workload
from clustergeo.hotspots.permutation_floor import permutations_needed
from clustergeo.panels.employment import CodePositions, open_panel
from clustergeo.panels.panel import _summary, read_panel_hotspots, run_panel, year_lq
from clustergeo.vocab import GI_STAR_CLASSES, MORAN_CLASSES
from conftest import square_grid

INDUSTRIES = 7
YEARS = (2019, 2020)


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20 x 15 grid of areas with synthetic employment for 7 industries and 2 years."""
    tmp = tmp_path_factory.mktemp("workload")
    boundaries = tmp / "grid.geojson"
    square_grid(20, 15, digits=2).rename(columns={"area_code": "CODE"}).to_file(boundaries)
    return write_national_workload(
        boundaries, tmp / "national", code_column="CODE", industries=INDUSTRIES, years=YEARS
    )


def _config(workload: Path, out: Path, **updates: object) -> PanelConfig:
    settings = {
        "name": "test-panel",
        "synthetic": True,
        "data_dir": workload,
        "output_dir": out,
        "areas": {"path": "areas.geojson", "code_column": "CODE"},
        "employment": "employment",
        "hotspots": {"permutations": 199, "max_permutations": 0},
        **updates,
    }
    return PanelConfig.model_validate(settings)


def _grid_points() -> np.ndarray:
    areas = square_grid(20, 15, digits=2)
    return shapely.get_coordinates(areas.geometry.representative_point().to_numpy()) / 1000.0


# --- the synthetic workload --------------------------------------------------------------------


def test_workload_files_and_counts_round_trip(workload: Path) -> None:
    panel = open_panel(workload / "employment")
    assert panel.years == list(YEARS)
    assert panel.industries == [f"IND{j:02d}" for j in range(1, INDUSTRIES + 1)]
    expected = synthetic_counts(_grid_points(), INDUSTRIES, 20240611, years=len(YEARS))
    codes = pd.Index(square_grid(20, 15, digits=2)["area_code"])
    for year, counts in zip(YEARS, expected.counts, strict=True):
        matrix = panel.year_matrix(year, codes)
        np.testing.assert_array_equal(matrix.to_numpy(), counts)
    truth = pd.read_csv(workload / "truth.csv")
    assert set(truth["industry_code"]) == set(panel.industries)
    assert (workload / "areas.geojson").exists()
    # Stored compactly: dictionary-encoded codes and 32-bit counts.
    schema = pq.read_schema(workload / "employment" / "year=2019" / "part-0.parquet")
    assert pa.types.is_dictionary(schema.field("area_code").type)
    assert schema.field("employment").type == pa.int32()


def test_first_year_does_not_depend_on_the_number_of_years() -> None:
    one = synthetic_counts(_grid_points(), 5, 3, years=1)
    three = synthetic_counts(_grid_points(), 5, 3, years=3)
    np.testing.assert_array_equal(one.counts[0], three.counts[0])
    assert not np.array_equal(three.counts[0], three.counts[1])
    pd.testing.assert_frame_equal(one.truth, three.truth)


def test_planted_clusters_raise_employment_near_their_centres() -> None:
    points = _grid_points()
    workload = synthetic_counts(points, 4, 11)
    counts = workload.counts[0]
    shares = counts / counts.sum(axis=1, keepdims=True)
    for _, row in workload.truth.iterrows():
        j = workload.industries.index(row["industry_code"])
        distance = np.hypot(
            points[:, 0] - row["centre_x"] / 1000, points[:, 1] - row["centre_y"] / 1000
        )
        near = distance < row["sigma_km"]
        if near.sum() >= 3 and (~near).sum() >= 3:
            assert shares[near, j].mean() > shares[~near, j].mean()


# --- streaming employment and LQs --------------------------------------------------------------


def test_year_lq_equals_the_pipeline_lq(workload: Path) -> None:
    panel = open_panel(workload / "employment")
    codes = pd.Index(square_grid(20, 15, digits=2)["area_code"])
    counts = panel.year_matrix(2020, codes)
    expected = location_quotients(
        counts,
        area_totals=counts.sum(axis=1),
        reference_industry=counts.sum(axis=0),
        reference_total=float(counts.to_numpy().sum()),
    )
    got = year_lq(panel, 2020, codes)
    np.testing.assert_array_equal(got.to_numpy().ravel(), expected["lq"].to_numpy())
    # The reference LQ is 1: employment-weighted mean LQ of an industry over all areas.
    weighted = (got * counts.sum(axis=1).to_numpy()[:, None]).sum() / counts.to_numpy().sum()
    np.testing.assert_allclose(weighted, 1.0, rtol=1e-12)


def _write(path: Path, rows: list[tuple[str, str, int, float | None]]) -> Path:
    table = pa.table(
        {
            "area_code": [r[0] for r in rows],
            "industry_code": [r[1] for r in rows],
            "year": pa.array([r[2] for r in rows], pa.int16()),
            "employment": pa.array([r[3] for r in rows], pa.float64()),
        }
    )
    pq.write_table(table, path)
    return path


def _columns(path: Path, **columns: object) -> Path:
    """A Parquet file of ``columns`` (each a list or an Arrow array)."""
    pq.write_table(pa.table(columns), path)
    return path


def _three_rows(path: Path, **columns: object) -> Path:
    """Areas A, B, A; industries X, X, Y; 2021; counts 1, 2, 3: with ``columns`` replaced."""
    rows = {
        "area_code": ["A", "B", "A"],
        "industry_code": ["X", "X", "Y"],
        "year": [2021] * 3,
        "employment": [1.0, 2.0, 3.0],
    }
    pq.write_table(pa.table({**rows, **columns}), path)
    return path


def test_plain_parquet_with_nulls_absent_pairs_and_unknown_areas(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(
        tmp_path / "employment.parquet",
        [
            ("A", "X", 2021, 5.0),
            ("A", "Y", 2021, None),
            ("B", "X", 2021, 3.0),
            ("Z", "X", 2021, 9.0),
            ("A", "X", 2022, 1.0),
        ],
    )
    panel = open_panel(path)
    assert panel.years == [2021, 2022]
    assert panel.industries == ["X", "Y"]
    matrix = panel.year_matrix(2021, pd.Index(["A", "B"]))
    expected = np.array([[5.0, np.nan], [3.0, 0.0]])
    np.testing.assert_array_equal(matrix.to_numpy(), expected)
    assert "1 area codes of 2021 are not in the boundaries" in caplog.text
    assert "Z" in caplog.text


def test_areas_without_a_row_in_a_year_are_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Zero employment in every industry is unlikely for a real area, likely for a code mismatch."""
    path = _three_rows(tmp_path / "employment.parquet")
    matrix = open_panel(path).year_matrix(2021, pd.Index(["A", "B", "C"]))
    assert matrix.loc["C"].tolist() == [0.0, 0.0]
    assert "areas without a row in 2021: 1 of 3 (e.g. C)" in caplog.text


def test_duplicate_rows_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "dup.parquet", [("A", "X", 2021, 5.0), ("A", "X", 2021, 6.0)])
    with pytest.raises(InputDataError, match=r"dup\.parquet.*1 area x industry pairs.*A x X"):
        open_panel(path).year_matrix(2021, pd.Index(["A"]))


@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "dictionary"])
def test_codes_padded_with_spaces_are_the_codes(tmp_path: Path, encoded: bool) -> None:
    """``"Y "`` is industry Y and ``" B"`` area B, as when a CSV is ingested; not new codes."""
    areas, industries = pa.array(["A", " B", "A"]), pa.array(["X", "X", "Y "])
    path = _three_rows(
        tmp_path / "padded.parquet",
        area_code=areas.dictionary_encode() if encoded else areas,
        industry_code=industries.dictionary_encode() if encoded else industries,
    )
    panel = open_panel(path)
    assert panel.industries == ["X", "Y"]
    matrix = panel.year_matrix(2021, pd.Index(["A", "B"]))
    np.testing.assert_array_equal(matrix.to_numpy(), [[1.0, 3.0], [2.0, 0.0]])


def test_codes_of_spaces_only_are_rows_without_a_code(tmp_path: Path) -> None:
    blank_area = _three_rows(tmp_path / "area.parquet", area_code=["A", "  ", "A"])
    with pytest.raises(InputDataError, match=r"1 rows of 2021 have no area_code"):
        open_panel(blank_area).year_matrix(2021, pd.Index(["A", "B"]))
    blank_industry = _three_rows(tmp_path / "industry.parquet", industry_code=["X", "", " "])
    with pytest.raises(InputDataError, match=r"2 rows have no industry_code"):
        open_panel(blank_industry)


def test_a_code_written_with_and_without_spaces_is_one_pair_given_twice(tmp_path: Path) -> None:
    path = _three_rows(tmp_path / "twice.parquet", industry_code=["X", "X", "X "])
    with pytest.raises(InputDataError, match=r"1 area x industry pairs appear more .*A x X"):
        open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))


def test_negative_counts_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "neg.parquet", [("A", "X", 2021, -5.0), ("B", "X", 2021, 1.0)])
    with pytest.raises(InputDataError, match=r"neg\.parquet: 1 negative employment counts in 2021"):
        open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))


@pytest.mark.parametrize(
    ("employment", "message"),
    [
        (
            pa.array([1.0, float("inf"), 3.0]),
            r"1 infinite employment counts in 2021 \(e\.g\. areas B\)",
        ),
        (pa.array(["1", "lots", "3"]), r"employment in 2021 that is not a number \(.*'lots'"),
        (pa.array([1, 2, 3], pa.date32()), r"the employment column holds date32\[day\] values"),
        (pa.array([True, False, True]), r"the employment column holds bool values, not numbers"),
    ],
    ids=["infinite", "text", "dates", "booleans"],
)
def test_counts_that_are_not_numbers_are_named(
    tmp_path: Path, employment: pa.Array, message: str
) -> None:
    path = _three_rows(tmp_path / "counts.parquet", employment=employment)
    with pytest.raises(InputDataError, match=message):
        open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))


@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "dictionary"])
def test_counts_written_as_numbers_in_text_are_read(tmp_path: Path, encoded: bool) -> None:
    """Text that parses as numbers is taken as the numbers, as a CSV's would be."""
    counts = pa.array(["1", None, "3.5"])
    path = _three_rows(
        tmp_path / "text.parquet", employment=counts.dictionary_encode() if encoded else counts
    )
    matrix = open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))
    np.testing.assert_array_equal(matrix.to_numpy(), [[1.0, 3.5], [np.nan, 0.0]])


@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "dictionary"])
def test_the_word_nan_is_not_a_suppressed_count(tmp_path: Path, encoded: bool) -> None:
    """Text "nan" would cast to NaN, a suppressed cell: it stops instead, as a CSV's would."""
    counts = pa.array(["1", "nan", "3.5"])
    path = _three_rows(
        tmp_path / "text.parquet", employment=counts.dictionary_encode() if encoded else counts
    )
    with pytest.raises(InputDataError, match=r"1 employment counts in 2021 are the text nan"):
        open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))


def test_parquet_files_arrow_leaves_out_are_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Files named from '_' or '.' are not read (Arrow's and Spark's rule): said, not silent."""
    folder = tmp_path / "employment"
    (folder / "year=2021").mkdir(parents=True)
    table = pa.table({"area_code": ["A"], "industry_code": ["C"], "employment": [5.0]})
    pq.write_table(table, folder / "year=2021" / "_part.parquet")
    with pytest.raises(InputDataError, match=r"holds no Parquet files but ones left out"):
        open_panel(folder)
    pq.write_table(table, folder / "year=2021" / "part.parquet")
    with caplog.at_level("WARNING", logger="clustergeo.panels.employment"):
        open_panel(folder)
    assert "left out of the table" in caplog.text
    assert "_part.parquet" in caplog.text


def test_hot_spot_policies_are_said_once_a_year(
    workload: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Blocks of industries each apply the missing-value policy: the run says it once per
    year, naming the year, with the year's count over every block."""
    data = tmp_path / "data"
    shutil.copytree(workload, data)
    first = data / "employment" / f"year={YEARS[0]}" / "part-0.parquet"
    table = pq.read_table(first)
    counts = table.column("employment").to_pylist()
    # Three suppressed counts, in industries of different blocks.
    rows = [0, 1, 2 * INDUSTRIES + 5]
    for row in rows:
        counts[row] = None
    pq.write_table(table.set_column(2, "employment", pa.array(counts, pa.float64())), first)
    config = _config(data, tmp_path / "out", compute={"industries_per_task": 3})
    with caplog.at_level("INFO"):
        run_panel(config)
    said = [r.getMessage() for r in caplog.records if "values are missing" in r.getMessage()]
    assert said == [
        f"{YEARS[0]}: 3 area x industry values are missing: no result for them, mean value as "
        "a neighbour"
    ]


def test_missing_columns_and_non_parquet_are_named(tmp_path: Path) -> None:
    pq.write_table(pa.table({"area_code": ["A"], "employment": [1.0]}), tmp_path / "t.parquet")
    with pytest.raises(InputDataError, match=r"t\.parquet has no columns industry_code, year"):
        open_panel(tmp_path / "t.parquet")
    (tmp_path / "bad.parquet").write_text("area_code,employment\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"bad\.parquet is not a Parquet employment table"):
        open_panel(tmp_path / "bad.parquet")
    with pytest.raises(InputDataError, match="does not exist"):
        open_panel(tmp_path / "nothing")


# --- panel runs ---------------------------------------------------------------------------------


def test_panel_on_dask_equals_in_process(workload: Path, tmp_path: Path, dask_cluster: str) -> None:
    blocks = ComputeConfig(industries_per_task=3)
    local = run_panel(_config(workload, tmp_path / "local", compute=blocks))
    dask = run_panel(
        _config(
            workload,
            tmp_path / "dask",
            compute=ComputeConfig(backend=dask_cluster, industries_per_task=3),
        )
    )
    pd.testing.assert_frame_equal(local.summary, dask.summary)
    assert local.summary["hot_spots"].sum() > 0
    for year in YEARS:
        expected = read_panel_hotspots(local.output_dir, year)
        got = read_panel_hotspots(dask.output_dir, year)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_categorical=False)
        assert len(expected) == 300 * INDUSTRIES
    # The same blocks in both: part files with the same rows, in the same order.
    for out in (local.output_dir, dask.output_dir):
        parts = sorted(p.name for p in (out / "hotspots" / "year=2019").glob("part-*"))
        assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    for name in parts:
        pd.testing.assert_frame_equal(
            pd.read_parquet(dask.output_dir / "hotspots" / "year=2019" / name),
            pd.read_parquet(local.output_dir / "hotspots" / "year=2019" / name),
            check_exact=True,
        )
    assert dask.report["backend"].startswith(dask_cluster)
    # Blocks finish in any order on Dask: the floor check is merged in the industries' order.
    assert dask.report["permutation_floor"] == local.report["permutation_floor"]


def test_panel_warns_where_too_few_permutations_hid_findings(
    workload: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 19 permutations, two-sided: no p-value is below 0.1, so no area can be significant at
    # 0.05, and areas beyond every permutation are certain in 7 industries x 2 years.
    config = _config(
        workload,
        tmp_path,
        hotspots={"permutations": 19, "max_permutations": 0},
        compute=ComputeConfig(industries_per_task=3),
    )
    with caplog.at_level("WARNING", logger="clustergeo.hotspots.permutation_floor"):
        run = run_panel(config)
    [limit] = run.report["permutation_floor"]
    assert limit["statistic"] == "moran"
    assert limit["smallest_p"] == pytest.approx(0.1)
    assert limit["areas"] > 0
    codes = [industry["code"] for industry in limit["industries"]]
    assert codes == [
        c for c in map(str, open_panel(workload / "employment").industries) if c in codes
    ]
    assert limit["permutations_needed"] == permutations_needed(limit["tests"], 0.05, "two-sided")
    assert 0 < limit["tests"] <= 300
    [message] = [r.getMessage() for r in caplog.records]
    # Each year is its own correction: the limit gathers years, its areas are area-years.
    assert limit["over_years"] is (len(run.report["years"]) > 1)
    several = len(limit["industries"]) > 1
    if not limit["over_years"]:
        first = "no area of"
    else:  # each industry limited in years of its own
        first = "for each of" if several else "in at least one year, no area of"
    assert message.startswith(f"Local Moran's I: {first}")
    on_disk = json.loads((tmp_path / "panel_report.json").read_text(encoding="utf-8"))
    assert on_disk["permutation_floor"] == run.report["permutation_floor"]


def test_panel_resumes_finished_years_and_redoes_changed_ones(
    workload: Path, tmp_path: Path
) -> None:
    first = run_panel(_config(workload, tmp_path, years=[2019]))
    assert first.report["years_computed"] == [2019]
    marker = tmp_path / "hotspots" / "year=2019" / "_SUCCESS.json"
    written = marker.stat().st_mtime_ns
    again = run_panel(_config(workload, tmp_path))
    assert again.report["years_computed"] == [2020]
    assert marker.stat().st_mtime_ns == written
    changed = run_panel(
        _config(workload, tmp_path, hotspots={"permutations": 99, "max_permutations": 0})
    )
    assert changed.report["years_computed"] == list(YEARS)
    report = json.loads((tmp_path / "panel_report.json").read_text(encoding="utf-8"))
    assert report["permutations"] == 99


def test_panel_raises_its_permutations_for_its_areas_and_reports_them_when_resumed(
    workload: Path, tmp_path: Path
) -> None:
    # 300 areas, two-sided: 2 x 300 / 0.05 = 12,000 draws for one area to pass alone.
    config = _config(workload, tmp_path, years=[2019], hotspots={"permutations": 99})
    first = run_panel(config)
    assert first.report["years_computed"] == [2019]
    assert first.report["permutations"] == 19_999
    p = pd.read_parquet(tmp_path / "hotspots" / "year=2019")["moran_p_sim"].dropna().to_numpy()
    # Pseudo p-values on the grid of 20,000 draws (two-sided: even multiples of 1/20,000),
    # which 100 draws could not give.
    draws = p * 20_000
    np.testing.assert_allclose(draws, np.round(draws), atol=1e-6)
    assert not np.allclose(p * 100, np.round(p * 100))
    again = run_panel(config)
    assert again.report["years_computed"] == []
    assert again.report["permutations"] == 19_999


def test_panel_inputs_that_do_not_exist_are_listed(workload: Path, tmp_path: Path) -> None:
    config = _config(workload, tmp_path, employment="employmnet")
    with pytest.raises(ConfigError, match=r"(?s)1 input file.*employment: .*employmnet.*data_dir"):
        run_panel(config)


def test_panel_years_not_in_the_table_are_named(workload: Path, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"no rows for 2030; its years are 2019, 2020"):
        run_panel(_config(workload, tmp_path, years=[2019, 2030]))


def test_panel_config_rejects_a_pooled_correction(tmp_path: Path) -> None:
    path = tmp_path / "panel.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "p",
                "output_dir": "out",
                "areas": {"path": "a.geojson", "code_column": "C"},
                "employment": "e",
                "hotspots": {"correction_scope": "all"},
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="correction_scope must be 'industry' in a panel"):
        load_panel_config(path)


def test_cli_national_data_and_panel(workload: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    result = CliRunner().invoke(
        main,
        [
            "-q",
            "national-data",
            str(out),
            "--boundaries",
            str(workload / "areas.geojson"),
            "--code-column",
            "CODE",
            "--industries",
            "3",
            "--years",
            "2021",
        ],
    )
    assert result.exit_code == 0, result.output
    config = tmp_path / "panel.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "cli",
                "data_dir": str(out),
                "output_dir": str(tmp_path / "out"),
                "areas": {"path": "areas.geojson", "code_column": "CODE"},
                "employment": "employment",
                "hotspots": {"permutations": 99, "max_permutations": 0},
            }
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["-q", "panel", str(config)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(summary["industry_code"]) == ["IND01", "IND02", "IND03"]
    bad = CliRunner().invoke(
        main, ["national-data", str(out), "--boundaries", str(config), "--years", "x"]
    )
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


@pytest.mark.realdata
def test_national_lsoa_panel_on_dask_equals_in_process(
    shared_data: Path, tmp_path: Path, dask_cluster: str
) -> None:
    """Every LSOA of England and Wales, 4 industries: Dask and in-process agree to the bit."""
    boundaries = (
        shared_data / "boundaries_lsoa2011_bsc_strokemaps" / "LSOA_Dec2011_BSC_EW_V3.geojson.gz"
    )
    data = write_national_workload(boundaries, tmp_path / "data", industries=4, years=[2021])
    settings = {"areas": {"path": "areas.geojson.gz", "code_column": "LSOA11CD"}}
    local = run_panel(_config(data, tmp_path / "local", **settings))
    dask = run_panel(
        _config(
            data,
            tmp_path / "dask",
            compute=ComputeConfig(backend=dask_cluster, industries_per_task=1),
            **settings,
        )
    )
    expected = read_panel_hotspots(local.output_dir, 2021)
    got = read_panel_hotspots(dask.output_dir, 2021)
    assert len(expected) == 34753 * 4
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_categorical=False)
    assert (expected["gi_star_class"].astype(str).str.startswith("hot")).sum() > 1000


def test_summary_counts_each_industry_as_a_group_by_on_text() -> None:
    """Counted on categorical codes, the summary is the group-by of the classes as text."""
    rng = np.random.default_rng(8)
    rows = 3_000
    gi_star = np.array(GI_STAR_CLASSES)[rng.integers(0, len(GI_STAR_CLASSES), rows)]
    moran = np.array(MORAN_CLASSES)[rng.integers(0, len(MORAN_CLASSES), rows)]
    industry = np.array(["IND10", "IND02", "IND07"])[rng.integers(0, 3, rows)]
    p_fdr = np.where(gi_star == "not_tested", np.nan, rng.random(rows))
    text = pd.DataFrame(
        {
            "industry_code": industry,
            "gi_star_class": gi_star,
            "moran_class": moran,
            "gi_star_p_fdr": p_fdr,
        }
    )
    expected = (
        pd.DataFrame(
            {
                "industry_code": industry,
                "hot_spots": np.isin(gi_star, ["hot_99", "hot_95"]),
                "cold_spots": np.isin(gi_star, ["cold_95", "cold_99"]),
                "moran_hh": moran == "HH",
                "tested": ~np.isnan(p_fdr),
            }
        )
        .groupby("industry_code", sort=True)
        .sum()
        .reset_index()
    )
    engine_like = text.assign(
        # As the engine's table: categorical, with a category no row has.
        industry_code=pd.Categorical(industry, categories=["IND02", "IND07", "IND10", "IND99"]),
        gi_star_class=pd.Categorical(gi_star, categories=list(GI_STAR_CLASSES)),
        moran_class=pd.Categorical(moran, categories=list(MORAN_CLASSES)),
    )
    for table in (engine_like, text):
        pd.testing.assert_frame_equal(_summary(table), expected, check_dtype=False)
    # A row without an industry code is left out, as the group-by leaves it.
    uncoded = text.astype({"industry_code": object})
    uncoded.loc[0, "industry_code"] = None
    pd.testing.assert_frame_equal(
        _summary(uncoded),
        _summary(text.iloc[1:]),
        check_dtype=False,
    )


def test_code_positions_follow_each_batch_dictionary() -> None:
    """A dictionary kept from the batch before is reused only while batches repeat it."""
    lookup = pa.array(["A", "B", "C"])
    batches = [
        pa.DictionaryArray.from_arrays(pa.array([0, 1, 1]), pa.array(["A", "B"])),
        pa.DictionaryArray.from_arrays(pa.array([1, 0]), pa.array(["A", "B"])),
        # Same length, another order: not the dictionary kept.
        pa.DictionaryArray.from_arrays(pa.array([0, 1]), pa.array(["B", "A"])),
        pa.DictionaryArray.from_arrays(pa.array([2, 0, 1]), pa.array(["C", "Z", "A"])),
        pa.array(["C", "Z", "B"]),
        pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(pa.array([0]), pa.array(["B", "C"])),
                pa.DictionaryArray.from_arrays(pa.array([1]), pa.array(["B", "C"])),
            ]
        ),
    ]
    where = {"A": 0, "B": 1, "C": 2}
    positions = CodePositions(lookup)
    for batch in batches:
        values = batch.combine_chunks() if isinstance(batch, pa.ChunkedArray) else batch
        text = values.cast(pa.string()).to_pylist()
        expected = [where.get(code, -1) for code in text]
        np.testing.assert_array_equal(positions(batch), expected)


def test_a_pair_repeated_in_another_file_is_named(tmp_path: Path) -> None:
    """A pair whose rows come in two batches (two files) is found as one within a batch is."""
    folder = tmp_path / "employment"
    folder.mkdir()
    _write(folder / "a.parquet", [("A", "X", 2021, 5.0), ("B", "X", 2021, 1.0)])
    _write(folder / "b.parquet", [("A", "Y", 2021, 2.0), ("A", "X", 2021, 6.0)])
    with pytest.raises(
        InputDataError,
        match=r"1 area x industry pairs appear more than once in 2021, e\.g\. A x X;",
    ):
        open_panel(folder).year_matrix(2021, pd.Index(["A", "B"]))
    _write(folder / "b.parquet", [("A", "Y", 2021, 2.0), ("B", "Y", 2021, None)])
    matrix = open_panel(folder).year_matrix(2021, pd.Index(["A", "B"]))
    np.testing.assert_array_equal(matrix.to_numpy(), [[5.0, 2.0], [1.0, np.nan]])


def test_a_part_that_cannot_be_written_stops_the_run_and_leaves_its_year_to_redo(
    workload: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Parts are written by a second thread; its failure still stops the run, and the year."""
    from clustergeo.panels import panel as panel_module

    write = panel_module._write_part

    def full_disk(table: pd.DataFrame, target: Path) -> None:
        if target.name == "part-00001.parquet":
            raise OSError(28, "No space left on device", str(target))
        write(table, target)

    config = _config(workload, tmp_path, years=[2019], compute={"industries_per_task": 3})
    monkeypatch.setattr(panel_module, "_write_part", full_disk)
    with pytest.raises(OSError, match="No space left"):
        run_panel(config)
    assert "failed as well" not in caplog.text
    year = tmp_path / "hotspots" / "year=2019"
    assert (year / "part-00000.parquet").exists()
    assert not (year / "_SUCCESS.json").exists()
    monkeypatch.setattr(panel_module, "_write_part", write)
    again = run_panel(config)
    assert again.report["years_computed"] == [2019]
    assert sorted(p.name for p in year.glob("part-*.parquet")) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]


def test_a_write_that_fails_while_the_next_block_fails_is_told_too(
    workload: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The run stops on the block's error, and the part's failed write is not lost."""
    from clustergeo.panels import panel as panel_module

    block = panel_module._hotspot_block
    blocks_done = []

    def full_disk(table: pd.DataFrame, target: Path) -> None:
        raise OSError(28, "No space left on device", str(target))

    def second_block_fails(*args: object) -> object:
        if blocks_done:
            raise MemoryError("out of memory in the second block")
        blocks_done.append(True)
        return block(*args)

    config = _config(workload, tmp_path, years=[2019], compute={"industries_per_task": 3})
    monkeypatch.setattr(panel_module, "_write_part", full_disk)
    monkeypatch.setattr(panel_module, "_hotspot_block", second_block_fails)
    with pytest.raises(MemoryError, match="second block"):
        run_panel(config)
    assert "Writing a part failed as well: [Errno 28] No space left on device" in caplog.text


def test_rows_without_an_industry_code_are_named(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "uncoded.parquet",
        [("A", "X", 2021, 5.0), ("B", None, 2021, 2.0), ("B", "X", 2021, 3.0)],
    )
    with pytest.raises(InputDataError, match=r"uncoded\.parquet: 1 rows have no industry_code"):
        open_panel(path)


@pytest.mark.parametrize(
    ("years", "message"),
    [
        (pa.array([2021, None, 2021]), r"years\.parquet: 1 rows have no year; give every row"),
        (pa.array([2021.0, 2021.5, 2022.0]), r"years must be whole numbers, not 2021\.5\."),
        (pa.array(["2021", "2021", "2022"]), r"the year column holds string values such as"),
        (pa.array(["2021", "2021", "2022"]).dictionary_encode(), r"holds string values"),
    ],
    ids=["missing", "fraction", "text", "dictionary-text"],
)
def test_years_that_are_not_whole_numbers_are_named(
    tmp_path: Path, years: pa.Array, message: str
) -> None:
    """Each used to end in a traceback, or a fraction of a year dropped its rows unsaid."""
    with pytest.raises(InputDataError, match=message):
        open_panel(_three_rows(tmp_path / "years.parquet", year=years))


@pytest.mark.parametrize("encoded", [False, True])
def test_rows_without_an_area_code_are_named(tmp_path: Path, encoded: bool) -> None:
    """Plain or dictionary-encoded, a missing area code is named, not dropped or a crash."""
    codes = pa.array(["A", None, "B", None])
    table = pa.table(
        {
            "area_code": codes.dictionary_encode() if encoded else codes,
            "industry_code": ["X", "X", "X", "Y"],
            "year": [2021] * 4,
            "employment": [5.0, 2.0, 3.0, 1.0],
        }
    )
    path = tmp_path / "uncoded.parquet"
    pq.write_table(table, path)
    with pytest.raises(
        InputDataError, match=r"uncoded\.parquet: 2 rows of 2021 have no area_code; give every"
    ):
        open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))


def test_a_failed_rerun_leaves_no_summary_of_the_years_it_was_redoing(
    workload: Path, tmp_path: Path
) -> None:
    run_panel(_config(workload, tmp_path))
    assert (tmp_path / "summary.csv").exists()
    folder = tmp_path / "employment"
    shutil.copytree(workload / "employment", folder)
    for path in folder.rglob("*.parquet"):
        table = pq.read_table(path)
        column = table.schema.get_field_index("employment")
        nulls = pa.nulls(len(table), table.schema.field(column).type)
        pq.write_table(table.set_column(column, "employment", nulls), path)
    with pytest.raises(InputDataError, match=r"no employment at all"):
        run_panel(_config(workload, tmp_path, employment=str(folder)))
    assert not (tmp_path / "summary.csv").exists()
    assert not (tmp_path / "panel_report.json").exists()


def test_panel_paths_and_settings_that_cannot_work_are_refused(
    workload: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"is inside the employment folder"):
        run_panel(_config(workload, workload / "employment" / "out"))
    with pytest.raises(ValueError, match=r"hotspots\.variable 'employment' does not apply"):
        _config(workload, tmp_path, hotspots={"variable": "employment"})
    with pytest.raises(ValueError, match=r"'years' is empty"):
        _config(workload, tmp_path, years=[])
    for wrong in ("lots", "", "-1GB"):
        with pytest.raises(ValueError, match=r"is not an amount of memory"):
            ComputeConfig(memory_limit=wrong)
    assert ComputeConfig(memory_limit="8GiB").memory_limit == "8GiB"


def test_a_table_without_rows_or_with_an_unreadable_file_is_named(tmp_path: Path) -> None:
    empty = _write(tmp_path / "empty.parquet", [])
    grid = tmp_path / "grid.geojson"
    square_grid(3, 3, digits=1).to_file(grid)
    with pytest.raises(InputDataError, match=r"empty\.parquet has no rows: there is no year"):
        run_panel(
            PanelConfig.model_validate(
                {
                    "name": "empty",
                    "output_dir": tmp_path / "out",
                    "areas": {"path": str(grid), "code_column": "area_code"},
                    "employment": str(empty),
                }
            )
        )
    folder = tmp_path / "employment"
    folder.mkdir()
    with pytest.raises(InputDataError, match=r"employment holds no Parquet files"):
        open_panel(folder)
    # The first file sets the column types: industry codes as integers.
    pq.write_table(
        pa.table({"area_code": ["A"], "industry_code": [7], "year": [2021], "employment": [5.0]}),
        folder / "a.parquet",
    )
    (folder / "notes.csv").write_text("not parquet\n")
    with pytest.raises(InputDataError, match=r"notes\.csv is not a Parquet file"):
        open_panel(folder)
    (folder / "notes.csv").unlink()
    _write(folder / "b.parquet", [("B", "X", 2021, 1.0)])
    disagree = r"b\.parquet holds industry_code as string, a\.parquet as int64"
    with pytest.raises(InputDataError, match=disagree):
        open_panel(folder)


def test_a_year_folder_without_rows_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "employment"
    for year, rows in ((2020, 1), (2021, 0), (2022, 1)):
        (folder / f"year={year}").mkdir(parents=True)
        _columns(
            folder / f"year={year}" / "part.parquet",
            area_code=pa.array(["A"][:rows], pa.string()),
            industry_code=pa.array(["X"][:rows], pa.string()),
            employment=pa.array([5.0][:rows], pa.float64()),
        )
    assert open_panel(folder).years == [2020, 2022]
    assert "no rows in year=2021, so the panel has no 2021; put the rows of that" in caplog.text
    caplog.clear()
    (folder / "year=2019").mkdir()  # no file at all
    assert open_panel(folder).years == [2020, 2022]
    assert "no rows in year=2019, year=2021, so the panel has no 2019, 2021" in caplog.text


def test_files_of_a_table_that_disagree_are_named(tmp_path: Path) -> None:
    """Counts that mix integers and floats agree (see the test of reading them alike)."""
    folder = tmp_path / "employment"
    folder.mkdir()
    _columns(
        folder / "a.parquet", area_code=["A"], industry_code=["X"], year=[2021], employment=[5]
    )
    # A file without counts would read as suppressed cells.
    _columns(folder / "c.parquet", area_code=["A"], industry_code=["Y"], year=[2021])
    with pytest.raises(InputDataError, match=r"its files do not agree: c\.parquet has no employ"):
        open_panel(folder)
    (folder / "c.parquet").unlink()
    # Codes as numbers in one file and text in another would merge 01 with 1.
    _columns(folder / "c.parquet", area_code=["A"], industry_code=[1], year=[2021], employment=[1])
    with pytest.raises(InputDataError, match=r"c\.parquet holds industry_code as int64, a\.parq"):
        open_panel(folder)


def test_a_damaged_file_is_named_when_its_rows_are_read(tmp_path: Path) -> None:
    """A footer that reads over pages that do not: found only as the year is read."""
    codes = [f"A{i}" for i in range(2000)]
    path = _write(tmp_path / "damaged.parquet", [(c, "X", 2021, 1.0) for c in codes])
    data = bytearray(path.read_bytes())
    data[200:2000] = b"\xff" * 1800
    path.write_bytes(bytes(data))
    panel = open_panel(path)
    with pytest.raises(InputDataError, match=r"damaged\.parquet: cannot read damaged\.parquet"):
        panel.year_matrix(2021, pd.Index(codes))


def test_codes_that_match_no_area_and_permutations_beyond_memory_are_named(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / "codes.parquet", [("Q", "X", 2021, 5.0), ("R", "X", 2021, 1.0)])
    with pytest.raises(InputDataError, match=r"none of the area codes of 2021 is in the bound"):
        open_panel(path).year_matrix(2021, pd.Index(["A", "B"]))
    with pytest.raises(ValueError, match=r"less than or equal to 9999999"):
        HotspotsConfig(permutations=3_000_000_000)
    with pytest.raises(ValueError, match=r"time_lag"):
        EmergingConfig.model_validate({"time_lag": 1})
    with pytest.raises(ValueError, match=r"alpha"):
        EmergingConfig.model_validate({"alpha": "0.1"})


def test_areas_dropped_from_the_boundaries_are_said(
    workload: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    areas = gpd.read_file(workload / "areas.geojson")
    areas.loc[areas["CODE"] == areas["CODE"].iloc[5], "geometry"] = None
    areas.to_file(tmp_path / "areas.geojson")
    config = _config(
        workload,
        tmp_path / "out",
        years=[2019],
        areas={"path": str(tmp_path / "areas.geojson"), "code_column": "CODE"},
    )
    run_panel(config)
    code = areas["CODE"].iloc[5]
    said = rf"1 features with empty geometry dropped from \S*areas\.geojson: {code}"
    assert re.search(said, caplog.text)


def test_a_file_whose_year_column_contradicts_its_folder_is_named(tmp_path: Path) -> None:
    """Arrow would read it as of its folder's year, its own year lost unsaid."""
    folder = tmp_path / "employment" / "year=2019"
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "area_code": ["A", "B"],
            "industry_code": ["X", "X"],
            "year": pa.array([2019, 2020], pa.int32()),
            "employment": [1.0, 2.0],
        }
    )
    pq.write_table(table, folder / "part.parquet")
    with pytest.raises(
        InputDataError, match=r"part\.parquet in the folder year=2019 holds year 2020"
    ):
        open_panel(tmp_path / "employment")
    pq.write_table(table.filter(pa.array([True, False])), folder / "part.parquet")
    assert open_panel(tmp_path / "employment").years == [2019]


def test_files_that_mix_numbers_are_read_alike_in_process_and_on_dask(tmp_path: Path) -> None:
    """Counts and years read as floats where any file has them, on Dask's copy as well."""
    folder = tmp_path / "employment"
    folder.mkdir()

    _columns(
        folder / "a.parquet", area_code=["A"], industry_code=["X"], year=[2021], employment=[1]
    )
    _columns(
        folder / "b.parquet", area_code=["B"], industry_code=["X"], year=[2021], employment=[1.5]
    )
    _columns(
        folder / "c.parquet",
        area_code=["B"],
        industry_code=["Y"],
        year=[2021],
        employment=pa.nulls(1, pa.null()),
    )
    panel = open_panel(folder)
    for copy in (panel, pickle.loads(pickle.dumps(panel))):
        matrix = copy.year_matrix(2021, pd.Index(["A", "B"]))
        np.testing.assert_array_equal(matrix.to_numpy(), [[1.0, 0.0], [1.5, np.nan]])
    _columns(
        folder / "d.parquet", area_code=["A"], industry_code=["Y"], year=[2021.5], employment=[1]
    )
    with pytest.raises(InputDataError, match=r"years must be whole numbers, not 2021\.5"):
        open_panel(folder)


def test_a_year_column_kept_in_year_folders_is_read_and_checked(tmp_path: Path) -> None:
    """pandas keeps an int64 year column in files it writes into year=<year> folders."""
    for year in (2020, 2021):
        folder = tmp_path / "employment" / f"year={year}"
        folder.mkdir(parents=True)
        table = pa.table(
            {
                "meta": pa.array([{"a": 1, "b": 1}]),
                "area_code": ["A"],
                "industry_code": ["X"],
                "year": pa.array([year], pa.int64()),
                "employment": [2.0],
            }
        )
        pq.write_table(table, folder / "part.parquet")
    assert open_panel(tmp_path / "employment").years == [2020, 2021]
    table = table.set_column(3, "year", pa.array([2022], pa.int64()))
    pq.write_table(table, tmp_path / "employment" / "year=2021" / "part.parquet")
    with pytest.raises(InputDataError, match=r"in the folder year=2021 holds year 2022"):
        open_panel(tmp_path / "employment")
