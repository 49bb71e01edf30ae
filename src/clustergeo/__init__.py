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

Names are imported on first use, so ``import clustergeo`` (and the command line) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clustergeo._errors import ClusterGeoError, ConfigError, InputDataError, OutputError

if TYPE_CHECKING:
    from clustergeo.concentration import location_quotients
    from clustergeo.config import RunConfig, load_config

__all__ = [
    "ClusterGeoError",
    "ConfigError",
    "InputDataError",
    "OutputError",
    "RunConfig",
    "load_config",
    "location_quotients",
]

__version__ = "0.1.0"

#: Public names defined in submodules, imported when first used.
_LAZY = {
    "RunConfig": "clustergeo.config",
    "load_config": "clustergeo.config",
    "location_quotients": "clustergeo.concentration",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clustergeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
