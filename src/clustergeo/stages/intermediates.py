"""Typed readers and writers of the intermediates stages hand each other.

A stage reads another stage's results only through these functions, never by opening its files
or picking fields out of its JSON report: what one stage gives the next is written down here,
once, with a type. Each reader names the stage to run when its file is missing.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clustergeo._errors import ClusterGeoError
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from clustergeo.vocab import TIERS, Tier

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from clustergeo.hotspots.weights import SpatialWeights
    from clustergeo.industries import ClusterDefinition

__all__ = [
    "AreasRecord",
    "CircularTables",
    "GrowthTables",
    "HotspotRecord",
    "Industries",
    "InputsRecord",
    "LqReference",
    "MissingStageOutputError",
    "SiteTables",
    "export_weights",
    "read_area_names",
    "read_area_totals",
    "read_areas",
    "read_areas_if_any",
    "read_areas_record",
    "read_authority_polygons",
    "read_circular",
    "read_cluster_extents",
    "read_cluster_members",
    "read_cluster_record",
    "read_clusters",
    "read_district_lq",
    "read_employment",
    "read_global_statistics",
    "read_governance",
    "read_governance_record",
    "read_governed_clusters",
    "read_grid_clusters",
    "read_growth",
    "read_hotspot_record",
    "read_hotspots",
    "read_industries",
    "read_inputs_record",
    "read_lq",
    "read_lq_by_year",
    "read_lq_reference",
    "read_sites",
    "read_weights",
    "write_weights",
]

_WEIGHTS_METADATA = b"clustergeo"


class MissingStageOutputError(ClusterGeoError):
    """An intermediate a stage needs is not there: an earlier stage has not run."""


def _existing(paths: RunPaths, artefact: r.Artefact, config_hint: Path | str | None) -> Path:
    path = paths[artefact]
    if not path.exists():
        stage = r.producer_of(artefact).name
        how = f"`clustergeo run {config_hint}`" if config_hint else "`clustergeo run CONFIG`"
        raise MissingStageOutputError(
            f"No {stage} results in {path.parent} ({path.name} is missing): run {how} first."
        )
    return path


def _json(paths: RunPaths, artefact: r.Artefact) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_existing(paths, artefact, None).read_text(encoding="utf-8"))
    return data


# --- ingest --------------------------------------------------------------------------------------


def read_employment(paths: RunPaths, columns: list[str] | None = None) -> pd.DataFrame:
    """Tidy employment (or GVA): ``area_code``, ``industry_code``, ``year``, ``employment``.

    Every year of the table; ``year`` is missing for a table without years.
    """
    import pandas as pd

    return pd.read_parquet(_existing(paths, r.EMPLOYMENT, None), columns=columns)


def read_area_totals(paths: RunPaths) -> pd.DataFrame | None:
    """Published all-industry totals (``area_code``, ``year``, ``total``), if the source had any."""
    import pandas as pd

    path = paths[r.AREA_TOTALS]
    return pd.read_parquet(path) if path.exists() else None


def read_area_names(paths: RunPaths) -> dict[str, str]:
    """Area names the employment table gives (none for a table without names)."""
    import pandas as pd

    path = paths[r.AREA_NAMES]
    if not path.exists():
        return {}
    names = pd.read_parquet(path)
    return dict(zip(names["area_code"].astype(str), names["area_name"].astype(str), strict=True))


@dataclass(frozen=True)
class Industries:
    """The data's industries and the cluster definitions resolved against them."""

    industries: tuple[dict[str, Any], ...]
    definitions: tuple[ClusterDefinition, ...]
    unresolved: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    """Per definition, the codes absent from the data (see ``industries.definition_coverage``)."""

    @property
    def labels(self) -> dict[str, str]:
        """Label of every industry code and cluster-definition key."""
        names = {str(i["industry_code"]): str(i["name"]) for i in self.industries}
        return names | {d.key: d.label for d in self.definitions}

    @property
    def traded(self) -> dict[str, bool]:
        """Whether each industry code and cluster-definition key is traded (not local-serving).

        An industry by :func:`clustergeo.industries.is_traded`; a definition as it says.
        """
        from clustergeo.industries import is_traded

        codes = {
            str(i["industry_code"]): is_traded([str(i["industry_code"])]) for i in self.industries
        }
        return codes | {d.key: d.traded for d in self.definitions}

    @property
    def definition_codes(self) -> dict[str, tuple[str, ...]]:
        """The data industry codes making up each cluster definition."""
        return {d.key: d.industry_codes for d in self.definitions}


