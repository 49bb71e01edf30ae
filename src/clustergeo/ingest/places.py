"""Are the features where they claim to be? Checks that catch layers in the wrong place.

A layer whose coordinates are misread still gives numbers: areas read with longitude and
latitude swapped land in the Indian Ocean, degrees read as British National Grid metres make a
whole county a few metres wide (so every area neighbours every other), and two copies of an
area double its neighbours. Each check here names the real cause instead of letting a later
stage fail with a misleading hint or, worse, succeed:

* :func:`coordinate_problem`: degrees declared as metres, or latitude and longitude swapped,
  judged from the coordinates before any reprojection;
* :func:`outside_great_britain`: features whose place lies outside the area British National
  Grid covers (EPSG:27700's area of use), after reprojection;
* :func:`identical_areas`: small areas drawn twice under different codes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from clustergeo._validate import format_examples
from clustergeo.vocab import WORKING_CRS

__all__ = ["coordinate_problem", "identical_areas", "outside_great_britain"]

#: Latitude and longitude of Great Britain and Northern Ireland, with a margin: swapped
#: coordinates of a British file fall in the opposite ranges.
_GB_LATITUDES = (49.0, 61.5)
_GB_LONGITUDES = (-9.0, 2.5)


def coordinate_problem(frame: gpd.GeoDataFrame, declared: CRS) -> str:
    """Why a layer's coordinates cannot be in its declared CRS, or ``""``.

    Parameters
    ----------
    frame
        The layer as read, before any reprojection (its ``crs`` may be missing).
    declared
        The CRS the file declares (or the config assumes).

    Notes
    -----
    Two mistakes are recognised from the coordinates alone:

    * a projected CRS (metres) whose every coordinate lies within ±180 and ±90: longitude and
      latitude in degrees, since no British area lies within 180 m of a grid's origin;
    * longitude and latitude in degrees whose x values are British latitudes (49° to 61.5°)
      and y values British longitudes (-9° to 2.5°): the two axes are swapped.
    """
    if frame.empty:
        return ""
    xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return ""
    spans = f"x from {xmin:.4f} to {xmax:.4f}, y from {ymin:.4f} to {ymax:.4f}"
    in_degree_ranges = max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90
    if declared.is_projected and in_degree_ranges:
        return (
            f"the coordinates ({spans}) look like longitude and latitude in degrees, but the "
            f"file declares {declared.to_string()}, in metres: read so, the whole layer would be "
            "a few metres across. Set 'crs' to 'EPSG:4326' for this file in the config (or "
            "re-export it with its CRS)"
        )
    swapped = _inside((xmin, xmax), _GB_LATITUDES) and _inside((ymin, ymax), _GB_LONGITUDES)
    if declared.is_geographic and swapped:
        return (
            f"longitude and latitude are swapped: x runs over British latitudes and y over "
            f"British longitudes ({spans}). Export the file with x as longitude and y as "
            "latitude, the order GeoJSON, GeoPackage and Shapefile use"
        )
    return ""


def _inside(values: tuple[float, float], bounds: tuple[float, float]) -> bool:
    return bounds[0] <= values[0] and values[1] <= bounds[1]


def outside_great_britain(frame: gpd.GeoDataFrame, codes: pd.Series, declared: str) -> str:
    """Why some features lie outside Great Britain, or ``""`` when all lie inside.

    Parameters
    ----------
    frame
        The layer in the working CRS (EPSG:27700).
    codes
        The features' codes, aligned with ``frame``, to name them.
    declared
        The CRS the file was read in, for the message.

    Notes
    -----
    A feature lies outside when the centre of its bounding box, in longitude and latitude,
    is outside EPSG:27700's area of use (Great Britain, the Isle of Man and Northern Ireland
    with their waters: longitude -9.01 to 2.01, latitude 49.75 to 61.01): British National
    Grid distorts distances and areas beyond it, and no British area lies there.
    """
    if frame.empty:
        return ""
    area = CRS.from_user_input(WORKING_CRS).area_of_use
    assert area is not None  # EPSG:27700 always has one
    bounds = frame.geometry.bounds
    to_degrees = Transformer.from_crs(WORKING_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_degrees.transform(
        ((bounds["minx"] + bounds["maxx"]) / 2).to_numpy(),
        ((bounds["miny"] + bounds["maxy"]) / 2).to_numpy(),
    )
    outside = ~((lon >= area.west) & (lon <= area.east) & (lat >= area.south) & (lat <= area.north))
    if not outside.any():
        return ""
    first = int(np.flatnonzero(outside)[0])
    where = (
        f"(the first at longitude {lon[first]:.2f}, latitude {lat[first]:.2f})"
        if np.isfinite([lon[first], lat[first]]).all()
        else "(at coordinates no longitude and latitude match)"
    )
    named = format_examples(codes.to_numpy()[outside])
    extent = (
        f"British National Grid's area (longitude {area.west:.1f} to {area.east:.1f}, "
        f"latitude {area.south:.1f} to {area.north:.1f})"
    )
    if outside.all():
        return (
            f"every feature lies outside {extent} {where}. The file's CRS is probably not the "
            f"one it is read in ({declared}): check how it was exported, and set 'crs' in the "
            "config only for a file that declares none"
        )
    return (
        f"{int(outside.sum())} features lie outside {extent}: {named} {where}. clustergeo "
        "analyses places in Great Britain: remove features of other places from the file"
    )


def identical_areas(frame: gpd.GeoDataFrame, codes: pd.Series) -> str:
    """Pairs of features with the same geometry under different codes, or ``""``.

    Small areas tile the study area, so two features with one outline are one area drawn
    twice: two vintages in one file (2011 and 2021 codes for an unchanged area), or a
    feature duplicated under a new code. Each would count the area's neighbours twice.
    Geometries are compared after :func:`shapely.normalize`, so a ring that starts at
    another vertex or runs the other way is the same outline.
    """
    keys = pd.Series(
        shapely.to_wkb(shapely.normalize(frame.geometry.to_numpy())), index=frame.index
    )
    repeated = keys.duplicated(keep=False)
    if not repeated.any():
        return ""
    groups = (
        pd.DataFrame({"code": codes.to_numpy()[repeated.to_numpy()], "key": keys[repeated]})
        .groupby("key", sort=False)["code"]
        .agg(lambda group: " = ".join(sorted(map(str, group))))
    )
    return (
        f"{len(groups)} outlines are drawn more than once under different codes "
        f"({format_examples(groups)}): each small area must be one feature. The file may hold "
        "two vintages (2011 and 2021 codes), or features copied under new codes; keep one "
        "feature per area"
    )
