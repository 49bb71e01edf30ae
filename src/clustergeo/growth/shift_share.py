r"""Shift-share: how much of an area's change in an industry the reference economy explains.

For area :math:`i` and industry :math:`j` with value :math:`e_{ij}` in the base year and
:math:`e'_{ij}` in the end year, and a reference economy (the whole table, a region, or
national totals) with :math:`E_j` and :math:`E` in the base year and growth rates

.. math:: G = \frac{E' - E}{E}, \qquad g_j = \frac{E'_j - E_j}{E_j},

the **classic** decomposition (Dunn 1960, "A statistical and analytical technique for regional
analysis", *Papers of the Regional Science Association* 6: 97–112; the notation of Stevens &
Moore 1980, *Journal of Regional Science* 20(4): 419–437) splits the actual change
:math:`\Delta_{ij} = e'_{ij} - e_{ij}` into

.. math::

    NS_{ij} = e_{ij}\, G                  \quad \text{(national share: had it grown as the
    reference economy)},

    IM_{ij} = e_{ij}\, (g_j - G)          \quad \text{(industry mix: its industry grew faster
    or slower than the economy)},

    CS_{ij} = e_{ij}\, (r_{ij} - g_j)     \quad \text{(competitive share: the area did better
    or worse than its industry)},

with :math:`r_{ij} = \Delta_{ij} / e_{ij}`, so that :math:`NS + IM + CS = \Delta` exactly. The
competitive share is computed as :math:`\Delta - NS - IM`, which is the same when
:math:`e_{ij} > 0` and keeps the identity when an industry starts at zero in the area (all of
its growth is then competitive).

The **Esteban-Marquillas** variant (Esteban-Marquillas 1972, "A reinterpretation of shift-share
analysis", *Regional and Urban Economics* 2(3): 249–255) separates specialisation from
competitiveness in :math:`CS`. With the *homothetic* value :math:`e^*_{ij} = e_i\,E_j/E` (what
the area would have in industry :math:`j` with the reference's industry mix; :math:`e_i` is the
area's total over the table's industries),

.. math::

    CS_{ij} = \underbrace{e^*_{ij}\,(r_{ij} - g_j)}_{\text{competitive effect}} +
              \underbrace{(e_{ij} - e^*_{ij})\,(r_{ij} - g_j)}_{\text{allocation effect}}.

The allocation effect is positive when the area is specialised in an industry in which it is
also competitive. It needs :math:`r_{ij}`, so it is missing where the area starts at zero.

Cluster definitions are decomposed as single industries: their values, and the reference's,
are the sums of their member industries. The reference total :math:`E` is the sum of the
table's industries (the covered industries), so :math:`G` compares like with like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["ReferenceGrowth", "reference_from_totals", "reference_growth", "shift_share"]

Method = Literal["classic", "esteban_marquillas"]


@dataclass(frozen=True)
class ReferenceGrowth:
    """The reference economy in the base and end years, per industry or cluster definition.

    ``industry_start`` and ``industry_end`` are indexed by ``(industry_code, kind)``;
    ``total_start`` and ``total_end`` are the sums over the table's industries.
    """

    label: str
    industry_start: pd.Series
    industry_end: pd.Series
    total_start: float
    total_end: float

    @property
    def total_growth(self) -> float:
        """:math:`G`, the reference economy's growth over the period."""
        return (self.total_end - self.total_start) / self.total_start

    @property
    def industry_growth(self) -> pd.Series:
        """:math:`g_j` per industry and definition; NaN where the reference starts at zero."""
        start = self.industry_start.where(self.industry_start > 0)
        return (self.industry_end - start) / start


def reference_growth(
    start: pd.Series,
    end: pd.Series,
    *,
    label: str,
    areas: pd.Index | None = None,
) -> ReferenceGrowth:
    """The reference economy as the sum of some areas' values (all areas when ``areas`` is None).

    Parameters
    ----------
    start, end
        Values in the base and end years, indexed by ``area_code``, ``industry_code``,
        ``kind``.
    label
        The reference in words, for reports.
    areas
        The areas making up the reference (a region), or None for every area.

    Notes
    -----
    Only cells known in both years are summed, so a value suppressed in one year changes
    neither year's total and the growth rates compare the same cells.
    """
    known = start.notna() & end.notna()
    if areas is not None:
        known &= start.index.get_level_values("area_code").isin(areas)
    by = ["industry_code", "kind"]
    industry_start = start.where(known).groupby(level=by).sum(min_count=1)
    industry_end = end.where(known).groupby(level=by).sum(min_count=1)
    industries = industry_start.index.get_level_values("kind") == "industry"
    return ReferenceGrowth(
        label=label,
        industry_start=industry_start,
        industry_end=industry_end.reindex(industry_start.index),
        total_start=float(np.nansum(industry_start[industries].to_numpy())),
        total_end=float(
            np.nansum(industry_end.reindex(industry_start.index)[industries].to_numpy())
        ),
    )


