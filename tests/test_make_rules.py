"""The Makefile rules of a run: one process makes every stale stage; each stage has a target."""

from __future__ import annotations

from clustergeo.config import load_config
from clustergeo.stages import registry as r
from clustergeo.stages.make_rules import make_rules
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
