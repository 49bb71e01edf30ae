"""Stage 2, areas: the boundaries, their authority tiers and the study area.

Reads the boundary file, the authority polygons and lookups named in the config (readers in
:mod:`clustergeo.ingest`), checks that the boundaries and the employment table describe the same
areas, gives every area its district, county, combined authority and region, marks the study
area and its edge buffer, reprojects to British National Grid, and writes the areas, the
authority polygons and a report. A run without an ``areas`` section has no boundaries: the stage
does not apply, and neither do the stages that need polygons.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo.config import AreasConfig, RunConfig
from clustergeo.ingest.authorities import (
    assign_tiers,
    greater_london_polygon,
    named_as_the_table,
    read_authorities,
)
from clustergeo.ingest.boundaries import check_distinct_areas, read_boundaries
from clustergeo.ingest.joins import check_area_join
from clustergeo.ingest.tables import read_lookup_table
from clustergeo.io import file_sha256, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths
from clustergeo.vocab import TIERS

__all__ = ["run", "select_study_area"]

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
    areas: gpd.GeoDataFrame, config: RunConfig, source: Path
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
            f"codes of any area in {source}; the areas' codes include "
            f"{', '.join(available[:8])}. Fix study_area.codes in the config."
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
    """Read the boundaries and authorities, check the join, and write the areas.

    Raises
    ------
    ClusterGeoError
        For any input problem, with every problem listed.
    """
    spec: AreasConfig | None = config.areas
    if spec is None:  # the runner never calls a stage that needs polygons without them
        raise InputDataError("The config has no 'areas' section: there are no boundaries to read.")
    paths = RunPaths.for_config(config)
    inputs = stage_inputs(config, r.AREAS_STAGE)
    notes: list[str] = []

    attribute_columns = tuple(
        source.column
        for source in config.hierarchy.values()
        if source.source == "attribute" and source.column
    )
    areas_read = read_boundaries(
        inputs["areas"],
        code_column=spec.code_column,
        name_column=spec.name_column,
        layer=spec.layer,
        assume_crs=spec.crs,
        keep_columns=tuple(dict.fromkeys(attribute_columns)),
        # ONS's multi-year files give each feature the years it is valid in.
        optional_columns=("start", "end"),
        what="Areas file",
        year=spec.year,
    )
    notes.extend(areas_read.notes)
    check_distinct_areas(areas_read.frame, inputs["areas"], year=spec.year)
    areas = areas_read.frame.rename(columns={"code": "area_code", "name": "area_name"})
    table_names = intermediates.read_area_names(paths) if spec.name_column is None else {}
    if table_names:
        # The table's own names are those of its year (the boundary file may carry later
        # renames); without a name column they are the only names there are.
        named = areas["area_code"].astype(str).map(table_names).astype("string")
        areas["area_name"] = named.fillna(areas["area_name"].astype("string")).astype(str)

    employment_codes = intermediates.read_employment(paths, columns=["area_code"])["area_code"]
    notes.extend(
        check_area_join(
            areas["area_code"],
            employment_codes,
            boundary_source=inputs["areas"],
            employment_source=Path(intermediates.read_inputs_record(paths).employment_source),
            vintage_lookup=config.employment.vintage.lookup if config.employment.vintage else None,
        )
    )

    authorities: dict[str, gpd.GeoDataFrame] = {}
    every: dict[str, gpd.GeoDataFrame] = {}
    if config.authorities is not None:
        authorities, every, authority_notes = read_authorities(
            config.authorities, inputs["authorities"]
        )
        notes.extend(authority_notes)
        # The config's names (authorities.names) win over the table's.
        table_names = {
            code: name for code, name in table_names.items() if code not in config.authorities.names
        }
        if table_names:
            authorities = named_as_the_table(authorities, table_names)
            every = named_as_the_table(every, table_names)
    lookups = {
        tier: _read_lookup_csv(
            inputs[f"lookup_{tier}"],
            [c for c in (source.key_column, source.column, source.name_column) if c],
            notes,
        )
        for tier, source in config.hierarchy.items()
        if source.source == "lookup"
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
    if "combined_authority" in authorities and "combined_authority_code" in areas:
        authorities["combined_authority"] = greater_london_polygon(
            areas, authorities["combined_authority"]
        )
    areas, study_notes = select_study_area(areas, config, inputs["areas"])
    notes.extend(study_notes)

    write_parquet(areas, paths[r.AREAS])
    for tier in TIERS:
        if tier in authorities:
            write_parquet(authorities[tier], paths[r.AUTHORITY_POLYGONS[tier]])
    report = {
        "stage": "areas",
        "inputs": {
            role: {"path": str(path), "sha256": file_sha256(path)} for role, path in inputs.items()
        },
        "counts": {
            "areas": len(areas),
            "geometries_repaired": areas_read.n_repaired,
            "empty_geometries_dropped": areas_read.n_empty_dropped,
            "degenerate_geometries_dropped": areas_read.n_degenerate_dropped,
        },
        "notes": notes,
    }
    write_json(report, paths[r.AREAS_REPORT])
    for note in notes:
        log.info("Note: %s", note)
