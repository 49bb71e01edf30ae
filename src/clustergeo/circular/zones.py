r"""Symbiosis opportunity zones, where a stream's producers and users sit close, and gaps.

For each stream, the producers and the users are found like any industry: their **findings**
(:func:`clustergeo.clusters.findings.build_findings` on each side's LQ), clusters with a core
and an extent, and single-place concentrations. Then:

* a producer finding and a user finding are **linked** when their cores lie within
  ``distance_km`` of each other (touching or overlapping is 0 km), or when a group of
  neighbouring **co-located** areas (a significant bivariate Local Moran ``HH`` either way,
  :mod:`~clustergeo.circular.colocation`) touches both: has an area in, or next to, each
  one's extent;
* a **zone** is a connected group of linked findings with at least one producer finding and
  one user finding. Its **core** is the cores of its findings, its **extent** adds their
  extents and the co-located areas linking them. Its parts are separate when findings are
  linked by distance only (``n_parts``). It carries the employment on each side, the shortest
  producer-to-user distance and how it was linked (``colocated``, ``distance`` or both);
* a producer finding with no user finding linked to it is looked at once more: the users'
  employment in the areas whose centroid lies within ``distance_km`` of its core, against all
  employment there, gives the users' location quotient within reach,

  .. math:: LQ^{reach} = \frac{\sum_{m \in R} e_{m,u} / \sum_{m \in R} E_m}{s_u}

  with :math:`e_{m,u}` the users' employment of area *m*, :math:`E_m` all its employment,
  :math:`R` the areas within reach and :math:`s_u` the users' share of the run's reference
  employment (the share their LQ is measured against), with the run's confidence interval
  (Moineddin, Beyene & Boyle 2003; :func:`clustergeo.concentration.location_quotients`).
  When the whole interval lies below 1, users are significantly scarcer within reach than in
  the reference economy: the finding is a **gap**, the place a programme could seed a loop.
  Otherwise users are there in ordinary numbers, only not concentrated: the finding is
  **scattered** (kind ``scattered``), a place to broker links with the firms already near
  rather than to seed new ones. Both carry the distance to the nearest user finding, the
  users' employment within reach, :math:`LQ^{reach}` and its upper bound
  (``users_nearby_lq``, ``users_nearby_lq_upper``).

**Stable IDs.** ``<stream>-<anchor area>``, the anchor being the anchor area of the zone's
largest producer finding (most employment, ties to the smaller ID), or of the gap's (or
scattered finding's) producer finding. A producer finding belongs to one zone or is one gap
(or scattered finding), and findings of one side never share an area, so IDs are unique;
they depend only on the stream's own findings, so the same inputs and settings give the same
IDs on any machine and in any row order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from clustergeo.circular.matrix import Stream, side_key
from clustergeo.clusters.delineate import join_neighbours
from clustergeo.concentration import LqSettings, location_quotients
from clustergeo.coverage import AreaCoverage
from clustergeo.hotspots.weights import SpatialWeights

__all__ = ["ZONE_COLUMNS", "Reference", "Zones", "find_zones"]

#: Attribute columns of the zones-and-gaps table, before the governance flags.
ZONE_COLUMNS = (
    "zone_id",
    "kind",
    "stream",
    "label",
    "material",
    "anchor_area_code",
    "producer_ids",
    "user_ids",
    "n_producer_findings",
    "n_user_findings",
    "producer_employment",
    "user_employment",
    "users_nearby_employment",
    "users_nearby_lq",
    "users_nearby_lq_upper",
    "linked_by",
    "distance_km",
    "nearest_user_id",
    "nearest_user_km",
    "n_colocated_areas",
    "n_units",
    "extent_n_units",
    "member_codes",
    "n_parts",
)


@dataclass
class Zones:
    """Zones and gaps (core polygons), their extents and member areas."""

    zones: gpd.GeoDataFrame
    extents: gpd.GeoDataFrame
    members: pd.DataFrame


def _side_findings(findings: pd.DataFrame, stream: str, side: str) -> pd.DataFrame:
    rows = findings.loc[findings["industry_code"].astype(str) == side_key(stream, side)]
    # Largest first, ties to the smaller ID: the order anchors and reports use.
    return rows.sort_values(["employment", "cluster_id"], ascending=[False, True])


def _areas_of(members: pd.DataFrame) -> dict[str, set[str]]:
    return {
        str(key): set(group["area_code"].astype(str))
        for key, group in members.groupby("cluster_id", sort=False)
    }


def _neighbourhood(codes: set[str], weights: SpatialWeights, position: pd.Series) -> set[str]:
    """``codes`` and every area either lists as a neighbour."""
    index = position.reindex(sorted(codes)).dropna().to_numpy(dtype=np.int64)
    if index.size == 0:
        return set(codes)
    adjacency = weights.matrix + weights.matrix.T
    touched = np.unique(adjacency[index].indices) if adjacency[index].nnz else np.array([], int)
    return set(codes) | {str(weights.ids[i]) for i in touched}


def _colocation_groups(
    colocated: Sequence[str], weights: SpatialWeights, position: pd.Series
) -> list[tuple[set[str], set[str]]]:
    """Groups of neighbouring co-located areas: (their codes, the codes and their neighbours)."""
    if not colocated:
        return []
    codes = pd.Series(sorted(colocated))
    labels = join_neighbours(codes, weights)
    groups = []
    for label in np.unique(labels):
        members = set(codes[labels == label])
        groups.append((members, _neighbourhood(members, weights, position)))
    return groups


@dataclass(frozen=True)
class Reference:
    """The run's LQ reference and confidence level, which users within reach are judged by."""

    area_totals: pd.Series
    """Each area's employment in all industries, by area code."""
    shares: Mapping[str, float]
    """Each side key's share of the reference employment."""
    total: float
    """The reference's total employment."""
    confidence_level: float


