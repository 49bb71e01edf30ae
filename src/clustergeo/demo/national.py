"""A national synthetic workload: employment for every LSOA x hundreds of industries x years.

Real LSOA-level BRES cannot be downloaded without a licence, so national runs and benchmarks
use synthetic employment on the real LSOA 2011 boundaries of England and Wales:

* workplace jobs per area are lognormal (median ~450, a long city-centre tail);
* industries have Dirichlet shares of the economy and one to four planted clusters each:
  Gaussian bumps of intensity (2-12 km wide, 1.5-6 times the background) around random area
  centroids, recorded in ``truth.csv``;
* counts are negative binomial (dispersion 1.5) around those means;
* later years keep the clusters and let area totals and cluster strength drift a little.

The employment table is long (area, industry, year, jobs), stored as Parquet files
``employment/year=<year>/part-0.parquet`` with dictionary-encoded codes and 32-bit counts, and
written one year at a time: 35,000 areas x 730 industries x 9 years (230 million rows) never
exist in memory at once, nor as Python objects.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from scipy.spatial import cKDTree

from clustergeo.io import atomic_path, write_csv

__all__ = ["NationalWorkload", "synthetic_counts", "synthetic_years", "write_national_workload"]

log = logging.getLogger(__name__)

#: Rows per Parquet row group: large enough to scan fast, small enough to stream.
ROW_GROUP_ROWS = 2_000_000


@dataclass(frozen=True)
class NationalWorkload:
    """Synthetic counts for ``years`` (each areas x industries) and the clusters planted."""

    counts: list[np.ndarray]
    industries: list[str]
    truth: pd.DataFrame


def industry_codes(industries: int) -> list[str]:
    """Codes of the synthetic industries: ``IND001``... (``IND01`` below 100 industries)."""
    digits = max(2, len(str(industries)))
    return [f"IND{j + 1:0{digits}d}" for j in range(industries)]


def synthetic_years(
    points_km: np.ndarray, industries: int, seed: int, years: int = 1
) -> tuple[list[str], pd.DataFrame, Iterator[np.ndarray]]:
    """Negative-binomial employment counts with planted clusters, drawn a year at a time.

    Parameters
    ----------
    points_km
        ``n x 2`` area centroids (or representative points) in kilometres.
    industries
        Number of industries.
    seed
        Seed of everything drawn; the first year does not depend on ``years``.
    years
        Number of years; later years drift from the first.

    Returns
    -------
    tuple
        The industry codes, the planted clusters (``truth``), and an iterator over the years'
        ``n x industries`` int32 counts. Each year is drawn when the iterator reaches it, so
        a writer holds one year at a time, however many years there are.
    """
    rng = np.random.default_rng(seed)
    n = len(points_km)
    totals = np.maximum(20.0, rng.lognormal(mean=np.log(450.0), sigma=0.9, size=n))
    shares = rng.dirichlet(np.full(industries, 0.9))
    intensity = np.ones((n, industries))
    tree = cKDTree(points_km)
    planted = []
    for j in range(industries):
        for _ in range(int(rng.integers(1, 5))):
            centre = points_km[rng.integers(n)]
            sigma_km = rng.uniform(2.0, 12.0)
            amplitude = rng.uniform(1.5, 6.0)
            near = np.asarray(tree.query_ball_point(centre, 3.0 * sigma_km), dtype=np.int64)
            distance2 = ((points_km[near] - centre) ** 2).sum(axis=1)
            intensity[near, j] += amplitude * np.exp(-distance2 / (2.0 * sigma_km**2))
            planted.append((j, centre[0] * 1000.0, centre[1] * 1000.0, sigma_km, amplitude))
    codes = industry_codes(industries)
    truth = pd.DataFrame(
        planted, columns=["industry_index", "centre_x", "centre_y", "sigma_km", "amplitude"]
    )
    truth.insert(0, "industry_code", [codes[j] for j in truth.pop("industry_index")])

    def drawn() -> Iterator[np.ndarray]:
        # The same generator after the clusters: the draws do not depend on who iterates.
        year_totals, year_intensity = totals, intensity
        for year in range(years):
            if year:
                # Drift: area totals grow or shrink a few per cent, clusters strengthen or fade.
                year_totals = year_totals * rng.lognormal(0.0, 0.05, size=n)
                year_intensity = 1.0 + (year_intensity - 1.0) * rng.lognormal(
                    0.0, 0.1, size=industries
                )
            mean = year_totals[:, None] * shares[None, :] * year_intensity
            mean *= year_totals[:, None] / mean.sum(axis=1, keepdims=True)
            dispersion = 1.5
            year_counts = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
            del mean
            year_counts = year_counts.astype(np.int32)
            empty = year_counts.sum(axis=1) == 0
            year_counts[empty, int(np.argmax(shares))] = 1
            yield year_counts

    return codes, truth, drawn()


def synthetic_counts(
    points_km: np.ndarray, industries: int, seed: int, years: int = 1
) -> NationalWorkload:
    """Every year of :func:`synthetic_years` at once (small workloads and tests)."""
    codes, truth, drawn = synthetic_years(points_km, industries, seed, years)
    return NationalWorkload(counts=list(drawn), industries=codes, truth=truth)


def _long_table(counts: np.ndarray, areas: pa.Array, industries: pa.Array) -> pa.Table:
    """Areas x industries counts as a long table with dictionary-encoded codes."""
    n, k = counts.shape
    area_index = pa.array(np.repeat(np.arange(n, dtype=np.int32), k))
    industry_index = pa.array(np.tile(np.arange(k, dtype=np.int16), n))
    return pa.table(
        {
            "area_code": pa.DictionaryArray.from_arrays(area_index, areas),
            "industry_code": pa.DictionaryArray.from_arrays(industry_index, industries),
            "employment": pa.array(counts.ravel()),
        }
    )


def write_national_workload(
    boundaries: Path,
    out: Path,
    *,
    code_column: str = "LSOA11CD",
    industries: int = 730,
    years: Sequence[int] = (2021,),
    seed: int = 20240611,
) -> Path:
    """Write the synthetic employment of every area of ``boundaries`` to ``out``.

    Writes ``areas`` (the boundary file, copied as it is), ``employment/year=<year>/
    part-0.parquet`` (columns ``area_code``, ``industry_code``, ``employment``; the year is
    the folder's), ``truth.csv`` (the planted clusters) and ``README.txt``. Returns ``out``.
    """
    from clustergeo.ingest.boundaries import read_boundaries

    frame = read_boundaries(boundaries, code_column=code_column).frame
    points = shapely.get_coordinates(frame.geometry.representative_point().to_numpy()) / 1000.0
    log.info("Synthesising %d areas x %d industries x %d years", len(frame), industries, len(years))
    codes, truth, drawn = synthetic_years(points, industries, seed, years=len(years))
    area_codes = pa.array(frame["code"].astype(str).to_numpy())
    industry_codes_ = pa.array(codes)
    out.mkdir(parents=True, exist_ok=True)
    for year, counts in zip(years, drawn, strict=True):
        target = out / "employment" / f"year={year}" / "part-0.parquet"
        with atomic_path(target) as tmp:
            pq.write_table(
                _long_table(counts, area_codes, industry_codes_),
                tmp,
                row_group_size=ROW_GROUP_ROWS,
                compression="zstd",
            )
        log.info("Wrote %s (%d rows)", target, counts.size)
    with atomic_path(out / f"areas{''.join(boundaries.suffixes)}") as tmp:
        shutil.copyfile(boundaries, tmp)
    write_csv(truth, out / "truth.csv")
    (out / "README.txt").write_text(
        "Synthetic national employment (clustergeo national-data): "
        f"{len(frame)} areas of {boundaries.name} x {industries} industries x years "
        f"{', '.join(map(str, years))}, seed {seed}. Not real BRES: the clusters planted are "
        "in truth.csv.\n",
        encoding="utf-8",
    )
    return out