def write_industries(
    paths: RunPaths,
    industries: list[dict[str, Any]],
    definitions: list[ClusterDefinition],
    unresolved: dict[str, str],
    coverage: dict[str, Any],
) -> Path:
    """Write the industries and resolved definitions for the stages after ingest."""
    from dataclasses import asdict

    from clustergeo.io import write_json

    return write_json(
        {
            "industries": industries,
            "cluster_definitions": [asdict(d) for d in definitions],
            "unresolved_cluster_definitions": unresolved,
            "cluster_definition_coverage": coverage,
        },
        paths[r.INDUSTRIES],
    )


def read_industries(paths: RunPaths) -> Industries:
    """The industries and resolved cluster definitions written by ingest."""
    from clustergeo.industries import ClusterDefinition

    data = _json(paths, r.INDUSTRIES)
    definitions = tuple(
        ClusterDefinition(
            key=d["key"],
            label=d["label"],
            sic_codes=tuple(d["sic_codes"]),
            description=d.get("description", ""),
            industry_codes=tuple(d["industry_codes"]),
            traded=bool(d.get("traded", True)),
            sources=tuple(d.get("sources", ())),
        )
        for d in data["cluster_definitions"]
    )
    return Industries(
        industries=tuple(data["industries"]),
        definitions=definitions,
        unresolved=dict(data.get("unresolved_cluster_definitions", {})),
        coverage=dict(data.get("cluster_definition_coverage", {})),
    )


def read_authority_polygons(paths: RunPaths) -> dict[Tier, gpd.GeoDataFrame]:
    """The authority polygons of each tier the run has, lowest tier first."""
    import geopandas as gpd

    return {
        tier: gpd.read_parquet(paths[r.AUTHORITY_POLYGONS[tier]])
        for tier in TIERS
        if paths[r.AUTHORITY_POLYGONS[tier]].exists()
    }


@dataclass(frozen=True)
class InputsRecord:
    """What ingest read: inputs with checksums, notes, and the table's measure and years."""

    inputs: dict[str, dict[str, str]]
    notes: tuple[str, ...]
    employment_format: str
    employment_source: str = ""
    measure: str | None = None
    measure_label: str = ""
    years: tuple[int, ...] = ()

    @property
    def counts_people(self) -> bool:
        """True unless the values are GVA (£): counts of people, or a measure not stated."""
        return self.measure is None or not self.measure.startswith("gva")


def read_inputs_record(paths: RunPaths) -> InputsRecord:
    """The inputs' checksums and ingest's notes, with the table's measure and years."""
    data = _json(paths, r.INGEST_REPORT)
    measure = data.get("measure")
    return InputsRecord(
        inputs=dict(data["inputs"]),
        notes=tuple(data["notes"]),
        employment_format=str(data.get("employment_format", "")),
        employment_source=str(data.get("employment_source", "")),
        measure=None if measure in (None, "not stated") else str(measure),
        measure_label=str(data.get("measure_label", "")),
        years=tuple(int(y) for y in data.get("years", [])),
    )


# --- areas ---------------------------------------------------------------------------------------


def read_areas(paths: RunPaths, *, study_only: bool = False) -> gpd.GeoDataFrame:
    """The small areas with their authority codes; ``study_only`` drops the edge buffer."""
    import geopandas as gpd

    areas = gpd.read_parquet(_existing(paths, r.AREAS, None))
    if study_only:
        areas = areas.loc[areas["in_study_area"]].reset_index(drop=True)
    return areas


def read_areas_if_any(paths: RunPaths, *, study_only: bool = False) -> gpd.GeoDataFrame | None:
    """The areas, or None in a run without boundaries (the areas stage did not apply)."""
    if not paths[r.AREAS].exists():
        return None
    return read_areas(paths, study_only=study_only)


@dataclass(frozen=True)
class AreasRecord:
    """What the areas stage read (paths and checksums) and noticed."""

    inputs: dict[str, dict[str, str]]
    notes: tuple[str, ...]


def read_areas_record(paths: RunPaths) -> AreasRecord | None:
    """The areas stage's record, or None in a run without boundaries."""
    if not paths[r.AREAS_REPORT].exists():
        return None
    data = _json(paths, r.AREAS_REPORT)
    return AreasRecord(inputs=dict(data["inputs"]), notes=tuple(data["notes"]))


# --- concentration -------------------------------------------------------------------------------


