"""Every static map of a run, drawn from its layers and framing, saved in parallel processes.

The maps: per cluster definition, its LQ, hot spots (Getis-Ord Gi*) and Local Moran clusters
and outliers; the findings map; a close-up of each anchor site in the study area; the LQs, hot
spots and Local Moran classes of every definition side by side; and (with an employment grid)
the findings on the areas against those on the grid. Each is written as PNG, PDF and SVG, and
carries the run's title, data source and year, attribution and projection from its
:class:`~clustergeo.publish.framing.Framing`.

The study area's geometry is simplified to the printed scale, that of a full-width map and that
of a small-multiples panel, and turned into paths once
(:func:`~clustergeo.publish.map_geometry.prepare_map_geometries`); the maps are then drawn by a
pool of worker processes, one per core, which inherit the prepared geometry when they are
forked rather than receiving a copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from clustergeo._console import progress
from clustergeo.governance.summaries import (
    ca_status_words,
    lead_combined_authorities,
    lead_first,
)
from clustergeo.io import note_written
from clustergeo.publish.cluster_maps import (
    Panel,
    name_places,
    plot_cluster_map,
    plot_site_inset,
    plot_small_multiples,
    small_multiple_columns,
)
from clustergeo.publish.framing import HOT_SPOT_READING, ClusterRule, Framing, HotspotMethod
from clustergeo.publish.house_fonts import use_house_fonts
from clustergeo.publish.key_findings import straddled_tiers
from clustergeo.publish.map_geometry import (
    PRINT_PIXELS,
    MapGeometry,
    coverage_collection,
    london_close_up,
    london_view,
    path_collection,
    prepare_map_geometries,
)
from clustergeo.publish.palette import BASE_FILL, industry_colours, industry_labels
from clustergeo.publish.plotting import (
    HOTSPOT_CLASS_COLOURS,
    HOTSPOT_CLASS_LABELS,
    HOTSPOT_CLASSES,
    LQ_CLASS_COLOURS,
    LQ_CLASSES,
    LQ_NO_DATA_LABEL,
    LQ_UNRELIABLE_LABEL,
    MORAN_CLASS_COLOURS,
    MORAN_CLASS_LABELS,
    MORAN_MAP_CLASSES,
    class_handles,
    classify_lq,
    draw_areas,
    lq_class_handles,
    plot_hotspot_map,
    plot_lisa_map,
    plot_lq_choropleth,
    save_figure,
    unreliable_label,
)
from clustergeo.vocab import TIERS

__all__ = [
    "DrawingFigures",
    "FigureJob",
    "MapData",
    "bind_named",
    "class_panel_title",
    "drawing",
    "figure_jobs",
    "map_boundaries",
    "map_data",
    "site_flags_text",
]

log = logging.getLogger(__name__)

Layers = Mapping[str, gpd.GeoDataFrame | pd.DataFrame]


@dataclass(frozen=True)
class FigureJob:
    """One figure of the run: the file stem it is saved under and how to draw it."""

    name: str
    draw: Callable[[], Figure]


class _Framed(TypedDict):
    """What every map of a run shares: its outlines, attribution, source and geometry."""

    boundaries: Mapping[str, gpd.GeoDataFrame]
    attribution: str
    source: str
    geometry: MapGeometry


def _framed(data: MapData, framing: Framing) -> _Framed:
    return {
        "boundaries": data.boundaries,
        "attribution": framing.attribution,
        "source": framing.source_line,
        "geometry": data.geometry,
    }


@dataclass(frozen=True)
class MapData:
    """What every map of a run is drawn from, prepared once.

    Attributes
    ----------
    areas
        The study area's areas with their LQ, hot-spot and Local Moran columns per cluster
        definition, in the order of ``geometry.areas``.
    geometry
        The areas' and authority outlines' paths, simplified to the printed scale.
    panel_geometry
        The same simplified to the scale of a panel of the small multiples.
    boundaries
        Authority polygons drawn on the maps, by tier.
    findings
        Findings (clusters and concentrations) with ``rank``, strongest first.
    colours, labels
        Each industry's fixed colour and name, by industry key.
    places
        The study area's principal places, named on the findings map
        (:func:`~clustergeo.publish.places.principal_places`).
    """

    areas: gpd.GeoDataFrame
    geometry: MapGeometry
    panel_geometry: MapGeometry
    boundaries: dict[str, gpd.GeoDataFrame]
    findings: gpd.GeoDataFrame
    extents: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    grid_findings: gpd.GeoDataFrame | None
    colours: dict[str, str]
    labels: dict[str, str]
    places: pd.DataFrame | None = None


def map_boundaries(layers: Layers) -> dict[str, gpd.GeoDataFrame]:
    """Authority outlines drawn on every map, by tier.

    Regions are left off: at this scale their outline only repeats the study area's.
    """
    return {
        tier: frame
        for tier in TIERS
        if tier != "region" and isinstance(frame := layers.get(tier), gpd.GeoDataFrame)
    }


def map_data(layers: Layers, definitions: Sequence[tuple[str, str]]) -> MapData:
    """The run's layers arranged for drawing: one areas frame, paths, colours, sites in view."""
    areas_lq = layers["areas_lq"]
    hotspots = layers["hotspots_areas"]
    assert isinstance(areas_lq, gpd.GeoDataFrame)
    extra = [c for c in hotspots.columns if c not in areas_lq.columns and c != "geometry"]
    aligned = hotspots.set_index("area_code")[extra].reindex(areas_lq["area_code"])
    areas = areas_lq.reset_index(drop=True).join(aligned.reset_index(drop=True))
    boundaries = map_boundaries(layers)
    # The spatial index is built before the workers are forked, so they share it.
    _ = areas.sindex
    findings = layers["clusters"]
    assert isinstance(findings, gpd.GeoDataFrame)
    sites = layers.get("site_footprints")
    inside = None
    if isinstance(sites, gpd.GeoDataFrame):
        inside = sites.loc[sites["status"] != "outside_study_area"]
        site_links = layers.get("site_authorities")
        if site_links is not None and "site_key" in inside:
            # Its lead on the combined authorities' tier, for its close-up's flags.
            leads = lead_combined_authorities(site_links, key="site_key")
            inside = inside.assign(ca_lead=inside["site_key"].map(leads))
    labels = industry_labels(
        definitions, zip(findings["industry_code"], findings["label"], strict=True)
    )
    extents = layers.get("cluster_extents")
    grid = layers.get("grid_clusters")
    panel_pixels = PRINT_PIXELS // small_multiple_columns(len(definitions))
    geometry, panel_geometry = prepare_map_geometries(
        areas, boundaries, [PRINT_PIXELS, panel_pixels]
    )
    # On a national run every map of one industry shows London enlarged beside it.
    geometry = replace(geometry, close_up=london_close_up(areas, boundaries))
    return MapData(
        areas=areas,
        geometry=geometry,
        panel_geometry=panel_geometry,
        boundaries=boundaries,
        findings=findings,
        extents=extents if isinstance(extents, gpd.GeoDataFrame) else None,
        sites=inside,
        grid_findings=grid if isinstance(grid, gpd.GeoDataFrame) else None,
        colours=industry_colours(labels),
        labels=labels,
        places=_place_points(layers.get("places")),
    )


