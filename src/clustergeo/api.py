r"""The Python API: functions that take frames and keyword arguments and return new frames.

These are the pipeline's own statistics, for use in a notebook or a script, in the style of
PySAL's esda, libpysal and tobler: plain functions (no object computes everything when it is
built), ``permutations`` and ``seed`` as arguments, and results aligned to the input.

* :func:`weights` builds the spatial weights (tolerant contiguity by default); :func:`to_graph`
  and :func:`to_w` turn them into a libpysal ``Graph`` or ``W``. Every function that takes
  weights also takes a libpysal ``Graph`` or ``W``.
* :func:`location_quotients` measures concentration, with intervals and an unreliable flag.
* :func:`find_hotspots` computes Getis-Ord Gi*, Gi and Local Moran's I for many columns at once,
  with analytic and permutation p-values, false-discovery control and classes.
* :func:`find_clusters` joins neighbouring hot spots into cluster polygons.
* :func:`govern` says which authorities each cluster falls in, with shares and flags.

Conventions shared by every function:

* **Areas are rows, identified by the frame's index.** Set the index to the area code
  (``areas.set_index("area_code")``) so results read naturally; any unique labels work. Results
  have the same index, in the same order, and inputs are never modified.
* **Result columns are** ``<column>_<field>``, where ``<column>`` is the column analysed (or the
  name given to it) and ``<field>`` the name the pipeline's tables use (``lq``,
  ``gi_star_z``, ``gi_star_p_fdr``...), so a notebook and a run's outputs speak alike.
* **Defaults are the pipeline's**: a call with default arguments gives the numbers
  ``clustergeo run`` writes for a config with default settings.

Problems with the arguments raise :class:`~clustergeo.ClusterGeoError` subclasses whose
message names the argument, the rows or columns at fault, and the fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeAlias, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from clustergeo._errors import ConfigError, InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo.clusters.delineate import delineate_clusters
from clustergeo.concentration import LqSettings
from clustergeo.concentration import location_quotients as _location_quotient_table
from clustergeo.config import (
    ClustersConfig,
    ConcentrationConfig,
    GovernanceConfig,
    HotspotsConfig,
    WeightsConfig,
)
from clustergeo.governance.overlay import (
    add_upper_tier,
    authority_links,
    governance_flags,
    nearby_authorities,
)
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.statistics import Alternative
from clustergeo.hotspots.weights import IslandPolicy, SpatialWeights, WeightsMethod
from clustergeo.hotspots.weights import configured_weights as _configured_weights
from clustergeo.hotspots.weights_formats import from_adjacency, to_adjacency
from clustergeo.vocab import TIERS

if TYPE_CHECKING:
    from libpysal.graph import Graph
    from libpysal.weights import W

__all__ = [
    "FoundClusters",
    "Governance",
    "SpatialWeights",
    "find_clusters",
    "find_hotspots",
    "govern",
    "location_quotients",
    "to_graph",
    "to_w",
    "weights",
]

#: Weights any function accepts: clustergeo's own, or libpysal's ``Graph`` or ``W``.
WeightsLike: TypeAlias = "SpatialWeights | Graph | W"

Kernel = Literal["gaussian", "triangular", "bisquare", "tricube", "exponential"]
Transform = Literal["binary", "row", "O", "B", "R"]
Inference = Literal["analytic", "permutation"]
Correction = Literal["fdr_bh", "bonferroni", "none"]
CorrectionScope = Literal["industry", "all"]
Membership = Literal["gi_star", "moran_hh", "lq"]

#: What :func:`location_quotients` returns per column, after ``area_total``.
LQ_FIELDS = (
    "employment",
    "reference_share",
    "lq",
    "lq_lower",
    "lq_upper",
    "lq_unreliable",
    "lq_note",
)
#: The fields of each result :func:`find_clusters` reads to decide membership.
_MEMBERSHIP_FIELDS = (
    "gi_star_z",
    "gi_star_class",
    "gi_star_p_fdr",
    "moran_quadrant",
    "moran_p_fdr",
)

#: Libpysal's transformation codes, and the statistics' own words, for ``transform``.
_TRANSFORMS: Mapping[str, Literal["binary", "row"]] = {
    "binary": "binary",
    "O": "binary",
    "B": "binary",
    "row": "row",
    "R": "row",
}


class FoundClusters(NamedTuple):
    """What :func:`find_clusters` returns; unpack it as ``clusters, members = ...``.

    Attributes
    ----------
    clusters
        One polygon per cluster, indexed by its stable ``cluster_id``.
    members
        One row per member area and cluster, indexed by the area's label in the input.
    """

    clusters: gpd.GeoDataFrame
    members: pd.DataFrame


class Governance(NamedTuple):
    """What :func:`govern` returns; unpack it as ``clusters, authorities = ...``.

    Attributes
    ----------
    clusters
        The clusters with their governance flags, indexed by ``cluster_id``.
    authorities
        One row per cluster and authority it touches, per tier, with shares.
    """

    clusters: gpd.GeoDataFrame
    authorities: pd.DataFrame


# --- spatial weights ----------------------------------------------------------------------------


def weights(
    areas: gpd.GeoDataFrame,
    method: WeightsMethod = "contiguity",
    *,
    tolerance_m: float = 1.0,
    k: int = 6,
    threshold_m: float | None = None,
    bandwidth_m: float | None = None,
    kernel: Kernel = "gaussian",
    islands: IslandPolicy = "nearest",
    island_neighbours: int = 1,
) -> SpatialWeights:
    """Spatial weights over the areas of a GeoDataFrame, with islands handled by policy.

    Parameters
    ----------
    areas
        Polygons in a projected CRS in metres (British National Grid, EPSG:27700, in Great
        Britain), one row per area, indexed by a unique label (the area code).
    method
        ``"contiguity"`` (the default): queen contiguity that tolerates boundary files whose
        shared edges do not coincide exactly; ``"queen"`` / ``"rook"``: strict contiguity;
        ``"knn"``: the ``k`` nearest areas; ``"distance_band"``: areas within
        ``threshold_m``; ``"kernel"``: kernel weights.
    tolerance_m
        How close two boundaries must come, in metres, for ``"contiguity"`` neighbours.
    k
        Neighbours for ``"knn"``, and the adaptive bandwidth of ``"kernel"``.
    threshold_m
        Distance of ``"distance_band"``, in metres.
    bandwidth_m, kernel
        Fixed bandwidth (else adaptive, ``k`` neighbours) and kernel function of ``"kernel"``.
    islands
        Areas left with no neighbour: ``"nearest"`` links each to its ``island_neighbours``
        nearest areas; ``"exclude"`` leaves them unlinked (their statistics are missing).
    island_neighbours
        How many nearest areas an island is linked to.

    Returns
    -------
    SpatialWeights
        Untransformed weights (1 for neighbours, kernel values for kernels), whose ``ids`` are
        ``areas.index`` in order. :func:`to_graph` and :func:`to_w` convert them for libpysal
        and esda; ``.audit()`` lists every area's neighbours, islands and components.

    Notes
    -----
    Tolerant contiguity links two areas when the distance between them is at most
    ``tolerance_m``; on the ONS MSOA 2011 boundaries of the Midlands strict queen contiguity
    finds no neighbour at all (shared edges differ by about 1e-7 degrees), while one metre
    recovers the true adjacency. The other methods are libpysal's ``Graph.build_*``; see
    :mod:`clustergeo.hotspots.weights`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import clustergeo as cg
    >>> row = gpd.GeoDataFrame(
    ...     geometry=[box(x, 0, x + 100, 100) for x in (0, 100, 200)],
    ...     index=["A", "B", "C"],
    ...     crs="EPSG:27700",
    ... )
    >>> w = cg.weights(row)
    >>> w.cardinalities.tolist()
    [1, 2, 1]
    >>> sorted(cg.to_graph(w).adjacency.index.tolist())
    [('A', 'B'), ('B', 'A'), ('B', 'C'), ('C', 'B')]
    """
    spec = _settings(
        WeightsConfig,
        "weights",
        method=method,
        tolerance_m=tolerance_m,
        k=k,
        threshold_m=threshold_m,
        bandwidth_m=bandwidth_m,
        kernel=kernel,
        islands=islands,
        island_neighbours=island_neighbours,
    )
    codes = _area_codes(areas, "areas", "weights")
    _require_polygons(areas, "areas", "weights")
    frame = gpd.GeoDataFrame(
        {"area_code": codes}, geometry=areas.geometry.to_numpy(), crs=areas.crs
    )
    built = _configured_weights(frame, spec)
    label_of = dict(zip(codes, areas.index, strict=True))
    return dataclasses.replace(
        built,
        ids=areas.index.to_numpy(),
        islands=tuple(label_of[code] for code in built.islands),
        attached=tuple(label_of[code] for code in built.attached),
    )


def to_graph(weights: SpatialWeights) -> Graph:
    """The weights as a libpysal ``Graph``, for esda, spreg, mgwr and the rest of PySAL.

    Parameters
    ----------
    weights
        Weights from :func:`weights` (or a run's weights).

    Returns
    -------
    libpysal.graph.Graph
        The same links and weights, untransformed (``transformation`` ``"O"``), over the same
        ids in the same order; an area without neighbours is an isolate (a zero self-link, as
        libpysal writes them).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import clustergeo as cg
    >>> row = gpd.GeoDataFrame(
    ...     geometry=[box(x, 0, x + 100, 100) for x in (0, 100)], index=["A", "B"], crs=27700
    ... )
    >>> cg.to_graph(cg.weights(row)).cardinalities.tolist()
    [1, 1]
    """
    from libpysal.graph import Graph

    return Graph.from_sparse(weights.matrix, ids=np.asarray(weights.ids))


def to_w(weights: SpatialWeights) -> W:
    """The weights as a libpysal ``W`` (the older weights class many PySAL functions take).

    Parameters
    ----------
    weights
        Weights from :func:`weights` (or a run's weights).

    Returns
    -------
    libpysal.weights.W
        The same neighbours and weights, untransformed, with ``id_order`` the weights' ids.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import clustergeo as cg
    >>> row = gpd.GeoDataFrame(
    ...     geometry=[box(x, 0, x + 100, 100) for x in (0, 100)], index=["A", "B"], crs=27700
    ... )
    >>> cg.to_w(cg.weights(row)).neighbors
    {'A': ['B'], 'B': ['A']}
    """
    return to_graph(weights).to_W()


# --- location quotients -------------------------------------------------------------------------


def location_quotients(
    areas: pd.DataFrame,
    columns: Sequence[str],
    *,
    total: str | None = None,
    reference: Mapping[str, float] | pd.Series | None = None,
    reference_total: float | None = None,
    min_area_employment: float = 100.0,
    min_cell_employment: float = 5.0,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    r"""Location quotients of employment columns, with confidence intervals and flags.

    Parameters
    ----------
    areas
        One row per area, indexed by a unique label; a GeoDataFrame gives a GeoDataFrame.
    columns
        Columns of employment counts, one per industry (or group of industries). A missing
        value is a suppressed count: its LQ is missing, never zero.
    total
        Column of each area's employment in all industries, :math:`e_i`. Without it,
        :math:`e_i` is the sum of ``columns``, so LQs are relative to the industries given:
        pass every industry, or name the total.
    reference, reference_total
        Reference employment per column, :math:`E_j`, and in all industries, :math:`E`, e.g.
        national totals. Without them the reference is the areas of the frame
        (:math:`E_j = \sum_i e_{ij}`, :math:`E = \sum_i e_i`).
    min_area_employment, min_cell_employment
        LQs of areas employing fewer people in all, or resting on fewer workers in the
        industry, are flagged unreliable.
    confidence_level
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Indexed like ``areas``: ``area_total`` (:math:`e_i`), then per column ``c``:
        ``c_employment`` (:math:`e_{ij}`), ``c_reference_share`` (:math:`E_j / E`), ``c_lq``,
        ``c_lq_lower``, ``c_lq_upper``, ``c_lq_unreliable`` and ``c_lq_note`` (why it is
        unreliable: ``"suppressed"``, ``"small area"``, ``"small count"`` or ``""``); the
        geometry last, when ``areas`` has one.

    Notes
    -----
    .. math:: LQ_{ij} = \frac{e_{ij} / e_i}{E_j / E}

    (Isard 1960; Miller, Gibson & Wright 1991). The interval follows Moineddin, Beyene & Boyle
    (2003), *Geographical Analysis* 35(3): 249–256, with counts as Poisson and the delta method
    on :math:`\ln LQ`:
    :math:`\operatorname{Var}(\ln LQ_{ij}) \approx 1/e_{ij} - 1/e_i + 1/E_j - 1/E`;
    for a zero count the upper limit uses the exact Poisson bound (Garwood 1936). The pipeline's
    ``concentration`` stage computes the same numbers with the same function,
    :func:`clustergeo.concentration.location_quotients`.

    Examples
    --------
    >>> import pandas as pd
    >>> import clustergeo as cg
    >>> counts = pd.DataFrame({"C": [10, 30], "J": [90, 70]}, index=["A", "B"])
    >>> lq = cg.location_quotients(counts, ["C", "J"])
    >>> lq["C_lq"].round(3).tolist()
    [0.5, 1.5]
    >>> lq["C_lq_unreliable"].tolist()
    [False, False]
    """
    codes = _area_codes(areas, "areas", "location_quotients")
    names = [str(c) for c in columns]
    _check_columns(areas, list(columns), "areas", "location_quotients", counts=True)
    settings = LqSettings.from_config(
        _settings(
            ConcentrationConfig,
            "location_quotients",
            min_area_employment=min_area_employment,
            min_cell_employment=min_cell_employment,
            confidence_level=confidence_level,
        )
    )
    counts = pd.DataFrame(
        areas[list(columns)].to_numpy(dtype="float64"), index=pd.Index(codes), columns=names
    )
    area_totals = _area_totals(areas, counts, total)
    reference_industry, reference_sum = _reference(counts, area_totals, reference, reference_total)
    table = _location_quotient_table(
        counts, area_totals, reference_industry, reference_sum, settings
    )
    wide: dict[str, Any] = {"area_total": area_totals.to_numpy()}
    for field in LQ_FIELDS:
        values = table[field].to_numpy().reshape(len(codes), len(names))
        for position, name in enumerate(names):
            wide[f"{name}_{field}"] = values[:, position]
    ordered = ["area_total"] + [f"{name}_{field}" for name in names for field in LQ_FIELDS]
    return _aligned_frame(areas, {key: wide[key] for key in ordered})


# --- hot spots ----------------------------------------------------------------------------------


def find_hotspots(
    areas: pd.DataFrame,
    columns: Sequence[str] | Mapping[str, str],
    weights: WeightsLike | None = None,
    *,
    transform: Transform = "binary",
    alternative: Alternative = "two-sided",
    permutations: int = 9999,
    seed: int = 20111,
    gi_star_inference: Inference = "analytic",
    moran_inference: Inference = "permutation",
    correction: Correction = "fdr_bh",
    correction_scope: CorrectionScope = "industry",
) -> pd.DataFrame:
    r"""Getis-Ord Gi*, Gi and Local Moran's I of many columns at once, tested and classified.

    Named ``find_hotspots`` rather than ``hotspots`` because ``clustergeo.hotspots`` is the
    package that holds the statistics.

    Parameters
    ----------
    areas
        One row per area, indexed by a unique label. A GeoDataFrame of polygons is enough on
        its own; a plain DataFrame needs ``weights``.
    columns
        The columns to analyse, or a mapping from the name results should carry to the column
        analysed: ``{"C": "C_lq"}`` analyses the LQs of :func:`location_quotients` and names
        the results ``C_gi_star_z``..., which is what :func:`find_clusters` reads.
    weights
        :func:`weights`, a libpysal ``Graph`` or ``W`` over the same areas (matched by label,
        in any order). Default: ``weights(areas)``, tolerant queen contiguity.
    transform
        ``"binary"`` (libpysal's ``"O"``): the weights as built, which for contiguity is
        esda's ``"B"``; ``"row"`` (``"R"``): row-standardised. ``"B"`` is accepted for binary
        weights only: clustergeo never turns kernel weights into ones.
    alternative
        What a p-value measures: ``"two-sided"`` (hot or cold spots, twice the smaller
        one-sided p), ``"greater"`` (hot spots), ``"less"`` (cold spots) or ``"folded"`` (the
        smaller one-sided p, as esda's ``p_sim`` and ``p_norm``).
    permutations
        Conditional permutations per area (0: none, and no ``p_sim``). The smallest pseudo
        p-value is :math:`1/(P + 1)`.
    seed
        Seed of the permutation draws; the same seed gives the same p-values.
    gi_star_inference, moran_inference
        Which p-value, ``"analytic"`` (normal) or ``"permutation"``, is corrected and
        classifies Gi* hot spots and Local Moran clusters.
    correction
        Multiple-testing correction of the classifying p-values: ``"fdr_bh"``
        (Benjamini-Hochberg false discovery rate), ``"bonferroni"`` or ``"none"``.
    correction_scope
        Correct over the areas of each column (``"industry"``) or over all areas x columns
        (``"all"``).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Indexed like ``areas``; per name ``c``, the columns below, then the geometry.

        =========================  ==========================================================
        ``c_gi_star``              Gi* (esda ``G_Local(star=True).Gs``)
        ``c_gi_star_z``            its z (esda ``Zs``; equal for binary weights)
        ``c_gi_star_p_norm``       normal p-value for ``alternative`` (esda ``p_norm`` is
                                   ``"folded"``)
        ``c_gi_star_p_sim``        conditional-permutation pseudo p-value (esda ``p_sim``)
        ``c_gi_star_p_fdr``        the classifying p-value after ``correction``
        ``c_gi_star_class``        ``hot_99``, ``hot_95``, ``hot_90``, ``not_significant``,
                                   ``cold_90``... or ``not_tested``
        ``c_gi_z``                 z of Gi, without the area itself (esda ``star=False``)
        ``c_moran_i``              Local Moran's I (esda ``Moran_Local.Is``)
        ``c_moran_z``              its z under conditional randomisation
        ``c_moran_p_norm``         normal p-value of that z
        ``c_moran_p_sim``          pseudo p-value (esda ``p_sim``)
        ``c_moran_p_fdr``          the classifying p-value after ``correction``
        ``c_moran_quadrant``       ``HH``, ``LH``, ``LL``, ``HL`` (esda ``q`` 1-4)
        ``c_moran_class``          the quadrant where significant at 0.05, else
                                   ``not_significant`` or ``not_tested``
        =========================  ==========================================================

    Notes
    -----
    Gi* (Getis & Ord 1992; Ord & Getis 1995, *Geographical Analysis* 27(4), eqs. 14-15), with
    weights :math:`w^*_{ij}` that include the area itself:

    .. math:: z^*_i = \frac{\sum_j w^*_{ij} x_j - \bar x W^*_i}
              {s \sqrt{\left(n S^*_{1i} - W^{*2}_i\right) / (n-1)}}

    with :math:`W^*_i = \sum_j w^*_{ij}`, :math:`S^*_{1i} = \sum_j w^{*2}_{ij}` and the
    population deviation :math:`s`. Local Moran's I (Anselin 1995) is
    :math:`I_i = (n-1) z_i \sum_j w_{ij} z_j / \sum_k z_k^2`, its z from the conditional
    moments of Sokal, Oden & Thomson (1998). Both: :mod:`clustergeo.hotspots.statistics`.
    Pseudo p-values count, for each area, the conditional permutations of the other values
    at least as extreme (:mod:`clustergeo.hotspots.permutation`); Benjamini & Hochberg (1995)
    adjusted p-values come from :mod:`clustergeo.hotspots.multiple_testing`; classes and the
    policies for missing values, constant columns and islands from
    :func:`clustergeo.hotspots.engine.local_hotspots`, which the ``hotspots`` stage runs too.
    A column's results do not depend on the other columns analysed with it.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import clustergeo as cg
    >>> row = gpd.GeoDataFrame(
    ...     {"v": [1.0, 2.0, 3.0, 10.0]},
    ...     geometry=[box(x, 0, x + 100, 100) for x in (0, 100, 200, 300)],
    ...     crs="EPSG:27700",
    ... )
    >>> spots = cg.find_hotspots(row, ["v"], permutations=99, seed=1)
    >>> spots["v_gi_star_z"].round(4).tolist()
    [-1.2247, -1.6971, 0.8485, 1.2247]
    """
    codes = _area_codes(areas, "areas", "find_hotspots")
    if not isinstance(columns, Mapping):
        _check_unique_names([str(c) for c in columns], "find_hotspots")
    named = dict(columns) if isinstance(columns, Mapping) else {str(c): c for c in columns}
    _check_columns(areas, list(named.values()), "areas", "find_hotspots")
    if transform not in _TRANSFORMS:
        raise ConfigError(
            f"clustergeo.find_hotspots(): transform={transform!r} is not one of "
            f"{', '.join(map(repr, _TRANSFORMS))}."
        )
    settings = _settings(
        HotspotsConfig,
        "find_hotspots",
        weights=_settings(WeightsConfig, "find_hotspots", transform=_TRANSFORMS[transform]),
        alternative=alternative,
        permutations=permutations,
        seed=seed,
        gi_star_inference=gi_star_inference,
        moran_inference=moran_inference,
        correction=correction,
        correction_scope=correction_scope,
    )
    aligned = _aligned_weights(weights, areas, codes, "find_hotspots")
    if transform == "B" and not aligned.binary:
        raise ConfigError(
            "clustergeo.find_hotspots(): transform='B' would turn these weights (not all 1) "
            "into ones, as esda does; clustergeo uses weights as built: pass 'binary' (or "
            "'O') to use them as they are, or 'row' to row-standardise them."
        )
    values = pd.DataFrame(
        areas[list(named.values())].to_numpy(dtype="float64"),
        index=pd.Index(codes),
        columns=list(named),
    )
    table = local_hotspots(values, aligned, settings).table
    # Every result of the engine's table, in its order; the codes and the values are the input.
    fields = [c for c in table.columns if c not in ("area_code", "industry_code", "value")]
    n_columns = len(named)
    wide: dict[str, Any] = {}
    for position, name in enumerate(named):
        # The table is area-major, its columns in the order given: every n-th row is one name.
        part = table.iloc[position::n_columns]
        for field in fields:
            column = part[field]
            # Classes stay categorical, with every class as a category even when absent.
            wide[f"{name}_{field}"] = (
                pd.Categorical(column.to_numpy(), dtype=column.dtype)
                if isinstance(column.dtype, pd.CategoricalDtype)
                else column.to_numpy()
            )
    return _aligned_frame(areas, wide)


# --- clusters -----------------------------------------------------------------------------------


def find_clusters(
    lq: gpd.GeoDataFrame,
    spots: pd.DataFrame,
    weights: WeightsLike | None = None,
    *,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    membership: Membership = "gi_star",
    significance: float = 0.05,
    min_lq: float = 1.25,
    min_units: int = 1,
    min_employment: float = 100.0,
) -> FoundClusters:
    r"""Join neighbouring significant areas of each industry into clusters.

    Parameters
    ----------
    lq
        The GeoDataFrame :func:`location_quotients` returned (polygons in metres).
    spots
        What :func:`find_hotspots` returned for the same areas, its results named after the
        LQ columns: ``find_hotspots(lq, {c: f"{c}_lq" for c in industries})``.
    weights
        The weights the hot spots were found with: two members are joined when either lists
        the other. Default: ``weights(lq)``, as :func:`find_hotspots` defaults to.
    columns
        Industries to delineate; default every name with hot-spot results in ``spots``.
    labels
        A readable label per industry for the cluster table (default: the name).
    membership
        Which areas may belong: ``"gi_star"`` (a Gi* hot spot after correction, the
        default), ``"moran_hh"`` (a significant Local Moran high-high area) or ``"lq"`` (an
        LQ whose interval lies above 1).
    significance
        Largest corrected p-value of a member (``gi_star`` and ``moran_hh``).
    min_lq
        Smallest LQ of a member area itself: Gi* is a neighbourhood statistic, so an
        unspecialised area beside a strong cluster is often a hot spot too.
    min_units, min_employment
        Smaller clusters (in areas, or in workers of their industry) are dropped.

    Returns
    -------
    FoundClusters
        ``clusters``: one polygon per cluster indexed by ``cluster_id``, with
        ``industry_code``, ``label``, ``peak_area_code``, ``n_units``, ``member_codes``,
        ``employment``, ``employment_share``, ``lq``, ``peak_gi_star_z``,
        ``mean_gi_star_z``, ``area_km2``, ``centroid_x``, ``centroid_y``; ``members``: one
        row per member area, indexed by its label in ``lq``, with ``cluster_id``,
        ``industry_code`` and the area's ``employment`` in the industry.

    Notes
    -----
    Members are the candidates that are neighbours in ``weights`` (the connected components
    of the weights restricted to them). A cluster's ``lq`` is the LQ of its areas taken as
    one, :math:`\frac{\sum_{i \in c} e_{ij} / \sum_{i \in c} e_i}{E_j / E}`, which weights
    the members' LQs by their total employment; ``employment_share`` is
    :math:`\sum_{i \in c} e_{ij} / \sum_i e_{ij}`. Its ID is ``<industry>-<peak area>``, the
    member with the highest Gi* z: the same inputs give the same ID in any row order. See
    :mod:`clustergeo.clusters.delineate`, which the ``clusters`` stage runs too.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import clustergeo as cg
    >>> row = gpd.GeoDataFrame(
    ...     {"C": [100, 120, 10, 10, 10], "all": [200, 200, 200, 200, 200]},
    ...     geometry=[box(x, 0, x + 100, 100) for x in range(0, 500, 100)],
    ...     index=["A", "B", "C", "D", "E"],
    ...     crs="EPSG:27700",
    ... )
    >>> lq = cg.location_quotients(row, ["C"], total="all")
    >>> spots = cg.find_hotspots(lq, {"C": "C_lq"}, permutations=0, moran_inference="analytic")
    >>> clusters, members = cg.find_clusters(lq, spots, membership="lq", min_employment=0)
    >>> clusters.index.tolist(), members.index.tolist()
    (['C-A'], ['A', 'B'])
    """
    function = "find_clusters"
    codes = _area_codes(lq, "lq", function)
    _require_polygons(lq, "lq", function)
    spots = _same_areas(spots, lq, "spots", function)
    names = [str(c) for c in columns] if columns is not None else _result_names(spots)
    _check_results(lq, spots, names, function)
    settings = _settings(
        ClustersConfig,
        function,
        membership=membership,
        significance=significance,
        min_lq=min_lq,
        min_units=min_units,
        min_employment=min_employment,
    )
    labels = labels or {}
    results = pd.concat(
        [
            pd.DataFrame(
                {
                    "area_code": codes,
                    "industry_code": name,
                    "label": labels.get(name, name),
                    "kind": "industry",
                    "employment": lq[f"{name}_employment"].to_numpy(),
                    "area_total": lq["area_total"].to_numpy(),
                    "reference_share": lq[f"{name}_reference_share"].to_numpy(),
                    "lq": lq[f"{name}_lq"].to_numpy(),
                    "lq_lower": lq[f"{name}_lq_lower"].to_numpy(),
                    **{field: spots[f"{name}_{field}"].to_numpy() for field in _MEMBERSHIP_FIELDS},
                }
            )
            for name in names
        ],
        ignore_index=True,
    )
    shapes = gpd.GeoDataFrame({"area_code": codes}, geometry=lq.geometry.to_numpy(), crs=lq.crs)
    aligned = _aligned_weights(weights, lq, codes, function)
    found = delineate_clusters(results, shapes, aligned, settings, names)

    label_of = pd.Series(lq.index, index=codes)
    industry_of = found.clusters.set_index("cluster_id")["industry_code"]
    members = found.members.assign(industry_code=found.members["cluster_id"].map(industry_of))
    members = members.merge(
        results[["area_code", "industry_code", "employment"]],
        on=["area_code", "industry_code"],
        how="left",
    )
    members.index = pd.Index(label_of.reindex(members["area_code"]).to_numpy(), name=lq.index.name)
    return FoundClusters(
        # ``kind`` tells the pipeline's industries from its cluster definitions; here every
        # column is what the caller says it is.
        clusters=found.clusters.drop(columns="kind").set_index("cluster_id"),
        members=members[["cluster_id", "industry_code", "employment"]],
    )


# --- governance ---------------------------------------------------------------------------------


def govern(
    found: FoundClusters,
    areas: gpd.GeoDataFrame,
    *,
    edge_distance_km: float = 1.0,
) -> Governance:
    r"""Which authorities each cluster falls in, with shares of its employment, and flags.

    Parameters
    ----------
    found
        What :func:`find_clusters` returned.
    areas
        The same areas (matched by label), in a projected CRS in metres, with the authority
        codes and names of each tier known: ``district_code`` / ``district_name``,
        ``county_code`` / ``county_name`` (missing for unitary and metropolitan districts),
        ``combined_authority_code`` / ``combined_authority_name`` (missing outside any),
        ``region_code`` / ``region_name``. Tiers left out are not reported.
    edge_distance_km
        A cluster within this distance of an authority it does not reach is marked ``edge``
        and the authority named in ``near_authorities``.

    Returns
    -------
    Governance
        ``clusters``: the clusters indexed by ``cluster_id`` with ``n_districts``,
        ``single_district``, ``straddles_districts``, ``districts``, ``lead_district``,
        ``lead_share``, ``straddles_counties``, ``straddles_regions``, ``ca_status``
        (``within_one_ca``, ``split_across_cas``, ``partly_outside_ca``, ``outside_any_ca``),
        ``governance_gap``, ``near_authorities`` and ``edge``; ``authorities``: per cluster
        and tier (``district``, ``upper_tier``, ``combined_authority``, ``region``) each
        authority touched, with its ``employment``, ``employment_share``, ``area_km2`` and
        ``area_km2_share``.

    Notes
    -----
    A cluster is placed through its member areas. The share of authority *a* in cluster *c* is
    :math:`\sum_{i \in c \cap a} e_{ij} / \sum_{i \in c} e_{ij}` (areas in no authority of the
    tier count in the total). The upper tier is the county in two-tier areas and the district
    itself elsewhere; ``governance_gap`` means no district, upper-tier or combined authority
    holds more than half of the cluster's employment (regions do not govern). See
    :mod:`clustergeo.governance.overlay`, which the ``governance`` stage runs too.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> import clustergeo as cg
    >>> row = gpd.GeoDataFrame(
    ...     {
    ...         "C": [100, 120, 10, 10, 10],
    ...         "all": [200, 200, 200, 200, 200],
    ...         "district_code": ["D1", "D2", "D2", "D2", "D2"],
    ...         "district_name": ["One", "Two", "Two", "Two", "Two"],
    ...     },
    ...     geometry=[box(x, 0, x + 100, 100) for x in range(0, 500, 100)],
    ...     index=["A", "B", "C", "D", "E"],
    ...     crs="EPSG:27700",
    ... )
    >>> lq = cg.location_quotients(row, ["C"], total="all")
    >>> spots = cg.find_hotspots(lq, {"C": "C_lq"}, permutations=0, moran_inference="analytic")
    >>> found = cg.find_clusters(lq, spots, membership="lq", min_employment=0)
    >>> clusters, authorities = cg.govern(found, row)
    >>> cluster = clusters.loc["C-A"]
    >>> bool(cluster["straddles_districts"]), cluster["lead_district"], float(cluster["lead_share"])
    (True, 'Two', 0.5454545454545454)
    """
    function = "govern"
    settings = _settings(GovernanceConfig, function, edge_distance_km=edge_distance_km)
    codes = _area_codes(areas, "areas", function)
    _require_polygons(areas, "areas", function)
    tier_columns = _tier_columns(areas, function)
    missing = found.members.index.difference(areas.index)
    if len(missing):
        raise InputDataError(
            f"clustergeo.govern(): {len(missing)} cluster member areas are not in `areas`: "
            f"{format_examples(missing)}. Pass the areas the clusters were found on."
        )
    tiers = add_upper_tier(
        pd.DataFrame(areas[tier_columns]).reset_index(drop=True).assign(area_code=codes)
    )
    tiers["area_km2"] = areas.geometry.area.to_numpy() / 1e6
    code_of = pd.Series(codes, index=areas.index)
    pieces = found.members.assign(area_code=code_of.reindex(found.members.index).to_numpy())
    pieces = pieces.reset_index(drop=True).merge(tiers, on="area_code", how="left")
    pieces["employment"] = pieces["employment"].fillna(0.0)

    links = authority_links(pieces, "cluster_id", ["employment", "area_km2"])
    flags = governance_flags(pieces, "cluster_id", "employment")
    shapes = found.clusters.reset_index()
    near = nearby_authorities(
        shapes,
        "cluster_id",
        gpd.GeoDataFrame(tiers, geometry=areas.geometry.to_numpy(), crs=areas.crs),
        links,
        settings.edge_distance_km * 1000,
    )
    governed = shapes.merge(flags, on="cluster_id", how="left")
    governed["near_authorities"] = governed["cluster_id"].map(near).astype(object).fillna("")
    governed["edge"] = governed["near_authorities"] != ""
    return Governance(clusters=governed.set_index("cluster_id"), authorities=links)


# --- checks and shapes shared by the functions above --------------------------------------------

_Settings = TypeVar("_Settings", bound=BaseModel)


def _settings(model: type[_Settings], function: str, **arguments: Any) -> _Settings:
    """The config section the pipeline would use, built from a function's arguments.

    The pipeline's own validation applies, so an argument accepted here means the same as
    the setting in a run config; a refused one is reported by its argument name.
    """
    try:
        return model(**arguments)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            if item["loc"]:
                lines.append(f"  - {item['loc'][-1]}={item['input']!r}: {item['msg']}")
            else:
                lines.append(f"  - {item['msg']}")
        raise ConfigError(
            f"clustergeo.{function}() cannot use {len(lines)} of its arguments:\n"
            + "\n".join(lines)
        ) from None


def _problems(argument: str, function: str) -> Problems:
    return Problems(f"of clustergeo.{function}()", f"The frame `{argument}`")


def _area_codes(frame: pd.DataFrame, argument: str, function: str) -> np.ndarray:
    """The frame's index labels as text: the codes the statistics identify areas by."""
    problems = _problems(argument, function)
    index = frame.index
    if index.has_duplicates:
        problems.add(
            f"index labels {format_examples(index[index.duplicated()].unique())} appear more "
            "than once: give every area one row, indexed by a unique code "
            "(e.g. `.set_index('area_code')`)"
        )
    codes = index.astype(str)
    if not index.has_duplicates and codes.has_duplicates:
        problems.add(
            f"index labels {format_examples(codes[codes.duplicated()].unique())} differ only "
            "in type (e.g. 1 and '1'): use labels of one type"
        )
    problems.raise_if_any()
    return np.asarray(codes.to_numpy(), dtype=object)


def _require_polygons(frame: pd.DataFrame, argument: str, function: str) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputDataError(
            f"clustergeo.{function}() needs `{argument}` as a GeoDataFrame of the areas' "
            "polygons: join your table to the boundaries first (`boundaries.join(table)`)."
        )
    problems = _problems(argument, function)
    empty = frame.index[frame.geometry.isna().to_numpy() | frame.geometry.is_empty.to_numpy()]
    if len(empty):
        problems.add(f"{len(empty)} areas have no geometry: {format_examples(empty)}")
    if frame.crs is None or not frame.crs.is_projected:
        problems.add(
            f"its CRS is {frame.crs}, not one in metres: reproject it, e.g. "
            "`.to_crs('EPSG:27700')` (British National Grid)"
        )
    problems.raise_if_any()


def _check_columns(
    frame: pd.DataFrame,
    columns: Sequence[Any],
    argument: str,
    function: str,
    *,
    counts: bool = False,
) -> None:
    """Every column exists and holds finite numbers (or missing values); ``counts``: none < 0."""
    problems = _problems(argument, function)
    if not columns:
        problems.add("no columns were given to analyse")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        problems.add(
            f"has no column {format_examples(absent)} (its columns: "
            f"{format_examples(frame.columns)})"
        )
    present = [c for c in columns if c in frame.columns]
    text = [c for c in present if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        problems.add(
            f"columns {format_examples(text)} are not numbers: convert them "
            "(`pd.to_numeric`), with suppressed cells as missing values"
        )
    numeric = [c for c in present if c not in text]
    numbers = frame[numeric].to_numpy(dtype="float64")
    infinite = [c for c, bad in zip(numeric, np.isinf(numbers).any(axis=0), strict=True) if bad]
    if infinite:
        problems.add(f"columns {format_examples(infinite)} hold infinite values")
    below_zero = numbers < 0
    if counts and below_zero.any():
        by_column = np.asarray(below_zero.any(axis=0), dtype=bool)
        by_area = np.asarray(below_zero.any(axis=1), dtype=bool)
        negative = [c for c, bad in zip(numeric, by_column, strict=True) if bad]
        problems.add(
            f"columns {format_examples(negative)} hold negative counts, in areas "
            f"{format_examples(frame.index[by_area])}: employment cannot be negative"
        )
    problems.raise_if_any()


def _check_unique_names(names: Sequence[str], function: str) -> None:
    repeated = pd.Index(names)[pd.Index(names).duplicated()]
    if len(repeated):
        raise ConfigError(
            f"clustergeo.{function}(): names {format_examples(repeated)} are given twice; "
            "name each analysed column differently."
        )


def _area_totals(areas: pd.DataFrame, counts: pd.DataFrame, total: str | None) -> pd.Series:
    if total is None:
        return counts.sum(axis=1)
    _check_columns(areas, [total], "areas", "location_quotients", counts=True)
    totals = pd.Series(areas[total].to_numpy(dtype="float64"), index=counts.index)
    unknown = areas.index[totals.isna().to_numpy()]
    if len(unknown):
        raise InputDataError(
            f"clustergeo.location_quotients(): the total column {total!r} is missing for "
            f"{len(unknown)} areas: {format_examples(unknown)}. Fill it, or leave `total` "
            "out to use the sum of the columns."
        )
    return totals


def _reference(
    counts: pd.DataFrame,
    area_totals: pd.Series,
    reference: Mapping[str, float] | pd.Series | None,
    reference_total: float | None,
) -> tuple[pd.Series, float]:
    """Reference employment per column and in total: given, or the frame's own areas."""
    if reference is None and reference_total is None:
        return counts.sum(axis=0), float(area_totals.sum())
    if reference is None or reference_total is None:
        raise ConfigError(
            "clustergeo.location_quotients(): give both `reference` (employment per column) "
            "and `reference_total` (employment in all industries), or neither."
        )
    series = pd.Series(reference, dtype="float64")
    absent = [c for c in counts.columns if c not in series.index or np.isnan(series[c])]
    if absent:
        raise InputDataError(
            f"clustergeo.location_quotients(): `reference` has no employment for "
            f"{format_examples(absent)}; give one for every column."
        )
    return series.reindex(counts.columns), float(reference_total)


def _aligned_frame(areas: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    """A new frame of ``columns`` indexed like ``areas``, with its geometry last if it has one."""
    frame = pd.DataFrame(dict(columns), index=areas.index.copy())
    if isinstance(areas, gpd.GeoDataFrame):
        name = areas.geometry.name
        frame[name] = areas.geometry.to_numpy()
        geoframe: pd.DataFrame = gpd.GeoDataFrame(frame, geometry=name, crs=areas.crs)
        return geoframe
    return frame


def _aligned_weights(
    given: WeightsLike | None, areas: pd.DataFrame, codes: np.ndarray, function: str
) -> SpatialWeights:
    """Weights over exactly ``areas``, in their order, identified by their codes."""
    if given is None:
        if not isinstance(areas, gpd.GeoDataFrame):
            raise InputDataError(
                f"clustergeo.{function}() needs `weights` (clustergeo.weights(...), a "
                "libpysal Graph or W) when the areas are a table without polygons."
            )
        return dataclasses.replace(weights(areas), ids=codes)
    if isinstance(given, SpatialWeights):
        ids = np.asarray(given.ids).astype(str)
        if np.array_equal(ids, codes.astype(str)):
            return dataclasses.replace(given, ids=codes)
        adjacency, method = to_adjacency(given), given.method
    else:
        graph = _as_graph(given, function)
        adjacency, method = graph.adjacency, "libpysal Graph"
        ids = np.asarray(graph.unique_ids).astype(str)
    absent = pd.Index(codes).difference(pd.Index(ids))
    extra = pd.Index(ids).difference(pd.Index(codes))
    if len(absent) or len(extra):
        raise InputDataError(
            f"clustergeo.{function}(): the weights and the areas differ: "
            + "; ".join(
                text
                for text in (
                    f"{len(absent)} areas have no weights ({format_examples(absent)})"
                    if len(absent)
                    else "",
                    f"the weights have {len(extra)} other areas ({format_examples(extra)})"
                    if len(extra)
                    else "",
                )
                if text
            )
            + ". Build the weights from the same frame (clustergeo.weights(areas) or "
            "Graph.build_contiguity(areas)), indexed by the same labels."
        )
    return from_adjacency(adjacency, codes, method)


def _as_graph(given: object, function: str) -> Graph:
    from libpysal.graph import Graph
    from libpysal.weights import W

    if isinstance(given, Graph):
        return given
    if isinstance(given, W):
        return Graph.from_W(given)
    raise InputDataError(
        f"clustergeo.{function}(): `weights` must be clustergeo.weights(...), a libpysal "
        f"Graph or a libpysal W, not {type(given).__name__}."
    )


def _same_areas(
    frame: pd.DataFrame, like: pd.DataFrame, argument: str, function: str
) -> pd.DataFrame:
    """``frame`` in the row order of ``like``; both must hold the same area labels."""
    absent = like.index.difference(frame.index)
    extra = frame.index.difference(like.index)
    if len(absent) or len(extra) or frame.index.has_duplicates:
        raise InputDataError(
            f"clustergeo.{function}(): `{argument}` must hold the same areas, once each, as "
            f"`lq` (missing: {format_examples(absent) or 'none'}; not in `lq`: "
            f"{format_examples(extra) or 'none'}). Compute both from the same frame."
        )
    return frame.reindex(like.index)


def _result_names(spots: pd.DataFrame) -> list[str]:
    suffix = "_gi_star_class"
    return [str(c)[: -len(suffix)] for c in spots.columns if str(c).endswith(suffix)]


def _check_results(
    lq: pd.DataFrame, spots: pd.DataFrame, names: Sequence[str], function: str
) -> None:
    """``lq`` and ``spots`` hold what delineation reads, for every name."""
    problems = Problems(f"of clustergeo.{function}()", "The results given")
    if not names:
        problems.add("`spots` has no hot-spot results (columns ending in '_gi_star_class')")
    lq_needed = ["area_total"] + [
        f"{name}_{field}"
        for name in names
        for field in ("employment", "reference_share", "lq", "lq_lower")
    ]
    spots_needed = [f"{name}_{field}" for name in names for field in _MEMBERSHIP_FIELDS]
    for argument, frame, needed in (("lq", lq, lq_needed), ("spots", spots, spots_needed)):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            problems.add(f"`{argument}` has no column {format_examples(absent)}")
    if problems:
        problems.add(
            "pass location_quotients(...) as `lq` and find_hotspots(lq, {c: f'{c}_lq' ...}) "
            "as `spots`, so the hot spots carry the industries' names"
        )
    problems.raise_if_any()


def _tier_columns(areas: pd.DataFrame, function: str) -> list[str]:
    """The ``<tier>_code`` and ``<tier>_name`` columns of every tier the areas know."""
    problems = _problems("areas", function)
    tiers = [tier for tier in TIERS if f"{tier}_code" in areas.columns]
    if not tiers:
        problems.add(
            "has no authority columns: add at least `district_code` and `district_name` "
            f"(tiers: {', '.join(TIERS)})"
        )
    unnamed = [f"{tier}_name" for tier in tiers if f"{tier}_name" not in areas.columns]
    if unnamed:
        problems.add(f"has codes but no names: add {format_examples(unnamed)}")
    problems.raise_if_any()
    return [f"{tier}_{part}" for tier in tiers for part in ("code", "name")]