def read_lq(
    paths: RunPaths,
    columns: list[str] | None = None,
    *,
    study_only: bool = False,
    areas: Collection[str] | None = None,
) -> pd.DataFrame:
    """The long LQ table; ``study_only`` keeps the study area's rows (drops its column).

    ``areas`` keeps those areas' rows only, read as such (a national table holds millions).
    """
    import pandas as pd

    wanted = None if columns is None else list(dict.fromkeys([*columns, "in_study_area"]))
    filters = None if areas is None else [("area_code", "in", sorted(areas))]
    lq = pd.read_parquet(_existing(paths, r.LQ, None), columns=wanted, filters=filters)
    if study_only:
        lq = lq.loc[lq["in_study_area"]].reset_index(drop=True)
    if columns is not None and "in_study_area" not in columns:
        lq = lq.drop(columns="in_study_area")
    return lq


def read_lq_by_year(paths: RunPaths, columns: list[str] | None = None) -> pd.DataFrame | None:
    """LQs of every year (``year`` column), or None for a table of one year."""
    import pandas as pd

    path = paths[r.LQ_BY_YEAR]
    return pd.read_parquet(path, columns=columns) if path.exists() else None


def read_district_lq(paths: RunPaths) -> pd.DataFrame | None:
    """District LQs, when the areas have districts."""
    import pandas as pd

    path = paths[r.DISTRICT_LQ]
    return pd.read_parquet(path) if path.exists() else None


@dataclass(frozen=True)
class LqReference:
    """The economy LQs are measured against: in words, its total, and the year analysed."""

    label: str
    total: float
    year: int | None = None


def read_lq_reference(paths: RunPaths) -> LqReference:
    """The LQ reference the concentration stage used, and the year the LQ table is of."""
    data = _json(paths, r.CONCENTRATION_REPORT)
    year = data.get("year")
    return LqReference(
        label=str(data["reference"]),
        total=float(data["reference_total"]),
        year=None if year is None else int(year),
    )


# --- hotspots ------------------------------------------------------------------------------------


def read_hotspots(
    paths: RunPaths, columns: list[str] | None = None, *, areas: Collection[str] | None = None
) -> pd.DataFrame:
    """The hot-spot table: every area x industry's statistics and classes.

    ``areas`` keeps those areas' rows only, read as such (a national table holds millions).
    """
    import pandas as pd

    filters = None if areas is None else [("area_code", "in", sorted(areas))]
    return pd.read_parquet(_existing(paths, r.HOTSPOTS, None), columns=columns, filters=filters)


def read_global_statistics(paths: RunPaths) -> pd.DataFrame:
    """Global Moran's I and General G of every industry, with their p-values."""
    import pandas as pd

    return pd.read_parquet(_existing(paths, r.GLOBAL_STATISTICS, None))


def write_weights(paths: RunPaths, weights: SpatialWeights) -> Path:
    """Write the run's weights as libpysal's Parquet adjacency, with how they were built."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clustergeo.hotspots.weights_formats import to_adjacency
    from clustergeo.io import atomic_path

    table = pa.Table.from_pandas(to_adjacency(weights).to_frame())
    metadata = dict(table.schema.metadata or {})
    # libpysal reads its transformation from here: "O", the weights as built.
    metadata[b"libpysal"] = json.dumps({"transformation": "O"}).encode()
    metadata[_WEIGHTS_METADATA] = json.dumps({"method": weights.method}).encode()
    target = paths[r.WEIGHTS]
    with atomic_path(target) as tmp:
        pq.write_table(table.replace_schema_metadata(metadata), tmp)
    return target


def read_weights(paths: RunPaths, ids: np.ndarray) -> SpatialWeights:
    """The run's weights over the areas ``ids`` (in that order)."""
    import pyarrow.parquet as pq

    from clustergeo.hotspots.weights_formats import from_adjacency

    table = pq.read_table(_existing(paths, r.WEIGHTS, None))
    method = json.loads((table.schema.metadata or {}).get(_WEIGHTS_METADATA, b"{}")).get(
        "method", "as written"
    )
    return from_adjacency(table.to_pandas()["weight"], ids, str(method))


def export_weights(paths: RunPaths, out: Path, fmt: str, config_hint: Path | str) -> Path:
    """Write the run's weights for GeoDa (``gal``, ``gwt``) or libpysal (``parquet``)."""
    import shutil

    import pyarrow.parquet as pq

    from clustergeo.hotspots.weights_formats import to_gal, to_gwt
    from clustergeo.io import atomic_path, write_text

    source = _existing(paths, r.WEIGHTS, config_hint)
    if fmt == "parquet":
        with atomic_path(out) as tmp:
            shutil.copyfile(source, tmp)
        return out
    if fmt not in ("gal", "gwt"):
        raise ClusterGeoError(
            f"Cannot write weights as {fmt!r}: give OUT a .gal, .gwt or .parquet name, or "
            "--format gal|gwt|parquet."
        )
    ids = (
        pq.read_table(source, columns=["focal"])
        .column("focal")
        .unique()
        .to_numpy(zero_copy_only=False)
        .astype(str)
    )
    weights = read_weights(paths, ids)
    return write_text(to_gal(weights) if fmt == "gal" else to_gwt(weights), out)


