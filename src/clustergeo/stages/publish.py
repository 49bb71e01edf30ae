"""Stage publish: the GeoPackage and QGIS project, the maps, the report and the provenance.

Reads every stage's results through :mod:`~clustergeo.stages.intermediates`, frames them once
(:class:`~clustergeo.publish.framing.Framing`: the run's name, data, measure, year, method and
attribution) and hands data and framing to the presentation code in :mod:`clustergeo.publish`,
which never sees the config. The run's title, data basis and "synthetic demo data" (for the
demo) go into the GeoPackage metadata as well as into ``provenance.json``.

A run without boundaries has no map to draw: it gets the report (data, LQs, growth, the tables
written) and the provenance, and no GeoPackage or QGIS project
(:mod:`clustergeo.publish.table_report`).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from clustergeo.config import RunConfig
from clustergeo.io import file_sha256, write_json, write_text
from clustergeo.publish.circular import (
    circular_layers,
    circular_report_blocks,
    stream_map_jobs,
)
from clustergeo.publish.emerging import (
    emerging_blocks,
    emerging_layers,
    emerging_map_jobs,
    emerging_styles,
)
from clustergeo.publish.figures import (
    FigureJob,
    MapData,
    drawing,
    figure_jobs,
    map_boundaries,
    map_data,
)
from clustergeo.publish.framing import ClusterRule, Framing, HotspotMethod
from clustergeo.publish.geopackage import layer_styles, write_geopackage
from clustergeo.publish.growth import (
    GrowthSummary,
    growth_blocks,
    growth_layers,
    growth_map_jobs,
    growth_styles,
    mapped_columns,
    stub,
)
from clustergeo.publish.layers import (
    Layers,
    RunTables,
    build_layers,
    industry_lq_fields,
    with_district_layer,
)
from clustergeo.publish.map_geometry import MapGeometry
from clustergeo.publish.map_page import map_page_for_layers
from clustergeo.publish.qgis_aliases import field_aliases
from clustergeo.publish.qgis_project import (
    SurfaceBands,
    geometry_types,
    layout_close_up,
    project_for_layers,
)
from clustergeo.publish.qgis_styles import LayerStyle
from clustergeo.publish.report import (
    Block,
    definition_words,
    local_finding_counts,
    maup_blocks,
    maup_key_finding,
    report_blocks,
    report_figures,
    to_html,
    to_markdown,
)
from clustergeo.publish.report_pdf import write_report_pdf
from clustergeo.publish.series_breaks import SeriesBreak, series_breaks, with_series_breaks
from clustergeo.publish.table_report import table_report_blocks
from clustergeo.stages import intermediates, manifest
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from clustergeo.vocab import GI_STAR_HOT_CLASSES, SYNTHETIC_LABEL

__all__ = ["run"]

_VERSIONED = (
    "clustergeo",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
)


def run(config: RunConfig) -> None:
    """Write the GeoPackage, the QGIS project, every map, the report and the provenance."""
    paths = RunPaths.for_config(config)
    inputs = intermediates.read_inputs_record(paths)
    areas_record = intermediates.read_areas_record(paths)
    reference = intermediates.read_lq_reference(paths)
    framing = _framing(config, reference.label, inputs, reference.year)
    growth = intermediates.read_growth(paths)
    notes = [*inputs.notes, *(areas_record.notes if areas_record else ())]
    if areas_record is None:
        _publish_without_boundaries(
            config, paths, framing=framing, inputs=inputs, notes=notes, growth=growth
        )
        return
    tables = _read_tables(paths)
    industries = intermediates.read_industries(paths)
    definitions = [(d.key, d.label) for d in industries.definitions]
    hotspot_record = intermediates.read_hotspot_record(paths)
    method = _hotspot_method(hotspot_record, intermediates.read_floor_limits(paths))
    rule = _cluster_rule(intermediates.read_cluster_record(paths), config)

    # The district layer is dissolved while the maps are drawn: no map needs it.
    layers = build_layers(tables, districts=False)
    circular = intermediates.read_circular(paths)
    if circular is not None:
        layers |= circular_layers(
            circular.streams,
            circular.findings,
            circular.zones,
            circular.zone_authorities,
            circular.colocation,
        )
    summary = _growth_summary(growth, maps=True)
    if growth is not None:
        layers |= growth_layers(
            tables.areas,
            growth.growth,
            growth.shift_share,
            growth.findings,
            against=summary is not None and summary.against_industry,
        )
    breaks = _mark_broken_series(layers, growth)
    if growth is not None and growth.emerging is not None and growth.emerging_clusters is not None:
        layers |= emerging_layers(tables.areas, growth.emerging, growth.emerging_clusters)
    boundaries = map_boundaries(layers)
    data = map_data(layers, definitions)
    maps = figure_jobs(
        data,
        definitions=definitions,
        framing=framing,
        hotspot_method=method,
        cluster_rule=rule,
        grid_cell_m=config.surface.cell_m if config.surface else None,
        local_serving=() if config.clusters.include_non_traded else _local_serving(industries),
    )
    stream_maps: list[FigureJob] = []
    if circular is not None and config.circular is not None:
        stream_maps = stream_map_jobs(
            layers,
            areas=tables.areas,
            boundaries=boundaries,
            framing=framing,
            distance_km=config.circular.distance_km,
            geometry=_shared_geometry(data, tables.areas),
        )
    over_time = _change_over_time(
        growth,
        summary,
        layers=layers,
        tables=tables,
        framing=framing,
        data=data,
        local_serving=() if config.clusters.include_non_traded else _local_serving(industries),
        trend_alpha=config.growth.emerging.alpha
        if config.growth is not None and config.growth.emerging is not None
        else 0.05,
    )
    jobs = [*maps, *stream_maps, *over_time.maps]
    # The overview maps the report shows, with their captions (every job's map is drawn).
    overview = report_figures(
        paths.root, [paths[r.FIGURES] / f"{job.name}.png" for job in jobs], tables.sites
    )
    in_report = {Path(p).stem for p, _caption in overview}
    in_report |= {job.name for job in [*stream_maps, *over_time.maps]}
    # Every map of the run is drawn by one pool of workers, the report's first (the costliest,
    # small multiples, first among them), while this process writes the GeoPackage, the QGIS
    # project and the web map, then the report as soon as its maps are drawn.
    report_first = [job for job in jobs if job.name in in_report]
    report_first += [job for job in jobs if job.name not in in_report]
    with drawing(report_first, paths[r.FIGURES], _unchanged_figures(config, paths)) as drawing_maps:
        layers = with_district_layer(layers, tables)
        _write_map_files(
            config,
            paths,
            layers,
            _styles(layers, definitions, _finding_codes(config, industries), growth, summary),
            framing=framing,
            tables=tables,
            definitions=definitions,
        )
        drawn = drawing_maps.files(in_report)
        provenance = _provenance(
            config,
            paths,
            notes,
            hotspots=hotspot_record.report,
            clusters=intermediates.read_cluster_record(paths),
            governance=intermediates.read_governance_record(paths),
            **({"growth": growth.record} if growth is not None else {}),
            outputs={
                "geopackage": {
                    "path": _relative(paths[r.GEOPACKAGE], paths.root),
                    "sha256": file_sha256(paths[r.GEOPACKAGE]),
                },
                "qgis_project": _relative(paths[r.QGIS_PROJECT], paths.root),
                "map_page": _relative(paths[r.MAP_PAGE], paths.root),
            },
        )
        _write_report(
            _run_report_blocks(
                config,
                paths,
                framing=framing,
                method=method,
                rule=rule,
                provenance=provenance,
                tables=tables,
                layers=layers,
                figures=[
                    *overview,
                    *over_time.report_figures(drawn, paths.root),
                ],
                circular=circular,
                circular_drawn=[p for job in stream_maps for p in drawn[job.name]],
                change_over_time=over_time.blocks,
                breaks=breaks,
                industries=industries,
            ),
            framing,
            paths,
        )
        drawn = drawing_maps.files()
    figures = [p for job in jobs for p in drawn[job.name]]
    provenance["outputs"]["figures"] = [_relative(p, paths.root) for p in figures]
    write_json(provenance, paths[r.PROVENANCE])


def _mark_broken_series(
    layers: Layers, growth: intermediates.GrowthTables | None
) -> dict[str, SeriesBreak] | None:
    """By finding ID, the findings whose yearly series looks broken (None without series).

    They are marked wherever they are named: the findings layer gets ``series_break``, which
    the maps' key and the web map read, and the report is given the same.
    """
    if growth is None or growth.findings is None:
        return None
    breaks = series_breaks(growth.findings)
    findings = layers["clusters"]
    assert isinstance(findings, gpd.GeoDataFrame)
    layers["clusters"] = with_series_breaks(findings, breaks)
    return breaks


def _user_places(
    streams: pd.DataFrame, findings: pd.DataFrame, areas: pd.DataFrame
) -> dict[str, list[str]]:
    """Each stream's user places (by the stream's label), each by its anchor area's name."""
    names = (
        areas.set_index("area_code")["area_name"].astype(str)
        if "area_name" in areas
        else pd.Series(dtype=str)
    )
    codes = findings["industry_code"].astype(str)
    places = {}
    for stream in streams.loc[streams["status"] == "run"].itertuples():
        # Each side's findings carry its column key, <stream>_users for the users.
        users = findings.loc[codes == f"{stream.stream}_users"]
        anchors = dict.fromkeys(users["anchor_area_code"].astype(str))
        places[str(stream.label)] = [str(names.get(code, code)) for code in anchors]
    return places