def reference_from_totals(
    totals: pd.DataFrame,
    base_year: int,
    end_year: int,
    definitions: Mapping[str, Sequence[str]],
    *,
    label: str,
) -> ReferenceGrowth:
    """The reference economy from national totals (a years x industries frame).

    Cluster definitions get the sums of their member industries; the total is the sum over the
    table's industries.
    """
    rows = []
    for year in (base_year, end_year):
        industries = pd.Series(totals.loc[year].to_numpy(dtype="float64"), index=totals.columns)
        values = {(str(code), "industry"): float(v) for code, v in industries.items()}
        values |= {
            (key, "cluster"): float(np.nansum(industries.reindex(list(codes)).to_numpy()))
            for key, codes in definitions.items()
        }
        rows.append(pd.Series(values))
    index = pd.MultiIndex.from_tuples(list(rows[0].index), names=["industry_code", "kind"])
    start = pd.Series(rows[0].to_numpy(), index=index)
    end = pd.Series(rows[1].reindex(rows[0].index).to_numpy(), index=index)
    return ReferenceGrowth(
        label=label,
        industry_start=start,
        industry_end=end,
        total_start=float(np.nansum(totals.loc[base_year].to_numpy())),
        total_end=float(np.nansum(totals.loc[end_year].to_numpy())),
    )


def shift_share(
    start: pd.Series,
    end: pd.Series,
    reference: ReferenceGrowth,
    method: Method = "classic",
) -> pd.DataFrame:
    """Shift-share components of every area x industry (and definition) change.

    Parameters
    ----------
    start, end
        Values in the base and end years, indexed by ``area_code``, ``industry_code``,
        ``kind``.
    reference
        The reference economy (:func:`reference_growth`, or national totals).
    method
        ``classic``, or ``esteban_marquillas`` for the competitive share's split.

    Returns
    -------
    pandas.DataFrame
        Same index: ``change``, ``reference_growth`` (:math:`G`), ``industry_growth``
        (:math:`g_j`), ``national_share``, ``industry_mix``, ``competitive_share`` and, for
        Esteban-Marquillas, ``homothetic_value`` (:math:`e^*`), ``competitive_effect`` and
        ``allocation_effect``. The three classic components sum to ``change``; all are missing
        where a value is missing in either year or the reference industry starts at zero.

    Notes
    -----
    The formulas and their sources are in the module docstring.
    """
    e0 = start.astype("float64")
    e1 = end.astype("float64")
    change = e1 - e0
    keys = pd.MultiIndex.from_arrays(
        [start.index.get_level_values("industry_code"), start.index.get_level_values("kind")]
    )
    big_g = reference.total_growth
    g_j = pd.Series(reference.industry_growth.reindex(keys).to_numpy(), index=start.index)
    # A value missing in either year leaves no change to decompose: no component either.
    known = change.notna()
    national_share = (e0 * big_g).where(known)
    industry_mix = (e0 * (g_j - big_g)).where(known)
    competitive_share = change - national_share - industry_mix
    table = pd.DataFrame(
        {
            "change": change,
            "reference_growth": big_g,
            "industry_growth": g_j,
            "national_share": national_share,
            "industry_mix": industry_mix,
            "competitive_share": competitive_share,
        },
        index=start.index,
    )
    if method == "esteban_marquillas":
        areas = start.index.get_level_values("area_code")
        is_industry = start.index.get_level_values("kind") == "industry"
        area_total = e0.where(is_industry).groupby(areas).sum(min_count=1)
        e_i = pd.Series(area_total.reindex(areas).to_numpy(), index=start.index)
        reference_share = pd.Series(
            (reference.industry_start / reference.total_start).reindex(keys).to_numpy(),
            index=start.index,
        )
        homothetic = e_i * reference_share
        with np.errstate(divide="ignore", invalid="ignore"):
            own_growth = change / e0.where(e0 > 0)
        gap = own_growth - g_j
        table["homothetic_value"] = homothetic
        table["competitive_effect"] = homothetic * gap
        table["allocation_effect"] = (e0 - homothetic) * gap
    return table
