"""Figures drawn by a pool of workers while the caller writes other files."""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from clustergeo.publish import figures
from clustergeo.publish.figures import FigureJob, drawing
from clustergeo.publish.plotting import FIGURE_FORMATS, house_style


def _tiny(label: str) -> FigureJob:
    def draw() -> Figure:
        with house_style():
            fig = plt.figure(figsize=(1, 1), dpi=72)
            fig.text(0.1, 0.5, label)
        return fig

    return FigureJob(label, draw)


JOBS = [_tiny(name) for name in ("costliest", "middle", "last")]


@pytest.fixture(params=[1, 2], ids=["in-process", "two-workers"])
def workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Figures drawn in this process, or by two forked workers (Linux only)."""
    count: int = request.param
    if count > 1 and not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr(figures, "_worker_count", lambda jobs: count)
    return count


@pytest.mark.usefixtures("workers")
def test_files_come_back_by_job_in_job_order(tmp_path: Path) -> None:
    with drawing(JOBS, tmp_path) as drawn:
        # The caller's own work, done while the workers draw.
        (tmp_path / "meanwhile.txt").write_text("written while drawing")
        files = drawn.files()
    assert list(files) == ["costliest", "middle", "last"]
    for name, paths in files.items():
        assert paths == [tmp_path / f"{name}.{fmt}" for fmt in FIGURE_FORMATS]
        assert all(p.stat().st_size > 0 for p in paths)


@pytest.mark.usefixtures("workers")
def test_some_figures_first_then_the_rest(tmp_path: Path) -> None:
    with drawing(JOBS, tmp_path) as drawn:
        first = drawn.files({"last", "costliest"})
        # The report is written from these while the others are drawn.
        assert list(first) == ["costliest", "last"]
        assert all(p.is_file() for paths in first.values() for p in paths)
        everything = drawn.files()
    assert list(everything) == ["costliest", "middle", "last"]
    assert everything["costliest"] == first["costliest"]
    assert everything["middle"] == [tmp_path / f"middle.{fmt}" for fmt in FIGURE_FORMATS]


def test_a_failure_while_drawing_stops_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr(figures, "_worker_count", lambda jobs: 2)
    # Other tests' processes (a Dask cluster kept for the session) may be running already.
    running = set(multiprocessing.active_children())
    with (
        pytest.raises(RuntimeError, match="the GeoPackage could not be written"),
        drawing(JOBS, tmp_path),
    ):
        raise RuntimeError("the GeoPackage could not be written")
    # The jobs handed to the workers are let go, and nothing is left running.
    assert figures._PENDING == []
    assert set(multiprocessing.active_children()) <= running


def _slow(label: str) -> FigureJob:
    def draw() -> Figure:
        time.sleep(60)
        return _tiny(label).draw()

    return FigureJob(label, draw)


def test_an_interrupted_run_ends_its_workers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C: the workers drawing (here for a minute) are ended, not waited for.

    Waiting, a second Ctrl-C broke off the pool's shutdown and the run hung on its workers.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")
    monkeypatch.setattr(figures, "_worker_count", lambda jobs: 2)
    running = set(multiprocessing.active_children())
    start = time.monotonic()

    def interrupted() -> None:
        with drawing([_slow("a"), _slow("b")], tmp_path):
            time.sleep(0.5)  # the workers are drawing
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert time.monotonic() - start < 20
    assert set(multiprocessing.active_children()) <= running
    assert not list(tmp_path.iterdir())


def test_a_small_multiple_with_nothing_significant_says_so_in_its_title() -> None:
    from clustergeo.publish.figures import class_panel_title

    assert class_panel_title("Manufacturing", {"not_significant"}) == (
        "Manufacturing (none significant)"
    )
    assert class_panel_title("Manufacturing", set()) == "Manufacturing (none significant)"
    assert class_panel_title("Manufacturing", {"not_significant", "HH"}) == "Manufacturing"
    assert class_panel_title("Manufacturing", {"cold_95"}) == "Manufacturing"
