"""Values by year: every area x industry and cluster definition, and each finding's combined series.

The growth stage compares years of one table, so it first lays the table out as one row per
area x column (an industry, or a cluster definition: the sum of its industries) and one column
per year. The same rules as the location quotients apply: a suppressed cell stays missing, a
cluster definition with a suppressed member is missing, and an area x industry pair the table
leaves out is zero (:func:`clustergeo.concentration.employment_matrix`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clustergeo.concentration import aggregate_cluster_definitions, employment_matrix

__all__ = ["KEYS", "combined_series", "values_by_year"]

#: The columns identifying one series: the area, the industry or definition, and which it is.
KEYS = ["area_code", "industry_code", "kind"]


def values_by_year(
    employment: pd.DataFrame, definitions: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """One row per area x industry (and cluster definition), one column per year.

    Parameters
    ----------
    employment
        ``area_code``, ``industry_code``, ``year``, ``employment`` (every year of the table).
    definitions
        Cluster definition key → the table's industry codes making it up.

    Returns
    -------
    pandas.DataFrame
        Indexed by :data:`KEYS` (``kind`` is ``industry`` or ``cluster``), columns the years
        in order; NaN where a cell (or a definition's member) is suppressed.
    """
    frames = []
    for year in sorted(int(y) for y in employment["year"].dropna().unique()):
        matrix = employment_matrix(employment.loc[employment["year"] == year])
        blocks = {"industry": matrix}
        if definitions:
            blocks["cluster"] = aggregate_cluster_definitions(matrix, definitions)
        parts = []
        for kind, block in blocks.items():
            long = pd.DataFrame(
                {year: block.rename_axis(index="area_code", columns="industry_code").stack()}
            )
            parts.append(long.assign(kind=kind).reset_index())
        frames.append(pd.concat(parts).set_index(KEYS)[year])
    wide = pd.concat(frames, axis=1)
    return pd.DataFrame(wide.sort_index())


def combined_series(
    wide: pd.DataFrame, members: pd.DataFrame, *, kinds: Mapping[str, str]
) -> pd.DataFrame:
    """Each group's combined series: the sum of its members' values, year by year.

    Parameters
    ----------
    wide
        :func:`values_by_year` (or any frame indexed by :data:`KEYS` with one column per year).
    members
        ``group``, ``industry_code`` and ``area_code``: which areas of which industry (or
        definition) make up each group (a finding's core areas).
    kinds
        ``industry`` or ``cluster`` for each ``industry_code`` of ``members``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``group``, one column per year: the members' sum, missing in a year when
        any member is missing (a sum that includes an unknown value is unknown), and when a
        member has no series.
    """
    keyed = members.assign(kind=members["industry_code"].map(kinds))
    index = pd.MultiIndex.from_frame(keyed[KEYS])
    values = wide.reindex(index)
    values.index = pd.Index(keyed["group"].to_numpy(), name="group")
    summed = values.groupby(level="group", sort=False).sum(min_count=1)
    known = values.notna().groupby(level="group", sort=False).all()
    return summed.where(known, np.nan)
