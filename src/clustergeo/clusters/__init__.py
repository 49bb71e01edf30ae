"""Stage 4, clusters: join significant neighbouring areas into clusters, one industry at a time."""

from clustergeo.clusters.delineate import (
    Delineation,
    candidate_members,
    delineate_clusters,
    select_columns,
)

__all__ = ["Delineation", "candidate_members", "delineate_clusters", "select_columns"]
