"""A boundary-agnostic employment surface: land from OpenStreetMap, dasymetric grids, hot regions.

The steps, each a function with one job:

1. :func:`read_employment_land` — industrial, works, commercial and retail land from a local
   OpenStreetMap extract (``.osm`` or ``.osm.pbf``), disjoint, in EPSG:27700;
2. :func:`allocate` — each area's employment split over that land (dasymetric mapping);
3. :func:`grid_spec`, :func:`rasterise`, :func:`write_geotiff` — the pieces spread onto a
   regular grid by exact area of overlap and written as a multi-band GeoTIFF
   (optionally smoothed by :func:`kernel_density`, which keeps totals);
4. :func:`grid_weights`, :func:`cells_table` — contiguity between grid cells and their values,
   for :func:`clustergeo.hotspots.engine.local_hotspots`;
5. :func:`hot_regions` — connected hot cells as polygons.
"""

from clustergeo.surface.dasymetric import allocate
from clustergeo.surface.grid import (
    GridSpec,
    coverage,
    grid_spec,
    kernel_density,
    rasterise,
    write_geotiff,
)
from clustergeo.surface.land import DEFAULT_KIND_WEIGHTS, KIND_PRECEDENCE, exclusive_land
from clustergeo.surface.osm import (
    employment_land_from_features,
    fetch_employment_land_online,
    pbf_to_osm_xml,
    read_employment_land,
)
from clustergeo.surface.polygonise import hot_regions
from clustergeo.surface.raster_weights import cell_positions, cells_table, grid_weights

__all__ = [
    "DEFAULT_KIND_WEIGHTS",
    "KIND_PRECEDENCE",
    "GridSpec",
    "allocate",
    "cell_positions",
    "cells_table",
    "coverage",
    "employment_land_from_features",
    "exclusive_land",
    "fetch_employment_land_online",
    "grid_spec",
    "grid_weights",
    "hot_regions",
    "kernel_density",
    "pbf_to_osm_xml",
    "rasterise",
    "read_employment_land",
    "write_geotiff",
]
