"""The stage registry against the code: declarations complete, consistent, and obeyed.

* the declarations are consistent (each read has an earlier writer, paths are unique, every
  declared setting and code path exists);
* every config field a stage reads while it runs, and every clustergeo module it imports, is
  declared (so a changed setting or module always re-runs the stages it affects);
* editing a setting re-runs the stages that read it and, after them, only stages whose inputs
  changed; renaming the demo and switching ``synthetic`` off leaves no output saying
  "synthetic demo data";
* ``make`` drives the stages from the generated rules in one process, a stage's own target
  runs that stage, and a finished run is a no-op.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import yaml
from pydantic import BaseModel

from clustergeo import config as config_module
from clustergeo.config import RunConfig, load_config
from clustergeo.demo.region import write_demo_inputs
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import code_files
from clustergeo.stages.paths import RunPaths
from clustergeo.stages.runner import run_stages
from conftest import REPO

pytestmark = pytest.mark.e2e

PACKAGE = REPO / "src" / "clustergeo"
#: Where a run is, and the config's own location: read by every stage, never a setting.
LOCATION_FIELDS = {"output_dir", "config_path"}


# --- a small finished run


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    write_demo_inputs(root / "raw", n_areas=600)
    (root / "clusters.yaml").write_text(
        "clusters:\n"
        "  manufacturing: {label: Manufacturing, sic: [C]}\n"
        "  logistics: {label: Transport and storage, sic: [H]}\n",
        encoding="utf-8",
    )
    return root


def _settings(region: Path, folder: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "extends": "demo",
        "data_dir": str(region / "raw"),
        "output_dir": str(region / folder),
        "industries": {"cluster_definitions": str(region / "clusters.yaml")},
        "hotspots": {"permutations": 99, "max_permutations": 0},
    }
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def _write(region: Path, name: str, data: dict[str, Any]) -> Path:
    path = region / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(region: Path) -> Path:
    """A finished run of every stage; tests copy it before changing anything."""
    config = load_config(_write(region, "finished", _settings(region, "finished")))
    run_stages(config)
    return config.resolved_output_dir


def _copy_run(finished: Path, region: Path, folder: str, **changes: Any) -> RunConfig:
    shutil.copytree(finished, region / folder)
    name = folder.replace(" ", "_")  # the config's own file name: make reads it unquoted
    return load_config(_write(region, name, _settings(region, folder, **changes)))


# --- every config field a stage reads is declared


@contextmanager
def _recording_reads(config: RunConfig) -> Iterator[set[str]]:
    """Record the dotted path of every config field read inside the block, however deep."""
    paths: dict[int, str] = {}

    def walk(model: BaseModel, prefix: str) -> None:
        paths[id(model)] = prefix
        for name in type(model).model_fields:
            value = object.__getattribute__(model, name)
            inner = f"{prefix}.{name}" if prefix else name
            if isinstance(value, BaseModel):
                walk(value, inner)
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, BaseModel):
                        walk(item, f"{inner}.{key}")

    walk(config, "")
    reads: set[str] = set()

    def recorder(self: BaseModel, name: str) -> Any:
        value = object.__getattribute__(self, name)
        prefix = paths.get(id(self))
        # A section is a way to its fields: the reads that count are those of its values.
        if (
            prefix is not None
            and name in type(self).model_fields
            and not isinstance(value, BaseModel)
        ):
            reads.add(f"{prefix}.{name}" if prefix else name)
        return value

    strict = config_module._Strict
    strict.__getattribute__ = recorder  # type: ignore[method-assign,assignment]
    try:
        yield reads
    finally:
        del strict.__getattribute__


#: Stages the demo (one year, no growth section) cannot run; test_growth_stage.py checks them
#: on a table of several years.
NOT_ON_THE_DEMO = {"growth": "the demo has one year: test_growth_stage.py checks growth"}


def _on_the_demo(name: str) -> None:
    if name in NOT_ON_THE_DEMO:
        pytest.skip(NOT_ON_THE_DEMO[name])


def _covered(read: str, declared: tuple[str, ...]) -> bool:
    return any(d in ("*", read) or read.startswith(f"{d}.") for d in declared)


@pytest.mark.parametrize("name", r.stage_names())
def test_every_config_field_a_stage_reads_is_declared(
    finished: Path, region: Path, name: str
) -> None:
    _on_the_demo(name)
    stage = r.stage(name)
    config = _copy_run(finished, region, f"reads_{name}")
    import importlib

    runner = importlib.import_module(stage.module)
    with _recording_reads(config) as reads:
        runner.run(config)
    undeclared = sorted(
        read
        for read in reads - LOCATION_FIELDS
        if not _covered(read, (*stage.settings, *stage.runs_on))
    )
    assert not undeclared, f"{name} reads {undeclared} but does not declare them"
    # And no declaration is idle: each names something the stage reads. The data folder and the
    # run's name (which names the cache of OSM land fetched online) matter only to stages
    # whose optional inputs the demo does not have.
    conditional = {"*", "data_dir", "name"} if name == "surface" else {"*", "data_dir"}
    idle = [
        d
        for d in stage.settings
        if d not in conditional and not any(_covered(read, (d,)) for read in reads)
    ]
    assert not idle, f"{name} declares {idle} but never reads them"


# --- every clustergeo module a stage runs is declared

# The modules loading the config imports (its validation) are the config's, not the stage's.
_IMPORTS = """
import importlib, json, sys
from clustergeo.config import load_config
config = load_config(sys.argv[1])
before = set(sys.modules)
importlib.import_module(sys.argv[2]).run(config)
print(json.dumps(sorted(m.__file__ for n, m in list(sys.modules.items())
    if n.startswith("clustergeo") and n not in before and getattr(m, "__file__", None))))
