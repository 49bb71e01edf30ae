r"""Clusters: neighbouring significant areas of one industry, with a core and an extent.

For each industry or cluster definition, an area is **significant** by the membership rule
(see :class:`~clustergeo.config.ClustersConfig`): by default a Gi* hot spot after the
multiple-testing correction, i.e. of class ``hot_95`` or ``hot_99`` at ``significance``
0.05. Significant areas that are neighbours in the run's spatial weights are joined (the
connected components of the weights restricted to them). Each component is one cluster:

* its **core** is its *specialised* members, whose own location quotient is at least
  ``min_lq``. Gi* is a neighbourhood statistic (Getis & Ord 1992; Ord & Getis 1995): an
  unspecialised area beside a strong cluster is often a significant hot spot too, so the own
  LQ separates the places that hold the industry from the places that only border them;
* its **extent** is the whole component: the core and the significant hot areas around and
  between its parts. A cluster whose specialised areas are strung along a corridor of
  unspecialised hot areas (a span across a county line, say) keeps the whole span in its
  extent, where a core-only rule would cut it into pieces or lose it.

A component with no specialised area is not a cluster (it is counted in the report as
``no_core``), and clusters whose core has fewer than ``min_units`` areas or employs fewer
than ``min_employment`` in the industry are dropped (``dropped_small``).

Other membership rules: ``moran_hh``, significant Local Moran high-high areas (Anselin 1995);
``lq``, areas whose LQ confidence interval lies above 1. The core is always the members with
an own LQ of at least ``min_lq``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from clustergeo.config import ClustersConfig
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import SIGNIFICANCE_LEVELS

__all__ = [
    "Group",
    "Groups",
    "candidate_members",
    "delineate_clusters",
    "hot_classes",
    "join_neighbours",
    "select_columns",
    "significant_members",
]


def hot_classes(significance: float) -> tuple[str, ...]:
    """The Gi* classes whose areas are hot spots at corrected p ≤ ``significance``.

    ``0.05`` gives ``("hot_99", "hot_95")`` and ``0.01`` gives ``("hot_99",)``: membership is
    stated in the class vocabulary, so the hot areas a user counts are the ones clusters use.
    """
    return tuple(
        f"hot_{label}" for threshold, label in SIGNIFICANCE_LEVELS if threshold <= significance
    )


@dataclass(frozen=True)
class Group:
    """A set of areas of one industry that makes one finding: its core and its extent rows."""

    industry_code: str
    kind: str
    core: pd.DataFrame
    extent: pd.DataFrame


@dataclass
class Groups:
    """Findings of one kind before they are described, and the counts behind them."""

    groups: list[Group] = field(default_factory=list)
    per_industry: dict[str, dict[str, int]] = field(default_factory=dict)


def select_columns(kinds: pd.Series, of: str) -> list[str]:
    """Industry / cluster-definition codes to delineate, from each code's kind.

    ``auto`` takes the cluster definitions when there are any, else the industries.
    """
    clusters = [str(c) for c in kinds.index[kinds == "cluster"]]
    industries = [str(c) for c in kinds.index[kinds == "industry"]]
    if of == "cluster_definitions":
        return clusters
    if of == "industries":
        return industries
    if of == "all":
        return industries + clusters
    return clusters or industries


def significant_members(table: pd.DataFrame, settings: ClustersConfig) -> pd.Series:
    """Whether each row (area x industry) is significant: may belong to a cluster's extent.

    ``table`` has the hot-spot results (``gi_star_class``, ``moran_quadrant``,
    ``moran_p_fdr``) and the area's ``lq_lower``.
    """
    chosen: np.ndarray
    if settings.membership == "gi_star":
        hot = table["gi_star_class"].astype(str).isin(hot_classes(settings.significance))
        chosen = hot.to_numpy()
    elif settings.membership == "moran_hh":
        high_high = table["moran_quadrant"].astype(str).to_numpy() == "HH"
        chosen = high_high & (table["moran_p_fdr"].to_numpy(dtype=float) <= settings.significance)
    else:
        chosen = table["lq_lower"].to_numpy(dtype=float) > 1.0
    return pd.Series(chosen, index=table.index)


def candidate_members(table: pd.DataFrame, settings: ClustersConfig) -> pd.Series:
    """Whether each row belongs to a cluster's core: significant, and specialised itself.

    Specialised means an own LQ of at least ``settings.min_lq``.
    """
    own_lq = table["lq"].to_numpy(dtype=float) >= settings.min_lq
    return significant_members(table, settings) & own_lq


def join_neighbours(codes: pd.Series, weights: SpatialWeights) -> np.ndarray:
    """Component label of each area in ``codes``: neighbours (either way) share a label.

    Raises
    ------
    ValueError
        When an area is not in the weights (the hot spots and the clusters would disagree
        about which areas exist: a stage ran on other inputs).
    """
    position = pd.Series(np.arange(weights.n), index=weights.ids)
    index = position.reindex(codes.astype(str)).to_numpy()
    if np.isnan(index).any():
        missing = codes.astype(str)[np.isnan(index)]
        raise ValueError(f"areas not in the weights: {', '.join(missing[:5])}")
    index = index.astype(np.int64)
    adjacency = weights.matrix + weights.matrix.T
    _n, labels = connected_components(adjacency[index][:, index], directed=False)
    return np.asarray(labels)


def delineate_clusters(
    results: pd.DataFrame,
    weights: SpatialWeights,
    settings: ClustersConfig,
    columns: list[str],
) -> Groups:
    """The clusters of each industry: components of significant areas with a core.

    Parameters
    ----------
    results
        One row per study-area area x industry: ``area_code``, ``industry_code``,
        ``employment``, ``lq``, ``lq_lower`` and the hot-spot columns.
    weights
        The run's spatial weights; two areas are joined when either lists the other.
    settings
        The ``clusters`` section of the config.
    columns
        Industry / cluster-definition codes to delineate.

    Returns
    -------
    Groups
        One :class:`Group` per cluster (``kind`` ``"cluster"``) and, per industry, the counts
        ``significant_areas``, ``core_areas``, ``clusters``, ``no_core`` and
        ``dropped_small``.
    """
    results = results.loc[results["industry_code"].astype(str).isin(columns)]
    significant = results.loc[significant_members(results, settings)]
    core = candidate_members(significant, settings)
    found = Groups()
    for code in columns:
        rows = significant["industry_code"].astype(str) == code
        group = significant.loc[rows]
        is_core = core.loc[rows].to_numpy()
        counts = {
            "significant_areas": len(group),
            "core_areas": int(is_core.sum()),
            "clusters": 0,
            "no_core": 0,
            "dropped_small": 0,
        }
        found.per_industry[code] = counts
        if group.empty:
            continue
        labels = join_neighbours(group["area_code"], weights)
        for label in np.unique(labels):
            inside = labels == label
            extent = group.iloc[np.flatnonzero(inside)]
            core_rows = group.iloc[np.flatnonzero(inside & is_core)]
            if core_rows.empty:
                counts["no_core"] += 1
                continue
            employment = float(core_rows["employment"].sum())
            if len(core_rows) < settings.min_units or employment < settings.min_employment:
                counts["dropped_small"] += 1
                continue
            counts["clusters"] += 1
            found.groups.append(Group(code, "cluster", core_rows, extent))
    return found
