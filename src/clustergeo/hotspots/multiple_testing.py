r"""Multiple-testing control for hot-spot p-values.

Benjamini & Hochberg (1995) controls the false discovery rate: the adjusted p-value of the
*r*-th smallest of *m* p-values is :math:`\min_{s \ge r} \min(1, m\,p_{(s)}/s)`. Bonferroni
multiplies every p-value by *m*. Missing p-values (areas left out, industries not tested) are
not counted in *m* and stay missing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["Correction", "adjust_p_values"]

Correction = Literal["fdr_bh", "bonferroni", "none"]


def _bh_columns(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg for every column of a 2-D array at once; NaN is not a test."""
    tested = ~np.isnan(p)
    m = tested.sum(axis=0)
    # Untested cells sort last (as +inf) and so never lower a tested cell's adjusted value.
    # Tied p-values end with the same adjusted value in any order, so no stable sort is needed.
    order = np.argsort(np.where(tested, p, np.inf), axis=0)
    ranked = np.take_along_axis(np.where(tested, p, np.inf), order, axis=0)
    ranks = np.arange(1, p.shape[0] + 1)[:, None]
    with np.errstate(invalid="ignore"):
        scaled = ranked * m[None, :] / ranks
    scaled = np.minimum.accumulate(scaled[::-1], axis=0)[::-1]
    adjusted = np.empty_like(scaled)
    np.put_along_axis(adjusted, order, np.minimum(scaled, 1.0), axis=0)
    return np.where(tested, adjusted, np.nan)


def adjust_p_values(
    p: np.ndarray, method: Correction, scope: Literal["industry", "all"] = "industry"
) -> np.ndarray:
    """Adjust an ``n x K`` array of p-values within each industry column or across all cells.

    Parameters
    ----------
    p
        P-values; NaN where nothing was tested.
    method
        ``fdr_bh`` (Benjamini-Hochberg), ``bonferroni`` or ``none``.
    scope
        ``industry``: one family per column (per industry or cluster definition);
        ``all``: one family of every area x industry test.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, never smaller than the unadjusted ones.
    """
    p = np.asarray(p, dtype=float)
    if method == "none":
        return p.copy()
    family = p.reshape(-1, 1) if scope == "all" else p.reshape(p.shape[0], -1)
    if method == "bonferroni":
        m = (~np.isnan(family)).sum(axis=0)
        adjusted = np.minimum(family * m[None, :], 1.0)
    else:
        adjusted = _bh_columns(family)
    return np.asarray(adjusted, dtype=float).reshape(p.shape)