def _place_points(places: gpd.GeoDataFrame | pd.DataFrame | None) -> pd.DataFrame | None:
    """The ``places`` layer as the findings map takes it: ``name``, ``x``, ``y``, ``km2``."""
    if not isinstance(places, gpd.GeoDataFrame) or places.empty:
        return None
    return pd.DataFrame(
        {
            "name": places["name"],
            "x": places.geometry.x,
            "y": places.geometry.y,
            "km2": places.get("km2", np.nan),
        }
    ).reset_index(drop=True)


def figure_jobs(
    data: MapData,
    *,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    hotspot_method: HotspotMethod,
    cluster_rule: ClusterRule,
    grid_cell_m: float | None,
    local_serving: Collection[str] = (),
) -> list[FigureJob]:
    """Every figure of the run, as jobs to draw (the costliest first, to balance the workers).

    The area-versus-grid map leaves out the ``local_serving`` definitions, whose findings on
    the areas are left out: their panels would show the grid's alone.
    """
    common = _framed(data, framing)
    areas = data.areas
    jobs: list[FigureJob] = []
    if definitions:
        jobs += _small_multiple_jobs(
            data, definitions, framing, hotspot_method, grid_cell_m, local_serving=local_serving
        )
    rule = cluster_rule
    subtitle = (
        "Clusters: neighbouring Gi* hot spots (FDR-controlled, p ≤ "
        f"{rule.significance:g}), cores of own LQ at least {rule.min_lq:g} "
        f"holding at least {framing.amount(rule.min_employment)} together; "
        "concentrations: one or a few specialised places. Numbered by strength."
        f"{framing.data_note}"
    )
    cluster_map = {
        "colours": data.colours,
        "labels": data.labels,
        "extents": data.extents,
        "sites": data.sites,
        "subtitle": subtitle,
        **common,
    }
    london = london_view(areas, data.findings)
    jobs.append(
        FigureJob(
            "clusters",
            _bind(
                plot_cluster_map,
                areas,
                data.findings,
                title=framing.heading("Industrial clusters and concentrations"),
                close_up=("London", london) if london is not None else None,
                places=data.places,
                **cluster_map,
            ),
        )
    )
    if london is not None:
        jobs.append(
            FigureJob(
                "clusters_london",
                _bind(
                    plot_cluster_map,
                    areas,
                    data.findings,
                    title=framing.heading("Industrial clusters and concentrations: London"),
                    view=london,
                    **cluster_map,
                ),
            )
        )
    for key, label in definitions:
        jobs += [
            FigureJob(
                f"lq_{key}",
                bind_named(
                    plot_lq_choropleth,
                    data.places,
                    areas,
                    f"{key}_lq",
                    subtitle=framing.lq_subtitle,
                    unreliable_column=f"{key}_unreliable",
                    note_column=f"{key}_lq_note",
                    title=framing.heading(f"{label}: location quotient"),
                    **common,
                ),
            ),
            FigureJob(
                f"hotspots_{key}",
                bind_named(
                    plot_hotspot_map,
                    data.places,
                    areas,
                    f"{key}_hotspot",
                    subtitle=hotspot_method.subtitle
                    + HOT_SPOT_READING
                    + hotspot_method.floor_note("gi_star", {key: label})
                    + framing.data_note,
                    title=framing.heading(f"{label}: hot and cold spots"),
                    **common,
                ),
            ),
            FigureJob(
                f"lisa_{key}",
                bind_named(
                    plot_lisa_map,
                    data.places,
                    areas,
                    f"{key}_moran",
                    subtitle=hotspot_method.lisa_subtitle
                    + hotspot_method.floor_note("moran", {key: label}),
                    title=framing.heading(f"{label}: Local Moran clusters and outliers"),
                    **common,
                ),
            ),
        ]
    if data.sites is not None:
        for _index, site in data.sites.iterrows():
            jobs.append(
                FigureJob(
                    f"site_{site['site_key']}",
                    _site_job(site, data, framing),
                )
            )
    return jobs


