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

Flags (per owner, i.e. per cluster or site), with the straddle share :math:`s`
(``governance.straddle_share``, default 5%)
    Each tier has a **lead** authority, the one with the largest share. The owner
    ``straddles_districts`` (``straddles_counties``, ``straddles_regions``) when more than
    :math:`s` of its weight lies in other districts (upper-tier authorities, regions) than
    the lead (pieces in no authority of the tier are unknown, not another authority):
    a 2 km circle that crosses a county line by a sliver does not straddle counties. An
    authority holding more than :math:`s` ``shares`` the owner; one holding less only
    ``touches`` it, and is listed with its share in ``touches`` (and as ``relation`` in the
    link table), never as straddled. For findings, a piece at least as large as one place
    must hold to be a concentration (``clusters.concentrations.min_employment``) shares it
    and makes it straddle, whatever its share: in a £62bn cluster a district's £2.6bn is 4%
    of it, but no touch.
    ``single_district`` is the opposite of ``straddles_districts``; ``districts`` names the
    lead and sharing districts;
    ``lead_district`` and ``lead_share`` the lead.
    ``ca_status``: ``outside_any_ca`` when at most :math:`s` lies in any combined authority;
    ``within_one_ca`` when one combined authority holds at least :math:`1 - s`;
    ``partly_outside_ca`` when more than :math:`s` lies outside every one; else
    ``split_across_cas``.
    ``governance_gap``: **no single authority that could lead support for it holds a
    majority**: no district, county or unitary authority, or combined authority holds more
    than half of the weight. A cluster split between districts of one county is no gap (the
    county holds it), nor is one inside a combined authority; a cluster spread over three
    districts of two counties outside any combined authority, none with more than half, is.
    Regions do not count: English regions are statistical areas, not governing bodies. On
    the Midlands no cluster's core or extent is a gap: every one has a district, county or
    combined authority holding most of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "GOVERNING_TIERS",
    "LINK_TIERS",
    "STRADDLE_SHARE",
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
#: Default share outside the lead authority above which an owner straddles a tier.
STRADDLE_SHARE = 0.05


def add_upper_tier(areas: pd.DataFrame) -> pd.DataFrame:
    """Add ``upper_tier_code`` / ``upper_tier_name``: the county, else the district itself.

    Only when the run knows counties: without them, which districts are unitary is unknown.
    A run with counties but no districts (a county and region set-up) knows the upper tier
    of the areas in a county only; the others' is missing, so they count as in no authority
    of the tier (unknown), never as one more authority.
    """
    if "county_code" not in areas:
        return areas
    county = areas["county_code"].astype("string")
    in_county = county.notna() & (county != "")
    # Names where the areas have them (a table of codes alone gets the codes).
    named = "county_name" in areas
    county_name = areas["county_name"].astype("string") if named else None
    if "district_code" not in areas:
        return areas.assign(
            upper_tier_code=county.where(in_county),
            **(
                {"upper_tier_name": county_name.where(in_county)} if county_name is not None else {}
            ),
        )
    return areas.assign(
        upper_tier_code=county.where(in_county, areas["district_code"].astype("string")),
        **(
            {
                "upper_tier_name": county_name.where(
                    in_county, areas["district_name"].astype("string")
                )
            }
            if county_name is not None and "district_name" in areas
            else {}
        ),
    )


def _tiers(pieces: pd.DataFrame) -> list[str]:
    return [tier for tier in LINK_TIERS if f"{tier}_code" in pieces]


def authority_links(
    pieces: pd.DataFrame,
    owner: str,
    weights: Sequence[str],
    *,
    straddle_share: float = STRADDLE_SHARE,
    relation_weight: str | None = None,
    partner_size: float | None = None,
) -> pd.DataFrame:
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
    straddle_share
        Share above which an authority shares the owner rather than touching it.
    relation_weight
        The weight column ``relation`` is judged on (default: the first of ``weights``).
    partner_size
        An authority holding at least this much of that weight shares the owner whatever its
        share (see :func:`governance_flags`); None judges on shares alone.

    Returns
    -------
    pandas.DataFrame
        ``owner, tier, authority_code, authority_name, n_pieces, <weight>, <weight>_share,
        relation``, sorted by owner, tier (lowest first) and descending share of the first
        weight. ``relation`` is ``lead`` (the largest share of the tier, ties to the
        smaller code), ``shares`` (more than ``straddle_share``, or at least
        ``partner_size``) or ``touches``.
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
        return pd.DataFrame(columns=[*columns, "relation"])
    links = pd.concat(frames, ignore_index=True)[columns]
    judged = f"{relation_weight or weights[0]}_share"
    links["tier_order"] = links["tier"].map(LINK_TIERS.index)
    links = links.sort_values(
        [owner, "tier_order", judged, "authority_code"], ascending=[True, True, False, True]
    )
    lead = ~links.duplicated([owner, "tier"])
    partner = (links[judged] > straddle_share) | _large(
        links[relation_weight or weights[0]], partner_size
    )
    links["relation"] = np.where(lead, "lead", np.where(partner, "shares", "touches"))
    if relation_weight is not None and relation_weight != weights[0]:
        links = links.sort_values(
            [owner, "tier_order", f"{weights[0]}_share", "authority_code"],
            ascending=[True, True, False, True],
        )
    return links.drop(columns="tier_order").reset_index(drop=True)


