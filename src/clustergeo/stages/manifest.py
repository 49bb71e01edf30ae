"""Stage manifests: what each stage produced, from what, so a re-run does only what is stale.

After a stage succeeds, ``<output_dir>/manifests/<stage>.json`` records the checksums of the
files it wrote, together with what they were made from: the config, the code version, and
either the raw inputs' checksums (ingest) or the previous stage's manifest. A stage is
**current** when its manifest exists, every file it lists is still there with the same
checksum, and config, code and upstream are unchanged. ``clustergeo run`` skips current stages
and runs the rest, so after a crash, a kill or an edit it resumes from what is still valid.

Every output is written atomically (a temporary file renamed into place), so a run killed in
the middle of a stage leaves the previous outputs whole; the killed stage has no new manifest,
so it runs again. Temporary files such a kill leaves behind (``.name.partial.ext``) are
removed at the start of the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from clustergeo.config import RunConfig
from clustergeo.io import file_sha256, write_json
from clustergeo.stages.paths import RunPaths

__all__ = [
    "code_digest",
    "is_current",
    "record",
    "remove_partial_files",
    "stage_outputs",
]

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1


def _manifest_path(paths: RunPaths, stage: str) -> Path:
    return paths.root / "manifests" / f"{stage}.json"


def stage_outputs(paths: RunPaths, stage: str) -> list[Path]:
    """The files a stage wrote, as they are on disk now (temporary files excluded)."""
    folders = {
        "ingest": [paths.ingest_dir],
        "concentration": [paths.concentration_dir],
        "hotspots": [paths.hotspots_dir],
        "clusters": [paths.clusters_dir],
        "governance": [paths.governance_dir],
        "surface": [paths.surface_dir],
        "publish": [paths.figures_dir],
    }[stage]
    files = [f for folder in folders if folder.exists() for f in folder.rglob("*") if f.is_file()]
    if stage == "publish":
        singles = (
            paths.geopackage,
            paths.qgis_project,
            paths.report_md,
            paths.report_html,
            paths.provenance,
        )
        files += [path for path in singles if path.exists()]
    return sorted(f for f in files if ".partial" not in f.name)


def code_digest() -> str:
    """SHA-256 over clustergeo's own source and data files: any code change makes stages stale."""
    digest = hashlib.sha256()
    package = resources.files("clustergeo")
    root = Path(str(package))
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


#: The config sections each stage reads; earlier stages' settings reach it through upstream.
_STAGE_SETTINGS = {
    "ingest": (
        "data_dir",
        "areas",
        "employment",
        "study_area",
        "hierarchy",
        "authorities",
        "industries",
    ),
    "concentration": ("concentration",),
    "hotspots": ("hotspots",),
    "clusters": ("clusters",),
    "governance": ("governance",),
    "surface": ("surface",),
    "publish": ("name", "description", "synthetic", "output_dir"),
}


def _config_digest(config: RunConfig, stage: str) -> str:
    settings = config.model_dump(mode="json", include=set(_STAGE_SETTINGS[stage]))
    if stage == "ingest":
        # Where relative inputs resolve matters, not how the config spelled it.
        settings["data_dir"] = str(config.resolved_data_dir)
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _upstream(config: RunConfig, paths: RunPaths, stage: str, stages: Sequence[str]) -> str:
    """What the stage was made from: the raw inputs (first stage) or the previous manifest."""
    position = list(stages).index(stage)
    if position == 0:
        inputs = {role: file_sha256(p) for role, p in sorted(config.input_paths().items())}
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    previous = _manifest_path(paths, stages[position - 1])
    if not previous.exists():
        return ""
    return hashlib.sha256(previous.read_bytes()).hexdigest()


def record(
    config: RunConfig, stage: str, stages: Sequence[str], *, code: str | None = None
) -> Path:
    """Write the manifest of a stage that has just succeeded."""
    paths = RunPaths.for_config(config)
    outputs = {
        str(path.relative_to(paths.root)): file_sha256(path) for path in stage_outputs(paths, stage)
    }
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "stage": stage,
        "config": _config_digest(config, stage),
        "code": code or code_digest(),
        "upstream": _upstream(config, paths, stage, stages),
        "outputs": outputs,
    }
    return write_json(manifest, _manifest_path(paths, stage))


def is_current(  # noqa: PLR0911 (one return per reason a stage must run)
    config: RunConfig, stage: str, stages: Sequence[str], *, code: str | None = None
) -> tuple[bool, str]:
    """Whether a stage's outputs are valid for the current config, code and inputs.

    Returns
    -------
    current, reason
        ``reason`` says why a stage must run (for the log), or is empty.
    """
    paths = RunPaths.for_config(config)
    path = _manifest_path(paths, stage)
    if not path.exists():
        return False, "no record of a finished run"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False, "its record is unreadable"
    if manifest.get("manifest_version") != MANIFEST_VERSION:
        return False, "its record is from another version"
    if manifest.get("config") != _config_digest(config, stage):
        return False, f"its settings in the config changed ({', '.join(_STAGE_SETTINGS[stage])})"
    if manifest.get("code") != (code or code_digest()):
        return False, "the code changed"
    try:
        upstream = _upstream(config, paths, stage, stages)
    except OSError:
        return False, "an input cannot be read"
    if manifest.get("upstream") != upstream:
        return False, "its inputs changed" if stages.index(stage) == 0 else "an earlier stage ran"
    for name, checksum in manifest.get("outputs", {}).items():
        output = paths.root / name
        if not output.exists():
            return False, f"{name} is missing"
        if file_sha256(output) != checksum:
            return False, f"{name} changed"
    return True, ""


def remove_partial_files(paths: RunPaths) -> int:
    """Delete temporary files left by a run that was killed while writing; return how many."""
    if not paths.root.exists():
        return 0
    leftovers = [p for p in paths.root.rglob(".*.partial*") if p.is_file()]
    for path in leftovers:
        path.unlink(missing_ok=True)
    if leftovers:
        log.info("Removed %d unfinished files left by an interrupted run", len(leftovers))
    return len(leftovers)