def _bind(
    plot: Callable[..., tuple[Figure, Axes]], *args: object, **kwargs: object
) -> Callable[[], Figure]:
    def draw() -> Figure:
        return plot(*args, **kwargs)[0]

    return draw


def bind_named(
    plot: Callable[..., tuple[Figure, Axes]],
    places: pd.DataFrame | None,
    *args: object,
    **kwargs: object,
) -> Callable[[], Figure]:
    """A figure job's draw: ``plot(*args, **kwargs)``, then ``places`` named on its map.

    Every single-map figure names the study area's principal places the same way
    (:func:`~clustergeo.publish.cluster_maps.name_places`); None names none.
    """

    def draw() -> Figure:
        fig, ax = plot(*args, **kwargs)
        if places is not None:
            name_places(ax, places)
        return fig

    return draw


def _site_job(site: pd.Series, data: MapData, framing: Framing) -> Callable[[], Figure]:
    def draw() -> Figure:
        return plot_site_inset(
            site,
            data.areas,
            data.findings,
            colours=data.colours,
            labels=data.labels,
            title=framing.heading(str(site["name"])),
            subtitle=f"{site['buffer_km']:g} km footprint. {site_flags_text(site)}",
            boundaries=data.boundaries,
            attribution=framing.attribution,
            source=framing.source_line,
        )[0]

    return draw


