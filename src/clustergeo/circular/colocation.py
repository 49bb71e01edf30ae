r"""Do producers and users of a material sit together? Local and global statistics per stream.

Every stream of the matrix is a pair of variables over the areas: :math:`x`, the producers'
value (their LQ, as the hot spots analyse), and :math:`y`, the users'. All streams are
computed in one pass: the statistics of every stream at once, and the permutation counts
once for every distinct column (streams sharing their users share their counts).

**Bivariate Local Moran** (Anselin, Syabri & Smirnov 2002; esda's ``Moran_Local_BV``), with
:math:`z_x = (x - \bar x)/s_x` and :math:`z_y` likewise (population deviations):

.. math:: I^{xy}_i = (n - 1)\, \frac{z_{x,i} \sum_j w_{ij} z_{y,j}}{\sum_k z_{x,k}^2}

It is high where producers are concentrated *and* the area's neighbours hold users (``HH``):
the co-location a symbiosis needs. It is computed both ways: ``pu_*`` with producers at the
area and users around it, ``up_*`` with users at the area and producers around it. An area
where either is a significant ``HH`` is **co-located** (``colocated``).

**Inference.** Conditional permutation (Anselin 1995): the area's own :math:`x_i` is held and
its neighbours' :math:`y` are drawn from the other areas, :math:`P` times, seeded. Once
:math:`x_i` is fixed, :math:`I^{xy}_i` is monotone in the neighbour lag of :math:`y`
(increasing when :math:`z_{x,i} > 0`, decreasing when it is negative), so the counts of
simulated lags at least / at most the observed one are those the hot-spot engine computes
for the column :math:`y` (:func:`clustergeo.hotspots.permutation.permutation_counts`, exact
ties, the same shared draws), turned into p-values with the direction
:math:`\operatorname{sign} z_{x,i}`
(:func:`clustergeo.hotspots.statistics.permutation_p_values`). The false discovery rate is
controlled within each stream and direction (Benjamini & Hochberg 1995), or across all, as
the run's hot spots are. Classes: the quadrant (``HH``, ``LH``, ``LL``, ``HL``) when the
corrected p-value is at most 0.05, ``not_significant``, or ``not_tested`` (a missing value,
a constant column, an area without neighbours).

**Global bivariate Moran's I** (Wartenberg 1985), with :math:`S_0 = \sum_{ij} w_{ij}`:

.. math:: I^{xy} = \frac{n}{S_0}\, \frac{\sum_i z_{x,i} \sum_j w_{ij} z_{y,j}}{\sum_i z_{x,i}^2}

For row-standardised weights (:math:`S_0 = n`) this is esda's ``Moran_BV``; for binary
weights esda leaves out :math:`n / S_0`. Its pseudo p-value permutes :math:`y` over the areas
(``global_permutations`` times, seeded), as esda does; an arrangement whose cross-product
is within rounding of the observed one counts as a tie, both ways, where esda's comparison
leaves an exact tie to rounding.

**Coagglomeration** (Ellison, Glaeser & Kerr 2010, *American Economic Review* 100(3),
eq. 2; the pairwise form of Ellison & Glaeser 1997), needing no map at all:

.. math:: \gamma^c_{xy} = \frac{\sum_m (s_{m,x} - a_m)(s_{m,y} - a_m)}{1 - \sum_m a_m^2}

with :math:`s_{m,x}` area *m*'s share of the producers' employment, :math:`s_{m,y}` of the
users' and :math:`a_m` of all employment. Above 0, producers and users are found in the same
areas more than the spread of all jobs would give; below 0, apart. It is the statistic for
tables without boundaries (regions, ITL2) and needs no weights; it has no test here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from clustergeo.hotspots.global_statistics import cross_product_rounding, restricted_weights
from clustergeo.hotspots.multiple_testing import Correction, adjust_p_values
from clustergeo.hotspots.permutation import permutation_counts
from clustergeo.hotspots.permutation_floor import FloorLimit, limits_at_floor, log_floor_limit
from clustergeo.hotspots.statistics import (
    Alternative,
    moran_quadrant_codes,
    permutation_p_values,
)
from clustergeo.hotspots.warmup import ensure_warm
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import MORAN_CLASSES, MORAN_LEVEL, MORAN_QUADRANTS

__all__ = [
    "DIRECTIONS",
    "Inference",
    "bivariate_local_moran",
    "bivariate_moran",
    "coagglomeration",
    "colocation_floor_limits",
    "global_colocation",
    "local_colocation",
]

#: The two directions of the local statistic: (prefix, variable at the area, variable around).
DIRECTIONS = (("pu", "producers", "users"), ("up", "users", "producers"))
#: Each direction in words, as the warnings and the report name it.
_DIRECTION_WORDS = {
    prefix: f"co-location ({here} at the area, {around} around it)"
    for prefix, here, around in DIRECTIONS
}
_NOT_SIGNIFICANT = MORAN_CLASSES.index("not_significant")
_NOT_TESTED = MORAN_CLASSES.index("not_tested")


#: Permutations per chunk of :func:`_permutation_orders`.
_CHUNK = 256


def _permutation_orders(
    n: int, permutations: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Random permutations of ``range(n)``, as ``n x chunk`` index arrays, chunk by chunk.

    Each column is one permutation; a chunk holds at most :data:`_CHUNK` of them, so the permuted
    values of every chunk fit in memory at national scale.
    """
    done = 0
    while done < permutations:
        size = min(_CHUNK, permutations - done)
        yield rng.permuted(np.tile(np.arange(n), (size, 1)), axis=1).T
        done += size


