r"""Contiguity weights between grid cells, for hot spots on the employment surface.

On a regular grid, contiguity needs no geometry: cell :math:`(r, c)` neighbours
:math:`(r \pm 1, c)` and :math:`(r, c \pm 1)` (rook) and, for queen contiguity, the four
diagonal cells too, as libpysal's ``lat2W`` builds for a full lattice. Here only the cells of
a mask (the study area, or cells with employment) are kept, so a cell whose neighbours are all
masked out is an island, reported as :class:`~clustergeo.hotspots.weights.SpatialWeights`
reports islands (no attachment: a cell's nearest cells are its neighbours already).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from clustergeo._errors import InputDataError
from clustergeo.hotspots.weights import SpatialWeights

__all__ = ["cell_ids", "cell_positions", "cells_table", "grid_weights"]

_ROOK = ((0, 1), (1, 0))
_QUEEN = ((0, 1), (1, 0), (1, 1), (1, -1))
_CELL_ID = re.compile(r"^r(\d+)_c(\d+)$")


def cell_ids(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Ids ``"r{row}_c{col}"`` of the cells at ``rows``, ``cols``."""
    return np.array([f"r{r}_c{c}" for r, c in zip(rows.tolist(), cols.tolist(), strict=True)])


def cell_positions(ids: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of cells from their ids (the inverse of :func:`cell_ids`)."""
    rows, cols = [], []
    for cell in ids:
        match = _CELL_ID.match(str(cell))
        if match is None:
            raise InputDataError(f"'{cell}' is not a grid cell id; cell ids look like 'r12_c34'.")
        rows.append(int(match.group(1)))
        cols.append(int(match.group(2)))
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)


def _check_mask(mask: np.ndarray) -> np.ndarray:
    keep = np.asarray(mask)
    if keep.ndim != 2:
        raise InputDataError(
            f"The cell mask has {keep.ndim} dimensions; give a (rows, cols) array."
        )
    if keep.dtype != bool:
        raise InputDataError(
            f"The cell mask is {keep.dtype}; give a boolean array (True for cells to keep)."
        )
    return keep


def grid_weights(mask: np.ndarray, *, queen: bool = True) -> SpatialWeights:
    """Binary contiguity weights between the kept cells of a grid.

    Parameters
    ----------
    mask
        ``(rows, cols)`` boolean array, True for cells to keep.
    queen
        Queen contiguity (8 neighbours: edges and corners), else rook (4: edges only).

    Returns
    -------
    SpatialWeights
        Over the kept cells in row-major order, ids ``"r{row}_c{col}"``; a symmetric binary
        CSR matrix with a zero diagonal. Cells without a kept neighbour are listed as
        ``islands`` (they get no hot-spot result).
    """
    keep = _check_mask(mask)
    height, width = keep.shape
    position = np.full(keep.shape, -1, dtype=np.int64)
    rows, cols = np.nonzero(keep)
    position[rows, cols] = np.arange(len(rows))
    left, right = [], []
    for dr, dc in _QUEEN if queen else _ROOK:
        # Cells (r, c) and (r + dr, c + dc), both inside the grid.
        r0, r1 = 0, height - dr
        c0, c1 = max(0, -dc), width - max(0, dc)
        a = position[r0:r1, c0:c1]
        b = position[r0 + dr : r1 + dr, c0 + dc : c1 + dc]
        both = (a >= 0) & (b >= 0)
        left.append(a[both])
        right.append(b[both])
    first = np.concatenate([*left, *right])
    second = np.concatenate([*right, *left])
    n = len(rows)
    matrix = sparse.csr_array((np.ones(len(first), dtype="float64"), (first, second)), shape=(n, n))
    matrix.sort_indices()
    ids = cell_ids(rows, cols)
    island_index = np.flatnonzero(np.diff(matrix.indptr) == 0)
    notes: tuple[str, ...] = ()
    if len(island_index):
        notes = (
            f"{len(island_index)} cells have no neighbours and are left out of the hot-spot "
            "statistics (results missing)",
        )
    return SpatialWeights(
        ids=ids,
        matrix=matrix,
        method=f"{'queen' if queen else 'rook'} grid contiguity",
        binary=True,
        islands=tuple(ids[island_index].tolist()),
        notes=notes,
    )


def cells_table(array: np.ndarray, mask: np.ndarray, band_names: Sequence[str]) -> pd.DataFrame:
    """The kept cells' values as a cells x bands table, indexed by cell id.

    The rows are in the order of :func:`grid_weights` over the same mask, ready for
    :func:`clustergeo.hotspots.engine.local_hotspots`.

    Parameters
    ----------
    array
        ``(bands, rows, cols)`` values.
    mask
        ``(rows, cols)`` boolean array of cells to keep.
    band_names
        Column names, one per band.
    """
    keep = _check_mask(mask)
    values = np.asarray(array)
    if values.ndim != 3 or values.shape[1:] != keep.shape or len(band_names) != len(values):
        raise InputDataError(
            f"The array has shape {values.shape} for {len(band_names)} band names and a "
            f"{keep.shape} mask; give (bands, rows, cols) with one name per band."
        )
    rows, cols = np.nonzero(keep)
    return pd.DataFrame(
        values[:, rows, cols].T,
        index=pd.Index(cell_ids(rows, cols), name="cell"),
        columns=pd.Index([str(name) for name in band_names]),
    )
