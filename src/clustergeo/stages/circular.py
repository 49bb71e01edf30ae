"""Stage 7, circular: where waste producers sit with the industries that could use their waste.

Reads the areas, the LQ table (each industry's employment), the LQ reference and the run's
weights; for every material stream of the matrix that the data's industry detail allows:

1. each side's employment per area (the sum of its industries) and its LQ, with the run's
   floors and interval level;
2. hot spots of every side (the run's hot-spot settings) and its findings (the run's cluster
   rules: clusters with core and extent, and concentrations), whatever the industries'
   traded status: a builders' cluster is where construction waste arises;
3. the bivariate Local Moran of every stream both ways, in one pass, and per stream the
   global bivariate Moran's I and the Ellison-Glaeser-Kerr coagglomeration index;
4. symbiosis zones, gaps and producers with users scattered near them, placed on the
   authority tiers, with who must co-operate.

Writes them all (:data:`~clustergeo.stages.registry.CIRCULAR`) and a report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from clustergeo._errors import ConfigError
from clustergeo.circular.colocation import (
    Inference,
    coagglomeration,
    colocation_floor_limits,
    global_colocation,
    local_colocation,
)
from clustergeo.circular.cooperation import zone_governance
from clustergeo.circular.matrix import SIDES, Stream, read_streams, resolve_streams, side_key
from clustergeo.circular.zones import Reference, Zones, find_zones
from clustergeo.clusters.findings import build_findings
from clustergeo.concentration import (
    LqSettings,
    aggregate_cluster_definitions,
    employment_matrix,
    location_quotients,
)
from clustergeo.config import HotspotsConfig, RunConfig
from clustergeo.governance.findings import finding_names
from clustergeo.governance.overlay import add_upper_tier
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.permutation_floor import (
    FloorLimit,
    correction_tests,
    enough_permutations,
    permutations_for,
    warn_floor_limits,
)
from clustergeo.hotspots.variables import analysed_values
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths

__all__ = ["run"]

log = logging.getLogger(__name__)

_LQ_COLUMNS = ["area_code", "industry_code", "kind", "employment", "area_total", "reference_share"]


def _matrix_source(config: RunConfig) -> Path | str:
    assert config.circular is not None  # the stage needs the section
    if config.circular.shipped:
        return config.circular.matrix
    return stage_inputs(config, r.CIRCULAR)["circular_matrix"]


def _chosen_streams(config: RunConfig, streams: list[Stream], source: Path | str) -> list[Stream]:
    assert config.circular is not None
    wanted = config.circular.streams
    if wanted is None:
        return streams
    known = {s.key for s in streams}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ConfigError(
            f"circular.streams names {', '.join(unknown)}, not streams of the matrix {source} "
            f"(its streams: {', '.join(sorted(known))})"
        )
    return [s for s in streams if s.key in set(wanted)]


def _side_tables(
    lq: pd.DataFrame, streams: list[Stream], settings: LqSettings, reference_total: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each stream side's employment per area (areas x side keys) and its long LQ table."""
    industries = lq.loc[lq["kind"] == "industry"]
    matrix = employment_matrix(industries[["area_code", "industry_code", "employment"]])
    definitions = {
        side_key(s.key, side): list(s.industries(side)) for s in streams for side in SIDES
    }
    counts = aggregate_cluster_definitions(matrix, definitions)
    first = industries.drop_duplicates("area_code").set_index("area_code")
    shares = industries.drop_duplicates("industry_code").set_index("industry_code")
    reference = pd.Series(
        {
            key: float(shares["reference_share"].reindex(codes).sum()) * reference_total
            for key, codes in definitions.items()
        }
    )
    sides = location_quotients(
        counts, first["area_total"], reference, reference_total, settings
    ).assign(kind="cluster")
    return counts, sides


