"""Where a run's files live: every path is an artefact of the registry under the output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clustergeo.stages.registry import Artefact, Stage

if TYPE_CHECKING:
    from clustergeo.config import RunConfig

__all__ = ["OUTPUT_RULES_SUFFIX", "RunPaths"]

#: The ending of the files beside the manifests that tell ``make`` each stage's outputs.
OUTPUT_RULES_SUFFIX = ".outputs.mk"


@dataclass(frozen=True)
class RunPaths:
    """The files of one run, all under its output folder ``root``.

    ``paths[artefact]`` is where an artefact of :mod:`clustergeo.stages.registry` lives, e.g.
    ``paths[registry.LQ]``; the registry is the one place file names are defined.
    """

    root: Path

    @classmethod
    def for_config(cls, config: RunConfig) -> RunPaths:
        """Paths of the run a validated config describes."""
        return cls(root=config.resolved_output_dir)

    def __getitem__(self, artefact: Artefact) -> Path:
        return self.root / artefact.path

    def manifest(self, stage: Stage) -> Path:
        """The record a stage writes when it has succeeded."""
        return self[stage.manifest]

    def output_rules(self, stage: Stage) -> Path:
        """The Makefile lines, written with the manifest, that tell make its stage's outputs."""
        return self.manifest(stage).with_name(f"{stage.name}{OUTPUT_RULES_SUFFIX}")

    def outputs(self, stage: Stage) -> list[Path]:
        """The files a stage wrote, as they are on disk now, temporary files excluded."""
        from clustergeo.io import is_temporary

        files: list[Path] = []
        for artefact in stage.writes:
            path = self[artefact]
            if artefact.is_folder:
                if path.is_dir():
                    files.extend(p for p in path.iterdir() if p.is_file())
            elif path.is_file():
                files.append(path)
        return sorted(f for f in files if not is_temporary(f))
