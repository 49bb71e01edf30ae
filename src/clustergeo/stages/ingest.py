"""Stage 1, ingest: read and validate every input, write tidy intermediates.

Reads the areas, employment, authority tiers, lookups and cluster definitions named in the
config (the readers are in :mod:`clustergeo.ingest`); checks that they join; reprojects to
British National Grid; and writes GeoParquet/Parquet intermediates plus a report of everything
repaired, dropped or noticed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo.config import RunConfig
from clustergeo.industries import (
    coverage_notes,
    read_cluster_definitions,
    resolve_cluster_definitions,
    sic_hierarchy,
)
from clustergeo.ingest.authorities import assign_tiers, read_authorities
from clustergeo.ingest.boundaries import check_distinct_areas, read_boundaries
from clustergeo.ingest.joins import check_area_join
from clustergeo.ingest.mapped import read_run_employment
from clustergeo.ingest.tables import read_lookup_table
from clustergeo.io import file_sha256, write_json, write_parquet
from clustergeo.stages import registry as r
from clustergeo.stages.intermediates import write_industries
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths
from clustergeo.vocab import TIERS

__all__ = ["run"]

log = logging.getLogger(__name__)


def _read_lookup_csv(path: Path, columns: list[str], notes: list[str]) -> pd.DataFrame:
    frame = read_lookup_table(path, notes)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"Lookup file {path} has no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; its columns are {', '.join(frame.columns)}. Fix the column "
            "names under 'hierarchy' in the config."
        )
    frame.attrs["source"] = str(path)
    return frame


def select_study_area(
    areas: gpd.GeoDataFrame, config: RunConfig
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Flag the study area's areas and keep an edge buffer of neighbouring areas around it.

    Without a ``study_area`` in the config every area is in the study area.
    """
    spec = config.study_area
    if spec is None:
        return areas.assign(in_study_area=True), []
    column = f"{spec.tier}_code"
    inside = areas[column].isin(spec.codes)
    unknown = sorted(set(spec.codes) - set(areas[column].dropna()))
    if unknown:
        available = sorted(areas[column].dropna().unique())
        raise InputDataError(
            f"study_area codes {', '.join(unknown)} are not {spec.tier.replace('_', ' ')} "
            f"codes of any area in {config.data_path(config.areas.path)}; the areas' codes "
            f"include {', '.join(available[:8])}. Fix study_area.codes in the config."
        )
    outline = areas.loc[inside].union_all().buffer(spec.buffer_km * 1000)
    keep = inside | areas.intersects(outline)
    notes = [
        f"study area: {int(inside.sum())} areas in {spec.tier.replace('_', ' ')} "
        f"{', '.join(spec.codes)}; {int((keep & ~inside).sum())} more within "
        f"{spec.buffer_km:g} km kept as an edge buffer for the hot-spot statistics; "
        f"{int((~keep).sum())} areas further away dropped"
    ]
    return areas.loc[keep].assign(in_study_area=inside[keep]).reset_index(drop=True), notes


