"""A national panel's emerging hot spots: the same as the pure analysis, in process and on Dask."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from clustergeo._errors import ConfigError, InputDataError
from clustergeo.config import ComputeConfig, EmergingConfig, PanelConfig, load_panel_config
from clustergeo.demo.national import write_national_workload
from clustergeo.hotspots.emerging import EMERGING_COLUMNS, emerging_hot_spots
from clustergeo.hotspots.weights import configured_weights
from clustergeo.ingest.boundaries import read_boundaries
from clustergeo.panels import emerging as panel_emerging
from clustergeo.panels.emerging import read_panel_emerging
from clustergeo.panels.employment import open_panel
from clustergeo.panels.panel import run_panel, year_lq
from clustergeo.vocab import EMERGING_CLASSES
from conftest import square_grid

YEARS = (2016, 2017, 2018, 2019, 2020, 2021)
INDUSTRIES = 5


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20 x 15 grid with synthetic employment for 5 industries and 6 years."""
    tmp = tmp_path_factory.mktemp("emerging-workload")
    boundaries = tmp / "grid.geojson"
    square_grid(20, 15, digits=2).rename(columns={"area_code": "CODE"}).to_file(boundaries)
    return write_national_workload(
        boundaries, tmp / "national", code_column="CODE", industries=INDUSTRIES, years=YEARS
    )


def _config(workload: Path, out: Path, **updates: object) -> PanelConfig:
    settings = {
        "name": "emerging-panel",
        "synthetic": True,
        "data_dir": workload,
        "output_dir": out,
        "areas": {"path": "areas.geojson", "code_column": "CODE"},
        "employment": "employment",
        "hotspots": {"permutations": 99, "max_permutations": 0},
        "emerging": {},
        "compute": {"industries_per_task": 2},
        **updates,
    }
    return PanelConfig.model_validate(settings)


def _expected(config: PanelConfig, *, time_lag: bool) -> pd.DataFrame:
    """The pure analysis on the panel's LQs, sorted as the panel's table is read."""
    areas = read_boundaries(config.data_path(config.areas.path), code_column="CODE").frame
    weights = configured_weights(
        areas.rename(columns={"code": "area_code"}).reset_index(drop=True),
        config.hotspots.weights,
    )
    panel = open_panel(config.data_path(config.employment))
    codes = pd.Index(weights.ids)
    values = {year: year_lq(panel, year, codes) for year in YEARS}
    table = emerging_hot_spots(values, weights, config.hotspots, time_lag=time_lag)
    for column in ("area_code", "industry_code"):
        table[column] = table[column].astype(str)
    expected: pd.DataFrame = table.sort_values(["industry_code", "area_code"], ignore_index=True)
    return expected


@pytest.mark.parametrize("time_lag", [False, True])
def test_panel_emerging_equals_the_pure_analysis(
    workload: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, time_lag: bool
) -> None:
    # Small batches: the streamed categories must not depend on where batches break.
    monkeypatch.setattr(panel_emerging, "BATCH_ROWS", 97)
    config = _config(workload, tmp_path, emerging={"time_lag": time_lag})
    run = run_panel(config)
    got = read_panel_emerging(tmp_path)
    expected = _expected(config, time_lag=time_lag)
    assert list(got.columns) == list(EMERGING_COLUMNS)
    assert len(got) == 300 * INDUSTRIES
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_categorical=False)
    # Not a comparison of empty results: some areas were hot spots in some years.
    assert (got["years_hot"] > 0).sum() > 10
    # The summaries count the table.
    assert run.emerging is not None
    assert list(run.emerging.columns) == ["industry_code", *EMERGING_CLASSES]
    counts = got.groupby("industry_code")["category"].value_counts().unstack(fill_value=0)
    for name in EMERGING_CLASSES:
        column = counts.get(name, 0)
        assert (run.emerging.set_index("industry_code")[name] == column).all()
    summary = pd.read_csv(tmp_path / "emerging_summary.csv")
    pd.testing.assert_frame_equal(summary, run.emerging)
    report = json.loads((tmp_path / "panel_report.json").read_text(encoding="utf-8"))
    assert report["emerging"]["time_lag"] is time_lag
    assert report["emerging"]["computed"] is True
    assert sum(report["emerging"]["areas"].values()) == 300 * INDUSTRIES
    lagged = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("lagged/*/*"))
    if time_lag:
        # Every year after the first, every block of two industries.
        assert len(lagged) == (len(YEARS) - 1) * 3
        assert lagged[0] == "emerging/lagged/year=2017/part-00000.parquet"
    else:
        assert lagged == []


