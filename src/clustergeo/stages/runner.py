"""Run stages in order, skipping those that are current, and keep the output folder honest.

A run takes the output folder for itself before any stage starts:

* the folder must be clustergeo's: new, empty, or marked by an earlier run (a ``.clustergeo``
  file). A folder holding other files is refused, and so are folders no run should write into
  (a file-system root, the home folder, the data folder or a folder holding the config), so a
  typo in ``output_dir`` can never mix outputs into, or clean up, a user's own files;
* a lock (``.clustergeo.lock``) keeps a second run on the same folder out until the first ends;
* temporary files left by a killed run are removed, and only those: their names are
  clustergeo's own (:func:`clustergeo.io.is_temporary`), in the stages' own output folders.

Each stage that runs then owns its declared outputs: files it declares but did not write this
time (a figure of a definition since removed, a tier no longer configured) are deleted, so an
output on disk is always one the current config produced.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clustergeo._errors import ConfigError, OutputError
from clustergeo.stages import manifest
from clustergeo.stages.paths import OUTPUT_RULES_SUFFIX, RunPaths
from clustergeo.stages.registry import STAGES, Stage, stage

if TYPE_CHECKING:
    from clustergeo.config import RunConfig

__all__ = [
    "NO_BOUNDARIES",
    "StageOutcome",
    "not_applicable_reasons",
    "owned_output_folder",
    "run_stage",
    "run_stages",
]

log = logging.getLogger(__name__)

MARKER = ".clustergeo"
LOCK = ".clustergeo.lock"
#: The Makefile rules ``pipeline.mk`` generates for the run (see :mod:`.make_rules`).
RULES_FILE = "rules.mk"


@dataclass(frozen=True)
class StageOutcome:
    """What happened to a stage: ``ran``, ``skipped`` (current) or ``not_applicable``."""

    name: str
    status: str
    reason: str = ""
    seconds: float = 0.0


def run_stages(
    config: RunConfig, names: Sequence[str] | None = None, *, force: bool = False
) -> list[StageOutcome]:
    """Bring the named stages (default: all) up to date, with every stage they depend on.

    Stages run in registry order. A stage that is current is skipped unless it is named and
    ``force`` is set; a stage that does not apply to the config (``needs_section`` missing, or
    ``needs_polygons`` in a run without boundaries) has its outputs removed and is recorded as
    not applicable, with one log line saying why.
    """
    wanted = [stage(name) for name in (names or [s.name for s in STAGES])]
    chosen = _with_upstream(wanted)
    forced = {s.name for s in wanted} if force else set()
    outcomes: list[StageOutcome] = []
    config.check_inputs_exist()
    with owned_output_folder(config):
        asked = {s.name for s in wanted}
        for current in chosen:
            outcomes.append(
                run_stage(
                    config,
                    current,
                    force=current.name in forced,
                    quiet_if_current=current.name not in asked,
                )
            )
    return outcomes


def _with_upstream(wanted: Sequence[Stage]) -> list[Stage]:
    """The wanted stages and every stage whose artefacts they read, transitively, in order."""
    from clustergeo.stages.registry import producer_of

    needed = {s.name for s in wanted}
    for candidate in reversed(STAGES):
        if candidate.name in needed:
            needed |= {producer_of(a).name for a in candidate.reads}
    return [s for s in STAGES if s.name in needed]


def run_stage(
    config: RunConfig, current: Stage, *, force: bool = False, quiet_if_current: bool = False
) -> StageOutcome:
    """Run one stage if it is stale (or forced); record its manifest when it succeeds.

    The caller holds the output folder (:func:`owned_output_folder`). ``quiet_if_current``
    logs a skipped stage at debug level only (an upstream stage checked on the way).
    """
    from clustergeo.io import recording_writes

    not_applicable = _not_applicable(config, current)
    if not force:
        verdict = manifest.check(config, current)
        if verdict.current:
            manifest.touch(config, current)
            log.log(
                logging.DEBUG if quiet_if_current else logging.INFO,
                "Stage %s: not applicable: %s (unchanged)"
                if not_applicable
                else "Stage %s: up to date, skipped%s",
                current.name,
                not_applicable,
            )
            return StageOutcome(current.name, "skipped")
        reason = verdict.reason
    else:
        reason = "it was asked for with --force"
    if not_applicable:
        log.info("Stage %s: not applicable: %s", current.name, not_applicable)
        _remove_unwritten(config, current, written=set())
        manifest.record_skipped(config, current, not_applicable)
        return StageOutcome(current.name, "not_applicable", not_applicable)
    log.info("Stage %s: runs because %s", current.name, reason)
    log.info("Stage %s: starting", current.name)
    started = time.perf_counter()
    runner = importlib.import_module(current.module)
    with recording_writes() as written, manifest.forcing(force):
        runner.run(config)
    _remove_unwritten(config, current, written)
    manifest.record(config, current)
    seconds = time.perf_counter() - started
    log.info("Stage %s: done in %.1f s", current.name, seconds)
    return StageOutcome(current.name, "ran", reason, seconds)


#: Why a stage that draws on polygons does not run without them.
NO_BOUNDARIES = "the run's areas have no boundaries (no 'areas' section in the config)"


def _not_applicable(config: RunConfig, current: Stage) -> str:
    """Why the stage does not apply to this config, or nothing."""
    if current.needs_polygons and config.areas is None:
        return NO_BOUNDARIES
    section = current.needs_section
    if section is not None and getattr(config, section) is None:
        return f"the config has no '{section}' section"
    return ""


def not_applicable_reasons(config: RunConfig) -> list[tuple[str, str]]:
    """Each stage that does not apply to ``config``, with why (for reports)."""
    return [(s.name, why) for s in STAGES if (why := _not_applicable(config, s))]


def _remove_unwritten(config: RunConfig, current: Stage, written: set[Path]) -> None:
    """Delete the stage's outputs that this run did not write: they belong to an older config."""
    paths = RunPaths.for_config(config)
    stale = [p for p in paths.outputs(current) if p.resolve() not in written]
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        names = ", ".join(str(p.relative_to(paths.root)) for p in stale[:6])
        more = f" and {len(stale) - 6} more" if len(stale) > 6 else ""
        log.info(
            "Stage %s: removed %d output%s the current config no longer produces: %s%s",
            current.name,
            len(stale),
            "" if len(stale) == 1 else "s",
            names,
            more,
        )


