r"""Growth between two years: change, compound annual growth rate, change in LQ, index series.

For a value :math:`x_0` in the base year :math:`t_0` and :math:`x_1` in the end year
:math:`t_1`:

.. math::

    \Delta = x_1 - x_0, \qquad
    \mathrm{CAGR} = \left(\frac{x_1}{x_0}\right)^{1/(t_1 - t_0)} - 1, \qquad
    I_t = 100\,\frac{x_t}{x_0}

The compound annual growth rate is the constant yearly rate that takes :math:`x_0` to
:math:`x_1` (the geometric mean of the yearly growth factors, e.g. OECD, *Measuring
Productivity*, 2001, annex; ONS uses it for its regional growth comparisons). It uses the real
distance between the years, so a table missing a year in between is still right. It is defined
only when :math:`x_0 > 0` and :math:`x_1 \ge 0`: a series starting at zero (or, for GVA,
below it) has no rate, and the row says why in ``growth_note``. The index :math:`I_t` (base year
= 100) is defined when :math:`x_0 > 0`. The change in LQ is :math:`LQ_1 - LQ_0`, each against
its own year's reference, so it says whether the place specialised further, whatever the
economy as a whole did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["compound_annual_growth", "growth_table", "index_series"]


def compound_annual_growth(
    start: np.ndarray | pd.Series, end: np.ndarray | pd.Series, years: float
) -> np.ndarray:
    r"""The compound annual growth rate :math:`(x_1/x_0)^{1/n} - 1` over ``years`` = n years.

    Returns NaN where it is not defined: a missing value, :math:`x_0 \le 0` or
    :math:`x_1 < 0`. An end value of zero gives -1 (-100%).
    """
    if years <= 0:
        raise ValueError(f"growth needs a positive number of years, got {years}")
    x0 = np.asarray(start, dtype="float64")
    x1 = np.asarray(end, dtype="float64")
    defined = (x0 > 0) & (x1 >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.power(x1 / x0, 1.0 / years) - 1.0
    return np.where(defined, rate, np.nan)


def _notes(start: pd.Series, end: pd.Series) -> np.ndarray:
    """Why a row has no growth rate, or ''."""
    return np.select(
        [start.isna() | end.isna(), start == 0, start < 0, end < 0],
        ["missing (suppressed) value", "starts at zero", "negative start", "negative end"],
        "",
    )


def growth_table(
    wide: pd.DataFrame,
    base_year: int,
    end_year: int,
    lq: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Start and end values, change, CAGR and change in LQ for every series.

    Parameters
    ----------
    wide
        One row per series (any index, e.g. area x industry x kind), one column per year.
    base_year, end_year
        The years compared; both must be columns of ``wide``.
    lq
        The LQs of the same series (same index), one column per year, or None.

    Returns
    -------
    pandas.DataFrame
        Same index: ``start_year``, ``end_year``, ``start_value``, ``end_value``, ``change``,
        ``change_pct`` (the change over the start value), ``cagr``, ``start_lq``, ``end_lq``,
        ``lq_change`` and ``growth_note`` (why ``cagr`` is missing, or '').
    """
    start = wide[base_year].astype("float64")
    end = wide[end_year].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        change_pct = np.where(start > 0, (end - start) / start, np.nan)
    table = pd.DataFrame(
        {
            "start_year": base_year,
            "end_year": end_year,
            "start_value": start,
            "end_value": end,
            "change": end - start,
            "change_pct": change_pct,
            "cagr": compound_annual_growth(start, end, end_year - base_year),
        },
        index=wide.index,
    )
    if lq is not None:
        start_lq = lq[base_year].reindex(wide.index).astype("float64")
        end_lq = lq[end_year].reindex(wide.index).astype("float64")
    else:
        start_lq = end_lq = pd.Series(np.nan, index=wide.index)
    table["start_lq"] = start_lq
    table["end_lq"] = end_lq
    table["lq_change"] = end_lq - start_lq
    table["growth_note"] = _notes(start, end)
    return table


def index_series(wide: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Each series as an index, base year = 100; NaN where the base value is not positive."""
    base = wide[base_year].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return wide.astype("float64").div(base.where(base > 0), axis=0) * 100.0
