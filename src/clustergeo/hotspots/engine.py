"""Hot spots for every industry at once: statistics, inference, correction and classes.

Policies, applied and counted in the report:

* **Missing values** (a suppressed cell, an LQ of an area with no employment): the area gets
  no result for that industry, and as a neighbour of other areas it takes the industry's mean,
  which neither creates nor hides a hot spot around it.
* **Zero variance** (an industry with the same value everywhere, e.g. no employment at all):
  nothing can be tested; every result is missing and the class is ``not_tested``.
* **Islands**: by the weights' policy; areas left without neighbours get no result.

Classes come from the corrected p-value of the chosen inference: ``hot_99``, ``hot_95``,
``hot_90`` (p ≤ 0.01, 0.05, 0.10 with a positive z), ``cold_*`` likewise with a negative z,
else ``not_significant``. Local Moran clusters are labelled by quadrant (``HH``, ``LL``,
``HL``, ``LH``) when significant at 0.05, else ``not_significant``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.multiple_testing import adjust_p_values
from clustergeo.hotspots.permutation import permutation_counts
from clustergeo.hotspots.statistics import (
    gi,
    gi_star,
    local_moran,
    moran_quadrant_codes,
    normal_p_values,
    permutation_p_values,
)
from clustergeo.hotspots.weights import SpatialWeights

__all__ = ["SIGNIFICANCE_LEVELS", "HotspotResult", "classify_gi_star", "local_hotspots"]

log = logging.getLogger(__name__)

SIGNIFICANCE_LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
MORAN_LEVEL = 0.05


@dataclass
class HotspotResult:
    """Long table of results (one row per area x column) and what was done."""

    table: pd.DataFrame
    report: dict[str, object] = field(default_factory=dict)


#: Gi* classes in a fixed order: their codes index this tuple.
GI_STAR_CLASSES = (
    "hot_99",
    "hot_95",
    "hot_90",
    "not_significant",
    "cold_90",
    "cold_95",
    "cold_99",
    "not_tested",
)
#: Local Moran quadrants ('' where not tested) and cluster classes, likewise.
MORAN_QUADRANTS = ("HH", "LH", "LL", "HL", "")
MORAN_CLASSES = ("HH", "LH", "LL", "HL", "not_significant", "not_tested")


def _gi_star_class_codes(z: np.ndarray, p_adjusted: np.ndarray) -> np.ndarray:
    # Level 0, 1, 2 for p <= 0.01, 0.05, 0.10; 3 for not significant.
    level = np.full(z.shape, 3, dtype=np.int8)
    for index, (threshold, _label) in reversed(list(enumerate(SIGNIFICANCE_LEVELS))):
        level[p_adjusted <= threshold] = index
    codes = np.where(level == 3, 3, np.where(z > 0, level, 6 - level)).astype(np.int8)
    codes[(level < 3) & (z == 0)] = 3
    codes[np.isnan(p_adjusted)] = 7
    return codes


def classify_gi_star(z: np.ndarray, p_adjusted: np.ndarray) -> np.ndarray:
    """Hot/cold classes at 99/95/90% from a z-score's sign and its corrected p-value."""
    labels = np.asarray(GI_STAR_CLASSES, dtype=object)
    return np.asarray(labels[_gi_star_class_codes(z, p_adjusted)])


def _categorical(codes: np.ndarray, categories: Sequence[str] | np.ndarray) -> pd.Categorical[Any]:
    return pd.Categorical.from_codes(codes.ravel(), dtype=pd.CategoricalDtype(list(categories)))


_COLUMN_ORDER = (
    "area_code",
    "industry_code",
    "value",
    "gi_star",
    "gi_star_z",
    "gi_star_p_norm",
    "gi_star_p_sim",
    "gi_star_p_fdr",
    "gi_star_class",
    "gi_z",
    "moran_i",
    "moran_z",
    "moran_p_norm",
    "moran_p_sim",
    "moran_p_fdr",
    "moran_quadrant",
    "moran_class",
)


