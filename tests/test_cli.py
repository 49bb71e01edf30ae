"""The command line starts instantly, and the demo runs from any folder after installation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clustergeo.cli import main
from clustergeo.stages import registry as r
from conftest import REPO

HEAVY = ("geopandas", "numba", "dask", "distributed", "matplotlib", "pandas", "shapely")
DEMO = REPO / "pipelines" / "demo.yaml"


def _imported(*args: str) -> set[str]:
    """Top-level packages a fresh ``python -m clustergeo ARGS`` imports (from -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "clustergeo", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize(
    "args",
    [("--help",), ("--version",), ("paths", str(DEMO), "output_dir"), ("check", str(DEMO))],
)
def test_the_command_line_starts_without_the_heavy_libraries(args: tuple[str, ...]) -> None:
    imported = _imported(*args)
    assert "click" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_help_lists_every_stage_of_the_registry() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for stage in r.STAGES:
        assert stage.name in result.output


def test_paths_lists_each_stages_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["paths", str(DEMO), "stages"])
    assert result.exit_code == 0, result.output
    for stage in r.STAGES:
        assert f"{stage.name}: {stage.summary}" in result.output
    assert "writes " in result.output
    assert (
        "manifests/publish.json"
        in CliRunner().invoke(main, ["paths", str(DEMO), "make-rules"]).output
    )


@pytest.mark.e2e
def test_the_demo_runs_from_any_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "clustergeo", "-q", "demo"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    folder = elsewhere / "clustergeo-demo"
    assert (folder / "demo.yaml").read_text(encoding="utf-8").count("extends: demo") == 1
    assert (folder / "raw" / "employment_wp605ew.csv").is_file()
    assert (folder / "processed" / "clustergeo.gpkg").is_file()
    assert (folder / "processed" / "report.md").is_file()
