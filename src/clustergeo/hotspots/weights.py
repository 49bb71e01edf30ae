"""Spatial weights for the hot-spot statistics, with islands and components reported.

Contiguity is **tolerant by default**: two areas are neighbours when their boundaries come
within ``tolerance_m`` metres of each other (queen-style: a shared corner is enough). Real
boundary files do not share exact vertices: on the ONS MSOA 2011 boundaries of the Midlands,
shared edges differ by about 1e-7 degrees, so strict Queen contiguity finds no neighbours at
all and every area is an island. A one-metre tolerance recovers the true adjacency without
joining areas that are genuinely apart. This is our own implementation (one STRtree
``dwithin`` query, shapely 2) because it is a single vectorised call and states its tolerance
in metres; strict queen and rook contiguity, k-nearest neighbours, distance bands and kernels
are built with libpysal's ``Graph``, which does those well.

Islands (areas with no neighbour) are handled by a stated policy, never a crash:
``exclude`` reports them and leaves them out of the statistics (their results are missing),
``nearest`` attaches each to its ``k`` nearest areas by centroid distance (symmetrically).
Every run writes an audit table: cardinalities, islands, connected components.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from clustergeo._errors import InputDataError
from clustergeo.config import WeightsConfig

__all__ = [
    "IslandPolicy",
    "SpatialWeights",
    "WeightsMethod",
    "build_weights",
    "configured_weights",
    "kernel_weights",
    "tolerant_contiguity",
]

T = TypeVar("T")

WeightsMethod = Literal["contiguity", "queen", "rook", "knn", "distance_band", "kernel"]
IslandPolicy = Literal["exclude", "nearest"]


@dataclass(frozen=True)
class SpatialWeights:
    """A spatial weights matrix over a set of areas.

    Attributes
    ----------
    ids
        Area codes, in the order of the matrix rows.
    matrix
        ``n x n`` CSR matrix of untransformed weights with a zero diagonal (no self-weights;
        Gi* adds the self-weight itself). Binary for contiguity, knn and distance bands.
    method
        How it was built, for reports.
    binary
        Whether every non-zero weight is 1 (enables the fast exact permutation kernel).
    islands
        Codes of areas with no neighbour after the island policy.
    attached
        Codes of islands attached to their nearest areas by the ``nearest`` policy.
    """

    ids: np.ndarray
    matrix: sparse.csr_array
    method: str
    binary: bool
    islands: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # What was computed from the weights (never changed once built), by :meth:`derived`.
    _derived: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def derived(self, key: object, build: Callable[[], T]) -> T:
        """``build()`` the first time ``key`` is asked for, the same object afterwards.

        For what the statistics compute from the weights alone (their row sums, the area codes
        as a categorical type), so that calling the engine again on the same weights (once
        per year for emerging hot spots, or per variable from Python) does not redo it.
        Not pickled (a Dask worker rebuilds what it needs); a copy made with
        ``dataclasses.replace`` starts empty.
        """
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]  # type: ignore[return-value]

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_derived"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_derived", {})

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.ids)

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each area."""
        return np.diff(self.matrix.indptr)

    def transformed(self, transform: Literal["binary", "row"]) -> sparse.csr_array:
        """The matrix as used by the statistics: as built, or row-standardised.

        Row standardisation divides each row by its sum, so each area's lag is the mean of its
        neighbours; rows of islands stay zero.
        """
        if transform == "binary":
            return self.matrix
        sums = np.asarray(self.matrix.sum(axis=1)).ravel()
        scale = np.divide(1.0, sums, out=np.zeros_like(sums, dtype="float64"), where=sums > 0)
        return sparse.csr_array(sparse.diags_array(scale) @ self.matrix)

    def components(self) -> np.ndarray:
        """Connected-component label of each area (islands are their own component)."""
        _count, labels = connected_components(self.matrix, directed=False)
        return np.asarray(labels)

    def audit(self) -> pd.DataFrame:
        """One row per area: neighbours, island and attachment flags, component and its size."""
        labels = self.components()
        sizes = np.bincount(labels)
        return pd.DataFrame(
            {
                "area_code": self.ids,
                "n_neighbours": self.cardinalities,
                "island": np.isin(self.ids, self.islands),
                "attached_to_nearest": np.isin(self.ids, self.attached),
                "component": labels,
                "component_size": sizes[labels],
            }
        )

    def links(self) -> pd.DataFrame:
        """The matrix as a table of links: ``focal``, ``neighbour``, ``weight`` (untransformed)."""
        coo = self.matrix.tocoo()
        return pd.DataFrame(
            {
                "focal": self.ids[coo.row],
                "neighbour": self.ids[coo.col],
                "weight": coo.data.astype("float64"),
            }
        )

    @classmethod
    def from_links(cls, links: pd.DataFrame, ids: np.ndarray, method: str) -> SpatialWeights:
        """Rebuild weights written by :meth:`links` over the areas ``ids`` (in that order).

        Links to areas outside ``ids`` are dropped.
        """
        ids = np.asarray(ids)
        position = pd.Series(np.arange(len(ids)), index=ids)
        row = position.reindex(links["focal"]).to_numpy()
        col = position.reindex(links["neighbour"]).to_numpy()
        known = ~(np.isnan(row) | np.isnan(col))
        weight = links["weight"].to_numpy(dtype="float64")[known]
        matrix = sparse.csr_array(
            (weight, (row[known].astype(np.int64), col[known].astype(np.int64))),
            shape=(len(ids), len(ids)),
        )
        return cls(ids=ids, matrix=matrix, method=method, binary=bool(np.all(weight == 1.0)))

    def summary(self) -> dict[str, object]:
        """Counts for the run report."""
        cardinalities = self.cardinalities
        labels = self.components()
        return {
            "method": self.method,
            "areas": self.n,
            "links": int(self.matrix.nnz),
            "mean_neighbours": float(cardinalities.mean()) if self.n else 0.0,
            "min_neighbours": int(cardinalities.min()) if self.n else 0,
            "max_neighbours": int(cardinalities.max()) if self.n else 0,
            "islands": len(self.islands),
            "islands_attached": len(self.attached),
            "components": int(labels.max() + 1) if self.n else 0,
            "notes": list(self.notes),
        }


