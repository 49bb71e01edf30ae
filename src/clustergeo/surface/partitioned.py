"""The surface's allocation and grid on a Dask cluster: the study areas split into compact groups.

The geometry-heavy part of the surface stage is two overlays: the areas x employment land
intersections of the dasymetric allocation (:func:`~clustergeo.surface.dasymetric.allocate`)
and the pieces x grid cell overlaps of the rasterisation
(:func:`~clustergeo.surface.grid.rasterise`). Both are local: an area's pieces use only its own
polygon, counts and the land under it, and a piece's overlaps only its own polygon. So the
areas are scattered to the workers once and regrouped into partitions of nearby areas by the
Hilbert-curve distance of their bounds' centres, as dask-geopandas' ``spatial_shuffle`` does
(:func:`spatial_partitions`); each task allocates its partition's areas and lists the
(piece, cell, overlap) triples of their pieces. :func:`partition_count` sets the number of
partitions from the worker threads and the areas.

The results are bit for bit those of the in-process functions, because everything that adds
floating-point numbers sees them in the in-process order:

* the land is dissolved by kind and made disjoint once, on the client, and the whole layer is
  sent to every worker once (``broadcast``). Each task builds the STRtree over all of it: the
  order in which the tree lists an area's land parts depends on every part, and it is the
  order those parts are dissolved and their areas summed in. Clipping the land to a
  partition's bounds would change that order, and so the last bits of pieces and ``land_m2``;
* a task's pieces are the in-process rows of its areas (an area's shares depend only on its
  own pieces), and the client puts them back in area order (kind precedence within an area
  already holds);
* a piece's triples do not depend on the other pieces, so the client sorts the gathered
  triples by piece (stably, keeping each piece's cells in order) and does the normalisation
  and the ``np.bincount`` per band as :func:`~clustergeo.surface.grid.rasterise` does.

The checks of both functions run on the client on the whole inputs, so errors and the
allocation report are the in-process ones.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from clustergeo.surface.dasymetric import (
    _allocated,
    _checked_inputs,
    _exclusive_parts,
    _land_pieces,
    _with_report,
    allocate,
)
from clustergeo.surface.grid import (
    GridSpec,
    _checked_values,
    _concatenated,
    _overlaps,
    _spread,
    rasterise,
)

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "MIN_AREAS_PER_PARTITION",
    "PARTITIONS_PER_THREAD",
    "partition_count",
    "partitioned_surface",
    "spatial_partitions",
]

log = logging.getLogger(__name__)

#: Fewest areas worth a task of their own: below this, scheduling costs more than it saves.
MIN_AREAS_PER_PARTITION = 25
#: Partitions per worker thread, so that partitions of uneven cost still keep every worker busy.
PARTITIONS_PER_THREAD = 4

#: Column carrying each area's position in the input through the shuffle.
_POSITION = "__area_position__"


def partition_count(areas: int, threads: int) -> int:
    """Partitions for ``areas`` areas on ``threads`` worker threads.

    :data:`PARTITIONS_PER_THREAD` per thread, but none with fewer than
    :data:`MIN_AREAS_PER_PARTITION` areas (and at least one).
    """
    by_size = math.ceil(areas / MIN_AREAS_PER_PARTITION)
    return max(1, min(by_size, PARTITIONS_PER_THREAD * max(1, threads)))


def spatial_partitions(
    chunks: Sequence[Any], meta: gpd.GeoDataFrame, bounds: np.ndarray, npartitions: int
) -> list[Any]:
    """Areas held by Dask, regrouped into ``npartitions`` spatially compact partitions.

    Parameters
    ----------
    chunks
        Futures (or delayed objects) of GeoDataFrames of areas, e.g. scattered by the client,
        so that the data is sent to the workers once rather than embedded in the task graph.
        The caller keeps them until the results are in: Dask forgets data nobody holds.
    meta
        An empty frame of the chunks' columns and types.
    bounds
        The areas' total bounds.
    npartitions
        How many partitions.

    Returns
    -------
    list of dask.delayed.Delayed
        One GeoDataFrame each: a dask-geopandas frame of the areas shuffled by the Hilbert
        distance of their bounds' centres, as dask-geopandas' ``spatial_shuffle`` does (sorted
        along a space-filling curve over ``bounds`` that is cut into partitions of about
        equal numbers of areas). Some partitions may be empty. The columns keep their types
        (Dask does not turn text into Arrow strings here).
    """
    import dask
    import dask.dataframe as dd
    import dask_geopandas

    with dask.config.set({"dataframe.convert-string": False}):
        frame = dask_geopandas.from_dask_dataframe(
            dd.from_delayed(list(chunks), meta=meta, verify_meta=False)
        )
        # Bounds given, else dask-geopandas computes them inside every task from the whole frame.
        distance = frame.hilbert_distance(total_bounds=bounds)
        shuffled = frame.set_index(
            distance, sorted=False, npartitions=npartitions, shuffle_method="tasks"
        )
        return list(shuffled.to_delayed())


@dataclass(frozen=True)
class _Partition:
    """A task's result: its areas' pieces and their overlaps with the grid's cells."""

    pieces: gpd.GeoDataFrame
    #: Position of each piece's area in the input.
    positions: np.ndarray
    #: (piece row in ``pieces``, flat cell index, overlap area), piece by piece.
    index: np.ndarray
    cells: np.ndarray
    overlap: np.ndarray