@dataclass(frozen=True)
class _Context:
    """What every stream's zones are built from: findings, their areas and the geography."""

    findings: pd.DataFrame
    core_members: Mapping[str, set[str]]
    extent_members: Mapping[str, set[str]]
    core_shape: gpd.GeoSeries
    colocation: pd.DataFrame
    weights: SpatialWeights
    position: pd.Series
    areas: gpd.GeoDataFrame
    side_employment: Mapping[str, pd.Series]
    reference: Reference
    distance_m: float


def find_zones(
    findings: gpd.GeoDataFrame,
    members: pd.DataFrame,
    colocation: pd.DataFrame,
    *,
    streams: Sequence[Stream],
    weights: SpatialWeights,
    areas: gpd.GeoDataFrame,
    side_employment: Mapping[str, pd.Series],
    reference: Reference,
    distance_km: float,
) -> Zones:
    """Zones and gaps of every stream (see the module docstring).

    Parameters
    ----------
    findings, members
        Findings of every stream side (``industry_code`` is the side's key,
        ``<stream>_producers`` or ``<stream>_users``) with their core polygons, and their
        member areas (``cluster_id, area_code, part``).
    colocation
        The local co-location table (``area_code``, ``stream``, ``colocated``).
    streams
        The streams run.
    weights
        The run's spatial weights (neighbouring co-located areas are joined by them).
    areas
        The study area's areas with their polygons (EPSG:27700).
    side_employment
        Each side key's employment per area (indexed by area code).
    reference
        The run's LQ reference: users within reach of a producer finding are judged by it.
    distance_km
        Largest core-to-core distance at which a producer and a user finding are linked.

    Returns
    -------
    Zones
        ``zones``: one row per zone, gap or scattered producer finding (``kind``), core
        polygons, sorted by stream, kind
        and ID; ``extents``: extent polygons; ``members``: ``zone_id, area_code, part, side``
        (``part``: ``core`` or ``extent``; ``side``: ``producers``, ``users`` or
        ``colocated``).
    """
    context = _Context(
        findings=findings,
        core_members=_areas_of(members.loc[members["part"] == "core"]),
        extent_members=_areas_of(members),
        core_shape=findings.set_index("cluster_id").geometry,
        colocation=colocation,
        weights=weights,
        position=pd.Series(np.arange(weights.n), index=weights.ids),
        areas=areas,
        side_employment=side_employment,
        reference=reference,
        distance_m=distance_km * 1000.0,
    )
    area_shape = areas.set_index("area_code").geometry
    rows: list[dict[str, object]] = []
    member_rows: list[pd.DataFrame] = []
    for stream in streams:
        for row, zone_members in _stream_zones(context, stream):
            _collect(row, zone_members, area_shape, rows, member_rows)
    # The gaps between a zone's areas that its polygons enclose are filled (clustergeo.coverage).
    coverage = AreaCoverage(area_shape)
    cores = list(coverage.without_gaps([row.pop("_core") for row in rows]))
    extents = list(coverage.without_gaps([row.pop("_extent") for row in rows]))
    return _assemble(rows, member_rows, cores, extents, areas.crs)