def _core_sizes(clusters: pd.DataFrame) -> dict[str, float] | None:
    """Each finding's core (its jobs, or £m of GVA), by ID, as the grid's clusters are cores."""
    if not {"cluster_id", "employment"} <= set(clusters.columns):
        return None
    sizes = clusters["employment"].astype(float).to_numpy()
    return dict(zip(clusters["cluster_id"].astype(str), sizes, strict=True))


def _definition_words(industries: intermediates.Industries, rule: ClusterRule) -> list[str]:
    """The cluster definitions findings were sought in, each with what makes it up."""
    names = {str(i["industry_code"]): str(i["name"]) for i in industries.industries}
    return [
        definition_words(d.label, d.sic_codes, names)
        for d in industries.definitions
        if not rule.analysed or d.key in rule.analysed
    ]


def _industry_totals(lq: pd.DataFrame) -> dict[str, float]:
    """Each industry's total in the study area (``lq`` holds the study area's rows)."""
    totals = lq.groupby(lq["industry_code"].astype(str))["employment"].sum()
    return {str(code): float(total) for code, total in totals.items()}


def _run_report_blocks(
    config: RunConfig,
    paths: RunPaths,
    *,
    framing: Framing,
    method: HotspotMethod,
    rule: ClusterRule,
    provenance: dict[str, Any],
    tables: RunTables,
    layers: dict[str, Any],
    figures: list[tuple[str, str]],
    circular: intermediates.CircularTables | None,
    circular_drawn: list[Path],
    change_over_time: list[Block],
    breaks: Mapping[str, SeriesBreak] | None,
    industries: intermediates.Industries,
) -> list[Block]:
    """The report of a run with boundaries: its sections, the circular economy's included.

    Before the maps: the area-versus-grid comparison, where the run has a grid, then the
    change over time.
    """
    sites = layers.get("site_footprints")
    kinds = tables.lq.drop_duplicates("industry_code")["kind"].astype(str)
    geography: list[Block] = []
    grid_finding = None
    if tables.maup is not None:
        labels = tables.lq.drop_duplicates("industry_code").set_index("industry_code")["label"]
        local = () if config.clusters.include_non_traded else _local_serving(industries)
        local_serving = {code: str(labels.get(code, code)) for code in local}
        cell_m = config.surface.cell_m if config.surface else None
        geography = maup_blocks(
            tables.maup,
            cell_m=cell_m,
            local_serving=local_serving,
            evenly_spread=intermediates.read_evenly_spread_share(paths),
            grid_clusters=tables.grid_clusters,
            amount=framing.amount,
            finding_names=tables.clusters.set_index("cluster_id")["name"].astype(str).to_dict()
            if {"cluster_id", "name"} <= set(tables.clusters.columns)
            else None,
            finding_sizes=_core_sizes(tables.clusters),
        )
        grid_finding = maup_key_finding(tables.maup, cell_m=cell_m, local_serving=local_serving)
    blocks = report_blocks(
        framing=framing,
        hotspot_method=method,
        cluster_rule=rule,
        provenance=provenance,
        clusters=tables.clusters,
        links=tables.cluster_authorities,
        sites=sites if tables.sites is not None else None,
        figures=figures,
        n_areas=len(layers["areas_lq"]),
        n_industries=int((kinds != "cluster").sum()),
        n_definitions=int((kinds == "cluster").sum()),
        global_statistics=tables.global_statistics,
        change_over_time=[*geography, *change_over_time],
        authority_summaries=tables.authority_summaries,
        site_links=tables.site_authorities,
        grid_finding=grid_finding,
        local_counts=local_finding_counts(
            tables.hotspots, rule.hot_spot_classes or GI_STAR_HOT_CLASSES
        ),
        industry_totals=_industry_totals(tables.lq),
        series_breaks=breaks,
        definitions=_definition_words(industries, rule),
    )
    if circular is not None and config.circular is not None:
        # The circular section goes before the maps and the provenance, which close the report.
        at = next(
            (
                i
                for i, b in enumerate(blocks)
                if b.kind == "h2" and b.text in ("Maps", "Provenance")
            ),
            len(blocks),
        )
        blocks[at:at] = circular_report_blocks(
            circular.streams,
            circular.zones,
            distance_km=config.circular.distance_km,
            figures=[_relative(p, paths.root) for p in circular_drawn if p.suffix == ".png"],
            global_permutations=config.hotspots.global_permutations,
            user_places=_user_places(circular.streams, circular.findings, tables.areas),
        )
    return blocks


