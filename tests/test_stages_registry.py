"""The stage registry's declarations are consistent: reads, writes, settings and code."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from clustergeo.config import RunConfig
from clustergeo.stages import registry as r
from conftest import REPO

PACKAGE = REPO / "src" / "clustergeo"


def test_each_stage_reads_only_what_an_earlier_stage_writes() -> None:
    written: set[r.Artefact] = set()
    for stage in r.STAGES:
        missing = [a.path for a in stage.reads if a not in written]
        assert not missing, f"{stage.name} reads {missing} before any stage writes them"
        written |= set(stage.writes)


def test_artefacts_and_stages_are_unique() -> None:
    artefacts = [a for s in r.STAGES for a in s.writes]
    assert len({a.path for a in artefacts}) == len(artefacts)
    assert len(set(r.stage_names())) == len(r.STAGES)
    for stage in r.STAGES:
        assert (PACKAGE / "stages" / f"{stage.name}.py").is_file(), stage.module


def _field_exists(model: type[BaseModel], path: str) -> bool:
    head, _, rest = path.partition(".")
    field = model.model_fields.get(head)
    if field is None:
        return False
    if not rest:
        return True
    nested = [
        arg
        for arg in (*typing.get_args(field.annotation), field.annotation)
        if isinstance(arg, type) and issubclass(arg, BaseModel)
    ]
    return any(_field_exists(m, rest) for m in nested)


def test_declared_settings_and_code_exist() -> None:
    for stage in r.STAGES:
        for setting in (*stage.settings, *stage.runs_on):
            assert setting == "*" or _field_exists(RunConfig, setting), (stage.name, setting)
        for name in stage.code:
            assert (PACKAGE / name).exists(), (stage.name, name)
    for name in r.CORE_CODE:
        assert (PACKAGE / name).exists(), name