def tolerant_contiguity(geometry: gpd.GeoSeries, tolerance_m: float) -> sparse.csr_array:
    """Binary queen contiguity with a snapping tolerance in metres.

    Two areas are neighbours when the distance between them is at most ``tolerance_m``
    (a shared corner counts). The geometry must be in a projected CRS in metres.
    """
    geoms = np.asarray(geometry.to_numpy())
    tree = shapely.STRtree(geoms)
    if tolerance_m > 0:
        left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    n = len(geoms)
    matrix = sparse.coo_array((np.ones(len(left)), (left, right)), shape=(n, n)).tocsr()
    # dwithin is symmetric, but make sure duplicates from multipart geometries collapse to 1.
    matrix.data[:] = 1.0
    return sparse.csr_array(matrix)


def _libpysal_matrix(
    areas: gpd.GeoDataFrame,
    method: WeightsMethod,
    *,
    k: int,
    threshold: float | None,
    bandwidth: float | None,
    kernel: str,
) -> sparse.csr_array:
    from libpysal.graph import Graph

    points = areas.geometry.representative_point()
    frame = gpd.GeoDataFrame(geometry=points.to_numpy(), crs=areas.crs)
    if method in ("queen", "rook"):
        graph = Graph.build_contiguity(areas.geometry.reset_index(drop=True), rook=method == "rook")
    elif method == "knn":
        graph = Graph.build_knn(frame, k=k)
    elif method == "distance_band":
        if threshold is None:
            raise InputDataError("weights method 'distance_band' needs 'threshold_m'.")
        graph = Graph.build_distance_band(frame, threshold=threshold, binary=True)
    else:
        return kernel_weights(
            shapely.get_coordinates(points.to_numpy()), k=k, kernel=kernel, bandwidth=bandwidth
        )
    matrix = sparse.csr_array(graph.sparse)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    return matrix


#: Kernel functions of the scaled distance :math:`z = d / h` (zero from z = 1 on for the
#: bounded ones), as in libpysal and GWR: gaussian :math:`e^{-z^2/2}/\sqrt{2\pi}`,
#: triangular :math:`1 - z`, bisquare :math:`\tfrac{15}{16}(1 - z^2)^2`, tricube
#: :math:`\tfrac{70}{81}(1 - z^3)^3`, exponential :math:`e^{-z}`.
KERNEL_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "gaussian": lambda z: np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi),
    "triangular": lambda z: np.clip(1.0 - z, 0.0, None),
    "bisquare": lambda z: (15.0 / 16.0) * np.clip(1.0 - z**2, 0.0, None) ** 2,
    "tricube": lambda z: (70.0 / 81.0) * np.clip(1.0 - z**3, 0.0, None) ** 3,
    "exponential": lambda z: np.exp(-z),
}
#: An adaptive bandwidth is the k-th neighbour's distance widened by this factor, so bounded
#: kernels keep the k-th neighbour (libpysal's ``Kernel`` uses the same ``eps``).
ADAPTIVE_WIDENING = 1.0000001


