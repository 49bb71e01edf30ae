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
* :func:`find_clusters` finds both kinds of finding: clusters (neighbouring hot spots, with a
  core of specialised areas and an extent) and concentrations (one or a few specialised places
  Gi* cannot see), with their strength and stars.
* :func:`govern` says which authorities each finding's core and extent fall in, with shares,
  flags and the authorities it only touches.

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
from clustergeo.clusters.findings import build_findings, with_centroid_lon_lat
from clustergeo.concentration import LqSettings
from clustergeo.concentration import location_quotients as _location_quotient_table
from clustergeo.config import (
    ClustersConfig,
    ConcentrationConfig,
    ConcentrationsConfig,
    GovernanceConfig,
    HotspotsConfig,
    WeightsConfig,
)
from clustergeo.governance.findings import govern_findings, partner_size
from clustergeo.governance.overlay import add_upper_tier
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.permutation_floor import warn_floor_limits
from clustergeo.hotspots.statistics import Alternative
from clustergeo.hotspots.weights import IslandPolicy, SpatialWeights, WeightsMethod
from clustergeo.hotspots.weights import configured_weights as _configured_weights
from clustergeo.hotspots.weights_formats import from_adjacency, to_adjacency
from clustergeo.industries import is_traded
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
#: The LQ fields of each column :func:`find_clusters` reads, besides ``area_total``.
_FINDING_LQ_FIELDS = ("employment", "reference_share", "lq", "lq_lower", "lq_unreliable")
#: The hot-spot fields of each column :func:`find_clusters` reads (the ``clusters`` stage's).
_MEMBERSHIP_FIELDS = (
    "gi_star_z",
    "gi_star_class",
    "gi_star_p_fdr",
    "moran_quadrant",
    "moran_p_fdr",
    "moran_class",
)
#: :func:`find_clusters`'s argument for each setting of ``clusters.concentrations``.
_CONCENTRATION_ARGUMENTS = {
    "enabled": "concentrations",
    "min_lq": "concentration_min_lq",
    "significance": "concentration_significance",
    "min_employment": "concentration_min_employment",
    "min_employment_share": "concentration_min_employment_share",
}

#: Libpysal's transformation codes, and the statistics' own words, for ``transform``.
_TRANSFORMS: Mapping[str, Literal["binary", "row"]] = {
    "binary": "binary",
    "O": "binary",
    "B": "binary",
    "row": "row",
    "R": "row",
}


class FoundClusters(NamedTuple):
    """What :func:`find_clusters` returns: ``clusters, extents, members, report = ...``.

    Attributes
    ----------
    clusters
        Every finding, clusters and concentrations (``kind``), indexed by its stable
        ``cluster_id``, strongest first; its polygon is its core.
    extents
        Each finding's extent polygon (a concentration's is its core), by ``cluster_id``.
    members
        One row per finding and member area, indexed by the area's label in the input, with
        its ``part``: ``core``, or ``extent`` for an area of the extent only.
    report
        The rules applied and, per industry, the counts behind the findings (the run's
        ``clusters/report.json``).
    """

    clusters: gpd.GeoDataFrame
    extents: gpd.GeoDataFrame
    members: pd.DataFrame
    report: dict[str, Any]