def _small_multiple_jobs(
    data: MapData,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    method: HotspotMethod,
    grid_cell_m: float | None,
    *,
    local_serving: Collection[str] = (),
) -> list[FigureJob]:
    areas, paths = data.areas, data.panel_geometry.areas
    common = _framed(data, framing) | {"geometry": data.panel_geometry}

    def fill(
        colours: Sequence[str],
        no_data: np.ndarray[Any, np.dtype[np.bool_]],
        hatched: np.ndarray[Any, np.dtype[np.bool_]] | None = None,
    ) -> Callable[[Axes], None]:
        def draw(ax: Axes) -> None:
            draw_areas(
                ax, paths, colours, no_data=no_data, hatched=hatched, edgecolor="none", linewidth=0
            )

        return draw

    def lq_panels() -> Figure:
        panels, present, notes = [], set(), []
        for key, label in definitions:
            classes = classify_lq(areas[f"{key}_lq"], areas[f"{key}_unreliable"])
            codes = np.asarray(classes.codes)
            present |= {LQ_CLASSES[c] for c in np.unique(codes)}
            hatched = codes == LQ_CLASSES.index(LQ_UNRELIABLE_LABEL)
            notes += areas[f"{key}_lq_note"].to_numpy()[hatched].tolist()
            panels.append(
                Panel(
                    label,
                    fill(
                        [LQ_CLASS_COLOURS[LQ_CLASSES[c]] for c in codes],
                        codes == LQ_CLASSES.index(LQ_NO_DATA_LABEL),
                        hatched,
                    ),
                )
            )
        return plot_small_multiples(
            areas,
            panels,
            handles=lq_class_handles(present, unreliable_label(notes)),
            title=framing.heading("Location quotients across industries"),
            subtitle=framing.lq_subtitle,
            **common,
        )[0]

    def categorical_panels(
        suffix: str,
        *,
        classes: Sequence[str],
        colours: Mapping[str, str],
        labels: Mapping[str, str],
        title: str,
        subtitle: str,
    ) -> Callable[[], Figure]:
        def draw() -> Figure:
            panels, present, missing = [], set(), False
            for key, label in definitions:
                values = areas[f"{key}_{suffix}"].astype("string").fillna("")
                known = values.isin(classes).to_numpy()
                shown = set(values[known])
                present |= shown
                missing |= bool((~known).any())
                panels.append(
                    Panel(
                        class_panel_title(label, shown),
                        fill([colours.get(v, "#ffffff") for v in values], ~known),
                    )
                )
            return plot_small_multiples(
                areas,
                panels,
                handles=class_handles(classes, colours, labels, present, no_data=missing),
                title=framing.heading(title),
                subtitle=subtitle,
                **common,
            )[0]

        return draw

    jobs = [
        FigureJob("lq_all", lq_panels),
        FigureJob(
            "hotspots_all",
            categorical_panels(
                "hotspot",
                classes=HOTSPOT_CLASSES,
                colours=HOTSPOT_CLASS_COLOURS,
                labels=HOTSPOT_CLASS_LABELS,
                title="Hot spots across industries",
                subtitle=method.subtitle
                + HOT_SPOT_READING
                + method.floor_note("gi_star", dict(definitions))
                + framing.data_note,
            ),
        ),
        FigureJob(
            "lisa_all",
            categorical_panels(
                "moran",
                classes=MORAN_MAP_CLASSES,
                colours=MORAN_CLASS_COLOURS,
                labels=MORAN_CLASS_LABELS,
                title="Local Moran clusters and outliers across industries",
                subtitle=method.lisa_subtitle + method.floor_note("moran", dict(definitions)),
            ),
        ),
    ]
    if data.grid_findings is not None:
        traded = [(code, label) for code, label in definitions if code not in set(local_serving)]
        jobs.append(FigureJob("maup", _maup_job(data, traded, framing, grid_cell_m, common)))
    return jobs


#: The grid's findings filled in a darker orange than the study area's grey band, and the areas'
#: outlined in a clear blue (Okabe and Ito's), told apart from the black county lines in
#: colour and, printed in grey, by weight and shade.
_GRID_FILL = "#e66101"
_AREA_OUTLINE = "#0072b2"
_AREA_OUTLINE_WIDTH = 1.2


