"""Hot regions: connected hot cells of the surface as polygons.

Cells are connected when they share an edge or a corner (8-connectivity), the same relation as
queen contiguity in :func:`~clustergeo.surface.raster_weights.grid_weights`, so a region is a
set of hot cells linked through the weights used to find them. Regions are labelled with
``scipy.ndimage.label`` and traced with ``rasterio.features.shapes`` (GDAL's polygonize).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio.features
import shapely
from scipy import ndimage

from clustergeo._errors import InputDataError
from clustergeo.surface.grid import GridSpec

__all__ = ["hot_regions"]

_EIGHT = np.ones((3, 3), dtype=bool)


def hot_regions(classes: np.ndarray, spec: GridSpec) -> gpd.GeoDataFrame:
    """One polygon per region of 8-connected hot cells.

    Parameters
    ----------
    classes
        ``(rows, cols)`` boolean array, True for hot cells.
    spec
        The grid the cells belong to.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_id`` (1, 2, ... in scan order from the top-left), ``cells`` (hot cells in the
        region), ``area_m2`` (``cells`` x cell area) and ``geometry`` (a polygon, possibly with
        holes, or a multipolygon where cells meet only at a corner), in the grid's CRS.
    """
    hot = np.asarray(classes)
    if hot.dtype != bool or hot.shape != spec.shape:
        raise InputDataError(
            f"The hot-cell array is {hot.dtype} {hot.shape}; give a boolean array of the "
            f"grid's shape {spec.shape}."
        )
    labels, count = ndimage.label(hot, structure=_EIGHT)
    labels = labels.astype(np.int32)
    parts: dict[int, list[shapely.Geometry]] = {}
    for geojson, value in rasterio.features.shapes(
        labels, mask=hot, connectivity=8, transform=spec.transform
    ):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geojson))
    region_ids = np.arange(1, count + 1)
    geoms = [shapely.make_valid(shapely.union_all(parts[region])) for region in region_ids]
    cells = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    return gpd.GeoDataFrame(
        {
            "region_id": region_ids,
            "cells": cells.astype(np.int64),
            "area_m2": cells * spec.cell_area,
        },
        geometry=geoms,
        crs=spec.crs,
    )
