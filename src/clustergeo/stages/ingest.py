"""Stage 1, ingest: read and validate the employment table and the cluster definitions.

Reads the employment (or GVA) table named in the config, every year of it (the readers are in
:mod:`clustergeo.ingest`), checks that its years are comparable, resolves the cluster
definitions against its industry codes, and writes the tidy table, the industries and a report
of everything repaired, dropped or noticed. The boundaries are the ``areas`` stage's: a run
without polygons needs none, and adding them later does not read the table again. The one
exception is a table converted to the boundaries' vintage (``employment.vintage``), whose split
areas are shared by the areas of their pieces: then the boundary file is read here too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from clustergeo.config import RunConfig
from clustergeo.industries import (
    coverage_notes,
    read_cluster_definitions,
    resolve_cluster_definitions,
    sic_hierarchy,
)
from clustergeo.ingest.boundaries import read_boundaries
from clustergeo.ingest.mapped import read_run_employment
from clustergeo.io import file_sha256, write_json, write_parquet
from clustergeo.stages import registry as r
from clustergeo.stages.intermediates import write_industries
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths

__all__ = ["run"]

log = logging.getLogger(__name__)


def _vintage_areas(config: RunConfig, inputs: dict[str, Path]) -> gpd.GeoDataFrame | None:
    """The boundary areas a table is converted onto, when it is converted and there are some."""
    if "vintage_areas" not in inputs or config.areas is None:
        return None
    read = read_boundaries(
        inputs["vintage_areas"],
        code_column=config.areas.code_column,
        name_column=config.areas.name_column,
        layer=config.areas.layer,
        assume_crs=config.areas.crs,
        what="Areas file",
    )
    return read.frame.rename(columns={"code": "area_code"})


def run(config: RunConfig) -> None:
    """Run the ingest stage for a config and write its outputs.

    Raises
    ------
    ClusterGeoError
        For any input problem, with every problem listed.
    """
    paths = RunPaths.for_config(config)
    inputs = stage_inputs(config, r.INGEST)
    table, notes = read_run_employment(
        config.employment,
        config.employment_paths(),
        vintage_lookup=inputs.get("vintage_lookup"),
        areas=_vintage_areas(config, inputs),
    )
    employment = table.data.copy()
    employment["employment"] = employment["employment"].astype("float64")

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

    write_parquet(employment, paths[r.EMPLOYMENT])
    if table.year_totals is not None:
        write_parquet(table.year_totals.reset_index(drop=True), paths[r.AREA_TOTALS])
    if table.area_names:
        names = pd.DataFrame(
            {"area_code": list(table.area_names), "area_name": list(table.area_names.values())}
        )
        write_parquet(names, paths[r.AREA_NAMES])
    write_industries(paths, industries, list(resolution.resolved), resolution.unresolved, coverage)
    report = {
        "stage": "ingest",
        "employment_basis": config.employment.basis,
        "employment_format": table.format,
        "employment_source": str(table.source),
        "measure": table.measure or "not stated",
        "measure_label": table.measure_label,
        "years": table.years,
        "cluster_definition_coverage": coverage,
        "inputs": {
            role: {"path": str(path), "sha256": file_sha256(path)} for role, path in inputs.items()
        },
        "counts": {
            "areas": int(employment["area_code"].nunique()),
            "industries": len(industries),
            "years": len(table.years),
            "employment_rows": len(employment),
            "suppressed_cells": table.n_suppressed,
        },
        "notes": notes,
    }
    write_json(report, paths[r.INGEST_REPORT])
    for note in notes:
        log.info("Note: %s", note)
