"""Hot spots for every industry at once: statistics, inference, correction and classes.

Policies, applied and counted in the report:

* **Missing values** (a suppressed cell, an LQ of an area with no employment): the area gets
  no result for that industry, and as a neighbour of other areas it takes the industry's mean,
  which neither creates nor hides a hot spot around it.
* **Zero variance** (an industry with the same value everywhere, e.g. no employment at all):
  nothing can be tested; every result is missing and the class is ``not_tested``.
* **Islands**: by the weights' policy; areas left without neighbours get no result.

Classes come from the corrected p-value of the chosen inference: ``hot_99`` and ``hot_95``
(p ≤ 0.01 and 0.05 with a positive z), ``cold_*`` likewise with a negative z, else
``not_significant``. There is no 90% class: every area called hot is a hot spot at the level
clusters are built from (corrected p ≤ 0.05), so counting "hot" areas and counting cluster
members use one threshold. Local Moran clusters are labelled by quadrant (``HH``, ``LL``,
``HL``, ``LH``) when significant at 0.05, else ``not_significant``.

The results are written straight into the columns of the result table (one Fortran-ordered
float block that pandas takes without copying) by compiled passes, each one parallel region,
as many whatever the number of industries or of neighbour counts: the analytic statistics,
the normal p-values, the permutation counts (:mod:`~clustergeo.hotspots.permutation`, ties
decided exactly; its sorted sums go in waves of 64 MB, one wave at 999 permutations on 35,000
areas), their pseudo p-values, the corrections and the classes. Permutation p-values are
corrected by counting the tests at each of their few values, analytic ones by a bucket sort
of each industry. The numbers are those of the plain numpy functions of
:mod:`~clustergeo.hotspots.statistics` and :mod:`~clustergeo.hotspots.multiple_testing`, to
the last bit; the tests check it. The first call in a process compiles the kernels, or loads
them from numba's cache (:mod:`~clustergeo.hotspots.warmup`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd

from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.multiple_testing import (
    adjust_columns_into,
    adjust_p_values,
    discrete_table,
)
from clustergeo.hotspots.permutation import permutation_counts
from clustergeo.hotspots.permutation_floor import smallest_pseudo_p
from clustergeo.hotspots.statistics import (
    ColumnSums,
    StatisticsOutput,
    column_sums,
    local_statistics,
    permutation_p_values_into,
    row_major,
    statistics_weights,
)
from clustergeo.hotspots.warmup import ensure_warm, refresh_module_cache
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import (
    GI_STAR_CLASSES,
    MORAN_CLASSES,
    MORAN_LEVEL,
    MORAN_QUADRANTS,
    SIGNIFICANCE_LEVELS,
)

__all__ = [
    "HotspotResult",
    "classify_gi_star",
    "correct_pooled",
    "local_hotspots",
    "log_policies",
    "policies_of",
]

log = logging.getLogger(__name__)


@dataclass
class HotspotResult:
    """Long table of results (one row per area x column) and what was done."""

    table: pd.DataFrame
    report: dict[str, object] = field(default_factory=dict)


# Codes of the classes of :mod:`clustergeo.vocab` that the compiled passes write.
_NOT_SIGNIFICANT = len(SIGNIFICANCE_LEVELS)
_NOT_TESTED = 2 * _NOT_SIGNIFICANT + 1
_QUADRANT_NOT_TESTED = 4
_MORAN_NOT_SIGNIFICANT = 4
_MORAN_NOT_TESTED = 5


def _gi_star_class_codes(z: np.ndarray, p_adjusted: np.ndarray) -> np.ndarray:
    # Level 0, 1 for p <= 0.01, 0.05; _NOT_SIGNIFICANT for not significant.
    level = np.full(z.shape, _NOT_SIGNIFICANT, dtype=np.int8)
    for index, (threshold, _label) in reversed(list(enumerate(SIGNIFICANCE_LEVELS))):
        level[p_adjusted <= threshold] = index
    codes = np.where(
        level == _NOT_SIGNIFICANT,
        _NOT_SIGNIFICANT,
        np.where(z > 0, level, 2 * _NOT_SIGNIFICANT - level),
    ).astype(np.int8)
    codes[(level < _NOT_SIGNIFICANT) & (z == 0)] = _NOT_SIGNIFICANT
    codes[np.isnan(p_adjusted)] = _NOT_TESTED
    return codes


#: How the class kernel finds a statistic's corrected p-value: already in its column, or as a
#: level key looked up in a table of corrected levels.
_GIVEN, _FROM_LEVELS = 0, 1


@dataclass(frozen=True)
class _Corrected:
    """Where the corrected p-values of one statistic come from (``_GIVEN`` or ``_FROM_LEVELS``)."""

    mode: int = _GIVEN
    keys: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int32))
    table: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def arguments(self) -> tuple[int, np.ndarray, np.ndarray]:
        """The kernel's arguments for this statistic."""
        return self.mode, self.keys, self.table