def kernel_weights(
    points: np.ndarray, *, k: int, kernel: str, bandwidth: float | None = None
) -> sparse.csr_array:
    r"""Kernel weights over each area's ``k`` nearest areas, adaptive unless ``bandwidth``.

    Parameters
    ----------
    points
        ``n x 2`` coordinates in metres (one representative point per area).
    k
        Neighbours of each area: its ``k`` nearest other areas.
    kernel
        A key of :data:`KERNEL_FUNCTIONS`.
    bandwidth
        Fixed bandwidth :math:`h` in metres for every area; neighbours farther than it get no
        weight. None: adaptive, :math:`h_i` = the distance from area *i* to its k-th nearest
        area (times :data:`ADAPTIVE_WIDENING`).

    Returns
    -------
    scipy.sparse.csr_array
        :math:`w_{ij} = K(d_{ij} / h_i)`, zero diagonal, rows sorted by column.

    Notes
    -----
    An adaptive bandwidth follows the density of areas: small in cities, large in the
    countryside, so every area's weights fall from :math:`K(0)` to :math:`K(1)` over its own
    neighbours (Fotheringham, Brunsdon & Charlton 2002, *Geographically Weighted Regression*,
    §2.7). libpysal's ``Graph.build_kernel(k=k)`` (4.14) instead takes one global bandwidth,
    the largest k-nearest-neighbour distance of all areas (``bandwidth = d.data.max()`` in
    ``libpysal/graph/_kernel.py``), so in a national file of small urban areas nearly every
    weight is :math:`K(0)`.
    """
    from scipy.spatial import cKDTree

    n = len(points)
    function = KERNEL_FUNCTIONS[kernel]
    distance, index = cKDTree(points).query(points, k=min(k + 1, n))
    distance = np.atleast_2d(distance.reshape(n, -1))
    index = np.atleast_2d(index.reshape(n, -1))
    # The area itself is among its nearest (usually first; not always if points coincide).
    is_self = index == np.arange(n)[:, None]
    keep = ~is_self
    keep[:, -1] &= is_self.any(axis=1)  # when the area is not listed, drop the farthest
    distance = distance[keep].reshape(n, -1)
    index = index[keep].reshape(n, -1)
    if bandwidth is None:
        scale = distance[:, -1:] * ADAPTIVE_WIDENING
    else:
        scale = np.full((n, 1), float(bandwidth))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, distance / scale, 0.0)
    weight = function(z)
    weight[z > 1.0] = 0.0  # beyond the bandwidth (only with a fixed one)
    rows = np.repeat(np.arange(n), index.shape[1])
    matrix = sparse.csr_array(
        (weight.ravel(), (rows, index.ravel())), shape=(n, n), dtype=np.float64
    )
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def _attach_islands(
    matrix: sparse.csr_array, areas: gpd.GeoDataFrame, islands: np.ndarray, k: int
) -> sparse.csr_array:
    """Link each island to its k nearest areas by centroid distance, in both directions."""
    centroids = shapely.get_coordinates(areas.geometry.representative_point().to_numpy())
    rows, cols = [], []
    for island in islands:
        distance = np.hypot(*(centroids - centroids[island]).T)
        order = np.argsort(distance, kind="stable")
        nearest = order[order != island][:k]
        rows.extend([island] * len(nearest))
        cols.extend(nearest.tolist())
    n = matrix.shape[0]
    links = sparse.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    links = links + links.T
    links.data[:] = 1.0
    weight = matrix.max() if matrix.nnz else 1.0
    combined = matrix.maximum(links * weight)
    return sparse.csr_array(combined)