def test_panel_emerging_on_dask_equals_in_process(
    workload: Path, tmp_path: Path, dask_cluster: str
) -> None:
    lagged = {"time_lag": True}
    local = run_panel(_config(workload, tmp_path / "local", emerging=lagged))
    dask = run_panel(
        _config(
            workload,
            tmp_path / "dask",
            emerging=lagged,
            compute=ComputeConfig(backend=dask_cluster, industries_per_task=2),
        )
    )
    assert dask.report["backend"].startswith(dask_cluster)
    assert local.emerging is not None
    pd.testing.assert_frame_equal(dask.emerging, local.emerging)
    # Every part file the same, row for row: the categories and the time-lagged Gi*.
    names = sorted(
        p.relative_to(local.output_dir / "emerging")
        for p in (local.output_dir / "emerging").rglob("part-*.parquet")
    )
    assert len(names) == 3 + (len(YEARS) - 1) * 3
    for name in names:
        pd.testing.assert_frame_equal(
            pd.read_parquet(dask.output_dir / "emerging" / name),
            pd.read_parquet(local.output_dir / "emerging" / name),
            check_exact=True,
        )
    # Resumed on Dask: a finished block's counts come from its part, the missing one is redone.
    (dask.output_dir / "emerging" / "_SUCCESS.json").unlink()
    (dask.output_dir / "emerging" / "part-00001.parquet").unlink()
    kept = dask.output_dir / "emerging" / "part-00000.parquet"
    written = kept.stat().st_mtime_ns
    resumed = run_panel(
        _config(
            workload,
            tmp_path / "dask",
            emerging=lagged,
            compute=ComputeConfig(backend=dask_cluster, industries_per_task=2),
        )
    )
    assert kept.stat().st_mtime_ns == written
    pd.testing.assert_frame_equal(resumed.emerging, local.emerging)
    pd.testing.assert_frame_equal(
        read_panel_emerging(dask.output_dir), read_panel_emerging(local.output_dir)
    )


def test_panel_emerging_resumes_and_redoes_only_what_changed(
    workload: Path, tmp_path: Path
) -> None:
    first = run_panel(_config(workload, tmp_path))
    assert first.report["emerging"]["computed"] is True
    part = tmp_path / "emerging" / "part-00000.parquet"
    written = part.stat().st_mtime_ns
    again = run_panel(_config(workload, tmp_path))
    assert again.report["years_computed"] == []
    assert again.report["emerging"]["computed"] is False
    assert part.stat().st_mtime_ns == written
    pd.testing.assert_frame_equal(again.emerging, first.emerging)
    # New emerging settings: the categories again, not the yearly hot spots.
    stricter = run_panel(_config(workload, tmp_path, emerging={"alpha": 0.01}))
    assert stricter.report["years_computed"] == []
    assert stricter.report["emerging"]["computed"] is True
    assert stricter.report["emerging"]["alpha"] == 0.01
    # Without the section the panel leaves emerging hot spots out of its report.
    plain = run_panel(_config(workload, tmp_path, emerging=None))
    assert "emerging" not in plain.report
    assert plain.emerging is None


@pytest.mark.parametrize("time_lag", [False, True])
def test_an_interrupted_emerging_run_keeps_its_finished_parts(
    workload: Path, tmp_path: Path, time_lag: bool
) -> None:
    settings = {"time_lag": time_lag}
    first = run_panel(_config(workload, tmp_path, emerging=settings))
    table = read_panel_emerging(tmp_path)
    folder = tmp_path / "emerging"
    # As if stopped after blocks 0 and 1 (and, with a time lag, block 2's first lagged
    # year): block 2's categories, its later lagged years and the run's mark never written.
    (folder / "_SUCCESS.json").unlink()
    (folder / "part-00002.parquet").unlink()
    redone = [folder / "part-00002.parquet"]
    if time_lag:
        for year in YEARS[2:]:
            (folder / "lagged" / f"year={year}" / "part-00002.parquet").unlink()
            redone.append(folder / "lagged" / f"year={year}" / "part-00002.parquet")
    kept = {path: path.stat().st_mtime_ns for path in folder.rglob("part-*.parquet")}
    again = run_panel(_config(workload, tmp_path, emerging=settings))
    assert again.report["emerging"]["computed"] is True
    assert {path: path.stat().st_mtime_ns for path in kept} == kept
    assert all(path.exists() for path in redone)
    pd.testing.assert_frame_equal(read_panel_emerging(tmp_path), table, check_exact=True)
    # The counts of the kept blocks are read back from their parts: the same summary.
    pd.testing.assert_frame_equal(again.emerging, first.emerging)
    # Other settings are another digest: nothing of the interrupted run is kept.
    (folder / "_SUCCESS.json").unlink()
    run_panel(_config(workload, tmp_path, emerging={**settings, "alpha": 0.01}))
    assert all(path.stat().st_mtime_ns != kept[path] for path in kept)