@dataclass(frozen=True)
class HotspotRecord:
    """How the hot spots were found: the weights' summary and the inference settings."""

    weights: dict[str, Any]
    statistics: dict[str, Any]
    report: dict[str, Any]


def read_hotspot_record(paths: RunPaths) -> HotspotRecord:
    """The hot-spot stage's record of its weights and inference."""
    data = _json(paths, r.HOTSPOTS_REPORT)
    return HotspotRecord(weights=data["weights"], statistics=data["statistics"], report=data)


def read_floor_limits(paths: RunPaths) -> tuple[dict[str, Any], ...]:
    """Every stage's records of findings withheld by too few permutations, in stage order.

    The hot-spot stage's, then the surface stage's (grid cells), the growth stage's (each
    year's Gi* of the emerging hot spots) and the circular stage's (its streams' producers
    and users, and their co-location) where the run has them
    (:meth:`clustergeo.hotspots.permutation_floor.FloorLimit.to_record`).
    """
    records: list[dict[str, Any]] = []
    for artefact in (r.HOTSPOTS_REPORT, r.SURFACE_REPORT, r.GROWTH_REPORT, r.CIRCULAR_REPORT):
        if artefact is r.HOTSPOTS_REPORT or paths[artefact].exists():
            records.extend(_json(paths, artefact).get("permutation_floor", ()))
    return tuple(records)


# --- clusters and governance ---------------------------------------------------------------------


def read_clusters(paths: RunPaths) -> gpd.GeoDataFrame:
    """Cluster polygons with their attributes."""
    import geopandas as gpd

    return gpd.read_parquet(_existing(paths, r.CLUSTERS, None))


def read_cluster_extents(paths: RunPaths) -> gpd.GeoDataFrame:
    """Each finding's extent polygon: its core and the hot areas around it."""
    import geopandas as gpd

    return gpd.read_parquet(_existing(paths, r.CLUSTER_EXTENTS, None))


def read_cluster_members(paths: RunPaths) -> pd.DataFrame:
    """Which areas make up each cluster."""
    import pandas as pd

    return pd.read_parquet(_existing(paths, r.CLUSTER_MEMBERS, None))


def read_cluster_record(paths: RunPaths) -> dict[str, Any]:
    """The cluster stage's record: the rules applied and the counts per industry."""
    return _json(paths, r.CLUSTERS_REPORT)


def read_governed_clusters(paths: RunPaths) -> gpd.GeoDataFrame:
    """The clusters with their governance flags."""
    import geopandas as gpd

    return gpd.read_parquet(_existing(paths, r.GOVERNED_CLUSTERS, None))