def _finding_codes(
    config: RunConfig, industries: intermediates.Industries
) -> dict[str, tuple[str, ...]]:
    """By cluster definition, the findings' industry codes its map theme shows.

    Empty (each definition shows its own findings) unless the run finds clusters per data
    industry, when a definition's theme shows those of the industries that make it up.
    """
    return dict(industries.definition_codes) if config.clusters.of == "industries" else {}


def _styles(
    layers: Mapping[str, Any],
    definitions: list[tuple[str, str]],
    finding_codes: Mapping[str, Sequence[str]],
    growth: intermediates.GrowthTables | None,
    summary: GrowthSummary | None,
) -> list[LayerStyle]:
    """The QGIS styles of every layer written: the run's, then growth's and emerging's."""
    styles = layer_styles(layers, definitions, finding_codes)
    if growth is not None:
        # Opening on the industry the LQ and hot-spot layers open on.
        first = definitions[0][0] if definitions else None
        styles += growth_styles(
            growth.growth, against=summary is not None and summary.against_industry, first=first
        )
        if growth.emerging is not None and growth.emerging_clusters is not None:
            styles += emerging_styles(growth.emerging, first=first)
    return styles


def _write_report(blocks: list[Block], framing: Framing, paths: RunPaths) -> None:
    """The report as Markdown, as one self-contained HTML page, and that page printed to PDF."""
    write_text(to_markdown(blocks), paths[r.REPORT_MD])
    page = to_html(blocks, f"{framing.title}: report", paths.root)
    write_text(page, paths[r.REPORT_HTML])
    write_report_pdf(page, paths[r.REPORT_PDF])


