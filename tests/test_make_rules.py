"""The Makefile rules of a run: one process makes every stale stage; each stage has a target."""

from __future__ import annotations

import subprocess
from pathlib import Path

from clustergeo.config import load_config
from clustergeo.stages import registry as r
from clustergeo.stages.make_rules import make_rules
from clustergeo.stages.manifest import MISSING_OUTPUT, output_rules
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


def test_the_rules_include_each_stages_output_rules() -> None:
    lines, manifests, _config_file = _rules()
    folder = manifests[0].rsplit("/", 1)[0]
    include = lines.index(f"-include $(wildcard {folder}/*.outputs.mk)")
    assert lines[include - 2 : include] == [f".PHONY: {MISSING_OUTPUT}", f"{MISSING_OUTPUT}:"]


def test_a_missing_output_makes_its_manifest_stale(tmp_path: Path) -> None:
    manifest = tmp_path / "manifests" / "publish.json"
    kept, gone = tmp_path / "report.md", tmp_path / "figures" / "a map.png"
    for path in (kept, gone, manifest):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("made\n", encoding="utf-8")
    rules = tmp_path / "publish.outputs.mk"
    rules.write_text(output_rules(manifest, [kept, gone]), encoding="utf-8")
    makefile = tmp_path / "Makefile"
    makefile.write_text(
        f".PHONY: {MISSING_OUTPUT}\n{MISSING_OUTPUT}:\ninclude {rules}\n{manifest}:\n\t@echo run\n",
        encoding="utf-8",
    )

    def up_to_date() -> bool:
        question = ["make", "-q", "-f", str(makefile), str(manifest)]
        return subprocess.run(question, cwd=tmp_path, check=False).returncode == 0

    assert up_to_date()
    gone.unlink()  # a name with a space, escaped for make
    assert not up_to_date()
    kept.touch()  # a newer output alone is the run's to judge, not make's
    gone.write_text("made again\n", encoding="utf-8")
    assert up_to_date()
    assert output_rules(manifest, []).count("\n") == 2  # the comment only: nothing to miss
