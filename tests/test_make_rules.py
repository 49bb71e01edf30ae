"""The Makefile rules of a run: one process makes every stale stage; each stage has a target."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from clustergeo.config import RunConfig, load_config
from clustergeo.stages import make_rules as make_rules_module
from clustergeo.stages import registry as r
from clustergeo.stages.make_rules import make_rules
from clustergeo.stages.manifest import MISSING_OUTPUTS_VARIABLE, make_escape, output_rules
from clustergeo.stages.paths import RunPaths
from conftest import REPO

DEMO = REPO / "pipelines" / "demo.yaml"


def _rules() -> tuple[list[str], list[str], str]:
    config = load_config(DEMO)
    paths = RunPaths.for_config(config)
    manifests = [str(paths.manifest(stage)) for stage in r.STAGES]
    return make_rules(config).splitlines(), manifests, str(config.config_path)


def test_every_manifest_is_made_by_one_run_of_every_stage() -> None:
    lines, manifests, config_file = _rules()
    grouped = [n for n, line in enumerate(lines) if line.endswith(" &:")]
    assert len(grouped) == 1
    assert lines[grouped[0]] == f"{' '.join(manifests)} &:"
    assert lines[grouped[0] + 1] == f"\t$(CG) run {config_file}"
    assert lines[grouped[0] + 2] == ""
    assert lines[-1] == f"all: {' '.join(manifests)}"


def _upstream(stage: r.Stage) -> set[str]:
    """The names of the stages whose artefacts ``stage`` reads, directly or not."""
    names: set[str] = set()
    for artefact in stage.reads:
        producer = r.producer_of(artefact)
        names |= {producer.name, *_upstream(producer)}
    return names


def test_each_manifest_depends_on_the_code_before_it_but_on_no_other_manifest() -> None:
    # The manifests are made together, so a manifest among another's prerequisites would be
    # a cycle inside the group (make drops such edges and runs the recipe twice). A stage
    # inherits its upstream stages' prerequisites instead, so a change to one reaches it.
    lines, manifests, config_file = _rules()
    for stage, manifest in zip(r.STAGES, manifests, strict=True):
        rule = next(line for line in lines if line.startswith(f"{manifest}: "))
        prerequisites = rule.removeprefix(f"{manifest}: ").split(" ")
        assert prerequisites[0] == config_file
        files = [p for p in prerequisites if p != "$(wildcard"]
        assert len(files) == len(set(files)), stage.name
        assert not set(prerequisites) & set(manifests), stage.name
        modules = {p.rsplit("/", 1)[-1] for p in prerequisites if "/stages/" in p}
        expected = {f"{name}.py" for name in {stage.name, *_upstream(stage)}}
        assert expected <= modules, stage.name
        others = {f"{s.name}.py" for s in r.STAGES} - expected
        assert not modules & others, stage.name


def test_each_stage_has_a_target_running_its_own_command() -> None:
    lines, _, config_file = _rules()
    for stage in r.STAGES:
        at = lines.index(f"{stage.name}:")
        assert lines[at - 1] == f".PHONY: {stage.name}"
        assert lines[at + 1] == f"\t$(CG) {stage.name} {config_file}"


def _config_in(folder: Path) -> RunConfig:
    """The demo's config with its outputs in ``folder``."""
    config_file = folder.parent / f"{folder.name}.yaml"
    config_file.write_text(f'extends: demo\noutput_dir: "{folder}"\n', encoding="utf-8")
    return load_config(config_file)


def _outputs_section(config: RunConfig) -> str:
    """The lines of the run's rules that read the stages' output rules, with a recipe."""
    rules = make_rules(config)
    section = rules[rules.index("# Each stage's outputs") : rules.index("\nall: ")]
    manifests = " ".join(make_escape(RunPaths.for_config(config).manifest(s)) for s in r.STAGES)
    return f"{section}\n{manifests} &:\n\t@echo run\n"


def _write_run(config: RunConfig, outputs: list[str]) -> list[Path]:
    """Every manifest of a run, made after the publish ``outputs`` and their rules."""
    paths = RunPaths.for_config(config)
    files = [paths.root / name for name in outputs]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("made\n", encoding="utf-8")
    publish = r.stage("publish")
    paths.manifest(publish).parent.mkdir(parents=True, exist_ok=True)
    paths.output_rules(publish).write_text(
        output_rules(publish, paths.root, files), encoding="utf-8"
    )
    for stage in r.STAGES:
        paths.manifest(stage).write_text("{}\n", encoding="utf-8")
    return files


def _up_to_date(config: RunConfig, makefile: Path) -> bool:
    manifest = make_escape(RunPaths.for_config(config).manifest(r.stage("ingest")))
    question = ["make", "-q", "-f", str(makefile), manifest.replace("\\ ", " ")]
    return subprocess.run(question, cwd=makefile.parent, check=False).returncode == 0


def test_a_missing_output_makes_every_manifest_stale(tmp_path: Path) -> None:
    # A folder name make must escape: a space and brackets (which its wildcard would expand).
    config = _config_in(tmp_path / "run folder [1]")
    kept, gone = _write_run(config, ["report.md", "figures/clusters.png"])
    makefile = tmp_path / "Makefile"
    makefile.write_text(_outputs_section(config), encoding="utf-8")
    assert _up_to_date(config, makefile)
    gone.unlink()
    # Any stage's missing output stales the whole group, which is one run.
    assert not _up_to_date(config, makefile)
    kept.touch()  # a newer output alone is the run's to judge, not make's
    gone.write_text("made again\n", encoding="utf-8")
    assert _up_to_date(config, makefile)


def test_a_copied_run_checks_its_own_outputs(tmp_path: Path) -> None:
    original = _config_in(tmp_path / "first")
    _write_run(original, ["report.md", "figures/clusters.png"])
    copy = _config_in(tmp_path / "second")
    shutil.copytree(tmp_path / "first", tmp_path / "second")
    makefile = tmp_path / "Makefile"
    makefile.write_text(_outputs_section(copy), encoding="utf-8")
    assert _up_to_date(copy, makefile)
    (tmp_path / "first" / "figures" / "clusters.png").unlink()
    assert _up_to_date(copy, makefile)
    (tmp_path / "second" / "figures" / "clusters.png").unlink()
    assert not _up_to_date(copy, makefile)


def test_a_stage_with_no_outputs_has_nothing_to_miss(tmp_path: Path) -> None:
    rules = output_rules(r.stage("growth"), tmp_path, [])
    assert MISSING_OUTPUTS_VARIABLE not in rules


def test_a_packages_files_are_listed_where_its_path_has_a_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make's wildcard would hand "My Projects/..." back as two names.
    package = tmp_path / "My Projects" / "clustergeo"
    for name in ("hotspots/engine.py", "hotspots/sub/kernels.py", "hotspots/rules.yaml"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("", encoding="utf-8")
    monkeypatch.setattr(make_rules_module, "_PACKAGE", package)
    prerequisites = make_rules_module._code_prerequisites(r.stage("hotspots"))
    assert not any("$(wildcard" in p for p in prerequisites)
    escaped = str(package).replace(" ", "\\ ")
    for name in ("hotspots/engine.py", "hotspots/sub/kernels.py", "hotspots/rules.yaml"):
        assert f"{escaped}/{name}" in prerequisites
    assert f"{escaped}/stages/hotspots.py" in prerequisites
