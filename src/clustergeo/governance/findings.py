"""Who governs each finding: its core and its extent placed on every authority tier.

A finding (a cluster or a concentration, :mod:`clustergeo.clusters.findings`) is placed twice,
through its member areas: by its **core** and by its **extent** (the core with the significant
hot areas around it), so a span that crosses a boundary only through its extent is seen. For
a concentration the two are the same areas. The pieces are the member areas, weighted by their
employment in the finding's industry, and the links, flags and shares are those of
:mod:`clustergeo.governance.overlay`: the core's flags under their own names, the extent's as
``extent_<flag>``, and every authority link with its ``part`` (``core`` or ``extent``).

The ``governance`` stage and :func:`clustergeo.api.govern` both call :func:`govern_findings`,
so a notebook and a run place findings alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from clustergeo.governance.overlay import (
    LINK_TIERS,
    STRADDLE_SHARE,
    authority_links,
    governance_flags,
    nearby_authorities,
)

__all__ = [
    "GovernedFindings",
    "finding_names",
    "govern_findings",
    "partner_size",
    "plain_name",
]

#: The parts a finding is placed by, in the order their links are listed.
PARTS = ("core", "extent")


@dataclass(frozen=True)
class GovernedFindings:
    """The findings with their flags, and every finding-authority link."""

    findings: gpd.GeoDataFrame
    links: pd.DataFrame


def _id_column(governed: pd.DataFrame) -> str | None:
    """The findings' ID column: ``cluster_id``, or a symbiosis zone's ``zone_id``."""
    return next((c for c in ("cluster_id", "zone_id") if c in governed), None)


def finding_names(
    governed: pd.DataFrame,
    areas: gpd.GeoDataFrame | None = None,
    shares: pd.Series | None = None,
) -> pd.Series:
    """'Manufacturing: Hinckley and Bosworth / Nuneaton and Bedworth' (up to two districts).

    The finding's ``label``, then its lead district and the other districts it straddles (by
    their place names: 'Herefordshire' for ONS's 'Herefordshire, County of'), as
    ``districts`` and ``lead_district`` of
    :func:`~clustergeo.governance.overlay.governance_flags` give them: the others largest
    first by ``shares`` (each finding's share in each district, indexed by its ID,
    ``cluster_id`` or a symbiosis zone's ``zone_id``, and district name), so the second name
    is the district that holds most after the lead, else alphabetically; the label alone when
    no district is known.

    With ``governed`` a GeoDataFrame of the findings' cores and ``areas`` the run's areas
    (``area_code``, ``area_name``, ``district_name`` and polygons), findings that would share
    a name are told apart, since a report that names three findings 'Manufacturing:
    Leicester' leaves its reader to guess which is meant: each gets the compass point of its
    core from the centre of its lead district ('Manufacturing: Leicester, north'; 'central'
    within a quarter of the district's radius), and where that is shared too, the name of the
    area it is anchored on instead: 'Manufacturing: Telford and Wrekin 023', as ONS names
    areas after their district, else 'Manufacturing: Dudley / Sandwell, <area name>' (a
    finding in no district: 'Manufacturing: <area name>'). Should names still repeat, each
    takes its ID in brackets, so no two findings of a run share one.
    """
    share_of = {} if shares is None else shares.to_dict()
    ids = _id_column(governed)
    names = []
    for row in governed.itertuples():
        districts = getattr(row, "districts", "")
        # A finding whose areas have no district has a missing value here, not a name.
        parts = [d for d in districts.split("; ") if d] if isinstance(districts, str) else []
        lead = getattr(row, "lead_district", None)
        finding = getattr(row, ids, None) if ids else None
        others = sorted(
            (p for p in parts if p != lead), key=lambda p: (-share_of.get((finding, p), 0.0), p)
        )
        if isinstance(lead, str) and lead in parts:
            parts = [lead, *others]
        place = " / ".join(plain_name(p) for p in parts[:2]) + (
            " and others" if len(parts) > 2 else ""
        )
        names.append(f"{row.label}: {place}" if place else str(row.label))
    named = pd.Series(names, index=governed.index)
    if areas is None or not isinstance(governed, gpd.GeoDataFrame):
        return named
    return _told_apart(named, governed, areas)


#: The inverted forms ONS gives some authorities ("Herefordshire, County of", "Bristol, City
#: of"), which read as odd place names in a finding's name.
_INVERTED_SUFFIXES = (", County of", ", City of")


def plain_name(district: str) -> str:
    """A district's name as a place name: 'Herefordshire', not 'Herefordshire, County of'."""
    for suffix in _INVERTED_SUFFIXES:
        if district.endswith(suffix):
            return district.removesuffix(suffix)
    return district


#: Compass points counter-clockwise from east, 45 degrees each, as bearings are measured.
_COMPASS = (
    "east",
    "north-east",
    "north",
    "north-west",
    "west",
    "south-west",
    "south",
    "south-east",
)
#: A core this close to its district's centre, as a share of the radius of a circle of the
#: district's area, is 'central' rather than in a direction.
_CENTRAL_SHARE = 0.25


def _told_apart(names: pd.Series, governed: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """``names`` with the shared ones told apart by direction, else by anchor area (above)."""
    shared = names.duplicated(keep=False)
    if not shared.any():
        return names
    base, names = names, names.copy()
    directions = _directions(governed.loc[shared], areas)
    names[shared] = [
        f"{names[i]}, {directions[i]}" if directions[i] else names[i] for i in names.index[shared]
    ]
    still_shared = names.duplicated(keep=False)
    if still_shared.any() and "anchor_area_code" in governed:
        names[still_shared] = _by_anchor_area(base[still_shared], governed.loc[still_shared], areas)
    # Whatever the data, no two findings (or zones) of a run share a name: the last resort is
    # the ID.
    ids = _id_column(governed)
    if ids is not None:
        last = names.duplicated(keep=False)
        names[last] = names[last] + " (" + governed.loc[last, ids].astype(str) + ")"
    return names


def _directions(repeated: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """The compass point of each finding's core from its lead district's centre, or ''."""
    directions = pd.Series("", index=repeated.index)
    if "district_name" not in areas or "lead_district" not in repeated:
        return directions
    districts = areas.loc[areas["district_name"].isin(repeated["lead_district"])]
    district_area = districts.geometry.area.groupby(districts["district_name"]).sum()
    centres = districts.geometry.centroid
    weights = districts.geometry.area
    centre_x = (centres.x * weights).groupby(districts["district_name"]).sum() / district_area
    centre_y = (centres.y * weights).groupby(districts["district_name"]).sum() / district_area
    cores = repeated.geometry.centroid
    for index, lead in repeated["lead_district"].items():
        core = cores[index]
        if not isinstance(lead, str) or lead not in district_area.index or core is None:
            continue
        if core.is_empty:
            continue
        dx, dy = core.x - centre_x[lead], core.y - centre_y[lead]
        radius = np.sqrt(district_area[lead] / np.pi)
        if np.hypot(dx, dy) < _CENTRAL_SHARE * radius:
            directions[index] = "central"
        else:
            directions[index] = _COMPASS[round(np.degrees(np.arctan2(dy, dx)) / 45) % 8]
    return directions


def _by_anchor_area(
    base: pd.Series, shared: gpd.GeoDataFrame, areas: gpd.GeoDataFrame
) -> list[str]:
    """Each name with its anchor area's name: in place of its district's, or after it."""
    area_names = (
        {
            str(code): str(name)
            for code, name in zip(areas["area_code"], areas["area_name"], strict=True)
            if isinstance(name, str) and name
        }
        if "area_name" in areas
        else {}
    )
    leads = shared.get("lead_district", pd.Series(None, index=shared.index))
    named = []
    for index, code in shared["anchor_area_code"].items():
        if not isinstance(code, str) or not code:
            named.append(base[index])
            continue
        area = area_names.get(code, code)
        label, lead = str(shared.loc[index, "label"]), leads[index]
        # ONS names an area after its district ('Telford and Wrekin 023'): such a name stands
        # in for the district's, rather than repeating it; a finding placed in no district is
        # named by its area alone.
        alone = isinstance(lead, str) and base[index] == f"{label}: {lead}"
        if base[index] == label or (alone and area.startswith(lead)):
            named.append(f"{label}: {area}")
        else:
            named.append(f"{base[index]}, {area}")
    return named


def _pieces(members: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Member areas with their authorities; a member without employment weighs zero."""
    pieces = members.merge(areas, on="area_code", how="left")
    pieces["employment"] = pieces["employment"].fillna(0.0)
    return pieces


def partner_size(cluster_record: Mapping[str, Any]) -> float | None:
    """How much of a finding an authority must hold to share it, whatever its share.

    As much as one place must hold to be a concentration in its own right
    (``clusters.concentrations.min_employment``: 1,000 jobs by default): such a piece is
    never a mere touch, though in a very large finding it is a small share of it (West
    Berkshire's £2.6bn of the M4 corridor's £62bn information and communication, 4%). None
    (shares alone) for a record without the rule.
    """
    rule = cluster_record.get("concentrations") or {}
    size = rule.get("min_employment")
    return None if size is None else float(size)


def govern_findings(
    findings: gpd.GeoDataFrame,
    members: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    *,
    straddle_share: float = STRADDLE_SHARE,
    edge_distance_m: float = 1000.0,
    partner_size: float | None = None,
) -> GovernedFindings:
    """Place every finding's core and extent on the authority tiers, with flags and names.

    Parameters
    ----------
    findings
        One row per finding: ``cluster_id``, ``label`` and the core polygon.
    members
        One row per finding and member area: ``cluster_id``, ``area_code``, ``part``
        (``core``, or ``extent`` for an area of the extent only) and ``employment``, the
        area's employment in the finding's industry (missing counts as zero).
    areas
        The run's areas: ``area_code``, ``area_km2``, the ``<tier>_code`` / ``<tier>_name``
        columns of every tier known (the upper tier added by
        :func:`~clustergeo.governance.overlay.add_upper_tier`), and their polygons, which
        find the authorities near a finding.
    straddle_share
        Share of a finding's employment outside the lead authority of a tier above which it
        straddles the tier (see :mod:`clustergeo.governance.overlay`).
    edge_distance_m
        Authorities within this distance of a finding's core that it does not reach are
        named in ``near_authorities`` (and ``edge`` is set).
    partner_size
        Employment (or GVA) at or above which an authority's piece of a finding shares it
        whatever its share (:func:`partner_size`). None judges on shares alone.

    Returns
    -------
    GovernedFindings
        ``findings``: the findings with ``name`` after ``cluster_id``, the flags of their
        core, the same flags of their extent prefixed ``extent_``, ``near_authorities`` and
        ``edge``; ``links``: :func:`~clustergeo.governance.overlay.authority_links` of the
        core, then of the extent, each with its ``part``.
    """
    tier_columns = [
        c for tier in LINK_TIERS for c in (f"{tier}_code", f"{tier}_name") if c in areas
    ]
    placed = pd.DataFrame(areas[["area_code", *tier_columns, "area_km2"]])
    by_part = {
        part: _pieces(
            members if part == "extent" else members.loc[members["part"] == "core"], placed
        )
        for part in PARTS
    }
    links = pd.concat(
        [
            authority_links(
                pieces,
                "cluster_id",
                ["employment", "area_km2"],
                straddle_share=straddle_share,
                partner_size=partner_size,
            ).assign(part=part)
            for part, pieces in by_part.items()
        ],
        ignore_index=True,
    )
    flags, extent_flags = (
        governance_flags(
            by_part[part],
            "cluster_id",
            "employment",
            straddle_share=straddle_share,
            partner_size=partner_size,
        )
        for part in ("core", "extent")
    )
    extent_flags = extent_flags.rename(
        columns={c: f"extent_{c}" for c in extent_flags.columns if c != "cluster_id"}
    )
    core_links = links.loc[links["part"] == "core"].drop(columns="part")
    near = nearby_authorities(findings, "cluster_id", areas, core_links, edge_distance_m)
    governed = findings.merge(flags, on="cluster_id", how="left").merge(
        extent_flags, on="cluster_id", how="left"
    )
    governed["near_authorities"] = governed["cluster_id"].map(near).astype(object).fillna("")
    governed["edge"] = governed["near_authorities"] != ""
    district_links = core_links.loc[core_links["tier"] == "district"]
    governed["name"] = finding_names(
        governed,
        areas,
        district_links.set_index(["cluster_id", "authority_name"])["employment_share"],
    )
    governed = governed[
        ["cluster_id", "name", *[c for c in governed if c not in ("cluster_id", "name")]]
    ]
    return GovernedFindings(findings=governed, links=links)
