"""Authority tiers: read their polygons, and give every small area its authorities.

Each tier (district, county, combined authority, region) gets its code for each small area
from one of three sources, as the config says:

``attribute``
    a column of the areas file (e.g. ``LAD_FILE_CODE`` in ONS small-area boundaries);
``lookup``
    a CSV joined on the area code or on a tier already known (e.g. an ONS district → county →
    region lookup keyed on the district);
``overlay``
    the authority polygon that covers most of the area. An area is assigned only when more
    than half of it lies in that authority: generalised authority boundaries (ONS BSC, about
    200 m) do not follow small-area edges exactly, and the half-rule keeps a sliver of overlap
    from putting an area in the wrong authority — or in a combined authority it is not in.

Tiers that must cover everything (district, region) are required for every area; an area
with no county is in a unitary or metropolitan district, and an area with no combined
authority is outside all of them: both are normal and kept as missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo.config import AuthoritiesConfig, TierSource
from clustergeo.ingest.boundaries import filter_by_year, read_boundaries
from clustergeo.vocab import TIERS, Tier

__all__ = ["assign_tiers", "read_authorities"]

log = logging.getLogger(__name__)

REQUIRED_TIERS = frozenset({"district", "region"})
OVERLAY_MIN_SHARE = 0.5
#: Largest share of an authority that may overlap another of the same tier (slivers).
OVERLAP_MAX_SHARE = 0.01


def read_authorities(
    config: AuthoritiesConfig, path: Path
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, gpd.GeoDataFrame], list[str]]:
    """Read each configured tier's polygons.

    Returns
    -------
    current, every, notes
        ``current``: per tier, the authorities valid in ``config.year`` (code, name, geometry,
        EPSG:27700); ``every``: all features regardless of year, for naming codes of other
        vintages; ``notes`` for the run report.
    """
    current: dict[str, gpd.GeoDataFrame] = {}
    every: dict[str, gpd.GeoDataFrame] = {}
    notes: list[str] = []
    for tier, spec in config.layers.items():
        fields = _layer_fields(path, spec.layer)
        period = tuple(c for c in ("start", "end") if c in fields)
        read = read_boundaries(
            path,
            code_column=config.code_column,
            name_column=config.name_column,
            layer=spec.layer,
            assume_crs=config.crs,
            keep_columns=period,
            what=f"Authorities file ({tier} layer)",
        )
        notes.extend(read.notes)
        frame = read.frame
        if spec.code_prefix:
            frame = frame.loc[frame["code"].str.startswith(spec.code_prefix)]
        every[tier] = frame[["code", "name", "geometry"]].reset_index(drop=True)
        in_year = frame.loc[filter_by_year(frame, config.year)]
        if in_year["code"].duplicated().any():
            duplicated = sorted(in_year.loc[in_year["code"].duplicated(), "code"])
            raise InputDataError(
                f"Authorities file {path} (layer {spec.layer}) has several features for "
                f"{format_examples(duplicated)} in {config.year}; dissolve them or pick "
                "another year."
            )
        current[tier] = in_year[["code", "name", "geometry"]].reset_index(drop=True)
        notes.extend(_check_overlaps(current[tier], path, spec.layer, tier, config.year))
        log.info("Authorities %s: %d %s areas", spec.layer, len(current[tier]), tier)
    return current, every, notes


def _check_overlaps(
    frame: gpd.GeoDataFrame, path: Path, layer: str, tier: str, year: int | None
) -> list[str]:
    """Authorities of one tier must not overlap: an area would belong to two of them.

    Generalised boundaries overlap their neighbours by slivers; those are noted. An overlap
    of more than ``OVERLAP_MAX_SHARE`` of either authority means the layer holds two
    vintages or two kinds of authority, and is an error naming both.
    """
    # "intersects", not "overlaps": one polygon inside another (an old district inside the
    # unitary that replaced it) does not "overlap" it in the DE-9IM sense.
    pairs = gpd.sjoin(frame, frame, predicate="intersects", how="inner")
    pairs = pairs.loc[pairs.index < pairs["index_right"]]
    if pairs.empty:
        return []
    left = frame.geometry.loc[pairs.index].to_numpy()
    right = frame.geometry.loc[pairs["index_right"]].to_numpy()
    shared = shapely.area(shapely.intersection(left, right))
    smaller = np.minimum(shapely.area(left), shapely.area(right))
    share = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    large = share > OVERLAP_MAX_SHARE
    if large.any():
        codes = frame["code"].to_numpy()
        described = [
            f"{codes[a]} and {codes[b]} ({s:.0%} of the smaller)"
            for a, b, s in zip(
                pairs.index[large], pairs["index_right"][large], share[large], strict=True
            )
        ]
        when = f" in {year}" if year is not None else ""
        raise InputDataError(
            f"Authorities file {path} (layer {layer}) has {tier.replace('_', ' ')} polygons "
            f"that overlap{when}: {format_examples(described)}. Each area must belong to one "
            "authority per tier: set authorities.year to the vintage you want, or remove the "
            "features of other vintages or other kinds of authority from the layer."
        )
    slivers = int((share > 0).sum())
    if not slivers:
        return []
    return [
        f"{slivers} pairs of {tier.replace('_', ' ')} polygons in layer {layer} "
        "overlap by slivers (generalised boundaries); areas are assigned by majority"
    ]


def _layer_fields(path: Path, layer: str) -> list[str]:
    try:
        return [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return []


def _overlay_codes(
    areas: gpd.GeoDataFrame, authorities: gpd.GeoDataFrame
) -> tuple[pd.Series, pd.Series]:
    """Code of the authority covering most of each area, and the share of the area it covers."""
    left = areas[["area_code", "geometry"]]
    right = authorities[["code", "geometry"]]
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces["piece_area"] = pieces.geometry.area
    best = pieces.sort_values(["area_code", "piece_area", "code"], ascending=[True, False, True])
    best = best.drop_duplicates("area_code").set_index("area_code")
    share = best["piece_area"] / areas.set_index("area_code").geometry.area.reindex(best.index)
    return best["code"], share


def assign_tiers(
    areas: gpd.GeoDataFrame,
    hierarchy: Mapping[Tier, TierSource],
    *,
    authorities: Mapping[str, gpd.GeoDataFrame],
    authority_names: Mapping[str, gpd.GeoDataFrame],
    read_lookup: Mapping[Tier, pd.DataFrame],
    source: Path,
) -> tuple[pd.DataFrame, list[str]]:
    """Give every area a code and name for each configured tier.

    Parameters
    ----------
    areas
        ``area_code``, geometry, and the attribute columns named by ``attribute`` sources.
    hierarchy
        Tier → where its codes come from.
    authorities
        Tier → polygons valid in the run's year (for ``overlay``).
    authority_names
        Tier → every feature of any year (to name codes from attributes and lookups).
    read_lookup
        Tier → the lookup CSV (as text columns) for ``lookup`` sources.
    source
        The areas file, for messages.

    Returns
    -------
    table, notes
        ``area_code`` plus ``<tier>_code`` and ``<tier>_name`` for each tier (missing where
        the area is in no authority of that tier), and notes for the run report.
    """
    table = pd.DataFrame({"area_code": areas["area_code"].to_numpy()})
    names: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    problems = Problems(source, "Areas")
    pending = [tier for tier in TIERS if tier in hierarchy]
    # Tier-keyed lookups need their key tier first, so resolve in passes until none is left.
    while pending:
        progressed = False
        for tier in list(pending):
            spec = hierarchy[tier]
            if spec.source == "lookup" and spec.key != "area" and spec.key not in names:
                continue
            codes, tier_names = _tier_codes(
                tier,
                spec=spec,
                areas=areas,
                table=table,
                authorities=authorities,
                read_lookup=read_lookup,
            )
            table[f"{tier}_code"] = codes.to_numpy()
            names[tier] = tier_names
            pending.remove(tier)
            progressed = True
        if not progressed:
            problems.add(
                f"tiers {', '.join(pending)} are looked up by tiers that are not configured; "
                "add those tiers to 'hierarchy'"
            )
            break
    problems.raise_if_any()

    for tier in [t for t in TIERS if t in hierarchy]:
        column = table[f"{tier}_code"]
        known = dict(names[tier])
        if tier in authority_names:
            frame = authority_names[tier]
            for code, name in zip(frame["code"], frame["name"], strict=True):
                known.setdefault(code, name)
        # Codes nobody names keep the code as their name, so maps and tables show something.
        named = column.map(known).astype("string")
        table[f"{tier}_name"] = named.fillna(column.astype("string")).where(column.notna())
        missing = column.isna()
        if missing.any() and tier in REQUIRED_TIERS:
            problems.add(
                f"{int(missing.sum())} areas belong to no {tier.replace('_', ' ')}: "
                f"{format_examples(table.loc[missing, 'area_code'])}. Check that the "
                f"{hierarchy[tier].source} source for '{tier}' covers every area (a "
                "lookup of another vintage or authority polygons that stop short of the coast "
                "are the usual causes)"
            )
        elif missing.any():
            notes.append(
                f"{int(missing.sum())} areas are in no {tier.replace('_', ' ')} "
                f"({'unitary or metropolitan districts' if tier == 'county' else 'outside all'})"
            )
    problems.raise_if_any()
    return table, notes


def _tier_codes(
    tier: Tier,
    *,
    spec: TierSource,
    areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    authorities: Mapping[str, gpd.GeoDataFrame],
    read_lookup: Mapping[Tier, pd.DataFrame],
) -> tuple[pd.Series, dict[str, str]]:
    if spec.source == "attribute":
        assert spec.column is not None
        codes = areas[spec.column].astype("string").str.strip()
        return codes.where(codes != "").reset_index(drop=True), {}
    if spec.source == "overlay":
        code, share = _overlay_codes(areas, authorities[tier])
        code = code.where(share > OVERLAY_MIN_SHARE)
        return table["area_code"].map(code), {}
    lookup = read_lookup[tier]
    assert spec.column is not None
    assert spec.key_column is not None
    key = table["area_code"] if spec.key == "area" else table[f"{spec.key}_code"]
    pairs = lookup[[spec.key_column, spec.column]].copy()
    pairs[spec.column] = pairs[spec.column].str.strip()
    pairs[spec.key_column] = pairs[spec.key_column].str.strip()
    pairs = pairs.loc[pairs[spec.column] != ""].drop_duplicates()
    conflicting = pairs.loc[pairs[spec.key_column].duplicated(keep=False)]
    if not conflicting.empty:
        described = [
            f"{key} ({', '.join(group[spec.column])})"
            for key, group in conflicting.groupby(spec.key_column, sort=True)
        ]
        source = lookup.attrs.get("source", spec.path)
        raise InputDataError(
            f"Lookup file {source} gives {len(described)} {spec.key_column} values more than "
            f"one {tier.replace('_', ' ')}: {format_examples(described)}. Each must be in one "
            f"{tier.replace('_', ' ')}: use a lookup where the areas nest (a best-fit lookup), "
            "or the 'overlay' source to assign each area by its largest part."
        )
    mapping = dict(zip(pairs[spec.key_column].str.strip(), pairs[spec.column], strict=True))
    tier_names: dict[str, str] = {}
    if spec.name_column:
        named = lookup[[spec.column, spec.name_column]].copy()
        named[spec.column] = named[spec.column].str.strip()
        named = named.loc[named[spec.column] != ""].drop_duplicates(spec.column)
        tier_names = dict(zip(named[spec.column], named[spec.name_column].str.strip(), strict=True))
    return key.map(mapping), tier_names
