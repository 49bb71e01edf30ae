"""Which authorities a cluster or a site's footprint falls in, and the flags that follow.

Both are described by **pieces**: small areas (a cluster's member areas, or the parts of the
areas a footprint covers), each carrying the codes of its authorities as assigned at ingest
(lookup, attribute or majority overlay) and a weight — employment for clusters, area for sites.
Working from the areas keeps every statement consistent with the data the clusters come from:
generalised authority polygons of another vintage would add slivers that are not there.

Tiers
    ``district``; ``upper_tier``, the county for areas in a two-tier county and the district
    itself for unitary and metropolitan districts (the upper-tier authority in England);
    ``combined_authority``; ``region``. A tier not configured in the run is left out and its
    flags are missing.

Flags (per owner, i.e. per cluster or site)
    ``single_district`` / ``straddles_districts``: one district, or more than one;
    ``straddles_counties``: more than one upper-tier authority; ``straddles_regions``;
    ``ca_status``: ``within_one_ca``, ``split_across_cas``, ``partly_outside_ca`` or
    ``outside_any_ca``; ``lead_district`` and ``lead_share``: the district with the largest
    share; ``governance_gap``: no district, upper-tier or combined authority holds more than
    half of the weight. Regions do not count towards the gap: English regions are statistical
    areas, not governing bodies.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "GOVERNING_TIERS",
    "LINK_TIERS",
    "TIER_LABELS",
    "add_upper_tier",
    "authority_links",
    "governance_flags",
    "nearby_authorities",
]

#: Tiers reported in the link tables, lowest first.
LINK_TIERS = ("district", "upper_tier", "combined_authority", "region")
#: Tiers whose authorities can coordinate support for a cluster.
GOVERNING_TIERS = ("district", "upper_tier", "combined_authority")
TIER_LABELS = {
    "district": "district",
    "upper_tier": "county or unitary authority",
    "combined_authority": "combined authority",
    "region": "region",
}
MAJORITY = 0.5


def add_upper_tier(areas: pd.DataFrame) -> pd.DataFrame:
    """Add ``upper_tier_code`` / ``upper_tier_name``: the county, else the district itself.

    Only when the run knows counties: without them, which districts are unitary is unknown.
    """
    if "county_code" not in areas or "district_code" not in areas:
        return areas
    county = areas["county_code"].astype("string")
    in_county = county.notna() & (county != "")
    return areas.assign(
        upper_tier_code=county.where(in_county, areas["district_code"].astype("string")),
        upper_tier_name=areas["county_name"]
        .astype("string")
        .where(in_county, areas["district_name"].astype("string")),
    )


def _tiers(pieces: pd.DataFrame) -> list[str]:
    return [tier for tier in LINK_TIERS if f"{tier}_code" in pieces]


def authority_links(pieces: pd.DataFrame, owner: str, weights: Sequence[str]) -> pd.DataFrame:
    """Every authority each owner touches, with its totals and shares of each weight.

    Parameters
    ----------
    pieces
        One row per piece: the ``owner`` column, ``<tier>_code`` / ``<tier>_name`` columns,
        and the weight columns.
    owner
        Column identifying the cluster or site.
    weights
        Weight columns (e.g. ``employment``, ``area_km2``); each gets a ``<weight>_share``
        of the owner's total (pieces in no authority of the tier count in the total).

    Returns
    -------
    pandas.DataFrame
        ``owner, tier, authority_code, authority_name, n_pieces, <weight>, <weight>_share``,
        sorted by owner, tier (lowest first) and descending share of the first weight.
    """
    totals = pieces.groupby(owner, sort=False)[list(weights)].sum()
    frames = []
    for tier in _tiers(pieces):
        code, name = f"{tier}_code", f"{tier}_name"
        known = pieces.loc[pieces[code].notna()]
        grouped = known.groupby([owner, code], sort=False, dropna=True)
        part = grouped[list(weights)].sum()
        part["n_pieces"] = grouped.size()
        part["authority_name"] = grouped[name].first() if name in known else pd.NA
        part = part.reset_index().rename(columns={code: "authority_code"})
        for weight in weights:
            total = part[owner].map(totals[weight]).astype("float64")
            part[f"{weight}_share"] = (part[weight] / total).where(total > 0)
        part.insert(1, "tier", tier)
        frames.append(part)
    columns = [owner, "tier", "authority_code", "authority_name", "n_pieces"]
    columns += [c for w in weights for c in (w, f"{w}_share")]
    if not frames:
        return pd.DataFrame(columns=columns)
    links = pd.concat(frames, ignore_index=True)[columns]
    links["tier_order"] = links["tier"].map(LINK_TIERS.index)
    links = links.sort_values(
        [owner, "tier_order", f"{weights[0]}_share", "authority_code"],
        ascending=[True, True, False, True],
    )
    return links.drop(columns="tier_order").reset_index(drop=True)


def governance_flags(pieces: pd.DataFrame, owner: str, weight: str) -> pd.DataFrame:
    """Straddle flags, combined-authority status, lead district and governance gap.

    ``weight`` is the column shares are measured in (employment for clusters, area for
    sites); pieces with zero weight still count as touching (a member area with no
    employment in the industry is still part of the cluster).
    """
    tiers = _tiers(pieces)
    out = pd.DataFrame(index=pd.Index(pieces[owner].unique(), name=owner))
    total = pieces.groupby(owner)[weight].sum()
    best_share = pd.Series(0.0, index=out.index)

    def shares(tier: str) -> pd.DataFrame:
        known = pieces.loc[pieces[f"{tier}_code"].notna()]
        summed = known.groupby([owner, f"{tier}_code"])[weight].sum()
        frame = summed.rename("weight").reset_index()
        frame["share"] = frame["weight"] / frame[owner].map(total).astype("float64")
        return frame

    def count(tier: str) -> pd.Series:
        codes = pieces.loc[pieces[f"{tier}_code"].notna()]
        return codes.groupby(owner)[f"{tier}_code"].nunique().reindex(out.index, fill_value=0)

    if "district" in tiers:
        n = count("district")
        out["n_districts"] = n
        out["single_district"] = n == 1
        out["straddles_districts"] = n > 1
        names = pieces.dropna(subset=["district_code"]).groupby(owner)["district_name"]
        out["districts"] = names.agg(lambda s: "; ".join(sorted(set(map(str, s))))).reindex(
            out.index
        )
        lead = shares("district").sort_values(
            [owner, "share", "district_code"], ascending=[True, False, True]
        )
        lead = lead.drop_duplicates(owner).set_index(owner)
        name_of = pieces.drop_duplicates("district_code").set_index("district_code")[
            "district_name"
        ]
        out["lead_district"] = lead["district_code"].map(name_of).reindex(out.index)
        out["lead_share"] = lead["share"].reindex(out.index)
    if "upper_tier" in tiers:
        out["straddles_counties"] = count("upper_tier") > 1
    if "region" in tiers:
        out["straddles_regions"] = count("region") > 1
    if "combined_authority" in tiers:
        codes = pieces.groupby(owner)["combined_authority_code"]
        n_inside = codes.nunique().reindex(out.index, fill_value=0)
        any_outside = (
            codes.agg(lambda s: bool(s.isna().any())).reindex(out.index, fill_value=False)
        ).astype(bool)
        out["ca_status"] = np.select(
            [n_inside == 0, any_outside, n_inside == 1],
            ["outside_any_ca", "partly_outside_ca", "within_one_ca"],
            "split_across_cas",
        )
    governing = [t for t in GOVERNING_TIERS if t in tiers]
    for tier in governing:
        frame = shares(tier)
        best = frame.groupby(owner)["share"].max().reindex(out.index, fill_value=0.0)
        best_share = best_share.combine(best, max)
    if governing:
        out["governance_gap"] = best_share <= MAJORITY
    return out.reset_index()


def nearby_authorities(
    shapes: gpd.GeoDataFrame,
    owner: str,
    areas: gpd.GeoDataFrame,
    links: pd.DataFrame,
    distance_m: float,
) -> pd.Series:
    """Authorities within ``distance_m`` of each shape that it does not reach.

    Authorities are seen through the run's areas (an authority is near when one of its areas
    is), so no authority polygon has to be dissolved. Returns, per owner,
    ``"Name (tier); ..."`` (empty when there are none), so a cluster that stops just short of
    a boundary is seen to sit on it.
    """
    tiers = [t for t in GOVERNING_TIERS if f"{t}_code" in areas]
    if shapes.empty or not tiers:
        return pd.Series("", index=shapes[owner], dtype=object)
    grown = gpd.GeoDataFrame({owner: shapes[owner]}, geometry=shapes.buffer(distance_m))
    columns = [c for t in tiers for c in (f"{t}_code", f"{t}_name")]
    hits = gpd.sjoin(grown, areas[[*columns, "geometry"]], predicate="intersects", how="inner")
    found = pd.concat(
        [
            pd.DataFrame(
                {
                    owner: hits[owner].to_numpy(),
                    "tier": tier,
                    "authority_code": hits[f"{tier}_code"].to_numpy(),
                    "authority_name": hits[f"{tier}_name"].to_numpy(),
                }
            )
            for tier in tiers
        ],
        ignore_index=True,
    ).dropna(subset=["authority_code"])
    touched = pd.MultiIndex.from_frame(links[[owner, "tier", "authority_code"]])
    key = pd.MultiIndex.from_frame(found[[owner, "tier", "authority_code"]])
    found = found.loc[~key.isin(touched)].drop_duplicates([owner, "tier", "authority_code"])
    # A unitary district is its own upper tier: name it once.
    districts = pd.MultiIndex.from_frame(
        found.loc[found["tier"] == "district", [owner, "authority_code"]]
    )
    unitary = (found["tier"] == "upper_tier") & pd.MultiIndex.from_frame(
        found[[owner, "authority_code"]]
    ).isin(districts)
    found = found.loc[~unitary]
    found = found.assign(
        order=found["tier"].map(LINK_TIERS.index),
        text=found["authority_name"].astype(str) + " (" + found["tier"].map(TIER_LABELS) + ")",
    ).sort_values([owner, "order", "text"])
    text = found.groupby(owner)["text"].agg("; ".join)
    return text.reindex(shapes[owner]).astype(object).fillna("")