def test_a_part_out_of_step_is_named(workload: Path, tmp_path: Path) -> None:
    run_panel(_config(workload, tmp_path, emerging=None))
    year = tmp_path / "hotspots" / "year=2018"
    shutil.copy(year / "part-00001.parquet", year / "part-00000.parquet")
    with pytest.raises(InputDataError, match=r"year=2018/part-00000\.parquet does not hold"):
        run_panel(_config(workload, tmp_path))


def test_emerging_needs_three_distinct_years(workload: Path, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"at least 3 years.*has 2016, 2017"):
        run_panel(
            _config(workload, tmp_path, years=[2016, 2017], emerging=None).model_copy(
                update={"emerging": EmergingConfig()}
            )
        )
    path = tmp_path / "panel.yaml"
    settings = {
        "name": "p",
        "output_dir": "out",
        "areas": {"path": "a.geojson", "code_column": "C"},
        "employment": "e",
        "years": [2016, 2017],
        "emerging": {"time_lag": True},
    }
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    with pytest.raises(ConfigError, match="emerging hot spots need at least 3 years"):
        load_panel_config(path)
    settings["years"] = [2016, 2017, 2017, 2018]
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    with pytest.raises(ConfigError, match="'years' repeats 2017"):
        load_panel_config(path)


def test_years_unevenly_spaced_are_said(
    workload: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As in the pipeline's emerging step: the lag reaches back over the gap unless told."""
    config = _config(workload, tmp_path, years=[2016, 2017, 2019], emerging={"time_lag": True})
    run_panel(config)
    assert "The years 2016, 2017, 2019 are not evenly spaced" in caplog.text
    assert "time-lagged neighbours are in the year before it in the list" in caplog.text


class _ReadLog:
    """Stands in for pyarrow.parquet in the emerging module and records every read."""

    def __init__(self) -> None:
        #: (file, columns, batch size, largest batch) of each streamed read.
        self.streamed: list[tuple[Path, tuple[str, ...], int, int]] = []
        #: (file, columns) of each whole-file read.
        self.whole: list[tuple[Path, tuple[str, ...]]] = []

    def module(self) -> SimpleNamespace:
        log = self

        class RecordingFile(pq.ParquetFile):
            def __init__(self, path: Path) -> None:
                super().__init__(path)
                self.recorded_path = Path(path)

            def iter_batches(self, batch_size: int, columns: list[str]) -> Iterator[pa.RecordBatch]:
                largest = 0
                for batch in super().iter_batches(batch_size=batch_size, columns=columns):
                    largest = max(largest, batch.num_rows)
                    yield batch
                log.streamed.append((self.recorded_path, tuple(columns), batch_size, largest))

        def read_table(path: Path, columns: list[str]) -> pa.Table:
            log.whole.append((Path(path), tuple(columns)))
            return pq.read_table(path, columns=columns)

        return SimpleNamespace(
            ParquetFile=RecordingFile, ParquetWriter=pq.ParquetWriter, read_table=read_table
        )


def _year_and_block(path: Path) -> tuple[int, int]:
    found = re.search(r"year=(\d+)/part-(\d+)\.parquet$", path.as_posix())
    assert found is not None, path
    return int(found[1]), int(found[2])


def test_each_emerging_task_reads_only_its_block(
    workload: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The yearly hot spots first; the emerging run then does its own work only.
    run_panel(_config(workload, tmp_path, emerging=None))
    batch_rows = 97
    monkeypatch.setattr(panel_emerging, "BATCH_ROWS", batch_rows)
    reads = _ReadLog()
    monkeypatch.setattr(panel_emerging, "pq", reads.module())
    run = run_panel(_config(workload, tmp_path, emerging={"time_lag": True}))
    assert run.report["years_computed"] == []
    assert run.report["emerging"]["computed"] is True
    blocks = 3  # 5 industries, 2 a task
    gi_star = ("area_code", "industry_code", "gi_star_z", "gi_star_p_fdr")

    # Time-lagged Gi*: a task per block and year reads two years of its own block, the
    # values only: two blocks x areas numbers, whatever the number of years.
    for path, columns in reads.whole:
        assert columns == ("area_code", "industry_code", "value")
        assert path.parent.parent == tmp_path / "hotspots"
    assert len(reads.whole) == 2 * blocks * (len(YEARS) - 1)
    tasks = [
        sorted(_year_and_block(path) for path, _ in reads.whole[i : i + 2])
        for i in range(0, len(reads.whole), 2)
    ]
    for (earlier, block), (later, same_block) in tasks:
        assert block == same_block
        assert YEARS.index(later) == YEARS.index(earlier) + 1
    assert len({tuple(task) for task in tasks}) == len(tasks)

    # Categories: a task per block streams its own part of every year in lockstep, a batch of
    # BATCH_ROWS rows at a time, the codes and Gi* columns only (the final year's class too).
    by_block: dict[int, list[tuple[Path, tuple[str, ...]]]] = {}
    for path, columns, size, largest in reads.streamed:
        assert size == batch_rows
        assert 0 < largest <= batch_rows
        by_block.setdefault(_year_and_block(path)[1], []).append((path, columns))
    assert sorted(by_block) == list(range(blocks))
    for block, files in by_block.items():
        assert [_year_and_block(path) for path, _ in files] == [(y, block) for y in YEARS]
        # The first year is the spatial Gi* of the panel; later years the time-lagged one.
        first = tmp_path / "hotspots" / f"year={YEARS[0]}" / f"part-{block:05d}.parquet"
        assert files[0][0] == first
        assert all("emerging/lagged" in path.as_posix() for path, _ in files[1:])
        assert [columns for _, columns in files] == [gi_star] * (len(YEARS) - 1) + [
            (*gi_star, "gi_star_class")
        ]
    # The streamed parts were read through, not just opened: every row of every part.
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path, *_ in reads.streamed)
    assert rows == 300 * INDUSTRIES * len(YEARS)


def test_years_written_out_of_order_run_forward_in_time(workload: Path, tmp_path: Path) -> None:
    """A trend read backwards would turn an emerging hot spot into a diminishing one."""
    forward = run_panel(_config(workload, tmp_path / "forward", years=list(YEARS[:4])))
    shuffled = _config(workload, tmp_path / "shuffled", years=[2019, 2017, 2016, 2018])
    assert shuffled.years == list(YEARS[:4])
    backward = run_panel(shuffled)
    assert backward.years == forward.years
    pd.testing.assert_frame_equal(
        read_panel_emerging(tmp_path / "shuffled"), read_panel_emerging(tmp_path / "forward")
    )


def test_a_new_block_size_redoes_the_years_the_emerging_step_reads(
    workload: Path, tmp_path: Path
) -> None:
    """The parts are blocks of industries: read with another block size they would not match."""
    run_panel(_config(workload, tmp_path, emerging=None, compute={"industries_per_task": 1}))
    again = run_panel(_config(workload, tmp_path, compute={"industries_per_task": 3}))
    assert again.report["years_computed"] == list(YEARS)
    assert again.emerging is not None
    assert (again.emerging[list(EMERGING_CLASSES)].sum(axis=1) == 300).all()


def test_a_part_deleted_or_cut_short_since_the_run_is_computed_again(
    workload: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(workload, tmp_path, years=list(YEARS[:3]))
    first = run_panel(config)
    expected = read_panel_emerging(tmp_path)
    (tmp_path / "hotspots" / "year=2017" / "part-00001.parquet").unlink()
    cut = tmp_path / "emerging" / "part-00002.parquet"
    cut.write_bytes(cut.read_bytes()[:100])
    again = run_panel(config)
    assert again.report["years_computed"] == [2017]
    assert "part-00001.parquet missing or not whole" in caplog.text
    assert "part-00002.parquet missing or not whole" in caplog.text
    pd.testing.assert_frame_equal(read_panel_emerging(tmp_path), expected)
    pd.testing.assert_frame_equal(again.summary, first.summary)