def _result_table(
    floats: dict[str, np.ndarray],
    codes: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    keep: np.ndarray,
    blank: np.ndarray,
) -> pd.DataFrame:
    """Assemble the long result table for the reported areas.

    The float results go straight into one preallocated block (pandas would otherwise copy
    every column into a block of its own making), and codes become categoricals rather than
    millions of Python strings: at national scale (35,000 areas x 88 industries) building the
    table the plain way took several times longer than the statistics.
    """
    everything = bool(keep.all())
    # Column-major, so each result is one contiguous write, and pandas (which stores a block
    # transposed) can take the array without copying it.
    block = np.empty((int(keep.sum()), len(floats)), order="F")
    for position, (name, array) in enumerate(floats.items()):
        target = block[:, position]
        target[:] = array.ravel() if everything else array.ravel()[keep]
        if name != "value":
            target[blank] = np.nan
    table = pd.DataFrame(block, columns=list(floats), copy=False)
    # Insert the categorical columns in place: reordering afterwards would copy every column.
    for name in sorted(codes, key=_COLUMN_ORDER.index):
        code, categories = codes[name]
        values = _categorical(code.ravel() if everything else code.ravel()[keep], categories)
        table.insert(_COLUMN_ORDER.index(name), name, pd.Series(values, copy=False))
    return table


