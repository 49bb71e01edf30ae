"""Exceptions raised for problems a user can fix.

Every error clustergeo raises on bad input is a :class:`ClusterGeoError`; the command line
prints its message without a traceback. Messages name the file, the offending rows or codes,
and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ClusterGeoError",
    "ConfigError",
    "InputDataError",
    "OutputError",
]


class ClusterGeoError(Exception):
    """Base class for every error caused by input, configuration or environment."""


class ConfigError(ClusterGeoError):
    """The run configuration is invalid (unknown key, wrong type, missing input)."""


class InputDataError(ClusterGeoError):
    """An input file cannot be used as it is (codes that do not join, bad counts, no CRS...)."""


class OutputError(ClusterGeoError):
    """An output cannot be written (read-only folder, full disk...)."""
