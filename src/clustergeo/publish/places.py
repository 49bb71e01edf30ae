"""The places a map of the whole study area is read by: its largest urban districts, by name.

A reader finds their way on a map of clusters by the cities they know ("the cluster between
Derby and Nottingham"). The boundary data name districts, not towns, so the places named are
the districts that are urban by their own data: those holding at least
:data:`URBAN_DENSITY` times the study area's employment (or output) per km² (in a study
area that is all town, where none does, every district). London's boroughs and the City
are one place, London, unless London is most of the study area. The largest and densest
come first (employment times employment per km²), and a place closer than
:data:`MIN_SEPARATION` of the map's larger side to one already listed is passed over
(Sandwell beside Birmingham), so the names spread over the map rather than crowd its
largest conurbation. Each is set at its areas' employment-weighted centre (where the jobs
are, so Birmingham's sits on its centre, not at a point of its outline), or inside its
district where that centre falls outside it. A map names the first of them it has room for
(:func:`clustergeo.publish.cluster_maps.plot_cluster_map`).
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from clustergeo.governance.findings import plain_name
from clustergeo.london import in_london

__all__ = ["MAX_PLACES", "MIN_SEPARATION", "URBAN_DENSITY", "place_name", "principal_places"]

#: How many times the study area's own employment per km² a district holds to count as urban.
URBAN_DENSITY: Final = 5.0
#: The places listed: a map names the first of them it has room for (at most eight).
MAX_PLACES: Final = 12
_COLUMNS: Final = ("name", "x", "y", "total", "km2")
#: Places closer than this share of the map's larger side to a larger one are not named.
MIN_SEPARATION: Final = 0.05


def principal_places(areas: gpd.GeoDataFrame, totals: pd.Series) -> pd.DataFrame:
    """The study area's principal places, first to name first.

    Columns: ``name``, ``x``, ``y``, ``total`` and ``km2`` (its land).

    ``areas`` are the study area's areas with ``area_code`` and ``district_name`` (and, to
    know London's, ``region_code`` or ``region_name``), in a projected CRS in metres;
    ``totals`` is each area's total employment (or output) by area code. Areas without a
    district name or a total are left out; a run without district names has no places.
    """
    empty = pd.DataFrame(
        {column: pd.Series(dtype=object if column == "name" else float) for column in _COLUMNS}
    )
    if "district_name" not in areas or areas.empty:
        return empty
    named = areas["district_name"].astype("string").str.strip().replace("", pd.NA)
    london = in_london(areas)
    # London's boroughs are one place on a map of more than London; a map of London (or of
    # mostly London) names its boroughs.
    land = areas.geometry.area.to_numpy(float)
    if np.nansum(land[london]) < 0.5 * np.nansum(land):
        named = named.where(~london, "London")
    totals = totals.set_axis(totals.index.astype(str))
    geometry = areas.geometry.to_numpy()
    frame = pd.DataFrame(
        {
            "place": named.to_numpy(),
            "total": pd.to_numeric(
                areas["area_code"].astype(str).map(totals), errors="coerce"
            ).to_numpy(float),
            "km2": land / 1e6,
            "x": shapely.get_x(shapely.centroid(geometry)),
            "y": shapely.get_y(shapely.centroid(geometry)),
        }
    )
    frame = frame.loc[
        frame["place"].notna()
        & np.isfinite(frame["total"])
        & (frame["total"] > 0)
        & (frame["km2"] > 0)
        & np.isfinite(frame["x"])
        & np.isfinite(frame["y"])
    ]
    if frame.empty:
        return empty
    density = frame["total"].sum() / frame["km2"].sum()
    weighted = frame.assign(wx=frame["x"] * frame["total"], wy=frame["y"] * frame["total"])
    by_place = weighted.groupby("place", sort=False)[["total", "km2", "wx", "wy"]].sum()
    urban = by_place.loc[by_place["total"] / by_place["km2"] >= URBAN_DENSITY * density]
    if urban.empty:
        # A study area that is all town (a city region): its densest and largest places.
        urban = by_place
    # Size and density both make a place one a reader knows the map by: Wolverhampton before
    # Dudley, which holds more jobs in a larger, less urban district.
    score = urban["total"] * urban["total"] / urban["km2"]
    urban = urban.assign(score=score).sort_values("score", ascending=False, kind="stable")
    x_min, y_min, x_max, y_max = areas.total_bounds
    gap = MIN_SEPARATION * max(x_max - x_min, y_max - y_min)
    chosen: list[tuple[str, float, float, float, float]] = []
    centres: list[tuple[float, float]] = []
    for name, row in urban.iterrows():
        x, y = row["wx"] / row["total"], row["wy"] / row["total"]
        if any(np.hypot(x - cx, y - cy) < gap for cx, cy in centres):
            continue
        centres.append((x, y))
        x, y = _inside(areas.geometry.loc[(named == name).fillna(False).to_numpy(bool)], x, y)
        chosen.append((place_name(str(name)), x, y, float(row["total"]), float(row["km2"])))
        if len(chosen) == MAX_PLACES:
            break
    return pd.DataFrame(chosen, columns=_COLUMNS) if chosen else empty


def place_name(district: str) -> str:
    """A district's name as the place it is known as: 'Bristol', 'Edinburgh', 'Glasgow'.

    ONS names some councils as such ('Bristol, City of', 'City of Edinburgh', 'Glasgow
    City'); a map names the place.
    """
    name = plain_name(district)
    for short in (name.removeprefix("City of "), name.removesuffix(" City")):
        if short != name and short.strip():
            return short
    return name


def _inside(geometry: gpd.GeoSeries, x: float, y: float) -> tuple[float, float]:
    """``(x, y)`` where it lies in ``geometry``'s union, else a point inside the union."""
    union = shapely.union_all(geometry.to_numpy())
    if union.contains(shapely.Point(x, y)):
        return x, y
    point = union.point_on_surface()
    return point.x, point.y
