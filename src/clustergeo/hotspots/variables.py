"""The variable the statistics analyse, as an areas x columns matrix, from the long LQ table."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

__all__ = ["analysed_values"]


def analysed_values(lq: pd.DataFrame, areas: gpd.GeoDataFrame, variable: str) -> pd.DataFrame:
    """Areas x industries (and cluster definitions) matrix of the variable analysed.

    ``variable`` is the run's ``hotspots.variable``: ``lq``, ``employment``, or ``density``
    (employment per km², from the areas' ``area_km2``). Columns keep the table's order.
    """
    column = "lq" if variable == "lq" else "employment"
    wide = lq.pivot(index="area_code", columns="industry_code", values=column)
    order = list(dict.fromkeys(lq["industry_code"]))
    wide = wide[order]
    if variable == "density":
        km2 = areas.set_index("area_code")["area_km2"].reindex(wide.index)
        wide = wide.div(km2, axis=0)
    return wide
