"""Who must co-operate to close a loop: zones and gaps through the governance overlay.

Each zone and gap is placed on the authority tiers through its core areas, like a cluster
(:mod:`clustergeo.governance.overlay`): the whole zone, weighted by the employment of both
sides, gets the usual flags (``districts``, ``straddles_counties``, ``ca_status``,
``governance_gap``...). Then each side is placed on its own, weighted by its own employment:
the producers through their findings' cores, the users through theirs. Each side has a
**lead** authority per tier (the largest share), and it is *in* a combined authority when one
holds more than half of its employment.

**Co-operation** (``cooperation``), the most demanding of, in this order:

``across_combined_authorities``
    the producers' and users' combined authorities differ;
``combined_authority_and_outside``
    one side is in a combined authority, the other in none (a CA on one side of the line);
``across_counties``
    their lead counties or unitary authorities differ;
``across_districts``
    their lead districts differ (within one county);
``one_district``
    both are led from one district: no agreement between authorities is needed.

``cooperation_needed`` is true for all but ``one_district``: these are the co-operation
agreements between authorities that a loop across the line needs. ``agreement`` names the
parties (each side's lead authority at the tier that differs) and ``broker`` the smallest
authority holding both leads, which could convene it: the county for two districts of one
county (in two-tier areas it is also the waste disposal authority, the districts collect),
the combined authority for two counties or unitaries inside one, or ``none`` when no single
authority holds both. A gap is placed like a zone on its producers
alone; its ``lead_district`` and ``ca_status`` say who could seed a loop there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from clustergeo.governance.overlay import (
    MAJORITY,
    authority_links,
    governance_flags,
)
from clustergeo.governance.summaries import percent

__all__ = ["COOPERATION_LEVELS", "zone_governance"]

#: Co-operation levels, most demanding first.
COOPERATION_LEVELS = (
    "across_combined_authorities",
    "combined_authority_and_outside",
    "across_counties",
    "across_districts",
    "one_district",
)
_TIERS = ("district", "upper_tier", "combined_authority")


def _pieces(
    members: pd.DataFrame,
    zones: pd.DataFrame,
    areas: pd.DataFrame,
    side_employment: Mapping[str, pd.Series],
) -> pd.DataFrame:
    """Core areas of every zone and gap, per side, with their authorities and employment."""
    stream = zones.set_index("zone_id")["stream"]
    core = members.loc[(members["part"] == "core") & members["side"].isin(["producers", "users"])]
    employment = [
        side_employment[f"{s}_{side}"].get(code, 0.0)
        for s, side, code in zip(
            core["zone_id"].map(stream), core["side"], core["area_code"], strict=True
        )
    ]
    pieces = core.assign(employment=np.nan_to_num(np.asarray(employment, dtype="float64")))
    return pieces.merge(areas, on="area_code", how="left")


def _leads(pieces: pd.DataFrame, share: float) -> pd.DataFrame:
    """Each zone's lead authority (code and name) and its share, per tier, as columns."""
    links = authority_links(pieces, "zone_id", ["employment"], straddle_share=share)
    lead = links.loc[links["relation"] == "lead"]
    out = pd.DataFrame(index=pd.Index(pieces["zone_id"].unique(), name="zone_id"))
    for tier in _TIERS:
        rows = lead.loc[lead["tier"] == tier].set_index("zone_id")
        out[f"{tier}_code"] = rows["authority_code"].reindex(out.index)
        out[f"{tier}_name"] = rows["authority_name"].reindex(out.index)
        out[f"{tier}_share"] = rows["employment_share"].reindex(out.index)
    return out


def _party(side: pd.Series, in_ca: str | None, name: str) -> str:
    """A side as a party: its combined authority, or else its lead county or unitary.

    A side mostly outside any combined authority says how much of it lies in one
    ("Warwickshire (producers, 46% of them in West Midlands)"): a loop there need not start
    from nothing.
    """
    if in_ca:
        return f"{in_ca} ({name})"
    share = side.get("combined_authority_share")
    part = (
        f", {percent(float(share))} of them in {side.get('combined_authority_name')}"
        if share is not None and not pd.isna(share) and float(share) > 0
        else ""
    )
    return f"{side.get('upper_tier_name')} ({name}{part})"


