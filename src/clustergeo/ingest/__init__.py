"""Stage 1, ingest: readers for boundaries, lookups, employment tables and SIC definitions."""

from clustergeo.ingest.boundaries import read_boundaries
from clustergeo.ingest.employment import (
    EmploymentTable,
    read_employment,
    read_nomis_bres,
    read_nomis_census_wide,
    read_tidy_employment,
)

__all__ = [
    "EmploymentTable",
    "read_boundaries",
    "read_employment",
    "read_nomis_bres",
    "read_nomis_census_wide",
    "read_tidy_employment",
]