@dataclass(frozen=True)
class Inference:
    """How p-values are made and corrected: the run's hot-spot settings, as values."""

    transform: Literal["binary", "row"]
    permutations: int
    seed: int
    alternative: Alternative
    correction: Correction = "fdr_bh"
    correction_scope: Literal["industry", "all"] = "industry"


def _standardise(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray((values - values.mean(axis=0)) / values.std(axis=0))


def _filled(frame: pd.DataFrame, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values in the weights' order with missing ones as their column's mean.

    Also returns which values were missing and which columns are constant: the hot-spot
    engine's policy.
    """
    raw = frame.reindex(ids).to_numpy(dtype="float64")
    missing = ~np.isfinite(raw)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(np.where(missing, np.nan, raw), axis=0)
    filled = np.where(missing, mean, raw)
    filled = np.nan_to_num(filled)
    spread = filled.std(axis=0)
    constant = ~(spread > 1e-12 * np.abs(filled.mean(axis=0)))
    return filled, missing, constant


def bivariate_local_moran(
    x: np.ndarray, y: np.ndarray, matrix: sparse.csr_array
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bivariate Local Moran's I of each column pair, its lag and quadrant codes.

    ``x`` and ``y`` are ``n x S`` (no missing values), ``matrix`` the weights as used (already
    transformed, zero diagonal). Returns ``i``, the lag of standardised ``y`` and the quadrant
    codes (0 HH, 1 LH, 2 LL, 3 HL), each ``n x S``; ``i`` equals esda's ``Moran_Local_BV.Is``.
    """
    n = x.shape[0]
    zx, zy = _standardise(x), _standardise(y)
    lag = np.asarray(matrix @ zy)
    with np.errstate(divide="ignore", invalid="ignore"):
        moran = (n - 1) * zx * lag / (zx * zx).sum(axis=0)
    return moran, lag, moran_quadrant_codes(zx, lag)


def local_colocation(
    producers: pd.DataFrame,
    users: pd.DataFrame,
    weights: SpatialWeights,
    inference: Inference,
    *,
    report_for: Collection[str] | None = None,
) -> pd.DataFrame:
    """Bivariate Local Moran of every stream, both ways, with permutation inference and FDR.

    Parameters
    ----------
    producers, users
        Areas x streams (the same stream keys as columns), indexed by area code; NaN where
        missing. A missing value gives the area no result for that stream; as a neighbour it
        takes the column's mean.
    weights
        The run's spatial weights.
    inference
        Transform, permutations and seed, alternative, correction.
    report_for
        The study area's codes; the others are neighbours only (no rows, not in the FDR).

    Returns
    -------
    pandas.DataFrame
        One row per reported area x stream: ``area_code``, ``stream``, ``producers_value``,
        ``users_value``, and per direction ``d`` (``pu``: producers at the area, users
        around; ``up``: the reverse) ``d_i``, ``d_p_sim``, ``d_p_fdr``, ``d_quadrant`` and
        ``d_class``; ``colocated`` when either class is ``HH``.
    """
    streams = [str(c) for c in producers.columns]
    if list(map(str, users.columns)) != streams:
        raise ValueError("producers and users must have the same streams, in the same order")
    # The permutation and FDR kernels loaded (or compiled, saying so) before they are needed.
    ensure_warm()
    ids = np.asarray(weights.ids)
    n = len(ids)
    values = {"producers": _filled(producers, ids), "users": _filled(users, ids)}
    matrix = sparse.csr_array(weights.transformed(inference.transform))
    no_neighbours = weights.cardinalities == 0
    reported = np.ones(n, dtype=bool) if report_for is None else np.isin(ids, list(report_for))
    blocked = (
        values["producers"][1]
        | values["users"][1]
        | values["producers"][2][None, :]
        | values["users"][2][None, :]
        | no_neighbours[:, None]
    )
    counts = _counts_by_column(values, weights, matrix, inference)
    table = pd.DataFrame(
        {
            "area_code": np.repeat(ids[reported], len(streams)),
            "stream": np.tile(np.asarray(streams, dtype=object), int(reported.sum())),
            "producers_value": np.where(values["producers"][1], np.nan, values["producers"][0])[
                reported
            ].ravel(),
            "users_value": np.where(values["users"][1], np.nan, values["users"][0])[
                reported
            ].ravel(),
        }
    )
    for prefix, here, around in DIRECTIONS:
        x, y = values[here][0], values[around][0]
        moran, _lag, quadrant = bivariate_local_moran(x, y, matrix)
        if inference.permutations:
            ge, le = counts[around]
            direction = np.sign(_standardise(x))
            p_sim = permutation_p_values(
                ge, le, inference.permutations, inference.alternative, direction=direction
            )
        else:
            p_sim = np.full(x.shape, np.nan)
        untested = blocked | ~reported[:, None]
        moran = np.where(untested, np.nan, moran)
        p_sim = np.where(untested, np.nan, p_sim)[reported]
        p_fdr = adjust_p_values(p_sim, inference.correction, inference.correction_scope)
        quadrant = np.where(untested, len(MORAN_QUADRANTS) - 1, quadrant)[reported]
        significant = p_fdr <= MORAN_LEVEL
        classes = np.where(
            np.isnan(p_fdr), _NOT_TESTED, np.where(significant, quadrant, _NOT_SIGNIFICANT)
        )
        table[f"{prefix}_i"] = moran[reported].ravel()
        table[f"{prefix}_p_sim"] = p_sim.ravel()
        table[f"{prefix}_p_fdr"] = p_fdr.ravel()
        table[f"{prefix}_quadrant"] = np.asarray(MORAN_QUADRANTS, dtype=object)[quadrant.ravel()]
        table[f"{prefix}_class"] = np.asarray(MORAN_CLASSES, dtype=object)[classes.ravel()]
    table["colocated"] = (table["pu_class"] == "HH") | (table["up_class"] == "HH")
    return table


def colocation_floor_limits(
    local: pd.DataFrame, inference: Inference, labels: Mapping[str, str], *, at_least: int = 0
) -> list[FloorLimit]:
    """The streams whose co-location too few permutations withheld, each logged as a warning.

    Where an area's bivariate Local Moran lies beyond every permutation yet its corrected
    p-value stays above 0.05, the floor of the pseudo p-values, not the data, left it
    ``not_significant`` (:mod:`clustergeo.hotspots.permutation_floor`): co-location may be
    missed where there is some. ``local`` is :func:`local_colocation`'s table, ``labels``
    each stream's label by key, ``at_least`` the permutations the run's raise needs (the
    advice is never below it).
    """
    limits = limits_at_floor(
        local,
        {prefix: (words, MORAN_LEVEL) for prefix, words in _DIRECTION_WORDS.items()},
        group_column="stream",
        permutations=inference.permutations,
        alternative=inference.alternative,
        correction=inference.correction,
        correction_scope=inference.correction_scope,
        labels=labels,
        kind="stream",
        at_least=at_least,
    )
    for limit in limits:
        log_floor_limit(limit, inference.permutations)
    return limits


def _counts_by_column(
    values: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    weights: SpatialWeights,
    matrix: sparse.csr_array,
    inference: Inference,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Permutation counts of each side's lag, computed once per distinct column.

    Streams that share a side (every section-level stream's users are section E) share its
    counts: the draws depend only on the areas and the seed, never on the column.
    """
    if not inference.permutations:
        return {}
    stacked = np.hstack([values["producers"][0], values["users"][0]])
    unique, inverse = np.unique(stacked, axis=1, return_inverse=True)
    counts = permutation_counts(
        np.ascontiguousarray(unique),
        matrix,
        permutations=inference.permutations,
        seed=inference.seed,
        equal_weights=weights.binary,
    )
    inverse = np.asarray(inverse).ravel()
    width = values["producers"][0].shape[1]
    return {
        side: (counts.count_ge[:, inverse[part]], counts.count_le[:, inverse[part]])
        for side, part in (
            ("producers", slice(0, width)),
            ("users", slice(width, 2 * width)),
        )
    }


def bivariate_moran(x: np.ndarray, y: np.ndarray, w: sparse.csr_array) -> float:
    """Global bivariate Moran's I of ``x`` with the lag of ``y`` (see the module notes)."""
    n = len(x)
    zx, zy = _standardise(x), _standardise(y)
    return float(n / w.sum() * (zx @ (w @ zy)) / (zx @ zx))


def coagglomeration(producers: pd.DataFrame, users: pd.DataFrame, totals: pd.Series) -> pd.Series:
    r"""The Ellison-Glaeser-Kerr coagglomeration index of every stream (see the module notes).

    Parameters
    ----------
    producers, users
        Areas x streams: employment of each side (missing counts as 0).
    totals
        Each area's total employment, indexed like the frames.

    Returns
    -------
    pandas.Series
        :math:`\gamma^c` per stream; NaN for a side with no employment.
    """
    areas = totals.index
    a = totals.to_numpy(dtype="float64") / float(totals.sum())
    shares = {}
    for side, frame in (("producers", producers), ("users", users)):
        counts = frame.reindex(areas).fillna(0.0).to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            shares[side] = counts / counts.sum(axis=0)
    numerator = ((shares["producers"] - a[:, None]) * (shares["users"] - a[:, None])).sum(axis=0)
    return pd.Series(numerator / (1.0 - (a * a).sum()), index=producers.columns, dtype="float64")


def _permuted_p_value(  # noqa: PLR0917 -- the test's parts, in the order they are used
    zx: np.ndarray,
    zy: np.ndarray,
    w: sparse.csr_array,
    permutations: int,
    rng: np.random.Generator,
    alternative: Alternative,
) -> float:
    r"""Pseudo p-value of :math:`z_x^\top W z_y` with :math:`z_y` permuted over the areas.

    The cross-product is :math:`(W^\top z_x)^\top z_y`: the lag is formed once and each
    permutation is a dot product. Arrangements whose cross-product equals the observed one in
    exact arithmetic (common where most areas share a value: a stream's users in a few areas)
    differ from it by rounding only, and a simulated value within the rounding bound of
    :func:`~clustergeo.hotspots.global_statistics.cross_product_rounding` counts both ways.
    Values that differ by less than that bound are taken as ties too.
    """
    lag = w.T @ zx
    observed = float(lag @ zy)
    bound = cross_product_rounding(w) * float(np.linalg.norm(zx) * np.linalg.norm(zy))
    ge = le = 0
    for order in _permutation_orders(len(zy), permutations, rng):
        beyond = lag @ zy[order] - observed
        ge += int((beyond >= -bound).sum())
        le += int((beyond <= bound).sum())
    return float(permutation_p_values(np.array(ge), np.array(le), permutations, alternative))


def global_colocation(
    producers: pd.DataFrame,
    users: pd.DataFrame,
    weights: SpatialWeights,
    *,
    transform: Literal["binary", "row"],
    permutations: int,
    seed: int,
    alternative: Alternative,
    report_for: Collection[str] | None = None,
) -> pd.DataFrame:
    """Global bivariate Moran's I of every stream, producers with the users around them.

    Over the study area's areas where both values are finite, with the run's weights restricted
    to them and transformed as configured. Returns ``stream``, ``n_areas``, ``moran_bv_i`` and
    ``moran_bv_p_sim`` (``y`` permuted over the areas, one seeded generator for all streams);
    fewer than 4 areas or a constant side give NaN.
    """
    rng = np.random.default_rng(seed)
    position = pd.Series(np.arange(weights.n), index=weights.ids)
    rows = []
    for stream in producers.columns:
        pair = pd.concat([producers[stream], users[stream]], axis=1, keys=["x", "y"])
        # Missing or infinite values leave the area out, as the local statistics treat them.
        pair = pair.loc[np.isfinite(pair.to_numpy(dtype="float64")).all(axis=1)]
        if report_for is not None:
            pair = pair.loc[pair.index.isin(set(report_for))]
        pair = pair.loc[pair.index.isin(position.index)]
        row: dict[str, object] = {"stream": str(stream), "n_areas": len(pair)}
        w = restricted_weights(weights.matrix, position.loc[pair.index].to_numpy(), transform)
        x, y = pair["x"].to_numpy(), pair["y"].to_numpy()
        if len(pair) < 4 or np.ptp(x) == 0 or np.ptp(y) == 0 or w.sum() == 0:
            rows.append(row)
            continue
        row["moran_bv_i"] = bivariate_moran(x, y, w)
        if permutations:
            row["moran_bv_p_sim"] = _permuted_p_value(
                _standardise(x), _standardise(y), w, permutations, rng, alternative
            )
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["stream", "n_areas", "moran_bv_i", "moran_bv_p_sim"])
