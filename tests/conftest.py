"""Shared test helpers: where the real public datasets are, and a headless plotting backend."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CLUSTERGEO_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets beside the repository; tests using them skip when absent."""
    if not (SHARED_DATA / "census2011_wp_msoa_industry").exists():
        if os.environ.get("CLUSTERGEO_REQUIRE_REAL_DATA"):
            pytest.fail(f"real datasets required (CI) but not found at {SHARED_DATA}")
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA
