"""Spatial weights in the formats other tools read: libpysal's adjacency table, GeoDa's GAL and GWT.

* **Adjacency** (libpysal ``Graph``): a ``weight`` series indexed by ``(focal, neighbor)``, every
  area a focal, in the order of the weights; an area without neighbours is a self-link of weight 0
  (libpysal's convention for isolates). :func:`to_adjacency` builds it, so the run's
  ``weights.parquet`` opens with ``libpysal.graph.read_parquet`` and the run's neighbours can be
  used with esda, spreg or mgwr as they are.
* **GAL** (GeoDa, binary contiguity): a header ``0 n unknown area_code`` (a flag, the number of
  areas, the layer and the id variable), then per area a line ``id count`` and a line of its
  neighbours' ids.
* **GWT** (GeoDa, weighted links): the same header, then one line ``focal neighbour weight``
  per link (Anselin & Rey 2014, *Modern Spatial Econometrics in Practice*, appendix on weights
  files). Readers such as libpysal's expect the four header fields.

Weights are written untransformed, as built: binary weights are 1, kernel weights their kernel
values; row standardisation is applied by the statistics, as esda and GeoDa do it themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from clustergeo._errors import InputDataError
from clustergeo.hotspots.weights import SpatialWeights

__all__ = ["from_adjacency", "to_adjacency", "to_gal", "to_gwt"]


def to_adjacency(weights: SpatialWeights) -> pd.Series:
    """Libpysal's adjacency: ``weight`` by ``(focal, neighbor)``, isolates as zero self-links."""
    matrix = sparse.csr_array(weights.matrix)
    matrix.sort_indices()
    coo = matrix.tocoo()
    rows, cols, values = coo.row, coo.col, coo.data.astype("float64")
    isolates = np.flatnonzero(np.diff(matrix.indptr) == 0)
    rows = np.concatenate([rows, isolates])
    cols = np.concatenate([cols, isolates])
    values = np.concatenate([values, np.zeros(len(isolates))])
    order = np.lexsort((cols, rows))
    ids = np.asarray(weights.ids).astype(str)
    index = pd.MultiIndex.from_arrays(
        [ids[rows[order]], ids[cols[order]]], names=["focal", "neighbor"]
    )
    return pd.Series(values[order], index=index, name="weight")


def from_adjacency(adjacency: pd.Series, ids: np.ndarray, method: str) -> SpatialWeights:
    """Weights over the areas ``ids`` (in that order) from an adjacency; foreign links dropped.

    Zero-weight self-links (libpysal's isolates) are not links.
    """
    ids = np.asarray(ids).astype(str)
    frame = adjacency.reset_index()
    if list(frame.columns[:2]) != ["focal", "neighbor"] or "weight" not in frame:
        raise InputDataError(
            "A weights table needs 'focal', 'neighbor' and 'weight' (libpysal's adjacency); "
            f"this one has {', '.join(map(str, frame.columns))}."
        )
    position = pd.Series(np.arange(len(ids)), index=ids)
    row = position.reindex(frame["focal"].astype(str)).to_numpy()
    col = position.reindex(frame["neighbor"].astype(str)).to_numpy()
    weight = frame["weight"].to_numpy(dtype="float64")
    keep = ~(np.isnan(row) | np.isnan(col)) & ~((row == col) & (weight == 0))
    matrix = sparse.csr_array(
        (weight[keep], (row[keep].astype(np.int64), col[keep].astype(np.int64))),
        shape=(len(ids), len(ids)),
    )
    binary = bool(np.all(matrix.data == 1.0)) if matrix.nnz else True
    return SpatialWeights(ids=ids, matrix=matrix, method=method, binary=binary)


def _gal_id(code: str) -> str:
    if any(ch.isspace() for ch in code):
        raise InputDataError(
            f"Area code {code!r} contains a space, which GAL and GWT files cannot hold."
        )
    return code


def _header(n: int) -> str:
    """GeoDa's header: a flag, the number of areas, the layer (unknown here) and the id field."""
    return f"0 {n} unknown area_code"


def to_gal(weights: SpatialWeights) -> str:
    """GeoDa's GAL text of binary weights (every link of any weight counts as a neighbour)."""
    matrix = sparse.csr_array(weights.matrix)
    matrix.sort_indices()
    ids = [_gal_id(str(code)) for code in weights.ids]
    lines = [_header(len(ids))]
    for i, code in enumerate(ids):
        neighbours = matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]
        lines.append(f"{code} {len(neighbours)}")
        lines.append(" ".join(ids[j] for j in neighbours))
    return "\n".join(lines) + "\n"


def to_gwt(weights: SpatialWeights) -> str:
    """GeoDa's GWT text: one ``focal neighbour weight`` line per link, weights as built."""
    matrix = sparse.csr_array(weights.matrix)
    matrix.sort_indices()
    ids = [_gal_id(str(code)) for code in weights.ids]
    coo = matrix.tocoo()
    lines = [_header(len(ids))]
    lines.extend(
        f"{ids[i]} {ids[j]} {w:.17g}" for i, j, w in zip(coo.row, coo.col, coo.data, strict=True)
    )
    return "\n".join(lines) + "\n"