@dataclass(frozen=True)
class _OverTime:
    """The change-over-time maps to draw, their report captions by map, and their sections."""

    maps: list[FigureJob] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def report_figures(self, drawn: Mapping[str, list[Path]], root: Path) -> list[tuple[str, str]]:
        """The drawn maps' PNGs, relative to the run folder, with their captions."""
        return [
            (_relative(p, root), self.captions[job.name])
            for job in self.maps
            for p in drawn[job.name]
            if p.suffix == ".png"
        ]


def _change_over_time(
    growth: intermediates.GrowthTables | None,
    summary: GrowthSummary | None,
    *,
    layers: dict[str, Any],
    tables: RunTables,
    framing: Framing,
    data: MapData,
    local_serving: tuple[str, ...] = (),
    trend_alpha: float = 0.05,
) -> _OverTime:
    """The growth and emerging-hot-spot maps to draw, their captions, and their sections.

    ``trend_alpha`` is the emerging hot spots' significance level, for their trends.
    """
    over_time = _OverTime()
    if growth is None or summary is None:
        return over_time
    maps = growth_map_jobs(
        layers["growth_areas"],
        growth.growth,
        summary=summary,
        framing=framing,
        boundaries=map_boundaries(layers),
        shift_share=growth.shift_share,
        geometry=_shared_geometry(data, layers["growth_areas"]),
        places=data.places,
    )
    over_time.maps.extend(maps)
    against = " against the industry" if summary.against_industry else ""
    over_time.captions.update(
        _captions(maps, "growth", f"Growth {summary.period}{against}", growth.growth)
    )
    names = tables.clusters.set_index("cluster_id")["name"].astype(str).to_dict()
    over_time.blocks.extend(
        growth_blocks(
            growth.growth,
            growth.shift_share,
            growth.findings,
            summary,
            finding_names=names,
            local_serving=local_serving,
        )
    )
    if growth.emerging is not None and growth.emerging_clusters is not None:
        period = f"{min(growth.record['years'])}–{max(growth.record['years'])}"
        maps = emerging_map_jobs(
            layers["emerging_areas"],
            growth.emerging,
            period=period,
            framing=framing,
            boundaries=map_boundaries(layers),
            geometry=_shared_geometry(data, layers["emerging_areas"]),
            places=data.places,
        )
        over_time.maps.extend(maps)
        over_time.captions.update(
            _captions(maps, "emerging", f"Emerging hot spots {period}", growth.emerging)
        )
        area_names = layers["emerging_areas"]
        over_time.blocks.extend(
            emerging_blocks(
                growth.emerging,
                growth.emerging_clusters,
                members=growth.emerging_members,
                area_names=dict(zip(area_names["area_code"], area_names["area_name"], strict=True)),
                period=period,
                names=dict(
                    zip(growth.growth["industry_code"], growth.growth["label"], strict=True)
                ),
                local_serving=local_serving,
                alpha=trend_alpha,
                lq_changes=growth.growth,
            )
        )
    return over_time