def governance_flags(
    pieces: pd.DataFrame,
    owner: str,
    weight: str,
    *,
    straddle_share: float = STRADDLE_SHARE,
    partner_size: float | None = None,
) -> pd.DataFrame:
    """Straddle flags, touches, combined-authority status, lead district and governance gap.

    ``weight`` is the column shares are measured in (employment for clusters; employment,
    or land where employment cannot place a site's jobs, for sites); pieces with zero weight
    still count as touching (a member area with no employment in the industry is still part
    of the cluster). See the module docstring for the rules.

    ``partner_size``: an authority other than the lead holding at least this much of the
    weight shares the owner (and makes it straddle the tier) whatever its share. A finding's
    piece as large as a whole cluster must be is never a mere touch: in a £62bn cluster, a
    district's £2.6bn is 4% of it. None judges on shares alone.
    """
    tiers = _tiers(pieces)
    out = pd.DataFrame(index=pd.Index(pieces[owner].unique(), name=owner))
    total = pieces.groupby(owner)[weight].sum()
    best_share = pd.Series(0.0, index=out.index)

    def shares(tier: str) -> pd.DataFrame:
        """Each owner's authorities of the tier, largest share first (ties: smaller code)."""
        known = pieces.loc[pieces[f"{tier}_code"].notna()]
        grouped = known.groupby([owner, f"{tier}_code"])
        frame = grouped[weight].sum().rename("weight").reset_index()
        frame["name"] = grouped[f"{tier}_name"].first().to_numpy()
        frame["share"] = (frame["weight"] / frame[owner].map(total).astype("float64")).fillna(0.0)
        return frame.sort_values([owner, "share", f"{tier}_code"], ascending=[True, False, True])

    def outside_lead(frame: pd.DataFrame) -> pd.Series:
        """Share in the tier's other authorities (pieces in none of them are unknown)."""
        others = frame.loc[frame.duplicated(owner)]
        return others.groupby(owner)["share"].sum().reindex(out.index, fill_value=0.0)

    touches: dict[object, list[str]] = {key: [] for key in out.index}
    listed: dict[object, set[str]] = {key: set() for key in out.index}
    plural = {"district": "districts", "upper_tier": "counties", "region": "regions"}
    for tier in [t for t in plural if t in tiers]:
        frame = shares(tier)
        large = _large(frame["weight"], partner_size)
        others = frame.duplicated(owner)
        out[f"straddles_{plural[tier]}"] = straddles = (outside_lead(frame) > straddle_share) | (
            (others & large).groupby(frame[owner]).any().reindex(out.index, fill_value=False)
        )
        lead = frame.drop_duplicates(owner)
        spills = frame.loc[others & (frame["share"] <= straddle_share) & ~large]
        for row in spills.itertuples():
            key, code = getattr(row, owner), str(getattr(row, f"{tier}_code"))
            # A unitary district is its own upper tier: name it once.
            if code not in listed[key]:
                listed[key].add(code)
                touches[key].append(f"{row.name} ({TIER_LABELS[tier]}) {row.share:.1%}")
        if tier == "district":
            kept = frame.loc[~others | (frame["share"] > straddle_share) | large]
            out["n_districts"] = kept.groupby(owner).size().reindex(out.index, fill_value=0)
            out["single_district"] = ~straddles
            out["districts"] = (
                kept.groupby(owner)["name"]
                .agg(lambda s: "; ".join(sorted(set(map(str, s)))))
                .reindex(out.index)
            )
            lead = lead.set_index(owner)
            out["lead_district"] = lead["name"].reindex(out.index)
            out["lead_share"] = lead["share"].reindex(out.index)
    if "combined_authority" in tiers:
        frame = shares("combined_authority")
        inside = frame.groupby(owner)["share"].sum().reindex(out.index, fill_value=0.0)
        lead_share = frame.groupby(owner)["share"].max().reindex(out.index, fill_value=0.0)
        out["ca_status"] = np.select(
            [
                inside <= straddle_share,
                lead_share >= 1.0 - straddle_share,
                1.0 - inside > straddle_share,
            ],
            ["outside_any_ca", "within_one_ca", "partly_outside_ca"],
            "split_across_cas",
        )
        # A combined authority with a small share only touches the owner; the lead one
        # too when the owner lies outside every combined authority.
        outside_all = frame[owner].map(out["ca_status"] == "outside_any_ca").astype(bool)
        small = frame.loc[
            (frame["share"] > 0)
            & (frame["share"] <= straddle_share)
            & (frame.duplicated(owner) | outside_all)
        ]
        for row in small.itertuples():
            touches[getattr(row, owner)].append(
                f"{row.name} ({TIER_LABELS['combined_authority']}) {row.share:.1%}"
            )
    out["touches"] = pd.Series({key: "; ".join(items) for key, items in touches.items()})
    governing = [t for t in GOVERNING_TIERS if t in tiers]
    for tier in governing:
        best = shares(tier).groupby(owner)["share"].max().reindex(out.index, fill_value=0.0)
        best_share = best_share.combine(best, max)
    if governing:
        out["governance_gap"] = best_share <= MAJORITY
    return out.reset_index()


def _large(weights: pd.Series, partner_size: float | None) -> pd.Series:
    """Which weights are at least ``partner_size`` (none when it is None)."""
    if partner_size is None:
        return pd.Series(False, index=weights.index)
    return weights.astype("float64") >= partner_size


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
