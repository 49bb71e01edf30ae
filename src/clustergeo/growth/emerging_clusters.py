"""Emerging clusters: neighbouring areas that turned hot together, and the boundaries they cross.

For each industry, the areas whose emerging-hot-spot category says the clustering is new or
growing (:data:`EMERGING_RISING`: a new, consecutive or intensifying hot spot, see
:func:`clustergeo.hotspots.emerging.classify`) are joined into groups: two such areas are in
the same group when they are neighbours in the run's spatial weights (connected components of
the weights restricted to those areas). Each group is an *emerging cluster*; it *crosses a
boundary* when its areas lie in more than one authority of a tier (district, county, combined
authority). That is the governance question of :mod:`clustergeo.governance` asked of the
future: which growing clusters no single authority can act on alone.

Persistent hot spots are left out on purpose: they are today's clusters, which the cluster and
governance stages already place; a diminishing one is fading.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from clustergeo.governance.overlay import add_upper_tier
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import EMERGING_HOT_CATEGORIES

__all__ = ["EMERGING_RISING", "emerging_clusters"]

#: The categories of areas whose clustering is new or growing: new, consecutive, intensifying.
EMERGING_RISING = EMERGING_HOT_CATEGORIES[:3]


def emerging_clusters(
    emerging: pd.DataFrame,
    weights: SpatialWeights,
    authorities: pd.DataFrame | None,
    tiers: Sequence[str] = ("district", "upper_tier", "combined_authority", "region"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group each industry's rising hot spots into clusters and name the authorities they span.

    Parameters
    ----------
    emerging
        ``area_code``, ``industry_code`` and ``category`` (the emerging-hot-spot table).
    weights
        The run's spatial weights; two areas are neighbours when their weight is non-zero.
    authorities
        ``area_code`` and ``<tier>_code`` columns (the run's areas), or None. The upper tier
        (the county, or a unitary or metropolitan district itself) is made from the county
        and district codes, as the clusters' straddles count it.
    tiers
        The tiers whose boundaries are checked; tiers without a column are skipped.

    Returns
    -------
    tuple of pandas.DataFrame
        The clusters: ``emerging_id`` (``<industry>-<n>``, largest first), ``industry_code``,
        ``n_areas``, the number of each category, and for each tier ``n_<tier>`` (how many
        authorities of the tier its areas are in) and ``crosses_<tier>`` (True when more than one;
        missing authority codes do not count); and the members: ``emerging_id`` and
        ``area_code``.
    """
    rising = emerging.loc[emerging["category"].astype(str).isin(EMERGING_RISING)]
    position = pd.Series(np.arange(weights.n), index=pd.Index(weights.ids.astype(str)))
    links = sparse.csr_array(weights.matrix != 0)
    tier_codes = {}
    if authorities is not None:
        authorities = add_upper_tier(authorities)
        indexed = authorities.set_index(authorities["area_code"].astype(str))
        tier_codes = {tier: indexed[f"{tier}_code"] for tier in tiers if f"{tier}_code" in indexed}
    rows: list[dict[str, object]] = []
    members: list[pd.DataFrame] = []
    for industry, group in rising.groupby("industry_code", sort=True, observed=True):
        codes = group["area_code"].astype(str).to_numpy()
        at = position.reindex(codes).to_numpy()
        if np.isnan(at).any():
            raise ValueError("emerging hot spots name areas that are not in the weights")
        at = at.astype(np.int64)
        _, labels = connected_components(links[at][:, at], directed=False)
        sizes = np.bincount(labels)
        # Largest first; equal sizes in the order of their first area code.
        first = pd.Series(codes).groupby(labels).min()
        order = sorted(range(len(sizes)), key=lambda k: (-sizes[k], first[k]))
        categories = group["category"].astype(str).to_numpy()
        for number, label in enumerate(order, start=1):
            inside = labels == label
            key = f"{industry}-{number}"
            row: dict[str, object] = {
                "emerging_id": key,
                "industry_code": str(industry),
                "n_areas": int(inside.sum()),
            }
            for category in EMERGING_RISING:
                row[f"n_{category}"] = int((categories[inside] == category).sum())
            for tier, column in tier_codes.items():
                found = column.reindex(codes[inside]).dropna().unique()
                row[f"n_{tier}"] = len(found)
                row[f"crosses_{tier}"] = len(found) > 1
            rows.append(row)
            members.append(pd.DataFrame({"emerging_id": key, "area_code": codes[inside]}))
    columns = ["emerging_id", "industry_code", "n_areas", *(f"n_{c}" for c in EMERGING_RISING)]
    for tier in tier_codes:
        columns += [f"n_{tier}", f"crosses_{tier}"]
    clusters = pd.DataFrame(rows, columns=columns)
    member_table = (
        pd.concat(members, ignore_index=True)
        if members
        else pd.DataFrame({"emerging_id": pd.Series(dtype=str), "area_code": pd.Series(dtype=str)})
    )
    return clusters, member_table