def _write_map_files(
    config: RunConfig,
    paths: RunPaths,
    layers: dict[str, Any],
    styles: list[LayerStyle],
    *,
    framing: Framing,
    tables: RunTables,
    definitions: list[tuple[str, str]],
) -> None:
    """The GeoPackage with its styles, the QGIS project that opens it, and the web map."""
    write_geopackage(
        layers,
        paths[r.GEOPACKAGE],
        metadata=_metadata(config, framing),
        styles=styles,
        geometry_types=geometry_types(layers),
    )
    grid = intermediates.read_surface_grid(paths)
    write_text(
        project_for_layers(
            framing=framing,
            geopackage_name=paths[r.GEOPACKAGE].name,
            layers=geometry_types(layers),
            styles=styles,
            extent=tables.areas.total_bounds,
            close_up=layout_close_up(tables.areas),
            definitions=definitions,
            surface=SurfaceBands(
                path=_relative(paths[r.SURFACE_TIF], paths.root).replace(os.sep, "/"),
                bands=grid.bands,
                cell_m=grid.cell_m,
            )
            if grid is not None
            else None,
            aliases=field_aliases(
                {name: frame.columns for name, frame in layers.items()},
                definitions,
                industry_lq_fields(tables.lq),
                gva=framing.values_are_gva,
                variable=config.hotspots.variable,
            ),
        ),
        paths[r.QGIS_PROJECT],
    )
    write_text(
        map_page_for_layers(
            layers,
            definitions,
            title=framing.title,
            source=framing.source_line,
            attribution=framing.attribution,
            quantity=framing.quantity,
        ),
        paths[r.MAP_PAGE],
    )