@numba.njit(cache=True, inline="always")
def _fill_corrected(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    mode: int, p: np.ndarray, keys: np.ndarray, table: np.ndarray, i: int, n_columns: int
) -> None:
    """Row ``i`` of a statistic's corrected p-values into ``p``, if they come from levels."""
    if mode != _FROM_LEVELS:
        return
    # One row of levels for a pooled family, one per industry otherwise.
    pooled = table.shape[0] == 1
    for c in range(n_columns):
        key = keys[i, c]
        p[i, c] = table[0 if pooled else c, max(key, 0)] if key >= 0 else np.nan


@numba.njit(cache=True, parallel=True)
def _class_kernel(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    gi_star_z: np.ndarray,
    gi_star_p: np.ndarray,
    gi_star_source: tuple[int, np.ndarray, np.ndarray],
    thresholds: np.ndarray,
    moran_p: np.ndarray,
    moran_source: tuple[int, np.ndarray, np.ndarray],
    moran_level: float,
    quadrant: np.ndarray,
    gi_star_class: np.ndarray,
    moran_class: np.ndarray,
    n_blocks: int,
) -> None:
    """The corrected p-values into their columns, then the Gi* and Moran classes, in one pass.

    The classes are the codes of :func:`_gi_star_class_codes` and of the Moran classes; the
    level of a p-value is the number of ``thresholds`` (ascending) it is above. Selects
    rather than branches, so the loops over industries run on vector registers.
    """
    rows, n_columns = gi_star_z.shape
    gi_mode, gi_keys, gi_table = gi_star_source
    moran_mode, moran_keys, moran_table = moran_source
    not_significant = len(thresholds)
    blocks = max(1, min(rows, n_blocks))
    for block in numba.prange(blocks):
        level = np.empty(n_columns, dtype=np.int64)
        for i in range(block * rows // blocks, (block + 1) * rows // blocks):
            _fill_corrected(gi_mode, gi_star_p, gi_keys, gi_table, i, n_columns)
            _fill_corrected(moran_mode, moran_p, moran_keys, moran_table, i, n_columns)
            level[:] = 0
            for t in range(len(thresholds)):
                for c in range(n_columns):
                    level[c] += gi_star_p[i, c] > thresholds[t]
            for c in range(n_columns):
                p = gi_star_p[i, c]
                z = gi_star_z[i, c]
                code = level[c] if z > 0 else 2 * _NOT_SIGNIFICANT - level[c]
                code = _NOT_SIGNIFICANT if level[c] == not_significant or z == 0 else code
                gi_star_class[i, c] = _NOT_TESTED if np.isnan(p) else code
                q = quadrant[i, c]
                moran = q if moran_p[i, c] <= moran_level else _MORAN_NOT_SIGNIFICANT
                moran_class[i, c] = _MORAN_NOT_TESTED if q == _QUADRANT_NOT_TESTED else moran


def _class_blocks() -> int:
    """Blocks of rows for the class kernel: many per thread, to balance the threads."""
    return 64 * numba.get_num_threads()


def classify_gi_star(z: np.ndarray, p_adjusted: np.ndarray) -> np.ndarray:
    """Hot/cold classes at 99/95% from a z-score's sign and its corrected p-value."""
    labels = np.asarray(GI_STAR_CLASSES, dtype=object)
    return np.asarray(labels[_gi_star_class_codes(z, p_adjusted)])


def _code_dtype(categories: int) -> type[np.signedinteger[Any]]:
    """The integer type pandas keeps categorical codes in (so it need not convert them)."""
    for dtype in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _categorical(
    codes: np.ndarray, categories: Sequence[str] | np.ndarray | pd.CategoricalDtype
) -> pd.Categorical[Any]:
    dtype = (
        categories
        if isinstance(categories, pd.CategoricalDtype)
        else pd.CategoricalDtype(list(categories))
    )
    # The codes are in range by construction: skip pandas' check (a pass over 3 million).
    return pd.Categorical.from_codes(
        codes.ravel().astype(_code_dtype(len(dtype.categories)), copy=False),
        dtype=dtype,
        validate=False,
    )


#: The float results, in table order; each is one column of the table's float block.
_FLOAT_COLUMNS = (
    "value",
    "gi_star",
    "gi_star_z",
    "gi_star_p_norm",
    "gi_star_p_sim",
    "gi_star_p_fdr",
    "gi_z",
    "moran_i",
    "moran_z",
    "moran_p_norm",
    "moran_p_sim",
    "moran_p_fdr",
)
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
    block: np.ndarray, codes: Mapping[str, tuple[np.ndarray, np.ndarray | pd.CategoricalDtype]]
) -> pd.DataFrame:
    """The long result table around the float block the results were written into.

    The float results were computed straight into the columns of one Fortran-ordered block,
    which pandas takes without copying, and codes become categoricals rather than millions of
    Python strings: at national scale (35,000 areas x 88 industries) building the table the
    plain way took several times longer than the statistics.
    """
    table = pd.DataFrame(block, columns=list(_FLOAT_COLUMNS), copy=False)
    # Insert the categorical columns in place: reordering afterwards would copy every column.
    for name in sorted(codes, key=_COLUMN_ORDER.index):
        code, categories = codes[name]
        table.insert(
            _COLUMN_ORDER.index(name), name, pd.Series(_categorical(code, categories), copy=False)
        )
    return table