def _task(
    areas: gpd.GeoDataFrame,
    exclusive: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    code_column: str,
    spec: GridSpec,
) -> _Partition | None:
    """Allocate one partition's areas and list the overlaps of their pieces with the cells."""
    if areas.empty:
        return None
    areas = areas.reset_index(drop=True)
    positions = areas[_POSITION].to_numpy()
    areas = areas.drop(columns=_POSITION)
    pieces = _allocated(
        areas, counts, _land_pieces(areas, exclusive, code_column), weights, code_column
    )
    index, cells, overlap = _concatenated(
        list(_overlaps(np.asarray(pieces.geometry.to_numpy()), spec))
    )
    area_of_piece = pd.Index(areas[code_column]).get_indexer(pieces[code_column])
    return _Partition(pieces, positions[area_of_piece], index, cells, overlap)


def _assembled(
    partitions: Sequence[_Partition],
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """All pieces in the in-process order, and the triples sorted by piece in that order."""
    joined = pd.concat([part.pieces for part in partitions], ignore_index=True)
    order = np.argsort(np.concatenate([part.positions for part in partitions]), kind="stable")
    row = np.empty(len(order), dtype=np.int64)
    row[order] = np.arange(len(order))
    starts = np.cumsum([0, *(len(part.pieces) for part in partitions)])
    index, cells, overlap = _concatenated(
        [
            (row[start + part.index], part.cells, part.overlap)
            for part, start in zip(partitions, starts[:-1], strict=True)
        ]
    )
    by_piece = np.argsort(index, kind="stable")
    pieces = gpd.GeoDataFrame(
        joined.iloc[order].reset_index(drop=True),
        geometry="geometry",
        crs=partitions[0].pieces.crs,
    )
    return pieces, index[by_piece], cells[by_piece], overlap[by_piece]


def partitioned_surface(
    areas: gpd.GeoDataFrame,
    employment: pd.DataFrame,
    land: gpd.GeoDataFrame,
    weights: Mapping[str, float],
    client: Client,
    *,
    columns: Sequence[str],
    spec: GridSpec,
    npartitions: int | None = None,
    code_column: str = "area_code",
    source: str = "the employment table",
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Allocation and grid computed by the workers of ``client``, in spatial partitions.

    The result of :func:`~clustergeo.surface.dasymetric.allocate` then
    :func:`~clustergeo.surface.grid.rasterise` of its pieces, bit for bit.

    Parameters
    ----------
    areas, employment, land, weights, code_column, source
        As for :func:`~clustergeo.surface.dasymetric.allocate`.
    columns, spec
        As for :func:`~clustergeo.surface.grid.rasterise`: the columns of the pieces to grid,
        one band each, and the grid.
    client
        A connected Dask client.
    npartitions
        How many partitions to split the areas into; default :func:`partition_count` of the
        areas and the cluster's worker threads.

    Returns
    -------
    tuple of geopandas.GeoDataFrame and numpy.ndarray
        The pieces (with ``attrs["report"]``) and the ``(bands, rows, cols)`` grid, bit for
        bit those of ``rasterise(allocate(...), columns, spec)``.

    Raises
    ------
    InputDataError
        As the two functions do, for the same inputs.
    """
    import dask

    if areas.empty:
        pieces = allocate(areas, employment, land, weights, code_column=code_column, source=source)
        return pieces, rasterise(pieces, columns, spec)
    areas, counts, land, missing_rows = _checked_inputs(
        areas, employment, land, weights, code_column=code_column, source=source
    )
    workers = client.scheduler_info(n_workers=-1)["workers"]
    threads = sum(int(info["nthreads"]) for info in workers.values())
    count = npartitions or partition_count(len(areas), threads)
    frame = areas[[code_column, "geometry"]].assign(**{_POSITION: np.arange(len(areas))})
    shared_land = client.scatter(_exclusive_parts(land), broadcast=True, hash=False)
    shared_counts = client.scatter(counts, broadcast=True, hash=False)
    # Held in ``chunks`` until the results are in: Dask may drop data no client holds.
    chunks = client.scatter(
        [frame.iloc[rows] for rows in np.array_split(np.arange(len(frame)), count)], hash=False
    )
    groups = spatial_partitions(chunks, frame.iloc[:0], frame.total_bounds, count)
    task = dask.delayed(_task, pure=True)
    futures = client.compute(
        [
            task(
                part, shared_land, shared_counts, dict(weights), code_column=code_column, spec=spec
            )
            for part in groups
        ]
    )
    partitions = [part for part in client.gather(futures) if part is not None]
    del chunks, futures  # released on the cluster
    pieces, index, cells, overlap = _assembled(partitions)
    pieces = _with_report(pieces, counts, missing_rows, pd.Index(areas[code_column]), code_column)
    values, carries = _checked_values(pieces, columns, spec)
    keep = carries[index]
    grid = _spread(index[keep], cells[keep], overlap[keep], values, spec)
    log.info(
        "Dasymetric allocation and grid on Dask: %d areas in %d spatial partitions, %d pieces",
        len(areas),
        count,
        len(pieces),
    )
    return pieces, grid
