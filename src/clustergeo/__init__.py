"""clustergeo: industrial clusters, their strength, and the authorities that govern them.

Stages, each a module with a ``run(config)`` that reads its declared inputs and writes its
declared outputs: :mod:`clustergeo.ingest`, :mod:`clustergeo.concentration`,
:mod:`clustergeo.stages.publish`. The statistics are pure functions that take and return frames.
"""

from clustergeo._errors import ClusterGeoError, ConfigError, InputDataError, OutputError
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