def _fill_missing(
    raw: np.ndarray, missing: np.ndarray
) -> tuple[np.ndarray, np.ndarray, ColumnSums]:
    """Missing values filled with their column's mean; constant columns; the column sums."""
    # With nothing missing or infinite, the filled values are the values: their column sums
    # give the mean and deviation over the known values (the same numbers, without passes
    # of their own over the whole array).
    if bool(np.isfinite(raw).all()):
        sums = column_sums(raw)
        column_mean, column_std, filled = sums.mean, sums.std, raw
    else:
        known = (~missing).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Column means and deviations over the known values; all-missing columns give NaN.
            column_mean = np.where(missing, 0.0, raw).sum(axis=0) / known
            column_std = np.sqrt(
                np.where(missing, 0.0, (raw - column_mean) ** 2).sum(axis=0) / known
            )
        filled = np.asfortranarray(np.nan_to_num(np.where(missing, column_mean, raw)))
        sums = column_sums(filled)
    # "Constant" allows for rounding: values all equal to 0.1 can give a deviation of 1e-17.
    with np.errstate(invalid="ignore"):
        constant = ~(column_std > 1e-12 * np.abs(column_mean))
    return filled, constant, sums


def _pseudo_p_values(
    filled: np.ndarray,
    filled_rows: np.ndarray,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    untested: np.ndarray,
    rows: np.ndarray,
    out: dict[str, np.ndarray],
    sums: ColumnSums,
) -> dict[str, _Corrected]:
    """Permutation p-values into ``out``; the corrections of the discrete ones as tables."""
    n_reported, n_columns = out["gi_star_p_sim"].shape
    # Permutation p-values take one of P + 2 values: a BH correction of them counts the tests
    # at each value (their keys) instead of sorting millions of p-values.
    discrete = settings.permutations > 0 and settings.correction == "fdr_bh"
    keys = {
        statistic: np.empty((n_reported, n_columns), dtype=np.int32)
        for statistic in ("gi_star", "moran")
        if discrete and _inference(settings, statistic) == "permutation"
    }
    if not settings.permutations:
        out["gi_star_p_sim"][...] = np.nan
        out["moran_p_sim"][...] = np.nan
        return {}
    counts = permutation_counts(
        filled_rows,
        # With equal weights only who neighbours whom counts (the lag is a sum of neighbours'
        # values, scaled or not): no row-standardised copy of the matrix to build.
        weights.matrix if weights.binary else weights.transformed(settings.weights.transform),
        permutations=settings.permutations,
        seed=settings.seed,
        equal_weights=weights.binary,
        # The values industry by industry: the Fortran-ordered table seen transposed.
        columns=filled.T,
        # Cells not tested (outside the study area, value missing) are only drawn from: on
        # an employment grid that is often half the cells, and a missing value (the column
        # mean) ties with every draw of missing values.
        cells=~untested,
    )
    levels = permutation_p_values_into(
        counts.count_ge,
        counts.count_le,
        counts.permutations,
        settings.alternative,
        filled,
        contiguous=filled_rows,
        untested=untested,
        rows=rows,
        gi_star_out=out["gi_star_p_sim"],
        moran_out=out["moran_p_sim"],
        gi_star_keys=keys.get("gi_star"),
        moran_keys=keys.get("moran"),
        sums=sums,
    )
    return {
        statistic: _Corrected(
            _FROM_LEVELS,
            keys=key,
            table=discrete_table(key, levels, settings.correction_scope),
        )
        for statistic, key in keys.items()
    }