def run(config: RunConfig) -> None:
    """Run the ingest stage for a config and write its outputs.

    Raises
    ------
    ClusterGeoError
        For any input problem, with every problem listed.
    """
    paths = RunPaths.for_config(config)
    inputs = stage_inputs(config, r.INGEST)
    notes: list[str] = []

    attribute_columns = tuple(
        spec.column
        for spec in config.hierarchy.values()
        if spec.source == "attribute" and spec.column
    )
    areas_read = read_boundaries(
        inputs["areas"],
        code_column=config.areas.code_column,
        name_column=config.areas.name_column,
        layer=config.areas.layer,
        assume_crs=config.areas.crs,
        keep_columns=tuple(dict.fromkeys(attribute_columns)),
        what="Areas file",
    )
    notes.extend(areas_read.notes)
    check_distinct_areas(areas_read.frame, inputs["areas"])
    areas = areas_read.frame.rename(columns={"code": "area_code", "name": "area_name"})

    table, employment_notes = read_run_employment(
        config.employment,
        config.employment_paths(),
        vintage_lookup=inputs.get("vintage_lookup"),
        areas=areas,
    )
    notes.extend(employment_notes)
    notes.extend(
        check_area_join(
            areas["area_code"],
            table.data["area_code"],
            boundary_source=inputs["areas"],
            employment_source=table.source,
        )
    )

    authorities: dict[str, gpd.GeoDataFrame] = {}
    every: dict[str, gpd.GeoDataFrame] = {}
    if config.authorities is not None:
        authorities, every, authority_notes = read_authorities(
            config.authorities, inputs["authorities"]
        )
        notes.extend(authority_notes)
    lookups = {
        tier: _read_lookup_csv(
            inputs[f"lookup_{tier}"],
            [c for c in (spec.key_column, spec.column, spec.name_column) if c],
            notes,
        )
        for tier, spec in config.hierarchy.items()
        if spec.source == "lookup"
    }
    tiers, tier_notes = assign_tiers(
        areas,
        config.hierarchy,
        authorities=authorities,
        authority_names=every,
        read_lookup=lookups,
        source=inputs["areas"],
    )
    notes.extend(tier_notes)
    areas = areas[["area_code", "area_name", "geometry"]].merge(tiers, on="area_code")
    areas["area_km2"] = areas.geometry.area / 1e6
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=areas_read.frame.crs)
    areas, study_notes = select_study_area(areas, config)
    notes.extend(study_notes)

    employment = table.data.copy()
    employment["employment"] = employment["employment"].astype("float64")
    employment["in_boundaries"] = employment["area_code"].isin(set(areas["area_code"]))

    definitions = read_cluster_definitions(
        config.industries.cluster_definitions
        if config.industries.shipped
        else inputs["cluster_definitions"]
    )
    resolution = resolve_cluster_definitions(definitions, employment["industry_code"])
    for key, why in resolution.unresolved.items():
        notes.append(f"cluster definition '{key}' skipped: {why}")
        log.warning("Cluster definition '%s' skipped: %s", key, why)
    notes.extend(coverage_notes(resolution, config.industries.warn_missing_share))
    coverage = resolution.coverage(config.industries.warn_missing_share)
    hierarchy = sic_hierarchy()
    industries = [
        {
            "industry_code": code,
            "name": table.industry_names.get(code) or hierarchy.name(code) or code,
            "section": hierarchy.section_of(code),
        }
        for code in sorted(employment["industry_code"].unique())
    ]

    write_parquet(areas, paths[r.AREAS])
    write_parquet(employment, paths[r.EMPLOYMENT])
    if table.area_totals is not None:
        totals = table.area_totals.rename_axis("area_code").reset_index(name="total")
        write_parquet(totals, paths[r.AREA_TOTALS])
    for tier in TIERS:
        if tier in authorities:
            write_parquet(authorities[tier], paths[r.AUTHORITY_POLYGONS[tier]])
    write_industries(paths, industries, list(resolution.resolved), resolution.unresolved, coverage)
    report = {
        "stage": "ingest",
        "employment_basis": config.employment.basis,
        "employment_format": table.format,
        "measure": table.measure or "not stated",
        "measure_label": table.measure_label,
        "years": table.years,
        "cluster_definition_coverage": coverage,
        "inputs": {
            role: {"path": str(path), "sha256": file_sha256(path)} for role, path in inputs.items()
        },
        "counts": {
            "areas": len(areas),
            "industries": len(industries),
            "employment_rows": len(employment),
            "suppressed_cells": table.n_suppressed,
            "geometries_repaired": areas_read.n_repaired,
            "empty_geometries_dropped": areas_read.n_empty_dropped,
            "degenerate_geometries_dropped": areas_read.n_degenerate_dropped,
        },
        "notes": notes,
    }
    write_json(report, paths[r.INGEST_REPORT])
    for note in notes:
        log.info("Note: %s", note)