def run(config: RunConfig) -> None:
    """Find every stream's producers and users, their co-location, zones and gaps."""
    assert config.circular is not None  # needs_section: the runner skips the stage without it
    paths = RunPaths.for_config(config)
    settings = config.circular
    areas = add_upper_tier(intermediates.read_areas(paths))
    study = areas.loc[areas["in_study_area"]].reset_index(drop=True)
    study_codes = set(study["area_code"].astype(str))
    lq = intermediates.read_lq(paths, _LQ_COLUMNS)
    reference = intermediates.read_lq_reference(paths)
    weights = intermediates.read_weights(paths, areas["area_code"].to_numpy())

    source = _matrix_source(config)
    streams = _chosen_streams(config, read_streams(source), source)
    data_codes = lq.loc[lq["kind"] == "industry", "industry_code"].astype(str).unique()
    resolution = resolve_streams(streams, data_codes)
    for key, reason in resolution.unresolved.items():
        log.warning("Stream '%s' cannot run on this data: %s", key, reason)
    runnable = resolution.resolved

    counts, side_lq = _side_tables(
        lq, runnable, LqSettings.from_config(config.concentration), reference.total
    )
    values = analysed_values(side_lq, areas, config.hotspots.variable)
    sides = _side_findings(
        config,
        side_lq,
        values,
        weights=weights,
        study=study,
        study_codes=study_codes,
        streams=runnable,
        reference_total=reference.total,
    )
    hotspot_settings = sides.settings
    findings, members = sides.findings, sides.members

    producers = values[[side_key(s.key, "producers") for s in runnable]]
    users = values[[side_key(s.key, "users") for s in runnable]]
    producers.columns = users.columns = pd.Index([s.key for s in runnable])
    inference, needed = _colocation_inference(config.hotspots, producers, users, study_codes)
    local = local_colocation(producers, users, weights, inference, report_for=study_codes)
    overall = global_colocation(
        producers,
        users,
        weights,
        transform=hotspot_settings.weights.transform,
        permutations=hotspot_settings.global_permutations,
        seed=hotspot_settings.seed,
        alternative=hotspot_settings.alternative,
        report_for=study_codes,
    )
    totals = lq.drop_duplicates("area_code").set_index("area_code")["area_total"]
    gamma = _coagglomeration(counts, totals, runnable, study_codes)

    side_employment = {
        side_key(s.key, side): counts[side_key(s.key, side)].fillna(0.0)
        for s in runnable
        for side in SIDES
    }
    zones = find_zones(
        findings,
        members,
        local,
        streams=runnable,
        weights=weights,
        areas=study,
        side_employment=side_employment,
        reference=Reference(
            area_totals=totals,
            # The share each side's LQ is measured against: users within reach are judged by it.
            shares={
                str(k): float(v)
                for k, v in side_lq.groupby("industry_code")["reference_share"].first().items()
            },
            total=reference.total,
            confidence_level=config.concentration.confidence_level,
        ),
        distance_km=settings.distance_km,
    )
    governed, links = _governed_zones(
        zones, areas, side_employment, straddle_share=config.governance.straddle_share
    )
    table = _streams_table(
        runnable,
        resolution.unresolved,
        streams,
        overall=overall,
        gamma=gamma,
        per_side=sides.per_side,
        zones=governed,
    )

    write_parquet(table, paths[r.CIRCULAR_STREAMS])
    write_csv(table, paths[r.CIRCULAR_STREAMS_CSV])
    write_parquet(findings, paths[r.CIRCULAR_FINDINGS])
    write_parquet(local, paths[r.CIRCULAR_COLOCATION])
    write_csv(local, paths[r.CIRCULAR_COLOCATION_CSV])
    write_parquet(governed, paths[r.CIRCULAR_ZONES])
    write_csv(pd.DataFrame(governed.drop(columns="geometry")), paths[r.CIRCULAR_ZONES_CSV])
    write_parquet(zones.extents, paths[r.CIRCULAR_ZONE_EXTENTS])
    write_parquet(zones.members, paths[r.CIRCULAR_ZONE_MEMBERS])
    write_parquet(links, paths[r.CIRCULAR_ZONE_AUTHORITIES])
    write_csv(links, paths[r.CIRCULAR_ZONE_AUTHORITIES_CSV])
    report = _report(
        config,
        source,
        runnable,
        unresolved=resolution.unresolved,
        zones=governed,
        local=local,
        floor=[
            *sides.floor,
            *colocation_floor_limits(
                local, inference, {s.key: s.label for s in runnable}, at_least=needed
            ),
        ],
        permutations=inference.permutations,
        side_permutations=hotspot_settings.permutations,
    )
    write_json({"stage": "circular", **report}, paths[r.CIRCULAR_REPORT])
    log.info(
        "%d material streams run (%d left out for the data's detail): %d symbiosis zones, "
        "%d needing co-operation between authorities, %d gaps, %d with users scattered near",
        len(runnable),
        len(resolution.unresolved),
        report["zones"],
        report["zones_needing_cooperation"],
        report["gaps"],
        report["scattered"],
    )


