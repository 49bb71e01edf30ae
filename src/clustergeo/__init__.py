"""clustergeo: industrial clusters, their strength, and the authorities that govern them.

The package is laid out as the pipeline runs:

* statistics and geometry, pure functions on frames: :mod:`clustergeo.ingest` (readers),
  :mod:`clustergeo.concentration`, :mod:`clustergeo.hotspots`, :mod:`clustergeo.clusters`,
  :mod:`clustergeo.governance`, :mod:`clustergeo.surface`;
* orchestration, the only code that reads and writes a run's files: :mod:`clustergeo.stages`,
  whose registry declares every stage's inputs, outputs, settings and code;
* presentation: :mod:`clustergeo.publish` (maps, QGIS styles and project, GeoPackage, report);
* generators of synthetic inputs (:mod:`clustergeo.demo`) and national panels
  (:mod:`clustergeo.panels`).

From Python, the curated functions of :mod:`clustergeo.api` are here at the top: they take
GeoDataFrames and keyword arguments and return new frames aligned to the input, as PySAL's do::

    import clustergeo as cg

    lq = cg.location_quotients(areas, industries, total="all_industries")
    spots = cg.find_hotspots(lq, {c: f"{c}_lq" for c in industries}, permutations=999, seed=1)
    found = cg.find_clusters(lq, spots)  # clusters and concentrations, extents, members
    governed, authorities = cg.govern(found, areas)  # core and extent on every tier

Names are imported on first use, so ``import clustergeo`` (and the command line) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clustergeo._errors import ClusterGeoError, ConfigError, InputDataError, OutputError

if TYPE_CHECKING:
    from clustergeo.api import (
        FoundClusters,
        Governance,
        SpatialWeights,
        find_clusters,
        find_hotspots,
        govern,
        location_quotients,
        to_graph,
        to_w,
        weights,
    )
    from clustergeo.config import RunConfig, load_config

__all__ = [
    "ClusterGeoError",
    "ConfigError",
    "FoundClusters",
    "Governance",
    "InputDataError",
    "OutputError",
    "RunConfig",
    "SpatialWeights",
    "find_clusters",
    "find_hotspots",
    "govern",
    "load_config",
    "location_quotients",
    "to_graph",
    "to_w",
    "weights",
]

__version__ = "0.1.0"

#: Public names defined in submodules, imported when first used. None may be the name of a
#: subpackage (``hotspots``, ``clusters``...): importing the subpackage would replace it.
_LAZY = {
    "RunConfig": "clustergeo.config",
    "load_config": "clustergeo.config",
    "FoundClusters": "clustergeo.api",
    "Governance": "clustergeo.api",
    "SpatialWeights": "clustergeo.api",
    "find_clusters": "clustergeo.api",
    "find_hotspots": "clustergeo.api",
    "govern": "clustergeo.api",
    "location_quotients": "clustergeo.api",
    "to_graph": "clustergeo.api",
    "to_w": "clustergeo.api",
    "weights": "clustergeo.api",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clustergeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