class Governance(NamedTuple):
    """What :func:`govern` returns; unpack it as ``clusters, authorities = ...``.

    Attributes
    ----------
    clusters
        The findings with the governance flags of their core and of their extent, indexed
        by ``cluster_id``.
    authorities
        One row per finding, part (core or extent), tier and authority reached, with shares.
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
        unreliable: ``"suppressed"``, ``"negative"``, ``"small area"``, ``"small count"``
        (``"small value"`` for values that are not counts, such as GVA) or ``""``); the
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
        p-value is :math:`1/(P + 1)`, or :math:`2/(P + 1)` two-sided; where that is too high
        for the correction to pass any area of a column, a warning is logged with the number
        of permutations that lets one pass. Exactly this many: the pipeline's stages, unlike
        this function, raise theirs to that number, up to ``hotspots.max_permutations``.
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
    # As the pipeline's hot-spot stage: a warning where too few permutations hid every finding.
    warn_floor_limits(table, settings, fix="call with permutations={needed} or more")
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


# --- clusters and concentrations ----------------------------------------------------------------


def find_clusters(
    lq: gpd.GeoDataFrame,
    spots: pd.DataFrame,
    weights: WeightsLike | None = None,
    *,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    traded: Mapping[str, bool] | None = None,
    include_non_traded: bool = False,
    membership: Membership = "gi_star",
    significance: float = 0.05,
    min_lq: float = 1.25,
    min_units: int = 1,
    min_employment: float = 100.0,
    concentrations: bool = True,
    concentration_min_lq: float = 3.0,
    concentration_significance: float = 0.05,
    concentration_min_employment: float = 1000.0,
    concentration_min_employment_share: float = 0.004,
    star_share: float = 0.1,
    reference_total: float | None = None,
    confidence_level: float = 0.95,
) -> FoundClusters:
    r"""Find the clusters and the concentrations of each industry, scored and starred.

    Two kinds of finding come back in one table, told apart by ``kind``:

    * a **cluster** is a group of neighbouring significant hot spots. Its **core** is those
      of its areas that are specialised themselves (own LQ at least ``min_lq``); its
      **extent** adds the hot areas around and between them that are not, so a span that
      crosses a boundary through such areas stays whole;
    * a **concentration** is one place, or a few neighbouring places, whose own
      specialisation is large and significant but which no neighbourhood shares, so Gi*
      (a neighbourhood statistic) cannot see it: a large plant among houses. Its extent is
      its core.

    Named ``find_clusters``, like the pipeline's ``clusters`` stage, its
    ``clusters/clusters.csv`` and its ``cluster_id``, which hold both kinds.

    Parameters
    ----------
    lq
        The GeoDataFrame :func:`location_quotients` returned (polygons in metres).
    spots
        What :func:`find_hotspots` returned for the same areas, its results named after the
        LQ columns: ``find_hotspots(lq, {c: f"{c}_lq" for c in industries})``.
    weights
        The weights the hot spots were found with: two areas are joined when either lists
        the other. Default: ``weights(lq)``, as :func:`find_hotspots` defaults to.
    columns
        Industries to look at; default every name with hot-spot results in ``spots``.
    labels
        A readable label per industry for the findings (default: the name); names not
        analysed are ignored, so a whole dictionary of labels can be passed.
    traded
        Whether each industry is traded. Default (and for names not in the mapping): judged
        from the name when it is a SIC 2007 code, as the pipeline does (construction ``F``,
        real estate ``L``, public administration ``O``, health ``Q``... are local-serving);
        any other name is traded.
    include_non_traded
        Also report findings of local-serving industries: they follow where people live, so
        they are left out by default (and counted in ``report["non_traded_left_out"]``).
    membership
        Which areas are significant, i.e. may belong to a cluster's extent: ``"gi_star"`` (a
        Gi* hot spot after correction, class ``hot_95`` or ``hot_99``, the default),
        ``"moran_hh"`` (a significant Local Moran high-high area) or ``"lq"`` (an LQ whose
        interval lies above 1).
    significance
        Largest corrected p-value of a significant area: 0.05 or 0.01, a boundary of the Gi*
        classes, so the areas a user counts as hot are the areas clusters are built from.
    min_lq
        Smallest own LQ of a core area. Gi* is a neighbourhood statistic, so an unspecialised
        area beside a strong cluster is often a hot spot too: it joins the extent.
    min_units, min_employment
        Clusters whose core has fewer areas, or employs fewer in the industry, are dropped.
    concentrations
        Look for concentrations too (``False``: clusters only).
    concentration_min_lq, concentration_significance
        A concentration's areas have an LQ significantly above ``concentration_min_lq``:
        one-sided test, false discovery rate ``concentration_significance`` within each
        industry. LQs flagged unreliable are left out.
    concentration_min_employment, concentration_min_employment_share
        A concentration employs at least this many people in the industry, and at least this
        share of the industry's employment in ``lq``'s areas.
    star_share
        A finding earns a star for size, specialisation or focus when it is in this top share
        of all the findings returned on that dimension (0.1: the top decile).
    reference_total
        Employment in all industries of the economy the LQs were measured against, :math:`E`
        (the ``reference_total`` given to :func:`location_quotients`). Default: the areas'
        own, ``lq["area_total"].sum()``, which is right when :func:`location_quotients` took
        the areas themselves as reference; refused when the LQs show another reference.
    confidence_level
        Level of the findings' LQ intervals (``lq_lower``, ``lq_upper``).

    Returns
    -------
    FoundClusters
        ``clusters``: one row per finding, indexed by ``cluster_id``, strongest first, with
        its core polygon: ``kind`` (``cluster`` or ``concentration``), ``industry_code``,
        ``label``, ``traded``, ``anchor_area_code``, ``anchor_share``; of the core ``n_units``,
        ``member_codes``, ``employment``, ``employment_share``, ``area_total``, ``lq``,
        ``lq_lower``, ``lq_upper``, ``lq_z``, ``focus``, ``peak_gi_star_z``,
        ``mean_gi_star_z``, ``moran_outlier``; of the extent ``extent_n_units``,
        ``extent_member_codes``, ``extent_employment``, ``extent_lq``; ``star_size``,
        ``star_specialisation``, ``star_focus``, ``stars`` (0-3), ``strength`` (0-100);
        ``area_km2``, ``extent_area_km2``, ``centroid_x``, ``centroid_y`` (in ``lq``'s CRS),
        ``centroid_lon``, ``centroid_lat`` (WGS 84). ``extents``: the extent polygons, by
        ``cluster_id``. ``members``: one row per finding and member area, indexed by the
        area's label in ``lq``, with ``cluster_id``, ``industry_code``, ``part`` (``core``,
        or ``extent`` for an area of the extent only) and the area's ``employment`` in the
        industry. ``report``: the rules applied and, per industry, the counts behind the
        findings (``significant_areas``, ``core_areas``, ``clusters``, ``no_core``,
        ``dropped_small``, ``specialised_areas``, ``concentrations``).

    Notes
    -----
    Significant areas that are neighbours in ``weights`` form one cluster's extent (the
    connected components of the weights restricted to them); a component without a
    specialised area is no cluster (``no_core``). A concentration's areas, among those in no
    cluster of the industry, pass the one-sided test of :math:`H_0: LQ_{ij} \le L_0`,

    .. math:: z_{ij} = \frac{\ln LQ_{ij} - \ln L_0}{\sqrt{1/e_{ij} - 1/e_i + 1/E_j - 1/E}},
              \qquad p_{ij} = 1 - \Phi(z_{ij}),

    (the delta-method variance of Moineddin, Beyene & Boyle 2003), with Benjamini & Hochberg
    (1995) adjusted p-values over the industry's areas; neighbouring ones are one
    concentration. A finding's ``lq`` is the LQ of its core taken as one area,
    :math:`LQ_f = \frac{\sum_{i \in f} e_{ij} / \sum_{i \in f} e_i}{E_j / E}`, ``lq_z``
    is :math:`\ln LQ_f` over its standard error, ``focus`` is
    :math:`\sum_{i \in f} e_{ij} / \sum_{i \in f} e_i` and ``employment_share``
    :math:`\sum_{i \in f} e_{ij} / \sum_i e_{ij}`. Stars follow the European Cluster
    Observatory (Ketels & Sölvell 2006; Sölvell, Ketels & Lindqvist 2009): one per dimension
    (size, specialisation, focus) on which the finding is in the top ``star_share`` of the
    findings; ``strength`` is 100 times the mean percentile rank on those three and on
    ``lq_z``. A finding's ID is ``<industry>-<anchor area>``, the core area employing the
    most in the industry: the same inputs give the same IDs in any row order. The ``clusters``
    stage runs the same function,
    :func:`clustergeo.clusters.findings.build_findings`; the rules are in
    :mod:`clustergeo.clusters.delineate`, :mod:`~clustergeo.clusters.concentrations` and
    :mod:`~clustergeo.clusters.strength`.

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
    >>> clusters, extents, members, report = cg.find_clusters(
    ...     lq, spots, membership="lq", min_employment=0
    ... )
    >>> clusters[["kind", "n_units", "employment"]]
               kind  n_units  employment
    cluster_id
    C-B     cluster        2       220.0
    >>> members["part"].to_dict()
    {'A': 'core', 'B': 'core'}
    """
    function = "find_clusters"
    codes = _area_codes(lq, "lq", function)
    _require_polygons(lq, "lq", function)
    spots = _same_areas(spots, lq, "spots", function)
    names = [str(c) for c in columns] if columns is not None else _result_names(spots)
    _check_results(lq, spots, names, function)
    concentration_settings = _settings(
        ConcentrationsConfig,
        function,
        names=_CONCENTRATION_ARGUMENTS,
        enabled=concentrations,
        min_lq=concentration_min_lq,
        significance=concentration_significance,
        min_employment=concentration_min_employment,
        min_employment_share=concentration_min_employment_share,
    )
    settings = _settings(
        ClustersConfig,
        function,
        membership=membership,
        significance=significance,
        min_lq=min_lq,
        min_units=min_units,
        min_employment=min_employment,
        include_non_traded=include_non_traded,
        star_share=star_share,
        concentrations=concentration_settings,
    )
    level = _settings(ConcentrationConfig, function, confidence_level=confidence_level)
    total = _reference_total(lq, names, reference_total, function)
    labels = labels or {}
    traded = traded or {}
    results = pd.concat(
        [
            pd.DataFrame(
                {
                    "area_code": codes,
                    "industry_code": name,
                    "label": labels.get(name, name),
                    **{field: lq[f"{name}_{field}"].to_numpy() for field in _FINDING_LQ_FIELDS},
                    "area_total": lq["area_total"].to_numpy(),
                    **{field: spots[f"{name}_{field}"].to_numpy() for field in _MEMBERSHIP_FIELDS},
                }
            )
            for name in names
        ],
        ignore_index=True,
    )
    shapes = gpd.GeoDataFrame({"area_code": codes}, geometry=lq.geometry.to_numpy(), crs=lq.crs)
    found = build_findings(
        results,
        shapes,
        _aligned_weights(weights, lq, codes, function),
        settings,
        names,
        traded={
            name: bool(traded[name]) if name in traded else is_traded([name]) for name in names
        },
        reference_total=total,
        confidence_level=level.confidence_level,
    )
    # ``industry_kind`` tells the pipeline's industries from its cluster definitions; here
    # every column is what the caller says it is.
    findings = with_centroid_lon_lat(found.findings).drop(columns="industry_kind")
    findings = findings[[c for c in findings.columns if c != "geometry"] + ["geometry"]]

    label_of = pd.Series(lq.index, index=codes)
    industry_of = findings.set_index("cluster_id")["industry_code"]
    members = found.members.assign(industry_code=found.members["cluster_id"].map(industry_of))
    members = members.merge(
        results[["area_code", "industry_code", "employment"]],
        on=["area_code", "industry_code"],
        how="left",
    )
    members.index = pd.Index(label_of.reindex(members["area_code"]).to_numpy(), name=lq.index.name)
    return FoundClusters(
        clusters=findings.set_index("cluster_id"),
        extents=found.extents.set_index("cluster_id"),
        members=members[["cluster_id", "industry_code", "part", "employment"]],
        report=found.report,
    )


# --- governance ---------------------------------------------------------------------------------


def govern(
    found: FoundClusters,
    areas: gpd.GeoDataFrame,
    *,
    edge_distance_km: float = 1.0,
    straddle_share: float = 0.05,
) -> Governance:
    r"""Which authorities each finding's core and extent fall in, with shares and flags.

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
        A finding whose core comes within this distance of an authority it does not reach
        is marked ``edge`` and the authority named in ``near_authorities``.
    straddle_share
        A finding straddles a tier only when more than this share of its employment lies
        outside the tier's lead authority; an authority holding this share or less only
        ``touches`` it (so a sliver over a county line is not a straddle), unless its piece
        is as large as one place must hold to be a concentration
        (``concentration_min_employment`` of :func:`find_clusters`, 1,000 jobs by default):
        that piece shares the finding, and the finding straddles.

    Returns
    -------
    Governance
        ``clusters``: the findings indexed by ``cluster_id``, with a ``name`` (label and up
        to two districts), the flags of their core: ``straddles_districts``,
        ``n_districts``, ``single_district``, ``districts``, ``lead_district``,
        ``lead_share``, ``straddles_counties``, ``straddles_regions``, ``ca_status``
        (``within_one_ca``, ``split_across_cas``, ``partly_outside_ca``,
        ``outside_any_ca``), ``touches`` (authorities holding ``straddle_share`` or less,
        with their share) and ``governance_gap``; the same flags of their extent, prefixed
        ``extent_``; ``near_authorities`` and ``edge``. ``authorities``: per finding,
        ``part`` (``core``, ``extent``) and tier (``district``, ``upper_tier``,
        ``combined_authority``, ``region``), each authority reached, with its
        ``employment``, ``employment_share``, ``area_km2``, ``area_km2_share`` and
        ``relation`` (``lead``, ``shares`` or ``touches``).

    Notes
    -----
    A finding is placed through its member areas, its core and its extent apart. The share of
    authority *a* in part *p* of finding *f* is
    :math:`\sum_{i \in p \cap a} e_{ij} / \sum_{i \in p} e_{ij}` (areas in no authority of
    the tier count in the total). Each tier's lead authority holds the largest share; the
    finding straddles the tier when the other authorities together hold more than
    ``straddle_share`` :math:`s`. ``ca_status`` is ``outside_any_ca`` when at most :math:`s`
    lies in any combined authority, ``within_one_ca`` when one holds at least
    :math:`1 - s`, ``partly_outside_ca`` when more than :math:`s` lies outside all. The
    upper tier is the county in two-tier areas and the district itself elsewhere;
    ``governance_gap`` means no district, upper-tier or combined authority holds more than
    half of the employment (regions do not govern). See
    :mod:`clustergeo.governance.overlay` for the rules and
    :func:`clustergeo.governance.findings.govern_findings`, which the ``governance`` stage
    runs too.

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
    >>> governed, authorities = cg.govern(found, row)
    >>> cluster = governed.loc["C-B"]
    >>> cluster["name"], bool(cluster["straddles_districts"]), float(cluster["lead_share"])
    ('C: Two / One', True, 0.5454545454545454)
    """
    function = "govern"
    settings = _settings(
        GovernanceConfig,
        function,
        edge_distance_km=edge_distance_km,
        straddle_share=straddle_share,
    )
    codes = _area_codes(areas, "areas", function)
    _require_polygons(areas, "areas", function)
    tier_columns = _tier_columns(areas, function)
    missing = found.members.index.difference(areas.index)
    if len(missing):
        raise InputDataError(
            f"clustergeo.govern(): {len(missing)} finding member areas are not in `areas`: "
            f"{format_examples(missing)}. Pass the areas the findings were found on."
        )
    tiers = add_upper_tier(
        pd.DataFrame(areas[tier_columns]).reset_index(drop=True).assign(area_code=codes)
    )
    tiers["area_km2"] = areas.geometry.area.to_numpy() / 1e6
    code_of = pd.Series(codes, index=areas.index)
    members = pd.DataFrame(
        {
            "cluster_id": found.members["cluster_id"].to_numpy(),
            "area_code": code_of.reindex(found.members.index).to_numpy(),
            "part": found.members["part"].to_numpy(),
            "employment": found.members["employment"].to_numpy(),
        }
    )
    placed = govern_findings(
        found.clusters.reset_index(),
        members,
        gpd.GeoDataFrame(tiers, geometry=areas.geometry.to_numpy(), crs=areas.crs),
        straddle_share=settings.straddle_share,
        edge_distance_m=settings.edge_distance_km * 1000,
        # As the governance stage: a piece as large as a concentration must be shares it.
        partner_size=partner_size(found.report),
    )
    return Governance(clusters=placed.findings.set_index("cluster_id"), authorities=placed.links)


# --- checks and shapes shared by the functions above --------------------------------------------

_Settings = TypeVar("_Settings", bound=BaseModel)


def _settings(
    model: type[_Settings],
    function: str,
    *,
    names: Mapping[str, str] | None = None,
    **arguments: Any,
) -> _Settings:
    """The config section the pipeline would use, built from a function's arguments.

    The pipeline's own validation applies, so an argument accepted here means the same as
    the setting in a run config; a refused one is reported by its argument name (``names``
    maps a setting to the argument that gives it, when they differ).
    """
    names = names or {}
    try:
        return model(**arguments)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            if item["loc"]:
                argument = names.get(str(item["loc"][-1]), item["loc"][-1])
                lines.append(f"  - {argument}={item['input']!r}: {item['msg']}")
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
        f"{name}_{field}" for name in names for field in _FINDING_LQ_FIELDS
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


def _reference_total(
    lq: pd.DataFrame, names: Sequence[str], given: float | None, function: str
) -> float:
    """The reference economy's employment in all industries, :math:`E`: given, or the areas'.

    The areas' own total is right only when each column's reference share is its own
    employment over that total (:func:`location_quotients` without ``reference``); any other
    reference needs its total given, or the LQ intervals of the findings would be wrong.
    """
    if given is not None:
        if not np.isfinite(given) or given <= 0:
            raise ConfigError(
                f"clustergeo.{function}(): reference_total={given!r} must be a positive "
                "number of jobs, the reference_total given to location_quotients()."
            )
        return float(given)
    total = float(lq["area_total"].sum())
    other = []
    for name in names:
        shares = lq[f"{name}_reference_share"].to_numpy(dtype="float64")
        share = shares[np.isfinite(shares)][:1]
        own = np.nansum(lq[f"{name}_employment"].to_numpy(dtype="float64")) / total
        if share.size and not np.isclose(share[0], own, rtol=1e-9, atol=0.0):
            other.append(name)
    if other:
        raise ConfigError(
            f"clustergeo.{function}(): the LQs of {format_examples(other)} were measured "
            "against another economy than these areas (their reference shares are not the "
            "areas' own): pass reference_total=, the employment in all industries given to "
            "location_quotients() as reference_total."
        )
    return total


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
