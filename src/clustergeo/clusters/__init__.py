"""Stage 4, clusters: the findings of every industry, clusters and concentrations."""

from clustergeo.clusters.concentrations import find_concentrations
from clustergeo.clusters.delineate import (
    candidate_members,
    delineate_clusters,
    hot_classes,
    select_columns,
    significant_members,
)
from clustergeo.clusters.findings import Findings, build_findings
from clustergeo.clusters.stage import run
from clustergeo.clusters.strength import strength_scores

__all__ = [
    "Findings",
    "build_findings",
    "candidate_members",
    "delineate_clusters",
    "find_concentrations",
    "hot_classes",
    "run",
    "select_columns",
    "significant_members",
    "strength_scores",
]