def _shared_geometry(data: MapData, areas: pd.DataFrame) -> MapGeometry | None:
    """The run's map geometry for other maps of ``areas``, if they are the same areas.

    The same areas in the same order: a map colours the geometry's paths by its rows. The
    run's maps leave out an area without LQs; maps of every area prepare their own.
    """
    same = data.areas["area_code"].astype(str).tolist() == areas["area_code"].astype(str).tolist()
    return data.geometry if same else None


def _read_tables(paths: RunPaths) -> RunTables:
    """The run's results for the study area (the edge buffer only informed the statistics)."""
    governed, links = intermediates.read_governance(paths)
    sites = intermediates.read_sites(paths)
    grid = intermediates.read_grid_clusters(paths)
    return RunTables(
        areas=intermediates.read_areas(paths, study_only=True),
        lq=intermediates.read_lq(paths, study_only=True).drop(columns="in_study_area"),
        district_lq=intermediates.read_district_lq(paths),
        hotspots=intermediates.read_hotspots(paths),
        clusters=governed,
        cluster_extents=intermediates.read_cluster_extents(paths),
        cluster_authorities=links,
        global_statistics=intermediates.read_global_statistics(paths),
        authority_summaries=intermediates.read_authority_summaries(paths),
        authorities=intermediates.read_authority_polygons(paths),
        sites=sites.footprints if sites else None,
        site_authorities=sites.authorities if sites else None,
        site_clusters=sites.clusters if sites else None,
        grid_clusters=grid[0] if grid else None,
        maup=grid[1] if grid else None,
    )


def _relative(path: Path | None, root: Path) -> str:
    """``path`` relative to the run folder, so the record holds when the folder moves."""
    return "" if path is None else os.path.relpath(path, root)


def _inputs(config: RunConfig, root: Path) -> dict[str, dict[str, str]]:
    """Every input file of the run with its checksum, relative to the run folder."""
    return {
        role: {"path": _relative(path, root), "sha256": file_sha256(path)}
        for role, path in config.input_paths().items()
    }


def _cluster_rule(record: dict[str, Any], config: RunConfig) -> ClusterRule:
    """The rules that made the findings, as the cluster stage recorded them."""
    return ClusterRule(
        significance=float(record["significance"]),
        min_lq=float(record["min_lq"]),
        min_employment=float(record["min_employment"]),
        hot_spot_classes=tuple(record.get("hot_spot_classes", ())),
        concentrations=dict(record.get("concentrations") or {}),
        straddle_share=config.governance.straddle_share,
        star_share=float(record.get("star_share", 0.1)),
        non_traded_left_out=dict(record.get("non_traded_left_out") or {}),
        analysed=tuple(str(c) for c in record.get("columns") or ()),
    )