def read_governance(
    paths: RunPaths, config_hint: Path | str | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The governed clusters and every cluster-authority link."""
    import geopandas as gpd
    import pandas as pd

    governed = gpd.read_parquet(_existing(paths, r.GOVERNED_CLUSTERS, config_hint))
    links = pd.read_parquet(_existing(paths, r.CLUSTER_AUTHORITIES, config_hint))
    return governed, links


def read_governance_record(paths: RunPaths) -> dict[str, Any]:
    """The governance stage's counts of straddling clusters, gaps and sites."""
    return _json(paths, r.GOVERNANCE_REPORT)


def read_authority_summaries(paths: RunPaths) -> pd.DataFrame:
    """One row per authority touched by a cluster, with its plain-language summary."""
    import pandas as pd

    return pd.read_parquet(_existing(paths, r.AUTHORITY_SUMMARIES, None))


@dataclass(frozen=True)
class SiteTables:
    """Anchor sites: footprints with flags, their authorities, and the clusters near them."""

    footprints: gpd.GeoDataFrame
    authorities: pd.DataFrame
    clusters: pd.DataFrame


def read_sites(paths: RunPaths) -> SiteTables | None:
    """The anchor-site tables, or ``None`` when the run assessed no sites."""
    import geopandas as gpd
    import pandas as pd

    if not paths[r.SITES].exists():
        return None
    return SiteTables(
        footprints=gpd.read_parquet(paths[r.SITES]),
        authorities=pd.read_parquet(_existing(paths, r.SITE_AUTHORITIES, None)),
        clusters=pd.read_parquet(_existing(paths, r.SITE_CLUSTERS, None)),
    )


# --- surface -------------------------------------------------------------------------------------


def read_grid_clusters(paths: RunPaths) -> tuple[gpd.GeoDataFrame, pd.DataFrame] | None:
    """Grid clusters and their comparison with the area clusters, when the grid was built."""
    import geopandas as gpd
    import pandas as pd

    if not paths[r.GRID_CLUSTERS].exists():
        return None
    return gpd.read_parquet(paths[r.GRID_CLUSTERS]), pd.read_parquet(_existing(paths, r.MAUP, None))


def read_evenly_spread_share(paths: RunPaths) -> float | None:
    """The share of the areas whose jobs the grid spread evenly over their cells.

    Those are the areas without land-use data (the surface stage's ``fallback_areas``); None
    when the run built no grid.
    """
    if not paths[r.SURFACE_REPORT].exists():
        return None
    allocation = _json(paths, r.SURFACE_REPORT).get("allocation", {})
    areas = int(allocation.get("areas") or 0)
    return len(allocation.get("fallback_areas", ())) / areas if areas else None


@dataclass(frozen=True)
class SurfaceGrid:
    """The employment GeoTIFF's band names (one per cluster definition) and cell size."""

    bands: tuple[str, ...]
    cell_m: float


def read_surface_grid(paths: RunPaths) -> SurfaceGrid | None:
    """The employment surface's bands and cell size, or None when the run built no grid."""
    import rasterio

    if not paths[r.SURFACE_TIF].exists():
        return None
    with rasterio.open(paths[r.SURFACE_TIF]) as dataset:
        names = tuple(
            name or f"band {band}" for band, name in enumerate(dataset.descriptions, start=1)
        )
        return SurfaceGrid(bands=names, cell_m=float(dataset.res[0]))


# --- growth --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthTables:
    """What the growth stage wrote: growth, shift-share, findings' growth, emerging hot spots."""

    growth: pd.DataFrame
    shift_share: pd.DataFrame
    findings: pd.DataFrame | None
    record: dict[str, Any]
    emerging: pd.DataFrame | None = None
    emerging_clusters: pd.DataFrame | None = None
    emerging_members: pd.DataFrame | None = None


def read_growth(paths: RunPaths) -> GrowthTables | None:
    """The growth stage's tables, or None when the run has no ``growth`` section."""
    import pandas as pd

    if not paths[r.GROWTH].exists():
        return None
    findings = paths[r.FINDING_GROWTH]
    return GrowthTables(
        growth=pd.read_parquet(paths[r.GROWTH]),
        shift_share=pd.read_parquet(_existing(paths, r.SHIFT_SHARE, None)),
        findings=pd.read_parquet(findings) if findings.exists() else None,
        record=_json(paths, r.GROWTH_REPORT),
        emerging=pd.read_parquet(paths[r.EMERGING]) if paths[r.EMERGING].exists() else None,
        emerging_clusters=(
            pd.read_csv(paths[r.EMERGING_CLUSTERS], dtype={"industry_code": str})
            if paths[r.EMERGING_CLUSTERS].exists()
            else None
        ),
        emerging_members=(
            pd.read_csv(paths[r.EMERGING_MEMBERS], dtype=str)
            if paths[r.EMERGING_MEMBERS].exists()
            else None
        ),
    )


# --- circular ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CircularTables:
    """The circular stage's results: streams, side findings, co-location, zones and gaps."""

    streams: pd.DataFrame
    findings: gpd.GeoDataFrame
    colocation: pd.DataFrame
    zones: gpd.GeoDataFrame
    zone_authorities: pd.DataFrame


def read_circular(paths: RunPaths) -> CircularTables | None:
    """The circular stage's tables, or ``None`` when the run has no ``circular`` section."""
    import geopandas as gpd
    import pandas as pd

    if not paths[r.CIRCULAR_STREAMS].exists():
        return None
    return CircularTables(
        streams=pd.read_parquet(paths[r.CIRCULAR_STREAMS]),
        findings=gpd.read_parquet(_existing(paths, r.CIRCULAR_FINDINGS, None)),
        colocation=pd.read_parquet(_existing(paths, r.CIRCULAR_COLOCATION, None)),
        zones=gpd.read_parquet(_existing(paths, r.CIRCULAR_ZONES, None)),
        zone_authorities=pd.read_parquet(_existing(paths, r.CIRCULAR_ZONE_AUTHORITIES, None)),
    )
