r"""The same clusters seen two ways: on the statistical areas and on a regular grid.

Clusters delineated on areas inherit the areas' shapes (the modifiable areal unit problem,
Openshaw 1984): a large rural area with one business park spreads the park over farmland, and
a cluster split by a boundary can vanish. Comparing each area cluster with the grid clusters
of the same industry tells the user how much its shape, and its "straddling" flag, depends on
the areas.

For an area cluster *A* and the grid clusters *G* of its industry, the overlap is the
intersection over union :math:`|A \cap G| / |A \cup G|` (Jaccard 1912) with the grid cluster
that overlaps it most. Labels:

``stable``
    overlap at least ``stable_iou`` (0.5): both views agree;
``shifted``
    some overlap, less than ``stable_iou``: the cluster is there, its shape depends on the
    units;
``area-only``
    no grid cluster overlaps it: it may be an artefact of the areas;
``grid-only``
    (one row per grid cluster no area cluster overlaps) the grid sees a cluster the areas miss;
``concentration``
    (likewise, with ``concentration_areas`` given) a grid cluster no area cluster overlaps, at
    least ``PLACE_SHARE`` of whose jobs lie in area concentrations of its industry: the areas
    see the place, as a specialised place rather than a cluster. ``area_cluster_id`` is then
    the concentration holding most of them (a concentration is a single place, so it is
    otherwise not compared). A concentration's jobs in the grid cluster are counted area by
    area: each member area's jobs times the share of the area the cluster covers (exact
    where the grid spread the area's jobs evenly over it, as without land-use data). A grid
    cluster around a concentration holding less, such as a belt joining two plants and the
    places between, stays grid-only: the grid sees more than the places.

The row of a grid cluster no area cluster overlaps (``grid-only`` or ``concentration``) also
gives the concentrations holding any of its jobs (``concentration_ids``, most jobs first) and
the share of its jobs they hold together (``concentration_share``), so a grid-only belt is
told apart from one the areas see as two places with nothing between them. The rows of area
clusters leave both empty.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["PLACE_SHARE", "compare_clusters"]

#: Share of a grid cluster's jobs in area concentrations that makes it one of them.
PLACE_SHARE = 0.75

_COLUMNS = [
    "industry_code",
    "area_cluster_id",
    "grid_cluster_id",
    "iou",
    "stability",
    "area_km2",
    "grid_km2",
    "area_straddles_counties",
    "grid_straddles_counties",
    "concentration_ids",
    "concentration_share",
]


def compare_clusters(
    area_clusters: gpd.GeoDataFrame,
    grid_clusters: gpd.GeoDataFrame,
    *,
    stable_iou: float,
    concentration_areas: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """One row per area cluster (with its best grid match) and per unmatched grid cluster.

    Both frames need ``cluster_id``, ``industry_code``, a polygon ``geometry`` in one CRS,
    and may carry ``straddles_counties``; the grid clusters' ``employment`` weighs them
    against ``concentration_areas``, one row per member area of each area concentration
    (``cluster_id``, ``industry_code``, the area's ``employment`` in it, its ``geometry``).
    """
    rows: list[dict[str, object]] = []
    matched: set[str] = set()
    for area in area_clusters.itertuples():
        mine = grid_clusters.loc[grid_clusters["industry_code"] == area.industry_code]
        best_id, best_iou = None, 0.0
        for grid in mine.itertuples():
            union = area.geometry.union(grid.geometry).area
            iou = area.geometry.intersection(grid.geometry).area / union if union > 0 else 0.0
            if iou > best_iou:
                best_id, best_iou = str(grid.cluster_id), iou
        if best_id is not None:
            matched.add(best_id)
        grid_row = mine.loc[mine["cluster_id"] == best_id]
        rows.append(
            {
                "industry_code": area.industry_code,
                "area_cluster_id": area.cluster_id,
                "grid_cluster_id": best_id,
                "iou": round(best_iou, 4),
                "stability": "stable"
                if best_iou >= stable_iou
                else "shifted"
                if best_iou > 0
                else "area-only",
                "area_km2": area.geometry.area / 1e6,
                "grid_km2": float(grid_row.geometry.area.sum() / 1e6) if best_id else np.nan,
                "area_straddles_counties": getattr(area, "straddles_counties", None),
                "grid_straddles_counties": grid_row["straddles_counties"].iloc[0]
                if best_id and "straddles_counties" in grid_row
                else None,
                "concentration_ids": "",
                "concentration_share": np.nan,
            }
        )
    # Grid clusters no area cluster overlaps at all.
    for grid in grid_clusters.itertuples():
        if str(grid.cluster_id) in matched:
            continue
        same = area_clusters.loc[area_clusters["industry_code"] == grid.industry_code]
        if same.intersects(grid.geometry).any():
            continue
        held = _concentration_jobs(concentration_areas, grid)
        if concentration_areas is None:
            share = np.nan
        else:
            share = float(held.sum()) / float(grid.employment) if not held.empty else 0.0
        # Ties go to the smaller ID.
        place = str(held.sort_index().idxmax()) if share >= PLACE_SHARE else None
        rows.append(
            {
                "industry_code": grid.industry_code,
                "area_cluster_id": place,
                "grid_cluster_id": grid.cluster_id,
                "iou": 0.0,
                "stability": "grid-only" if place is None else "concentration",
                "area_km2": np.nan,
                "grid_km2": grid.geometry.area / 1e6,
                "area_straddles_counties": None,
                "grid_straddles_counties": getattr(grid, "straddles_counties", None),
                "concentration_ids": ";".join(
                    held.sort_index().sort_values(ascending=False, kind="stable").index
                ),
                "concentration_share": round(share, 4),
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)


def _concentration_jobs(areas: gpd.GeoDataFrame | None, grid: Any) -> pd.Series:
    """The jobs of ``grid`` each area concentration of its industry holds, by cluster ID.

    ``areas`` are the concentrations' member areas; only concentrations holding some are
    given. Empty where there are none or the grid cluster has no jobs.
    """
    jobs = float(getattr(grid, "employment", np.nan))
    if areas is None or areas.empty or not jobs > 0:
        return pd.Series(dtype=float)
    mine = areas.loc[areas["industry_code"] == grid.industry_code]
    covered = mine.geometry.intersection(grid.geometry).area / mine.geometry.area
    inside = mine["employment"].astype(float).fillna(0.0) * covered.fillna(0.0)
    held: pd.Series = inside.groupby(mine["cluster_id"].astype(str)).sum()
    return held.loc[held > 0]
