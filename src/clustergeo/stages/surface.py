"""Stage 6, surface: employment on a regular grid, its hot spots and clusters, the MAUP check.

Only runs when the config has a ``surface`` section (the registry declares it so). Steps:

1. employment-bearing land from the OSM extract, if one is configured
   (:func:`~clustergeo.surface.osm.read_employment_land`), or, with ``osm_online``, from the
   Overpass API, fetched once and cached in the data directory;
2. each study-area area's employment per cluster definition spread over that land, or over
   the whole area where it has none (:func:`~clustergeo.surface.dasymetric.allocate`);
3. the pieces rasterised onto a British National Grid of ``cell_m`` cells, written as a
   GeoTIFF with one band per cluster definition (and a kernel-density surface if asked);
4. each cell's location quotient with its interval, as for areas (its total employment is
   allocated and rasterised too; cells below the employment floors are missing); Gi* on the
   cells' LQs (queen contiguity between cells of the study area) with the run's hot-spot
   settings;
5. grid clusters: 8-connected Gi* hot cells (corrected p within ``clusters.significance``)
   whose own LQ is at least ``clusters.min_lq`` with its interval above 1, employing at least
   ``clusters.min_employment`` and ``surface.min_employment``;
6. each grid cluster placed on the authority tiers like an anchor site's footprint (area
   shares), and compared with the area clusters (:mod:`~clustergeo.surface.maup`).

With a Dask ``compute.backend``, steps 2 and 3 run on the cluster in spatial partitions of the
areas (:func:`~clustergeo.surface.partitioned.partitioned_surface`) and the grid's hot spots
in blocks of columns (:func:`~clustergeo.hotspots.partitioned.partitioned_hotspots`); the
outputs are bit for bit those of the in-process run.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage

from clustergeo.clusters.delineate import select_columns
from clustergeo.compute import dask_client
from clustergeo.concentration import LqSettings, location_quotients
from clustergeo.config import RunConfig, SurfaceConfig
from clustergeo.governance.overlay import add_upper_tier, governance_flags
from clustergeo.governance.sites import footprint_pieces
from clustergeo.hotspots.partitioned import hotspots_on
from clustergeo.hotspots.permutation_floor import (
    correction_tests,
    enough_permutations,
    permutations_for,
    warn_floor_limits,
)
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths
from clustergeo.surface.dasymetric import allocate
from clustergeo.surface.grid import (
    CellOverlaps,
    GridSpec,
    cell_overlaps,
    grid_spec,
    kernel_density,
    rasterise,
    write_geotiff,
)
from clustergeo.surface.maup import compare_clusters
from clustergeo.surface.osm import fetch_employment_land_online, read_employment_land
from clustergeo.surface.partitioned import partitioned_surface
from clustergeo.surface.polygonise import hot_regions
from clustergeo.surface.raster_weights import cell_ids, cell_positions, cells_table, grid_weights
from clustergeo.vocab import GI_STAR_HOT_CLASSES, WORKING_CRS

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["run"]

log = logging.getLogger(__name__)

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
_TOTAL = "__all_industries__"


def run(config: RunConfig) -> None:
    """Build the employment grid, its hot spots and clusters, and compare them with the areas."""
    paths = RunPaths.for_config(config)
    settings = config.surface
    if settings is None:
        raise ValueError("the surface stage needs a 'surface' section (the registry skips it)")
    areas = add_upper_tier(intermediates.read_areas(paths))
    study = areas.loc[areas["in_study_area"]].reset_index(drop=True)
    employment, reference_share, labels = _area_employment(paths, study, config.clusters.of)
    columns = [c for c in employment.columns if c != _TOTAL]

    land = _land(config, settings, study)
    spec = grid_spec(np.asarray(study.total_bounds), settings.cell_m)
    # The areas' overlaps with the cells: the study area's mask, and the shares of the areas
    # that are pieces whole (every area, without land data).
    study_overlaps = cell_overlaps(study, spec)
    with dask_client(config.compute) as client:
        pieces, stacked = _allocate_and_rasterise(
            study[["area_code", "geometry"]],
            employment,
            land,
            settings,
            columns=[*columns, _TOTAL],
            spec=spec,
            client=client,
            known=study_overlaps,
        )
        array, cell_total = stacked[:-1], stacked[-1]
        mask = study_overlaps.coverage() > 0
        array[:, ~mask] = np.nan
        write_geotiff(paths[r.SURFACE_TIF], array, spec, columns)
        reference_total = intermediates.read_lq_reference(paths).total
        lq_cells, lower = _cell_lq(
            array,
            cell_total,
            mask=mask,
            reference_industry=reference_share.reindex(columns) * reference_total,
            reference_total=reference_total,
            settings=LqSettings.from_config(config.concentration),
        )
        if settings.kernel_bandwidth_m is not None:
            density = kernel_density(
                np.nan_to_num(array), spec, settings.kernel_bandwidth_m, mask=mask
            )
            density[:, ~mask] = np.nan
            write_geotiff(paths[r.SURFACE_DENSITY_TIF], density, spec, columns)

        values = cells_table(lq_cells, mask, columns)
        weights = grid_weights(mask, queen=True)
        tests = correction_tests(config.hotspots, values.notna().sum())
        hotspot_settings = enough_permutations(config.hotspots, tests, unit="grid cell")
        result = hotspots_on(
            client,
            values,
            weights,
            hotspot_settings,
            industries_per_task=config.compute.industries_per_task,
        )
    table = result.table
    limits = warn_floor_limits(
        table,
        hotspot_settings,
        unit="grid cell",
        labels=dict(labels),
        at_least=permutations_for(hotspot_settings, tests),
    )
    grid_clusters = _grid_clusters(
        config, table, array=array, lq_cells=lq_cells, lower=lower, spec=spec, columns=columns
    )
    grid_clusters = _govern(grid_clusters, areas)
    grid_clusters.insert(2, "label", grid_clusters["industry_code"].map(labels))
    findings = intermediates.read_governed_clusters(paths)
    findings = findings.loc[findings["industry_code"].isin(columns)]
    # Concentrations are single places, not spatial clusters: only clusters are compared, and
    # a grid cluster on a concentration is said to be one.
    comparison = compare_clusters(
        findings.loc[findings["kind"] == "cluster"],
        grid_clusters,
        stable_iou=settings.stable_iou,
        concentration_areas=_member_areas(
            findings.loc[findings["kind"] == "concentration"], study, employment
        ),
    )

    table = _with_centres(table, mask, spec)
    write_parquet(table, paths[r.GRID_HOTSPOTS])
    write_parquet(grid_clusters, paths[r.GRID_CLUSTERS])
    write_csv(pd.DataFrame(grid_clusters.drop(columns="geometry")), paths[r.GRID_CLUSTERS_CSV])
    write_parquet(comparison, paths[r.MAUP])
    write_csv(comparison, paths[r.MAUP_CSV])
    report = {
        "stage": "surface",
        "configured": True,
        "osm": str(stage_inputs(config, r.SURFACE)["osm"]) if settings.osm else None,
        "backend": config.compute.backend,
        "land_polygons": len(land),
        "allocation": pieces.attrs.get("report", {}),
        "cell_m": settings.cell_m,
        "grid": {"rows": spec.height, "cols": spec.width, "cells_in_study_area": int(mask.sum())},
        "grid_hot_spots": result.report,
        "permutation_floor": [limit.to_record() for limit in limits],
        "grid_clusters": len(grid_clusters),
        "maup": comparison["stability"].value_counts().to_dict(),
    }
    write_json(json.loads(json.dumps(report, default=str)), paths[r.SURFACE_REPORT])
    log.info(
        "Grid of %d x %d cells (%g m): %d grid clusters; against the area clusters: %s",
        spec.height,
        spec.width,
        settings.cell_m,
        len(grid_clusters),
        ", ".join(f"{n} {label}" for label, n in report["maup"].items()) or "none to compare",
    )


def _allocate_and_rasterise(
    areas: gpd.GeoDataFrame,
    employment: pd.DataFrame,
    land: gpd.GeoDataFrame,
    settings: SurfaceConfig,
    *,
    columns: list[str],
    spec: GridSpec,
    client: Client | None,
    known: CellOverlaps,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The dasymetric pieces and their grid, in this process or on Dask (the same numbers).

    In this process, pieces that are whole areas take their overlaps from ``known``.
    """
    if client is None:
        pieces = allocate(areas, employment, land, settings.kind_weights)
        return pieces, rasterise(pieces, columns, spec, known=known)
    return partitioned_surface(
        areas, employment, land, settings.kind_weights, client, columns=columns, spec=spec
    )