def build_weights(
    areas: gpd.GeoDataFrame,
    *,
    method: WeightsMethod = "contiguity",
    tolerance_m: float = 1.0,
    k: int = 6,
    threshold_m: float | None = None,
    bandwidth_m: float | None = None,
    kernel: str = "gaussian",
    islands: IslandPolicy = "nearest",
    island_neighbours: int = 1,
    code_column: str = "area_code",
) -> SpatialWeights:
    """Build spatial weights over areas (in EPSG:27700) and apply the islands policy.

    Parameters
    ----------
    areas
        Polygons with a code column, in a projected CRS in metres.
    method
        ``contiguity`` (tolerant queen, the default), ``queen`` / ``rook`` (strict),
        ``knn``, ``distance_band`` or ``kernel``.
    tolerance_m
        Snapping tolerance of ``contiguity``.
    k
        Neighbours for ``knn`` and ``kernel``; without ``bandwidth_m`` a kernel's bandwidth
        is adaptive: each area's is the distance to its k-th nearest area
        (:func:`kernel_weights`).
    threshold_m
        Distance of ``distance_band``.
    bandwidth_m, kernel
        Fixed bandwidth and kernel function (gaussian, triangular, bisquare...) of ``kernel``.
    islands
        ``nearest``: attach each island to its ``island_neighbours`` nearest areas;
        ``exclude``: keep islands unlinked (their statistics are missing, and reported).
    island_neighbours
        How many nearest areas an island is attached to.
    code_column
        Column of area codes.

    Returns
    -------
    SpatialWeights
    """
    if areas.crs is None or not areas.crs.is_projected:
        raise InputDataError(
            "Spatial weights need areas in a projected CRS in metres (EPSG:27700); "
            f"got {areas.crs}."
        )
    if len(areas) == 0:
        raise InputDataError("There are no areas to build spatial weights on.")
    areas = areas.reset_index(drop=True)
    if method == "contiguity":
        matrix = tolerant_contiguity(areas.geometry, tolerance_m)
        label = f"tolerant queen contiguity ({tolerance_m:g} m)"
    elif len(areas) == 1:
        matrix = sparse.csr_array((1, 1))
        label = method
    else:
        k_eff = min(k, len(areas) - 1)
        matrix = _libpysal_matrix(
            areas, method, k=k_eff, threshold=threshold_m, bandwidth=bandwidth_m, kernel=kernel
        )
        label = {
            "queen": "strict queen contiguity",
            "rook": "strict rook contiguity",
            "knn": f"{k_eff} nearest neighbours",
            "distance_band": f"distance band ({threshold_m} m)",
            "kernel": f"{kernel} kernel over {k_eff} nearest areas ("
            + (
                f"fixed bandwidth {bandwidth_m:g} m"
                if bandwidth_m
                else f"adaptive bandwidth: distance to the {k_eff}th nearest"
            )
            + ")",
        }[method]
    ids = areas[code_column].astype(str).to_numpy()
    island_index = np.flatnonzero(np.diff(matrix.indptr) == 0)
    notes: list[str] = []
    attached: tuple[str, ...] = ()
    if len(island_index) and islands == "nearest" and len(areas) > 1:
        matrix = _attach_islands(matrix, areas, island_index, island_neighbours)
        attached = tuple(ids[island_index])
        notes.append(
            f"{len(attached)} islands attached to their {island_neighbours} nearest area(s): "
            + ", ".join(attached[:8])
            + (" …" if len(attached) > 8 else "")
        )
    remaining = np.flatnonzero(np.diff(matrix.indptr) == 0)
    if len(remaining):
        notes.append(
            f"{len(remaining)} areas have no neighbours and are left out of the hot-spot "
            "statistics (results missing)"
        )
    binary = bool(np.all(matrix.data == 1.0)) if matrix.nnz else True
    return SpatialWeights(
        ids=ids,
        matrix=sparse.csr_array(matrix),
        method=label,
        binary=binary,
        islands=tuple(ids[remaining]),
        attached=attached,
        notes=tuple(notes),
    )


log = logging.getLogger(__name__)


def configured_weights(areas: gpd.GeoDataFrame, spec: WeightsConfig) -> SpatialWeights:
    """:func:`build_weights` with a run config's ``hotspots.weights`` settings, logged."""
    weights = build_weights(
        areas,
        method=spec.method,
        tolerance_m=spec.tolerance_m,
        k=spec.k,
        threshold_m=spec.threshold_m,
        bandwidth_m=spec.bandwidth_m,
        kernel=spec.kernel,
        islands=spec.islands,
        island_neighbours=spec.island_neighbours,
    )
    summary = weights.summary()
    # Islands are the areas left without neighbours; those attached are said beside them.
    count = len(weights.attached)
    attached = f" left (attached to the nearest: {count})" if count else ""
    log.info(
        "Weights: %s; %d areas, mean %.1f neighbours, %d islands%s, %d components",
        summary["method"],
        summary["areas"],
        summary["mean_neighbours"],
        summary["islands"],
        attached,
        summary["components"],
    )
    return weights