def _corrections(
    settings: HotspotsConfig, out: dict[str, np.ndarray], discrete: dict[str, _Corrected]
) -> dict[str, _Corrected]:
    """How each statistic's classifying p-value is corrected (done here or by the kernel)."""
    sources: dict[str, _Corrected] = {}
    for statistic in ("gi_star", "moran"):
        if statistic in discrete:
            sources[statistic] = discrete[statistic]
            continue
        p = out[_classifying_column(settings, statistic)]
        target = out[f"{statistic}_p_fdr"]
        if settings.correction == "fdr_bh" and settings.correction_scope == "industry":
            adjust_columns_into(p, target)
        else:
            target[...] = adjust_p_values(p, settings.correction, settings.correction_scope)
        sources[statistic] = _Corrected()
    return sources


def local_hotspots(
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    report_for: Collection[str] | None = None,
    say_policies: bool = True,
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
    say_policies
        Log the policies applied (missing values, untestable areas and columns); a caller
        running many calls (one per year) says them once itself, from the reports.

    Returns
    -------
    HotspotResult
        ``table`` has one row per area x column, with ``gi_star``, ``gi_star_z``,
        ``gi_star_p_norm``, ``gi_star_p_sim``, ``gi_star_p_fdr`` (the classifying p-value after
        correction, whatever the correction method), ``gi_star_class``, ``gi_z``, ``moran_i``,
        ``moran_z``, ``moran_p_norm``, ``moran_p_sim``, ``moran_p_fdr``, ``moran_quadrant`` and
        ``moran_class``. P-values are for ``settings.alternative``.
    """
    # Compiles the kernels (or loads them from numba's cache) once per process, with a log
    # line when it compiles, before the first of them runs.
    ensure_warm()
    aligned = values.reindex(weights.ids)
    # Column-contiguous, so every column reduction (sums, means, deviations) adds up the
    # column on its own, in the same order whatever other columns sit beside it: a block of
    # industries on a Dask worker, or one industry, gives the bits of the whole table. And
    # aligned: numpy sums misaligned memory (as Dask can deserialise it) in another order.
    raw = aligned.to_numpy(dtype="float64")
    if not (raw.flags.f_contiguous and raw.flags.aligned):
        raw = np.array(raw, order="F")
    n, n_columns = raw.shape
    missing = np.isnan(raw)
    filled, constant, sums = _fill_missing(raw, missing)
    no_neighbours = weights.cardinalities == 0
    # A hash lookup of Python objects: numpy's isin compares arrays of Python strings pair by
    # pair (35 s for England's LSOAs against themselves), and an index of pandas' Arrow
    # strings makes an Arrow scalar of each code looked up (78 ms for half of them, 2 ms so).
    reported = (
        np.ones(n, dtype=bool)
        if report_for is None
        else pd.Index(np.asarray(weights.ids), dtype=object).isin(list(report_for))
    )
    # Row-major, as every kernel reads it.
    untested = np.empty((n, n_columns), dtype=bool)
    np.logical_or(missing, constant[None, :], out=untested)
    untested |= no_neighbours[:, None] | ~reported[:, None]
    n_reported = int(reported.sum())
    # Each area's row in the results (-1: not reported).
    rows = np.full(n, -1, dtype=np.int64)
    rows[reported] = np.arange(n_reported)

    # Every float result is written straight into its column of the table's block: a column
    # viewed as reported areas x industries is C-contiguous, in the table's row order.
    block = np.empty((n_reported * n_columns, len(_FLOAT_COLUMNS)), order="F")
    out = {
        name: block[:, position].reshape(n_reported, n_columns)
        for position, name in enumerate(_FLOAT_COLUMNS)
    }
    quadrant = np.empty((n_reported, n_columns), dtype=np.int8)
    # The compiled kernels read areas' rows: one row-major copy serves them all. The numpy
    # reductions still see ``filled`` as the reference computes them.
    filled_rows = row_major(filled)
    row_standardise = settings.weights.transform == "row"
    local_statistics(
        raw,
        filled,
        weights.matrix,
        contiguous=filled_rows,
        binary=weights.binary,
        row_standardise=row_standardise,
        untested=untested,
        rows=rows,
        out=StatisticsOutput(
            value=out["value"],
            gi_star=out["gi_star"],
            gi_star_z=out["gi_star_z"],
            gi_z=out["gi_z"],
            moran_i=out["moran_i"],
            moran_z=out["moran_z"],
            quadrant=quadrant,
            # From the blanked z, so untested cells get NaN.
            gi_star_p_norm=out["gi_star_p_norm"],
            moran_p_norm=out["moran_p_norm"],
        ),
        sums=sums,
        alternative=settings.alternative,
        prepared=weights.derived(
            ("statistics weights", weights.binary, row_standardise),
            lambda: statistics_weights(
                weights.matrix, binary=weights.binary, row_standardise=row_standardise
            ),
        ),
    )

    discrete = _pseudo_p_values(
        filled, filled_rows, weights, settings, untested=untested, rows=rows, out=out, sums=sums
    )
    sources = _corrections(settings, out, discrete)

    gi_star_class = np.empty((n_reported, n_columns), dtype=np.int8)
    moran_class = np.empty((n_reported, n_columns), dtype=np.int8)
    _class_kernel(
        out["gi_star_z"],
        out["gi_star_p_fdr"],
        sources["gi_star"].arguments(),
        np.array([threshold for threshold, _label in SIGNIFICANCE_LEVELS]),
        out["moran_p_fdr"],
        sources["moran"].arguments(),
        MORAN_LEVEL,
        quadrant,
        gi_star_class,
        moran_class,
        _class_blocks(),
    )

    columns = aligned.columns.to_numpy()
    industries = np.unique(columns.astype(str))
    codes: dict[str, tuple[np.ndarray, np.ndarray | pd.CategoricalDtype]] = {
        "area_code": (
            np.repeat(np.flatnonzero(reported).astype(_code_dtype(n)), n_columns),
            # Building the type checks 35,000 codes are unique: once per weights.
            weights.derived(
                "area codes", lambda: pd.CategoricalDtype(list(np.asarray(weights.ids)))
            ),
        ),
        # Sorted categories, so the result does not depend on the input's column order.
        "industry_code": (
            np.tile(
                np.searchsorted(industries, columns.astype(str)).astype(
                    _code_dtype(len(industries))
                ),
                n_reported,
            ),
            industries,
        ),
        "gi_star_class": (gi_star_class, np.asarray(GI_STAR_CLASSES)),
        "moran_quadrant": (quadrant, np.asarray(MORAN_QUADRANTS)),
        "moran_class": (moran_class, np.asarray(MORAN_CLASSES)),
    }
    table = _result_table(block, codes)
    # Gi* of an area neighbouring every other area is the same sum under any permutation.
    everywhere = weights.cardinalities >= max(n - 1, 1)
    # Class codes: hot below _NOT_SIGNIFICANT, cold between it and _NOT_TESTED (counted
    # without bincount, which would widen 3 million int8 codes to 64 bits first).
    hot_spots = int(np.count_nonzero(gi_star_class < _NOT_SIGNIFICANT))
    cold_spots = int(np.count_nonzero(gi_star_class > _NOT_SIGNIFICANT)) - int(
        np.count_nonzero(gi_star_class == _NOT_TESTED)
    )
    report: dict[str, object] = {
        "variable": settings.variable,
        "transform": settings.weights.transform,
        "alternative": settings.alternative,
        "permutations": settings.permutations,
        "smallest_pseudo_p": smallest_pseudo_p(settings.permutations, settings.alternative),
        "seed": settings.seed,
        "gi_star_inference": settings.gi_star_inference,
        "moran_inference": settings.moran_inference,
        "correction": settings.correction,
        "correction_scope": settings.correction_scope,
        "missing_values": int((missing & reported[:, None]).sum()),
        "zero_variance_columns": [str(c) for c in columns[constant]],
        "areas_without_neighbours": int((no_neighbours & reported).sum()),
        "areas_whose_neighbourhood_is_every_area": int((everywhere & reported).sum()),
        "areas_reported": int(reported.sum()),
        "edge_buffer_areas": int((~reported).sum()),
        "hot_spots": hot_spots,
        "cold_spots": cold_spots,
    }
    if say_policies:
        log_policies(report)
    return HotspotResult(table=table, report=report)


def policies_of(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The policies of calls over parts of one table, as one call's report gives them.

    The parts are blocks of its industries: missing values add up, constant columns are
    listed together, and the untestable areas (the same in every part) count once.
    """
    return {
        "missing_values": sum(int(r["missing_values"]) for r in reports),
        "areas_whose_neighbourhood_is_every_area": max(
            (int(r["areas_whose_neighbourhood_is_every_area"]) for r in reports), default=0
        ),
        "zero_variance_columns": [str(c) for r in reports for c in r["zero_variance_columns"]],
    }


def log_policies(report: Mapping[str, Any], *, when: str = "") -> None:
    """Say which policies a hot-spot run applied: missing values, untestable areas and columns.

    ``report`` is a :func:`local_hotspots` report (or :func:`policies_of` several); ``when``
    (a year, say) begins each line of a run that says them once per part of it.
    """
    missing = int(report["missing_values"])
    everywhere = int(report["areas_whose_neighbourhood_is_every_area"])
    constant = list(report["zero_variance_columns"])
    lead = f"{when}: " if when else ""
    if missing:
        log.info(
            "%s%d area x industry values are missing: no result for them, mean value as a "
            "neighbour",
            lead,
            missing,
        )
    if everywhere:
        log.warning(
            "%s%d areas have every other area as a neighbour, so their Gi* cannot be tested "
            "(not_tested); use shorter distances or contiguity weights",
            lead,
            everywhere,
        )
    if constant:
        log.warning("%sNot tested (same value in every area): %s", lead, ", ".join(constant))


def _inference(settings: HotspotsConfig, statistic: str) -> str:
    """``analytic`` or ``permutation``: the inference that classifies ``statistic``."""
    return settings.gi_star_inference if statistic == "gi_star" else settings.moran_inference


def _classifying_column(settings: HotspotsConfig, statistic: str) -> str:
    """The p-value column that classifies ``statistic`` (``gi_star`` or ``moran``)."""
    suffix = "norm" if _inference(settings, statistic) == "analytic" else "sim"
    return f"{statistic}_p_{suffix}"


def correct_pooled(table: pd.DataFrame, settings: HotspotsConfig) -> None:
    """Correct every test of ``table`` as one family and reclassify, in place.

    For results computed in parts with ``correction: none`` (each part on its own Dask
    worker) when the run asks for one family of all area x industry tests: gives the bits of
    the in-process run, whose discrete correction equals :func:`adjust_p_values` on the same
    p-values.
    """
    for statistic in ("gi_star", "moran"):
        p = table[_classifying_column(settings, statistic)].to_numpy(dtype=np.float64)
        table[f"{statistic}_p_fdr"] = adjust_p_values(p, settings.correction, "all")
    rows = len(table)
    gi_star_class = np.empty((rows, 1), dtype=np.int8)
    moran_class = np.empty((rows, 1), dtype=np.int8)
    _class_kernel(
        # Writable copies, as the in-process run passes: a read-only array is another
        # signature of the kernel, compiled on a fresh install for this path alone.
        np.array(table["gi_star_z"].to_numpy(dtype=np.float64).reshape(rows, 1)),
        np.array(table["gi_star_p_fdr"].to_numpy(dtype=np.float64).reshape(rows, 1)),
        _Corrected().arguments(),
        np.array([threshold for threshold, _label in SIGNIFICANCE_LEVELS]),
        np.array(table["moran_p_fdr"].to_numpy(dtype=np.float64).reshape(rows, 1)),
        _Corrected().arguments(),
        MORAN_LEVEL,
        np.array(table["moran_quadrant"].cat.codes.to_numpy(), dtype=np.int8).reshape(rows, 1),
        gi_star_class,
        moran_class,
        _class_blocks(),
    )
    table["gi_star_class"] = _categorical(gi_star_class, GI_STAR_CLASSES)
    table["moran_class"] = _categorical(moran_class, MORAN_CLASSES)


# numba's cache of this module's kernels, checked against the sources they are built from.
refresh_module_cache(globals())