def _maup_job(
    data: MapData,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    grid_cell_m: float | None,
    common: _Framed,
) -> Callable[[], Figure]:
    from clustergeo.publish.map_geometry import geometry_paths

    def draw() -> Figure:
        grid = data.grid_findings
        assert grid is not None
        panels = []
        for code, label in definitions:
            mine = data.findings.loc[data.findings["industry_code"] == code]
            theirs = grid.loc[grid["industry_code"] == code]

            def panel(
                ax: Axes, mine: gpd.GeoDataFrame = mine, theirs: gpd.GeoDataFrame = theirs
            ) -> None:
                ax.add_collection(
                    coverage_collection(
                        data.panel_geometry.areas, facecolors=BASE_FILL, edgecolors="none"
                    ),
                    autolim=False,
                )
                ax.add_collection(
                    coverage_collection(
                        geometry_paths(theirs.geometry),
                        facecolors=_GRID_FILL,
                        edgecolors="none",
                        alpha=0.75,
                        zorder=5,
                    ),
                    autolim=False,
                )
                # Clusters solid, as the comparison sets them against the grid's; the
                # concentrations dashed, as the places grid clusters may lie on.
                for style, kind in (("solid", False), ("--", True)):
                    outlined = mine.loc[_is_concentration(mine) == kind]
                    ax.add_collection(
                        path_collection(
                            geometry_paths(outlined.geometry.boundary),
                            facecolors="none",
                            edgecolors=_AREA_OUTLINE,
                            linewidths=_AREA_OUTLINE_WIDTH,
                            linestyles=style,
                            zorder=6,
                        ),
                        autolim=False,
                    )

            panels.append(Panel(label, panel))
        shown = {code for code, _label in definitions}
        # The key lists only what the panels show, and says so when that is nothing.
        handles: list[Patch | Line2D] = []
        if grid["industry_code"].astype(str).isin(shown).any():
            handles.append(
                Patch(facecolor=_GRID_FILL, alpha=0.75, label="Cluster on the employment grid")
            )
        on_areas = data.findings.loc[data.findings["industry_code"].astype(str).isin(shown)]
        outlines: tuple[tuple[Literal["solid", "--"], bool, str], ...] = (
            ("solid", False, "Cluster on the areas"),
            ("--", True, "Concentration on the areas (not compared)"),
        )
        for style, kind, words in outlines:
            if (_is_concentration(on_areas) == kind).any():
                handles.append(
                    Line2D(
                        [],
                        [],
                        color=_AREA_OUTLINE,
                        linewidth=_AREA_OUTLINE_WIDTH,
                        linestyle=style,
                        label=words,
                    )
                )
        if not handles:
            handles.append(
                Patch(facecolor="none", edgecolor="none", label="No finding on the areas or grid")
            )
        return plot_small_multiples(
            data.areas,
            panels,
            handles=handles,
            title=framing.heading("Findings on the areas and on the employment grid"),
            subtitle=f"Grid of {grid_cell_m:,g} m cells." if grid_cell_m else None,
            **common,
        )[0]

    return draw


def _is_concentration(findings: pd.DataFrame) -> pd.Series:
    """Which findings are concentrations (a finding without a kind is a cluster)."""
    if "kind" not in findings:
        return pd.Series(False, index=findings.index)
    return findings["kind"].astype(str) == "concentration"


def class_panel_title(label: str, shown: Collection[str]) -> str:
    """A hot-spot or Local Moran panel's title, saying so when none of its areas is significant.

    An all-neutral panel otherwise reads as one left undrawn.
    """
    return label if set(shown) - {"not_significant"} else f"{label} (none significant)"


def site_flags_text(site: pd.Series) -> str:
    """The site's governance in a line: its districts, lead first; tiers; combined authority."""
    parts = []
    districts = lead_first(site.get("districts"), site.get("lead_district"))
    if districts:
        parts.append(f"Districts: {', '.join(districts)}.")
    straddled = straddled_tiers(site)
    if straddled:
        parts.append(f"Straddles {straddled}.")
    status = ca_status_words(site.get("ca_status"), site.get("ca_lead"))
    if status:
        # Not capitalize(): it would lower the authority's name.
        parts.append(f"{status[:1].upper()}{status[1:]}.")
    return " ".join(parts)


# --- Drawing in parallel -------------------------------------------------------------------------

# The jobs of the current draw_figures call: forked workers inherit them (with the prepared
# geometry their closures hold) instead of having them pickled, and the checksums of each
# job's files as the same code last wrote them (save_figure keeps an unchanged figure's).
_PENDING: list[FigureJob] = []
_UNCHANGED: Mapping[str, Mapping[str, str]] = {}


def _draw_and_save(index: int, folder: Path) -> list[Path]:
    job = _PENDING[index]
    return save_figure(job.draw(), folder / job.name, unchanged=_UNCHANGED.get(job.name))


def _worker_count(jobs: int) -> int:
    if not sys.platform.startswith("linux"):
        # Forking a process that has loaded GDAL and matplotlib is only safe on Linux.
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), jobs))


