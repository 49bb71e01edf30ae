"""Download real inputs: BRES and census tables from Nomis, boundaries and lookups from ONS.

Every download lands in ``data/raw/<project>/`` with a provenance record (exact URLs, rows,
SHA-256), resumes page by page after a kill, and is never fetched again once complete.

The names below are imported on first use, so that importing the ``clustergeo fetch`` command
(:mod:`clustergeo.fetch.command`) loads nothing but click.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clustergeo.fetch.http import FetchError, OfflineError
    from clustergeo.fetch.nomis import NomisQuery, bres_query, census_query, fetch_nomis
    from clustergeo.fetch.ons import fetch_boundaries, fetch_lookup

__all__ = [
    "FetchError",
    "NomisQuery",
    "OfflineError",
    "bres_query",
    "census_query",
    "fetch_boundaries",
    "fetch_lookup",
    "fetch_nomis",
]

_HOMES = {
    "FetchError": "http",
    "OfflineError": "http",
    "NomisQuery": "nomis",
    "bres_query": "nomis",
    "census_query": "nomis",
    "fetch_nomis": "nomis",
    "fetch_boundaries": "ons",
    "fetch_lookup": "ons",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'clustergeo.fetch' has no attribute {name!r}")
    return getattr(importlib.import_module(f"clustergeo.fetch.{_HOMES[name]}"), name)