def _link_graph(
    context: _Context, stream: Stream, producers: pd.DataFrame, users: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, list[set[str]], dict[int, int]]:
    """Link a stream's findings: the component of each node, and what the links rest on.

    Returns each node's component label (producer findings, then user findings, then the
    co-located groups that link both sides), the producer x user core distances (m), every
    co-located group's areas and the node of each linking group.
    """
    ids = [*producers["cluster_id"].astype(str), *users["cluster_id"].astype(str)]
    n_p = len(producers)
    edges: list[tuple[int, int]] = []
    distances = np.array(
        [
            [float(context.core_shape[p].distance(context.core_shape[u])) for u in ids[n_p:]]
            for p in ids[:n_p]
        ]
    ).reshape(n_p, len(ids) - n_p)
    edges += [
        (a, n_p + b) for a, b in zip(*np.nonzero(distances <= context.distance_m), strict=True)
    ]
    table = context.colocation
    chosen = table.loc[(table["stream"] == stream.key) & table["colocated"].astype(bool)]
    groups = _colocation_groups(
        list(chosen["area_code"].astype(str)), context.weights, context.position
    )
    group_node: dict[int, int] = {}
    for g, (_codes, reach) in enumerate(groups):
        touched = [i for i, cid in enumerate(ids) if context.extent_members.get(cid, set()) & reach]
        # A group links only when it reaches findings of both sides.
        if any(t < n_p for t in touched) and any(t >= n_p for t in touched):
            group_node[g] = len(ids) + len(group_node)
            edges += [(group_node[g], t) for t in touched]
    size = len(ids) + len(group_node)
    graph = coo_array(
        (np.ones(len(edges)), ([e[0] for e in edges], [e[1] for e in edges])), shape=(size, size)
    )
    _n, label = connected_components(graph, directed=False)
    return np.asarray(label), distances, [g[0] for g in groups], group_node


def _stream_zones(
    context: _Context, stream: Stream
) -> list[tuple[dict[str, object], pd.DataFrame]]:
    """The zones and gaps of one stream, as (row, members) pairs."""
    producers = _side_findings(context.findings, stream.key, "producers")
    users = _side_findings(context.findings, stream.key, "users")
    n_p, n_u = len(producers), len(users)
    if n_p == 0:
        return []
    label, distances, groups, group_node = _link_graph(context, stream, producers, users)
    found = []
    for component in np.unique(label):
        inside = set(np.flatnonzero(label == component).tolist())
        in_p = sorted(i for i in inside if i < n_p)
        in_u = sorted(i - n_p for i in inside if n_p <= i < n_p + n_u)
        if not in_p:
            continue
        if not in_u:
            # A producer finding linked to no user: a gap, or scattered users within reach.
            for a in in_p:
                found.append(_gap(context, stream, producers.iloc[a], users, distances[a]))
            continue
        in_groups = [g for g, node in group_node.items() if node in inside]
        closest = float(distances[np.ix_(in_p, in_u)].min())
        linked_by = [
            how
            for how, holds in (
                ("colocated", bool(in_groups)),
                ("distance", closest <= context.distance_m),
            )
            if holds
        ]
        found.append(
            _zone(
                context,
                stream,
                producers.iloc[in_p],
                users.iloc[in_u],
                [groups[g] for g in in_groups],
                closest,
                " and ".join(linked_by),
            )
        )
    return found