def _level(producers: pd.Series, users: pd.Series) -> tuple[str, str, str]:
    """(cooperation level, agreement text, broker) of one zone from its sides' leads."""

    def in_ca(side: pd.Series) -> str | None:
        share = side.get("combined_authority_share")
        if share is None or pd.isna(share) or float(share) <= MAJORITY:
            return None
        return str(side["combined_authority_name"])

    p_ca, u_ca = in_ca(producers), in_ca(users)

    def parties(tier: str) -> str:
        return (
            f"{producers.get(f'{tier}_name')} (producers) and {users.get(f'{tier}_name')} (users)"
        )

    same_county = producers.get("upper_tier_code") == users.get("upper_tier_code")
    if p_ca and u_ca and p_ca != u_ca:
        return "across_combined_authorities", parties("combined_authority"), "none"
    if bool(p_ca) != bool(u_ca):
        return (
            "combined_authority_and_outside",
            f"{_party(producers, p_ca, 'producers')} and {_party(users, u_ca, 'users')}",
            "none",
        )
    if not same_county:
        return "across_counties", parties("upper_tier"), str(p_ca) if p_ca else "none"
    if producers.get("district_code") != users.get("district_code"):
        # The county holds both districts, and in two-tier areas it is the waste disposal
        # authority to the districts' collection: the smaller authority, and the one to convene.
        return "across_districts", parties("district"), str(producers.get("upper_tier_name"))
    return "one_district", "", str(producers.get("district_name"))


def zone_governance(
    zones: pd.DataFrame,
    members: pd.DataFrame,
    areas: pd.DataFrame,
    side_employment: Mapping[str, pd.Series],
    *,
    straddle_share: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The governance flags and co-operation level of every zone and gap.

    Parameters
    ----------
    zones
        Zones and gaps (``zone_id``, ``kind``, ``stream``).
    members
        ``zone_id, area_code, part, side`` (see :func:`~clustergeo.circular.zones.find_zones`).
    areas
        Areas with their authorities (``<tier>_code``/``<tier>_name``, the upper tier added).
    side_employment
        Each side key's employment per area.
    straddle_share
        The run's ``governance.straddle_share``.

    Returns
    -------
    flags, links
        ``flags``: one row per zone or gap with the overlay's flags of the whole zone, each
        side's lead ``producers_<tier>_name`` / ``users_<tier>_name``, ``cooperation``,
        ``cooperation_needed``, ``agreement`` and ``broker``; ``links``: every authority
        each zone touches, per ``side`` (``zone``, ``producers``, ``users``), with
        employment shares and ``relation``.
    """
    pieces = _pieces(members, zones, areas, side_employment)
    if pieces.empty:
        return pd.DataFrame({"zone_id": pd.Series(dtype=str)}), pd.DataFrame()
    whole = pieces.groupby(["zone_id", "area_code"], as_index=False).agg(
        {"employment": "sum", **{c: "first" for c in areas.columns if c != "area_code"}}
    )
    flags = governance_flags(whole, "zone_id", "employment", straddle_share=straddle_share)
    links = [
        authority_links(whole, "zone_id", ["employment"], straddle_share=straddle_share).assign(
            side="zone"
        )
    ]
    sides = {}
    for side in ("producers", "users"):
        part = pieces.loc[pieces["side"] == side]
        if part.empty:
            continue
        sides[side] = _leads(part, straddle_share)
        links.append(
            authority_links(part, "zone_id", ["employment"], straddle_share=straddle_share).assign(
                side=side
            )
        )
        flags = flags.merge(
            sides[side].add_prefix(f"{side}_").reset_index(), on="zone_id", how="left"
        )
    levels: list[tuple[str | None, str, str]] = []
    producers = sides.get("producers", pd.DataFrame())
    users = sides.get("users", pd.DataFrame())
    kind = zones.set_index("zone_id")["kind"]
    for zone_id in flags["zone_id"]:
        if kind.get(zone_id) != "zone" or zone_id not in users.index:
            levels.append((None, "", ""))
            continue
        levels.append(_level(producers.loc[zone_id], users.loc[zone_id]))
    flags["cooperation"] = [lvl for lvl, _a, _b in levels]
    flags["cooperation_needed"] = [
        lvl is not None and lvl != "one_district" for lvl, _a, _b in levels
    ]
    flags["agreement"] = [a for _l, a, _b in levels]
    flags["broker"] = [b for _l, _a, b in levels]
    return flags, pd.concat(links, ignore_index=True)