def _fill_missing(raw: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Missing values replaced by their column's mean, and which columns are constant."""
    known = (~missing).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Column means and deviations over the known values; all-missing columns give NaN.
        column_mean = np.where(missing, 0.0, raw).sum(axis=0) / known
        column_std = np.sqrt(np.where(missing, 0.0, (raw - column_mean) ** 2).sum(axis=0) / known)
    filled = np.nan_to_num(np.where(missing, column_mean, raw))
    # "Constant" allows for rounding: values all equal to 0.1 can give a deviation of 1e-17.
    constant = ~(column_std > 1e-12 * np.abs(column_mean))
    return filled, constant


def local_hotspots(
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    report_for: Collection[str] | None = None,
) -> HotspotResult:
    """Gi*, Gi and Local Moran's I for every column of ``values``, with inference.

    Parameters
    ----------
    values
        Areas x industries (or cluster definitions), indexed by area code in any order;
        NaN where the value is missing.
    weights
        Spatial weights over the same areas.
    settings
        The ``hotspots`` section of the run config (transform, permutations, alternative,
        seed, correction).
    report_for
        Codes of the study area's areas. The others (an edge buffer) serve as neighbours only:
        they get no rows in the result and do not count in the multiple-testing correction.
        None reports every area.

    Returns
    -------
    HotspotResult
        ``table`` has one row per area x column, with ``gi_star``, ``gi_star_z``,
        ``gi_star_p_norm``, ``gi_star_p_sim``, ``gi_star_p_fdr`` (the classifying p-value after
        correction, whatever the correction method), ``gi_star_class``, ``gi_z``, ``moran_i``,
        ``moran_z``, ``moran_p_norm``, ``moran_p_sim``, ``moran_p_fdr``, ``moran_quadrant`` and
        ``moran_class``. P-values are for ``settings.alternative``.
    """
    aligned = values.reindex(weights.ids)
    raw = aligned.to_numpy(dtype="float64")
    n, n_columns = raw.shape
    missing = np.isnan(raw)
    filled, constant = _fill_missing(raw, missing)
    no_neighbours = weights.cardinalities == 0
    reported = (
        np.ones(n, dtype=bool) if report_for is None else np.isin(weights.ids, list(report_for))
    )
    untested = missing | constant[None, :] | no_neighbours[:, None] | ~reported[:, None]
    row = settings.weights.transform == "row"

    gi_star_value, gi_star_z = gi_star(
        filled, weights.matrix, binary=weights.binary, row_standardise=row
    )
    _gi_value, gi_z = gi(filled, weights.matrix, row_standardise=row)
    moran_i, moran_z, moran_lag = local_moran(filled, weights.matrix, row_standardise=row)
    with np.errstate(divide="ignore", invalid="ignore"):
        standard = (filled - filled.mean(axis=0)) / filled.std(axis=0)

    gi_star_p_norm = normal_p_values(gi_star_z, settings.alternative)
    moran_p_norm = normal_p_values(moran_z, settings.alternative)
    gi_star_p_sim = np.full((n, n_columns), np.nan)
    moran_p_sim = np.full((n, n_columns), np.nan)
    if settings.permutations:
        matrix = weights.transformed(settings.weights.transform)
        counts = permutation_counts(
            filled,
            matrix,
            permutations=settings.permutations,
            seed=settings.seed,
            equal_weights=weights.binary,
        )
        gi_star_p_sim = permutation_p_values(
            counts.count_ge, counts.count_le, counts.permutations, settings.alternative
        )
        moran_p_sim = permutation_p_values(
            counts.count_ge,
            counts.count_le,
            counts.permutations,
            settings.alternative,
            direction=np.sign(standard),
        )

    def _blank(array: np.ndarray) -> np.ndarray:
        return np.where(untested, np.nan, array)

    gi_star_p = gi_star_p_norm if settings.gi_star_inference == "analytic" else gi_star_p_sim
    moran_p = moran_p_norm if settings.moran_inference == "analytic" else moran_p_sim
    gi_star_p_fdr = adjust_p_values(
        _blank(gi_star_p), settings.correction, settings.correction_scope
    )
    moran_p_fdr = adjust_p_values(_blank(moran_p), settings.correction, settings.correction_scope)
    gi_star_class = _gi_star_class_codes(_blank(gi_star_z), gi_star_p_fdr)
    quadrant = moran_quadrant_codes(standard, moran_lag)
    quadrant[untested] = 4
    moran_class = np.where(moran_p_fdr <= MORAN_LEVEL, quadrant, 4).astype(np.int8)
    moran_class[untested] = 5

    columns = aligned.columns.to_numpy()
    industries = np.unique(columns.astype(str))
    keep = np.repeat(reported, n_columns)
    floats = {
        "value": raw,
        "gi_star": gi_star_value,
        "gi_star_z": gi_star_z,
        "gi_star_p_norm": gi_star_p_norm,
        "gi_star_p_sim": gi_star_p_sim,
        "gi_star_p_fdr": gi_star_p_fdr,
        "gi_z": gi_z,
        "moran_i": moran_i,
        "moran_z": moran_z,
        "moran_p_norm": moran_p_norm,
        "moran_p_sim": moran_p_sim,
        "moran_p_fdr": moran_p_fdr,
    }
    codes = {
        "area_code": (np.repeat(np.arange(n), n_columns), np.asarray(weights.ids)),
        # Sorted categories, so the result does not depend on the input's column order.
        "industry_code": (np.tile(np.searchsorted(industries, columns.astype(str)), n), industries),
        "gi_star_class": (gi_star_class, np.asarray(GI_STAR_CLASSES)),
        "moran_quadrant": (quadrant, np.asarray(MORAN_QUADRANTS)),
        "moran_class": (moran_class, np.asarray(MORAN_CLASSES)),
    }
    table = _result_table(floats, codes, keep=keep, blank=untested.ravel()[keep])
    report: dict[str, object] = {
        "variable": settings.variable,
        "transform": settings.weights.transform,
        "alternative": settings.alternative,
        "permutations": settings.permutations,
        "smallest_pseudo_p": 1 / (settings.permutations + 1) if settings.permutations else None,
        "seed": settings.seed,
        "gi_star_inference": settings.gi_star_inference,
        "moran_inference": settings.moran_inference,
        "correction": settings.correction,
        "correction_scope": settings.correction_scope,
        "missing_values": int((missing & reported[:, None]).sum()),
        "zero_variance_columns": [str(c) for c in columns[constant]],
        "areas_without_neighbours": int((no_neighbours & reported).sum()),
        "areas_reported": int(reported.sum()),
        "edge_buffer_areas": int((~reported).sum()),
        "hot_spots": int(((gi_star_class <= 2) & reported[:, None]).sum()),
        "cold_spots": int(((gi_star_class >= 4) & (gi_star_class <= 6) & reported[:, None]).sum()),
    }
    if missing.any():
        log.info(
            "%d area x industry values are missing: no result for them, mean value as a neighbour",
            int(missing.sum()),
        )
    if constant.any():
        log.warning(
            "Not tested (same value in every area): %s", ", ".join(map(str, columns[constant]))
        )
    return HotspotResult(table=table, report=report)
