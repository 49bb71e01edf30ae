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
authority is outside all of them: both are normal and kept as missing. Every tier is
optional. The tiers must nest (a district in one county, combined authority and region at
most), or the sources disagree and the run stops (:func:`_nesting_problems`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo.config import AuthoritiesConfig, TierSource
from clustergeo.ingest.boundaries import filter_by_year, read_boundaries
from clustergeo.london import GREATER_LONDON_AUTHORITY, in_london
from clustergeo.vocab import TIERS, Tier

__all__ = [
    "assign_tiers",
    "greater_london_polygon",
    "named_as_the_table",
    "read_authorities",
]

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
        read = read_boundaries(
            path,
            code_column=config.code_column,
            name_column=config.name_column,
            layer=spec.layer,
            assume_crs=config.crs,
            # ONS's multi-year files give each feature the years it is valid in.
            optional_columns=("start", "end"),
            what=f"Authorities file ({tier} layer)",
        )
        notes.extend(read.notes)
        frame = read.frame
        if spec.code_prefix:
            kept = frame["code"].str.startswith(spec.code_prefix)
            if not kept.any():
                prefixes = sorted({str(code)[:3] for code in frame["code"]})
                raise InputDataError(
                    f"Authorities file {path} (layer {spec.layer}): no {tier.replace('_', ' ')} "
                    f"code starts with code_prefix '{spec.code_prefix}'; its codes start with "
                    f"{format_examples(prefixes)}. Set authorities.layers.{tier}.code_prefix "
                    "to one of those, or leave it out."
                )
            frame = frame.loc[kept]
        if config.names:
            renamed = frame["code"].astype(str).map(config.names)
            frame = frame.assign(name=renamed.where(renamed.notna(), frame["name"]))
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
    unknown = sorted(set(config.names) - {c for frame in every.values() for c in frame["code"]})
    if unknown:
        raise InputDataError(
            f"authorities.names names {format_examples(unknown)}, which no authority of "
            f"{path} has: correct the code, or remove it."
        )
    return current, every, notes


def named_as_the_table(
    frames: Mapping[str, gpd.GeoDataFrame], names: Mapping[str, str]
) -> dict[str, gpd.GeoDataFrame]:
    """``frames`` with every authority that is one of the table's areas named as the table does.

    A boundary file of many years can carry an authority's later name: the ONS TopoJSON names
    Tewkesbury (E07000083) North Gloucestershire in every year. The table's names are those of
    its own year, which the areas already take, so the authority that is the same district
    takes them too, and findings, maps and the GeoPackage name it one way.
    """
    renamed: dict[str, gpd.GeoDataFrame] = {}
    for tier, frame in frames.items():
        table_name = frame["code"].astype(str).map(names)
        renamed[tier] = frame.assign(
            name=table_name.where(table_name.notna(), frame["name"].astype(object))
        )
    return renamed


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


def _overlay_pieces(areas: gpd.GeoDataFrame, authorities: gpd.GeoDataFrame) -> pd.DataFrame:
    """``area_code``, ``code`` and ``piece_area`` of every area and authority that overlap.

    Only an area that crosses an authority's boundary is intersected with it: an area inside
    one is a piece of its own area. On the Midlands' four tiers 2,596 of the 5,741 overlapping
    pairs are such, and the pieces took 0.89 s against 1.56 s for geopandas' overlay of
    every pair (the same pairs, areas within 3e-15 of each other).
    """
    left = np.asarray(areas.geometry.to_numpy())
    right = np.asarray(authorities.geometry.to_numpy())
    area_index, authority_index = shapely.STRtree(right).query(left, predicate="intersects")
    # Copies are prepared: GEOS's prepared geometries are not safe to share between threads.
    prepared = shapely.from_wkb(shapely.to_wkb(right))
    shapely.prepare(prepared)
    inside = shapely.contains_properly(prepared[authority_index], left[area_index])
    piece_area = shapely.area(left[area_index])
    crossing = ~inside
    piece_area[crossing] = shapely.area(
        shapely.intersection(left[area_index[crossing]], right[authority_index[crossing]])
    )
    overlapping = piece_area > 0  # not areas that only touch an authority
    return pd.DataFrame(
        {
            "area_code": areas["area_code"].to_numpy()[area_index[overlapping]],
            "code": authorities["code"].to_numpy()[authority_index[overlapping]],
            "piece_area": piece_area[overlapping],
        }
    )


def _overlay_codes(
    areas: gpd.GeoDataFrame, authorities: gpd.GeoDataFrame
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The authority covering most of each area, the share it covers, and the share covered.

    The last is the share of the area any authority of the tier covers. Areas no polygon
    reaches (or touches only along a line) are left out of all three.
    """
    pieces = _overlay_pieces(areas, authorities)
    area_of = areas.set_index("area_code").geometry.area
    covered = pieces.groupby("area_code")["piece_area"].sum()
    covered = covered / area_of.reindex(covered.index)
    best = pieces.sort_values(["area_code", "piece_area", "code"], ascending=[True, False, True])
    best = best.drop_duplicates("area_code").set_index("area_code")
    share = best["piece_area"] / area_of.reindex(best.index)
    return best["code"], share, covered


@dataclass(frozen=True)
class _TierCodes:
    """One tier's codes for the areas, the names a lookup gives, and what an overlay covered.

    ``codes`` is missing where an area is in no authority of the tier; ``covered`` (overlays
    only) is the share of each area the tier's polygons cover, for the areas they reach.
    """

    codes: pd.Series
    names: dict[str, str]
    covered: pd.Series | None = None


def assign_tiers(
    areas: gpd.GeoDataFrame,
    hierarchy: Mapping[Tier, TierSource],
    *,
    authorities: Mapping[str, gpd.GeoDataFrame],
    authority_names: Mapping[str, gpd.GeoDataFrame],
    read_lookup: Mapping[Tier, pd.DataFrame],
    source: Path,
) -> tuple[pd.DataFrame, list[str]]:
    """Give every area a code and name for each configured tier, and check the tiers nest.

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

    Raises
    ------
    InputDataError
        Listing areas in no district or region (with why: outside every polygon, covered in
        part, absent from a lookup), and districts or counties that lie in more than one
        authority of a tier above them (see :func:`_nesting_problems`).
    """
    table = pd.DataFrame({"area_code": areas["area_code"].to_numpy()})
    found: dict[Tier, _TierCodes] = {}
    notes: list[str] = []
    problems = Problems(source, "Areas")
    pending = [tier for tier in TIERS if tier in hierarchy]
    # Tier-keyed lookups need their key tier first, so resolve in passes until none is left.
    while pending:
        progressed = False
        for tier in list(pending):
            spec = hierarchy[tier]
            if spec.source == "lookup" and spec.key != "area" and spec.key not in found:
                continue
            found[tier] = _tier_codes(
                tier,
                spec=spec,
                areas=areas,
                table=table,
                authorities=authorities,
                read_lookup=read_lookup,
            )
            table[f"{tier}_code"] = found[tier].codes.to_numpy()
            pending.remove(tier)
            progressed = True
        if not progressed:
            problems.add(
                f"tiers {', '.join(pending)} are looked up by tiers that are not configured; "
                "add those tiers to 'hierarchy'"
            )
            break
    problems.raise_if_any()
    notes.extend(_place_london_in_the_gla(table, found, authority_names))

    for tier in [t for t in TIERS if t in hierarchy]:
        column = table[f"{tier}_code"]
        known = dict(found[tier].names)
        if tier in authority_names:
            frame = authority_names[tier]
            for code, name in zip(frame["code"], frame["name"], strict=True):
                known.setdefault(code, name)
        # Codes nobody names keep the code as their name, so maps and tables show something.
        named = column.map(known).astype("string")
        table[f"{tier}_name"] = named.fillna(column.astype("string")).where(column.notna())
        missing = table.loc[column.isna(), "area_code"]
        if missing.empty:
            continue
        if tier in REQUIRED_TIERS:
            problems.add(
                f"{len(missing)} areas belong to no {tier.replace('_', ' ')}: "
                f"{format_examples(missing)}. "
                + _why_unassigned(
                    tier,
                    hierarchy[tier],
                    missing=missing,
                    found=found[tier],
                    areas=areas,
                    authorities=authorities,
                )
            )
            continue
        notes.append(
            f"{len(missing)} areas are in no {tier.replace('_', ' ')} "
            f"({'unitary or metropolitan districts' if tier == 'county' else 'outside all'})"
        )
        covered = found[tier].covered
        if covered is not None and covered.empty:
            warning = _reached_none(tier, areas, authorities[tier])
            notes.append(warning)
            log.warning("%s", warning)
    problems.raise_if_any()
    for problem in _nesting_problems(table, [t for t in TIERS if t in hierarchy]):
        problems.add(problem)
    problems.raise_if_any()
    return table, notes


def _place_london_in_the_gla(
    table: pd.DataFrame,
    found: dict[Tier, _TierCodes],
    authority_names: Mapping[str, gpd.GeoDataFrame],
) -> list[str]:
    """Give London's areas that have no combined authority the Greater London Authority.

    ONS's combined-authority files leave the GLA out (:mod:`clustergeo.london`); a source
    that names it (mySociety's register does) is kept as it is. Needs the region tier, to
    know London's areas: by its code, or its name (from a lookup or the region polygons).
    """
    if "combined_authority" not in found or "region" not in found:
        return []
    code, name = GREATER_LONDON_AUTHORITY
    region_names = dict(found["region"].names)
    if "region" in authority_names:
        frame = authority_names["region"]
        for region, region_name in zip(frame["code"], frame["name"], strict=True):
            region_names.setdefault(region, region_name)
    regions = pd.DataFrame(
        {
            "region_code": table["region_code"],
            "region_name": table["region_code"].map(region_names),
        }
    )
    placed = in_london(regions) & table["combined_authority_code"].isna().to_numpy()
    if not placed.any():
        return []
    # As objects: a tier whose polygons reached no area holds only missing values (floats).
    codes = table["combined_authority_code"].astype(object)
    codes[placed] = code
    table["combined_authority_code"] = codes
    found["combined_authority"].names[code] = name
    return [
        f"{int(placed.sum())} areas of London are placed in the {name} on the combined-"
        "authority tier: it governs London as a whole, though combined-authority files leave "
        "it out"
    ]


#: Half the widest gap between London's areas the GLA's outline closes over (metres).
_GLA_CLOSING_M = 500.0


def greater_london_polygon(
    areas: gpd.GeoDataFrame, combined_authorities: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """``combined_authorities`` with the GLA's polygon, its areas dissolved, where it has one.

    For the areas :func:`assign_tiers` placed in the Greater London Authority, so that the
    maps and the GeoPackage draw it with the combined authorities.
    """
    code, name = GREATER_LONDON_AUTHORITY
    in_gla = (areas["combined_authority_code"].astype("string") == code).fillna(False)
    if not in_gla.any() or (combined_authorities["code"] == code).any():
        return combined_authorities
    outline = shapely.union_all(areas.loc[in_gla].to_crs(combined_authorities.crs).geometry)
    if combined_authorities.crs is not None and combined_authorities.crs.is_projected:
        # Closed over the gaps between its areas narrower than 1 km: boundary files clipped
        # to the coast leave the tidal Thames out, which would be drawn as an edge of the GLA.
        outline = shapely.buffer(
            shapely.buffer(outline, _GLA_CLOSING_M, join_style="mitre"),
            -_GLA_CLOSING_M,
            join_style="mitre",
        )
    gla = gpd.GeoDataFrame(
        {"code": [code], "name": [name]}, geometry=[outline], crs=combined_authorities.crs
    )
    return gpd.GeoDataFrame(
        pd.concat([combined_authorities, gla], ignore_index=True),
        geometry="geometry",
        crs=combined_authorities.crs,
    )


def _extent(frame: gpd.GeoDataFrame) -> str:
    xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
    return f"easting {xmin:,.0f} to {xmax:,.0f}, northing {ymin:,.0f} to {ymax:,.0f}"


def _reached_none(tier: str, areas: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> str:
    words = tier.replace("_", " ")
    return (
        f"no {words} polygon reaches any of the {len(areas)} areas, so every area counts as in "
        f"no {words}. If that is wrong, the {words} layer is of another place or vintage: its "
        f"polygons span {_extent(polygons)}, the areas {_extent(areas)}"
    )


def _why_unassigned(
    tier: Tier,
    spec: TierSource,
    *,
    missing: pd.Series,
    found: _TierCodes,
    areas: gpd.GeoDataFrame,
    authorities: Mapping[str, gpd.GeoDataFrame],
) -> str:
    """Why areas got no authority of a tier every area must have, and what to do."""
    words = tier.replace("_", " ")
    if spec.source == "attribute":
        return (
            f"Their '{spec.column}' is empty in the areas file: fill it in, or take the "
            f"{words} from a lookup or the authority polygons ('source' in 'hierarchy')"
        )
    if spec.source == "lookup":
        keys = "area codes" if spec.key == "area" else f"{spec.key.replace('_', ' ')} codes"
        return (
            f"Their {keys} are not in the lookup's '{spec.key_column}' column ({spec.path}). "
            f"Check that the lookup source for '{tier}' covers every area: a lookup of another "
            "vintage than the areas is the usual cause"
        )
    covered = found.covered if found.covered is not None else pd.Series(dtype="float64")
    polygons = authorities[tier]
    if covered.empty:
        return (
            f"The {words} polygons reach none of the areas: they span {_extent(polygons)}, "
            f"the areas {_extent(areas)} (British National Grid metres). Check that the "
            "authorities file covers the same place as the areas, and its layer and CRS"
        )
    outside = missing[~missing.isin(covered.index)]
    partly = missing[missing.isin(covered.index)]
    parts = []
    if not outside.empty:
        parts.append(f"{len(outside)} lie outside every {words} polygon")
    if not partly.empty:
        shares = [f"{code} {covered[code]:.0%}" for code in partly]
        parts.append(
            f"{len(partly)} are covered only in part, or by several {words}s none of which "
            f"holds more than half ({format_examples(shares)} covered)"
        )
    return (
        f"Of these, {' and '.join(parts)}. Check that the overlay source for '{tier}' covers "
        "every area: authority polygons that stop short of the coast (generalised boundaries "
        "against areas drawn to the extent of the realm) or of another vintage are the usual "
        "causes; use authority boundaries of the areas' extent and vintage, or a lookup"
    )


#: Pairs of tiers where each authority of the first lies within one of the second (or none).
NESTING: tuple[tuple[Tier, Tier], ...] = (
    ("district", "county"),
    ("district", "combined_authority"),
    ("district", "region"),
    ("county", "region"),
)


def _nesting_problems(table: pd.DataFrame, tiers: list[Tier]) -> list[str]:
    """Authorities that lie in more than one authority of a tier above them.

    Notes
    -----
    In the ONS hierarchy a district lies in one county (or none: a unitary or metropolitan
    district), in one combined authority (or none) and in one region, and a county in one
    region (:data:`NESTING`). A district whose areas fall in two counties, or partly in a
    combined authority and partly outside, means the tiers came from sources that disagree:
    a lookup and polygons of different years, or authority polygons that assign an area on
    their edge differently. Governance flags would then contradict each other (a cluster in
    one district "straddling" two counties), so the run stops.
    """
    problems = []
    for lower, upper in NESTING:
        if lower not in tiers or upper not in tiers:
            continue
        pairs = table[[f"{lower}_code", f"{upper}_code"]].dropna(subset=[f"{lower}_code"])
        pairs = pairs.astype("string").fillna({f"{upper}_code": "none"})
        counts = pairs.groupby([f"{lower}_code", f"{upper}_code"]).size()
        split = counts.groupby(level=0).size()
        split = split[split > 1]
        if split.empty:
            continue
        described = [
            f"{code} ("
            + ", ".join(
                f"{upper_code}: {n} area{'s' if n > 1 else ''}"
                for upper_code, n in counts.loc[code].items()
            )
            + ")"
            for code in sorted(split.index)
        ]
        lower_words, upper_words = lower.replace("_", " "), upper.replace("_", " ")
        problems.append(
            f"the tiers do not nest: {len(split)} {lower_words}s lie in more than one "
            f"{upper_words}: {format_examples(described, 4)}. Each {lower_words} lies in one "
            f"{upper_words} (or none); the tiers come from sources that disagree (lookups or "
            "polygons of different years, or polygons that assign areas on their edges "
            "differently). Take the tiers from one source of one vintage: one ONS lookup, or "
            "authority polygons of one year (authorities.year)"
        )
    return problems


def _tier_codes(
    tier: Tier,
    *,
    spec: TierSource,
    areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    authorities: Mapping[str, gpd.GeoDataFrame],
    read_lookup: Mapping[Tier, pd.DataFrame],
) -> _TierCodes:
    if spec.source == "attribute":
        assert spec.column is not None
        codes = areas[spec.column].astype("string").str.strip()
        return _TierCodes(codes.where(codes != "").reset_index(drop=True), {})
    if spec.source == "overlay":
        code, share, covered = _overlay_codes(areas, authorities[tier])
        code = code.where(share > OVERLAY_MIN_SHARE)
        return _TierCodes(table["area_code"].map(code), {}, covered)
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
    return _TierCodes(key.map(mapping), tier_names)