class DrawingFigures:
    """Figures being drawn by worker processes while the caller gets on with other work.

    Made by :func:`drawing`; :meth:`files` waits for them, all or some.
    """

    def __init__(
        self,
        jobs: Sequence[FigureJob],
        folder: Path,
        unchanged: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._jobs = list(jobs)
        self._folder = folder
        self._unchanged = dict(unchanged or {})
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[int, Future[list[Path]]] = {}
        self._results: dict[int, list[Path]] = {}

    def _start(self) -> None:
        global _PENDING, _UNCHANGED  # noqa: PLW0603 (handed to forked workers, see above)
        workers = _worker_count(len(self._jobs))
        if workers == 1:
            return
        _PENDING = self._jobs
        _UNCHANGED = self._unchanged
        # Made once here, so every forked worker inherits the house fonts instead of cutting them.
        use_house_fonts()
        # A fork-context pool starts all its workers at the first submission, so they are
        # forked now, with the jobs, before the caller goes on.
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_end_with_parent,
            initargs=(os.getpid(),),
        )
        self._futures = {
            i: self._pool.submit(_draw_and_save, i, self._folder) for i in range(len(self._jobs))
        }

    def files(self, names: Collection[str] | None = None) -> dict[str, list[Path]]:
        """Wait for the figures ``names`` (every figure by default): their files, by job name.

        The names come in the order of the jobs. Figures not asked for go on being drawn; a
        later call waits for them.
        """
        wanted = [i for i, job in enumerate(self._jobs) if names is None or job.name in names]
        waiting = [i for i in wanted if i not in self._results]
        if self._pool is None:
            for i in progress(waiting, "Maps"):
                job = self._jobs[i]
                self._results[i] = save_figure(
                    job.draw(), self._folder / job.name, unchanged=self._unchanged.get(job.name)
                )
        elif waiting:
            futures = {self._futures[i]: i for i in waiting}
            for future in progress(as_completed(futures), "Maps", total=len(futures)):
                self._results[futures[future]] = future.result()
                note_written(self._results[futures[future]])
        return {self._jobs[i].name: self._results[i] for i in wanted}

    def _stop(self, *, failed: bool = False) -> None:
        """Stop the workers: once they are done, or at once if the run ``failed``.

        A failed or interrupted run wants no more maps, so its workers are ended rather than
        waited for: waiting, a second Ctrl-C broke off the pool's shutdown and left the run
        hanging on workers that never heard they should stop.
        """
        global _PENDING, _UNCHANGED  # noqa: PLW0603 (see above)
        _PENDING = []
        _UNCHANGED = {}
        if self._pool is None:
            return
        if not failed:
            try:
                self._pool.shutdown(wait=True, cancel_futures=True)
            except BaseException:
                self._end_workers()
                raise
            return
        self._end_workers()

    def _end_workers(self) -> None:
        assert self._pool is not None
        # The pool keeps its processes to itself (an end-them method came in Python 3.14).
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        # Its manager thread, read before the shutdown lets go of it, reaps the workers: two
        # threads waiting on one process race, leaving it listed as running once ended.
        manager = getattr(self._pool, "_executor_manager_thread", None)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        if manager is not None:
            manager.join(timeout=10)
        for process in processes:
            process.join(timeout=10)


#: Linux's ``prctl`` option asking for a signal when the parent process ends.
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """A drawing worker ends when the run that forked it ends, even killed (on Linux).

    Killed runs otherwise left their workers waiting for jobs for ever, each holding a copy of
    the run's memory.
    """
    # The signal ends the worker whatever handler the program that forked it installed.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches every process of the terminal's group: the run handles it and ends
    # its workers, which would otherwise each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux") and ctypes.CDLL(None).prctl(
        _PR_SET_PDEATHSIG, signal.SIGTERM
    ):
        log.debug("Could not ask Linux to end this map worker with its run")
    # The parent may have ended before the request took effect.
    if os.getppid() != parent:
        os._exit(1)


@contextlib.contextmanager
def drawing(
    jobs: Sequence[FigureJob],
    folder: Path,
    unchanged: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[DrawingFigures]:
    """Start drawing and saving ``jobs`` in parallel processes; wait with ``files()``.

    ``unchanged`` holds, by job name, the checksums by format of the files the same code last
    wrote for it: a figure that comes out the same keeps them (:func:`save_figure`).

    The work done inside the ``with`` block (writing the GeoPackage, the QGIS project, the
    report once its figures are drawn) runs in this process while the workers draw; on
    leaving the block the workers are stopped; if the block failed (or was interrupted) they
    are ended at once, with the figures they were drawing. Jobs are drawn in the order
    given: give first those waited for first, and the costliest before the cheap, since the
    last figure started decides when the pool is done.
    Where forking is unsafe (or there is one job) the figures are drawn in ``files()``.
    """
    figures = DrawingFigures(jobs, folder, unchanged)
    figures._start()
    try:
        yield figures
    except BaseException:
        figures._stop(failed=True)
        raise
    figures._stop()