def _governed_zones(
    zones: Zones,
    areas: gpd.GeoDataFrame,
    side_employment: dict[str, pd.Series],
    *,
    straddle_share: float,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The zones with their governance flags and names (geometry last), and their links."""
    tier_columns = [c for c in areas.columns if c.endswith(("_code", "_name"))]
    flags, links = zone_governance(
        zones.zones,
        zones.members,
        areas[tier_columns],
        side_employment,
        straddle_share=straddle_share,
    )
    governed = zones.zones.merge(flags, on="zone_id", how="left")
    governed = governed[[c for c in governed.columns if c != "geometry"] + ["geometry"]]
    # Named as findings are: a material and its districts, told apart where they repeat (a
    # material's three gaps in one city).
    # The second district named is the one holding most of the zone's jobs after the lead.
    shares = None
    if {"tier", "side"} <= set(links.columns):
        districts = links.loc[(links["tier"] == "district") & (links["side"] == "zone")]
        shares = districts.set_index(["zone_id", "authority_name"])["employment_share"]
    governed.insert(1, "name", finding_names(governed, areas, shares))
    return governed, links


def _colocation_inference(
    settings: HotspotsConfig, producers: pd.DataFrame, users: pd.DataFrame, study: set[str]
) -> tuple[Inference, int]:
    """The run's inference for co-location, its permutations raised for its own tests.

    Co-location is always classified by permutation p-values, whatever classifies the hot
    spots, over the study area's areas where both sides of a stream are known. Also returns
    the permutations its tests need (:func:`permutations_for`).
    """
    in_study = producers.index.isin(study)
    tested = producers.loc[in_study].where(users.loc[in_study].notna())
    by_permutation = settings.model_copy(update={"moran_inference": "permutation"})
    tests = correction_tests(settings, tested.notna().sum())
    raised = enough_permutations(by_permutation, tests, of="for co-location")
    inference = Inference(
        transform=settings.weights.transform,
        permutations=raised.permutations,
        seed=settings.seed,
        alternative=settings.alternative,
        correction=settings.correction,
        correction_scope=settings.correction_scope,
    )
    return inference, permutations_for(by_permutation, tests)


def _coagglomeration(
    counts: pd.DataFrame, totals: pd.Series, runnable: list[Stream], study_codes: set[str]
) -> pd.Series:
    """The coagglomeration index of every stream over the study area's areas."""
    study = sorted(study_codes)
    keys = [s.key for s in runnable]
    sides = {
        side: counts.reindex(study)[[side_key(k, side) for k in keys]].set_axis(keys, axis=1)
        for side in SIDES
    }
    return coagglomeration(sides["producers"], sides["users"], totals.reindex(study).fillna(0.0))


#: The statistic whose classes decide a finding's areas, by ``clusters.membership`` (an LQ
#: above 1 needs no permutations).
_MEMBERSHIP_STATISTIC = {"gi_star": ("gi_star",), "moran_hh": ("moran",)}


@dataclass(frozen=True)
class _SideFindings:
    """What the stream sides' hot spots found (see :func:`_side_findings`)."""

    findings: gpd.GeoDataFrame
    members: pd.DataFrame
    #: Each side's findings and hot areas, by side key.
    per_side: dict[str, dict[str, int]]
    #: The sides whose hot spots the permutation floor withheld.
    floor: list[FloorLimit]
    #: The hot-spot settings they ran with, permutations raised for their tests.
    settings: HotspotsConfig


def _side_findings(
    config: RunConfig,
    side_lq: pd.DataFrame,
    values: pd.DataFrame,
    *,
    weights: SpatialWeights,
    study: gpd.GeoDataFrame,
    study_codes: set[str],
    streams: list[Stream],
    reference_total: float,
) -> _SideFindings:
    """Hot spots and findings of every stream side, by the run's own rules.

    The permutations are raised as the hot-spot stage raises them, over the study area's
    values of every side, and the floor is checked after for the statistic that makes the
    findings (``clusters.membership``), of which the zones are made.
    """
    tests = correction_tests(
        config.hotspots, values.loc[values.index.isin(study_codes)].notna().sum()
    )
    settings = enough_permutations(config.hotspots, tests, of="for the stream sides' hot spots")
    labels = {side_key(s.key, side): f"{s.label} ({side})" for s in streams for side in SIDES}
    side_keys = list(labels)
    hot = local_hotspots(values, weights, settings, report_for=study_codes).table
    floor = warn_floor_limits(
        hot,
        settings,
        labels=labels,
        kind="stream side",
        at_least=permutations_for(settings, tests),
        only=_MEMBERSHIP_STATISTIC.get(config.clusters.membership, ()),
    )
    hot = hot.astype({"area_code": str, "industry_code": str})
    results = side_lq.loc[side_lq["area_code"].astype(str).isin(study_codes)].merge(
        hot[
            [
                "area_code",
                "industry_code",
                "gi_star_z",
                "gi_star_p_fdr",
                "gi_star_class",
                "moran_quadrant",
                "moran_p_fdr",
                "moran_class",
            ]
        ],
        on=["area_code", "industry_code"],
        how="left",
    )
    results["label"] = results["industry_code"]
    found = build_findings(
        results,
        study,
        weights,
        config.clusters,
        side_keys,
        # Every side is analysed whatever its traded status: construction is local-serving,
        # yet a builders' cluster is exactly where construction waste arises.
        traded=dict.fromkeys(side_keys, True),
        reference_total=reference_total,
        confidence_level=config.concentration.confidence_level,
    )
    per_side = {
        key: {
            "findings": int((found.findings["industry_code"] == key).sum()),
            "hot_areas": int(counts.get("significant_areas", 0)),
        }
        for key, counts in found.report["per_industry"].items()
    }
    return _SideFindings(found.findings, found.members, per_side, floor, settings)


def _streams_table(
    runnable: list[Stream],
    unresolved: dict[str, str],
    streams: list[Stream],
    *,
    overall: pd.DataFrame,
    gamma: pd.Series,
    per_side: dict[str, dict[str, int]],
    zones: pd.DataFrame,
) -> pd.DataFrame:
    """One row per stream of the matrix: what it links, whether it ran, and what it found."""
    ran = {s.key for s in runnable}
    statistics = overall.set_index("stream") if not overall.empty else pd.DataFrame()
    rows = []
    for stream in streams:
        row: dict[str, Any] = {
            "stream": stream.key,
            "label": stream.label,
            "material": stream.material,
            "producers": stream.producer_label,
            "producer_sic": ";".join(stream.producer_codes),
            "users": stream.user_label,
            "user_sic": ";".join(stream.user_codes),
            "sources": " | ".join(stream.sources),
            "finer": stream.finer,
            "status": "run" if stream.key in ran else "not_run",
            "why_not_run": unresolved.get(stream.key, ""),
        }
        if stream.key in ran:
            mine = zones.loc[zones["stream"] == stream.key]
            is_zone = mine["kind"] == "zone"
            row |= {
                "n_areas": int(statistics["n_areas"].get(stream.key, 0)),
                "moran_bv_i": statistics.loc[stream.key, "moran_bv_i"],
                "moran_bv_p_sim": statistics.loc[stream.key, "moran_bv_p_sim"],
                "coagglomeration": float(gamma.get(stream.key, np.nan)),
                "producer_findings": per_side[side_key(stream.key, "producers")]["findings"],
                "user_findings": per_side[side_key(stream.key, "users")]["findings"],
                "zones": int(is_zone.sum()),
                "zones_needing_cooperation": int(
                    (is_zone & mine["cooperation_needed"].fillna(False).astype(bool)).sum()
                ),
                "gaps": int((mine["kind"] == "gap").sum()),
                "scattered": int((mine["kind"] == "scattered").sum()),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _report(
    config: RunConfig,
    source: Path | str,
    runnable: list[Stream],
    *,
    unresolved: dict[str, str],
    zones: pd.DataFrame,
    local: pd.DataFrame,
    floor: list[FloorLimit],
    permutations: int,
    side_permutations: int,
) -> dict[str, Any]:
    assert config.circular is not None
    is_zone = zones["kind"] == "zone" if not zones.empty else pd.Series(dtype=bool)
    needing = (
        is_zone & zones["cooperation_needed"].fillna(False).astype(bool)
        if not zones.empty
        else is_zone
    )
    return {
        "matrix": str(source),
        "distance_km": config.circular.distance_km,
        "streams_run": [s.key for s in runnable],
        "streams_not_run": unresolved,
        "zones": int(is_zone.sum()),
        "zones_needing_cooperation": int(needing.sum()),
        "cooperation": zones.loc[is_zone, "cooperation"].value_counts().to_dict()
        if not zones.empty
        else {},
        "gaps": int((zones["kind"] == "gap").sum()) if not zones.empty else 0,
        "scattered": int((zones["kind"] == "scattered").sum()) if not zones.empty else 0,
        "colocated_areas": {
            str(k): int(v) for k, v in local.groupby("stream")["colocated"].sum().items()
        },
        "side_permutations": side_permutations,
        "colocation_permutations": permutations,
        "permutation_floor": [limit.to_record() for limit in floor],
    }
