"""Crash safety: a run killed in any stage resumes from what is valid and ends identical.

Each case starts ``clustergeo run`` in a subprocess, kills it (SIGKILL, no clean-up) once a
given stage has started, runs again, and compares every output with an uninterrupted run.
The region is the synthetic demo at its smallest, with two cluster definitions, to keep the
six kills quick.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import yaml
from click.testing import CliRunner

from clustergeo.cli import main
from clustergeo.demo.region import write_demo_inputs
from clustergeo.io import is_temporary
from clustergeo.stages.registry import stage_names

CLUSTERGEO = [sys.executable, "-m", "clustergeo"]
TABLES = (
    "ingest/areas.parquet",
    "ingest/employment.parquet",
    "concentration/lq.parquet",
    "hotspots/hotspots.parquet",
    "hotspots/weights.parquet",
    "clusters/clusters.parquet",
    "clusters/members.parquet",
    "governance/clusters.parquet",
    "governance/cluster_authorities.parquet",
    "governance/sites.parquet",
    "governance/authority_summaries.parquet",
)
TEXTS = ("concentration/lq.csv", "governance/authority_summaries.md", "clusters/clusters.csv")
# GeoPackages say when they were made: their layers are compared, not their bytes.


@pytest.fixture(scope="module")
def small_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    write_demo_inputs(root / "raw", n_areas=600)
    definitions = root / "clusters.yaml"
    definitions.write_text(
        "clusters:\n"
        "  manufacturing: {label: Manufacturing, sic: [C]}\n"
        "  logistics: {label: Transport and storage, sic: [H]}\n",
        encoding="utf-8",
    )
    return root


def _config(region: Path, name: str) -> Path:
    data = {
        "extends": "demo",
        "data_dir": str(region / "raw"),
        "output_dir": str(region / name),
        "industries": {"cluster_definitions": str(region / "clusters.yaml")},
        "hotspots": {"permutations": 999, "max_permutations": 0},
    }
    path = region / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _run(config: Path) -> list[str]:
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


@pytest.fixture(scope="module")
def reference(small_region: Path) -> Path:
    config = _config(small_region, "reference")
    _run(config)
    return small_region / "reference"


def _kill_during(config: Path, stage: str) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    with subprocess.Popen(
        [*CLUSTERGEO, "run", str(config)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if f"Stage {stage}: starting" in line:
                time.sleep(0.2)
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)


def _assert_same_outputs(run: Path, reference: Path) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(run / name), pd.read_parquet(reference / name)
        )
    for name in TEXTS:
        assert (run / name).read_text(encoding="utf-8") == (reference / name).read_text(
            encoding="utf-8"
        ), name
    for stage in ("hotspots", "clusters", "governance"):
        assert json.loads((run / stage / "report.json").read_text()) == json.loads(
            (reference / stage / "report.json").read_text()
        )
    layers = [str(n) for n in pyogrio.list_layers(reference / "clustergeo.gpkg")[:, 0]]
    assert [str(n) for n in pyogrio.list_layers(run / "clustergeo.gpkg")[:, 0]] == layers
    for layer in ("clusters", "areas_lq", "hotspots_areas"):
        ours = pyogrio.read_dataframe(run / "clustergeo.gpkg", layer=layer)
        theirs = pyogrio.read_dataframe(reference / "clustergeo.gpkg", layer=layer)
        pd.testing.assert_frame_equal(
            ours.drop(columns="geometry"), theirs.drop(columns="geometry")
        )
        assert ours.geometry.geom_equals_exact(theirs.geometry, tolerance=0).all()
    figures = sorted(p.name for p in (reference / "figures").iterdir())
    assert sorted(p.name for p in (run / "figures").iterdir()) == figures
    assert not [p for p in run.rglob("*") if is_temporary(p)]


#: Stages that do not apply to the demo (one year, no growth section): never killed in.
NOT_APPLICABLE = {"growth"}


def _skipped(stage: str, line: str) -> bool:
    """Whether a log line says the stage was left alone: current, or still not applicable."""
    return f"Stage {stage}: up to date, skipped" in line or (
        stage in NOT_APPLICABLE and f"Stage {stage}: not applicable" in line
    )


@pytest.mark.parametrize("stage", stage_names())
def test_a_run_killed_in_any_stage_resumes_and_ends_identical(
    small_region: Path, reference: Path, stage: str
) -> None:
    if stage in NOT_APPLICABLE:
        pytest.skip("the demo has one year and no growth section: the stage never runs")
    config = _config(small_region, f"killed_in_{stage}")
    _kill_during(config, stage)
    log = _run(config)
    position = stage_names().index(stage)
    for earlier in stage_names()[:position]:
        assert any(_skipped(earlier, line) for line in log), earlier
    # The kill lands in this stage or, for the quickest stages, a later one: that one reruns.
    later = stage_names()[position:]
    assert any(f"Stage {s}: starting" in line for s in later for line in log)
    _assert_same_outputs(small_region / f"killed_in_{stage}", reference)


def test_a_finished_run_is_not_repeated_and_a_config_change_reruns(small_region: Path) -> None:
    config = _config(small_region, "changed")
    _run(config)
    log = _run(config)
    assert all(any(_skipped(s, line) for line in log) for s in stage_names())
    # A cluster setting reruns the clusters, not the statistics; the stages after them rerun
    # because what the clusters stage wrote changed (here, no cluster is left).
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["clusters"] = {"min_employment": 10_000_000}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    log = "\n".join(_run(config))
    for stage in ("ingest", "concentration", "hotspots"):
        assert f"Stage {stage}: up to date, skipped" in log
    assert (
        "Stage clusters: runs because its settings in the config changed "
        "(clusters.min_employment)" in log
    )
    assert re.search(
        r"Stage governance: runs because clusters/\S+ changed \(an earlier stage ran\)", log
    )


def test_an_edited_output_is_rebuilt(small_region: Path, reference: Path) -> None:
    config = _config(small_region, "edited")
    _run(config)
    (small_region / "edited" / "clusters" / "clusters.csv").write_text("tampered\n")
    log = "\n".join(_run(config))
    assert "Stage clusters: runs because clusters/clusters.csv changed" in log
    assert "Stage hotspots: up to date, skipped" in log
    _assert_same_outputs(small_region / "edited", reference)


def test_a_run_folder_with_records_of_an_earlier_version_is_rerun(
    small_region: Path, reference: Path
) -> None:
    config = _config(small_region, "older")
    _run(config)
    # The first release's records: one checksum per whole config, outputs as bare checksums.
    for manifest in (small_region / "older" / "manifests").glob("*.json"):
        record = json.loads(manifest.read_text(encoding="utf-8"))
        outputs = {name: entry["sha256"] for name, entry in record.get("outputs", {}).items()}
        manifest.write_text(
            json.dumps({"manifest_version": 1, "stage": record["stage"], "outputs": outputs}),
            encoding="utf-8",
        )
    log = "\n".join(_run(config))
    assert "Stage ingest: runs because its record is from another version" in log
    for stage in stage_names():
        record = json.loads(
            (small_region / "older" / "manifests" / f"{stage}.json").read_text(encoding="utf-8")
        )
        assert record["manifest_version"] != 1
    _assert_same_outputs(small_region / "older", reference)
