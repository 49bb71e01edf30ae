"""Stage manifests: what each stage made, from what, so a re-run does only what is stale.

After a stage succeeds, ``<output_dir>/manifests/<stage>.json`` records, from the stage's
declaration in :mod:`~clustergeo.stages.registry`:

* ``settings`` — the value of every config field the stage declares;
* ``code`` — a checksum of every source file the stage runs (its module, the code it declares,
  and the core);
* ``inputs`` — the checksum of every raw input file it reads (with size and modification time,
  so an unchanged file is not read again to be checked);
* ``reads`` — the checksum of every artefact of earlier stages it reads, as their producers
  recorded them;
* ``outputs`` — the checksum, size and modification time of every file it wrote.

A stage is **current** when its manifest exists and its settings, code, inputs and reads are as
recorded and its outputs are still on disk as written. So a changed setting re-runs exactly the
stages that read it; a stage that re-runs and writes the same bytes leaves the stages after it
current; an edited or deleted output is rebuilt. Every output is written atomically, so a run
killed mid-stage leaves the previous outputs whole and no new manifest: that stage runs again.

Beside each manifest, ``<stage>.outputs.mk`` (:func:`output_rules`) tells ``make`` which files
the stage wrote, so that a deleted output makes ``make`` start the run too.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clustergeo.stages.paths import RunPaths
from clustergeo.stages.registry import CORE_CODE, Artefact, Stage, producer_of

if TYPE_CHECKING:
    from clustergeo.config import RunConfig

__all__ = [
    "MISSING_OUTPUTS_VARIABLE",
    "RUN_FOLDER_VARIABLE",
    "Verdict",
    "check",
    "code_digest",
    "code_files",
    "forcing",
    "make_escape",
    "make_pattern_escape",
    "output_rules",
    "record",
    "record_skipped",
    "recorded_outputs",
    "settings_of",
    "stage_inputs",
    "touch",
]

log = logging.getLogger(__name__)

MANIFEST_VERSION = 2
_PACKAGE = Path(__file__).resolve().parents[1]
_CODE_SUFFIXES = (".py", ".yaml", ".csv")


@dataclass(frozen=True)
class Verdict:
    """Whether a stage is current and, if not, why it must run (for the log)."""

    current: bool
    reason: str = ""


# --- What a stage depends on ---------------------------------------------------------------------


def code_files(stage: Stage) -> list[Path]:
    """Every source and data file the stage runs: its module, its declared code, the core."""
    names = [f"stages/{stage.name}.py", *CORE_CODE, *stage.code]
    files: set[Path] = set()
    for name in names:
        path = _PACKAGE / name
        if name.endswith("/"):
            files.update(
                p
                for p in path.rglob("*")
                if p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts
            )
        elif path.exists():
            files.add(path)
            # A module of a subpackage runs its package's __init__ too.
            package = path.parent / "__init__.py"
            if package.exists():
                files.add(package)
    return sorted(files)


def _code_checksums(stage: Stage) -> dict[str, str]:
    return _checksums(code_files(stage))


def _checksums(files: list[Path]) -> dict[str, str]:
    return {
        str(path.relative_to(_PACKAGE)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files
    }


def code_digest(*names: str) -> str:
    """One checksum over the core code and the named parts of the package (``"hotspots/"``...).

    For runs outside the registry (national panels) that mark their results with the code
    that made them.
    """
    files = {
        path
        for name in (*CORE_CODE, *names)
        for path in ((_PACKAGE / name).rglob("*") if name.endswith("/") else [_PACKAGE / name])
        if path.is_file() and path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts
    }
    text = json.dumps(_checksums(sorted(files)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def settings_of(config: RunConfig, stage: Stage) -> dict[str, Any]:
    """The values of the config fields a stage declares, by dotted path to each leaf.

    ``data_dir`` is where relative inputs resolve to, however the config spelt it; ``*`` (the
    publish stage, whose provenance carries the whole config) is every field but those that
    only choose where work runs. ``settings_when`` adds settings read only when another is set
    (the ``areas`` of a table converted to the boundaries' vintage). Leaves are listed one by
    one so that a log can name the very setting that changed.
    """
    dump = config.model_dump(mode="json")
    dump["data_dir"] = str(config.resolved_data_dir)
    values: dict[str, Any] = {}
    conditional = [
        path
        for condition, paths in stage.settings_when
        if _value_at(dump, condition) is not None
        for path in paths
    ]
    for path in (*stage.settings, *conditional):
        if path == "*":
            for key, value in dump.items():
                # Where the run's folder is does not change what is in it.
                if key not in stage.runs_on and key != "output_dir":
                    values |= _leaves(key, value)
            continue
        values |= _leaves(path, _value_at(dump, path))
    return dict(sorted(values.items()))


def _value_at(dump: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of a dumped config (None where a section is missing)."""
    node: Any = dump
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _leaves(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found |= _leaves(f"{prefix}.{key}", inner)
        return found
    return {prefix: value}


def stage_inputs(config: RunConfig, stage: Stage) -> dict[str, Path]:
    """The raw input files of the run that the stage reads, by role."""
    return dict(sorted(config.input_paths(stage.inputs).items()))


# --- Checksums that avoid reading unchanged files again ------------------------------------------


def _stat(path: Path) -> dict[str, int]:
    status = path.stat()
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}


def _sha256(path: Path, known: dict[str, Any] | None = None) -> str:
    """The file's checksum; taken from ``known`` when its size and modification time match."""
    from clustergeo.io import file_sha256

    if known and known.get("sha256"):
        status = path.stat()
        if known.get("size") == status.st_size and known.get("mtime_ns") == status.st_mtime_ns:
            return str(known["sha256"])
    return file_sha256(path)


def _file_record(path: Path, known: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"sha256": _sha256(path, known), **_stat(path)}


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _current_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest at ``path`` if it is written in this version's layout, else ``None``.

    A record from an older clustergeo (its outputs kept as bare checksums, say) is never reused:
    its stage is re-run and its record rewritten whole.
    """
    manifest = _read_manifest(path)
    if manifest is None or manifest.get("manifest_version") != MANIFEST_VERSION:
        return None
    return manifest


#: Whether the stage running now was asked for with ``--force`` (set by the runner).
_FORCED: contextvars.ContextVar[bool] = contextvars.ContextVar("forced", default=False)


@contextlib.contextmanager
def forcing(forced: bool) -> Iterator[None]:
    """Run the block as a stage asked for with ``--force`` (or not)."""
    token = _FORCED.set(forced)
    try:
        yield
    finally:
        _FORCED.reset(token)


def recorded_outputs(config: RunConfig, stage: Stage) -> dict[str, str]:
    """The checksums of ``stage``'s outputs, by path in the run, as its last run recorded them.

    Only where that run used the code of this one (every checksum the same): a stage may keep
    an output its code would write the same (publish keeps an unchanged map's files), never
    one older code wrote. Empty where there is no such record, and for a stage asked for with
    ``--force``, which writes everything anew.
    """
    if _FORCED.get():
        return {}
    paths = RunPaths.for_config(config)
    previous = _current_manifest(paths.manifest(stage))
    if (
        previous is None
        or previous.get("skipped")
        or previous.get("code") != _code_checksums(stage)
    ):
        return {}
    return {
        name: str(entry["sha256"])
        for name, entry in previous.get("outputs", {}).items()
        if isinstance(entry, dict) and entry.get("sha256")
    }


def _upstream(paths: RunPaths, stage: Stage) -> tuple[dict[str, str | None], str]:
    """Checksums of the artefacts the stage reads, as their producers recorded them.

    Returns the checksums by path (``None`` for an optional artefact not written) and, if a
    producer has no usable record, the reason the stage cannot be current.
    """
    reads: dict[str, str | None] = {}
    for artefact in stage.reads:
        producer = producer_of(artefact)
        manifest = _current_manifest(paths.manifest(producer))
        if manifest is None:
            return {}, f"the {producer.name} stage has not finished"
        reads |= _artefact_checksums(artefact, manifest)
    return reads, ""


def _artefact_checksums(artefact: Artefact, manifest: dict[str, Any]) -> dict[str, str | None]:
    outputs: dict[str, Any] = manifest.get("outputs", {})
    if artefact.is_folder:
        return {
            name: str(entry["sha256"])
            for name, entry in outputs.items()
            if name.startswith(artefact.path)
        }
    entry = outputs.get(artefact.path)
    return {artefact.path: None if entry is None else str(entry["sha256"])}


# --- Rules for make -----------------------------------------------------------------------------


def make_escape(path: Path | str) -> str:
    """``path`` as a Makefile names a file: spaces escaped, ``$`` doubled."""
    return str(path).replace(" ", "\\ ").replace("$", "$$")


def make_pattern_escape(path: Path | str) -> str:
    """``path`` for make's ``wildcard`` and ``include``, which would expand ``[``, ``*``, ``?``."""
    return re.sub(r"([][*?])", r"\\\1", make_escape(path))


#: The make variable the run's rules set to the run's folder, as :func:`output_rules` use it.
RUN_FOLDER_VARIABLE = "clustergeo_run"
#: The make variable the output rules add a stage's name to while one of its outputs is missing.
MISSING_OUTPUTS_VARIABLE = "clustergeo_missing_outputs"


def output_rules(stage: Stage, root: Path, outputs: list[Path]) -> str:
    """Makefile lines naming ``stage`` in :data:`MISSING_OUTPUTS_VARIABLE` while an output is gone.

    The outputs are looked for as ``make`` reads the rules, relative to the run's folder
    (:data:`RUN_FOLDER_VARIABLE`), so a run folder copied or moved elsewhere checks its own
    files. The run's rules (:func:`~clustergeo.stages.make_rules.make_rules`) make the
    manifests stale while the variable names any stage, so the run is started and finds the
    file missing. Times are not compared: the manifests are one grouped target, which ``make``
    compares with the prerequisites of all its members, so figures written after the first
    stages' manifests would make every run look stale. An output edited in place is found by
    the run itself (``clustergeo run`` compares checksums), not by make.
    """
    lines = [
        f"# Written with {stage.name}.json by clustergeo: do not edit. While one of the stage's",
        "# outputs is missing, make runs the stages again.",
    ]
    for output in outputs:
        # One test per file: make's list functions split a name at its spaces.
        lines += [
            f'ifeq "$(wildcard $({RUN_FOLDER_VARIABLE})/'
            f'{make_pattern_escape(output.relative_to(root))})" ""',
            f"{MISSING_OUTPUTS_VARIABLE} += {stage.name}",
            "endif",
        ]
    return "\n".join(lines) + "\n"


# --- Records ------------------------------------------------------------------------------------


def record(config: RunConfig, stage: Stage, *, skipped: str | None = None) -> Path:
    """Write the manifest of a stage that has just succeeded (or was skipped, and why).

    The manifest is rewritten only when its content changes, so that ``make`` does not see a
    re-run that changed nothing as news for the stages after it.
    """
    from clustergeo.io import write_text

    paths = RunPaths.for_config(config)
    path = paths.manifest(stage)
    outputs = paths.outputs(stage)
    previous = _current_manifest(path) or {}
    known_outputs: dict[str, Any] = previous.get("outputs", {})
    known_inputs: dict[str, Any] = previous.get("inputs", {})
    reads, _missing = _upstream(paths, stage)
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "stage": stage.name,
        "skipped": skipped,
        "settings": settings_of(config, stage),
        "code": _code_checksums(stage),
        "inputs": {
            role: {"path": str(p), **_file_record(p, known_inputs.get(role))}
            for role, p in stage_inputs(config, stage).items()
        },
        "reads": reads,
        "outputs": {
            str(p.relative_to(paths.root)): _file_record(
                p, known_outputs.get(str(p.relative_to(paths.root)))
            )
            for p in outputs
        },
    }
    _write_output_rules(paths, stage, outputs)
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        os.utime(path)  # current: newer than the config, so make leaves it be
        return path
    return write_text(text, path)


def _write_output_rules(paths: RunPaths, stage: Stage, outputs: list[Path]) -> None:
    """Write a stage's :func:`output_rules` (atomically) where they changed."""
    from clustergeo.io import atomic_path

    path = paths.output_rules(stage)
    text = output_rules(stage, paths.root, outputs)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def record_skipped(config: RunConfig, stage: Stage, reason: str) -> Path:
    """Record that a stage does not apply to this config (e.g. no ``surface`` section)."""
    return record(config, stage, skipped=reason)


def touch(config: RunConfig, stage: Stage) -> None:
    """Mark a current stage's manifest as newer than the config, so ``make`` leaves it be.

    Its output rules are rewritten from the outputs it records, where they differ (a run
    folder from before them, or one an older clustergeo wrote them in).
    """
    paths = RunPaths.for_config(config)
    recorded = (_read_manifest(paths.manifest(stage)) or {}).get("outputs", {})
    _write_output_rules(paths, stage, [paths.root / name for name in recorded])
    os.utime(paths.manifest(stage))


def check(config: RunConfig, stage: Stage) -> Verdict:
    """Whether a stage's outputs are valid for the current config, code, inputs and stages."""
    paths = RunPaths.for_config(config)
    manifest = _read_manifest(paths.manifest(stage))
    if manifest is None:
        return Verdict(False, "no record of a finished run")
    if manifest.get("manifest_version") != MANIFEST_VERSION:
        return Verdict(False, "its record is from another version")
    for why in (_recipe_changes(config, stage, manifest), _file_changes(config, stage, manifest)):
        if why:
            return Verdict(False, why)
    return Verdict(True)


def _recipe_changes(config: RunConfig, stage: Stage, manifest: dict[str, Any]) -> str:
    """Why the stage's settings or code no longer match its record, or nothing."""
    changed = _changed_keys(manifest.get("settings", {}), settings_of(config, stage))
    if changed:
        return f"its settings in the config changed ({', '.join(changed)})"
    changed = _changed_keys(manifest.get("code", {}), _code_checksums(stage))
    if changed:
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        return f"the code changed ({', '.join(changed[:3])}{more})"
    return ""


def _file_changes(  # noqa: PLR0911 (one return per reason a stage must run)
    config: RunConfig, stage: Stage, manifest: dict[str, Any]
) -> str:
    """Why the stage's inputs, the artefacts it reads or its outputs changed, or nothing."""
    paths = RunPaths.for_config(config)
    recorded_inputs: dict[str, Any] = manifest.get("inputs", {})
    inputs = stage_inputs(config, stage)
    if sorted(recorded_inputs) != sorted(inputs):
        return "its input files changed"
    for role, path in inputs.items():
        known = recorded_inputs[role]
        try:
            same = known.get("path") == str(path) and _sha256(path, known) == known.get("sha256")
        except OSError:
            return f"input {role} cannot be read"
        if not same:
            return f"its input {role} changed ({path.name})"
    reads, missing = _upstream(paths, stage)
    if missing:
        return missing
    changed = _changed_keys(manifest.get("reads", {}), reads)
    if changed:
        return f"{changed[0]} changed (an earlier stage ran)"
    for name, entry in manifest.get("outputs", {}).items():
        output = paths.root / name
        if not output.is_file():
            return f"{name} is missing"
        if _sha256(output, entry) != entry.get("sha256"):
            return f"{name} changed"
    return ""


def _changed_keys(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    keys = sorted(set(recorded) | set(current))
    return [key for key in keys if recorded.get(key) != current.get(key)]