"""


@pytest.mark.parametrize("name", r.stage_names())
def test_every_module_a_stage_runs_is_declared(finished: Path, region: Path, name: str) -> None:
    _on_the_demo(name)
    stage = r.stage(name)
    config = _copy_run(finished, region, f"code_{name}")
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS, str(config.config_path), stage.module],
        capture_output=True,
        text=True,
        check=True,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
    )
    imported = {Path(f).resolve() for f in json.loads(result.stdout.splitlines()[-1])}
    declared = {p.resolve() for p in code_files(stage)}
    undeclared = sorted(str(p.relative_to(PACKAGE.resolve())) for p in imported - declared)
    assert not undeclared, f"{name} runs {undeclared} but its declaration does not list them"


# --- a changed setting re-runs exactly the stages that read it ---

#: One setting each stage reads, and a new value for it.
CHANGES = {
    "ingest": ("employment__description", "Workplace counts, relabelled"),
    # The boundaries declare their CRS already: an assumed one changes no output.
    "areas": ("areas__crs", "EPSG:27700"),
    "concentration": ("concentration__confidence_level", 0.9),
    "hotspots": ("hotspots__seed", 7),
    "clusters": ("clusters__min_units", 2),
    "governance": ("governance__edge_distance_km", 2.5),
    "surface": ("surface__stable_iou", 0.6),
    "circular": ("circular__distance_km", 5.0),
    "publish": ("description", "The demo, described anew"),
}


@pytest.mark.parametrize("name", r.stage_names())
def test_editing_a_setting_reruns_exactly_the_stages_that_read_it(
    finished: Path, region: Path, name: str
) -> None:
    _on_the_demo(name)
    key, value = CHANGES[name]
    setting = key.replace("__", ".")
    config = _copy_run(finished, region, f"edit_{name}", **{key: value})
    ran = {o.name for o in run_stages(config) if o.status == "ran"}
    readers = {s.name for s in r.STAGES if _covered(setting, s.settings)}
    assert name in readers
    assert readers <= ran, f"{sorted(readers - ran)} read {setting} but did not re-run"
    for stage in r.STAGES:
        if stage.name in ran and stage.name not in readers:
            upstream = {r.producer_of(a).name for a in stage.reads}
            assert upstream & ran, f"{stage.name} re-ran though nothing it reads changed"
    again = run_stages(config)
    assert [o.status for o in again] == ["skipped"] * len(r.STAGES)


# Not growth, which the demo cannot run, nor publish, which no stage reads.
@pytest.mark.parametrize("name", [s.name for s in r.STAGES if s.name not in {"growth", "publish"}])
def test_a_stage_run_again_to_the_same_bytes_leaves_the_stages_after_it_current(
    finished: Path, region: Path, name: str
) -> None:
    # Its report used to record how long it took, so every run of it looked like news.
    config = _copy_run(finished, region, f"again_{name}")
    assert {o.status for o in run_stages(config)} <= {"skipped", "not_applicable"}
    forced = run_stages(config, [name], force=True)
    assert [o.name for o in forced if o.status == "ran"] == [name]
    again = run_stages(config)
    assert [o.name for o in again if o.status == "ran"] == []


def test_publish_keeps_the_maps_it_draws_the_same_and_redraws_the_rest(
    finished: Path, region: Path
) -> None:
    config = _copy_run(finished, region, "kept_maps")
    figures = config.resolved_output_dir / "figures"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in figures.iterdir()}
    # One map's PNG spoilt since the last run: the run redoes publish, which draws that map
    # again and keeps the others.
    (figures / "lq_all.png").write_bytes(b"not the map")
    ran = run_stages(config)
    assert [o.name for o in ran if o.status == "ran"] == ["publish"]
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in figures.iterdir()}
    assert set(after) == set(before)
    redrawn = {name for name in after if after[name][0] != before[name][0]}
    assert redrawn == {"lq_all.png", "lq_all.pdf", "lq_all.svg"}
    # Drawn again, to the same bytes; kept, untouched.
    assert all(after[name][1] == before[name][1] for name in after)
    # The run's record still lists every map, so nothing counts as stale or missing.
    assert {o.status for o in run_stages(config)} <= {"skipped", "not_applicable"}
    # --force writes everything anew (after an upgrade, say): no map is kept.
    run_stages(config, ["publish"], force=True)
    forced = {p.name: p.stat().st_mtime_ns for p in figures.iterdir()}
    assert all(forced[name] != after[name][0] for name in forced)


def test_maps_written_by_other_code_are_never_kept(finished: Path, region: Path) -> None:
    from clustergeo.stages.manifest import recorded_outputs

    config = _copy_run(finished, region, "other_code")
    kept = recorded_outputs(config, r.PUBLISH)
    assert "figures/lq_all.svg" in kept
    record = RunPaths.for_config(config).manifest(r.PUBLISH)
    manifest = json.loads(record.read_text(encoding="utf-8"))
    manifest["code"]["publish/plotting.py"] = "0" * 64
    record.write_text(json.dumps(manifest), encoding="utf-8")
    assert recorded_outputs(config, r.PUBLISH) == {}


def _texts(root: Path) -> dict[str, str]:
    suffixes = {".md", ".html", ".json", ".csv", ".qgs", ".yaml"}
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p.suffix in suffixes and "manifests" not in p.parts
    }


def test_renaming_the_demo_and_switching_synthetic_off_reruns_what_mentions_it(
    finished: Path, region: Path
) -> None:
    assert any("synthetic demo data" in text for text in _texts(finished).values())
    config = _copy_run(finished, region, "renamed", name="renamed", synthetic=False)
    ran = {o.name for o in run_stages(config) if o.status == "ran"}
    assert {"governance", "publish"} <= ran
    assert not {"concentration", "hotspots", "clusters"} & ran
    root = config.resolved_output_dir
    mentions = [name for name, text in _texts(root).items() if "synthetic demo data" in text]
    assert mentions == []
    title = pyogrio.read_info(root / "clustergeo.gpkg", layer="clusters")["dataset_metadata"]
    assert title["TITLE"] == "clustergeo: renamed"
    summaries = (root / r.AUTHORITY_SUMMARIES_MD.path).read_text(encoding="utf-8")
    assert summaries.startswith("# Clusters by authority: renamed\n")


# --- what the current config no longer produces is removed


def test_outputs_the_config_no_longer_produces_are_removed(finished: Path, region: Path) -> None:
    data = _settings(region, "pruned")
    # In a config that extends another, null removes a key: the grid, then the county tier.
    data["surface"] = None
    data["governance"] = {"sites": "none"}
    data["hierarchy"] = {"county": None}
    data["authorities"] = {"layers": {"county": None}}
    shutil.copytree(finished, region / "pruned")
    config = load_config(_write(region, "pruned", data))
    assert "county" not in config.hierarchy
    assert config.surface is None
    outcomes = {o.name: o.status for o in run_stages(config)}
    assert outcomes["surface"] == "not_applicable"
    run = RunPaths.for_config(config)
    for artefact in (r.SURFACE_TIF, r.GRID_CLUSTERS, r.MAUP, r.SITES, r.SITE_AUTHORITIES):
        assert not run[artefact].exists(), artefact.path
    assert not run[r.AUTHORITY_POLYGONS["county"]].exists()
    assert not (run[r.FIGURES] / "maup.png").exists()
    assert not list(run[r.FIGURES].glob("site_*"))
    report = run[r.REPORT_MD].read_text(encoding="utf-8")
    assert "maup.png" not in report
    layers_written = {str(n) for n in pyogrio.list_layers(run[r.GEOPACKAGE])[:, 0]}
    assert "county" not in layers_written
    assert "grid_clusters" not in layers_written


# --- make drives the stages


# A checkout in a folder such as "My Projects" puts a space in every path make is given.
@pytest.mark.parametrize("folder", ["make", "make with spaces"])
def test_make_runs_the_generated_rules_and_a_finished_run_is_a_no_op(
    finished: Path, region: Path, folder: str
) -> None:
    config = _copy_run(finished, region, folder)
    around = sorted(region.iterdir())
    # The copy's output rules name its files relative to the folder, not the original's.
    copied = (RunPaths.for_config(config).root / "manifests" / "publish.outputs.mk").read_text()
    assert "figures/clusters.svg" in copied
    assert str(finished) not in copied
    command = [
        "make",
        "--no-print-directory",
        "-f",
        str(REPO / "pipeline.mk"),
        "all",
        f"CONFIG={config.config_path}",
        f"CG={sys.executable} -m clustergeo",
    ]
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    assert "publish" in first.stdout + first.stderr
    # Every stage is brought up to date by one process, not one process per stage.
    launched = [line for line in first.stdout.splitlines() if "-m clustergeo " in line]
    assert launched == [f"{sys.executable} -m clustergeo run {config.config_path}"]
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    assert "Nothing to be done for 'all'" in again.stdout
    # An output deleted since is noticed by make too: the run redoes the stage that wrote it.
    figure = RunPaths.for_config(config)[r.FIGURES] / "clusters.svg"
    figure.unlink()
    redo = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    assert "Stage publish: runs because figures/clusters.svg is missing" in redo.stderr
    assert "Stage hotspots: up to date, skipped" in redo.stderr
    assert figure.is_file()
    after = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    assert "Nothing to be done for 'all'" in after.stdout
    assert "warning" not in after.stderr
    # Nothing written beside the run, or in the checkout, under a name cut at a space.
    assert sorted(region.iterdir()) == around
    assert not (REPO / "with").exists()
    rules = (RunPaths.for_config(config).root / "manifests" / "rules.mk").read_text()
    for stage in r.STAGES:
        assert f"manifests/{stage.name}.json:" in rules
        assert f" {stage.name} {config.config_path}" in rules
    # A stage's own target runs that stage's command, which finds it current.
    one = subprocess.run(
        [*command[:-3], "hotspots", *command[-2:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"-m clustergeo hotspots {config.config_path}" in one.stdout
    assert "Stage hotspots: up to date, skipped" in one.stdout + one.stderr