def _collect(
    row: dict[str, object],
    zone_members: pd.DataFrame,
    area_shape: gpd.GeoSeries,
    rows: list[dict[str, object]],
    member_rows: list[pd.DataFrame],
) -> None:
    """Add a zone or gap with its polygons (dissolved from its areas) to the tables."""
    core_codes = sorted(set(zone_members.loc[zone_members["part"] == "core", "area_code"]))
    all_codes = sorted(set(zone_members["area_code"]))
    core = area_shape.reindex(core_codes).union_all().buffer(0)
    extent = area_shape.reindex(all_codes).union_all().buffer(0)
    row["n_units"] = len(core_codes)
    row["extent_n_units"] = len(all_codes)
    row["member_codes"] = ";".join(core_codes)
    row["n_parts"] = len(getattr(extent, "geoms", [extent]))
    row["_core"], row["_extent"] = core, extent
    rows.append(row)
    member_rows.append(zone_members)


def _member_frame(zone_id: str, by_side: Mapping[str, tuple[set[str], set[str]]]) -> pd.DataFrame:
    """``zone_id, area_code, part, side`` from each side's (core, extent) area codes."""
    frames = []
    for side, (core, extent) in by_side.items():
        codes = sorted(core | extent)
        frames.append(
            pd.DataFrame(
                {
                    "zone_id": zone_id,
                    "area_code": codes,
                    "part": ["core" if c in core else "extent" for c in codes],
                    "side": side,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _union(ids: pd.Series, areas: Mapping[str, set[str]]) -> set[str]:
    return set().union(*(areas.get(str(i), set()) for i in ids))


def _zone(  # noqa: PLR0917 -- one zone's parts, named by position at the one call
    context: _Context,
    stream: Stream,
    producers: pd.DataFrame,
    users: pd.DataFrame,
    groups: list[set[str]],
    closest_m: float,
    linked_by: str,
) -> tuple[dict[str, object], pd.DataFrame]:
    core_members, extent_members = context.core_members, context.extent_members
    lead = producers.iloc[0]
    zone_id = f"{stream.key}-{lead['anchor_area_code']}"
    colocated = set().union(*groups) if groups else set()
    by_side = {
        "producers": (
            _union(producers["cluster_id"], core_members),
            _union(producers["cluster_id"], extent_members),
        ),
        "users": (
            _union(users["cluster_id"], core_members),
            _union(users["cluster_id"], extent_members),
        ),
        "colocated": (set(), colocated),
    }
    row: dict[str, object] = {
        "zone_id": zone_id,
        "kind": "zone",
        "stream": stream.key,
        "label": stream.label,
        "material": stream.material,
        "anchor_area_code": str(lead["anchor_area_code"]),
        "producer_ids": ";".join(sorted(producers["cluster_id"].astype(str))),
        "user_ids": ";".join(sorted(users["cluster_id"].astype(str))),
        "n_producer_findings": len(producers),
        "n_user_findings": len(users),
        "producer_employment": float(producers["employment"].sum()),
        "user_employment": float(users["employment"].sum()),
        "users_nearby_employment": np.nan,
        "users_nearby_lq": np.nan,
        "users_nearby_lq_upper": np.nan,
        "linked_by": linked_by,
        "distance_km": round(closest_m / 1000.0, 3),
        "nearest_user_id": "",
        "nearest_user_km": np.nan,
        "n_colocated_areas": len(colocated),
    }
    return row, _member_frame(zone_id, {k: v for k, v in by_side.items() if v[0] | v[1]})


def _gap(
    context: _Context,
    stream: Stream,
    producer: pd.Series,
    users: pd.DataFrame,
    distances: np.ndarray,
) -> tuple[dict[str, object], pd.DataFrame]:
    core_members, extent_members = context.core_members, context.extent_members
    zone_id = f"{stream.key}-{producer['anchor_area_code']}"
    nearest = int(np.argmin(distances)) if len(users) else -1
    cid = str(producer["cluster_id"])
    users_key = side_key(stream.key, "users")
    reference = context.reference
    near_users, near_all = _within_reach(
        context.core_shape[cid],
        context.areas,
        (context.side_employment[users_key], reference.area_totals),
        context.distance_m,
    )
    reach = location_quotients(
        pd.DataFrame({users_key: [near_users]}),
        pd.Series([near_all]),
        pd.Series({users_key: reference.shares.get(users_key, np.nan) * reference.total}),
        reference.total,
        LqSettings(confidence_level=reference.confidence_level),
    ).iloc[0]
    row: dict[str, object] = {
        "zone_id": zone_id,
        # Users significantly scarcer within reach than in the reference economy: a gap.
        # (No employment within reach at all leaves the LQ undefined: a gap too.)
        "kind": "scattered" if float(reach["lq_upper"]) >= 1.0 else "gap",
        "stream": stream.key,
        "label": stream.label,
        "material": stream.material,
        "anchor_area_code": str(producer["anchor_area_code"]),
        "producer_ids": cid,
        "user_ids": "",
        "n_producer_findings": 1,
        "n_user_findings": 0,
        "producer_employment": float(producer["employment"]),
        "user_employment": 0.0,
        "linked_by": "",
        "distance_km": np.nan,
        "nearest_user_id": str(users.iloc[nearest]["cluster_id"]) if nearest >= 0 else "",
        "nearest_user_km": round(float(distances[nearest]) / 1000.0, 3) if nearest >= 0 else np.nan,
        "n_colocated_areas": 0,
        "users_nearby_employment": near_users,
        "users_nearby_lq": float(reach["lq"]),
        "users_nearby_lq_upper": float(reach["lq_upper"]),
    }
    members = _member_frame(
        zone_id, {"producers": (core_members.get(cid, set()), extent_members.get(cid, set()))}
    )
    return row, members


def _within_reach(
    shape: object,
    areas: gpd.GeoDataFrame,
    employment: tuple[pd.Series, pd.Series],
    distance_m: float,
) -> tuple[float, float]:
    """Sums of each employment series over the areas whose centroid is within reach of ``shape``."""
    centroids = areas.set_index("area_code").geometry.centroid
    near = centroids.index[centroids.distance(shape) <= distance_m]
    first, second = (float(e.reindex(near).fillna(0.0).sum()) for e in employment)
    return first, second


def _assemble(
    rows: list[dict[str, object]],
    member_rows: list[pd.DataFrame],
    cores: list[object],
    extents: list[object],
    crs: object,
) -> Zones:
    table = pd.DataFrame(rows).reindex(columns=list(ZONE_COLUMNS))
    zones = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(cores, crs=crs), crs=crs)
    extent = gpd.GeoDataFrame(
        table[["zone_id", "kind", "stream", "label"]],
        geometry=gpd.GeoSeries(extents, crs=crs),
        crs=crs,
    )
    order = (
        np.lexsort(
            (table["zone_id"].astype(str), table["kind"].astype(str), table["stream"].astype(str))
        )
        if len(table)
        else np.array([], dtype=int)
    )
    members = (
        pd.concat(member_rows, ignore_index=True)
        if member_rows
        else pd.DataFrame(
            {c: pd.Series(dtype=str) for c in ("zone_id", "area_code", "part", "side")}
        )
    )
    members = members.sort_values(["zone_id", "side", "area_code"]).reset_index(drop=True)
    return Zones(
        zones=zones.iloc[order].reset_index(drop=True),
        extents=extent.iloc[order].reset_index(drop=True),
        members=members,
    )