def _unchanged_figures(config: RunConfig, paths: RunPaths) -> dict[str, dict[str, str]]:
    """Each map's files as the last run with this code recorded them: name -> format -> sha256.

    The maps this run draws the same are kept, not drawn again (:func:`save_figure`): a run
    after a change to the clusters redraws the cluster maps, not every industry's LQs.
    """
    folder = paths[r.FIGURES].relative_to(paths.root).as_posix()
    maps: dict[str, dict[str, str]] = {}
    for name, sha256 in manifest.recorded_outputs(config, r.PUBLISH).items():
        path = PurePosixPath(name)
        if path.parent.as_posix() == folder:
            maps.setdefault(path.stem, {})[path.suffix[1:]] = sha256
    return maps


def _framing(
    config: RunConfig,
    lq_reference: str,
    inputs: intermediates.InputsRecord,
    year: int | None,
) -> Framing:
    surface = config.surface
    employment = config.employment
    authorities = config.authorities
    return Framing(
        run_name=config.name,
        description=config.description,
        synthetic=config.synthetic,
        employment_basis=config.employment.basis,
        employment_source=config.employment.description or f"{config.employment.basis} employment",
        lq_reference=lq_reference,
        uses_openstreetmap=surface is not None and (surface.osm is not None or surface.osm_online),
        measure=inputs.measure_label if inputs.measure is not None else None,
        year=year,
        employment_year=employment.date or (str(employment.year) if employment.year else None),
        boundaries_year=str(authorities.year)
        if authorities is not None and authorities.year is not None
        else None,
        values_are_gva=not inputs.counts_people,
    )


def _growth_summary(
    growth: intermediates.GrowthTables | None, *, maps: bool
) -> GrowthSummary | None:
    """What the growth stage compared, in the words of the report and the maps.

    Where there are growth ``maps`` and the values are GVA in current prices, the maps are
    classed against each industry's own growth (:attr:`GrowthSummary.against_industry`).
    """
    if growth is None:
        return None
    record = growth.record
    return GrowthSummary(
        base_year=int(record["base_year"]),
        end_year=int(record["end_year"]),
        measure_label=str(record.get("measure_label") or record["measure"]),
        reference=str(record["reference"]),
        reference_growth=float(record["reference_growth"]),
        method=str(record["method"]),
        against_industry=maps and record.get("measure") == "gva_current_prices",
    )


def _provenance(
    config: RunConfig,
    paths: RunPaths,
    notes: list[str],
    *,
    outputs: dict[str, Any],
    **sections: Any,
) -> dict[str, Any]:
    """The run's provenance record: config, inputs with checksums, notes, stage records."""
    return {
        "run": config.name,
        "description": config.description,
        "synthetic": config.synthetic,
        "label": SYNTHETIC_LABEL if config.synthetic else None,
        "employment_basis": config.employment.basis,
        "config": config.model_dump(mode="json"),
        "config_file": _relative(config.config_path, paths.root),
        "inputs": _inputs(config, paths.root),
        "ingest_notes": notes,
        **sections,
        "versions": _versions(),
        "outputs": outputs,
    }


#: The tables a run without boundaries lists in its report, and what each holds.
_TABLES = (
    (r.LQ_CSV, "LQs of every area x industry and cluster definition, the analysed year"),
    (r.LQ_BY_YEAR_CSV, "LQs of every year"),
    (r.GROWTH_CSV, "growth between the base and end years: change, CAGR, change in LQ"),
    (r.GROWTH_INDEX_CSV, "every year as an index, base year = 100"),
    (r.SHIFT_SHARE_CSV, "shift-share components of every change"),
)


def _local_serving(industries: intermediates.Industries) -> tuple[str, ...]:
    """The codes of the run's local-serving definitions and industries (as the clusters stage)."""
    return tuple(code for code, traded in industries.traded.items() if not traded)