def _area_employment(
    paths: RunPaths, study: gpd.GeoDataFrame, of: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Study areas x columns employment (plus each area's total), reference shares, labels."""
    lq = intermediates.read_lq(
        paths,
        [
            "area_code",
            "industry_code",
            "kind",
            "label",
            "employment",
            "area_total",
            "reference_share",
        ],
    )
    by_code = lq.drop_duplicates("industry_code").set_index("industry_code")
    columns = select_columns(by_code["kind"], of)
    employment = (
        lq.loc[lq["industry_code"].isin(columns)]
        .pivot(index="area_code", columns="industry_code", values="employment")
        .reindex(index=study["area_code"], columns=columns)
    )
    # Each area's total goes on the grid too, so cells get location quotients like areas.
    totals = lq.drop_duplicates("area_code").set_index("area_code")["area_total"]
    employment[_TOTAL] = totals.reindex(employment.index).to_numpy()
    return employment, by_code["reference_share"], by_code["label"]


def _member_areas(
    findings: gpd.GeoDataFrame, study: gpd.GeoDataFrame, employment: pd.DataFrame
) -> gpd.GeoDataFrame:
    """One row per finding and core member area: its polygon and its jobs in the industry."""
    members = (
        pd.DataFrame(findings[["cluster_id", "industry_code", "member_codes"]])
        .assign(area_code=lambda f: f["member_codes"].astype(str).str.split(";"))
        .explode("area_code")
        .drop(columns="member_codes")
    )
    members = members.loc[members["area_code"].isin(set(study["area_code"]))]
    jobs = employment.stack()
    members["employment"] = jobs.reindex(
        pd.MultiIndex.from_arrays([members["area_code"], members["industry_code"]])
    ).to_numpy()
    geometry = study.set_index("area_code").geometry.reindex(members["area_code"])
    return gpd.GeoDataFrame(
        members.reset_index(drop=True), geometry=geometry.to_numpy(), crs=study.crs
    )


def _with_centres(table: pd.DataFrame, mask: np.ndarray, spec: GridSpec) -> pd.DataFrame:
    """The engine's long table for cells: ``cell`` id and the cell's centre ``x``, ``y``."""
    rows, cols = np.nonzero(mask)
    xx, yy = spec.cell_centres()
    centres = pd.DataFrame({"x": xx[rows, cols], "y": yy[rows, cols]}, index=cell_ids(rows, cols))
    table.insert(1, "x", table["area_code"].astype(str).map(centres["x"]).to_numpy())
    table.insert(2, "y", table["area_code"].astype(str).map(centres["y"]).to_numpy())
    return table.rename(columns={"area_code": "cell"})


def _land(config: RunConfig, settings: SurfaceConfig, study: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if settings.osm_online:
        cache = config.resolved_data_dir / f"osm_employment_land_{config.name}.parquet"
        land = fetch_employment_land_online(study.union_all(), cache, crs=WORKING_CRS)
        log.info("OSM employment land (Overpass, cached in %s): %d polygons", cache, len(land))
        return land
    if settings.osm is None:
        log.info("No OSM extract configured: each area's employment covers the whole area")
        return gpd.GeoDataFrame({"kind": []}, geometry=gpd.GeoSeries([], crs=study.crs))
    path = stage_inputs(config, r.SURFACE)["osm"]
    cache = RunPaths.for_config(config).root / "surface" / "osm_cache"
    land = read_employment_land(path, polygon=study.union_all(), crs=WORKING_CRS, cache_dir=cache)
    log.info("OSM employment land from %s: %d polygons", path.name, len(land))
    return land


def _cell_lq(
    array: np.ndarray,
    cell_total: np.ndarray,
    *,
    mask: np.ndarray,
    reference_industry: pd.Series,
    reference_total: float,
    settings: LqSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Location quotients of the grid cells and the lower ends of their intervals.

    Computed exactly as for areas (:func:`clustergeo.concentration.location_quotients`, the
    same reference and floors) from each cell's allocated employment and total. Unreliable
    cells (below the employment floors) are missing: a cell of a sparse rural area would
    otherwise repeat its area's noisy LQ over many cells. Returns ``(bands, rows, cols)``
    arrays, missing outside the study area.
    """
    rows, cols = np.nonzero(mask)
    names = list(reference_industry.index)
    counts = pd.DataFrame(array[:, rows, cols].T, columns=names)
    totals = pd.Series(cell_total[rows, cols])
    table = location_quotients(counts, totals, reference_industry, reference_total, settings)
    lq = np.full(array.shape, np.nan)
    lower = np.full(array.shape, np.nan)
    for band, name in enumerate(names):
        part = table.loc[table["industry_code"] == name]
        keep = ~part["lq_unreliable"].to_numpy(dtype=bool)
        lq[band, rows[keep], cols[keep]] = part["lq"].to_numpy()[keep]
        lower[band, rows[keep], cols[keep]] = part["lq_lower"].to_numpy()[keep]
    return lq, lower


def _grid_clusters(
    config: RunConfig,
    table: pd.DataFrame,
    *,
    array: np.ndarray,
    lq_cells: np.ndarray,
    lower: np.ndarray,
    spec: GridSpec,
    columns: list[str],
) -> gpd.GeoDataFrame:
    """8-connected hot cells of each column, as polygons with employment and peak z.

    A cell belongs to a grid cluster when it is a Gi* hot spot after the correction whose own
    LQ is at least ``clusters.min_lq`` with its interval above 1. The interval condition is
    stricter than for areas: cells of one area share the area's LQ, so its noise would form
    "clusters" of several cells; the interval rejects LQs resting on few workers.
    """
    rules = config.clusters
    settings = config.surface
    assert settings is not None
    frames = []
    for band, code in enumerate(columns):
        cells = table.loc[table["industry_code"].astype(str) == code]
        z = np.full(spec.shape, np.nan)
        p = np.full(spec.shape, np.nan)
        hot = np.zeros(spec.shape, dtype=bool)
        rows, cols = cell_positions(cells["area_code"].astype(str).to_numpy())
        z[rows, cols] = cells["gi_star_z"].to_numpy()
        p[rows, cols] = cells["gi_star_p_fdr"].to_numpy()
        hot[rows, cols] = cells["gi_star_class"].astype(str).isin(GI_STAR_HOT_CLASSES).to_numpy()
        with np.errstate(invalid="ignore"):
            hot &= (p <= rules.significance) & (lq_cells[band] >= rules.min_lq)
            hot &= lower[band] > 1.0
        if not hot.any():
            continue
        values = np.nan_to_num(array[band])
        labels, _n = ndimage.label(hot, structure=_EIGHT_CONNECTED)
        regions = hot_regions(hot, spec)
        for region in regions.itertuples():
            inside = labels == region.region_id
            employment = float(values[inside].sum())
            if employment < max(rules.min_employment, settings.min_employment):
                continue
            peak = np.unravel_index(np.nanargmax(np.where(inside, z, -np.inf)), spec.shape)
            peak_id = cell_ids(np.array([peak[0]]), np.array([peak[1]]))[0]
            frames.append(
                {
                    "cluster_id": f"{code}-grid-{peak_id}",
                    "industry_code": code,
                    "cells": int(region.cells),
                    "employment": employment,
                    "peak_gi_star_z": float(z[peak]),
                    "area_km2": float(region.area_m2) / 1e6,
                    "geometry": region.geometry,
                }
            )
    if not frames:
        empty = pd.DataFrame(
            columns=[
                "cluster_id",
                "industry_code",
                "cells",
                "employment",
                "peak_gi_star_z",
                "area_km2",
            ]
        )
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=spec.crs), crs=spec.crs)
    return gpd.GeoDataFrame(frames, geometry="geometry", crs=spec.crs)


def _govern(grid_clusters: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Place grid clusters on the authority tiers by the areas they cover (area shares)."""
    if grid_clusters.empty:
        return grid_clusters
    pieces, _coverage = footprint_pieces(
        grid_clusters[["cluster_id", "geometry"]], areas, min_area_share=0.0, owner="cluster_id"
    )
    flags = governance_flags(pieces, "cluster_id", "area_km2")
    return grid_clusters.merge(flags, on="cluster_id", how="left")
