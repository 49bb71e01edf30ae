"""The runner never touches what is not clustergeo's, and one run at a time uses a folder."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from clustergeo._errors import ConfigError, OutputError
from clustergeo.config import RunConfig
from clustergeo.io import atomic_path, is_temporary
from clustergeo.stages.runner import LOCK, MARKER, owned_output_folder


def _config(tmp_path: Path, output: Path, data: Path | None = None) -> RunConfig:
    data = data or tmp_path / "raw"
    return RunConfig.model_validate(
        {
            "name": "runner",
            "data_dir": str(data),
            "output_dir": str(output),
            "areas": {"path": "areas.gpkg", "code_column": "code"},
            "employment": {"path": "employment.csv"},
            "config_path": tmp_path / "configs" / "run.yaml",
        }
    )


def test_a_new_folder_is_claimed_and_marked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with owned_output_folder(_config(tmp_path, out)):
        assert (out / MARKER).is_file()
    # A marked folder holding outputs is taken again.
    (out / "report.md").write_text("earlier run\n", encoding="utf-8")
    with owned_output_folder(_config(tmp_path, out)):
        pass


def test_a_folder_of_someone_elses_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_text("mine", encoding="utf-8")
    with (
        pytest.raises(ConfigError, match=r"already holds files that clustergeo did not write"),
        owned_output_folder(_config(tmp_path, out)),
    ):
        pass
    assert sorted(p.name for p in out.iterdir()) == ["chapter1.docx"]


def test_a_run_folder_of_an_earlier_version_is_recognised(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "manifests").mkdir(parents=True)
    (out / "manifests" / "ingest.json").write_text("{}", encoding="utf-8")
    with owned_output_folder(_config(tmp_path, out)):
        assert (out / MARKER).is_file()


@pytest.mark.parametrize("where", ["root", "home", "data_parent", "config_folder"])
def test_folders_no_run_may_write_into_are_refused(tmp_path: Path, where: str) -> None:
    data = tmp_path / "shared" / "data"
    output = {
        "root": Path("/"),
        "home": Path.home(),
        "data_parent": tmp_path / "shared",
        "config_folder": tmp_path,
    }[where]
    with (
        pytest.raises(ConfigError, match="cannot hold a run's outputs"),
        owned_output_folder(_config(tmp_path, output, data)),
    ):
        pass


def test_a_second_run_on_the_same_folder_is_refused_while_the_first_holds_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    config = _config(tmp_path, out)
    with owned_output_folder(config):
        holder = (out / LOCK).read_text(encoding="utf-8")
        assert f"pid {os.getpid()}" in holder
        with (
            pytest.raises(OutputError, match=r"Another clustergeo run is using .* \(pid \d+"),
            owned_output_folder(config),
        ):
            pass
    with owned_output_folder(config):
        pass


def test_only_clustergeos_own_temporary_files_are_cleaned_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = _config(tmp_path, out)
    with owned_output_folder(config):
        pass
    folder = out / "concentration"
    folder.mkdir()
    # What a SIGKILL during atomic_path leaves, and files of the user's own with '.partial'.
    with atomic_path(folder / "lq.parquet") as tmp:
        ours_name = tmp.name
        tmp.write_text("finished", encoding="utf-8")
    ours = folder / ours_name
    ours.write_text("half written", encoding="utf-8")
    theirs = [folder / ".draft.partial.docx", out / ".notes.partial.md", tmp_path / ".x.partial"]
    for path in theirs:
        path.write_text("a user's file", encoding="utf-8")
    assert is_temporary(ours)
    assert not any(is_temporary(p) for p in theirs)
    with owned_output_folder(config):
        pass
    assert not ours.exists()
    assert (folder / "lq.parquet").read_text(encoding="utf-8") == "finished"
    assert all(path.exists() for path in theirs)


def test_a_replaced_file_loses_the_sidecar_gdal_kept_for_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "clustergeo.gpkg"
    target.write_text("old", encoding="utf-8")
    sidecar = tmp_path / "clustergeo.gpkg.aux.xml"
    sidecar.write_text("<PAMDataset/>", encoding="utf-8")

    # A failed write keeps both: the sidecar still describes the file beside it.
    def interrupted_write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        interrupted_write()
    assert target.read_text(encoding="utf-8") == "old"
    assert sidecar.exists()
    with atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert not sidecar.exists()


def _running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie waiting to be reaped has ended)."""
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text(encoding="utf-8")
    except OSError:
        return False


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


_KILLED_WITH_A_CHILD = """
import json, os, signal, sys, time
from clustergeo.config import RunConfig
from clustergeo.stages.runner import owned_output_folder

with owned_output_folder(RunConfig.model_validate(json.loads(sys.argv[1]))):
    child = os.fork()
    if child == 0:
        # Off the pipes the test reads, which would otherwise wait for it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(1, 2)
        time.sleep(60)
        os._exit(0)
    print(child, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_killed_run_leaves_its_folder_free_though_a_forked_worker_lives_on(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, tmp_path / "out")
    settings = config.model_dump(mode="json", exclude={"config_path"}) | {
        "config_path": str(config.config_path)
    }
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WITH_A_CHILD, json.dumps(settings)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    child = int(killed.stdout.split()[0])
    try:
        assert _running(child)
        # The run is gone; its child no longer holds the folder's lock.
        with owned_output_folder(config):
            pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


_WORKER_OF_A_KILLED_RUN = """
import os, signal, time
from clustergeo.publish.figures import _end_with_parent

run = os.fork()
if run == 0:
    worker = os.fork()
    if worker == 0:
        _end_with_parent(os.getppid())
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.dup2(1, 2)
        time.sleep(60)
        os._exit(0)
    print(worker, flush=True)
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)
os.waitpid(run, 0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's parent-death signal")
def test_a_drawing_worker_ends_with_the_run_that_forked_it() -> None:
    script = subprocess.run(
        [sys.executable, "-c", _WORKER_OF_A_KILLED_RUN],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    worker = int(script.stdout.split()[0])
    try:
        assert _wait_until(lambda: not _running(worker))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


def test_a_folder_that_cannot_be_written_in_is_said_to_be_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    opened = Path.open

    def read_only(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == LOCK:
            raise OSError(errno.EROFS, "Read-only file system")
        return opened(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", read_only)
    with (
        pytest.raises(OutputError, match=r"Cannot write in the output folder .*out: Read-only"),
        owned_output_folder(_config(tmp_path, out)),
    ):
        pass
