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


def _bh(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(ranked, 1.0)
    return adjusted


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
    out = np.full_like(p, np.nan)
    columns = [slice(None)] if scope == "all" else [np.s_[:, c] for c in range(p.shape[1])]
    for column in columns:
        block = p[column]
        tested = ~np.isnan(block)
        values = block[tested]
        if values.size == 0:
            continue
        adjusted = np.minimum(values * values.size, 1.0) if method == "bonferroni" else _bh(values)
        result = np.full(block.shape, np.nan)
        result[tested] = adjusted
        out[column] = result
    return out