def _captions(
    maps: Sequence[FigureJob], kind: str, heading: str, table: pd.DataFrame
) -> dict[str, str]:
    """Each change map's caption, naming its industry by its label (as its title does)."""
    labels = {f"{kind}_{stub(code)}": label for code, label in mapped_columns(table)}
    return {job.name: f"{heading}: {labels.get(job.name, job.name)}" for job in maps}


def _publish_without_boundaries(
    config: RunConfig,
    paths: RunPaths,
    *,
    framing: Framing,
    inputs: intermediates.InputsRecord,
    notes: list[str],
    growth: intermediates.GrowthTables | None,
) -> None:
    """The report and provenance of a run whose areas have no polygons (no GeoPackage, no maps)."""
    from clustergeo.stages.runner import NO_BOUNDARIES, not_applicable_reasons

    summary = _growth_summary(growth, maps=False)
    provenance = _provenance(
        config,
        paths,
        notes,
        **({"growth": growth.record} if growth is not None else {}),
        outputs={"figures": []},
    )
    write_json(provenance, paths[r.PROVENANCE])
    change_over_time = (
        growth_blocks(
            growth.growth,
            growth.shift_share,
            None,
            summary,
            local_serving=()
            if config.clusters.include_non_traded
            else _local_serving(intermediates.read_industries(paths)),
        )
        if growth is not None and summary is not None
        else []
    )
    blocks = table_report_blocks(
        framing=framing,
        provenance=provenance,
        lq=intermediates.read_lq(paths, study_only=True),
        area_names=intermediates.read_area_names(paths),
        years=inputs.years,
        # The report says once that the run has no boundaries, then lists the other reasons.
        not_applicable=[
            (name, "" if reason == NO_BOUNDARIES else reason)
            for name, reason in not_applicable_reasons(config)
        ],
        outputs=[(a.path, what) for a, what in _TABLES if paths[a].exists()],
        change_over_time=change_over_time,
    )
    _write_report(blocks, framing, paths)


def _hotspot_method(
    record: intermediates.HotspotRecord, floor_limits: tuple[dict[str, Any], ...]
) -> HotspotMethod:
    statistics = record.statistics
    return HotspotMethod(
        variable=str(statistics["variable"]),
        weights=str(record.weights["method"]),
        gi_star_inference=str(statistics["gi_star_inference"]),
        permutations=int(statistics["permutations"]),
        correction=str(statistics["correction"]),
        seed=int(statistics["seed"]),
        floor_limits=floor_limits,
        global_permutations=int(record.report.get("global_permutations", 0)),
        moran_inference=str(statistics.get("moran_inference", "permutation")),
    )


def _metadata(config: RunConfig, framing: Framing) -> dict[str, str]:
    """The GeoPackage's dataset metadata: the run's provenance travels with the file."""
    authorities = config.authorities
    return {
        "TITLE": framing.title,
        "DESCRIPTION": " ".join(config.description.split()),
        "EMPLOYMENT_BASIS": config.employment.basis,
        "SYNTHETIC": SYNTHETIC_LABEL if config.synthetic else "no",
        "CREATED": datetime.now(UTC).isoformat(timespec="seconds"),
        "CONFIG": json.dumps(config.model_dump(mode="json"), sort_keys=True),
        "INPUTS_SHA256": json.dumps(
            {role: file_sha256(p) for role, p in config.input_paths().items()}, sort_keys=True
        ),
        "PACKAGE_VERSIONS": json.dumps(_versions(), sort_keys=True),
        "PERMUTATION_SEED": str(config.hotspots.seed),
        "AUTHORITIES_YEAR": str(authorities.year)
        if authorities is not None and authorities.year is not None
        else "as supplied",
        "EMPLOYMENT_DATE": config.employment.date or "as supplied",
    }


def _versions() -> dict[str, str]:
    found = {}
    for name in _VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    found["gdal"] = pyogrio.__gdal_version_string__
    found["python"] = platform.python_version()
    return found