# --- The output folder ---------------------------------------------------------------------------


#: The descriptors of the output-folder locks this process holds (see :func:`_let_go_in_child`).
_HELD_LOCKS: list[int] = []


def _let_go_in_child() -> None:
    """In a forked child: no longer share the parent's output-folder locks.

    A ``flock`` belongs to the open file, which a fork shares, so a worker that outlived a
    killed run (publish's map drawers) kept the folder locked and the re-run waiting for a run
    that had ended. The child's copies now point at the null device; the parent's lock is
    untouched.
    """
    if not _HELD_LOCKS:
        return
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in _HELD_LOCKS:
        os.dup2(null, descriptor)
    os.close(null)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_let_go_in_child)


def _forget_lock(descriptor: int) -> None:
    """No longer list a lock (a forked child unwinding the run has none listed)."""
    if descriptor in _HELD_LOCKS:
        _HELD_LOCKS.remove(descriptor)


@contextlib.contextmanager
def owned_output_folder(config: RunConfig) -> Iterator[Path]:
    """Claim the run's output folder: check it is clustergeo's, lock it, clean its leftovers."""
    root = config.resolved_output_dir
    _refuse_dangerous_folder(config, root)
    _refuse_foreign_folder(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = (root / LOCK).open("a+", encoding="utf-8")
    except OSError as exc:
        action = "write in" if root.is_dir() else "create"
        raise OutputError(
            f"Cannot {action} the output folder {root}: {exc.strerror or exc}. Choose another "
            "'output_dir' in the config or fix its permissions."
        ) from None
    with handle:
        # Listed before it is taken, so a child forked meanwhile lets go of it too.
        _HELD_LOCKS.append(handle.fileno())
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            _forget_lock(handle.fileno())
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputError(
                f"Another clustergeo run is using {root} ({holder}). Wait for it to finish, "
                "or give this run another 'output_dir'."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        try:
            _mark(root)
            _remove_temporary_files(root)
            yield root
        finally:
            _forget_lock(handle.fileno())
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _mark(root: Path) -> None:
    marker = root / MARKER
    if not marker.exists():
        marker.write_text(
            json.dumps({"written_by": "clustergeo", "note": "outputs of a clustergeo run"}) + "\n",
            encoding="utf-8",
        )


def _is_ours(root: Path) -> bool:
    """A folder marked by a run, or one holding only clustergeo's records (manifests, rules).

    Earlier versions of clustergeo wrote no marker but always wrote manifests; ``make`` writes
    the run's Makefile rules (``manifests/rules.mk``) before the first stage runs, and each
    manifest comes with its stage's output rules.
    """
    if (root / MARKER).is_file():
        return True
    manifests = root / "manifests"
    if not manifests.is_dir():
        return False
    ours = {f"{s.name}.json" for s in STAGES} | {RULES_FILE}
    ours |= {f"{s.name}{OUTPUT_RULES_SUFFIX}" for s in STAGES}
    names = {p.name for p in manifests.iterdir()}
    return bool(names) and names <= ours


def _refuse_foreign_folder(root: Path) -> None:
    if not root.exists():
        return
    if not root.is_dir():
        raise ConfigError(
            f"output_dir {root} is a file, not a folder: choose a folder for the run's outputs."
        )
    if _is_ours(root):
        return
    foreign = sorted(p.name for p in root.iterdir() if p.name != LOCK)
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise ConfigError(
            f"output_dir {root} already holds files that clustergeo did not write ({shown}). "
            "clustergeo writes only into a new or empty folder, or one an earlier run made: "
            "choose another 'output_dir' in the config."
        )


def _refuse_dangerous_folder(config: RunConfig, root: Path) -> None:
    """Folders no run may write into: roots, home, the data folder, a folder of the config."""
    root = root.resolve()
    problems = []
    if root == Path(root.anchor):
        problems.append("it is the root of the file system")
    if root == Path.home().resolve():
        problems.append("it is your home folder")
    data_dir = config.resolved_data_dir.resolve()
    if root == data_dir or root in data_dir.parents:
        problems.append(f"it holds the data folder {data_dir}")
    if config.config_path is not None and root in Path(config.config_path).resolve().parents:
        problems.append(f"it holds the config file {config.config_path}")
    inputs = [p for p in config.input_paths().values() if root in p.resolve().parents]
    if inputs and not problems:
        problems.append(f"it holds input files ({', '.join(str(p) for p in inputs[:3])})")
    if problems:
        raise ConfigError(
            f"output_dir {root} cannot hold a run's outputs: {'; '.join(problems)}. Give the run "
            "a folder of its own, e.g. 'data/processed/<run name>'."
        )


def _remove_temporary_files(root: Path) -> None:
    """Delete temporary files a killed run left in the stages' output folders (ours only).

    The manifests' folder too: manifests and their output rules are written atomically.
    """
    from clustergeo.io import is_temporary

    paths = RunPaths(root=root)
    folders = {root, paths.manifest(STAGES[0]).parent} | {
        (paths[a].parent if not a.is_folder else paths[a]) for s in STAGES for a in s.writes
    }
    leftovers = [
        p for folder in folders if folder.is_dir() for p in folder.iterdir() if is_temporary(p)
    ]
    for path in leftovers:
        path.unlink(missing_ok=True)
    if leftovers:
        log.info("Removed %d unfinished files left by an interrupted run", len(leftovers))
