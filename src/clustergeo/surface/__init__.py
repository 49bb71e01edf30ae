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

The functions live in :mod:`~.osm`, :mod:`~.land`, :mod:`~.dasymetric`, :mod:`~.grid`,
:mod:`~.raster_weights`, :mod:`~.polygonise`, :mod:`~.maup` and :mod:`~.partitioned`; nothing is
imported here.
"""
